/**
 * What a processor can learn about the input record behind the record it is processing: where in the log it was
 * read from ({@link ProcessorRecordMetadata}) and, for topic name extractors, its timestamp and headers too
 * ({@link RecordContext}).
 */
import type { Headers } from '../record.js';

/**
 * Where the input record currently being processed was read from.
 *
 * Records forwarded by a parent carry the metadata of the input record that caused them, even when their key, value
 * or timestamp changed. A punctuation has no input record, so `recordMetadata()` returns `null` there.
 *
 * Named `ProcessorRecordMetadata` (Kafka Streams: `processor.api.RecordMetadata`) so it does not clash with the
 * producer's `RecordMetadata`.
 *
 * @example
 * ```ts
 * const meta = context.recordMetadata();
 * if (meta !== null) logger.warn({ topic: meta.topic, partition: meta.partition, offset: meta.offset }, 'bad record');
 * ```
 */
export interface ProcessorRecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * What a topic name extractor or partitioner knows of the record it routes: the input record's position in the log
 * and the routed record's timestamp and headers.
 *
 * `topic` is `null`, and `partition` and `offset` are `-1`, when the record was not caused by an input record (it was
 * forwarded from a punctuation).
 *
 * @example
 * ```ts
 * const byTenant: TopicNameExtractor<string, Order> = (key, order, ctx) => `${ctx.topic ?? 'orders'}-${order.tenant}`;
 * ```
 */
export interface RecordContext {
  readonly topic: string | null;
  readonly partition: number;
  readonly offset: number;
  readonly timestampMs: number;
  readonly headers: Headers;
}
