import type { OffsetCommitRequest } from '../broker/group-coordinator.js';
import { StreamsError } from '../errors.js';
import { topicPartitionKey, type ConsumerBatch, type TopicPartition } from '../record.js';
import type { Clock } from '../util/clock.js';
import { keepAlive } from '../util/keep-alive.js';
import type { Logger } from '../util/logger.js';
import type { Timers } from '../util/timers.js';
import { RangeAssignor, RoundRobinAssignor } from './assignors.js';
import type { ConsumerConfig, ConsumerGroupMetadata, ConsumerRecords, IsolationLevel, OffsetToCommit } from './consumer.js';
import type { FetchedRecords } from './decode-fetched.js';
import { GroupMembership, type GroupCoordinatorClient, type RebalanceListener } from './group-membership.js';

/**
 * A consumer's state of one assigned partition: where it reads next, whether it is paused, and the fetched records
 * not yet returned. A transport may extend it (the Kafka-protocol fetcher adds its in-flight and reset flags).
 *
 * @example
 * ```ts
 * const s: PartitionState = { tp, position: null, isPaused: false, fetched: null, fetchedNextOffset: -1, endOffset: -1 };
 * ```
 */
export interface PartitionState {
  readonly tp: TopicPartition;
  /** Next offset to return; null until initialised from the committed offset or the reset policy. */
  position: number | null;
  isPaused: boolean;
  /** Fetched records not yet returned (a poll returned fewer than were fetched), decoded as they are taken. */
  fetched: FetchedRecords | null;
  /** The offset after the fetched bytes: the position once they are all returned (skips trailing control batches). */
  fetchedNextOffset: number;
  /** The end offset (high watermark; last stable offset under read_committed) of the last fetch answer; -1 before. */
  endOffset: number;
}

/**
 * What a consumer's transport gives {@link ConsumerState}.
 *
 * @example
 * ```ts
 * const options: ConsumerStateOptions<PartitionState> = { clock, newState: (tp) => ({ tp, position: null, ... }),
 *   commitOffsets: (req) => broker.groups.commitOffsets(req) };
 * ```
 */
export interface ConsumerStateOptions<S extends PartitionState> {
  readonly clock: Clock;
  /** The state of a newly assigned partition: no position, nothing fetched. */
  readonly newState: (tp: TopicPartition) => S;
  /** OffsetCommit to the group coordinator. */
  readonly commitOffsets: (request: OffsetCommitRequest) => Promise<void>;
}

/**
 * How a consumer reaches its group coordinator, for {@link ConsumerState.subscribe}.
 *
 * @example
 * ```ts
 * state.subscribe(groupId, ['lines'], listener, { coordinator: broker.groups, defaultClientId: 'consumer',
 *   partitionsPerTopic: (ts) => counts(ts), timers, logger });
 * ```
 */
export interface GroupTransport {
  readonly coordinator: GroupCoordinatorClient;
  /** The member's client id when the config names none. */
  readonly defaultClientId: string;
  /** Partition counts of existing topics among `topics` (the leader assigns for every member's topics). */
  readonly partitionsPerTopic: (topics: readonly string[]) => ReadonlyMap<string, number>;
  readonly timers: Timers;
  readonly logger: Logger;
}

/**
 * A poll's answer when it has no records (frozen, shared).
 *
 * @example
 * ```ts
 * if (nothing) return EMPTY_RECORDS;
 * ```
 */
export const EMPTY_RECORDS: ConsumerRecords = Object.freeze({ count: 0, batches: Object.freeze([]) as readonly ConsumerBatch[] });

/**
 * The half of a consumer that does not depend on how it reaches the log, shared by the in-process and Kafka-protocol
 * consumers: the assigned partitions' states (positions, pause, seek, lag, handing out fetched records), the
 * assign / subscribe rules (one mode at a time, a group for subscribe and commit), the group membership with its
 * rebalance listener (auto-commit before a revoke), commits and auto-commits, and close.
 *
 * @example
 * ```ts
 * const state = new ConsumerState(config, { clock, newState, commitOffsets: (req) => broker.groups.commitOffsets(req) });
 * state.checkAssign();
 * state.assign([{ topic: 'lines', partition: 0 }]);
 * const out: ConsumerBatch[] = [];
 * const count = state.drain(out, 500);
 * ```
 */
