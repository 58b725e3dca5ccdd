/**
 * The consumer-group coordinator with Kafka's classic group protocol: JoinGroup / SyncGroup / Heartbeat / LeaveGroup,
 * generations, session and rebalance timeouts, static members, and the group's committed offsets (kept in memory,
 * made durable through an {@link OffsetStore} before a commit is acknowledged).
 *
 * Requests and results carry the fields of Kafka's messages of the same names, so a wire-protocol front can map them
 * one to one; errors are thrown (or rejected) as StreamsError with the Kafka error's name as code where one exists.
 */
import { randomUUID } from 'node:crypto';
import { StreamsError } from '../errors.js';
import type { TopicPartition } from '../record.js';
import { topicPartitionKey } from '../record.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { TimerHandle, Timers } from '../util/timers.js';
import { PendingTransactionalOffsets } from './pending-transactional-offsets.js';

/**
 * The lifecycle of a classic group, with Kafka's state names: Empty (no members, maybe offsets) -> PreparingRebalance
 * (collecting joins) -> CompletingRebalance (waiting for the leader's assignment) -> Stable; Dead once deleted.
 *
 * @example
 * ```ts
 * if (coordinator.describeGroup('app').state === 'Stable') console.log('settled');
 * ```
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Kafka's GroupMetadata transitions: the states each state may move to. */
const TRANSITIONS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance', 'Dead'],
  PreparingRebalance: ['CompletingRebalance', 'Empty', 'Dead'],
  CompletingRebalance: ['PreparingRebalance', 'Stable', 'Dead'],
  Stable: ['PreparingRebalance', 'Dead'],
  Dead: [],
};

/**
 * One committed offset as stored (a record of `__consumer_offsets`).
 *
 * @example
 * ```ts
 * const c: CommittedOffset = { topic: 'orders', partition: 0, offset: 42, metadata: '', commitTimestampMs: Date.now() };
 * ```
 */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume, as Kafka commits it. */
  readonly offset: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
  readonly leaderEpoch?: number;
}

/**
 * Where committed offsets become durable; the broker implements it over `__consumer_offsets`.
 *
 * @example
 * ```ts
 * const store: OffsetStore = { persist: async (groupId, commits) => { await log.append(toRecords(groupId, commits)); } };
 * ```
 */
export interface OffsetStore {
  /** Persist these commits durably; resolve only when durable. Calls may resolve out of order: the later commit still wins. */
  persist(groupId: string, commits: readonly CommittedOffset[]): Promise<void>;
  /** Persist the deletion of a group's offsets (tombstones); called by {@link GroupCoordinator.deleteGroup}. */
  deleteGroup?(groupId: string, partitions: readonly TopicPartition[]): Promise<void>;
  /** Persist offsets as part of a producer's transaction (a transactional batch); needed by TxnOffsetCommit. */
  persistTransactional?(groupId: string, commits: readonly CommittedOffset[], producerId: number, producerEpoch: number): Promise<void>;
}

/**
 * Options for {@link GroupCoordinator}.
 *
 * @example
 * ```ts
 * const options: GroupCoordinatorOptions = { clock: systemClock, timers: systemTimers, logger, offsetStore, initialRebalanceDelayMs: 3_000 };
 * ```
 */
export interface GroupCoordinatorOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Kafka's `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group waits for more joiners. Default 0. */
  readonly initialRebalanceDelayMs?: number;
  /** Kafka's `group.min.session.timeout.ms`; default 6000. */
  readonly minSessionTimeoutMs?: number;
  /** Kafka's `group.max.session.timeout.ms`; default 1800000. */
  readonly maxSessionTimeoutMs?: number;
  readonly offsetStore: OffsetStore;
}

/**
 * A protocol a member supports (an assignor name) with its metadata (for consumers, the encoded subscription).
 *
 * @example
 * ```ts
 * const p: GroupProtocol = { name: 'range', metadata: encodeSubscription({ topics: ['orders'] }) };
 * ```
 */
export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

/**
 * Kafka's JoinGroupRequest. `memberId: ''` joins as a new member and gets an id in the result; protocols are in order
 * of preference.
 *
 * @example
 * ```ts
 * const req: JoinGroupRequest = { groupId: 'app', memberId: '', clientId: 'c1', sessionTimeoutMs: 45_000,
 *   rebalanceTimeoutMs: 300_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata }] };
 * ```
 */
export interface JoinGroupRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId?: string;
  readonly clientId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
  readonly reason?: string;
}

/**
 * A member as the leader sees it in a JoinGroup result: its metadata for the selected protocol.
 *
 * @example
 * ```ts
 * for (const m of join.members) subscriptions.set(m.memberId, decodeSubscription(m.metadata));
 * ```
 */
export interface JoinGroupMember {
  readonly memberId: string;
  readonly groupInstanceId?: string;
  readonly metadata: Uint8Array;
}

/**
 * Kafka's JoinGroupResponse. `members` is filled for the leader only, with each member's metadata for `protocolName`.
 *
 * @example
 * ```ts
 * const isLeader = join.leaderId === join.memberId && !join.skipAssignment;
 * ```
 */
export interface JoinGroupResult {
  readonly generationId: number;
  readonly protocolType: string;
  readonly protocolName: string;
  readonly leaderId: string;
  readonly memberId: string;
  /** True when the leader must not compute an assignment (a static member rejoined a stable group). */
  readonly skipAssignment: boolean;
  readonly members: readonly JoinGroupMember[];
}

