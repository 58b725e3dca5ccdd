import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../broker/broker.js';
import { deleteRecordsHandlers } from '../../broker/server/delete-records-handler.js';
import { KafkaServer } from '../../broker/server/kafka-server.js';
import { isStreamsError, StreamsError } from '../../errors.js';
import type { TopicPartition } from '../../record.js';
import { silentLogger } from '../../util/logger.js';
import type { IsolationLevel } from '../consumer.js';
import { inProcessClients } from '../in-process/in-process-clients.js';
import { partitionForKey } from '../murmur2.js';
import type { RecordMetadata } from '../producer.js';
import { kafkaClients } from './kafka-clients.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(): Promise<{ broker: Broker; clients: ReturnType<typeof kafkaClients>; port: number }> {
  const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, transactionAbortTimedOutIntervalMs: 0 });
  cleanups.push(() => broker.close());
  // DeleteRecords is not in the server's default table yet.
  const server = await KafkaServer.listen(broker, { port: 0, logger: silentLogger(), extraHandlers: deleteRecordsHandlers });
  cleanups.push(() => server.close());
  const clients = kafkaClients({ bootstrapServers: [`127.0.0.1:${server.address.port}`], clientId: 'test', logger: silentLogger(), retryBackoffMs: 5, maxRetryBackoffMs: 20 });
  cleanups.push(() => clients.close());
  return { broker, clients, port: server.address.port };
}

/** Every record of a topic as `key=value` per partition, read in-process (the reference reader). */
async function readAll(broker: Broker, topic: string, isolationLevel: IsolationLevel = 'read_uncommitted'): Promise<string[][]> {
  const n = broker.describeTopic(topic).numPartitions;
  const tps: TopicPartition[] = Array.from({ length: n }, (_, partition) => ({ topic, partition }));
  const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest', isolationLevel });
  consumer.assign(tps);
  const ends = await consumer.endOffsets(tps);
  const out: string[][] = tps.map(() => []);
  for (let polls = 0; polls < 1000; polls++) {
    if (await Promise.all(tps.map((tp) => consumer.position(tp))).then((ps) => ps.every((p, i) => p >= ends[i]!.offset))) break;
    const r = await consumer.poll({ maxWaitMs: 0 });
    for (const b of r.batches) for (const rec of b.records) out[b.partition]!.push(`${rec.key?.toString() ?? ''}=${rec.value?.toString() ?? ''}`);
  }
  await consumer.close();
  return out;
}

const text = (s: string): Buffer => Buffer.from(s);

