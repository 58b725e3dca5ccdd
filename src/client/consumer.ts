import type { ConsumerBatch, TopicPartition } from '../record.js';
import type { PartitionAssignor } from './assignors.js';
import type { RebalanceListener } from './group-membership.js';

/**
 * Kafka's isolation.level: `read_uncommitted` returns every acknowledged record (up to the high watermark);
 * `read_committed` returns only records of committed transactions and of non-transactional producers, up to the
 * last stable offset, and never records of aborted transactions. Control records (markers) are never returned.
 *
 * @example
 * ```ts
 * const consumer = clients.consumer({ groupId: 'app', isolationLevel: 'read_committed' });
 * ```
 */
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

/**
 * Consumer options, with Kafka's meanings.
 *
 * @example
 * ```ts
 * const consumer = clients.consumer({ groupId: 'word-count', autoOffsetReset: 'earliest' });
 * ```
 */
export interface ConsumerConfig {
  /** Needed for subscribe() and for committing offsets. */
  readonly groupId?: string;
  readonly clientId?: string;
  /** Where to start when there is no committed offset (or it is out of range): default 'latest', as Kafka. */
  readonly autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** Commit the positions of returned records every autoCommitIntervalMs during poll (default false). */
  readonly enableAutoCommit?: boolean;
  readonly autoCommitIntervalMs?: number;
  /** Default maximum records one poll returns (Kafka's max.poll.records, 500). */
  readonly maxPollRecords?: number;
  /** Kafka's max.partition.fetch.bytes (1 MiB) and fetch.max.bytes (50 MiB). */
  readonly maxPartitionFetchBytes?: number;
  readonly fetchMaxBytes?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Kafka's max.poll.interval.ms: the rebalance timeout of this member. */
  readonly maxPollIntervalMs?: number;
  /** Assignors offered to the group leader, in order of preference (default: range, then round-robin). */
  readonly assignors?: readonly PartitionAssignor[];
  /** Verify each batch's CRC32C before returning its records (Kafka's check.crcs, default true). */
  readonly checkCrcs?: boolean;
  /**
   * Default 'read_uncommitted'. Under 'read_committed' the committed offsets it starts from are read stably
   * (KIP-447: it waits while a transaction holds a pending offset for the partition), and 'latest', seekToEnd and
   * endOffsets mean the last stable offset.
   */
  readonly isolationLevel?: IsolationLevel;
}

/** What one poll returned: records grouped per partition. */
export interface ConsumerRecords {
  readonly count: number;
  readonly batches: readonly ConsumerBatch[];
}

/** An offset to commit; the offset is the next one to read (last processed + 1), as in Kafka. */
export interface OffsetToCommit extends TopicPartition {
  readonly offset: number;
  readonly metadata?: string;
}

/** A committed offset as read back. */
export interface CommittedOffsetInfo extends TopicPartition {
  readonly offset: number;
  readonly metadata: string;
}

/** The consumer's group generation, for offsets committed inside a transaction (KIP-447). */
export interface ConsumerGroupMetadata {
  readonly groupId: string;
  readonly memberId: string;
  /** -1 for a consumer outside a generation (assign mode): the broker then skips the generation check. */
  readonly generationId: number;
  readonly groupInstanceId?: string;
}

/**
 * Reads records, shaped like Kafka's consumer: either `assign` partitions by hand, or `subscribe` topics with a
 * group so several consumers share the partitions (rebalancing when one joins, leaves or dies). `poll` returns
 * batches per partition, waiting up to maxWaitMs (without busy polling) when nothing is there.
 *
 * @example
 * ```ts
 * consumer.subscribe(['lines']);
 * const polled = await consumer.poll({ maxRecords: 1000, maxWaitMs: 100 });
 * for (const b of polled.batches) for (const r of b.records) handle(r);
 * await consumer.commit();
 * ```
 */
export interface Consumer {
  subscribe(topics: readonly string[], listener?: RebalanceListener): void;
  assign(partitions: readonly TopicPartition[]): void;
  unsubscribe(): Promise<void>;
  /** Partitions currently assigned (by assign, or by the group). */
  assignment(): TopicPartition[];
  poll(options?: { readonly maxRecords?: number; readonly maxWaitMs?: number }): Promise<ConsumerRecords>;
  seek(partition: TopicPartition, offset: number): void;
  seekToBeginning(partitions: readonly TopicPartition[]): Promise<void>;
  seekToEnd(partitions: readonly TopicPartition[]): Promise<void>;
  /** The next offset poll will return for an assigned partition. */
  position(partition: TopicPartition): Promise<number>;
  /** Kafka's endOffsets: the high watermark of each partition, or the last stable offset under read_committed. */
  endOffsets(partitions: readonly TopicPartition[]): Promise<(TopicPartition & { readonly offset: number })[]>;
  /**
   * Kafka's `records-lag` of an assigned partition, without a request: its end offset (high watermark, or last stable
   * offset under read_committed) as of the last fetch response, minus the position (0 at least). Null when unknown:
   * not assigned, no position yet, or not fetched yet. Optional: consumers that cannot tell leave it out.
   */
  currentLag?(partition: TopicPartition): number | null;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  paused(): TopicPartition[];
  /** Commits the given offsets, or the positions of everything returned so far; durable when it resolves. */
  commit(offsets?: readonly OffsetToCommit[]): Promise<void>;
  committed(partitions: readonly TopicPartition[]): Promise<(CommittedOffsetInfo | null)[]>;
  groupMetadata(): ConsumerGroupMetadata | null;
  /** Leaves the group (so the others rebalance at once) and stops. */
  close(): Promise<void>;
}