/**
 * Kafka's SyncGroupRequest; only the leader sends `assignments`, the others `[]`.
 *
 * @example
 * ```ts
 * await gc.syncGroup({ groupId: 'app', memberId: join.memberId, generationId: join.generationId, assignments: [] });
 * ```
 */
export interface SyncGroupRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly groupInstanceId?: string;
  readonly protocolType?: string;
  readonly protocolName?: string;
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Uint8Array }[];
}

/**
 * Kafka's SyncGroupResponse: this member's assignment bytes (empty when the leader gave it none).
 *
 * @example
 * ```ts
 * const { assignedPartitions } = decodeAssignment((await gc.syncGroup(req)).assignment);
 * ```
 */
export interface SyncGroupResult {
  readonly assignment: Uint8Array;
  readonly protocolType: string;
  readonly protocolName: string;
}

/**
 * Kafka's HeartbeatRequest.
 *
 * @example
 * ```ts
 * gc.heartbeat({ groupId: 'app', memberId, generationId });
 * ```
 */
export interface HeartbeatRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly groupInstanceId?: string;
}

/**
 * Kafka's LeaveGroupRequest for one member; a static member may be named by `groupInstanceId` alone (`memberId: ''`).
 *
 * @example
 * ```ts
 * gc.leaveGroup({ groupId: 'app', memberId });
 * ```
 */
export interface LeaveGroupRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId?: string;
  readonly reason?: string;
}

/**
 * Kafka's OffsetCommitRequest. Without a member and generation (or with generation -1) it is a standalone commit,
 * accepted only while the group has no members. `offset` is the next offset to read.
 *
 * @example
 * ```ts
 * await gc.commitOffsets({ groupId: 'app', memberId, generationId, offsets: [{ topic: 'orders', partition: 0, offset: 42 }] });
 * ```
 */
export interface OffsetCommitRequest {
  readonly groupId: string;
  readonly memberId?: string;
  readonly generationId?: number;
  readonly groupInstanceId?: string;
  readonly offsets: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
    readonly metadata?: string;
    readonly leaderEpoch?: number;
  }[];
}

/**
 * Kafka's TxnOffsetCommitRequest: offsets committed inside producer `producerId`'s transaction, visible to the group
 * only once the transaction commits. With a member and generation (KIP-447) they are checked as OffsetCommit
 * checks them, so a producer working for a stale generation cannot commit; generation -1 skips the check.
 *
 * @example
 * ```ts
 * await gc.commitTransactionalOffsets({ groupId: 'app', producerId, producerEpoch, memberId, generationId,
 *   offsets: [{ topic: 'orders', partition: 0, offset: 42 }] });
 * ```
 */
export interface TxnOffsetCommitRequest extends OffsetCommitRequest {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/**
 * Kafka's DescribeGroups answer for one group; an unknown group is described as `Dead` with no members.
 *
 * @example
 * ```ts
 * const { state, members } = gc.describeGroup('app');
 * ```
 */
export interface GroupDescription {
  readonly groupId: string;
  readonly state: GroupState;
  readonly protocolType: string;
  /** The selected protocol (assignor) name, or '' when none. */
  readonly protocol: string;
  readonly generationId: number;
  readonly leaderId: string;
  readonly members: readonly {
    readonly memberId: string;
    readonly groupInstanceId?: string;
    readonly clientId: string;
    /** The member's metadata for the selected protocol; empty unless the group is Stable, as Kafka answers. */
    readonly metadata: Uint8Array;
    readonly assignment: Uint8Array;
  }[];
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Member {
  memberId: string;
  readonly groupInstanceId: string | undefined;
  clientId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly GroupProtocol[];
  assignment: Uint8Array;
  joinWaiter: Deferred<JoinGroupResult> | null;
  syncWaiter: Deferred<SyncGroupResult> | null;
  sessionTimer: TimerHandle | null;
}

interface StoredOffset {
  readonly value: CommittedOffset;
  readonly seq: number;
}

interface Group {
  readonly groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  readonly members: Map<string, Member>;
  readonly staticMembers: Map<string, string>;
  readonly offsets: Map<string, StoredOffset>;
  commitSeq: number;
  joinTimer: TimerHandle | null;
  /** While the initial delayed join of an empty group runs: the rebalance time it may still extend into. */
  initialJoinRemainingMs: number | null;
  newMemberAdded: boolean;
  readonly pendingSync: Set<string>;
  syncTimer: TimerHandle | null;
}

const EMPTY_BYTES = new Uint8Array(0);

/**
 * The coordinator of every consumer group of one broker (Kafka's classic GroupCoordinator), single-threaded.
 *
 * Join semantics: a join moves the group to PreparingRebalance; it completes when every member has rejoined or the
 * rebalance timeout (largest member rebalanceTimeoutMs) expires, dropping dynamic members that did not rejoin; an empty
 * group's first rebalance waits `initialRebalanceDelayMs` (extended while members keep arriving). Then the generation
 * increments, the protocol every member supports with the most first-choice votes is chosen (ties: the leader's
 * order), the leader is the previous leader if it rejoined, else the first member to have joined; the leader's result
 * carries the members. The leader's SyncGroup stores the assignment and answers every member (Stable).
 *
 * @example
 * ```ts
 * const gc = new GroupCoordinator({ clock: systemClock, timers: systemTimers, logger, offsetStore });
 * const join = await gc.joinGroup({ groupId: 'g', memberId: '', clientId: 'c', sessionTimeoutMs: 45_000,
 *   rebalanceTimeoutMs: 300_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata }] });
 * const { assignment } = await gc.syncGroup({ groupId: 'g', memberId: join.memberId, generationId: join.generationId,
 *   assignments: join.leaderId === join.memberId ? computeAssignments(join.members) : [] });
 * ```
 */
export class GroupCoordinator {
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #logger: Logger;
  readonly #store: OffsetStore;
  readonly #initialDelayMs: number;
  readonly #minSessionMs: number;
  readonly #maxSessionMs: number;
  readonly #groups = new Map<string, Group>();
  readonly #pendingTxn = new PendingTransactionalOffsets();
  #closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#logger = options.logger;
    this.#store = options.offsetStore;
    this.#initialDelayMs = options.initialRebalanceDelayMs ?? 0;
    this.#minSessionMs = options.minSessionTimeoutMs ?? 6_000;
    this.#maxSessionMs = options.maxSessionTimeoutMs ?? 1_800_000;
  }

