import { afterEach, describe, expect, it } from 'vitest';
import { readBatchHeader } from '../../broker/record-batch.js';
import { StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import type { MetadataResponse } from '../../protocol/messages.js';
import { ManualClock } from '../../util/clock.js';
import { silentLogger } from '../../util/logger.js';
import { KafkaCluster, parseHostPort, responseError } from './cluster.js';
import { FakeKafkaBroker, type FakeAnswer, type FakeRequest } from './fake-kafka-broker.js';
import { KafkaProducer } from './kafka-producer.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Two fake brokers (node 0 and node 1) sharing one scripted cluster state: topic `t` with one partition whose
 * leader is `state.leader`, and a coordinator `state.coordinator`.
 */
async function twoNodes(onRequest: (node: number, r: FakeRequest) => FakeAnswer | undefined = () => undefined, clock = new ManualClock(0)) {
  const state = { leader: 0, coordinator: 0, topics: ['t'] };
  const nodes: FakeKafkaBroker[] = [];
  const metadata = (): MetadataResponse => ({
    throttleTimeMs: 0,
    brokers: nodes.map((n, nodeId) => ({ nodeId, host: '127.0.0.1', port: n.port, rack: null })),
    clusterId: 'fake',
    controllerId: 0,
    topics: state.topics.map((name) => ({
      errorCode: 0,
      name,
      isInternal: false,
      partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: state.leader, leaderEpoch: -1, replicaNodes: [state.leader], isrNodes: [state.leader], offlineReplicas: [] }],
    })),
  });
  for (let node = 0; node < 2; node++) {
    const fake = await FakeKafkaBroker.listen((r) => {
      const scripted = onRequest(node, r);
      if (scripted !== undefined) return scripted;
      if (r.apiKey === ApiKey.Metadata) {
        const wanted = (r.body as { topics: { name: string }[] | null }).topics;
        const m = metadata();
        const topics = wanted === null ? m.topics : wanted.map((w) => m.topics!.find((t) => t.name === w.name) ?? { errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: w.name, isInternal: false, partitions: [] });
        return { body: { ...m, topics } };
      }
      if (r.apiKey === ApiKey.FindCoordinator) {
        return { body: { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: state.coordinator, host: '127.0.0.1', port: nodes[state.coordinator]!.port } };
      }
      return undefined;
    });
    nodes.push(fake);
    cleanups.push(() => fake.close());
  }
  const cluster = new KafkaCluster({ bootstrapServers: [`127.0.0.1:${nodes[1]!.port}`], logger: silentLogger(), retryBackoffMs: 1, maxRetryBackoffMs: 5, metadataMaxAgeMs: 1000, clock });
  cleanups.push(() => cluster.close());
  return { state, nodes, cluster, clock };
}

