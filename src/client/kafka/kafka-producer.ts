import { StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from '../consumer.js';
import { ProducerPartitioner, type PartitionGroup } from '../producer-partitioner.js';
import { producerCompression, type Producer, type ProducerConfig, type RecordMetadata, type TopicMessages } from '../producer.js';
import { requireTransactions, TransactionManager, transactionSettings } from '../transaction-manager.js';
import { responseError, type KafkaCluster } from './cluster.js';
import { KafkaTransactionCalls } from './kafka-transaction-calls.js';
import { ProduceSender } from './produce-sender.js';

/**
 * Options of the Kafka-protocol producer beyond {@link ProducerConfig}.
 *
 * @example
 * ```ts
 * const producer = new KafkaProducer(cluster, { idempotent: false }, { acks: 1 });
 * ```
 */
export interface KafkaProducerOptions {
  /** Kafka's acks: -1 (all in-sync replicas, the default), 1 (leader) or 0 (no response). Idempotence needs -1. */
  readonly acks?: -1 | 0 | 1;
  /** close() closes the cluster too (default false: it is shared). */
  readonly ownsCluster?: boolean;
}

/**
 * The producer over the Kafka protocol, with the in-process producer's semantics: murmur2 of the key bytes (or
 * sticky round-robin for null keys) picks the partition, one record batch v2 per partition per send (split at
 * maxBatchBytes), RecordMetadata per partition, idempotence by default (producer id, epoch, sequence per
 * partition), transactions through a {@link TransactionManager} over {@link KafkaTransactionCalls}.
 *
 * Sends are queued per partition and drained by a {@link ProduceSender}: one Produce request per leader, at most
 * one batch in flight per partition, so concurrent sends to a partition are combined into the next batch while one
 * is in flight (linger 0 otherwise). A batch that fails with a retriable error is sent again with the same
 * sequence (the broker drops duplicates). A send resolves when the broker acknowledged all its batches (acks -1
 * by default).
 *
 * @example
 * ```ts
 * const producer = new KafkaProducer(cluster, { transactionalId: 'app-0' });
 * await producer.initTransactions();
 * producer.beginTransaction();
 * await producer.send({ topic: 'counts', messages: [{ key: Buffer.from('a'), value: Buffer.from('1') }] });
 * await producer.commitTransaction();
 * ```
 */
export class KafkaProducer implements Producer {
  readonly #cluster: KafkaCluster;
  readonly #ownsCluster: boolean;
  readonly #idempotent: boolean;
  readonly #partitioner: ProducerPartitioner;
  readonly #maxBatchBytes: number;
  readonly #txn: TransactionManager | null;
  readonly #sender: ProduceSender;
  readonly #timeoutMs: number;
  #identity = { producerId: -1, producerEpoch: -1 };
  #initializing: Promise<void> | null = null;
  #closed = false;

  constructor(cluster: KafkaCluster, config: ProducerConfig = {}, options: KafkaProducerOptions = {}) {
    this.#cluster = cluster;
    this.#ownsCluster = options.ownsCluster ?? false;
    const acks = options.acks ?? -1;
    this.#idempotent = config.idempotent ?? acks === -1;
    if (this.#idempotent && acks !== -1) throw new StreamsError('INVALID_CONFIG', `an idempotent producer needs acks -1, got ${acks}`);
    this.#partitioner = new ProducerPartitioner(config.partitioner);
    this.#maxBatchBytes = config.maxBatchBytes ?? 1_000_000;
    const { transactionalId: txnId, timeoutMs } = transactionSettings(config, this.#idempotent);
    this.#timeoutMs = timeoutMs;
    this.#sender = new ProduceSender(cluster, {
      acks,
      transactionalId: txnId ?? null,
      maxBatchBytes: this.#maxBatchBytes,
      isIdempotent: this.#idempotent,
      isTransactional: txnId !== undefined,
      compression: producerCompression(config),
      identity: () => this.#txn ?? this.#identity,
      ensureIdentity: () => this.#initIdempotence(),
      onFatal: () => this.#onBatchFailed(),
      sendError: () => this.#txn?.sendError ?? null,
    });
    // A new epoch restarts every partition's sequence at 0.
    this.#txn = txnId === undefined ? null : new TransactionManager(new KafkaTransactionCalls(cluster), txnId, timeoutMs, () => this.#sender.resetSequences());
  }

  send(batch: TopicMessages): Promise<RecordMetadata[]> {
    return this.sendBatch([batch]);
  }

  sendBatch(batches: readonly TopicMessages[]): Promise<RecordMetadata[]> {
    const txn = this.#txn;
    const p = this.#send(batches, txn);
    if (txn !== null) txn.track(p);
    return p;
  }

  async #send(batches: readonly TopicMessages[], txn: TransactionManager | null): Promise<RecordMetadata[]> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    const nowMs = this.#cluster.clock.nowMs();
    const groups = new Map<string, PartitionGroup>();
    for (const { topic, messages } of batches) {
      const n = await this.#cluster.retry(`partitions of ${topic}`, () => this.#cluster.partitionCount(topic));
      this.#partitioner.group(groups, topic, messages, n, nowMs);
    }
    if (groups.size === 0) return [];
    if (txn !== null) {
      try {
        const wait = txn.beforeSend(groups);
        if (wait !== null) await wait;
      } catch (e: unknown) {
        throw txn.onSendError(e);
      }
    } else if (this.#idempotent && this.#identity.producerId < 0) {
      await this.#initIdempotence();
    }
    const ack = this.#sender.enqueue(groups.values());
    try {
      return await ack.promise;
    } catch (e: unknown) {
      if (txn !== null) throw txn.onSendError(e);
      throw e;
    }
  }

  /** InitProducerId without a transactional id: a fresh producer id at epoch 0, once (concurrent sends share it). */
  #initIdempotence(): Promise<void> {
    this.#initializing ??= this.#cluster
      .retry('InitProducerId', async () => {
        const { body } = await this.#cluster.sendAny(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: this.#timeoutMs });
        const err = responseError(body.errorCode ?? 0, 'InitProducerId');
        if (err !== null) throw err;
        return body;
      })
      .then((body) => {
        this.#identity = { producerId: body.producerId ?? -1, producerEpoch: body.producerEpoch ?? -1 };
        this.#sender.resetSequences();
      })
      .finally(() => {
        this.#initializing = null;
      });
    return this.#initializing;
  }

  /** A batch failed for good: its sequences are uncertain, so an idempotent producer starts over with a new id. */
  #onBatchFailed(): void {
    if (this.#txn === null && this.#idempotent) {
      this.#identity = { producerId: -1, producerEpoch: -1 };
      this.#sender.resetSequences();
    }
  }

  async partitionCount(topic: string): Promise<number> {
    return this.#cluster.retry(`partitions of ${topic}`, () => this.#cluster.partitionCount(topic));
  }

  async initTransactions(): Promise<void> {
    return requireTransactions(this.#txn, this.#closed, 'initTransactions').init();
  }

  beginTransaction(): void {
    requireTransactions(this.#txn, this.#closed, 'beginTransaction').begin();
  }

  async sendOffsetsToTransaction(offsets: readonly OffsetToCommit[], groupMetadata: ConsumerGroupMetadata): Promise<void> {
    return requireTransactions(this.#txn, this.#closed, 'sendOffsetsToTransaction').sendOffsets(offsets, groupMetadata);
  }

  async commitTransaction(): Promise<void> {
    return requireTransactions(this.#txn, this.#closed, 'commitTransaction').commit();
  }

  async abortTransaction(): Promise<void> {
    return requireTransactions(this.#txn, this.#closed, 'abortTransaction').abort();
  }

  /** Waits for queued and in-flight batches (Kafka's close flushes), then stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sender.flush();
    if (this.#ownsCluster) await this.#cluster.close();
  }
}