  /** Seeds offsets read back from the log at broker open, in log order (a later entry replaces an earlier one); nothing is persisted. */
  loadOffsets(groupId: string, commits: readonly CommittedOffset[]): void {
    const group = this.#getOrCreate(groupId);
    for (const c of commits) group.offsets.set(topicPartitionKey(c.topic, c.partition), { value: c, seq: group.commitSeq++ });
  }

  /**
   * Kafka's JoinGroup: resolves when the rebalance this join takes part in completes (or at once when a known member
   * rejoins a group that needs no rebalance, answering with the current generation).
   *
   * @throws StreamsError `UNKNOWN_MEMBER_ID` (unknown or evicted member: rejoin with `memberId: ''`),
   * `INCONSISTENT_GROUP_PROTOCOL`, `INVALID_CONFIG` (session timeout out of range), `REBALANCE_IN_PROGRESS` (a newer
   * join of the same member replaced this one), `CLOSED`.
   */
  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    try {
      this.#checkOpen();
      if (req.sessionTimeoutMs < this.#minSessionMs || req.sessionTimeoutMs > this.#maxSessionMs) {
        throw new StreamsError('INVALID_CONFIG', `session timeout ${req.sessionTimeoutMs} ms is outside [${this.#minSessionMs}, ${this.#maxSessionMs}]`);
      }
      if (req.groupId === '') throw new StreamsError('INVALID_CONFIG', 'group id must not be empty');
      let group = this.#groups.get(req.groupId);
      if (group === undefined) {
        if (req.memberId !== '') throw this.#unknownMember(req.groupId, req.memberId);
        group = this.#getOrCreate(req.groupId);
      }
      if (!this.#supportsProtocols(group, req.memberId, req.protocolType, req.protocols)) {
        throw new StreamsError('INCONSISTENT_GROUP_PROTOCOL', `member ${req.memberId || req.clientId} supports none of group ${req.groupId}'s protocols`);
      }
      return req.memberId === '' ? this.#joinNewMember(group, req) : this.#joinKnownMember(group, req);
    } catch (e: unknown) {
      return Promise.reject(e);
    }
  }

