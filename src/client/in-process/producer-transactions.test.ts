import { afterEach, describe, expect, it } from 'vitest';
import { ManualTimers } from '../../../test/helpers/broker-test-doubles.js';
import { Broker } from '../../broker/broker.js';
import { encodeControlBatch } from '../../broker/control-batch.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../broker/offsets-topic.js';
import { encodeBatch } from '../../broker/record-batch.js';
import { MemoryStorage, type Storage } from '../../broker/storage.js';
import { isStreamsError, type StreamsErrorCode } from '../../errors.js';
import type { TopicPartition } from '../../record.js';
import { ManualClock } from '../../util/clock.js';
import { silentLogger } from '../../util/logger.js';
import type { IsolationLevel } from '../consumer.js';
import type { Producer } from '../producer.js';
import { inProcessClients } from './in-process-clients.js';

const clock = new ManualClock(1_700_000_000_000);
const brokers: Broker[] = [];

async function open(storage: Storage = new MemoryStorage()): Promise<Broker> {
  const b = await Broker.open({ storage, clock, logger: silentLogger(), maintenanceIntervalMs: 0, transactionAbortTimedOutIntervalMs: 0 });
  brokers.push(b);
  return b;
}

afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

const msgs = (partition: number, ...values: string[]) => values.map((v) => ({ key: null, value: Buffer.from(v), partition }));

/** Every record value of the topic's partitions as a read_committed or read_uncommitted consumer sees them. */
async function readAll(broker: Broker, topic: string, isolationLevel: IsolationLevel): Promise<string[][]> {
  const n = broker.describeTopic(topic).numPartitions;
  const tps: TopicPartition[] = Array.from({ length: n }, (_, partition) => ({ topic, partition }));
  const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest', isolationLevel });
  consumer.assign(tps);
  const out: string[][] = tps.map(() => []);
  const ends = await consumer.endOffsets(tps);
  for (let polls = 0; polls < 100; polls++) {
    const r = await consumer.poll({ maxWaitMs: 0, maxRecords: 7 });
    for (const b of r.batches) for (const rec of b.records) out[b.partition]!.push(rec.value!.toString());
    let done = true;
    for (const e of ends) if ((await consumer.position(e)) < e.offset) done = false;
    if (done && r.count === 0) break;
  }
  await consumer.close();
  return out;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: StreamsErrorCode): Promise<void> {
  let error: unknown = 'no error';
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e: unknown) {
    error = e;
  }
  expect(isStreamsError(error) ? error.code : error).toBe(code);
}

async function txProducer(broker: Broker, transactionalId = 'tx', transactionTimeoutMs?: number): Promise<Producer> {
  const p = inProcessClients(broker).producer({ transactionalId, ...(transactionTimeoutMs === undefined ? {} : { transactionTimeoutMs }) });
  await p.initTransactions();
  return p;
}

