import { StreamsError, toError } from '../errors.js';
import type { TopicPartition } from '../record.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from './consumer.js';

/**
 * The client side of a transactional producer, as Kafka's TransactionManager: Uninitialized -> (initTransactions)
 * Ready -> (beginTransaction) InTransaction -> Committing / Aborting -> Ready. A failed send or offset commit makes
 * the transaction AbortableError (only abort leaves it); being fenced is FatalError (only close).
 *
 * @example
 * ```ts
 * if (txn.state === 'AbortableError') await producer.abortTransaction();
 * ```
 */
export type ProducerTransactionState =
  | 'Uninitialized'
  | 'Initializing'
  | 'Ready'
  | 'InTransaction'
  | 'Committing'
  | 'Aborting'
  | 'AbortableError'
  | 'FatalError';

const TRANSITIONS: Record<ProducerTransactionState, readonly ProducerTransactionState[]> = {
  Uninitialized: ['Initializing'],
  Initializing: ['Ready', 'Uninitialized', 'FatalError'],
  Ready: ['InTransaction', 'FatalError'],
  InTransaction: ['Committing', 'Aborting', 'AbortableError', 'FatalError'],
  // A commit that failed on a retriable error (storage, closed, a lost connection) may be retried: back to InTransaction.
  Committing: ['Ready', 'InTransaction', 'AbortableError', 'FatalError'],
  Aborting: ['Ready', 'AbortableError', 'FatalError'],
  AbortableError: ['Aborting', 'AbortableError', 'FatalError'],
  FatalError: [],
};

/**
 * Who a transaction call is made for: the transactional id, its producer id and epoch, and the transaction timeout.
 *
 * @example
 * ```ts
 * await broker.transactions.endTxn(txn.transactionalId, txn.producerId, txn.producerEpoch, true);
 * ```
 */
export interface TransactionIdentity {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly timeoutMs: number;
}

/**
 * A producer id and epoch, as InitProducerId hands them out.
 *
 * @example
 * ```ts
 * const next: ProducerIdAndEpoch = { producerId: 7, producerEpoch: 1 };
 * ```
 */
export interface ProducerIdAndEpoch {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/**
 * How a {@link TransactionManager} reaches the transaction and group coordinators: the one part that differs between
 * the in-process producer (direct calls into the broker) and the Kafka-protocol one (requests). Every call rejects with
 * a StreamsError: PRODUCER_FENCED when a newer producer took the transactional id over.
 *
 * @example
 * ```ts
 * const calls: TransactionCoordinatorCalls = {
 *   initProducerId: (txn, current) => tc.initProducerId(txn.transactionalId, txn.timeoutMs, current ?? undefined),
 *   addPartitionsToTxn: (txn, partitions) => tc.addPartitionsToTxn(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions),
 *   // ... addOffsetsToTxn, txnOffsetCommit, endTxn
 * };
 * ```
 */
export interface TransactionCoordinatorCalls {
  /**
   * InitProducerId for the transactional id. `current` is the producer's own id and epoch when it re-initialises
   * after an abort (KIP-360), null on initTransactions; a transport that cannot send it may ignore it.
   */
  initProducerId(txn: TransactionIdentity, current: ProducerIdAndEpoch | null): Promise<ProducerIdAndEpoch>;
  addPartitionsToTxn(txn: TransactionIdentity, partitions: readonly TopicPartition[]): Promise<void>;
  addOffsetsToTxn(txn: TransactionIdentity, groupId: string): Promise<void>;
  /** TxnOffsetCommit with the consumer's generation, member id and instance id (KIP-447). */
  txnOffsetCommit(txn: TransactionIdentity, offsets: readonly OffsetToCommit[], group: ConsumerGroupMetadata): Promise<void>;
  endTxn(txn: TransactionIdentity, committed: boolean): Promise<void>;
  /**
   * A synchronous check that the producer is still the transactional id's current one: throws PRODUCER_FENCED, or
   * TRANSACTION_TIMED_OUT when the broker aborted the transaction on timeout. Where there is one (in-process) it runs
   * before every send and after an abort (a timed-out epoch is then replaced); without it (the Kafka protocol has no
   * such request) the partition leader refuses a stale epoch and a send after a failed AddPartitionsToTxn is held
   * back by the producer's own check of {@link TransactionManager.sendError}.
   */
  verify?(txn: TransactionIdentity): void;
}

function noop(): void {}

/**
 * The transactions of one producer, over any {@link TransactionCoordinatorCalls}: AddPartitionsToTxn as sends reach
 * new partitions (added optimistically: a failed add fails the transaction), AddOffsetsToTxn then TxnOffsetCommit,
 * EndTxn. Coordinator calls of one transaction run in order and sends wait for the add of their partitions, so
 * records keep their order; commit and abort first wait for every send in flight.
 *
 * Being fenced (PRODUCER_FENCED) is fatal: only close. Any other failed send or offset commit leaves the transaction
 * abortable; the abort then takes a new epoch (InitProducerId), because the sequence numbers of the failed batches
 * are uncertain.
 *
 * @example
 * ```ts
 * const txn = new TransactionManager(calls, 'app-0', 60_000, () => sequences.clear());
 * await txn.init();
 * txn.begin();
 * await (txn.beforeSend(partitionsOfThisSend) ?? undefined);
 * await txn.commit();
 * ```
 */
export class TransactionManager implements TransactionIdentity {
  readonly transactionalId: string;
  readonly timeoutMs: number;
  producerId = -1;
  producerEpoch = -1;
  readonly #calls: TransactionCoordinatorCalls;
  readonly #onNewEpoch: () => void;
  #state: ProducerTransactionState = 'Uninitialized';
  /** Partition keys already added to the open transaction. */
  readonly #partitions = new Set<string>();
  #hasOffsets = false;
  /** The latest pending coordinator call of this transaction; later sends wait for it so records keep their order. */
  #chain: Promise<void> | null = null;
  readonly #inFlight = new Set<Promise<unknown>>();
  #error: StreamsError | null = null;

