/**
 * The client side of Kafka's classic group protocol for one consumer (Kafka's ConsumerCoordinator, eager protocol):
 * join, run the assignor when leader, sync, heartbeat on a timer, and tell a {@link RebalanceListener} what was
 * revoked, assigned or lost.
 */
import type {
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  SyncGroupRequest,
  SyncGroupResult,
} from '../broker/group-coordinator.js';
import { isStreamsError, StreamsError, toError } from '../errors.js';
import type { TopicPartition } from '../record.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { TimerHandle, Timers } from '../util/timers.js';
import type { MemberSubscription, PartitionAssignor } from './assignors.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol.js';

/**
 * What a member needs from a group coordinator: Kafka's JoinGroup, SyncGroup, Heartbeat and LeaveGroup. The broker's
 * GroupCoordinator satisfies it directly; a Kafka-protocol client implements it over the wire.
 *
 * @example
 * ```ts
 * const client: GroupCoordinatorClient = broker.groups;
 * ```
 */
export interface GroupCoordinatorClient {
  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult>;
  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult>;
  heartbeat(req: HeartbeatRequest): void | Promise<void>;
  leaveGroup(req: LeaveGroupRequest): void | Promise<void>;
}

/**
 * Kafka's ConsumerRebalanceListener. Eager protocol: before every rejoin all partitions are revoked, after it all new
 * ones assigned; so every member's `onPartitionsRevoked` of a rebalance runs before any member's `onPartitionsAssigned`.
 * `onPartitionsLost` replaces `onPartitionsRevoked` when the member was already out of the group (evicted, fenced):
 * committing is no longer possible then. Without it, lost partitions go to `onPartitionsRevoked`, as in Kafka.
 *
 * @example
 * ```ts
 * const listener: RebalanceListener = { onPartitionsRevoked: async () => { await consumer.commit(); } };
 * ```
 */
export interface RebalanceListener {
  /** Called with a non-empty list, while this member can still commit for the ending generation. */
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  /** Called after every completed rebalance, possibly with an empty list. */
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}

/**
 * Options for {@link GroupMembership}.
 *
 * @example
 * ```ts
 * const options: GroupMembershipOptions = { coordinator: broker.groups, groupId: 'app', clientId: 'c1', topics: ['orders'],
 *   partitionsPerTopic: (topics) => new Map(topics.map((t) => [t, broker.describeTopic(t).numPartitions])),
 *   assignors: [RangeAssignor], timers: systemTimers, clock: systemClock, logger };
 * ```
 */
export interface GroupMembershipOptions {
  readonly coordinator: GroupCoordinatorClient;
  readonly groupId: string;
  readonly clientId: string;
  readonly topics: readonly string[];
  /** Partition counts of existing topics among `topics` (the union of every member's subscription when leader). */
  readonly partitionsPerTopic: (topics: readonly string[]) => ReadonlyMap<string, number>;
  /** Offered to the group in order of preference; the leader runs the one the coordinator selects. */
  readonly assignors: readonly PartitionAssignor[];
  /** Default 45000 (Kafka's session.timeout.ms). */
  readonly sessionTimeoutMs?: number;
  /** Default 300000: Kafka's max.poll.interval.ms, also the longest gap between `ensureActive` calls before this member leaves. */
  readonly rebalanceTimeoutMs?: number;
  /** Default 3000 (Kafka's heartbeat.interval.ms). */
  readonly heartbeatIntervalMs?: number;
  readonly listener?: RebalanceListener;
  readonly timers: Timers;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Kafka's group.instance.id: a static member, which does not send LeaveGroup on leave(). */
  readonly groupInstanceId?: string;
}

const PROTOCOL_TYPE = 'consumer';
/** A rebalance that keeps failing with a retriable error is a bug or a storm; give up after this many tries. */
const MAX_JOIN_ATTEMPTS = 50;

