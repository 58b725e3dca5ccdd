/**
 * The log's vocabulary: a record as stored, with key and value as bytes (null for none; a null value is a tombstone),
 * a timestamp in epoch milliseconds, and ordered headers.
 */

/**
 * One record header: a string key and a byte value (or null). Kafka allows repeated keys; order is kept.
 *
 * @example
 * ```ts
 * const h: Header = { key: 'trace-id', value: Buffer.from('abc') };
 * ```
 */
export interface Header {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** An ordered list of headers. */
export type Headers = readonly Header[];

/** The empty header list, shared so records without headers allocate nothing. */
export const NO_HEADERS: Headers = Object.freeze([]) as Headers;

/**
 * A record to append: bytes in, the broker assigns the offset.
 *
 * @example
 * ```ts
 * const r: ProducerRecord = { key: Buffer.from('k'), value: Buffer.from('v'), timestampMs: Date.now() };
 * ```
 */
export interface ProducerRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Create time in epoch ms; defaults to the producer's clock when omitted. */
  readonly timestampMs?: number;
  readonly headers?: Headers;
  /** An explicit partition; when omitted the key's murmur2 hash chooses (or round-robin for a null key). */
  readonly partition?: number;
}

/**
 * A record as read back from the log. Consumers return records grouped per partition (see ConsumerBatch), so the
 * topic and partition are on the batch, not repeated on every record. `key` and `value` are views into the fetched
 * bytes (no copy); copy them if you keep them beyond the next poll and mutate the buffers.
 *
 * @example
 * ```ts
 * for (const b of polled.batches) for (const r of b.records) console.log(b.topic, b.partition, r.offset, r.value?.toString());
 * ```
 */
export interface LogRecord {
  readonly offset: number;
  readonly timestampMs: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

/** Records of one partition, in offset order, as one poll returned them. */
export interface ConsumerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly LogRecord[];
}

/** A topic and a partition number. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** The canonical string form `topic-partition`, as Kafka prints it. */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