  /**
   * Kafka's SyncGroup: the leader's call stores the assignment and answers every waiting member; a follower waits for
   * the leader; in Stable it answers the stored assignment at once.
   *
   * @throws StreamsError `UNKNOWN_MEMBER_ID`, `ILLEGAL_GENERATION`, `REBALANCE_IN_PROGRESS` (a rebalance began: rejoin),
   * `INCONSISTENT_GROUP_PROTOCOL`, `CLOSED`.
   */
  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult> {
    try {
      this.#checkOpen();
      const { group, member } = this.#validateMember(req.groupId, req.memberId, req.groupInstanceId, req.generationId);
      if ((req.protocolType !== undefined && req.protocolType !== group.protocolType) || (req.protocolName !== undefined && req.protocolName !== group.protocolName)) {
        throw new StreamsError('INCONSISTENT_GROUP_PROTOCOL', `sync names protocol ${req.protocolType}/${req.protocolName}, group uses ${group.protocolType}/${group.protocolName}`);
      }
      switch (group.state) {
        case 'Empty':
        case 'Dead':
          throw this.#unknownMember(group.groupId, member.memberId);
        case 'PreparingRebalance':
          throw this.#rebalancing(group);
        case 'Stable':
          group.pendingSync.delete(member.memberId);
          this.#armSession(group, member);
          return Promise.resolve(this.#syncResult(group, member));
        case 'CompletingRebalance': {
          member.syncWaiter?.reject(this.#rebalancing(group));
          const waiter = deferred<SyncGroupResult>();
          member.syncWaiter = waiter;
          group.pendingSync.delete(member.memberId);
          if (member.memberId === group.leaderId) this.#completeSync(group, req.assignments);
          return waiter.promise;
        }
      }
    } catch (e: unknown) {
      return Promise.reject(e);
    }
  }

  /**
   * Kafka's Heartbeat: resets the member's session timer.
   *
   * @throws StreamsError `REBALANCE_IN_PROGRESS` (the group is preparing a rebalance: rejoin; the timer is still reset),
   * `ILLEGAL_GENERATION`, `UNKNOWN_MEMBER_ID`, `CLOSED`.
   */
  heartbeat(req: HeartbeatRequest): void {
    this.#checkOpen();
    const { group, member } = this.#validateMember(req.groupId, req.memberId, req.groupInstanceId, req.generationId);
    if (group.state === 'Empty' || group.state === 'Dead') throw this.#unknownMember(group.groupId, member.memberId);
    this.#armSession(group, member);
    if (group.state === 'PreparingRebalance') throw this.#rebalancing(group);
  }

  /**
   * Kafka's LeaveGroup: removes the member at once and starts a rebalance of the others.
   *
   * @throws StreamsError `UNKNOWN_MEMBER_ID`, `CLOSED`.
   */
  leaveGroup(req: LeaveGroupRequest): void {
    this.#checkOpen();
    const group = this.#groups.get(req.groupId);
    if (group === undefined) throw this.#unknownMember(req.groupId, req.memberId);
    let memberId = req.memberId;
    if (req.groupInstanceId !== undefined) {
      const staticId = group.staticMembers.get(req.groupInstanceId);
      if (staticId === undefined) throw this.#unknownMember(req.groupId, req.memberId);
      if (memberId !== '' && memberId !== staticId) throw this.#fenced(group.groupId, memberId);
      memberId = staticId;
    }
    const member = group.members.get(memberId);
    if (member === undefined) throw this.#unknownMember(req.groupId, req.memberId);
    this.#logger.info({ groupId: group.groupId, memberId: member.memberId, reason: req.reason }, 'member left the group');
    this.#removeMember(group, member, 'member left the group');
  }

  /**
   * Kafka's OffsetCommit: validates membership as Kafka does, then persists through the OffsetStore and only then
   * makes the offsets visible to {@link fetchOffsets} and resolves. Allowed in Stable and PreparingRebalance (members
   * commit while revoking); a standalone commit (no generation) only while the group has no members.
   *
   * @throws StreamsError `ILLEGAL_GENERATION`, `UNKNOWN_MEMBER_ID`, `REBALANCE_IN_PROGRESS` (in CompletingRebalance),
   * `UNKNOWN_TOPIC_OR_PARTITION` (negative partition), `STORAGE_FAILED` (the store failed), `CLOSED`.
   */
  async commitOffsets(req: OffsetCommitRequest): Promise<void> {
    this.#checkOpen();
    const generationId = req.generationId ?? -1;
    const memberId = req.memberId ?? '';
    let group = this.#groups.get(req.groupId);
    if (group === undefined) {
      if (generationId >= 0) throw new StreamsError('ILLEGAL_GENERATION', `group ${req.groupId} has no generation ${generationId}`);
      group = this.#getOrCreate(req.groupId);
    }
    if (!(generationId < 0 && group.state === 'Empty')) {
      if (generationId >= 0 || memberId !== '' || req.groupInstanceId !== undefined) {
        const { member } = this.#validateMember(group.groupId, memberId, req.groupInstanceId, generationId);
        if (group.state === 'CompletingRebalance') throw this.#rebalancing(group);
        this.#armSession(group, member);
      } else {
        throw new StreamsError('UNKNOWN_MEMBER_ID', `standalone commit to group ${group.groupId} while it has members`);
      }
    }
    const commits = this.#toCommits(req.offsets);
    const seq = group.commitSeq++;
    try {
      await this.#store.persist(group.groupId, commits);
    } catch (e: unknown) {
      if (e instanceof StreamsError) throw e;
      throw new StreamsError('STORAGE_FAILED', `could not persist offsets of group ${group.groupId}`, { cause: e });
    }
    if (this.#groups.get(group.groupId) !== group) return; // deleted meanwhile
    // an older commit whose store call resolved late must not overwrite a newer one
    for (const c of commits) {
      const key = topicPartitionKey(c.topic, c.partition);
      const prev = group.offsets.get(key);
      if (prev === undefined || prev.seq < seq) group.offsets.set(key, { value: c, seq });
    }
  }

  /**
   * Kafka's TxnOffsetCommit: validates the member and generation when given (KIP-447: `ILLEGAL_GENERATION`,
   * `UNKNOWN_MEMBER_ID`), writes the offsets to the log as part of the producer's transaction, and keeps them
   * pending until {@link completeTransaction}. The caller (the transaction coordinator's client) has added the
   * group's offsets partition to the transaction first.
   */
  async commitTransactionalOffsets(req: TxnOffsetCommitRequest): Promise<void> {
    this.#checkOpen();
    const generationId = req.generationId ?? -1;
    if (generationId >= 0) {
      if (!this.#groups.has(req.groupId)) throw new StreamsError('ILLEGAL_GENERATION', `group ${req.groupId} has no generation ${generationId}`);
      this.#validateMember(req.groupId, req.memberId ?? '', req.groupInstanceId, generationId);
    }
    const persist = this.#store.persistTransactional;
    if (persist === undefined) throw new StreamsError('ILLEGAL_STATE', 'this offset store cannot write transactional offsets');
    const commits = this.#toCommits(req.offsets);
    if (commits.length === 0) return;
    try {
      await persist.call(this.#store, req.groupId, commits, req.producerId, req.producerEpoch);
    } catch (e: unknown) {
      if (e instanceof StreamsError) throw e;
      throw new StreamsError('STORAGE_FAILED', `could not persist transactional offsets of group ${req.groupId}`, { cause: e });
    }
    this.#pendingTxn.add(req.producerId, req.groupId, commits.map((c) => [topicPartitionKey(c.topic, c.partition), c] as const));
  }

  /** Seeds pending transactional offsets read back from the log (an open transaction at broker open). */
  loadPendingTransactionalOffsets(producerId: number, groupId: string, commits: readonly CommittedOffset[]): void {
    this.#pendingTxn.add(producerId, groupId, commits.map((c) => [topicPartitionKey(c.topic, c.partition), c] as const));
  }

  /**
   * The producer's transaction completed (its markers are written): its pending offsets become the groups'
   * committed offsets (COMMIT) or are dropped (ABORT); stable reads waiting on them resume.
   */
  completeTransaction(producerId: number, isCommit: boolean): void {
    const groups = this.#pendingTxn.take(producerId);
    if (groups === undefined) return;
    if (isCommit) {
      for (const [groupId, offsets] of groups) {
        const group = this.#getOrCreate(groupId);
        const seq = group.commitSeq++;
        for (const [key, c] of offsets) group.offsets.set(key, { value: c, seq });
      }
    }
    this.#pendingTxn.notify();
  }

  /** Whether an open transaction holds an offset of the group for this partition (KIP-447: not stable yet). */
  hasPendingTransactionalOffset(groupId: string, tp: TopicPartition): boolean {
    return this.#pendingTxn.has(groupId, topicPartitionKey(tp.topic, tp.partition));
  }

  /**
   * KIP-447's requireStable: null when no open transaction holds an offset of the group for these partitions,
   * else a promise resolved when none does (its transaction committed, aborted or timed out).
   */
  whenOffsetsStable(groupId: string, partitions: readonly TopicPartition[]): Promise<void> | null {
    return this.#pendingTxn.whenStable(
      groupId,
      partitions.map((tp) => topicPartitionKey(tp.topic, tp.partition)),
    );
  }

  /**
   * Kafka's OffsetFetch: the group's committed offsets keyed by `topicPartitionKey`, all or those of `partitions`
   * (partitions without a commit are absent). Answers for any group, even one without members.
   */
  fetchOffsets(groupId: string, partitions?: readonly TopicPartition[]): Map<string, CommittedOffset> {
    const out = new Map<string, CommittedOffset>();
    const group = this.#groups.get(groupId);
    if (group === undefined) return out;
    if (partitions === undefined) {
      for (const [key, stored] of group.offsets) out.set(key, stored.value);
    } else {
      for (const tp of partitions) {
        const key = topicPartitionKey(tp.topic, tp.partition);
        const stored = group.offsets.get(key);
        if (stored !== undefined) out.set(key, stored.value);
      }
    }
    return out;
  }

  /** Kafka's DescribeGroups for one group. */
  describeGroup(groupId: string): GroupDescription {
    const group = this.#groups.get(groupId);
    if (group === undefined) return { groupId, state: 'Dead', protocolType: '', protocol: '', generationId: -1, leaderId: '', members: [] };
    const members = [...group.members.values()].map((m) => {
      const metadata = group.state === 'Stable' ? (m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY_BYTES) : EMPTY_BYTES;
      const d = { memberId: m.memberId, clientId: m.clientId, metadata, assignment: m.assignment };
      return m.groupInstanceId === undefined ? d : { ...d, groupInstanceId: m.groupInstanceId };
    });
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocol: group.protocolName ?? '',
      generationId: group.generationId,
      leaderId: group.leaderId ?? '',
      members,
    };
  }

  /** Kafka's ListGroups: every group this coordinator knows, including member-less ones holding offsets. */
  listGroups(): { groupId: string; state: GroupState; protocolType: string }[] {
    return [...this.#groups.values()].map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType ?? '' }));
  }

  /**
   * Kafka's DeleteGroups for one group: only an Empty group may be deleted; its offsets go, through
   * `OffsetStore.deleteGroup` when the store has it. Deleting an unknown group does nothing.
   *
   * @throws StreamsError `ILLEGAL_STATE` when the group has members (Kafka's NON_EMPTY_GROUP).
   */
  async deleteGroup(groupId: string): Promise<void> {
    this.#checkOpen();
    const group = this.#groups.get(groupId);
    if (group === undefined) return;
    if (group.state !== 'Empty') throw new StreamsError('ILLEGAL_STATE', `group ${groupId} is ${group.state}, not Empty; it cannot be deleted`);
    this.#transition(group, 'Dead');
    this.#groups.delete(groupId);
    const partitions = [...group.offsets.values()].map((s) => ({ topic: s.value.topic, partition: s.value.partition }));
    if (partitions.length > 0) await this.#store.deleteGroup?.(groupId, partitions);
  }

  /** Clears every timer and rejects pending joins and syncs with `CLOSED`; later calls throw `CLOSED`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new StreamsError('CLOSED', 'group coordinator closed');
    for (const group of this.#groups.values()) {
      this.#clearTimer(group.joinTimer);
      this.#clearTimer(group.syncTimer);
      group.joinTimer = group.syncTimer = null;
      for (const m of group.members.values()) {
        this.#clearTimer(m.sessionTimer);
        m.sessionTimer = null;
        m.joinWaiter?.reject(closed);
        m.syncWaiter?.reject(closed);
        m.joinWaiter = m.syncWaiter = null;
      }
    }
  }

  // ---- join ---------------------------------------------------------------------------------------------------

  #joinNewMember(group: Group, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const memberId = `${req.clientId}-${randomUUID()}`;
    const oldId = req.groupInstanceId === undefined ? undefined : group.staticMembers.get(req.groupInstanceId);
    const old = oldId === undefined ? undefined : group.members.get(oldId);
    if (old !== undefined) return this.#replaceStaticMember(group, old, memberId, req);
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: EMPTY_BYTES,
      joinWaiter: deferred(),
      syncWaiter: null,
      sessionTimer: null,
    };
    if (group.members.size === 0) group.protocolType = req.protocolType;
    if (group.state === 'PreparingRebalance' && group.initialJoinRemainingMs !== null) group.newMemberAdded = true;
    group.members.set(memberId, member);
    if (req.groupInstanceId !== undefined) group.staticMembers.set(req.groupInstanceId, memberId);
    group.leaderId ??= memberId;
    const promise = (member.joinWaiter as Deferred<JoinGroupResult>).promise;
    this.#logger.debug({ groupId: group.groupId, memberId, reason: req.reason }, 'new member joins');
    this.#maybePrepareRebalance(group, `new member ${memberId} joins`);
    return promise;
  }

  /** A static member came back under a new member id: it takes over the old member's place (Kafka's replaceStaticMember). */
  #replaceStaticMember(group: Group, old: Member, memberId: string, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const fenced = this.#fenced(group.groupId, old.memberId);
    old.joinWaiter?.reject(fenced);
    old.syncWaiter?.reject(fenced);
    this.#clearTimer(old.sessionTimer);
    const member: Member = { ...old, memberId, joinWaiter: null, syncWaiter: null, sessionTimer: null };
    group.members.delete(old.memberId);
    group.members.set(memberId, member);
    group.staticMembers.set(req.groupInstanceId as string, memberId);
    if (group.pendingSync.delete(old.memberId)) group.pendingSync.add(memberId);
    if (group.leaderId === old.memberId) group.leaderId = memberId;
    const unchanged = this.#sameProtocols(old.protocols, req.protocols);
    const promise = this.#updateMember(member, req);
    // only a stable group can skip the rebalance: in CompletingRebalance the leader may be assigning to the old id
    if (group.state === 'Stable' && unchanged) {
      const waiter = member.joinWaiter as Deferred<JoinGroupResult>;
      member.joinWaiter = null;
      this.#armSession(group, member);
      // KIP-814: a returning static leader gets the members but must not reassign; Stable serves stored assignments
      waiter.resolve({ ...this.#joinResult(group, member, true), skipAssignment: memberId === group.leaderId });
      return promise;
    }
    this.#maybePrepareRebalance(group, `static member ${req.groupInstanceId} rejoins`);
    return promise;
  }

  #joinKnownMember(group: Group, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const member = this.#findMember(group, req.memberId, req.groupInstanceId);
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        throw this.#unknownMember(group.groupId, req.memberId);
      case 'PreparingRebalance': {
        const promise = this.#updateMember(member, req);
        this.#tryCompleteJoin(group);
        return promise;
      }
      case 'CompletingRebalance':
      case 'Stable': {
        const isLeaderInStable = group.state === 'Stable' && member.memberId === group.leaderId;
        if (!isLeaderInStable && this.#sameProtocols(member.protocols, req.protocols)) {
          // it lost the previous answer (or a follower rejoins for nothing): hand out the current generation
          if (group.state === 'Stable') this.#armSession(group, member);
          return Promise.resolve(this.#joinResult(group, member, true));
        }
        const promise = this.#updateMember(member, req);
        this.#maybePrepareRebalance(group, `member ${member.memberId} rejoins${isLeaderInStable ? ' as leader' : ' with new metadata'}`);
        return promise;
      }
    }
  }

  #updateMember(member: Member, req: JoinGroupRequest): Promise<JoinGroupResult> {
    member.joinWaiter?.reject(new StreamsError('REBALANCE_IN_PROGRESS', `member ${member.memberId} sent a newer join`));
    member.clientId = req.clientId;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.protocolType = req.protocolType;
    member.protocols = req.protocols;
    const waiter = deferred<JoinGroupResult>();
    member.joinWaiter = waiter;
    return waiter.promise;
  }

  #maybePrepareRebalance(group: Group, reason: string): void {
    if (group.state === 'PreparingRebalance') {
      this.#tryCompleteJoin(group);
      return;
    }
    if (group.state === 'Dead') return;
    if (group.state === 'CompletingRebalance') {
      const err = this.#rebalancing(group);
      for (const m of group.members.values()) {
        m.assignment = EMPTY_BYTES;
        m.syncWaiter?.reject(err);
        m.syncWaiter = null;
      }
    }
    this.#clearTimer(group.syncTimer);
    group.syncTimer = null;
    group.pendingSync.clear();
    const fromEmpty = group.state === 'Empty';
    this.#transition(group, 'PreparingRebalance');
    this.#logger.info({ groupId: group.groupId, generationId: group.generationId, reason }, 'preparing to rebalance group');
    const rebalanceTimeoutMs = this.#rebalanceTimeoutMs(group);
    if (fromEmpty) {
      group.newMemberAdded = false;
      group.initialJoinRemainingMs = Math.max(rebalanceTimeoutMs - this.#initialDelayMs, 0);
      this.#scheduleJoin(group, this.#initialDelayMs, () => this.#onInitialJoinTimer(group));
    } else {
      group.initialJoinRemainingMs = null;
      this.#scheduleJoin(group, rebalanceTimeoutMs, () => this.#completeJoin(group));
      this.#tryCompleteJoin(group);
    }
  }

  #onInitialJoinTimer(group: Group): void {
    group.joinTimer = null;
    const remaining = group.initialJoinRemainingMs ?? 0;
    if (group.newMemberAdded && remaining > 0 && this.#initialDelayMs > 0) {
      group.newMemberAdded = false;
      const delay = Math.min(this.#initialDelayMs, remaining);
      group.initialJoinRemainingMs = remaining - delay;
      this.#scheduleJoin(group, delay, () => this.#onInitialJoinTimer(group));
      return;
    }
    this.#completeJoin(group);
  }

  #tryCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.initialJoinRemainingMs !== null) return;
    for (const m of group.members.values()) if (m.joinWaiter === null) return;
    this.#completeJoin(group);
  }

  #completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || this.#groups.get(group.groupId) !== group) return;
    this.#clearTimer(group.joinTimer);
    group.joinTimer = null;
    group.initialJoinRemainingMs = null;
    for (const m of [...group.members.values()]) {
      if (m.joinWaiter === null && m.groupInstanceId === undefined) {
        this.#logger.info({ groupId: group.groupId, memberId: m.memberId }, 'member did not rejoin in time; removing it');
        this.#dropMember(group, m);
      }
    }
    const joined = [...group.members.values()].filter((m) => m.joinWaiter !== null);
    if (joined.length === 0 && group.members.size > 0) {
      // only static members that did not rejoin are left: wait for them or for their sessions to expire
      this.#scheduleJoin(group, this.#rebalanceTimeoutMs(group), () => this.#completeJoin(group));
      return;
    }
    const leader = group.leaderId === null ? undefined : group.members.get(group.leaderId);
    if (leader === undefined || leader.joinWaiter === null) group.leaderId = joined[0]?.memberId ?? null;
    group.generationId++;
    if (group.members.size === 0) {
      group.protocolName = null;
      this.#transition(group, 'Empty');
      this.#logger.info({ groupId: group.groupId, generationId: group.generationId }, 'group is empty');
      return;
    }
    group.protocolName = this.#selectProtocol(group);
    this.#transition(group, 'CompletingRebalance');
    this.#logger.info({ groupId: group.groupId, generationId: group.generationId, protocol: group.protocolName, members: group.members.size }, 'rebalance: join complete');
    for (const m of joined) {
      const waiter = m.joinWaiter as Deferred<JoinGroupResult>;
      m.joinWaiter = null;
      this.#armSession(group, m);
      waiter.resolve(this.#joinResult(group, m, true));
    }
    for (const id of group.members.keys()) group.pendingSync.add(id);
    const generationId = group.generationId;
    group.syncTimer = this.#timers.setTimeout(() => this.#onSyncTimeout(group, generationId), this.#rebalanceTimeoutMs(group));
  }

  /** Members that never sent SyncGroup within the rebalance timeout are removed (Kafka's pending-sync expiry). */
  #onSyncTimeout(group: Group, generationId: number): void {
    group.syncTimer = null;
    if (group.generationId !== generationId || (group.state !== 'CompletingRebalance' && group.state !== 'Stable')) return;
    if (group.pendingSync.size === 0) return;
    const late = [...group.pendingSync];
    group.pendingSync.clear();
    this.#logger.info({ groupId: group.groupId, members: late }, 'members did not sync in time; removing them');
    for (const id of late) {
      const m = group.members.get(id);
      if (m !== undefined) this.#dropMember(group, m);
    }
    this.#maybePrepareRebalance(group, 'members did not sync in time');
  }

  #completeSync(group: Group, assignments: SyncGroupRequest['assignments']): void {
    const byMember = new Map<string, Uint8Array>();
    for (const a of assignments) byMember.set(a.memberId, a.assignment);
    this.#logger.info({ groupId: group.groupId, generationId: group.generationId }, 'assignment received from leader');
    for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY_BYTES;
    this.#transition(group, 'Stable');
    for (const m of group.members.values()) {
      const waiter = m.syncWaiter;
      if (waiter === null) continue;
      m.syncWaiter = null;
      this.#armSession(group, m);
      waiter.resolve(this.#syncResult(group, m));
    }
    if (group.pendingSync.size === 0) {
      this.#clearTimer(group.syncTimer);
      group.syncTimer = null;
    }
  }

  // ---- members and sessions -------------------------------------------------------------------------------

  #armSession(group: Group, member: Member): void {
    this.#clearTimer(member.sessionTimer);
    member.sessionTimer = this.#timers.setTimeout(() => this.#onSessionExpired(group, member), member.sessionTimeoutMs);
  }