/**
 * One consumer's membership in a group. Call {@link ensureActive} at the top of every poll; it is a cached, resolved
 * promise while the member is stable. Heartbeats run on an unref'd timer while the member holds a generation; a
 * heartbeat that learns of a rebalance sets {@link needsRejoin}, and the next `ensureActive` revokes everything
 * (eager), rejoins and reassigns.
 *
 * @example
 * ```ts
 * const m = new GroupMembership({ coordinator: broker.groups, groupId: 'app', clientId: 'c1', topics: ['orders'],
 *   partitionsPerTopic: (topics) => counts(topics), assignors: [RangeAssignor], timers, clock, logger });
 * const assigned = await m.ensureActive();
 * // ... poll and process; commit with m.commitContext() ...
 * await m.leave();
 * ```
 */
export class GroupMembership {
  readonly #opts: GroupMembershipOptions;
  readonly #sessionTimeoutMs: number;
  readonly #rebalanceTimeoutMs: number;
  readonly #heartbeatIntervalMs: number;
  readonly #logger: Logger;
  readonly #heartbeatTick = (): void => this.#heartbeat();
  #memberId = '';
  #generationId = -1;
  #protocolName = '';
  #assignment: readonly TopicPartition[] = [];
  #current: Promise<readonly TopicPartition[]> = Promise.resolve([]);
  #rejoinNeeded = true;
  /** The generation was lost (evicted, fenced, poll timeout): owned partitions go to onPartitionsLost. */
  #isLost = false;
  /** True from sending JoinGroup until the assignment is in: no commits for the old generation then. */
  #isJoining = false;
  #rebalance: Promise<readonly TopicPartition[]> | null = null;
  #heartbeatTimer: TimerHandle | null = null;
  #isHeartbeatInFlight = false;
  #lastPollMs: number;
  #isClosed = false;
  /** Set when this static member was fenced (FENCED_INSTANCE_ID): every later ensureActive fails with it. */
  #fatal: StreamsError | null = null;
  /** Bumped by leave(): a rebalance begun under an older epoch must not install its result. */
  #epoch = 0;

  constructor(options: GroupMembershipOptions) {
    if (options.assignors.length === 0) throw new StreamsError('INVALID_CONFIG', 'a group member needs at least one assignor');
    this.#opts = options;
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 45_000;
    this.#rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 300_000;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
    this.#logger = options.logger.child({ groupId: options.groupId, clientId: options.clientId });
    this.#lastPollMs = options.clock.nowMs();
  }

  /** The partitions of the current generation (empty while not a member). */
  get assignment(): readonly TopicPartition[] {
    return this.#assignment;
  }

  /** The current generation, or -1 while not in one. */
  get generationId(): number {
    return this.#generationId;
  }

  /** The id the coordinator gave this member, or '' before the first join / after eviction. */
  get memberId(): string {
    return this.#memberId;
  }

  /** True when this member must (re)join before it may go on consuming: the consumer should return from poll early. */
  get needsRejoin(): boolean {
    return this.#rejoinNeeded;
  }

