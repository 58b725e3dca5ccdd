import type { Broker } from '../../broker/broker.js';
import { StreamsError, toError } from '../../errors.js';
import type { TopicPartition } from '../../record.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from '../consumer.js';

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
  // A commit that failed on a retriable error (storage, closed) may be retried: back to InTransaction.
  Committing: ['Ready', 'InTransaction', 'AbortableError', 'FatalError'],
  Aborting: ['Ready', 'AbortableError', 'FatalError'],
  AbortableError: ['Aborting', 'AbortableError', 'FatalError'],
  FatalError: [],
};

function noop(): void {}

/**
 * Transactions of one in-process producer: talks to the broker's transaction coordinator (AddPartitionsToTxn as
 * sends reach new partitions, AddOffsetsToTxn + TxnOffsetCommit, EndTxn), keeps sends in order while a partition
 * is being added, and waits for in-flight sends before ending a transaction.
 *
 * @example
 * ```ts
 * const txn = new ProducerTransactions(broker, 'app-0', 60_000, () => sequences.clear());
 * await txn.init();
 * txn.begin();
 * await (txn.beforeSend(partitionsOfThisSend) ?? undefined);
 * await txn.commit();
 * ```
 */
export class ProducerTransactions {
  readonly transactionalId: string;
  readonly #broker: Broker;
  readonly #timeoutMs: number;
  readonly #onNewEpoch: () => void;
  #state: ProducerTransactionState = 'Uninitialized';
  producerId = -1;
  producerEpoch = -1;
  /** Partition keys already added to the open transaction (added optimistically: a failed add fails the transaction). */
  readonly #partitions = new Set<string>();
  #hasOffsets = false;
  /** The latest pending coordinator call of this transaction; later sends wait for it so records keep their order. */
  #chain: Promise<void> | null = null;
  readonly #inFlight = new Set<Promise<unknown>>();
  #error: StreamsError | null = null;

  constructor(broker: Broker, transactionalId: string, timeoutMs: number, onNewEpoch: () => void) {
    this.#broker = broker;
    this.transactionalId = transactionalId;
    this.#timeoutMs = timeoutMs;
    this.#onNewEpoch = onNewEpoch;
  }

  get state(): ProducerTransactionState {
    return this.#state;
  }

  async init(): Promise<void> {
    this.#transition('Initializing', 'initTransactions');
    try {
      const r = await this.#broker.transactions.initProducerId(this.transactionalId, this.#timeoutMs);
      this.#setEpoch(r.producerId, r.producerEpoch);
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
   * Called by a send with its partitions (key -> partition): null when the send may go at once, else a promise
   * to await first (partitions being added, or an earlier add still running). Throws when no transaction is open.
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
      if (added === null && this.#chain === null) {
        this.#broker.transactions.verify(this.transactionalId, this.producerId, this.producerEpoch);
        return null;
      }
      const newPartitions = added;
      return this.#enqueue(() =>
        newPartitions === null
          ? this.#broker.transactions.verify(this.transactionalId, this.producerId, this.producerEpoch)
          : this.#broker.transactions.addPartitionsToTxn(this.transactionalId, this.producerId, this.producerEpoch, newPartitions),
      );
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
      const tc = this.#broker.transactions;
      await tc.addOffsetsToTxn(this.transactionalId, this.producerId, this.producerEpoch, group.groupId);
      this.#hasOffsets = true;
      await this.#broker.groups.commitTransactionalOffsets({
        groupId: group.groupId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        memberId: group.memberId,
        generationId: group.generationId,
        ...(group.groupInstanceId === undefined ? {} : { groupInstanceId: group.groupInstanceId }),
        offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' })),
      });
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
      if (this.#partitions.size > 0 || this.#hasOffsets) {
        await this.#broker.transactions.endTxn(this.transactionalId, this.producerId, this.producerEpoch, true);
      }
    } catch (e: unknown) {
      const err = toStreamsError(e);
      if (err.code === 'PRODUCER_FENCED') this.#fatal(err);
      else if (err.code === 'ILLEGAL_STATE') this.#abortable(err);
      else this.#state = 'InTransaction';
      throw err;
    }
    this.#reset();
  }

  async abort(): Promise<void> {
    this.#throwIfFailed();
    this.#transition('Aborting', 'abortTransaction');
    await this.#settle();
    const tc = this.#broker.transactions;
    try {
      if (this.#partitions.size > 0 || this.#hasOffsets) await tc.endTxn(this.transactionalId, this.producerId, this.producerEpoch, false);
      // After a failed send the sequences are uncertain, and after a timeout abort the epoch is gone: bump it (KIP-360).
      let needsNewEpoch = this.#error !== null;
      try {
        tc.verify(this.transactionalId, this.producerId, this.producerEpoch);
      } catch (e: unknown) {
        if (toStreamsError(e).code === 'PRODUCER_FENCED') throw e;
        needsNewEpoch = true;
      }
      if (needsNewEpoch) {
        const r = await tc.initProducerId(this.transactionalId, this.#timeoutMs, { producerId: this.producerId, producerEpoch: this.producerEpoch });
        this.#setEpoch(r.producerId, r.producerEpoch);
      }
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

  #setEpoch(producerId: number, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
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
    this.#error = err;
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
