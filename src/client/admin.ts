import type { TopicPartition } from '../record.js';
import type { CommittedOffsetInfo, IsolationLevel, OffsetToCommit } from './consumer.js';

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
 * A consumer group's state, with Kafka's names; `Dead` for a group the coordinator does not know, `Unknown` for a
 * state name this client does not know.
 *
 * @example
 * ```ts
 * const [{ state }] = await admin.describeGroups(['word-count']);
 * if (state !== 'Empty' && state !== 'Dead') throw new Error('stop the application first');
 * ```
 */
export type ConsumerGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead' | 'Unknown';

/**
 * One group as listGroups tells of it.
 *
 * @example
 * ```ts
 * for (const g of await admin.listGroups()) console.log(g.groupId, g.state);
 * ```
 */
export interface GroupListing {
  readonly groupId: string;
  /** `consumer` for consumers and Streams applications; '' for a group that only holds committed offsets. */
  readonly protocolType: string;
  readonly state: ConsumerGroupState;
}

/**
 * A member of a group as describeGroups tells of it.
 *
 * @example
 * ```ts
 * const [group] = await admin.describeGroups(['word-count']);
 * for (const m of group!.members) console.log(m.clientId, m.assignment.length);
 * ```
 */
export interface GroupMemberDescription {
  readonly memberId: string;
  /** The static member id (Kafka's group.instance.id), or null. */
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  /** The member's address as the coordinator saw it ('' when the coordinator does not keep it). */
  readonly clientHost: string;
  /**
   * The partitions assigned to the member, decoded from its consumer-protocol assignment. Empty unless the group is
   * Stable (as Kafka answers) or its protocol type is not `consumer`.
   */
  readonly assignment: readonly TopicPartition[];
}

/**
 * Kafka's ConsumerGroupDescription: state, selected assignor and members of one group.
 *
 * @example
 * ```ts
 * const [group] = await admin.describeGroups(['word-count']);
 * console.log(group!.state, group!.members.length);
 * ```
 */
export interface ConsumerGroupDescription {
  readonly groupId: string;
  readonly state: ConsumerGroupState;
  readonly protocolType: string;
  /** The selected protocol (the partition assignor's name, `stream` for Streams apps); '' unless Stable. */
  readonly protocol: string;
  readonly members: readonly GroupMemberDescription[];
}

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
  /** Kafka's ListGroups: every group the coordinators know (member-less ones holding offsets too), sorted by id. */
  listGroups(): Promise<GroupListing[]>;
  /**
   * Kafka's DescribeGroups, in the order asked; a group nobody knows is described as `Dead` without members. Only a
   * Stable group shows its assignor and the members' assignments.
   */
  describeGroups(groupIds: readonly string[]): Promise<ConsumerGroupDescription[]>;
  /**
   * Kafka's listConsumerGroupOffsets (OffsetFetch of every partition): the group's committed offsets sorted by topic
   * and partition; empty for an unknown group. Offsets pending in an open transaction are not included.
   */
  listConsumerGroupOffsets(groupId: string): Promise<CommittedOffsetInfo[]>;
  /**
   * Kafka's alterConsumerGroupOffsets: commits the offsets (the next ones to read) for the group from outside it
   * (OffsetCommit with generation -1 and member ''). As in Kafka only a group without members can be altered:
   * `ILLEGAL_STATE` while it has any; `UNKNOWN_TOPIC_OR_PARTITION` for a partition that does not exist.
   */
  alterConsumerGroupOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void>;
  close(): Promise<void>;
}
