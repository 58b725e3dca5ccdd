import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../broker/broker.js';
import { KafkaServer, type KafkaServerOptions } from '../../broker/server/kafka-server.js';
import { handleFetch } from '../../broker/server/fetch-handlers.js';
import { isStreamsError, StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { TopicPartition } from '../../record.js';
import { silentLogger } from '../../util/logger.js';
import type { Consumer, ConsumerConfig } from '../consumer.js';
import { inProcessClients } from '../in-process/in-process-clients.js';
import { KafkaCluster } from './cluster.js';
import { KafkaConsumer } from './kafka-consumer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  readonly broker: Broker;
  server: KafkaServer;
  readonly cluster: KafkaCluster;
  consumer(config?: ConsumerConfig, cluster?: KafkaCluster): KafkaConsumer;
  newCluster(): KafkaCluster;
}

async function start(serverOptions: KafkaServerOptions = {}): Promise<Setup> {
  const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100 });
  cleanups.push(() => broker.close());
  const server = await KafkaServer.listen(broker, { port: 0, logger: silentLogger(), ...serverOptions });
  const setup: Setup = {
    broker,
    server,
    cluster: null as unknown as KafkaCluster,
    consumer(config = {}, cluster = setup.cluster) {
      const c = new KafkaConsumer(cluster, config);
      cleanups.push(() => c.close().catch(() => undefined));
      return c;
    },
    newCluster() {
      const c = new KafkaCluster({ bootstrapServers: [`127.0.0.1:${server.address.port}`], logger: silentLogger(), retries: 2, retryBackoffMs: 20 });
      cleanups.push(() => c.close());
      return c;
    },
  };
  cleanups.push(() => setup.server.close());
  (setup as { cluster: KafkaCluster }).cluster = setup.newCluster();
  return setup;
}

/** Produces `values` to one partition with the in-process producer. */
async function produce(broker: Broker, topic: string, partition: number, values: readonly string[]): Promise<void> {
  const p = inProcessClients(broker).producer();
  await p.send({ topic, messages: values.map((v) => ({ key: null, value: Buffer.from(v), partition })) });
  await p.close();
}

/** Polls until `n` records came back (or 50 polls); the values per partition, in order. */
async function pollValues(consumer: Consumer, n: number, maxWaitMs = 200): Promise<Map<number, string[]>> {
  const seen = new Map<number, string[]>();
  let total = 0;
  for (let i = 0; i < 50 && total < n; i++) {
    const r = await consumer.poll({ maxRecords: 3, maxWaitMs });
    for (const b of r.batches) {
      const list = seen.get(b.partition) ?? [];
      seen.set(b.partition, list);
      for (const rec of b.records) list.push(rec.value!.toString());
      total += b.records.length;
    }
  }
  return seen;
}

const tp0: TopicPartition = { topic: 't', partition: 0 };
const tp1: TopicPartition = { topic: 't', partition: 1 };

