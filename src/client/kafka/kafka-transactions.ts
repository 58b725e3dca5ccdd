import { StreamsError, toError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { TxnOffsetCommitRequestTopic } from '../../protocol/messages.js';
import type { TopicPartition } from '../../record.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from '../consumer.js';
import type { ProducerTransactionState } from '../in-process/producer-transactions.js';
import { responseError, type KafkaCluster } from './cluster.js';

/** Kafka's OPERATION_NOT_ATTEMPTED: a partition skipped because another of the same request failed. */
const OPERATION_NOT_ATTEMPTED = 55;

const TRANSITIONS: Record<ProducerTransactionState, readonly ProducerTransactionState[]> = {
  Uninitialized: ['Initializing'],
  Initializing: ['Ready', 'Uninitialized', 'FatalError'],
  Ready: ['InTransaction', 'FatalError'],
  InTransaction: ['Committing', 'Aborting', 'AbortableError', 'FatalError'],
  // A commit that failed on a retriable error may be tried again: back to InTransaction.
  Committing: ['Ready', 'InTransaction', 'AbortableError', 'FatalError'],
  Aborting: ['Ready', 'AbortableError', 'FatalError'],
  AbortableError: ['Aborting', 'AbortableError', 'FatalError'],
  FatalError: [],
};

function noop(): void {}

/**
 * The transaction manager of one Kafka-protocol producer, with the in-process producer's state machine
 * ({@link ProducerTransactionState}): InitProducerId and EndTxn go to the transaction coordinator,
 * AddPartitionsToTxn before the first send to a partition, AddOffsetsToTxn then TxnOffsetCommit (v3, with the
 * consumer's generation, member id and instance id: KIP-447) to the group coordinator. Coordinator calls of one
 * transaction run in order, and sends wait for the AddPartitionsToTxn of their partitions.
 *
 * Being fenced (PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH from a partition leader) is fatal: only close. Any other
 * failed send or offset commit leaves the transaction abortable; the abort then takes a new epoch (InitProducerId)
 * because the sequence numbers of the failed batches are uncertain.
 *
 * @example
 * ```ts
 * const txn = new KafkaTransactions(cluster, 'app-0', 60_000, () => sequences.clear());
 * await txn.init();
 * txn.begin();
 * await (txn.beforeSend(partitions) ?? undefined);
 * await txn.commit();
 * ```
 */
export class KafkaTransactions {
  readonly transactionalId: string;
  readonly #cluster: KafkaCluster;
  readonly #timeoutMs: number;
  readonly #onNewEpoch: () => void;
  #state: ProducerTransactionState = 'Uninitialized';
  producerId = -1;
  producerEpoch = -1;
  readonly #partitions = new Set<string>();
  #hasOffsets = false;
  #chain: Promise<void> | null = null;
  readonly #inFlight = new Set<Promise<unknown>>();
  #error: StreamsError | null = null;

  constructor(cluster: KafkaCluster, transactionalId: string, timeoutMs: number, onNewEpoch: () => void) {
    this.#cluster = cluster;
    this.transactionalId = transactionalId;
    this.#timeoutMs = timeoutMs;
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
      await this.#initProducerId();
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
   * await first (AddPartitionsToTxn of new partitions, or an earlier coordinator call still running).
   */
  beforeSend(partitions: ReadonlyMap<string, TopicPartition>): Promise<void> | null {
    try {
      this.#requireOpen('send');
    } catch (e: unknown) {
      throw this.#fail(e);
    }
    let added: TopicPartition[] | null = null;
    for (const [k, tp] of partitions) {
      if (this.#partitions.has(k)) continue;
      this.#partitions.add(k);
      (added ??= []).push({ topic: tp.topic, partition: tp.partition });
    }
    if (added === null) return this.#chain;
    const newPartitions = added;
    return this.#enqueue(() => this.#addPartitions(newPartitions));
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
      await this.#callTxnCoordinator('AddOffsetsToTxn', (node) =>
        this.#cluster.send(node, ApiKey.AddOffsetsToTxn, {
          transactionalId: this.transactionalId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          groupId: group.groupId,
        }),
      );
      this.#hasOffsets = true;
      await this.#commitOffsets(offsets, group);
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
    if ((this.#state as ProducerTransactionState) !== 'Committing') {
      throw new StreamsError('ILLEGAL_STATE', `a send of the transaction of ${this.transactionalId} failed; abort it`, { cause: this.#error });
    }
    try {
      if (this.#partitions.size > 0 || this.#hasOffsets) await this.#endTxn(true);
    } catch (e: unknown) {
      const err = toStreamsError(e);
      if (err.code === 'PRODUCER_FENCED') this.#fatal(err);
      else if (err.code === 'INVALID_TXN_STATE' || err.code === 'ILLEGAL_STATE') this.#abortable(err);
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
      if (this.#partitions.size > 0 || this.#hasOffsets) await this.#endTxn(false);
      // After a failed send the sequences are uncertain: take a new epoch, which restarts them.
      if (this.#error !== null) await this.#initProducerId();
    } catch (e: unknown) {
      const err = toStreamsError(e);
      if (err.code === 'PRODUCER_FENCED') this.#fatal(err);
      else this.#abortable(err);
      throw err;
    }
    this.#reset();
  }

  // ---- coordinator calls --------------------------------------------------------------------------------------

  async #initProducerId(): Promise<void> {
    const { body } = await this.#callTxnCoordinator('InitProducerId', (node) =>
      this.#cluster.send(node, ApiKey.InitProducerId, { transactionalId: this.transactionalId, transactionTimeoutMs: this.#timeoutMs }),
    );
    this.producerId = body.producerId ?? -1;
    this.producerEpoch = body.producerEpoch ?? -1;
    this.#onNewEpoch();
  }

  async #addPartitions(partitions: readonly TopicPartition[]): Promise<void> {
    const topics = new Map<string, number[]>();
    for (const tp of partitions) {
      const list = topics.get(tp.topic);
      if (list === undefined) topics.set(tp.topic, [tp.partition]);
      else list.push(tp.partition);
    }
    await this.#cluster.withCoordinator(
      'transaction',
      this.transactionalId,
      'AddPartitionsToTxn',
      (node) =>
        this.#cluster.send(node, ApiKey.AddPartitionsToTxn, {
          v3AndBelowTransactionalId: this.transactionalId,
          v3AndBelowProducerId: this.producerId,
          v3AndBelowProducerEpoch: this.producerEpoch,
          v3AndBelowTopics: [...topics].map(([name, ps]) => ({ name, partitions: ps })),
        }),
      ({ body }) => {
        let skipped: StreamsError | null = null;
        for (const t of body.resultsByTopicV3AndBelow ?? []) {
          for (const p of t.resultsByPartition ?? []) {
            const code = p.partitionErrorCode ?? 0;
            const position = { topic: t.name ?? '', partition: p.partitionIndex ?? -1 };
            if (code === OPERATION_NOT_ATTEMPTED) skipped ??= new StreamsError('UNKNOWN_SERVER_ERROR', 'AddPartitionsToTxn not attempted', position);
            else if (code !== 0) return responseError(code, `add ${position.topic}-${position.partition} to transaction ${this.transactionalId}`, position);
          }
        }
        return skipped;
      },
    );
  }

  async #commitOffsets(offsets: readonly OffsetToCommit[], group: ConsumerGroupMetadata): Promise<void> {
    const topics = new Map<string, TxnOffsetCommitRequestTopic & { partitions: NonNullable<TxnOffsetCommitRequestTopic['partitions']>[number][] }>();
    for (const o of offsets) {
      let t = topics.get(o.topic);
      if (t === undefined) topics.set(o.topic, (t = { name: o.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' });
    }
    await this.#cluster.withCoordinator(
      'group',
      group.groupId,
      'TxnOffsetCommit',
      (node) =>
        this.#cluster.send(node, ApiKey.TxnOffsetCommit, {
          transactionalId: this.transactionalId,
          groupId: group.groupId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          generationId: group.generationId,
          memberId: group.memberId,
          groupInstanceId: group.groupInstanceId ?? null,
          topics: [...topics.values()],
        }),
      ({ body }) => {
        for (const t of body.topics ?? []) {
          for (const p of t.partitions ?? []) {
            const err = responseError(p.errorCode ?? 0, `commit offsets of group ${group.groupId} in transaction ${this.transactionalId}`, {
              topic: t.name ?? '',
              partition: p.partitionIndex ?? -1,
            });
            if (err !== null) return err;
          }
        }
        return null;
      },
    );
  }

  async #endTxn(committed: boolean): Promise<void> {
    await this.#callTxnCoordinator(committed ? 'EndTxn(commit)' : 'EndTxn(abort)', (node) =>
      this.#cluster.send(node, ApiKey.EndTxn, {
        transactionalId: this.transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        committed,
      }),
    );
  }

  #callTxnCoordinator<T extends { readonly body: { readonly errorCode: number | null } }>(what: string, call: (node: number) => Promise<T>): Promise<T> {
    return this.#cluster.withCoordinator('transaction', this.transactionalId, what, call, (r) =>
      responseError(r.body.errorCode ?? 0, `${what} of transactional id ${this.transactionalId}`),
    );
  }

  // ---- state --------------------------------------------------------------------------------------------------

  #enqueue(step: () => Promise<void>): Promise<void> {
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