describe('KafkaAdmin against a tributary network broker', () => {
  it('creates, lists, describes and deletes topics', async () => {
    const { broker, clients } = await start();
    const admin = clients.admin;
    await admin.createTopics([
      { topic: 'a', numPartitions: 3 },
      { topic: 'b', numPartitions: 1, configs: { 'cleanup.policy': 'compact' } },
    ]);
    expect(broker.describeTopic('a').numPartitions).toBe(3);
    expect(await admin.listTopics()).toEqual(['a', 'b']);
    expect(await admin.listTopics({ includeInternal: true })).toEqual(expect.arrayContaining(['a', 'b']));

    // Idempotent for the same spec; a conflicting partition count is TOPIC_ALREADY_EXISTS.
    await admin.createTopics([{ topic: 'a', numPartitions: 3 }]);
    await expect(admin.createTopics([{ topic: 'a', numPartitions: 4 }])).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
    await expect(admin.createTopics([{ topic: '../x', numPartitions: 1 }])).rejects.toMatchObject({ code: 'INVALID_TOPIC' });

    await clients.producer().send({ topic: 'a', messages: [{ key: null, value: text('v'), partition: 1 }, { key: null, value: text('w'), partition: 1 }] });
    const [a, b] = await admin.describeTopics(['a', 'b']);
    expect(a!.partitions).toEqual([
      { partition: 0, logStartOffset: 0, highWatermark: 0 },
      { partition: 1, logStartOffset: 0, highWatermark: 2 },
      { partition: 2, logStartOffset: 0, highWatermark: 0 },
    ]);
    expect(a!.isInternal).toBe(false);
    expect(b!.configs['cleanup.policy']).toBe('compact');
    expect(b!.configs['retention.ms']).toBe(broker.describeTopic('b').config['retention.ms']);

    await admin.deleteTopics(['b']);
    expect(broker.hasTopic('b')).toBe(false);
    expect(await admin.listTopics()).toEqual(['a']);
    await expect(admin.deleteTopics(['b'])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.describeTopics(['b'])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('lists offsets (earliest, latest, by time) and deletes records', async () => {
    const { clients } = await start();
    const admin = clients.admin;
    await admin.createTopics([{ topic: 't', numPartitions: 2 }]);
    const messages = [10, 20, 30, 40].map((ts) => ({ key: null, value: text(String(ts)), timestampMs: ts, partition: 0 }));
    await clients.producer().send({ topic: 't', messages });
    const tp = { topic: 't', partition: 0 };
    const offsets = await admin.listOffsets([
      { ...tp, spec: 'earliest' },
      { ...tp, spec: 'latest' },
      { ...tp, spec: { timestampMs: 25 } },
      { ...tp, spec: { timestampMs: 99 } },
      { topic: 't', partition: 1, spec: 'latest' },
    ]);
    expect(offsets.map((o) => o.offset)).toEqual([0, 4, 2, 4, 0]);

    expect(await admin.deleteRecords([{ ...tp, beforeOffset: 3 }])).toEqual([{ ...tp, lowWatermark: 3 }]);
    const [earliest] = await admin.listOffsets([{ ...tp, spec: 'earliest' }]);
    expect(earliest!.offset).toBe(3);
    await expect(admin.listOffsets([{ topic: 'nope', partition: 0, spec: 'latest' }])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });
});

describe('KafkaProducer against a tributary network broker', () => {
  it('puts keys on the same partitions as the in-process producer (murmur2), in order', async () => {
    const { broker, clients } = await start();
    await clients.admin.createTopics([
      { topic: 'net', numPartitions: 5 },
      { topic: 'local', numPartitions: 5 },
    ]);
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: text(`key-${i % 37}`), value: text(String(i)) }));
    const netMeta = await clients.producer().send({ topic: 'net', messages });
    await inProcessClients(broker).producer().send({ topic: 'local', messages });
    const net = await readAll(broker, 'net');
    expect(net).toEqual(await readAll(broker, 'local'));
    for (let p = 0; p < 5; p++) for (const r of net[p]!) expect(partitionForKey(text(r.split('=')[0]!), 5)).toBe(p);
    expect(netMeta.reduce((n, m) => n + m.recordCount, 0)).toBe(200);
    for (const m of netMeta) expect(m.baseOffset).toBe(0);
  });

  it('sendBatch over several topics, concurrent sends, null keys sticky per send, big sends split', async () => {
    const { broker, clients } = await start();
    await clients.admin.createTopics([
      { topic: 'x', numPartitions: 2 },
      { topic: 'y', numPartitions: 3 },
    ]);
    const producer = clients.producer({ maxBatchBytes: 1000 });
    const meta = await producer.sendBatch([
      { topic: 'x', messages: [{ key: null, value: text('x0') }, { key: null, value: text('x1') }] },
      { topic: 'y', messages: [{ key: text('k'), value: text('y0') }] },
    ]);
    expect(meta).toHaveLength(2);
    expect(meta[0]).toMatchObject({ topic: 'x', recordCount: 2 });
    expect(meta[1]).toMatchObject({ topic: 'y', partition: partitionForKey(text('k'), 3), recordCount: 1, baseOffset: 0 });

    // 50 concurrent sends to one (so far empty) partition: all acknowledged, offsets dense and in call order.
    const p = (partitionForKey(text('k'), 3) + 1) % 3;
    const sends: Promise<RecordMetadata[]>[] = [];
    for (let i = 0; i < 50; i++) sends.push(producer.send({ topic: 'y', messages: [{ key: null, value: text(`c${i}`), partition: p }] }));
    const results = await Promise.all(sends);
    expect(results.map((r) => r[0]!.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect((await readAll(broker, 'y'))[p]).toEqual(Array.from({ length: 50 }, (_, i) => `=c${i}`));

    // 100 records of ~100 bytes with maxBatchBytes 1000: split into several batches, still one dense range.
    const big = Array.from({ length: 100 }, (_, i) => ({ key: null, value: Buffer.alloc(100, i), partition: 0 }));
    const [m] = await producer.send({ topic: 'x', messages: big });
    expect(m).toMatchObject({ topic: 'x', partition: 0, recordCount: 100 });
    expect(broker.partitionLog('x', 0).highWatermark).toBe(m!.baseOffset + 100);

    await expect(producer.send({ topic: 'nope', messages: [{ key: null, value: null }] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(producer.send({ topic: 'x', messages: [{ key: null, value: null, partition: 7 }] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(await producer.partitionCount('y')).toBe(3);
    await producer.close();
    await expect(producer.send({ topic: 'x', messages: [{ key: null, value: null }] })).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('non-idempotent producers with acks 1 and acks 0 deliver too', async () => {
    const { broker, clients, port } = await start();
    await clients.admin.createTopics([{ topic: 'z', numPartitions: 1 }]);
    const acks0 = kafkaClients({ bootstrapServers: [`127.0.0.1:${port}`], acks: 0, logger: silentLogger() });
    cleanups.push(() => acks0.close());
    expect(() => acks0.producer()).not.toThrow();
    expect(() => acks0.producer({ idempotent: true })).toThrow(StreamsError);
    const [m] = await acks0.producer().send({ topic: 'z', messages: [{ key: null, value: text('fire') }] });
    expect(m!.baseOffset).toBe(-1);
    const [n] = await clients.producer({ idempotent: false }).send({ topic: 'z', messages: [{ key: null, value: text('and') }] });
    expect(n!.baseOffset).toBeGreaterThanOrEqual(0);
    expect((await readAll(broker, 'z'))[0]).toEqual(['=fire', '=and']);
  });
});

describe('KafkaProducer transactions against a tributary network broker', () => {
  it('commit and abort: a read_committed reader sees exactly the committed records', async () => {
    const { broker, clients } = await start();
    await clients.admin.createTopics([{ topic: 'out', numPartitions: 2 }]);
    const tx = clients.producer({ transactionalId: 'tx-1' });
    await tx.initTransactions();
    tx.beginTransaction();
    await tx.send({ topic: 'out', messages: [{ key: null, value: text('a1'), partition: 0 }, { key: null, value: text('b1'), partition: 1 }] });
    await tx.commitTransaction();
    tx.beginTransaction();
    await tx.send({ topic: 'out', messages: [{ key: null, value: text('a2'), partition: 0 }] });
    await tx.abortTransaction();
    tx.beginTransaction();
    await tx.send({ topic: 'out', messages: [{ key: null, value: text('a3'), partition: 0 }] });
    // Open: read_committed stops at the LSO, read_uncommitted sees it.
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['=a1'], ['=b1']]);
    expect((await readAll(broker, 'out', 'read_uncommitted'))[0]).toEqual(['=a1', '=a2', '=a3']);
    await tx.commitTransaction();
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['=a1', '=a3'], ['=b1']]);
    expect(() => tx.beginTransaction()).not.toThrow();
    await tx.abortTransaction();
  });

  it('sendOffsetsToTransaction commits the group offsets only with the transaction', async () => {
    const { broker, clients } = await start();
    await clients.admin.createTopics([
      { topic: 'in', numPartitions: 1 },
      { topic: 'out', numPartitions: 1 },
    ]);
    const tx = clients.producer({ transactionalId: 'tx-offsets' });
    await tx.initTransactions();
    const group = { groupId: 'g', memberId: '', generationId: -1 };
    const committed = async (): Promise<number | null> => {
      const c = inProcessClients(broker).consumer({ groupId: 'g' });
      const [info] = await c.committed([{ topic: 'in', partition: 0 }]);
      await c.close();
      return info?.offset ?? null;
    };
    tx.beginTransaction();
    await tx.send({ topic: 'out', messages: [{ key: null, value: text('r') }] });
    await tx.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 5 }], group);
    await tx.abortTransaction();
    expect(await committed()).toBeNull();
    tx.beginTransaction();
    await tx.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 7 }], group);
    await tx.commitTransaction();
    expect(await committed()).toBe(7);
  });

  it('a second producer with the same transactional id fences the first', async () => {
    const { broker, clients } = await start();
    await clients.admin.createTopics([{ topic: 'out', numPartitions: 1 }]);
    const old = clients.producer({ transactionalId: 'shared' });
    await old.initTransactions();
    old.beginTransaction();
    await old.send({ topic: 'out', messages: [{ key: null, value: text('zombie') }] });

    const next = clients.producer({ transactionalId: 'shared' });
    await next.initTransactions(); // aborts the open transaction of `old`
    next.beginTransaction();
    await next.send({ topic: 'out', messages: [{ key: null, value: text('live') }] });
    await next.commitTransaction();

    const sent = old.send({ topic: 'out', messages: [{ key: null, value: text('late') }] });
    await expect(sent).rejects.toMatchObject({ code: 'PRODUCER_FENCED' });
    await expect(old.commitTransaction()).rejects.toMatchObject({ code: 'PRODUCER_FENCED' });
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['=live']]);
  });

  it('a failed send makes the transaction abortable; the abort takes a new epoch and the next transaction works', async () => {
    const { broker, clients } = await start();
    await clients.admin.createTopics([
      { topic: 'small', numPartitions: 1, configs: { 'max.message.bytes': 200 } },
      { topic: 'out', numPartitions: 1 },
    ]);
    const tx = clients.producer({ transactionalId: 'recovers' });
    await tx.initTransactions();
    const epoch = (): number => broker.transactions.describe('recovers')!.producerEpoch;
    const first = epoch();
    tx.beginTransaction();
    await tx.send({ topic: 'out', messages: [{ key: null, value: text('doomed') }] });
    await expect(tx.send({ topic: 'small', messages: [{ key: null, value: Buffer.alloc(1000) }] })).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE' });
    await expect(tx.commitTransaction()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    await expect(tx.send({ topic: 'out', messages: [{ key: null, value: text('x') }] })).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    await tx.abortTransaction();
    expect(epoch()).toBeGreaterThan(first);
    tx.beginTransaction();
    await tx.send({ topic: 'out', messages: [{ key: null, value: text('ok') }] });
    await tx.commitTransaction();
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['=ok']]);
  });

  it('refuses sends outside a transaction and calls out of order', async () => {
    const { clients } = await start();
    await clients.admin.createTopics([{ topic: 'out', numPartitions: 1 }]);
    const tx = clients.producer({ transactionalId: 'order' });
    expect(() => tx.beginTransaction()).toThrow(StreamsError);
    await tx.initTransactions();
    const e = await tx.send({ topic: 'out', messages: [{ key: null, value: null }] }).catch((x: unknown) => x);
    expect(isStreamsError(e, 'ILLEGAL_STATE')).toBe(true);
    await expect(clients.producer().initTransactions()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
  });
});


describe('kafkaClients', () => {
  it('hands out a consumer that reads what its producer wrote, and close() closes every client', async () => {
    const { clients } = await start();
    await clients.admin.createTopics([{ topic: 'rt', numPartitions: 1 }]);
    await clients.producer().send({ topic: 'rt', messages: [{ key: text('k'), value: text('v') }] });
    const consumer = clients.consumer({ autoOffsetReset: 'earliest', clientId: 'reader' });
    consumer.assign([{ topic: 'rt', partition: 0 }]);
    const seen: string[] = [];
    for (let i = 0; i < 50 && seen.length === 0; i++) {
      const r = await consumer.poll({ maxWaitMs: 100 });
      for (const b of r.batches) for (const rec of b.records) seen.push(`${rec.key?.toString()}=${rec.value?.toString()}`);
    }
    expect(seen).toEqual(['k=v']);
    const producer = clients.producer();
    await clients.close();
    await expect(producer.send({ topic: 'rt', messages: [{ key: null, value: null }] })).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => clients.producer()).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});