  /** `onNewEpoch` runs whenever InitProducerId hands out a new id or epoch: the producer restarts its sequences. */
  constructor(calls: TransactionCoordinatorCalls, transactionalId: string, timeoutMs: number, onNewEpoch: () => void) {
    this.#calls = calls;
    this.transactionalId = transactionalId;
    this.timeoutMs = timeoutMs;
    this.#onNewEpoch = onNewEpoch;
  }

  get state(): ProducerTransactionState {
    return this.#state;
  }

  /** The error that makes sends impossible now (fenced, or a failed transaction awaiting abort), else null. */
  get sendError(): StreamsError | null {
    return this.#state === 'FatalError' || this.#state === 'AbortableError' ? this.#error : null;
  }

  async init(): Promise<void> {
    this.#transition('Initializing', 'initTransactions');
    try {
      this.#setEpoch(await this.#calls.initProducerId(this, null));
    } catch (e: unknown) {
      this.#state = 'Uninitialized';
      throw e;
    }
    this.#state = 'Ready';
  }

  begin(): void {
    this.#throwIfFailed();
    this.#transition('InTransaction', 'beginTransaction');
  }

  /**
   * Called by a send with its partitions (key -> partition): null when the send may go at once, else a promise to
   * await first (partitions being added, or an earlier coordinator call still running). Throws when no transaction
   * is open, and when {@link TransactionCoordinatorCalls.verify} says the producer is fenced or timed out.
   */
  beforeSend(partitions: ReadonlyMap<string, TopicPartition>): Promise<void> | null {
    try {
      this.#requireOpen('send');
      let added: TopicPartition[] | null = null;
      for (const [k, tp] of partitions) {
        if (this.#partitions.has(k)) continue;
        this.#partitions.add(k);
        (added ??= []).push({ topic: tp.topic, partition: tp.partition });
      }
      const calls = this.#calls;
      if (added !== null) {
        const newPartitions = added;
        return this.#enqueue(() => calls.addPartitionsToTxn(this, newPartitions));
      }
      if (this.#chain === null) {
        calls.verify?.(this);
        return null;
      }
      return calls.verify === undefined ? this.#chain : this.#enqueue(() => calls.verify?.(this));
    } catch (e: unknown) {
      throw this.#fail(e);
    }
  }

  /** Tracks a send of this transaction so commit and abort wait for it. */
  track(send: Promise<unknown>): void {
    this.#inFlight.add(send);
    const done = (): void => {
      this.#inFlight.delete(send);
    };
    send.then(done, done);
  }

  /** A send of the transaction failed: the transaction can now only be aborted (or nothing, when fenced). */
  onSendError(e: unknown): StreamsError {
    return this.#fail(e);
  }

  sendOffsets(offsets: readonly OffsetToCommit[], group: ConsumerGroupMetadata): Promise<void> {
    try {
      this.#requireOpen('sendOffsetsToTransaction');
    } catch (e: unknown) {
      return Promise.reject(e);
    }
    const p = this.#enqueue(async () => {
      await this.#calls.addOffsetsToTxn(this, group.groupId);
      this.#hasOffsets = true;
      await this.#calls.txnOffsetCommit(this, offsets, group);
    });
    this.track(p);
    return p;
  }

