/**
 * Event time: a {@link TimestampExtractor} decides the timestamp of each record a source reads, which drives stream
 * time, windows and punctuation.
 */
import type { Headers } from '../record.js';

/**
 * An input record as a timestamp extractor sees it: its position in the log, its deserialized key and value, the
 * timestamp stored in the log and its headers.
 *
 * @example
 * ```ts
 * const r: InputRecord = { topic: 'orders', partition: 0, offset: 42, key: 'o-1', value: order, timestampMs: 1_000, headers: [] };
 * ```
 */
export interface InputRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: unknown;
  readonly value: unknown;
  /** The timestamp stored in the log (create time or log-append time, by the topic's config). */
  readonly timestampMs: number;
  readonly headers: Headers;
}

/**
 * Chooses a record's timestamp (epoch ms). `partitionTimeMs` is the highest timestamp extracted so far from the same
 * partition (-1 before the first), handy as a fallback for records without a usable time of their own.
 *
 * A negative result marks the record invalid: the runtime skips it with a warning (as Kafka Streams does). Without an
 * extractor the record's log timestamp is used. The extractor runs once per record, on the hot path: keep it cheap.
 *
 * @example
 * ```ts
 * const orderTime: TimestampExtractor = (record, partitionTimeMs) => {
 *   const v = record.value as { placedAtMs?: number } | null;
 *   return v?.placedAtMs ?? partitionTimeMs;
 * };
 * topology.addSource('orders', 'orders', { timestampExtractor: orderTime });
 * ```
 */
export type TimestampExtractor = (record: InputRecord, partitionTimeMs: number) => number;
