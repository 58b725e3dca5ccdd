import type { RecordInput } from '../../broker/record-batch.js';
import { StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { ProducerRecord } from '../../record.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from '../consumer.js';
import { partitionForKey } from '../murmur2.js';
import { producerCompression, type Producer, type ProducerConfig, type RecordMetadata, type TopicMessages } from '../producer.js';
import { responseError, type KafkaCluster } from './cluster.js';
import { KafkaTransactions } from './kafka-transactions.js';
import { ProduceSender } from './produce-sender.js';
import { estimateBytes } from './record-sizing.js';

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

/** One send's records for one partition, with an upper bound of their encoded size. */
interface PartitionGroup {
  readonly topic: string;
  readonly partition: number;
  readonly records: RecordInput[];
  estimatedBytes: number;
}

/**
 * The producer over the Kafka protocol, with the in-process producer's semantics: murmur2 of the key bytes (or
 * sticky round-robin for null keys) picks the partition, one record batch v2 per partition per send (split at
 * maxBatchBytes), RecordMetadata per partition, idempotence by default (producer id, epoch, sequence per
 * partition), transactions through {@link KafkaTransactions}.
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
  readonly #partitioner: ((topic: string, key: Uint8Array | null, numPartitions: number) => number) | undefined;
  readonly #roundRobin = new Map<string, number>();
  readonly #maxBatchBytes: number;
  readonly #txn: KafkaTransactions | null;
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
    this.#partitioner = config.partitioner;
    this.#maxBatchBytes = config.maxBatchBytes ?? 1_000_000;
    const txnId = config.transactionalId;
    if (txnId !== undefined) {
      if (!this.#idempotent) throw new StreamsError('INVALID_CONFIG', 'a transactional producer must be idempotent (idempotent: false with a transactionalId)');
      if (txnId === '') throw new StreamsError('INVALID_CONFIG', 'transactionalId must not be empty');
    }
    const timeoutMs = config.transactionTimeoutMs ?? 60_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new StreamsError('INVALID_CONFIG', `transactionTimeoutMs must be a positive integer, got ${timeoutMs}`);
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
    this.#txn = txnId === undefined ? null : new KafkaTransactions(cluster, txnId, timeoutMs, () => this.#sender.resetSequences());
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

  async #send(batches: readonly TopicMessages[], txn: KafkaTransactions | null): Promise<RecordMetadata[]> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    const nowMs = this.#cluster.clock.nowMs();
    const groups = new Map<string, PartitionGroup>();
    for (const { topic, messages } of batches) {
      const n = await this.#cluster.retry(`partitions of ${topic}`, () => this.#cluster.partitionCount(topic));
      // Kafka's sticky partitioning: null-key records of one send go to one partition, the next send to the next.
      const sticky = (this.#roundRobin.get(topic) ?? 0) % n;
      this.#roundRobin.set(topic, sticky + 1);
      const byPartition: (PartitionGroup | undefined)[] = [];
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        const partition = this.#choosePartition(topic, m, n, sticky);
        let g = byPartition[partition];
        if (g === undefined) {
          const k = `${partition}\u0000${topic}`;
          g = groups.get(k);
          if (g === undefined) groups.set(k, (g = { topic, partition, records: [], estimatedBytes: 0 }));
          byPartition[partition] = g;
        }
        const r: RecordInput = m.timestampMs === undefined ? { key: m.key, value: m.value, timestampMs: nowMs, ...(m.headers ? { headers: m.headers } : {}) } : (m as RecordInput);
        g.records.push(r);
        g.estimatedBytes += estimateBytes(r);
      }
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

  #choosePartition(topic: string, m: ProducerRecord, n: number, sticky: number): number {
    if (m.partition !== undefined) {
      if (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= n) {
        throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has partitions 0..${n - 1}; partition ${m.partition} does not exist`, {
          topic,
          partition: m.partition,
        });
      }
      return m.partition;
    }
    if (this.#partitioner !== undefined) return this.#partitioner(topic, m.key, n);
    return m.key !== null ? partitionForKey(m.key, n) : sticky;
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
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    return this.#requireTxn('initTransactions').init();
  }

  beginTransaction(): void {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    this.#requireTxn('beginTransaction').begin();
  }

  async sendOffsetsToTransaction(offsets: readonly OffsetToCommit[], groupMetadata: ConsumerGroupMetadata): Promise<void> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    return this.#requireTxn('sendOffsetsToTransaction').sendOffsets(offsets, groupMetadata);
  }

  async commitTransaction(): Promise<void> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    return this.#requireTxn('commitTransaction').commit();
  }

  async abortTransaction(): Promise<void> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    return this.#requireTxn('abortTransaction').abort();
  }

  #requireTxn(op: string): KafkaTransactions {
    if (this.#txn === null) throw new StreamsError('ILLEGAL_STATE', `${op} needs a transactionalId in the producer config`);
    return this.#txn;
  }

  /** Waits for queued and in-flight batches (Kafka's close flushes), then stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sender.flush();
    if (this.#ownsCluster) await this.#cluster.close();
  }
}