describe('KafkaCluster', () => {
  it('learns brokers and leaders from metadata, coalescing concurrent refreshes', async () => {
    const { nodes, cluster } = await twoNodes();
    await Promise.all([cluster.refreshMetadata(['t']), cluster.refreshMetadata(['t']), cluster.refreshMetadata(['t'])]);
    const metadataRequests = nodes.flatMap((n) => n.requestsOf(ApiKey.Metadata));
    expect(metadataRequests).toHaveLength(1);
    expect(await cluster.leaderFor('t', 0)).toBe(0);
    expect(await cluster.partitionCount('t')).toBe(1);
    expect(await cluster.controllerId()).toBe(0);
    expect(cluster.brokers().map((b) => b.port)).toEqual(nodes.map((n) => n.port));
    expect(nodes.flatMap((n) => n.requestsOf(ApiKey.Metadata))).toHaveLength(1); // all cached
    await expect(cluster.leaderFor('nope', 0)).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: false });
    await expect(cluster.leaderFor('t', 3)).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('refreshes metadata older than metadataMaxAgeMs, and after losing the leader node', async () => {
    const { state, nodes, cluster, clock } = await twoNodes();
    const metadataRequests = (): number => nodes.flatMap((n) => n.requestsOf(ApiKey.Metadata)).length;
    expect(await cluster.leaderFor('t', 0)).toBe(0);
    state.leader = 1;
    clock.advance(999);
    expect(await cluster.leaderFor('t', 0)).toBe(0); // still fresh enough
    clock.advance(2);
    expect(await cluster.leaderFor('t', 0)).toBe(1);
    expect(metadataRequests()).toBe(2);

    await cluster.send(1, ApiKey.Metadata, { topics: [] });
    state.leader = 0;
    await nodes[1]!.kill();
    await expect(cluster.send(1, ApiKey.Metadata, { topics: [] })).rejects.toMatchObject({ code: 'NETWORK_FAILED' });
    expect(await cluster.leaderFor('t', 0)).toBe(0); // forgotten with the node, looked up again
  });

  it('bootstraps through the first reachable server', async () => {
    const { nodes } = await twoNodes();
    const cluster = new KafkaCluster({ bootstrapServers: ['127.0.0.1:1', `127.0.0.1:${nodes[0]!.port}`], logger: silentLogger() });
    cleanups.push(() => cluster.close());
    expect(await cluster.partitionCount('t')).toBe(1);
    expect(() => new KafkaCluster({ bootstrapServers: ['nohost'] })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(parseHostPort('[::1]:9092')).toEqual({ host: '::1', port: 9092 });
  });

  it('retries retriable errors with backoff up to `retries`, and nothing else', async () => {
    const cluster = new KafkaCluster({ bootstrapServers: ['127.0.0.1:1'], retries: 2, retryBackoffMs: 1, maxRetryBackoffMs: 2 });
    let calls = 0;
    await expect(
      cluster.retry('x', async () => {
        calls++;
        throw new StreamsError('NETWORK_FAILED', 'down');
      }),
    ).rejects.toMatchObject({ code: 'NETWORK_FAILED' });
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      cluster.retry('y', async () => {
        calls++;
        throw new StreamsError('INVALID_CONFIG', 'bad');
      }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    expect(calls).toBe(1);
    calls = 0;
    expect(await cluster.retry('z', async () => (++calls < 3 ? Promise.reject(new StreamsError('CONCURRENT_TRANSACTIONS', 'busy')) : 'done'))).toBe('done');
    for (let a = 0; a < 10; a++) expect(cluster.backoffMs(a)).toBeLessThanOrEqual(3);
    await cluster.close();
    await expect(cluster.sendAny(ApiKey.Metadata, { topics: null })).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('re-finds a coordinator after NOT_COORDINATOR and caches it', async () => {
    const { state, nodes, cluster } = await twoNodes((node, r) => {
      if (r.apiKey !== ApiKey.Heartbeat) return undefined;
      if (node !== state.coordinator) return { body: { throttleTimeMs: 0, errorCode: KafkaErrorCode.NOT_COORDINATOR } };
      return { body: { throttleTimeMs: 0, errorCode: 0 } };
    });
    expect(await cluster.findCoordinator('group', 'g')).toBe(0);
    state.coordinator = 1; // the group moved
    const heartbeat = (): Promise<unknown> =>
      cluster.withCoordinator(
        'group',
        'g',
        'Heartbeat',
        (node) => cluster.send(node, ApiKey.Heartbeat, { groupId: 'g', generationId: 1, memberId: 'm' }),
        (res) => responseError(res.body.errorCode, 'Heartbeat'),
      );
    await heartbeat();
    expect(nodes[0]!.requestsOf(ApiKey.Heartbeat)).toHaveLength(1);
    expect(nodes[1]!.requestsOf(ApiKey.Heartbeat)).toHaveLength(1);
    const finds = (): number => nodes.flatMap((n) => n.requestsOf(ApiKey.FindCoordinator)).length;
    expect(finds()).toBe(2);
    await heartbeat();
    expect(finds()).toBe(2); // cached
    expect(nodes[1]!.requestsOf(ApiKey.Heartbeat)).toHaveLength(2);
  });

  it('a producer retries a batch after NOT_LEADER_OR_FOLLOWER at the new leader, with the same sequence', async () => {
    const { state, nodes, cluster } = await twoNodes((node, r) => {
      if (r.apiKey === ApiKey.InitProducerId) return { body: { throttleTimeMs: 0, errorCode: 0, producerId: 42, producerEpoch: 3 } };
      if (r.apiKey !== ApiKey.Produce) return undefined;
      const partitionResponse = (errorCode: number, baseOffset: number) => ({
        throttleTimeMs: 0,
        responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode, baseOffset, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null }] }],
      });
      if (node !== state.leader) return { body: partitionResponse(KafkaErrorCode.NOT_LEADER_OR_FOLLOWER, -1) };
      return { body: partitionResponse(0, 100 + nodes[node]!.requestsOf(ApiKey.Produce).length) };
    });
    const producer = new KafkaProducer(cluster);
    await cluster.leaderFor('t', 0); // node 0 leads...
    state.leader = 1; // ...until it does not
    const [meta] = await producer.send({ topic: 't', messages: [{ key: null, value: Buffer.from('a') }, { key: null, value: Buffer.from('b') }] });
    expect(meta).toMatchObject({ topic: 't', partition: 0, baseOffset: 101, recordCount: 2 });
    const sent0 = nodes[0]!.requestsOf(ApiKey.Produce);
    const sent1 = nodes[1]!.requestsOf(ApiKey.Produce);
    expect(sent0).toHaveLength(1);
    expect(sent1).toHaveLength(1);
    const bytes = (r: FakeRequest<typeof ApiKey.Produce>): Buffer => r.body.topicData[0]!.partitionData[0]!.records!;
    expect(bytes(sent1[0]!)).toEqual(bytes(sent0[0]!));
    const h = readBatchHeader(bytes(sent1[0]!), 0);
    expect([h.producerId, h.producerEpoch, h.baseSequence]).toEqual([42, 3, 0]);

    await producer.send({ topic: 't', messages: [{ key: null, value: Buffer.from('c') }] });
    const next = readBatchHeader(bytes(nodes[1]!.requestsOf(ApiKey.Produce)[1]!), 0);
    expect(next.baseSequence).toBe(2);
    await producer.close();
  });

  it('a lost connection fails the send retriably, then the retry reconnects', async () => {
    let dropped = false;
    const { nodes, cluster } = await twoNodes((_node, r) => {
      if (r.apiKey !== ApiKey.Produce) return undefined;
      if (!dropped) {
        dropped = true;
        return 'close';
      }
      return { body: { throttleTimeMs: 0, responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 7 }] }] } };
    });
    const producer = new KafkaProducer(cluster, { idempotent: false });
    const [meta] = await producer.send({ topic: 't', messages: [{ key: null, value: Buffer.from('a') }] });
    expect(meta!.baseOffset).toBe(7);
    expect(nodes[0]!.requestsOf(ApiKey.Produce)).toHaveLength(2);
    expect(new Set(nodes[0]!.requestsOf(ApiKey.Produce).map((r) => r.connection)).size).toBe(2);
  });
});