export class ConsumerState<S extends PartitionState> {
  readonly config: ConsumerConfig;
  readonly isolationLevel: IsolationLevel;
  /** The assigned partitions by {@link topicPartitionKey}, in assignment order. */
  readonly states = new Map<string, S>();
  readonly #clock: Clock;
  readonly #newState: (tp: TopicPartition) => S;
  readonly #commitOffsets: (request: OffsetCommitRequest) => Promise<void>;
  #membership: GroupMembership | null = null;
  #mode: 'none' | 'assign' | 'subscribe' = 'none';
  #lastAutoCommitMs: number;
  #closed = false;

  /** Throws INVALID_CONFIG for an unknown `isolationLevel`. */
  constructor(config: ConsumerConfig, options: ConsumerStateOptions<S>) {
    this.config = config;
    this.#clock = options.clock;
    this.#newState = options.newState;
    this.#commitOffsets = options.commitOffsets;
    this.#lastAutoCommitMs = options.clock.nowMs();
    const level = config.isolationLevel ?? 'read_uncommitted';
    if (level !== 'read_uncommitted' && level !== 'read_committed') {
      throw new StreamsError('INVALID_CONFIG', `isolationLevel must be 'read_uncommitted' or 'read_committed', got ${String(level)}`);
    }
    this.isolationLevel = level;
  }

