import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKey, SUPPORTED_VERSIONS } from '../../protocol/api-keys.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import type { FetchResponse, ProduceResponse } from '../../protocol/messages.js';
import { silentLogger } from '../../util/logger.js';
import { Broker } from '../broker.js';
import { decodeRecords, encodeBatch, isControlBatch, readBatchHeader, type EncodeBatchOptions } from '../record-batch.js';
import type { KafkaServer } from './kafka-server.js';
import { RawKafkaSocket } from './raw-kafka-socket.js';

let broker: Broker;
let server: KafkaServer;
let client: RawKafkaSocket;

beforeEach(async () => {
  broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, transactionAbortTimedOutIntervalMs: 0 });
  server = await broker.listen({ port: 0, logger: silentLogger() });
  client = await RawKafkaSocket.connect(server.address.port);
});

afterEach(async () => {
  client.close();
  await server.close();
  await broker.close();
});

function batch(values: readonly string[], options: EncodeBatchOptions = {}, timestampMs = 1_000): Buffer {
  return encodeBatch(
    values.map((v, i) => ({ key: null, value: Buffer.from(v), timestampMs: timestampMs + i })),
    options,
  );
}

function produce(topic: string, partition: number, records: Buffer | null, acks = -1, transactionalId: string | null = null): Promise<ProduceResponse> {
  return client.request(ApiKey.Produce, 7, { transactionalId, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
}

function fetch(topic: string, partition: number, offset: number, options: { maxWaitMs?: number; isolationLevel?: number; partitionMaxBytes?: number; on?: RawKafkaSocket } = {}): Promise<FetchResponse> {
  return (options.on ?? client).request(ApiKey.Fetch, 11, {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: 52_428_800,
    isolationLevel: options.isolationLevel ?? 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: options.partitionMaxBytes ?? 1_048_576 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

/** Values of the data records in fetched bytes (control batches skipped). */
function values(bytes: Buffer | null): string[] {
  const out: string[] = [];
  if (bytes === null) return out;
  for (let p = 0; p + 12 <= bytes.length; p += bytes.readInt32BE(p + 8) + 12) {
    const h = readBatchHeader(bytes, p);
    if (isControlBatch(h.attributes)) continue;
    for (const r of decodeRecords(bytes, p, h)) out.push(r.value!.toString());
  }
  return out;
}

function onlyPartition<T>(topics: readonly { partitions?: readonly T[]; partitionResponses?: readonly T[] }[]): T {
  const t = topics[0]!;
  return (t.partitions ?? t.partitionResponses)![0]!;
}

describe('ApiVersions', () => {
  it.each([0, 1, 2, 3])('v%i lists every supported API with its range', async (v) => {
    const res = await client.request(ApiKey.ApiVersions, v, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(res.errorCode).toBe(0);
    const listed = new Map(res.apiKeys!.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(listed).toEqual(new Map([...SUPPORTED_VERSIONS].map(([k, r]) => [k, [...r]])));
  });
});

describe('Metadata', () => {
  it('names this node as the only broker and the controller, with a stable cluster id', async () => {
    const a = await client.request(ApiKey.Metadata, 8, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const b = await client.request(ApiKey.Metadata, 8, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(a.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: server.address.port, rack: null }]);
    expect(a.controllerId).toBe(0);
    expect(a.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(b.clusterId).toBe(a.clusterId);
  });

  it('lists all topics for a null list (v1+) or an empty one (v0), none for an empty list in v1+, internal ones flagged', async () => {
    broker.createTopic('lines', 3);
    const all = await client.request(ApiKey.Metadata, 1, { topics: null });
    const names = all.topics!.map((t) => t.name);
    expect(names).toContain('lines');
    expect(names).toContain('__consumer_offsets');
    expect(all.topics!.find((t) => t.name === '__consumer_offsets')!.isInternal).toBe(true);
    const lines = all.topics!.find((t) => t.name === 'lines')!;
    expect(lines.isInternal).toBe(false);
    expect(lines.partitions!.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes])).toEqual([
      [0, 0, [0], [0]],
      [1, 0, [0], [0]],
      [2, 0, [0], [0]],
    ]);
    expect((await client.request(ApiKey.Metadata, 0, { topics: [] })).topics!.map((t) => t.name)).toContain('lines');
    expect((await client.request(ApiKey.Metadata, 1, { topics: [] })).topics).toEqual([]);
  });

  it('auto-creates a missing topic only when allowed (v4+), always before v4', async () => {
    const refused = await client.request(ApiKey.Metadata, 4, { topics: [{ name: 'nope' }], allowAutoTopicCreation: false });
    expect(refused.topics![0]!.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(broker.hasTopic('nope')).toBe(false);
    const created = await client.request(ApiKey.Metadata, 4, { topics: [{ name: 'auto' }], allowAutoTopicCreation: true });
    expect(created.topics![0]!.errorCode).toBe(0);
    expect(created.topics![0]!.partitions).toHaveLength(1);
    expect(broker.describeTopic('auto').numPartitions).toBe(1);
    await client.request(ApiKey.Metadata, 1, { topics: [{ name: 'old-client' }] });
    expect(broker.hasTopic('old-client')).toBe(true);
    const invalid = await client.request(ApiKey.Metadata, 4, { topics: [{ name: 'bad/name' }], allowAutoTopicCreation: true });
    expect(invalid.topics![0]!.errorCode).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
  });
});

describe('Produce and Fetch', () => {
  beforeEach(() => {
    broker.createTopic('t', 2);
  });

  it('round-trips batches: offsets assigned, records fetched verbatim, per-partition results', async () => {
    const r1 = onlyPartition((await produce('t', 1, batch(['a', 'b']))).responses);
    const r2 = onlyPartition((await produce('t', 1, batch(['c']), 1)).responses);
    expect([r1.errorCode, r1.baseOffset, r1.logStartOffset, r1.logAppendTimeMs]).toEqual([0, 0, 0, -1]);
    expect([r2.errorCode, r2.baseOffset]).toEqual([0, 2]);
    const f = onlyPartition((await fetch('t', 1, 0)).responses);
    expect([f.errorCode, f.highWatermark, f.lastStableOffset, f.logStartOffset, f.abortedTransactions, f.preferredReadReplica]).toEqual([0, 3, 3, 0, null, -1]);
    expect(values(f.records)).toEqual(['a', 'b', 'c']);
    const from2 = onlyPartition((await fetch('t', 1, 2)).responses);
    expect(values(from2.records)).toEqual(['c']);
  });

  it('answers errors per partition without failing the others', async () => {
    const corrupt = batch(['x']);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 1) ^ 0xff, corrupt.length - 1); // breaks the CRC
    const res = await client.request(ApiKey.Produce, 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [
        { name: 't', partitionData: [{ index: 0, records: batch(['ok']) }, { index: 1, records: corrupt }, { index: 7, records: batch(['y']) }] },
        { name: 'missing', partitionData: [{ index: 0, records: batch(['z']) }] },
      ],
    });
    expect(res.responses.map((t) => t.partitionResponses.map((p) => [p.index, p.errorCode]))).toEqual([
      [
        [0, 0],
        [1, KafkaErrorCode.CORRUPT_MESSAGE],
        [7, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
      [[0, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
    ]);
    expect(broker.partitionLog('t', 0).highWatermark).toBe(1);
    expect(broker.partitionLog('t', 1).highWatermark).toBe(0);
    expect(onlyPartition((await produce('t', 0, batch(['q']), 2)).responses).errorCode).toBe(KafkaErrorCode.INVALID_REQUIRED_ACKS);
    expect(onlyPartition((await produce('t', 0, null)).responses).errorCode).toBe(KafkaErrorCode.CORRUPT_MESSAGE);
    expect(onlyPartition((await produce('__consumer_offsets', 0, batch(['forged']))).responses).errorCode).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(broker.partitionLog('__consumer_offsets', 0).highWatermark).toBe(0);
  });

  it('answers a retried idempotent batch with its original offset', async () => {
    const pid = broker.allocateProducerId();
    const b = batch(['once'], { producerId: pid, producerEpoch: 0, baseSequence: 0 });
    const first = onlyPartition((await produce('t', 0, Buffer.from(b))).responses);
    const retry = onlyPartition((await produce('t', 0, Buffer.from(b))).responses);
    expect([first.errorCode, first.baseOffset]).toEqual([0, 0]);
    expect([retry.errorCode, retry.baseOffset]).toEqual([0, 0]);
    const gap = onlyPartition((await produce('t', 0, batch(['gap'], { producerId: pid, producerEpoch: 0, baseSequence: 5 }))).responses);
    expect(gap.errorCode).toBe(KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(broker.partitionLog('t', 0).highWatermark).toBe(1);
  });

  it('fetch errors are per partition: unknown topic, offset out of range', async () => {
    expect(onlyPartition((await fetch('missing', 0, 0)).responses).errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(onlyPartition((await fetch('t', 0, 5)).responses).errorCode).toBe(KafkaErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('honours partitionMaxBytes but always returns the first whole batch', async () => {
    await produce('t', 0, batch(['first-batch-'.repeat(20)]));
    await produce('t', 0, batch(['second-batch']));
    const f = onlyPartition((await fetch('t', 0, 0, { partitionMaxBytes: 10 })).responses);
    expect(values(f.records)).toEqual(['first-batch-'.repeat(20)]);
    const all = onlyPartition((await fetch('t', 0, 0)).responses);
    expect(values(all.records)).toHaveLength(2);
  });

  it('a parked fetch is woken by a produce on another connection', async () => {
    const other = await RawKafkaSocket.connect(server.address.port);
    try {
      const started = Date.now();
      let isAnswered = false;
      const parked = fetch('t', 0, 0, { maxWaitMs: 20_000, on: other }).finally(() => {
        isAnswered = true;
      });
      await client.request(ApiKey.ApiVersions, 0, {}); // a round trip on another connection: the fetch is parked by then
      expect(isAnswered).toBe(false);
      await produce('t', 0, batch(['wake']));
      const f = onlyPartition((await parked).responses);
      expect(values(f.records)).toEqual(['wake']);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      other.close();
    }
  });

  it('a fetch with nothing to read answers empty after maxWaitMs', async () => {
    const f = onlyPartition((await fetch('t', 0, 0, { maxWaitMs: 30 })).responses);
    expect([f.errorCode, f.highWatermark, f.records?.length]).toEqual([0, 0, 0]);
  });
});

describe('transactions on the wire', () => {
  beforeEach(() => {
    broker.createTopic('tx', 1);
  });

  it('read_committed stops at the last stable offset, then lists the aborted transaction', async () => {
    await produce('tx', 0, batch(['plain']));
    const { producerId, producerEpoch } = await broker.transactions.initProducerId('app-1', 60_000);
    await broker.transactions.addPartitionsToTxn('app-1', producerId, producerEpoch, [{ topic: 'tx', partition: 0 }]);
    const txnBatch = batch(['t1', 't2'], { producerId, producerEpoch, baseSequence: 0, isTransactional: true });
    const p = onlyPartition((await produce('tx', 0, txnBatch, -1, 'app-1')).responses);
    expect([p.errorCode, p.baseOffset]).toEqual([0, 1]);

    const committed = onlyPartition((await fetch('tx', 0, 0, { isolationLevel: 1 })).responses);
    expect([committed.highWatermark, committed.lastStableOffset]).toEqual([3, 1]);
    expect(values(committed.records)).toEqual(['plain']);
    const uncommitted = onlyPartition((await fetch('tx', 0, 0)).responses);
    expect(values(uncommitted.records)).toEqual(['plain', 't1', 't2']);

    await broker.transactions.endTxn('app-1', producerId, producerEpoch, false);
    const after = onlyPartition((await fetch('tx', 0, 0, { isolationLevel: 1 })).responses);
    expect(after.lastStableOffset).toBe(4);
    expect(after.abortedTransactions).toEqual([{ producerId, firstOffset: 1 }]);
    const lo = await client.request(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 1, topics: [{ name: 'tx', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
    expect(onlyPartition(lo.topics).offset).toBe(4);
  });

  it('refuses a transactional batch for a partition not added to the transaction, as Kafka verifies', async () => {
    const { producerId, producerEpoch } = await broker.transactions.initProducerId('app-2', 60_000);
    const txnBatch = (): Buffer => batch(['x'], { producerId, producerEpoch, baseSequence: 0, isTransactional: true });
    expect(onlyPartition((await produce('tx', 0, txnBatch(), -1, 'app-2')).responses).errorCode).toBe(KafkaErrorCode.INVALID_TXN_STATE);
    expect(onlyPartition((await produce('tx', 0, txnBatch(), -1, null)).responses).errorCode).toBe(KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(onlyPartition((await produce('tx', 0, txnBatch(), -1, 'unknown-id')).responses).errorCode).toBe(KafkaErrorCode.INVALID_PRODUCER_ID_MAPPING);
    await broker.transactions.addPartitionsToTxn('app-2', producerId, producerEpoch, [{ topic: 'tx', partition: 0 }]);
    const stale = batch(['x'], { producerId, producerEpoch: producerEpoch + 1, baseSequence: 0, isTransactional: true });
    expect(onlyPartition((await produce('tx', 0, stale, -1, 'app-2')).responses).errorCode).toBe(KafkaErrorCode.INVALID_PRODUCER_EPOCH);
    expect(onlyPartition((await produce('tx', 0, txnBatch(), -1, 'app-2')).responses).errorCode).toBe(0);
    expect(broker.partitionLog('tx', 0).highWatermark).toBe(1);
  });
});

describe('ListOffsets', () => {
  it('answers earliest, latest and by timestamp (-1 when no record is that recent), errors per partition', async () => {
    broker.createTopic('lo', 1);
    await produce('lo', 0, batch(['a', 'b'], {}, 1_000));
    await produce('lo', 0, batch(['c'], {}, 5_000));
    broker.deleteRecords('lo', 0, 1);
    const query = (timestamp: number, name = 'lo') =>
      client.request(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] }).then((r) => onlyPartition(r.topics));
    expect(await query(-2)).toMatchObject({ errorCode: 0, offset: 1, timestamp: -1, leaderEpoch: 0 });
    expect(await query(-1)).toMatchObject({ errorCode: 0, offset: 3, timestamp: -1 });
    expect(await query(1_001)).toMatchObject({ errorCode: 0, offset: 1, timestamp: 1_001 });
    expect(await query(2_000)).toMatchObject({ errorCode: 0, offset: 2, timestamp: 5_000 });
    expect(await query(9_000)).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1 });
    expect(await query(-1, 'missing')).toMatchObject({ errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1 });
    const v1 = await client.request(ApiKey.ListOffsets, 1, { replicaId: -1, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
    expect(onlyPartition(v1.topics).offset).toBe(3);
  });
});

describe('CreateTopics, DeleteTopics, DescribeConfigs', () => {
  const creatable = (name: string, numPartitions: number, configs: { name: string; value: string | null }[] = []) => ({ name, numPartitions, replicationFactor: -1, assignments: [], configs });

  it('creates topics with per-topic errors, and validateOnly creates nothing', async () => {
    broker.createTopic('exists', 1);
    const res = await client.request(ApiKey.CreateTopics, 4, {
      topics: [
        creatable('new', 3, [{ name: 'cleanup.policy', value: 'compact' }]),
        creatable('dflt', -1),
        creatable('exists', 1),
        creatable('bad/name', 1),
        creatable('zero', 0),
        creatable('badcfg', 1, [{ name: 'no.such.config', value: '1' }]),
        creatable('twice', 1),
        creatable('twice', 1),
      ],
      timeoutMs: 5_000,
      validateOnly: false,
    });
    expect(res.topics!.map((t) => [t.name, t.errorCode])).toEqual([
      ['new', 0],
      ['dflt', 0],
      ['exists', KafkaErrorCode.TOPIC_ALREADY_EXISTS],
      ['bad/name', KafkaErrorCode.INVALID_TOPIC_EXCEPTION],
      ['zero', KafkaErrorCode.INVALID_PARTITIONS],
      ['badcfg', KafkaErrorCode.INVALID_CONFIG],
      ['twice', KafkaErrorCode.INVALID_REQUEST],
      ['twice', KafkaErrorCode.INVALID_REQUEST],
    ]);
    expect(broker.describeTopic('new')).toMatchObject({ numPartitions: 3, config: { 'cleanup.policy': 'compact' } });
    expect(broker.describeTopic('dflt').numPartitions).toBe(1);
    expect(broker.hasTopic('badcfg')).toBe(false);
    const dry = await client.request(ApiKey.CreateTopics, 1, { topics: [creatable('dry', 2), creatable('drybad', 1, [{ name: 'retention.ms', value: 'x' }])], timeoutMs: 5_000, validateOnly: true });
    expect(dry.topics!.map((t) => t.errorCode)).toEqual([0, KafkaErrorCode.INVALID_CONFIG]);
    expect(broker.hasTopic('dry')).toBe(false);
  });

  it('deletes topics, refusing unknown and internal ones', async () => {
    broker.createTopic('gone', 1);
    const res = await client.request(ApiKey.DeleteTopics, 3, { topicNames: ['gone', 'missing', '__consumer_offsets'], timeoutMs: 5_000 });
    expect(res.responses!.map((r) => [r.name, r.errorCode])).toEqual([
      ['gone', 0],
      ['missing', KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['__consumer_offsets', KafkaErrorCode.INVALID_REQUEST],
    ]);
    expect(broker.hasTopic('gone')).toBe(false);
    expect(broker.hasTopic('__consumer_offsets')).toBe(true);
  });

  it('describes topic and broker configs, filtered by key, with errors per resource', async () => {
    broker.createTopic('cfg', 1, { 'retention.ms': '1000' });
    const res = await client.request(ApiKey.DescribeConfigs, 3, {
      resources: [
        { resourceType: 2, resourceName: 'cfg', configurationKeys: null },
        { resourceType: 2, resourceName: 'cfg', configurationKeys: ['retention.ms'] },
        { resourceType: 2, resourceName: 'missing', configurationKeys: null },
        { resourceType: 4, resourceName: '0', configurationKeys: ['broker.id', 'num.partitions'] },
        { resourceType: 4, resourceName: '7', configurationKeys: null },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const [all, one, missing, brokerRes, otherBroker] = res.results!;
    expect(all!.configs!.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'delete', configSource: 5, readOnly: false });
    expect(one!.configs).toEqual([expect.objectContaining({ name: 'retention.ms', value: '1000', configSource: 1, configType: 5 })]);
    expect(missing!.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(brokerRes!.configs!.map((c) => [c.name, c.value])).toEqual([
      ['broker.id', '0'],
      ['num.partitions', '1'],
    ]);
    expect(otherBroker!.errorCode).toBe(KafkaErrorCode.INVALID_REQUEST);
    const v0 = await client.request(ApiKey.DescribeConfigs, 0, { resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: ['retention.ms', 'segment.ms'] }] });
    expect(v0.results![0]!.configs!.map((c) => [c.name, c.isDefault])).toEqual([
      ['retention.ms', false],
      ['segment.ms', true],
    ]);
  });
});