  /**
   * Called at the top of every poll: when a (re)join is needed, revokes (eager) or reports lost partitions, joins,
   * syncs, decodes the assignment and calls onPartitionsAssigned; resolves with the current assignment. Concurrent
   * calls share one rebalance.
   *
   * @throws StreamsError `CLOSED` after close()/simulateCrash(); non-retriable coordinator errors; listener errors.
   */
  ensureActive(): Promise<readonly TopicPartition[]> {
    if (this.#isClosed) return Promise.reject(new StreamsError('CLOSED', 'group membership is closed'));
    if (this.#fatal !== null) return Promise.reject(this.#fatal);
    this.#lastPollMs = this.#opts.clock.nowMs();
    if (!this.#rejoinNeeded && this.#generationId >= 0) return this.#current;
    if (this.#rebalance === null) {
      this.#rebalance = this.#rejoin().finally(() => {
        this.#rebalance = null;
      });
    }
    return this.#rebalance;
  }

  /**
   * The member id and generation to send with offset commits, or null while not in a generation (before the first
   * assignment, during a join, after eviction). Still valid inside onPartitionsRevoked, as Kafka allows.
   */
  commitContext(): { memberId: string; generationId: number } | null {
    if (this.#generationId < 0 || this.#isJoining) return null;
    return { memberId: this.#memberId, generationId: this.#generationId };
  }

  /**
   * Revokes the assignment, sends LeaveGroup (dynamic members only: a static member keeps its place until its session
   * times out, as in Kafka), stops heartbeats; a later ensureActive rejoins as a new member. Does nothing once closed.
   */
  async leave(): Promise<void> {
    if (this.#isClosed) return;
    this.#epoch++; // a join in flight is abandoned (and left) when it returns
    this.#stopHeartbeats();
    const memberId = this.#memberId;
    try {
      await this.#giveUpAssignment();
    } finally {
      this.#memberId = '';
      this.#generationId = -1;
      this.#rejoinNeeded = true;
    }
    if (memberId !== '') await this.#sendLeave(memberId);
  }

  /** Test hook: stop heartbeating and never leave, as a crashed process would; the coordinator evicts it after the session timeout. */
  simulateCrash(): void {
    this.#isClosed = true;
    this.#stopHeartbeats();
  }

  /** Stops heartbeats without leaving (call leave() first for a clean exit); later ensureActive calls reject with `CLOSED`. */
  close(): void {
    this.#isClosed = true;
    this.#stopHeartbeats();
  }

  async #rejoin(): Promise<readonly TopicPartition[]> {
    const epoch = this.#epoch;
    this.#stopHeartbeats();
    const previous = this.#isLost ? [] : this.#assignment;
    await this.#giveUpAssignment();
    const { generationId, partitions, userData } = await this.#joinAndSync(epoch, previous);
    this.#opts.assignors.find((a) => a.name === this.#protocolName)?.onAssignment?.({ partitions, userData }, generationId);
    return this.#onAssigned(generationId, partitions);
  }

  /** JoinGroup then SyncGroup, again after the retriable errors a concurrent membership change causes. */
  async #joinAndSync(
    epoch: number,
    previous: readonly TopicPartition[],
  ): Promise<{ generationId: number; partitions: readonly TopicPartition[]; userData: Uint8Array | null }> {
    const { coordinator, groupId } = this.#opts;
    for (let attempt = 1; ; attempt++) {
      this.#checkActive(epoch);
      this.#isJoining = true;
      this.#generationId = -1;
      try {
        const join = await coordinator.joinGroup(this.#joinRequest(previous));
        if (!this.#isClosed && epoch !== this.#epoch) void this.#sendLeave(join.memberId);
        this.#checkActive(epoch);
        this.#memberId = join.memberId;
        this.#protocolName = join.protocolName;
        const isLeader = join.leaderId === join.memberId && !join.skipAssignment;
        const sync = await coordinator.syncGroup({
          groupId,
          memberId: join.memberId,
          generationId: join.generationId,
          protocolType: PROTOCOL_TYPE,
          protocolName: join.protocolName,
          assignments: isLeader ? this.#assign(join) : [],
          ...(this.#opts.groupInstanceId === undefined ? {} : { groupInstanceId: this.#opts.groupInstanceId }),
        });
        this.#checkActive(epoch);
        const { assignedPartitions, userData } = decodeAssignment(sync.assignment);
        return { generationId: join.generationId, partitions: assignedPartitions, userData };
      } catch (e: unknown) {
        this.#checkActive(epoch);
        if (!isStreamsError(e) || attempt >= MAX_JOIN_ATTEMPTS) throw e;
        if (e.code === 'UNKNOWN_MEMBER_ID') this.#memberId = '';
        else if (e.code !== 'REBALANCE_IN_PROGRESS' && e.code !== 'ILLEGAL_GENERATION') throw e;
        this.#logger.debug({ code: e.code, attempt }, 'rejoining group');
      } finally {
        this.#isJoining = false;
      }
    }
  }

  async #onAssigned(generationId: number, partitions: readonly TopicPartition[]): Promise<readonly TopicPartition[]> {
    const subscribed = new Set(this.#opts.topics);
    const assigned = partitions.filter((tp) => subscribed.has(tp.topic));
    if (assigned.length !== partitions.length) this.#logger.warn({ partitions }, 'assignment names topics this member does not subscribe to; ignoring them');
    this.#generationId = generationId;
    this.#assignment = Object.freeze(assigned);
    this.#current = Promise.resolve(this.#assignment);
    this.#rejoinNeeded = false;
    this.#isLost = false;
    this.#isJoining = false;
    this.#scheduleHeartbeat();
    this.#logger.info({ generationId, memberId: this.#memberId, protocol: this.#protocolName, partitions: assigned.length }, 'joined group');
    await this.#opts.listener?.onPartitionsAssigned?.([...assigned]);
    return this.#assignment;
  }

  /** Eager protocol: everything goes before a rejoin; as lost when the generation is already gone. */
  async #giveUpAssignment(): Promise<void> {
    const owned = this.#assignment;
    const lost = this.#isLost;
    this.#assignment = [];
    this.#current = Promise.resolve(this.#assignment);
    this.#isLost = false;
    if (owned.length === 0) return;
    const listener = this.#opts.listener;
    if (lost) {
      this.#logger.info({ partitions: owned.length }, 'partitions lost');
      await (listener?.onPartitionsLost ?? listener?.onPartitionsRevoked)?.call(listener, [...owned]);
    } else {
      this.#logger.info({ partitions: owned.length }, 'revoking partitions');
      await listener?.onPartitionsRevoked?.([...owned]);
    }
  }

  #joinRequest(previous: readonly TopicPartition[]): JoinGroupRequest {
    // owned partitions let a sticky assignor keep them; range and round-robin ignore them
    const topics = this.#opts.topics;
    return {
      groupId: this.#opts.groupId,
      memberId: this.#memberId,
      clientId: this.#opts.clientId,
      sessionTimeoutMs: this.#sessionTimeoutMs,
      rebalanceTimeoutMs: this.#rebalanceTimeoutMs,
      protocolType: PROTOCOL_TYPE,
      protocols: this.#opts.assignors.map((a) => ({
        name: a.name,
        metadata: encodeSubscription({ topics, ownedPartitions: previous, userData: a.subscriptionUserData?.(topics) ?? null }),
      })),
      ...(this.#opts.groupInstanceId === undefined ? {} : { groupInstanceId: this.#opts.groupInstanceId }),
    };
  }

  /** The leader's part: decode every member's subscription, run the selected assignor, encode the result. */
  #assign(join: JoinGroupResult): { memberId: string; assignment: Uint8Array }[] {
    const assignor = this.#opts.assignors.find((a) => a.name === join.protocolName);
    if (assignor === undefined) {
      throw new StreamsError('INCONSISTENT_GROUP_PROTOCOL', `the coordinator selected assignor '${join.protocolName}', which this member does not have`);
    }
    const subscriptions = new Map<string, MemberSubscription>();
    const topics = new Set<string>();
    for (const m of join.members) {
      const sub = decodeSubscription(m.metadata);
      subscriptions.set(m.memberId, { topics: sub.topics, userData: sub.userData, ownedPartitions: sub.ownedPartitions });
      for (const t of sub.topics) topics.add(t);
    }
    const partitionsPerTopic = this.#opts.partitionsPerTopic([...topics].sort());
    const result = assignor.assign(partitionsPerTopic, subscriptions);
    const userData = assignor.assignmentUserData?.(result, subscriptions, partitionsPerTopic);
    this.#logger.debug({ assignor: assignor.name, members: join.members.length }, 'computed group assignment as leader');
    return join.members.map((m) => ({
      memberId: m.memberId,
      assignment: encodeAssignment({ assignedPartitions: result.get(m.memberId) ?? [], userData: userData?.get(m.memberId) ?? null }),
    }));
  }

