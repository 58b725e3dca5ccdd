import { StreamsError } from '../errors.js';
import type { ProducerRecord } from '../record.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from './consumer.js';

/**
 * Where one partition's part of a send landed.
 *
 * @example
 * ```ts
 * const [meta] = await producer.send({ topic: 'lines', messages: [{ key: null, value: Buffer.from('x') }] });
 * meta.baseOffset; // offset of the first record sent to meta.partition
 * ```
 */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the first record of this send in this partition; the others follow densely. */
  readonly baseOffset: number;
  readonly recordCount: number;
  /** The broker's time when the topic uses LogAppendTime, else -1. */
  readonly logAppendTimeMs: number;
}

/** Records for one topic. */
export interface TopicMessages {
  readonly topic: string;
  readonly messages: readonly ProducerRecord[];
}

/**
 * Producer options.
 *
 * @example
 * ```ts
 * const producer = clients.producer({ clientId: 'word-count', idempotent: true });
 * ```
 */
export interface ProducerConfig {
  readonly clientId?: string;
  /** Producer id, epoch and per-partition sequence numbers, so a retried batch is never appended twice (default true). */
  readonly idempotent?: boolean;
  /** Chooses a partition for a record without an explicit one; default: Kafka's murmur2 of the key, round-robin for null keys. */
  readonly partitioner?: (topic: string, key: Uint8Array | null, numPartitions: number) => number;
  /** Largest batch sent to one partition (Kafka's batch.size / max.request.size role); bigger sends are split. Default 1000000. */
  readonly maxBatchBytes?: number;
  /**
   * Kafka's transactional.id: makes the producer transactional (sends only inside a transaction, see
   * {@link Producer.initTransactions}). Needs idempotence (INVALID_CONFIG with `idempotent: false`). Producers with
   * the same id fence each other: the latest to call initTransactions wins.
   */
  readonly transactionalId?: string;
  /** Kafka's transaction.timeout.ms: the broker aborts a transaction open longer than this (default 60000). */
  readonly transactionTimeoutMs?: number;
  /**
   * Kafka's compression.type: the codec of every record batch this producer writes (default 'none'). The batch's
   * records are compressed together, once per batch; consumers decompress transparently. A topic whose own
   * `compression.type` names a codec makes the broker re-code batches to it; with 'producer' (the default) the
   * broker stores them as sent. INVALID_CONFIG for any other value.
   */
  readonly compressionType?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
}

const PRODUCER_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/**
 * The codec of a {@link ProducerConfig}: its `compressionType`, 'none' by default; INVALID_CONFIG for anything else.
 *
 * @example
 * ```ts
 * producerCompression({ compressionType: 'lz4' }); // 'lz4'
 * ```
 */
export function producerCompression(config: ProducerConfig): 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' {
  const codec = config.compressionType ?? 'none';
  if (!(PRODUCER_CODECS as readonly string[]).includes(codec)) {
    throw new StreamsError('INVALID_CONFIG', `compressionType must be none, gzip, snappy, lz4 or zstd, got '${String(codec)}'`);
  }
  return codec;
}


/**
 * Sends batches of records, shaped like Kafka's producer. A send groups its records per partition (explicit
 * partition, else the partitioner) and appends one record batch per partition; it resolves when every batch is
 * acknowledged under the broker's durability policy. Records of one partition keep their order.
 *
 * With a `transactionalId`, sends (and input offsets, with sendOffsetsToTransaction) belong to the open transaction
 * and reach read_committed consumers all at once when it commits, or never when it aborts. Errors: PRODUCER_FENCED
 * (a newer producer with the same transactionalId called initTransactions: this one can only be closed);
 * ILLEGAL_STATE (INVALID_TXN_STATE from the coordinator) for a call the transaction state does not allow;
 * TRANSACTION_TIMED_OUT for a transaction the broker aborted on timeout; after any failed send or
 * sendOffsetsToTransaction the transaction can only be aborted (then ILLEGAL_STATE until abortTransaction).
 *
 * @example
 * ```ts
 * await producer.send({ topic: 'lines', messages: [{ key: Buffer.from('k'), value: Buffer.from('hello world') }] });
 *
 * const tx = clients.producer({ transactionalId: 'app-0' });
 * await tx.initTransactions();
 * tx.beginTransaction();
 * await tx.send({ topic: 'counts', messages });
 * await tx.sendOffsetsToTransaction([{ topic: 'lines', partition: 0, offset: 42 }], consumer.groupMetadata()!);
 * await tx.commitTransaction();
 * ```
 */
export interface Producer {
  send(batch: TopicMessages): Promise<RecordMetadata[]>;
  /** Several topics in one call. */
  sendBatch(batches: readonly TopicMessages[]): Promise<RecordMetadata[]>;
  /** Number of partitions of a topic (UNKNOWN_TOPIC_OR_PARTITION if it does not exist). */
  partitionCount(topic: string): Promise<number>;
  /**
   * Registers the transactionalId with the broker's transaction coordinator, once, before the first transaction:
   * gets a producer id and a new epoch, which fences every older producer with the same id (their open
   * transaction is aborted). ILLEGAL_STATE without a transactionalId or when called twice.
   */
  initTransactions(): Promise<void>;
  /** Opens a transaction (locally; the broker learns of it with the first send). ILLEGAL_STATE unless ready. */
  beginTransaction(): void;
  /**
   * Commits consumed offsets as part of the transaction: written to `__consumer_offsets` now, visible to the group
   * only when the transaction commits. `groupMetadata` (from the consumer) lets the broker refuse a producer of a
   * stale generation (KIP-447: ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID). Offsets are the next ones to read.
   */
  sendOffsetsToTransaction(offsets: readonly OffsetToCommit[], groupMetadata: ConsumerGroupMetadata): Promise<void>;
  /** Waits for the transaction's sends, then commits it; resolves when every marker is written. */
  commitTransaction(): Promise<void>;
  /** Waits for the transaction's sends, then aborts it; also the way out after a failed send or a timeout. */
  abortTransaction(): Promise<void>;
  close(): Promise<void>;
}
