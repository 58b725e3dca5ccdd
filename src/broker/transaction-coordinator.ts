/**
 * The transaction coordinator of the included broker (Kafka's TransactionCoordinator): producer ids and epochs per
 * transactional id, fencing, the two-phase commit, transaction timeouts, and recovery of a commit interrupted by a
 * crash. Its state is durable in `__transaction_state` (see transaction-state-topic.ts) before it acts on it.
 *
 * Commit (and abort) is two-phase: PrepareCommit is written to the state topic (the decision is now durable), then
 * a COMMIT control batch to every partition the transaction touched (their records become visible to
 * read_committed readers; `__consumer_offsets` partitions make the transaction's offsets visible), then
 * CompleteCommit. A broker that opens with a Prepare* state writes the markers again and completes it.
 */
import { StreamsError } from '../errors.js';
import { topicPartitionKey, type TopicPartition } from '../record.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { ControlRecordType } from './control-batch.js';
import { CONSUMER_OFFSETS_TOPIC } from './offsets-topic.js';
import type { TransactionState, TransactionStatus } from './transaction-state-topic.js';

/** Kafka's TransactionMetadata transitions: the states each state may move to. */
const TRANSITIONS: Record<TransactionStatus, readonly TransactionStatus[]> = {
  Empty: ['Empty', 'Ongoing'],
  Ongoing: ['Ongoing', 'PrepareCommit', 'PrepareAbort'],
  PrepareCommit: ['CompleteCommit'],
  PrepareAbort: ['CompleteAbort'],
  CompleteCommit: ['Empty', 'Ongoing'],
  CompleteAbort: ['Empty', 'Ongoing'],
};

const MAX_EPOCH = 0x7fff;

/**
 * What the coordinator needs from its broker: producer ids, the state topic, marker writes and the group
 * coordinator's pending transactional offsets.
 *
 * @example
 * ```ts
 * const host: TransactionCoordinatorHost = { allocateProducerId: () => broker.allocateProducerId(), persist: (s) => topic.persist(s), ... };
 * ```
 */
export interface TransactionCoordinatorHost {
  allocateProducerId(): number;
  /** Makes a state change durable (`__transaction_state`); resolves when acknowledged. */
  persist(state: TransactionState): Promise<void>;
  /** Appends a COMMIT or ABORT marker to each partition (skipping deleted topics); resolves when all are acknowledged. */
  writeMarkers(type: ControlRecordType, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<void>;
  /** The markers are written: pending transactional offsets of this producer become committed, or are dropped. */
  onTransactionCompleted(producerId: number, isCommit: boolean): void;
  /** The `__consumer_offsets` partition holding a group's offsets. */
  offsetsPartitionFor(groupId: string): number;
  /** Whether the partition exists (AddPartitionsToTxn refuses unknown ones). */
  hasPartition(topic: string, partition: number): boolean;
}

/**
 * Options of {@link TransactionCoordinator}.
 *
 * @example
 * ```ts
 * const options: TransactionCoordinatorOptions = { clock, logger, host, maxTimeoutMs: 900_000 };
 * ```
 */
export interface TransactionCoordinatorOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly host: TransactionCoordinatorHost;
  /** Kafka's transaction.max.timeout.ms: the largest transaction timeout a producer may ask for (default 900000). */
  readonly maxTimeoutMs?: number;
}

/**
 * A producer id and epoch handed out by {@link TransactionCoordinator.initProducerId}.
 *
 * @example
 * ```ts
 * const { producerId, producerEpoch } = await broker.transactions.initProducerId('app-0', 60_000);
 * ```
 */
export interface ProducerIdAndEpoch {
  readonly producerId: number;
  readonly producerEpoch: number;
}

interface Meta extends TransactionState {
  /** The epoch before a timeout abort bumped it (KIP-588): that producer may abort and re-initialise; -1 otherwise. */
  readonly lastProducerEpoch: number;
}

function noop(): void {}

/**
 * The transaction coordinator. Calls for one transactional id run one at a time, in order; calls for different ids
 * interleave. Errors: `PRODUCER_FENCED` for a producer whose epoch (or producer id) is no longer current,
 * `INVALID_CONFIG` for a timeout out of range, `UNKNOWN_TOPIC_OR_PARTITION`, `ILLEGAL_STATE` for calls the state does
 * not allow (and, until codes exist, for a transaction the broker aborted on timeout), `CLOSED`.
 *
 * @example
 * ```ts
 * const { producerId, producerEpoch } = await tc.initProducerId('app-0', 60_000);
 * await tc.addPartitionsToTxn('app-0', producerId, producerEpoch, [{ topic: 'out', partition: 0 }]);
 * // ... transactional batches appended to out-0 ...
 * await tc.endTxn('app-0', producerId, producerEpoch, true);
 * ```
 */