  #onSessionExpired(group: Group, member: Member): void {
    member.sessionTimer = null;
    if (this.#closed || group.members.get(member.memberId) !== member) return;
    // a member waiting on a join or sync is kept alive; the rebalance / pending-sync timeouts bound that wait
    if (member.joinWaiter !== null || member.syncWaiter !== null) {
      this.#armSession(group, member);
      return;
    }
    this.#logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member session expired; removing it');
    this.#removeMember(group, member, `session of ${member.memberId} expired`);
  }

  /** Removes a member and moves the group on (Kafka's removeMemberAndUpdateGroup). */
  #removeMember(group: Group, member: Member, reason: string): void {
    this.#dropMember(group, member);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.#maybePrepareRebalance(group, reason);
    else if (group.state === 'PreparingRebalance') this.#tryCompleteJoin(group);
  }

  #dropMember(group: Group, member: Member): void {
    const gone = this.#unknownMember(group.groupId, member.memberId);
    member.joinWaiter?.reject(gone);
    member.syncWaiter?.reject(gone);
    member.joinWaiter = member.syncWaiter = null;
    this.#clearTimer(member.sessionTimer);
    member.sessionTimer = null;
    group.members.delete(member.memberId);
    group.pendingSync.delete(member.memberId);
    if (member.groupInstanceId !== undefined && group.staticMembers.get(member.groupInstanceId) === member.memberId) {
      group.staticMembers.delete(member.groupInstanceId);
    }
    if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? null;
  }

  #validateMember(groupId: string, memberId: string, groupInstanceId: string | undefined, generationId: number): { group: Group; member: Member } {
    const group = this.#groups.get(groupId);
    if (group === undefined || group.state === 'Dead') throw this.#unknownMember(groupId, memberId);
    const member = this.#findMember(group, memberId, groupInstanceId);
    if (generationId !== group.generationId) {
      throw new StreamsError('ILLEGAL_GENERATION', `group ${groupId} is at generation ${group.generationId}, not ${generationId}`);
    }
    return { group, member };
  }

  #findMember(group: Group, memberId: string, groupInstanceId: string | undefined): Member {
    if (groupInstanceId !== undefined) {
      const staticId = group.staticMembers.get(groupInstanceId);
      if (staticId === undefined) throw this.#unknownMember(group.groupId, memberId);
      if (staticId !== memberId) throw this.#fenced(group.groupId, memberId);
    }
    const member = group.members.get(memberId);
    if (member === undefined) throw this.#unknownMember(group.groupId, memberId);
    return member;
  }

  // ---- helpers --------------------------------------------------------------------------------------------

  #joinResult(group: Group, member: Member, withMembers: boolean): JoinGroupResult {
    const isLeader = member.memberId === group.leaderId;
    const members: JoinGroupMember[] = [];
    if (isLeader && withMembers) {
      for (const m of group.members.values()) {
        const metadata = m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY_BYTES;
        members.push(m.groupInstanceId === undefined ? { memberId: m.memberId, metadata } : { memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata });
      }
    }
    return {
      generationId: group.generationId,
      protocolType: group.protocolType ?? '',
      protocolName: group.protocolName ?? '',
      leaderId: group.leaderId ?? '',
      memberId: member.memberId,
      skipAssignment: false,
      members,
    };
  }

  #syncResult(group: Group, member: Member): SyncGroupResult {
    return { assignment: member.assignment, protocolType: group.protocolType ?? '', protocolName: group.protocolName ?? '' };
  }

  /** Kafka's selectProtocol: among protocols every member supports, each member votes its first choice; ties go to the leader's order. */
  #selectProtocol(group: Group): string {
    const members = [...group.members.values()];
    const leader = (group.leaderId === null ? undefined : group.members.get(group.leaderId)) ?? (members[0] as Member);
    const candidates = leader.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.includes(p.name));
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best = candidates[0] ?? (leader.protocols[0] as GroupProtocol).name;
    for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  /** Kafka's supportsProtocols: the type matches and some protocol is supported by every other member. */
  #supportsProtocols(group: Group, memberId: string, protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    const others = [...group.members.values()].filter((m) => m.memberId !== memberId);
    if (others.length === 0) return true;
    if (protocolType !== group.protocolType) return false;
    return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  #sameProtocols(a: readonly GroupProtocol[], b: readonly GroupProtocol[]): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as GroupProtocol;
      const y = b[i] as GroupProtocol;
      if (x.name !== y.name || !Buffer.from(x.metadata.buffer, x.metadata.byteOffset, x.metadata.byteLength).equals(y.metadata)) return false;
    }
    return true;
  }

  #rebalanceTimeoutMs(group: Group): number {
    let max = 0;
    for (const m of group.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  #scheduleJoin(group: Group, ms: number, fn: () => void): void {
    this.#clearTimer(group.joinTimer);
    group.joinTimer = this.#timers.setTimeout(fn, ms);
  }

  #clearTimer(handle: TimerHandle | null): void {
    if (handle !== null) this.#timers.clearTimeout(handle);
  }

  #transition(group: Group, to: GroupState): void {
    if (!TRANSITIONS[group.state].includes(to)) {
      throw new StreamsError('ILLEGAL_STATE', `group ${group.groupId} cannot move from ${group.state} to ${to}`);
    }
    group.state = to;
  }

  #getOrCreate(groupId: string): Group {
    let group = this.#groups.get(groupId);
    if (group === undefined) {
      group = {
        groupId,
        state: 'Empty',
        generationId: 0,
        protocolType: null,
        protocolName: null,
        leaderId: null,
        members: new Map(),
        staticMembers: new Map(),
        offsets: new Map(),
        commitSeq: 0,
        joinTimer: null,
        initialJoinRemainingMs: null,
        newMemberAdded: false,
        pendingSync: new Set(),
        syncTimer: null,
      };
      this.#groups.set(groupId, group);
    }
    return group;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StreamsError('CLOSED', 'group coordinator is closed');
  }

  #unknownMember(groupId: string, memberId: string): StreamsError {
    return new StreamsError('UNKNOWN_MEMBER_ID', `group ${groupId} has no member ${memberId === '' ? "''" : memberId}`);
  }

  /** The requested offsets as stored commits, stamped now; a partition that cannot exist is UNKNOWN_TOPIC_OR_PARTITION. */
  #toCommits(offsets: OffsetCommitRequest['offsets']): CommittedOffset[] {
    const now = this.#clock.nowMs();
    const commits: CommittedOffset[] = [];
    for (const o of offsets) {
      if (!Number.isInteger(o.partition) || o.partition < 0) {
        throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `cannot commit partition ${o.partition}`, { topic: o.topic, partition: o.partition });
      }
      const c: CommittedOffset = { topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '', commitTimestampMs: now };
      commits.push(o.leaderEpoch === undefined ? c : { ...c, leaderEpoch: o.leaderEpoch });
    }
    return commits;
  }

  #fenced(groupId: string, memberId: string): StreamsError {
    // As Kafka: fatal for the old instance, which must not rejoin (it would evict the new one in turn)
    return new StreamsError('FENCED_INSTANCE_ID', `member ${memberId} of group ${groupId} was fenced by a newer instance with the same group.instance.id`);
  }

  #rebalancing(group: Group): StreamsError {
    return new StreamsError('REBALANCE_IN_PROGRESS', `group ${group.groupId} is rebalancing`);
  }
}