describe('KafkaConsumer with assign', () => {
  it('reads from earliest, a few records per poll, in offset order, positions after what it returned', async () => {
    const s = await start();
    await s.broker.createTopic('t', 2);
    await produce(s.broker, 't', 0, ['a0', 'a1', 'a2', 'a3', 'a4']);
    await produce(s.broker, 't', 0, ['a5', 'a6']);
    await produce(s.broker, 't', 1, ['b0', 'b1']);
    const c = s.consumer({ autoOffsetReset: 'earliest' });
    c.assign([tp0, tp1]);
    const seen = await pollValues(c, 9);
    expect(seen.get(0)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    expect(seen.get(1)).toEqual(['b0', 'b1']);
    expect(await c.position(tp0)).toBe(7);
    expect(await c.position(tp1)).toBe(2);
  });

  it("starts at the end with 'latest' and returns only what is produced later", async () => {
    const s = await start();
    await s.broker.createTopic('t', 1);
    await produce(s.broker, 't', 0, ['old0', 'old1']);
    const c = s.consumer({ autoOffsetReset: 'latest' });
    c.assign([tp0]);
    expect(await c.position(tp0)).toBe(2);
    expect((await c.poll({ maxWaitMs: 50 })).count).toBe(0);
    await produce(s.broker, 't', 0, ['new0']);
    expect((await pollValues(c, 1)).get(0)).toEqual(['new0']);
  });

  it('a long poll is woken by a produce, not by its timeout', async () => {
    const s = await start();
    await s.broker.createTopic('t', 1);
    const c = s.consumer({ autoOffsetReset: 'earliest' });
    c.assign([tp0]);
    expect((await c.poll({ maxWaitMs: 20 })).count).toBe(0);
    const started = Date.now();
    const polled = c.poll({ maxWaitMs: 10_000 });
    setTimeout(() => void produce(s.broker, 't', 0, ['wake']), 100);
    const r = await polled;
    expect(r.batches[0]?.records.map((x) => x.value!.toString())).toEqual(['wake']);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('seekToEnd and endOffsets use ListOffsets; seek drops what was fetched; out of range resets by policy', async () => {
    const s = await start();
    await s.broker.createTopic('t', 1);
    await produce(s.broker, 't', 0, ['0', '1', '2', '3', '4']);
    const c = s.consumer({ autoOffsetReset: 'earliest' });
    c.assign([tp0]);
    expect(await c.endOffsets([tp0])).toEqual([{ ...tp0, offset: 5 }]);
    const first = await c.poll({ maxRecords: 2, maxWaitMs: 100 });
    expect(first.batches[0]!.records.map((r) => r.offset)).toEqual([0, 1]);
    await c.seekToEnd([tp0]);
    expect(await c.position(tp0)).toBe(5);
    await produce(s.broker, 't', 0, ['5', '6']);
    expect((await pollValues(c, 2)).get(0)).toEqual(['5', '6']);
    await c.seekToBeginning([tp0]);
    expect(await c.position(tp0)).toBe(0);
    c.seek(tp0, 1_000);
    expect((await pollValues(c, 7)).get(0)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    await expect(c.seekToEnd([{ topic: 't', partition: 9 }])).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
  });

  it('pause stops returning (and fetching) a partition; resume brings it back', async () => {
    const s = await start();
    await s.broker.createTopic('t', 2);
    await produce(s.broker, 't', 0, ['a0', 'a1']);
    await produce(s.broker, 't', 1, ['b0', 'b1']);
    const c = s.consumer({ autoOffsetReset: 'earliest' });
    c.assign([tp0, tp1]);
    c.pause([tp0]);
    expect(c.paused()).toEqual([tp0]);
    const whilePaused = await pollValues(c, 2, 50);
    expect(whilePaused.get(0)).toBeUndefined();
    expect(whilePaused.get(1)).toEqual(['b0', 'b1']);
    expect((await c.poll({ maxWaitMs: 100 })).count).toBe(0);
    c.resume([tp0]);
    expect(c.paused()).toEqual([]);
    expect((await pollValues(c, 2)).get(0)).toEqual(['a0', 'a1']);
  });

  it('poll throws UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist', async () => {
    const s = await start();
    await s.broker.createTopic('t', 1);
    const c = s.consumer({ autoOffsetReset: 'earliest' });
    c.assign([{ topic: 'nope', partition: 0 }]);
    await expect(c.poll({ maxWaitMs: 50 })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });
});

/**
 * Polls every consumer in its own loop (as separate processes would: a member's poll may wait in a rebalance for the
 * others to poll) until `done` holds for their assignments; fails after 10 s.
 */
async function pollUntil(consumers: readonly Consumer[], done: (assignments: TopicPartition[][]) => boolean): Promise<TopicPartition[][]> {
  const deadline = Date.now() + 10_000;
  let isDone = false;
  const check = (): boolean => (isDone ||= done(consumers.map((c) => c.assignment())));
  await Promise.all(
    consumers.map(async (c) => {
      while (!check() && Date.now() < deadline) await c.poll({ maxWaitMs: 30 });
    }),
  );
  if (!isDone) throw new Error(`assignments never settled: ${JSON.stringify(consumers.map((c) => c.assignment()))}`);
  return consumers.map((c) => c.assignment());
}

const GROUP_CONFIG: ConsumerConfig = { autoOffsetReset: 'earliest', heartbeatIntervalMs: 30, sessionTimeoutMs: 1_000, maxPollIntervalMs: 10_000 };

describe('KafkaConsumer in a group', () => {
  it('two members split the partitions, each reads only its own; a third joining rebalances them three ways', async () => {
    const s = await start();
    await s.broker.createTopic('t', 6);
    const config: ConsumerConfig = { ...GROUP_CONFIG, groupId: 'g' };
    // One shares the test's cluster (and its connections) with the third; the group traffic must not block either.
    const a = s.consumer(config);
    const b = s.consumer(config, s.newCluster());
    a.subscribe(['t']);
    b.subscribe(['t']);
    const [fromA, fromB] = await pollUntil([a, b], (as) => as.every((x) => x.length === 3));
    expect(new Set([...fromA!, ...fromB!].map((tp) => tp.partition))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const twoWay = a.groupMetadata()!.generationId;

    for (let p = 0; p < 6; p++) await produce(s.broker, 't', p, [`p${p}`]);
    const got = new Map<Consumer, Set<number>>([
      [a, new Set()],
      [b, new Set()],
    ]);
    for (let i = 0; i < 50 && [...got.values()].reduce((n, x) => n + x.size, 0) < 6; i++) {
      await Promise.all(
        [a, b].map(async (c) => {
          for (const batch of (await c.poll({ maxWaitMs: 30 })).batches) {
            expect(c.assignment().some((tp) => tp.partition === batch.partition)).toBe(true);
            for (const r of batch.records) got.get(c)!.add(Number(r.value!.toString().slice(1)));
          }
        }),
      );
    }
    expect(got.get(a)).toEqual(new Set(fromA!.map((tp) => tp.partition)));
    expect(got.get(b)).toEqual(new Set(fromB!.map((tp) => tp.partition)));

    const c = s.consumer(config);
    c.subscribe(['t']);
    const three = await pollUntil([a, b, c], (as) => as.every((x) => x.length === 2));
    expect(new Set(three.flat().map((tp) => tp.partition))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const meta = c.groupMetadata();
    expect(meta?.groupId).toBe('g');
    expect(meta?.generationId).toBeGreaterThan(twoWay);
    expect(meta?.memberId).not.toBe('');
  });

  it('commits positions and explicit offsets; a member after a restart resumes from them', async () => {
    const s = await start();
    await s.broker.createTopic('t', 1);
    await produce(s.broker, 't', 0, ['0', '1', '2', '3', '4', '5']);
    const config: ConsumerConfig = { ...GROUP_CONFIG, groupId: 'g2' };
    const a = s.consumer(config);
    a.subscribe(['t']);
    let read: string[] = [];
    for (let i = 0; i < 20 && read.length === 0; i++) {
      read = (await a.poll({ maxRecords: 3, maxWaitMs: 50 })).batches.flatMap((b) => b.records.map((r) => r.value!.toString()));
    }
    expect(read).toEqual(['0', '1', '2']);
    await a.commit();
    expect(await a.committed([tp0])).toEqual([{ ...tp0, offset: 3, metadata: '' }]);
    await a.close();
    await expect(a.poll()).rejects.toMatchObject({ code: 'CLOSED' });

    const b = s.consumer(config);
    b.subscribe(['t']);
    expect((await pollValues(b, 3, 50)).get(0)).toEqual(['3', '4', '5']);
    await b.commit([{ ...tp0, offset: 4, metadata: 'half-way' }]);
    expect(await b.committed([tp0, tp1])).toEqual([{ ...tp0, offset: 4, metadata: 'half-way' }, null]);
  });

  it('a crashed member does not leave: the others get its partitions only once its session expires', async () => {
    const s = await start();
    await s.broker.createTopic('t', 2);
    const config: ConsumerConfig = { ...GROUP_CONFIG, groupId: 'g3', sessionTimeoutMs: 300 };
    const a = s.consumer(config);
    const b = s.consumer(config, s.newCluster());
    a.subscribe(['t']);
    b.subscribe(['t']);
    await pollUntil([a, b], (as) => as.every((x) => x.length === 1));
    a.simulateCrash();
    expect(s.broker.groups.describeGroup('g3').members).toHaveLength(2);
    await pollUntil([b], ([x]) => x!.length === 2);
    expect(s.broker.groups.describeGroup('g3').members).toHaveLength(1);

    // A clean close sends LeaveGroup: the member is gone at once.
    const c = s.consumer(config);
    c.subscribe(['t']);
    await pollUntil([b, c], (as) => as.every((x) => x.length === 1));
    await c.close();
    expect(s.broker.groups.describeGroup('g3').members).toHaveLength(1);
  });

  it('auto-commits the positions of what polls returned, and on close', async () => {
    const s = await start();
    await s.broker.createTopic('t', 1);
    await produce(s.broker, 't', 0, ['0', '1', '2', '3']);
    const config: ConsumerConfig = { ...GROUP_CONFIG, groupId: 'g5', enableAutoCommit: true, autoCommitIntervalMs: 60_000 };
    const a = s.consumer(config);
    a.subscribe(['t']);
    expect((await pollValues(a, 4)).get(0)).toEqual(['0', '1', '2', '3']);
    expect(await a.committed([tp0])).toEqual([null]);
    await a.close();
    const b = s.consumer({ ...GROUP_CONFIG, groupId: 'g5' });
    expect(await b.committed([tp0])).toEqual([{ ...tp0, offset: 4, metadata: '' }]);
  });

  it('subscribe to a topic that does not exist fails the poll', async () => {
    const s = await start();
    const c = s.consumer({ ...GROUP_CONFIG, groupId: 'g4' });
    c.subscribe(['missing']);
    await expect(c.poll({ maxWaitMs: 10 })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });
});

describe('KafkaConsumer with read_committed', () => {
  it('never returns records of aborted transactions; read_uncommitted does; endOffsets stop at the LSO', async () => {
    const s = await start();
    await s.broker.createTopic('t', 1);
    const clients = inProcessClients(s.broker);
    const txn = clients.producer({ transactionalId: 'tx-1' });
    await txn.initTransactions();
    txn.beginTransaction();
    await txn.send({ topic: 't', messages: [{ key: null, value: Buffer.from('aborted-1'), partition: 0 }, { key: null, value: Buffer.from('aborted-2'), partition: 0 }] });
    await produce(s.broker, 't', 0, ['plain-1']);
    await txn.abortTransaction();
    txn.beginTransaction();
    await txn.send({ topic: 't', messages: [{ key: null, value: Buffer.from('committed-1'), partition: 0 }] });
    await txn.commitTransaction();
    txn.beginTransaction();
    await txn.send({ topic: 't', messages: [{ key: null, value: Buffer.from('open-1'), partition: 0 }] });

    const committed = s.consumer({ autoOffsetReset: 'earliest', isolationLevel: 'read_committed' });
    committed.assign([tp0]);
    const uncommitted = s.consumer({ autoOffsetReset: 'earliest' });
    uncommitted.assign([tp0]);
    const [lso] = await committed.endOffsets([tp0]);
    const [hw] = await uncommitted.endOffsets([tp0]);
    expect(lso!.offset).toBeLessThan(hw!.offset);

    expect((await pollValues(committed, 2, 50)).get(0)).toEqual(['plain-1', 'committed-1']);
    expect((await pollValues(uncommitted, 5, 50)).get(0)).toEqual(['aborted-1', 'aborted-2', 'plain-1', 'committed-1', 'open-1']);
    await txn.commitTransaction();
    expect((await pollValues(committed, 1, 50)).get(0)).toEqual(['open-1']);
    await txn.close();
  });
});

describe('KafkaConsumer over bytes a broker may send', () => {
  it('fails a poll with CORRUPT_RECORD when a batch fails its CRC, after the good batches before it', async () => {
    const s = await start({
      extraHandlers: {
        [ApiKey.Fetch]: async (ctx, req) => {
          const res = await handleFetch(ctx, req);
          for (const t of res.responses) {
            for (const p of t.partitions) {
              const records = p.records;
              if (records === null || records.length === 0) continue;
              // Flip a byte of the last record of the second batch of the response (inside its CRC's range).
              const copy = Buffer.from(records);
              const firstSize = copy.readInt32BE(8) + 12;
              if (copy.length > firstSize) {
                const at = firstSize + copy.readInt32BE(firstSize + 8) + 11;
                copy[at] = copy[at]! ^ 0xff;
              }
              p.records = copy;
            }
          }
          return res;
        },
      },
    });
    await s.broker.createTopic('t', 1);
    await produce(s.broker, 't', 0, ['good-1', 'good-2']);
    await produce(s.broker, 't', 0, ['bad-1']);
    const c = s.consumer({ autoOffsetReset: 'earliest' });
    c.assign([tp0]);
    const first = await c.poll({ maxWaitMs: 200 });
    expect(first.batches[0]!.records.map((r) => r.value!.toString())).toEqual(['good-1', 'good-2']);
    const err: unknown = await c.poll({ maxWaitMs: 200 }).catch((e: unknown) => e);
    expect(isStreamsError(err, 'CORRUPT_RECORD')).toBe(true);
    expect((err as StreamsError).offset).toBe(2);
  });

  it('drops a last batch cut short by the byte limit and fetches it again', async () => {
    const s = await start({
      extraHandlers: {
        [ApiKey.Fetch]: async (ctx, req) => {
          const res = await handleFetch(ctx, req);
          for (const t of res.responses) {
            for (const p of t.partitions) {
              const records = p.records;
              if (records === null || records.length === 0) continue;
              const firstSize = records.readInt32BE(8) + 12;
              if (records.length > firstSize) p.records = records.subarray(0, firstSize + 20);
            }
          }
          return res;
        },
      },
    });
    await s.broker.createTopic('t', 1);
    for (let i = 0; i < 4; i++) await produce(s.broker, 't', 0, [`v${i}`]);
    const c = s.consumer({ autoOffsetReset: 'earliest' });
    c.assign([tp0]);
    expect((await pollValues(c, 4)).get(0)).toEqual(['v0', 'v1', 'v2', 'v3']);
  });
});

describe('KafkaConsumer when the broker goes away', () => {
  it('fails a poll with a retriable NETWORK_FAILED, then recovers when the server is back on the same port', async () => {
    const s = await start();
    await s.broker.createTopic('t', 1);
    await produce(s.broker, 't', 0, ['before']);
    const c = s.consumer({ autoOffsetReset: 'earliest' });
    c.assign([tp0]);
    expect((await pollValues(c, 1)).get(0)).toEqual(['before']);
    const port = s.server.address.port;
    await s.server.close();
    let failure: unknown = null;
    for (let i = 0; i < 5 && failure === null; i++) failure = await c.poll({ maxWaitMs: 50 }).then(() => null, (e: unknown) => e);
    expect(isStreamsError(failure, 'NETWORK_FAILED')).toBe(true);
    expect((failure as StreamsError).retriable).toBe(true);

    s.server = await KafkaServer.listen(s.broker, { port, logger: silentLogger() });
    await produce(s.broker, 't', 0, ['after']);
    let values: string[] = [];
    for (let i = 0; i < 40 && values.length === 0; i++) {
      const r = await c.poll({ maxWaitMs: 100 }).catch((e: unknown) => {
        if (isStreamsError(e) && e.retriable) return null;
        throw e;
      });
      values = r?.batches.flatMap((b) => b.records.map((x) => x.value!.toString())) ?? [];
    }
    expect(values).toEqual(['after']);
  });
});