export class TransactionCoordinator {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #host: TransactionCoordinatorHost;
  readonly #maxTimeoutMs: number;
  readonly #states = new Map<string, Meta>();
  readonly #queues = new Map<string, Promise<void>>();
  #closed = false;
  /**
   * Test hook: runs after a Prepare* record is durable and before any marker is written. Throwing stops the commit
   * there, as a crash at that moment would; reopening the broker then finishes it.
   */
  afterPrepare: ((transactionalId: string, status: 'PrepareCommit' | 'PrepareAbort') => void) | null = null;

  constructor(options: TransactionCoordinatorOptions) {
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#host = options.host;
    this.#maxTimeoutMs = options.maxTimeoutMs ?? 900_000;
  }

  /** Seeds the state read back from `__transaction_state` at broker open; nothing is persisted. */
  load(states: ReadonlyMap<string, TransactionState>): void {
    for (const [id, s] of states) this.#states.set(id, { ...s, lastProducerEpoch: -1 });
  }

  /** Finishes every transaction a crash left in PrepareCommit / PrepareAbort (markers, then Complete*). */
  async completePending(): Promise<void> {
    const work: Promise<void>[] = [];
    for (const m of this.#states.values()) {
      if (m.status !== 'PrepareCommit' && m.status !== 'PrepareAbort') continue;
      this.#logger.info({ transactionalId: m.transactionalId, status: m.status }, 'completing a transaction interrupted by a restart');
      work.push(this.#serial(m.transactionalId, () => this.#completeIfPrepared(m.transactionalId)));
    }
    await Promise.all(work);
  }

  /** The state of a transactional id, or undefined. */
  describe(transactionalId: string): TransactionState | undefined {
    const m = this.#states.get(transactionalId);
    if (m === undefined) return undefined;
    const { lastProducerEpoch: _, ...s } = m;
    return s;
  }

  /** Every known transactional id with its state (Kafka's ListTransactions). */
  list(): TransactionState[] {
    return [...this.#states.keys()].map((id) => this.describe(id)!);
  }

  /**
   * Kafka's InitProducerId for a transactional id: a new id gets a fresh producer id at epoch 0; a known one gets
   * its epoch bumped, which fences every producer holding an older epoch. A transaction of the old epoch that is
   * still open is aborted first (markers written with the new epoch), one being completed is completed.
   * `current` (KIP-360) is the caller's own id and epoch when it re-initialises: refused with PRODUCER_FENCED
   * unless still current (or the epoch a timeout abort replaced).
   */
  initProducerId(transactionalId: string, timeoutMs: number, current?: ProducerIdAndEpoch): Promise<ProducerIdAndEpoch> {
    if (transactionalId === '') return Promise.reject(new StreamsError('INVALID_CONFIG', 'transactionalId must not be empty'));
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > this.#maxTimeoutMs) {
      return Promise.reject(
        new StreamsError('INVALID_CONFIG', `transaction timeout ${timeoutMs} ms is outside [1, ${this.#maxTimeoutMs}] (transaction.max.timeout.ms)`),
      );
    }
    return this.#serial(transactionalId, async () => {
      const now = this.#clock.nowMs();
      let m = this.#states.get(transactionalId);
      if (m === undefined) {
        const fresh: Meta = this.#meta(transactionalId, this.#host.allocateProducerId(), 0, timeoutMs, now);
        await this.#write(fresh);
        return { producerId: fresh.producerId, producerEpoch: 0 };
      }
      if (current !== undefined) {
        const isCurrent = current.producerId === m.producerId && (current.producerEpoch === m.producerEpoch || current.producerEpoch === m.lastProducerEpoch);
        if (!isCurrent) throw this.#fenced(transactionalId, current.producerId, current.producerEpoch);
      }
      await this.#completeIfPrepared(transactionalId);
      m = this.#states.get(transactionalId)!;
      const isExhausted = m.producerEpoch >= MAX_EPOCH - 1;
      if (m.status === 'Ongoing') {
        this.#logger.info({ transactionalId, producerId: m.producerId, epoch: m.producerEpoch }, 'fencing the previous producer: aborting its open transaction');
        await this.#finish(m, false, Math.min(m.producerEpoch + 1, MAX_EPOCH), -1);
        m = this.#states.get(transactionalId)!;
      }
      // Epochs only grow (a fencing or timeout abort has bumped it already); near the int16 limit a new id starts at 0.
      const next: Meta = isExhausted
        ? this.#meta(transactionalId, this.#host.allocateProducerId(), 0, timeoutMs, now)
        : this.#meta(transactionalId, m.producerId, Math.min(m.producerEpoch + 1, MAX_EPOCH), timeoutMs, now);
      await this.#write(next);
      return { producerId: next.producerId, producerEpoch: next.producerEpoch };
    });
  }

  /**
   * Kafka's AddPartitionsToTxn: the partitions join the producer's transaction (beginning one if none is open:
   * its timeout starts now). Durable before it resolves, so the markers reach them whatever happens next.
   */
  addPartitionsToTxn(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<void> {
    return this.#serial(transactionalId, async () => {
      this.#check(transactionalId, producerId, producerEpoch);
      for (const tp of partitions) {
        if (!this.#host.hasPartition(tp.topic, tp.partition)) {
          throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `cannot add unknown partition ${tp.topic}-${tp.partition} to a transaction`, tp);
        }
      }
      await this.#completeIfPrepared(transactionalId);
      const m = this.#states.get(transactionalId)!;
      const isOpen = m.status === 'Ongoing';
      const have = new Set(isOpen ? m.partitions.map((tp) => topicPartitionKey(tp.topic, tp.partition)) : []);
      const added = partitions.filter((tp) => {
        const k = topicPartitionKey(tp.topic, tp.partition);
        if (have.has(k)) return false;
        have.add(k);
        return true;
      });
      if (isOpen && added.length === 0) return;
      const now = this.#clock.nowMs();
      const base = isOpen ? m.partitions : [];
      await this.#write({
        ...m,
        status: 'Ongoing',
        partitions: [...base, ...added.map((tp) => ({ topic: tp.topic, partition: tp.partition }))],
        startMs: isOpen ? m.startMs : now,
        lastUpdateMs: now,
      });
    });
  }

  /** Kafka's AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
  addOffsetsToTxn(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<void> {
    return this.addPartitionsToTxn(transactionalId, producerId, producerEpoch, [
      { topic: CONSUMER_OFFSETS_TOPIC, partition: this.#host.offsetsPartitionFor(groupId) },
    ]);
  }

  /**
   * Kafka's EndTxn: commits (or aborts) the producer's open transaction in two phases and resolves when every
   * marker is written. Idempotent: ending a transaction already completed the same way (a retry) succeeds, and
   * one left in Prepare* by a failure is completed. With no open transaction it does nothing. Aborting a
   * transaction the broker already aborted on timeout succeeds for the producer whose epoch the timeout replaced.
   */
  endTxn(transactionalId: string, producerId: number, producerEpoch: number, isCommit: boolean): Promise<void> {
    return this.#serial(transactionalId, async () => {
      const m = this.#states.get(transactionalId);
      if (m !== undefined && m.producerId === producerId && producerEpoch === m.lastProducerEpoch && m.producerEpoch !== producerEpoch) {
        if (!isCommit) return;
        throw this.#timedOut(transactionalId);
      }
      this.#check(transactionalId, producerId, producerEpoch);
      const s = m!.status;
      const want = isCommit ? 'Commit' : 'Abort';
      if (s === 'Empty' || s === `Complete${want}`) return;
      if (s === `Prepare${want}`) return this.#completeIfPrepared(transactionalId);
      if (s !== 'Ongoing') {
        throw new StreamsError('INVALID_TXN_STATE', `cannot ${isCommit ? 'commit' : 'abort'} transaction ${transactionalId}: it is ${s}`);
      }
      await this.#finish(m!, isCommit, m!.producerEpoch, m!.lastProducerEpoch);
    });
  }

  /**
   * Checks synchronously that a producer is still the current one for its transactional id (the in-process
   * producer calls it before each send). Throws PRODUCER_FENCED, or ILLEGAL_STATE when the broker aborted the
   * producer's transaction on timeout (abort and carry on).
   */
  verify(transactionalId: string, producerId: number, producerEpoch: number): void {
    this.#check(transactionalId, producerId, producerEpoch);
  }

  /**
   * Aborts every transaction open longer than its timeout (bumping the epoch, so its producer's later calls fail
   * and it must abort), and retries completions a failure left in Prepare*. Resolves with the number aborted.
   */
  async abortTimedOutTransactions(): Promise<number> {
    if (this.#closed) return 0;
    const now = this.#clock.nowMs();
    let aborted = 0;
    const work: Promise<void>[] = [];
    for (const m of this.#states.values()) {
      const isExpired = m.status === 'Ongoing' && m.startMs + m.timeoutMs < now;
      if (!isExpired && m.status !== 'PrepareCommit' && m.status !== 'PrepareAbort') continue;
      const id = m.transactionalId;
      work.push(
        this.#serial(id, async () => {
          const cur = this.#states.get(id);
          if (cur === undefined) return;
          if (cur.status === 'Ongoing' && cur.startMs + cur.timeoutMs < this.#clock.nowMs()) {
            this.#logger.warn({ transactionalId: id, producerId: cur.producerId, timeoutMs: cur.timeoutMs }, 'aborting a transaction that timed out');
            await this.#finish(cur, false, Math.min(cur.producerEpoch + 1, MAX_EPOCH), cur.producerEpoch);
            aborted++;
          } else await this.#completeIfPrepared(id);
        }),
      );
    }
    const results = await Promise.allSettled(work);
    for (const r of results) if (r.status === 'rejected') this.#logger.error({ err: r.reason as unknown }, 'completing a transaction failed; retried at the next check');
    return aborted;
  }

  /** Later calls fail with CLOSED. */
  close(): void {
    this.#closed = true;
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  #meta(transactionalId: string, producerId: number, producerEpoch: number, timeoutMs: number, now: number): Meta {
    return { transactionalId, producerId, producerEpoch, timeoutMs, status: 'Empty', partitions: [], startMs: -1, lastUpdateMs: now, lastProducerEpoch: -1 };
  }

  /** Prepare*, markers, Complete*: the two phases. `markerEpoch` above the current one fences its producer. */
  async #finish(m: Meta, isCommit: boolean, markerEpoch: number, lastProducerEpoch: number): Promise<void> {
    const status = isCommit ? 'PrepareCommit' : 'PrepareAbort';
    await this.#write({ ...m, producerEpoch: markerEpoch, lastProducerEpoch, status, lastUpdateMs: this.#clock.nowMs() });
    this.afterPrepare?.(m.transactionalId, status);
    await this.#completeIfPrepared(m.transactionalId);
  }

  async #completeIfPrepared(transactionalId: string): Promise<void> {
    const m = this.#states.get(transactionalId);
    if (m === undefined || (m.status !== 'PrepareCommit' && m.status !== 'PrepareAbort')) return;
    const isCommit = m.status === 'PrepareCommit';
    await this.#host.writeMarkers(isCommit ? 'COMMIT' : 'ABORT', m.producerId, m.producerEpoch, m.partitions);
    this.#host.onTransactionCompleted(m.producerId, isCommit);
    await this.#write({ ...m, status: isCommit ? 'CompleteCommit' : 'CompleteAbort', partitions: [], startMs: -1, lastUpdateMs: this.#clock.nowMs() });
  }

  /** Persists a transition, then applies it in memory (never the other way round). */
  async #write(next: Meta): Promise<void> {
    const prev = this.#states.get(next.transactionalId);
    if (prev !== undefined && !TRANSITIONS[prev.status].includes(next.status)) {
      throw new StreamsError('ILLEGAL_STATE', `transaction ${next.transactionalId} cannot move from ${prev.status} to ${next.status}`);
    }
    const { lastProducerEpoch: _, ...state } = next;
    await this.#host.persist(state);
    this.#states.set(next.transactionalId, next);
  }

  #check(transactionalId: string, producerId: number, producerEpoch: number): void {
    if (this.#closed) throw new StreamsError('CLOSED', 'the transaction coordinator is closed');
    const m = this.#states.get(transactionalId);
    if (m === undefined) throw new StreamsError('ILLEGAL_STATE', `transactional id ${transactionalId} is unknown: call initTransactions first`);
    if (m.producerId === producerId && m.producerEpoch === producerEpoch) return;
    if (m.producerId === producerId && producerEpoch === m.lastProducerEpoch) throw this.#timedOut(transactionalId);
    throw this.#fenced(transactionalId, producerId, producerEpoch);
  }

  #fenced(transactionalId: string, producerId: number, producerEpoch: number): StreamsError {
    const m = this.#states.get(transactionalId);
    return new StreamsError(
      'PRODUCER_FENCED',
      `producer ${producerId} epoch ${producerEpoch} of transactional id ${transactionalId} was fenced: a newer producer (id ${m?.producerId}, epoch ${m?.producerEpoch}) initialised it`,
    );
  }

  #timedOut(transactionalId: string): StreamsError {
    return new StreamsError('TRANSACTION_TIMED_OUT', `the transaction of ${transactionalId} was aborted by the broker after its timeout: abort it and begin a new one`);
  }

  #serial<T>(transactionalId: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StreamsError('CLOSED', 'the transaction coordinator is closed'));
    const prev = this.#queues.get(transactionalId) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(noop, noop);
    this.#queues.set(transactionalId, tail);
    void tail.then(() => {
      if (this.#queues.get(transactionalId) === tail) this.#queues.delete(transactionalId);
    });
    return run;
  }
}
