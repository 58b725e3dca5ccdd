import { describe, expect, it } from 'vitest';
import { errorCodeOf } from '../../test/helpers/error-code.js';
import { isStreamsError, StreamsError, type StreamsErrorCode } from '../errors.js';
import type { TopicPartition } from '../record.js';
import {
  requireTransactions,
  TransactionManager,
  transactionSettings,
  type ProducerIdAndEpoch,
  type TransactionCoordinatorCalls,
  type TransactionIdentity,
} from './transaction-manager.js';

/** Coordinator calls that record what they were asked and fail as a test says. */
class FakeCalls implements TransactionCoordinatorCalls {
  readonly log: string[] = [];
  nextEpoch = 0;
  failAdd: StreamsError | null = null;
  failEnd: StreamsError | null = null;
  /** Set to make verify() throw; undefined: the transport has no verify at all. */
  verifyError: StreamsError | null = null;
  /** Resolves a pending AddPartitionsToTxn when set by the test. */
  holdAdd: Promise<void> | null = null;
  verify?: (txn: TransactionIdentity) => void;

  constructor(withVerify: boolean) {
    if (withVerify) {
      this.verify = (txn) => {
        this.log.push(`verify ${txn.producerEpoch}`);
        if (this.verifyError !== null) throw this.verifyError;
      };
    }
  }

  async initProducerId(txn: TransactionIdentity, current: ProducerIdAndEpoch | null): Promise<ProducerIdAndEpoch> {
    this.log.push(`init ${txn.transactionalId} ${txn.timeoutMs} current=${current === null ? 'none' : `${current.producerId}/${current.producerEpoch}`}`);
    return { producerId: 7, producerEpoch: this.nextEpoch++ };
  }
  async addPartitionsToTxn(txn: TransactionIdentity, partitions: readonly TopicPartition[]): Promise<void> {
    this.log.push(`add ${partitions.map((tp) => `${tp.topic}-${tp.partition}`).join(',')} epoch ${txn.producerEpoch}`);
    if (this.holdAdd !== null) await this.holdAdd;
    if (this.failAdd !== null) throw this.failAdd;
  }
  async addOffsetsToTxn(_txn: TransactionIdentity, groupId: string): Promise<void> {
    this.log.push(`addOffsets ${groupId}`);
  }
  async txnOffsetCommit(): Promise<void> {
    this.log.push('txnOffsetCommit');
  }
  async endTxn(_txn: TransactionIdentity, committed: boolean): Promise<void> {
    this.log.push(committed ? 'commit' : 'abort');
    if (this.failEnd !== null) throw this.failEnd;
  }
}

const tp = (topic: string, partition: number): [string, TopicPartition] => [`${partition}\u0000${topic}`, { topic, partition }];
const parts = (...tps: [string, TopicPartition][]): Map<string, TopicPartition> => new Map(tps);

/** Lets the coordinator-call chain settle (it clears itself a few microtasks after its last call). */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function started(withVerify: boolean): Promise<{ calls: FakeCalls; txn: TransactionManager; epochs: number[] }> {
  const calls = new FakeCalls(withVerify);
  const epochs: number[] = [];
  const txn = new TransactionManager(calls, 'app-0', 1_000, () => epochs.push(txn.producerEpoch));
  await txn.init();
  txn.begin();
  return { calls, txn, epochs };
}

