import { describe, expect, it } from 'vitest';
import { isStreamsError, type StreamsErrorCode } from '../errors.js';
import type { TopicPartition } from '../record.js';
import { ManualClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import type { ControlRecordType } from './control-batch.js';
import { TransactionCoordinator, type TransactionCoordinatorHost } from './transaction-coordinator.js';
import { decodeTransactionKey, decodeTransactionValue, encodeTransactionKey, encodeTransactionValue, type TransactionState } from './transaction-state-topic.js';

type Event =
  | { readonly kind: 'persist'; readonly status: string; readonly epoch: number; readonly partitions: number }
  | { readonly kind: 'markers'; readonly type: ControlRecordType; readonly producerId: number; readonly epoch: number; readonly partitions: readonly TopicPartition[] }
  | { readonly kind: 'completed'; readonly producerId: number; readonly isCommit: boolean };

/** A host that records what the coordinator asks of the broker; `failPersist` makes the next persist fail. */
class FakeHost implements TransactionCoordinatorHost {
  readonly events: Event[] = [];
  readonly persisted = new Map<string, TransactionState>();
  nextId = 100;
  failPersist = false;
  allocateProducerId(): number {
    return this.nextId++;
  }
  async persist(state: TransactionState): Promise<void> {
    await null;
    if (this.failPersist) {
      this.failPersist = false;
      throw new Error('disk full');
    }
    this.persisted.set(state.transactionalId, state);
    this.events.push({ kind: 'persist', status: state.status, epoch: state.producerEpoch, partitions: state.partitions.length });
  }
  async writeMarkers(type: ControlRecordType, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<void> {
    await null;
    this.events.push({ kind: 'markers', type, producerId, epoch: producerEpoch, partitions });
  }
  onTransactionCompleted(producerId: number, isCommit: boolean): void {
    this.events.push({ kind: 'completed', producerId, isCommit });
  }
  offsetsPartitionFor(): number {
    return 3;
  }
  hasPartition(topic: string, partition: number): boolean {
    return topic !== 'missing' && partition >= 0 && partition < 4;
  }
}

function setup(): { tc: TransactionCoordinator; host: FakeHost; clock: ManualClock } {
  const host = new FakeHost();
  const clock = new ManualClock(10_000);
  return { tc: new TransactionCoordinator({ clock, logger: silentLogger(), host, maxTimeoutMs: 60_000 }), host, clock };
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

const out0 = { topic: 'out', partition: 0 };
const out1 = { topic: 'out', partition: 1 };

describe('TransactionCoordinator', () => {
  it('commits in two phases: PrepareCommit durable, then markers to every partition, then CompleteCommit', async () => {
    const { tc, host } = setup();
    const { producerId, producerEpoch } = await tc.initProducerId('t', 5_000);
    expect([producerId, producerEpoch]).toEqual([100, 0]);
    await tc.addPartitionsToTxn('t', producerId, producerEpoch, [out0]);
    await tc.addPartitionsToTxn('t', producerId, producerEpoch, [out0]); // nothing new: not persisted again
    await tc.addOffsetsToTxn('t', producerId, producerEpoch, 'group');
    host.events.length = 0;
    await tc.endTxn('t', producerId, producerEpoch, true);
    expect(host.events).toEqual([
      { kind: 'persist', status: 'PrepareCommit', epoch: 0, partitions: 2 },
      { kind: 'markers', type: 'COMMIT', producerId: 100, epoch: 0, partitions: [out0, { topic: '__consumer_offsets', partition: 3 }] },
      { kind: 'completed', producerId: 100, isCommit: true },
      { kind: 'persist', status: 'CompleteCommit', epoch: 0, partitions: 0 },
    ]);
    // A retried EndTxn is answered without doing it twice; the opposite decision is refused.
    await tc.endTxn('t', producerId, producerEpoch, true);
    expect(host.events).toHaveLength(4);
    await tc.addPartitionsToTxn('t', producerId, producerEpoch, [out1]);
    await tc.endTxn('t', producerId, producerEpoch, false);
    await expectCode(tc.endTxn('t', producerId, producerEpoch, true), 'INVALID_TXN_STATE');
  });

  it('a new producer with the same id bumps the epoch, aborts the open transaction with markers of the new epoch, and fences the old one', async () => {
    const { tc, host } = setup();
    const old = await tc.initProducerId('t', 5_000);
    await tc.addPartitionsToTxn('t', old.producerId, old.producerEpoch, [out0, out1]);
    host.events.length = 0;
    const fresh = await tc.initProducerId('t', 5_000);
    expect(fresh.producerId).toBe(old.producerId);
    expect(fresh.producerEpoch).toBeGreaterThan(old.producerEpoch);
    const markers = host.events.filter((e) => e.kind === 'markers');
    expect(markers).toEqual([{ kind: 'markers', type: 'ABORT', producerId: old.producerId, epoch: old.producerEpoch + 1, partitions: [out0, out1] }]);
    expect(tc.describe('t')).toMatchObject({ status: 'Empty', producerEpoch: fresh.producerEpoch, partitions: [] });
    await expectCode(tc.addPartitionsToTxn('t', old.producerId, old.producerEpoch, [out0]), 'PRODUCER_FENCED');
    await expectCode(tc.endTxn('t', old.producerId, old.producerEpoch, true), 'PRODUCER_FENCED');
    await expectCode(() => tc.verify('t', old.producerId, old.producerEpoch), 'PRODUCER_FENCED');
    // KIP-360: re-initialising with a stale epoch is refused, with the current one allowed.
    await expectCode(tc.initProducerId('t', 5_000, old), 'PRODUCER_FENCED');
    const again = await tc.initProducerId('t', 5_000, fresh);
    expect(again.producerEpoch).toBe(fresh.producerEpoch + 1);
  });

  it('aborts on timeout with an epoch bump; the timed-out producer may abort and re-initialise, not commit', async () => {
    const { tc, host, clock } = setup();
    const p = await tc.initProducerId('t', 1_000);
    await tc.addPartitionsToTxn('t', p.producerId, p.producerEpoch, [out0]);
    clock.advance(1_000);
    expect(await tc.abortTimedOutTransactions()).toBe(0);
    clock.advance(1);
    expect(await tc.abortTimedOutTransactions()).toBe(1);
    expect(host.events.at(-3)).toMatchObject({ kind: 'markers', type: 'ABORT', epoch: p.producerEpoch + 1 });
    expect(tc.describe('t')?.status).toBe('CompleteAbort');
    await expectCode(tc.endTxn('t', p.producerId, p.producerEpoch, true), 'TRANSACTION_TIMED_OUT');
    await expectCode(() => tc.verify('t', p.producerId, p.producerEpoch), 'TRANSACTION_TIMED_OUT');
    await tc.endTxn('t', p.producerId, p.producerEpoch, false);
    const next = await tc.initProducerId('t', 1_000, p);
    expect(next.producerEpoch).toBe(p.producerEpoch + 2);
    // The old epoch is now simply fenced.
    await expectCode(() => tc.verify('t', p.producerId, p.producerEpoch), 'PRODUCER_FENCED');
  });

  it('runs the calls of one transactional id one at a time, in order', async () => {
    const { tc, host } = setup();
    const p = await tc.initProducerId('t', 5_000);
    await tc.addPartitionsToTxn('t', p.producerId, p.producerEpoch, [out0]);
    host.events.length = 0;
    // Started together: the fencing init waits for the commit to finish, so the commit is not aborted.
    const commit = tc.endTxn('t', p.producerId, p.producerEpoch, true);
    const init = tc.initProducerId('t', 5_000);
    await Promise.all([commit, init]);
    expect(host.events.filter((e) => e.kind === 'markers').map((e) => (e.kind === 'markers' ? e.type : ''))).toEqual(['COMMIT']);
  });

  it('keeps its state when a write fails, and completes a Prepare* left by a failure on the next call', async () => {
    const { tc, host } = setup();
    const p = await tc.initProducerId('t', 5_000);
    host.failPersist = true;
    await expect(tc.addPartitionsToTxn('t', p.producerId, p.producerEpoch, [out0])).rejects.toThrow('disk full');
    expect(tc.describe('t')?.status).toBe('Empty');
    await tc.addPartitionsToTxn('t', p.producerId, p.producerEpoch, [out0]);
    tc.afterPrepare = () => {
      throw new Error('stop');
    };
    await expect(tc.endTxn('t', p.producerId, p.producerEpoch, true)).rejects.toThrow('stop');
    tc.afterPrepare = null;
    expect(tc.describe('t')?.status).toBe('PrepareCommit');
    await tc.endTxn('t', p.producerId, p.producerEpoch, true);
    expect(tc.describe('t')?.status).toBe('CompleteCommit');
  });

  it('finishes Prepare* states loaded at open, and hands out ids that were never used', async () => {
    const { tc, host } = setup();
    tc.load(
      new Map([
        ['a', { transactionalId: 'a', producerId: 7, producerEpoch: 3, timeoutMs: 5_000, status: 'PrepareAbort', partitions: [out1], startMs: 1, lastUpdateMs: 2 }],
        ['b', { transactionalId: 'b', producerId: 8, producerEpoch: 0, timeoutMs: 5_000, status: 'Ongoing', partitions: [out0], startMs: 1, lastUpdateMs: 2 }],
      ]),
    );
    await tc.completePending();
    expect(host.events.filter((e) => e.kind !== 'persist')).toEqual([
      { kind: 'markers', type: 'ABORT', producerId: 7, epoch: 3, partitions: [out1] },
      { kind: 'completed', producerId: 7, isCommit: false },
    ]);
    expect(tc.describe('a')?.status).toBe('CompleteAbort');
    expect(tc.describe('b')?.status).toBe('Ongoing');
  });

  it('starts a new producer id when the epoch is exhausted', async () => {
    const { tc } = setup();
    tc.load(new Map([['t', { transactionalId: 't', producerId: 7, producerEpoch: 32_766, timeoutMs: 5_000, status: 'Empty', partitions: [], startMs: -1, lastUpdateMs: 2 }]]));
    expect(await tc.initProducerId('t', 5_000)).toEqual({ producerId: 100, producerEpoch: 0 });
  });

  it('validates its input', async () => {
    const { tc } = setup();
    await expectCode(tc.initProducerId('t', 60_001), 'INVALID_CONFIG');
    await expectCode(tc.initProducerId('', 1_000), 'INVALID_CONFIG');
    await expectCode(tc.addPartitionsToTxn('unknown', 1, 0, [out0]), 'ILLEGAL_STATE');
    const p = await tc.initProducerId('t', 1_000);
    await expectCode(tc.addPartitionsToTxn('t', p.producerId, p.producerEpoch, [{ topic: 'missing', partition: 0 }]), 'UNKNOWN_TOPIC_OR_PARTITION');
    tc.close();
    await expectCode(tc.initProducerId('t', 1_000), 'CLOSED');
  });
});

describe('__transaction_state records', () => {
  const state: TransactionState = {
    transactionalId: 'tx',
    producerId: 5,
    producerEpoch: 2,
    timeoutMs: 60_000,
    status: 'Ongoing',
    partitions: [out0, out1],
    startMs: 900,
    lastUpdateMs: 1_000,
  };

  it("use Kafka's TransactionLogKey v0 and TransactionLogValue v0 layouts (golden bytes)", () => {
    expect(encodeTransactionKey('tx').toString('hex')).toBe('0000' + '0002' + '7478');
    expect(encodeTransactionValue(state).toString('hex')).toBe(
      '0000' + // version
        '0000000000000005' + // producerId
        '0002' + // producerEpoch
        '0000ea60' + // transactionTimeoutMs
        '01' + // status Ongoing
        '00000001' + // one topic
        '0003' + '6f7574' + // 'out'
        '00000002' + '00000000' + '00000001' + // partitions 0, 1
        '00000000000003e8' + // lastUpdateTimestampMs
        '0000000000000384', // startTimestampMs
    );
  });

  it('round-trip, and refuse truncated values', () => {
    expect(decodeTransactionKey(encodeTransactionKey('tx'))).toBe('tx');
    expect(decodeTransactionValue('tx', encodeTransactionValue(state))).toEqual(state);
    const empty = { ...state, status: 'CompleteCommit' as const, partitions: [], startMs: -1 };
    expect(decodeTransactionValue('tx', encodeTransactionValue(empty))).toEqual(empty);
    expect(() => decodeTransactionValue('tx', encodeTransactionValue(state).subarray(0, 20))).toThrow(expect.objectContaining({ code: 'CORRUPT_RECORD' }));
  });
});