  #scheduleHeartbeat(): void {
    if (this.#isClosed || this.#heartbeatTimer !== null) return;
    this.#heartbeatTimer = this.#opts.timers.setTimeout(this.#heartbeatTick, this.#heartbeatIntervalMs);
  }

  #stopHeartbeats(): void {
    if (this.#heartbeatTimer !== null) this.#opts.timers.clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
  }

  #heartbeat(): void {
    this.#heartbeatTimer = null;
    if (this.#isClosed || this.#generationId < 0 || this.#isHeartbeatInFlight) return;
    if (this.#opts.clock.nowMs() - this.#lastPollMs > this.#rebalanceTimeoutMs) {
      this.#onPollTimeout();
      return;
    }
    const memberId = this.#memberId;
    const generationId = this.#generationId;
    const req: HeartbeatRequest = { groupId: this.#opts.groupId, memberId, generationId, ...(this.#opts.groupInstanceId === undefined ? {} : { groupInstanceId: this.#opts.groupInstanceId }) };
    let pending: Promise<void> | undefined;
    try {
      pending = this.#opts.coordinator.heartbeat(req) as Promise<void> | undefined;
    } catch (e: unknown) {
      this.#onHeartbeatError(e, memberId, generationId);
      this.#scheduleHeartbeat();
      return;
    }
    if (pending === undefined) {
      this.#scheduleHeartbeat();
      return;
    }
    this.#isHeartbeatInFlight = true;
    pending.then(
      () => {
        this.#isHeartbeatInFlight = false;
        this.#scheduleHeartbeat();
      },
      (e: unknown) => {
        this.#isHeartbeatInFlight = false;
        this.#onHeartbeatError(e, memberId, generationId);
        this.#scheduleHeartbeat();
      },
    );
  }

  #onHeartbeatError(e: unknown, memberId: string, generationId: number): void {
    // an answer about a generation this member already left behind says nothing about the current one
    if (memberId !== this.#memberId || generationId !== this.#generationId) return;
    const code = isStreamsError(e) ? e.code : undefined;
    switch (code) {
      case 'REBALANCE_IN_PROGRESS':
        // keep heartbeating: the session must stay alive until the next poll rejoins
        this.#rejoinNeeded = true;
        return;
      case 'ILLEGAL_GENERATION':
      case 'UNKNOWN_MEMBER_ID':
        this.#logger.info({ code, memberId, generationId }, 'member is no longer in the generation; partitions are lost');
        if (code === 'UNKNOWN_MEMBER_ID') this.#memberId = '';
        this.#generationId = -1;
        this.#isLost = true;
        this.#rejoinNeeded = true;
        this.#stopHeartbeats();
        return;
      case 'CLOSED':
        this.#stopHeartbeats();
        this.#rejoinNeeded = true;
        return;
      case 'FENCED_INSTANCE_ID':
        // A newer instance with this group.instance.id took the place: fatal, never rejoin (Kafka's behaviour).
        this.#logger.error({ err: toError(e), memberId }, 'this static member was fenced by a newer instance');
        this.#fatal = e as StreamsError;
        this.#generationId = -1;
        this.#isLost = true;
        this.#rejoinNeeded = true;
        this.#stopHeartbeats();
        return;
      default:
        this.#logger.warn({ err: toError(e) }, 'heartbeat failed; retrying');
    }
  }

  /** Kafka's max.poll.interval.ms: a member that stopped polling leaves so the others can take its partitions. */
  #onPollTimeout(): void {
    const memberId = this.#memberId;
    this.#logger.warn({ memberId, rebalanceTimeoutMs: this.#rebalanceTimeoutMs }, 'no poll within the rebalance timeout; leaving the group');
    this.#generationId = -1;
    this.#memberId = '';
    this.#isLost = true;
    this.#rejoinNeeded = true;
    void this.#sendLeave(memberId);
  }

  /** Throws when the membership was closed, or left, since the rebalance that calls this began. */
  #checkActive(epoch: number): void {
    if (this.#isClosed) throw new StreamsError('CLOSED', 'group membership is closed');
    if (epoch !== this.#epoch) throw new StreamsError('CLOSED', 'the member left the group while joining');
  }

  async #sendLeave(memberId: string): Promise<void> {
    if (this.#opts.groupInstanceId !== undefined) return;
    try {
      await this.#opts.coordinator.leaveGroup({ groupId: this.#opts.groupId, memberId });
      this.#logger.info({ memberId }, 'left the group');
    } catch (e: unknown) {
      // already evicted, or the coordinator is gone: nothing left to leave
      this.#logger.debug({ memberId, err: toError(e) }, 'leave group failed');
    }
  }
}