describe('transactional producer and read_committed consumer', () => {
  it('commit: records become visible to read_committed at once, never before; markers are never returned', async () => {
    const broker = await open();
    broker.createTopic('out', 2);
    const p = await txProducer(broker);
    p.beginTransaction();
    await p.send({ topic: 'out', messages: [...msgs(0, 'a', 'b'), ...msgs(1, 'c')] });
    await p.send({ topic: 'out', messages: msgs(0, 'd') });
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([[], []]);
    expect(await readAll(broker, 'out', 'read_uncommitted')).toEqual([['a', 'b', 'd'], ['c']]);
    expect(broker.partitionLog('out', 0).lastStableOffset).toBe(0);
    expect(broker.transactions.describe('tx')?.status).toBe('Ongoing');

    await p.commitTransaction();
    expect(broker.transactions.describe('tx')?.status).toBe('CompleteCommit');
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['a', 'b', 'd'], ['c']]);
    // One marker per partition after the data.
    expect(broker.partitionLog('out', 0).highWatermark).toBe(4);
    expect(broker.partitionLog('out', 0).lastStableOffset).toBe(4);
    expect(broker.listOffset('out', 1, 'latest', 'read_committed')).toBe(2);
  });

  it('abort: read_committed never sees the records, plain records around them stay visible', async () => {
    const broker = await open();
    broker.createTopic('out', 1);
    const plain = inProcessClients(broker).producer();
    const p = await txProducer(broker);
    await plain.send({ topic: 'out', messages: msgs(0, 'p1') });
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'x1', 'x2') });
    await plain.send({ topic: 'out', messages: msgs(0, 'p2') });
    // The plain record after the open transaction is held back by the LSO too.
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['p1']]);
    await p.abortTransaction();
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['p1', 'p2']]);
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'y') });
    await p.commitTransaction();
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['p1', 'p2', 'y']]);
    expect(await readAll(broker, 'out', 'read_uncommitted')).toEqual([['p1', 'x1', 'x2', 'p2', 'y']]);
    const [aborted] = broker.partitionLog('out', 0).abortedTransactions(0, 100);
    expect(aborted).toMatchObject({ firstOffset: 1, lastOffset: 4 });
  });

  it('a long poll under read_committed wakes up when the transaction commits', async () => {
    const broker = await open();
    broker.createTopic('out', 1);
    const p = await txProducer(broker);
    const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest', isolationLevel: 'read_committed' });
    consumer.assign([{ topic: 'out', partition: 0 }]);
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'a') });
    const polled = consumer.poll({ maxWaitMs: 20_000 });
    await new Promise((r) => setImmediate(r));
    await p.commitTransaction();
    const r = await polled;
    expect(r.batches.flatMap((b) => b.records.map((x) => x.value!.toString()))).toEqual(['a']);
    await consumer.close();
  });

  it('fences a zombie: the second initTransactions aborts its open transaction and refuses its sends, offsets and commit', async () => {
    const broker = await open();
    broker.createTopic('out', 2);
    broker.createTopic('in', 1);
    const zombie = await txProducer(broker);
    zombie.beginTransaction();
    await zombie.send({ topic: 'out', messages: msgs(0, 'z1') });
    const before = broker.transactions.describe('tx')!;

    const fresh = await txProducer(broker);
    const after = broker.transactions.describe('tx')!;
    expect(after.producerId).toBe(before.producerId);
    expect(after.producerEpoch).toBeGreaterThan(before.producerEpoch);
    // The zombie's open transaction was aborted.
    expect(broker.partitionLog('out', 0).lastStableOffset).toBe(broker.partitionLog('out', 0).highWatermark);
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([[], []]);

    // A partition it already added (no coordinator call on the way) and a new one are both refused.
    await expectCode(zombie.send({ topic: 'out', messages: msgs(0, 'z2') }), 'PRODUCER_FENCED');
    await expectCode(zombie.send({ topic: 'out', messages: msgs(1, 'z3') }), 'PRODUCER_FENCED');
    await expectCode(zombie.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 1 }], { groupId: 'g', memberId: '', generationId: -1 }), 'PRODUCER_FENCED');
    await expectCode(zombie.commitTransaction(), 'PRODUCER_FENCED');
    await expectCode(zombie.abortTransaction(), 'PRODUCER_FENCED');
    await expectCode(() => zombie.beginTransaction(), 'PRODUCER_FENCED');

    fresh.beginTransaction();
    await fresh.send({ topic: 'out', messages: msgs(0, 'f1') });
    await fresh.commitTransaction();
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['f1'], []]);
  });

  it('the partition refuses a batch of an older epoch once a marker of the new epoch reached it', async () => {
    const broker = await open();
    broker.createTopic('out', 1);
    const zombie = await txProducer(broker);
    zombie.beginTransaction();
    await zombie.send({ topic: 'out', messages: msgs(0, 'z1') });
    const { producerId, producerEpoch } = broker.transactions.describe('tx')!;
    await txProducer(broker);
    // What a client skipping the coordinator would send: refused by the log itself.
    const batch = encodeBatch([{ key: null, value: Buffer.from('z2'), timestampMs: 1 }], { producerId, producerEpoch, baseSequence: 1, isTransactional: true });
    await expectCode(broker.produce([{ topic: 'out', partition: 0, batch }]), 'PRODUCER_FENCED');
  });

  it('aborts a transaction open longer than its timeout; its producer aborts and carries on', async () => {
    const broker = await open();
    broker.createTopic('out', 1);
    const p = await txProducer(broker, 'tx', 1_000);
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'late') });
    clock.advance(1_000);
    expect((await broker.runMaintenance()).transactionsAborted).toBe(0);
    clock.advance(1);
    expect((await broker.runMaintenance()).transactionsAborted).toBe(1);
    expect(broker.transactions.describe('tx')?.status).toBe('CompleteAbort');
    expect(broker.partitionLog('out', 0).lastStableOffset).toBe(2);
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([[]]);

    await expectCode(p.send({ topic: 'out', messages: msgs(0, 'after') }), 'TRANSACTION_TIMED_OUT');
    await expectCode(p.commitTransaction(), 'ILLEGAL_STATE');
    await p.abortTransaction();
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'next') });
    await p.commitTransaction();
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['next']]);
  });

  it('a commit refused because the broker aborted the transaction on timeout leaves it abortable, as the Kafka client does', async () => {
    const broker = await open();
    broker.createTopic('out', 1);
    const p = await txProducer(broker, 'tx', 1_000);
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'late') });
    clock.advance(1_001);
    expect((await broker.runMaintenance()).transactionsAborted).toBe(1);
    await expectCode(p.commitTransaction(), 'TRANSACTION_TIMED_OUT');
    // Not retriable: the transaction can only be aborted now (a retried commit would fail the same way).
    await expectCode(p.commitTransaction(), 'ILLEGAL_STATE');
    await expectCode(p.send({ topic: 'out', messages: msgs(0, 'more') }), 'ILLEGAL_STATE');
    await p.abortTransaction();
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'next') });
    await p.commitTransaction();
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['next']]);
  });

  it('the broker timer aborts timed-out transactions without runMaintenance', async () => {
    const timers = new ManualTimers();
    const broker = await Broker.open({ clock, timers, logger: silentLogger(), maintenanceIntervalMs: 0, transactionAbortTimedOutIntervalMs: 500 });
    brokers.push(broker);
    broker.createTopic('out', 1);
    expect(timers.pendingCount).toBe(0); // no transactions yet: no timer
    const p = await txProducer(broker, 'tx', 1_000);
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'x') });
    clock.advance(1_001);
    timers.advance(500);
    for (let i = 0; i < 20 && broker.transactions.describe('tx')?.status !== 'CompleteAbort'; i++) await new Promise((r) => setImmediate(r));
    expect(broker.transactions.describe('tx')?.status).toBe('CompleteAbort');
  });

  it('offsets sent to the transaction are visible to the group only after the commit, never after an abort', async () => {
    const broker = await open();
    broker.createTopic('in', 2);
    broker.createTopic('out', 1);
    const p = await txProducer(broker);
    const group = { groupId: 'g', memberId: '', generationId: -1 };
    const tp0 = { topic: 'in', partition: 0 };

    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'r') });
    await p.sendOffsetsToTransaction([{ ...tp0, offset: 10 }], group);
    expect(broker.groups.fetchOffsets('g').size).toBe(0);
    expect(broker.groups.hasPendingTransactionalOffset('g', tp0)).toBe(true);
    const consumer = inProcessClients(broker).consumer({ groupId: 'g', isolationLevel: 'read_committed' });
    const stableRead = consumer.committed([tp0]);
    const uncommittedRead = await inProcessClients(broker).consumer({ groupId: 'g' }).committed([tp0]);
    expect(uncommittedRead).toEqual([null]);
    await p.commitTransaction();
    expect(await stableRead).toEqual([{ ...tp0, offset: 10, metadata: '' }]);

    p.beginTransaction();
    await p.sendOffsetsToTransaction([{ ...tp0, offset: 20 }, { topic: 'in', partition: 1, offset: 5 }], group);
    await p.abortTransaction();
    const committed = broker.groups.fetchOffsets('g');
    expect([...committed.values()].map((c) => [c.partition, c.offset])).toEqual([[0, 10]]);
    // The offsets partition carries the transaction's batch and markers.
    expect(broker.partitionLog(CONSUMER_OFFSETS_TOPIC, 0).lastStableOffset).toBe(broker.partitionLog(CONSUMER_OFFSETS_TOPIC, 0).highWatermark);
  });

  it('a consumer under read_committed starts from the offset a transaction commits, not from the one before it (KIP-447)', async () => {
    const broker = await open();
    broker.createTopic('in', 1);
    const tp = { topic: 'in', partition: 0 };
    await inProcessClients(broker).producer().send({ topic: 'in', messages: msgs(0, 'i0', 'i1', 'i2') });
    const p = await txProducer(broker);
    p.beginTransaction();
    await p.sendOffsetsToTransaction([{ ...tp, offset: 2 }], { groupId: 'g', memberId: '', generationId: -1 });
    const consumer = inProcessClients(broker).consumer({ groupId: 'g', isolationLevel: 'read_committed', autoOffsetReset: 'earliest' });
    consumer.assign([tp]);
    const position = consumer.position(tp);
    await p.commitTransaction();
    expect(await position).toBe(2);
    const r = await consumer.poll({ maxWaitMs: 0 });
    expect(r.batches.flatMap((b) => b.records.map((x) => x.value!.toString()))).toEqual(['i2']);
    await consumer.close();
  });

  it('refuses offsets of a stale generation (KIP-447); the transaction can then only be aborted', async () => {
    const broker = await open();
    broker.createTopic('in', 1);
    const join = await broker.groups.joinGroup({
      groupId: 'g',
      memberId: '',
      clientId: 'c',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: new Uint8Array(0) }],
    });
    await broker.groups.syncGroup({ groupId: 'g', memberId: join.memberId, generationId: join.generationId, assignments: [{ memberId: join.memberId, assignment: new Uint8Array(0) }] });
    const p = await txProducer(broker);
    p.beginTransaction();
    const offsets = [{ topic: 'in', partition: 0, offset: 3 }];
    await expectCode(p.sendOffsetsToTransaction(offsets, { groupId: 'g', memberId: join.memberId, generationId: join.generationId - 1 }), 'ILLEGAL_GENERATION');
    await expectCode(p.sendOffsetsToTransaction(offsets, { groupId: 'g', memberId: 'someone-else', generationId: join.generationId }), 'ILLEGAL_STATE');
    await expectCode(p.commitTransaction(), 'ILLEGAL_STATE');
    await p.abortTransaction();
    p.beginTransaction();
    await p.sendOffsetsToTransaction(offsets, { groupId: 'g', memberId: join.memberId, generationId: join.generationId });
    await p.commitTransaction();
    expect(broker.groups.fetchOffsets('g').get('in-0')?.offset).toBe(3);
  });

  it('finishes a commit interrupted after PrepareCommit when the broker reopens (markers and offsets)', async () => {
    const storage = new MemoryStorage();
    const crashed = await open(storage);
    crashed.createTopic('out', 2);
    crashed.createTopic('in', 1);
    const p = await txProducer(crashed);
    p.beginTransaction();
    await p.send({ topic: 'out', messages: [...msgs(0, 'a'), ...msgs(1, 'b')] });
    await p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 7 }], { groupId: 'g', memberId: '', generationId: -1 });
    crashed.transactions.afterPrepare = () => {
      throw new Error('crash after PrepareCommit');
    };
    await expect(p.commitTransaction()).rejects.toThrow('crash after PrepareCommit');
    expect(crashed.transactions.describe('tx')?.status).toBe('PrepareCommit');
    expect(await readAll(crashed, 'out', 'read_committed')).toEqual([[], []]);
    const usedPid = crashed.transactions.describe('tx')!.producerId;

    // A second broker over the same files, without closing the first: a process crash (nothing was shut down).
    const reopened = await open(storage);
    expect(reopened.transactions.describe('tx')?.status).toBe('CompleteCommit');
    expect(await readAll(reopened, 'out', 'read_committed')).toEqual([['a'], ['b']]);
    expect(reopened.groups.fetchOffsets('g').get('in-0')?.offset).toBe(7);
    // Producer ids are never reused across restarts.
    const other = await txProducer(reopened, 'other');
    expect(reopened.transactions.describe('other')!.producerId).not.toBe(usedPid);
    await other.close();
  });

  it('finishes an abort interrupted after PrepareAbort when the broker reopens', async () => {
    const storage = new MemoryStorage();
    const crashed = await open(storage);
    crashed.createTopic('out', 1);
    const plain = inProcessClients(crashed).producer();
    const p = await txProducer(crashed);
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'x') });
    await plain.send({ topic: 'out', messages: msgs(0, 'p') });
    crashed.transactions.afterPrepare = () => {
      throw new Error('crash after PrepareAbort');
    };
    await expect(p.abortTransaction()).rejects.toThrow('crash after PrepareAbort');
    const reopened = await open(storage);
    expect(reopened.transactions.describe('tx')?.status).toBe('CompleteAbort');
    expect(await readAll(reopened, 'out', 'read_committed')).toEqual([['p']]);
  });

  it('keeps an open transaction open across a crash (LSO rebuilt from the log) until it times out', async () => {
    const storage = new MemoryStorage();
    const crashed = await open(storage);
    crashed.createTopic('out', 1);
    const p = await txProducer(crashed, 'tx', 5_000);
    p.beginTransaction();
    await p.send({ topic: 'out', messages: msgs(0, 'open') });
    await inProcessClients(crashed).producer().send({ topic: 'out', messages: msgs(0, 'plain') });
    const reopened = await open(storage);
    expect(reopened.partitionLog('out', 0).lastStableOffset).toBe(0);
    expect(await readAll(reopened, 'out', 'read_committed')).toEqual([[]]);
    clock.advance(5_001);
    expect((await reopened.runMaintenance()).transactionsAborted).toBe(1);
    expect(await readAll(reopened, 'out', 'read_committed')).toEqual([['plain']]);
  });

  it('aborted transactions stay skipped after a clean restart and after a crash (index persisted, tail rebuilt)', async () => {
    const storage = new MemoryStorage();
    const first = await open(storage);
    first.createTopic('out', 1, { 'segment.bytes': 300 });
    const p = await txProducer(first);
    for (let i = 0; i < 6; i++) {
      p.beginTransaction();
      await p.send({ topic: 'out', messages: msgs(0, `v${i}`) });
      if (i % 2 === 0) await p.abortTransaction();
      else await p.commitTransaction();
    }
    const expected = [['v1', 'v3', 'v5']];
    expect(await readAll(first, 'out', 'read_committed')).toEqual(expected);
    expect(first.partitionLog('out', 0).segments.length).toBeGreaterThan(2);
    await first.close();
    brokers.splice(brokers.indexOf(first), 1);
    const second = await open(storage);
    expect(await readAll(second, 'out', 'read_committed')).toEqual(expected);
    const p2 = await txProducer(second);
    p2.beginTransaction();
    await p2.send({ topic: 'out', messages: msgs(0, 'v6') });
    await p2.abortTransaction();
    const third = await open(storage); // crash: second was never closed
    expect(await readAll(third, 'out', 'read_committed')).toEqual(expected);
    expect(third.partitionLog('out', 0).abortedTransactions(0, third.partitionLog('out', 0).highWatermark).length).toBe(4);
  });

  it('refuses calls the transaction state does not allow', async () => {
    const broker = await open();
    broker.createTopic('out', 1);
    const clients = inProcessClients(broker);
    expect(() => clients.producer({ transactionalId: 'x', idempotent: false })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    const plain = clients.producer();
    await expectCode(plain.initTransactions(), 'ILLEGAL_STATE');
    const p = clients.producer({ transactionalId: 'tx' });
    await expectCode(() => p.beginTransaction(), 'ILLEGAL_STATE');
    await expectCode(p.send({ topic: 'out', messages: msgs(0, 'a') }), 'ILLEGAL_STATE');
    await p.initTransactions();
    await expectCode(p.initTransactions(), 'ILLEGAL_STATE');
    await expectCode(p.send({ topic: 'out', messages: msgs(0, 'a') }), 'ILLEGAL_STATE');
    await expectCode(p.commitTransaction(), 'ILLEGAL_STATE');
    p.beginTransaction();
    await expectCode(() => p.beginTransaction(), 'ILLEGAL_STATE');
    // An empty transaction commits without the broker.
    await p.commitTransaction();
    await expectCode(clients.producer({ transactionalId: 'big', transactionTimeoutMs: 2_000_000 }).initTransactions(), 'INVALID_CONFIG');
    // Only the coordinator writes markers.
    const marker = encodeControlBatch('COMMIT', { producerId: 1, producerEpoch: 0, timestampMs: 1, coordinatorEpoch: 0 });
    await expectCode(broker.produce([{ topic: 'out', partition: 0, batch: marker }]), 'INVALID_RECORD');
  });

  it('keeps the order of sends while a new partition is being added to the transaction', async () => {
    const broker = await open();
    broker.createTopic('out', 2);
    const p = await txProducer(broker);
    p.beginTransaction();
    const sends = [
      p.send({ topic: 'out', messages: msgs(0, 'a') }),
      p.send({ topic: 'out', messages: [...msgs(1, 'b'), ...msgs(0, 'c')] }),
      p.send({ topic: 'out', messages: msgs(0, 'd') }),
    ];
    // commit waits for the sends it was not handed.
    await p.commitTransaction();
    await Promise.all(sends);
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([['a', 'c', 'd'], ['b']]);
  });
});