  async commit(): Promise<void> {
    this.#throwIfFailed();
    if (this.#state === 'AbortableError') {
      throw new StreamsError('ILLEGAL_STATE', `transaction of ${this.transactionalId} failed and can only be aborted`, { cause: this.#error });
    }
    this.#transition('Committing', 'commitTransaction');
    await this.#settle();
    // A send that failed while we waited has moved the transaction to AbortableError.
    if ((this.#state as ProducerTransactionState) !== 'Committing') {
      throw new StreamsError('ILLEGAL_STATE', `a send of the transaction of ${this.transactionalId} failed; abort it`, { cause: this.#error });
    }
    try {
      if (this.#partitions.size > 0 || this.#hasOffsets) await this.#calls.endTxn(this, true);
    } catch (e: unknown) {
      const err = toStreamsError(e);
      if (err.code === 'PRODUCER_FENCED') this.#fatal(err);
      else if (err.code === 'INVALID_TXN_STATE' || err.code === 'TRANSACTION_TIMED_OUT' || err.code === 'ILLEGAL_STATE') this.#abortable(err);
      else this.#state = 'InTransaction';
      throw err;
    }
    this.#reset();
  }

  async abort(): Promise<void> {
    this.#throwIfFailed();
    this.#transition('Aborting', 'abortTransaction');
    await this.#settle();
    try {
      if (this.#partitions.size > 0 || this.#hasOffsets) await this.#calls.endTxn(this, false);
      // After a failed send the sequences are uncertain, and after a timeout abort the epoch is gone: bump it (KIP-360).
      let needsNewEpoch = this.#error !== null;
      if (this.#calls.verify !== undefined) {
        try {
          this.#calls.verify(this);
        } catch (e: unknown) {
          if (toStreamsError(e).code === 'PRODUCER_FENCED') throw e;
          needsNewEpoch = true;
        }
      }
      if (needsNewEpoch) this.#setEpoch(await this.#calls.initProducerId(this, { producerId: this.producerId, producerEpoch: this.producerEpoch }));
    } catch (e: unknown) {
      const err = toStreamsError(e);
      if (err.code === 'PRODUCER_FENCED') this.#fatal(err);
      else this.#abortable(err);
      throw err;
    }
    this.#reset();
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  #enqueue(step: () => Promise<void> | void): Promise<void> {
    const prev = this.#chain;
    const run = (async () => {
      if (prev !== null) await prev;
      this.#requireOpen('send');
      await step();
    })().catch((e: unknown) => {
      throw this.#fail(e);
    });
    const tail = run.then(noop, noop);
    this.#chain = tail;
    void tail.then(() => {
      if (this.#chain === tail) this.#chain = null;
    });
    return run;
  }

  async #settle(): Promise<void> {
    while (this.#chain !== null || this.#inFlight.size > 0) {
      await Promise.allSettled([this.#chain, ...this.#inFlight]);
    }
  }

  #reset(): void {
    this.#partitions.clear();
    this.#hasOffsets = false;
    this.#error = null;
    this.#state = 'Ready';
  }

  #setEpoch(next: ProducerIdAndEpoch): void {
    this.producerId = next.producerId;
    this.producerEpoch = next.producerEpoch;
    this.#onNewEpoch();
  }

  #requireOpen(op: string): void {
    this.#throwIfFailed();
    if (this.#state === 'AbortableError') {
      throw new StreamsError('ILLEGAL_STATE', `cannot ${op}: the transaction of ${this.transactionalId} failed and must be aborted`, { cause: this.#error });
    }
    if (this.#state !== 'InTransaction' && this.#state !== 'Committing' && this.#state !== 'Aborting') {
      throw new StreamsError('ILLEGAL_STATE', `cannot ${op} in state ${this.#state}: ${this.#state === 'Ready' ? 'call beginTransaction first' : 'call initTransactions first'}`);
    }
  }

  #throwIfFailed(): void {
    if (this.#state === 'FatalError') throw this.#error ?? new StreamsError('PRODUCER_FENCED', `producer of ${this.transactionalId} was fenced`);
  }

  #fail(e: unknown): StreamsError {
    const err = toStreamsError(e);
    if (err.code === 'PRODUCER_FENCED') this.#fatal(err);
    else if (this.#state === 'InTransaction' || this.#state === 'Committing' || this.#state === 'Aborting') this.#abortable(err);
    return err;
  }

  #fatal(err: StreamsError): void {
    this.#error = err;
    this.#state = 'FatalError';
  }

  #abortable(err: StreamsError): void {
    // Keep the first cause: later failures are usually its consequences.
    if (this.#state !== 'AbortableError') this.#error = err;
    this.#state = 'AbortableError';
  }

  #transition(to: ProducerTransactionState, op: string): void {
    if (!TRANSITIONS[this.#state].includes(to)) {
      throw new StreamsError('ILLEGAL_STATE', `cannot ${op} in state ${this.#state} (transactional id ${this.transactionalId})`);
    }
    this.#state = to;
  }
}

function toStreamsError(e: unknown): StreamsError {
  return e instanceof StreamsError ? e : new StreamsError('PRODUCTION_FAILED', toError(e).message, { cause: e });
}

/**
 * A producer config's transaction settings, validated as both producers do: a `transactionalId` needs an idempotent
 * producer and must not be empty (INVALID_CONFIG); `transactionTimeoutMs` (default 60000) must be a positive integer.
 *
 * @example
 * ```ts
 * const { transactionalId, timeoutMs } = transactionSettings(config, isIdempotent); // transactionalId undefined: none
 * ```
 */
export function transactionSettings(
  config: { readonly transactionalId?: string; readonly transactionTimeoutMs?: number },
  isIdempotent: boolean,
): { readonly transactionalId: string | undefined; readonly timeoutMs: number } {
  const transactionalId = config.transactionalId;
  if (transactionalId !== undefined) {
    if (!isIdempotent) throw new StreamsError('INVALID_CONFIG', 'a transactional producer must be idempotent (idempotent: false with a transactionalId)');
    if (transactionalId === '') throw new StreamsError('INVALID_CONFIG', 'transactionalId must not be empty');
  }
  const timeoutMs = config.transactionTimeoutMs ?? 60_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new StreamsError('INVALID_CONFIG', `transactionTimeoutMs must be a positive integer, got ${timeoutMs}`);
  return { transactionalId, timeoutMs };
}

/**
 * The producer's transaction manager for a transaction call `op`: CLOSED once the producer is closed, ILLEGAL_STATE
 * when it has no `transactionalId`.
 *
 * @example
 * ```ts
 * commitTransaction(): Promise<void> { return requireTransactions(this.#txn, this.#closed, 'commitTransaction').commit(); }
 * ```
 */
export function requireTransactions(txn: TransactionManager | null, isClosed: boolean, op: string): TransactionManager {
  if (isClosed) throw new StreamsError('CLOSED', 'the producer is closed');
  if (txn === null) throw new StreamsError('ILLEGAL_STATE', `${op} needs a transactionalId in the producer config`);
  return txn;
}
