import type { TopicPartition } from '../record.js';
import type { IsolationLevel } from './consumer.js';

/** Config of a new topic: Kafka's keys (`cleanup.policy`, `retention.ms`, ...), values as strings or numbers. */
export type TopicConfigs = Readonly<Record<string, string | number>>;

/**
 * A topic to create.
 *
 * @example
 * ```ts
 * const spec: NewTopic = { topic: 'word-counts', numPartitions: 4, configs: { 'cleanup.policy': 'compact' } };
 * ```
 */
export interface NewTopic {
  readonly topic: string;
  readonly numPartitions: number;
  readonly configs?: TopicConfigs;
}

/** What describeTopics tells of a topic. */
export interface TopicDescription {
  readonly name: string;
  readonly topicId: string;
  readonly isInternal: boolean;
  readonly partitions: readonly { readonly partition: number; readonly logStartOffset: number; readonly highWatermark: number }[];
  readonly configs: Readonly<Record<string, string | number>>;
}

/** Which offset listOffsets looks up: the log start, the high watermark, or the first record at or after a time. */
export type OffsetSpec = 'earliest' | 'latest' | { readonly timestampMs: number };

/**
 * Administration of topics and records, shaped like Kafka's Admin client. Every call is a batch and async, so a
 * network implementation can replace the in-process one without changing callers.
 *
 * @example
 * ```ts
 * await admin.createTopics([{ topic: 'lines', numPartitions: 3 }]);
 * const [end] = await admin.listOffsets([{ topic: 'lines', partition: 0, spec: 'latest' }]);
 * ```
 */
export interface Admin {
  /**
   * Creates topics. Idempotent: a topic that exists with the same partition count and configs is left alone; a
   * different count or config is TOPIC_ALREADY_EXISTS. Invalid names are INVALID_TOPIC.
   */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  /** Deletes topics and their data; UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist. */
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Names of the topics (internal topics such as `__consumer_offsets` only when asked). */
  listTopics(options?: { readonly includeInternal?: boolean }): Promise<string[]>;
  describeTopics(topics: readonly string[]): Promise<TopicDescription[]>;
  /**
   * Kafka's ListOffsets. Under `isolationLevel: 'read_committed'` (default 'read_uncommitted'), 'latest' is the last
   * stable offset and a timestamp lookup never answers past it.
   */
  listOffsets(
    requests: readonly (TopicPartition & { readonly spec: OffsetSpec })[],
    options?: { readonly isolationLevel?: IsolationLevel },
  ): Promise<(TopicPartition & { readonly offset: number })[]>;
  /** Kafka's DeleteRecords: records before `beforeOffset` become unreadable; returns the new low watermarks. */
  deleteRecords(requests: readonly (TopicPartition & { readonly beforeOffset: number })[]): Promise<(TopicPartition & { readonly lowWatermark: number })[]>;
  close(): Promise<void>;
}