describe('TransactionManager', () => {
  it('walks Uninitialized -> Ready -> InTransaction -> Committing -> Ready, refusing calls out of order', async () => {
    const calls = new FakeCalls(false);
    const txn = new TransactionManager(calls, 'app-0', 1_000, () => undefined);
    expect(txn.state).toBe('Uninitialized');
    expect(await errorCodeOf(() => txn.begin())).toBe('ILLEGAL_STATE');
    expect(await errorCodeOf(() => txn.beforeSend(parts(tp('out', 0))))).toBe('ILLEGAL_STATE');
    await txn.init();
    expect(txn.state).toBe('Ready');
    expect([txn.producerId, txn.producerEpoch]).toEqual([7, 0]);
    expect(await errorCodeOf(() => txn.beforeSend(parts(tp('out', 0))))).toBe('ILLEGAL_STATE');
    expect(await errorCodeOf(txn.commit())).toBe('ILLEGAL_STATE');
    txn.begin();
    expect(txn.state).toBe('InTransaction');
    await txn.commit();
    expect(txn.state).toBe('Ready');
    // Nothing was sent: no EndTxn.
    expect(calls.log).toEqual(['init app-0 1000 current=none']);
  });

  it('adds each partition once per transaction, in order with the sends, and ends with EndTxn', async () => {
    const { calls, txn } = await started(false);
    await txn.beforeSend(parts(tp('out', 0), tp('out', 1)));
    await settled();
    expect(txn.beforeSend(parts(tp('out', 1)))).toBeNull();
    await txn.beforeSend(parts(tp('out', 1), tp('other', 0)));
    await txn.sendOffsets([{ topic: 'in', partition: 0, offset: 5 }], { groupId: 'g', memberId: 'm', generationId: 1 });
    await txn.commit();
    expect(calls.log.slice(1)).toEqual(['add out-0,out-1 epoch 0', 'add other-0 epoch 0', 'addOffsets g', 'txnOffsetCommit', 'commit']);
    // The next transaction adds its partitions again.
    txn.begin();
    await txn.beforeSend(parts(tp('out', 0)));
    expect(calls.log.at(-1)).toBe('add out-0 epoch 0');
  });

  it('with verify (in-process), checks every send and fails a send queued behind a failed add', async () => {
    const { calls, txn } = await started(true);
    await txn.beforeSend(parts(tp('out', 0)));
    await settled();
    expect(txn.beforeSend(parts(tp('out', 0)))).toBeNull();
    expect(calls.log.at(-1)).toBe('verify 0');
    let release!: () => void;
    calls.holdAdd = new Promise((r) => (release = r));
    calls.failAdd = new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', 'no such partition');
    const add = txn.beforeSend(parts(tp('gone', 0)));
    const behind = txn.beforeSend(parts(tp('out', 0)));
    expect(behind).not.toBeNull();
    release();
    expect(await errorCodeOf(add!)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(await errorCodeOf(behind!)).toBe('ILLEGAL_STATE');
    expect(txn.state).toBe('AbortableError');
    expect(txn.sendError?.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('without verify (Kafka protocol), a send queued behind an add waits for it and then sees sendError', async () => {
    const { calls, txn } = await started(false);
    let release!: () => void;
    calls.holdAdd = new Promise((r) => (release = r));
    calls.failAdd = new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', 'no such partition');
    const add = txn.beforeSend(parts(tp('gone', 0)));
    const behind = txn.beforeSend(parts(tp('gone', 0)));
    expect(behind).not.toBeNull();
    expect(txn.sendError).toBeNull();
    release();
    expect(await errorCodeOf(add!)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    await behind; // resolves: the producer's sender refuses the batch with sendError
    expect(txn.sendError?.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('keeps the first cause of an abortable transaction; commit refuses, abort takes a new epoch with the current one (KIP-360)', async () => {
    const { calls, txn, epochs } = await started(false);
    txn.onSendError(new StreamsError('STORAGE_FAILED', 'disk'));
    txn.onSendError(new StreamsError('TIMEOUT', 'a consequence'));
    expect(txn.state).toBe('AbortableError');
    const err = await txn.commit().catch((e: unknown) => e);
    expect(isStreamsError(err, 'ILLEGAL_STATE') && (err.cause as StreamsError).code).toBe('STORAGE_FAILED');
    await txn.abort();
    expect(txn.state).toBe('Ready');
    expect(calls.log.at(-1)).toBe('init app-0 1000 current=7/0');
    expect(txn.producerEpoch).toBe(1);
    expect(epochs).toEqual([0, 1]);
  });

  it.each<[StreamsErrorCode, string]>([
    ['INVALID_TXN_STATE', 'AbortableError'],
    ['TRANSACTION_TIMED_OUT', 'AbortableError'],
    ['ILLEGAL_STATE', 'AbortableError'],
    ['COORDINATOR_NOT_AVAILABLE', 'InTransaction'],
    ['PRODUCER_FENCED', 'FatalError'],
  ])('a commit whose EndTxn fails with %s leaves the transaction %s', async (code, state) => {
    const { calls, txn } = await started(false);
    await txn.beforeSend(parts(tp('out', 0)));
    calls.failEnd = new StreamsError(code, 'refused');
    expect(await errorCodeOf(txn.commit())).toBe(code);
    expect(txn.state).toBe(state);
    if (state === 'FatalError') {
      // Fenced is final: every later call throws the fencing error.
      expect(await errorCodeOf(txn.abort())).toBe('PRODUCER_FENCED');
      expect(await errorCodeOf(() => txn.begin())).toBe('PRODUCER_FENCED');
      expect(txn.sendError?.code).toBe('PRODUCER_FENCED');
    }
  });

  it('with verify, an abort whose epoch a timeout replaced takes a new epoch; without a failure or timeout it keeps the epoch', async () => {
    const { calls, txn } = await started(true);
    await txn.beforeSend(parts(tp('out', 0)));
    await txn.abort();
    expect(calls.log.filter((l) => l.startsWith('init'))).toHaveLength(1);
    txn.begin();
    await txn.beforeSend(parts(tp('out', 0)));
    calls.verifyError = new StreamsError('TRANSACTION_TIMED_OUT', 'aborted by the broker');
    await txn.abort();
    expect(calls.log.at(-1)).toBe('init app-0 1000 current=7/0');
    expect(txn.producerEpoch).toBe(1);
    // Fenced while aborting: fatal.
    calls.verifyError = new StreamsError('PRODUCER_FENCED', 'newer producer');
    txn.begin();
    expect(await errorCodeOf(txn.abort())).toBe('PRODUCER_FENCED');
    expect(txn.state).toBe('FatalError');
  });

  it('commit waits for the sends in flight and fails when one of them failed meanwhile', async () => {
    const { calls, txn } = await started(false);
    await txn.beforeSend(parts(tp('out', 0)));
    let fail!: (e: unknown) => void;
    const send = new Promise<void>((_, reject) => (fail = reject)).catch((e: unknown) => {
      throw txn.onSendError(e);
    });
    txn.track(send);
    const commit = txn.commit();
    fail(new StreamsError('RECORD_TOO_LARGE', 'too big'));
    expect(await errorCodeOf(send)).toBe('RECORD_TOO_LARGE');
    expect(await errorCodeOf(commit)).toBe('ILLEGAL_STATE');
    expect(calls.log).not.toContain('commit');
    expect(txn.state).toBe('AbortableError');
  });
});

describe('transactionSettings and requireTransactions', () => {
  it('validate a producer config as both producers do', async () => {
    expect(transactionSettings({}, true)).toEqual({ transactionalId: undefined, timeoutMs: 60_000 });
    expect(transactionSettings({ transactionalId: 't', transactionTimeoutMs: 5 }, true)).toEqual({ transactionalId: 't', timeoutMs: 5 });
    expect(await errorCodeOf(() => transactionSettings({ transactionalId: 't' }, false))).toBe('INVALID_CONFIG');
    expect(await errorCodeOf(() => transactionSettings({ transactionalId: '' }, true))).toBe('INVALID_CONFIG');
    expect(await errorCodeOf(() => transactionSettings({ transactionTimeoutMs: 0.5 }, true))).toBe('INVALID_CONFIG');
    const txn = new TransactionManager(new FakeCalls(false), 't', 1, () => undefined);
    expect(requireTransactions(txn, false, 'commitTransaction')).toBe(txn);
    expect(await errorCodeOf(() => requireTransactions(txn, true, 'commitTransaction'))).toBe('CLOSED');
    expect(await errorCodeOf(() => requireTransactions(null, false, 'commitTransaction'))).toBe('ILLEGAL_STATE');
  });
});