  get membership(): GroupMembership | null {
    return this.#membership;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** True when a fetch's answer must not be handed out: the consumer closed, or a rebalance revokes its partitions. */
  get isInterrupted(): boolean {
    return this.#closed || this.#membership?.needsRejoin === true;
  }

  assertOpen(): void {
    if (this.#closed) throw new StreamsError('CLOSED', 'the consumer is closed');
  }

  /** The configured group id; ILLEGAL_STATE naming `op` when there is none. */
  groupId(op: string): string {
    const groupId = this.config.groupId;
    if (groupId === undefined) throw new StreamsError('ILLEGAL_STATE', `${op} needs a groupId in the consumer config`);
    return groupId;
  }

  /** A poll's record limit and wait, from its options and the config. */
  pollLimits(options: { readonly maxRecords?: number; readonly maxWaitMs?: number }): { maxRecords: number; maxWaitMs: number } {
    return { maxRecords: options.maxRecords ?? this.config.maxPollRecords ?? 500, maxWaitMs: options.maxWaitMs ?? 500 };
  }

  /** Checks a subscribe (open, a group, not after assign, some topics) and returns the group id. */
  checkSubscribe(topics: readonly string[]): string {
    this.assertOpen();
    const groupId = this.groupId('subscribe()');
    if (this.#mode === 'assign') throw new StreamsError('ILLEGAL_STATE', 'subscribe() after assign(): unsubscribe first');
    if (topics.length === 0) throw new StreamsError('ILLEGAL_STATE', 'subscribe() needs at least one topic');
    return groupId;
  }

  /**
   * Joins the group for `topics` (after {@link checkSubscribe}), replacing an earlier subscription's membership.
   * Revoked and lost partitions' states are dropped after the listener ran, assigned ones tracked before it runs;
   * with enableAutoCommit the positions are committed before a revoke.
   */
  subscribe(groupId: string, topics: readonly string[], listener: RebalanceListener | undefined, transport: GroupTransport): void {
    this.#membership?.close();
    this.#mode = 'subscribe';
    const config = this.config;
    this.#membership = new GroupMembership({
      coordinator: transport.coordinator,
      groupId,
      clientId: config.clientId ?? transport.defaultClientId,
      topics,
      partitionsPerTopic: transport.partitionsPerTopic,
      assignors: config.assignors ?? [RangeAssignor, RoundRobinAssignor],
      sessionTimeoutMs: config.sessionTimeoutMs ?? 45_000,
      rebalanceTimeoutMs: config.maxPollIntervalMs ?? 300_000,
      heartbeatIntervalMs: config.heartbeatIntervalMs ?? 3_000,
      listener: {
        onPartitionsRevoked: async (parts) => {
          if (config.enableAutoCommit === true) await this.commit();
          await listener?.onPartitionsRevoked?.(parts);
          for (const tp of parts) this.states.delete(topicPartitionKey(tp.topic, tp.partition));
        },
        onPartitionsAssigned: async (parts) => {
          for (const tp of parts) this.#track(tp);
          await listener?.onPartitionsAssigned?.(parts);
        },
        onPartitionsLost: async (parts) => {
          await listener?.onPartitionsLost?.(parts);
          for (const tp of parts) this.states.delete(topicPartitionKey(tp.topic, tp.partition));
        },
      },
      timers: transport.timers,
      clock: this.#clock,
      logger: transport.logger,
    });
  }

  /** Checks an assign (open, not after subscribe). */
  checkAssign(): void {
    this.assertOpen();
    if (this.#mode === 'subscribe') throw new StreamsError('ILLEGAL_STATE', 'assign() after subscribe(): unsubscribe first');
  }

  /** Replaces the assignment (after {@link checkAssign}): partitions kept keep their state, an empty list unassigns. */
  assign(partitions: readonly TopicPartition[]): void {
    this.#mode = partitions.length === 0 ? 'none' : 'assign';
    const keep = new Set(partitions.map((tp) => topicPartitionKey(tp.topic, tp.partition)));
    for (const k of [...this.states.keys()]) if (!keep.has(k)) this.states.delete(k);
    for (const tp of partitions) this.#track(tp);
  }

  /** Leaves the group (if subscribed) and drops every partition. */
  async unsubscribe(): Promise<void> {
    if (this.#membership !== null) {
      await this.#membership.leave();
      this.#membership.close();
      this.#membership = null;
    }
    this.states.clear();
    this.#mode = 'none';
  }

  assignment(): TopicPartition[] {
    return [...this.states.values()].map((s) => s.tp);
  }

  /** The state of an assigned partition, or undefined. */
  get(tp: TopicPartition): S | undefined {
    return this.states.get(topicPartitionKey(tp.topic, tp.partition));
  }

  /** The state of an assigned partition; ILLEGAL_STATE when it is not assigned. */
  require(tp: TopicPartition): S {
    const s = this.states.get(topicPartitionKey(tp.topic, tp.partition));
    if (s === undefined) throw new StreamsError('ILLEGAL_STATE', `${tp.topic}-${tp.partition} is not assigned to this consumer`, tp);
    return s;
  }

  /** False once `s` was dropped (revoked, unassigned, reassigned anew) while the caller awaited something. */
  isCurrent(s: S): boolean {
    return this.states.get(topicPartitionKey(s.tp.topic, s.tp.partition)) === s;
  }

  /** Moves an assigned partition's position (fetched records dropped); OFFSET_OUT_OF_RANGE for a negative offset. */
  seek(partition: TopicPartition, offset: number): S {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new StreamsError('OFFSET_OUT_OF_RANGE', `cannot seek ${partition.topic}-${partition.partition} to ${offset}`, { ...partition, offset });
    }
    const s = this.require(partition);
    s.position = offset;
    s.fetched = null;
    return s;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.require(tp).isPaused = true;
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.require(tp).isPaused = false;
  }

  paused(): TopicPartition[] {
    return [...this.states.values()].filter((s) => s.isPaused).map((s) => s.tp);
  }

  currentLag(partition: TopicPartition): number | null {
    const s = this.get(partition);
    if (s === undefined || s.position === null || s.endOffset < 0) return null;
    return Math.max(0, s.endOffset - s.position);
  }

  /** The partition's position, running `initPositions` until it has one (again for a partition reassigned meanwhile). */
  async position(partition: TopicPartition, initPositions: () => Promise<void>): Promise<number> {
    const s = this.require(partition);
    while (s.position === null) {
      await initPositions();
      if (!this.isCurrent(s)) return this.position(partition, initPositions);
    }
    return s.position;
  }

  /**
   * Moves up to `maxRecords` fetched records into `out`, partition by partition (paused ones skipped), advancing
   * positions; returns how many. A corrupt batch throws CORRUPT_RECORD only when nothing was taken before it in this
   * call, so the good records before it are returned first and the error comes with the next call.
   */
  drain(out: ConsumerBatch[], maxRecords: number): number {
    // A partition whose last drain stopped before a corrupt batch fails this one first, however much the others have
    // to give (as Kafka's fetcher).
    for (const s of this.states.values()) if (!s.isPaused && s.fetched?.isBlocked === true) s.fetched.take(1, true);
    let count = 0;
    for (const s of this.states.values()) {
      if (count >= maxRecords) break;
      const fetched = s.fetched;
      if (s.isPaused || fetched === null) continue;
      const records = fetched.take(maxRecords - count, count === 0);
      if (records.length > 0) {
        s.position = records[records.length - 1]!.offset + 1;
        out.push({ topic: s.tp.topic, partition: s.tp.partition, records });
        count += records.length;
      }
      if (fetched.isDone) {
        s.position = Math.max(s.position!, s.fetchedNextOffset);
        s.fetched = null;
      }
    }
    return count;
  }

  /** The top of every poll: the group membership made active (rejoining after a rebalance), then a due auto-commit. */
  async beforePoll(): Promise<void> {
    if (this.#membership !== null) await this.#membership.ensureActive();
    if (this.config.enableAutoCommit !== true || this.config.groupId === undefined) return;
    const now = this.#clock.nowMs();
    if (now - this.#lastAutoCommitMs < (this.config.autoCommitIntervalMs ?? 5_000)) return;
    this.#lastAutoCommitMs = now;
    await this.commit();
  }

  /**
   * Commits `offsets`, or every position when none are given, for the group (with the member's generation when
   * subscribed; REBALANCE_IN_PROGRESS before it has one).
   */
  commit(offsets?: readonly OffsetToCommit[]): Promise<void> {
    return keepAlive(this.#commit(offsets));
  }

  async #commit(offsets?: readonly OffsetToCommit[]): Promise<void> {
    this.assertOpen();
    const groupId = this.groupId('commit()');
    const list: readonly OffsetToCommit[] =
      offsets ?? [...this.states.values()].filter((s) => s.position !== null).map((s) => ({ topic: s.tp.topic, partition: s.tp.partition, offset: s.position! }));
    if (list.length === 0) return;
    const ctx = this.#membership?.commitContext() ?? null;
    if (this.#membership !== null && ctx === null) {
      throw new StreamsError('REBALANCE_IN_PROGRESS', `cannot commit for group ${groupId} before this member has joined a generation; poll first`);
    }
    await this.#commitOffsets({
      groupId,
      ...(ctx === null ? { generationId: -1 } : { memberId: ctx.memberId, generationId: ctx.generationId }),
      offsets: list.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' })),
    });
  }

  groupMetadata(): ConsumerGroupMetadata | null {
    const ctx = this.#membership?.commitContext() ?? null;
    if (ctx === null || this.config.groupId === undefined) return null;
    return { groupId: this.config.groupId, memberId: ctx.memberId, generationId: ctx.generationId };
  }

  /** Stops heartbeating without leaving, as a crashed process would, and closes. */
  simulateCrash(): void {
    this.#membership?.simulateCrash();
    this.#closed = true;
  }

  /** Auto-commits (when enabled) and leaves the group; closed afterwards even when that fails. Once only. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#membership !== null) {
        try {
          if (this.config.enableAutoCommit === true) await this.commit();
          await this.#membership.leave();
        } finally {
          this.#membership.close();
        }
      }
    } finally {
      this.#closed = true;
    }
  }

  #track(tp: TopicPartition): void {
    const k = topicPartitionKey(tp.topic, tp.partition);
    if (!this.states.has(k)) this.states.set(k, this.#newState({ topic: tp.topic, partition: tp.partition }));
  }
}
