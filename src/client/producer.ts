import type { ProducerRecord } from '../record.js';

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
}

/**
 * Sends batches of records, shaped like Kafka's producer. A send groups its records per partition (explicit
 * partition, else the partitioner) and appends one record batch per partition; it resolves when every batch is
 * acknowledged under the broker's durability policy. Records of one partition keep their order.
 *
 * @example
 * ```ts
 * await producer.send({ topic: 'lines', messages: [{ key: Buffer.from('k'), value: Buffer.from('hello world') }] });
 * ```
 */
export interface Producer {
  send(batch: TopicMessages): Promise<RecordMetadata[]>;
  /** Several topics in one call. */
  sendBatch(batches: readonly TopicMessages[]): Promise<RecordMetadata[]>;
  /** Number of partitions of a topic (UNKNOWN_TOPIC_OR_PARTITION if it does not exist). */
  partitionCount(topic: string): Promise<number>;
  close(): Promise<void>;
}
