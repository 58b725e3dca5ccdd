/**
 * Kafka-protocol handlers for the group coordinator: JoinGroup / SyncGroup / Heartbeat / LeaveGroup
 * (the classic group protocol), OffsetCommit / OffsetFetch, DescribeGroups and ListGroups, mapped one to one onto
 * `broker.groups` (src/broker/group-coordinator.ts). Errors become the response's error codes, never a throw.
 *
 * Authorization mirrors Kafka's KafkaApis (handleJoinGroupRequest, handleSyncGroupRequest, handleHeartbeatRequest,
 * handleLeaveGroupRequest, handleOffsetCommitRequest, handleOffsetFetchRequestFromCoordinator,
 * handleDescribeGroupsRequest, handleListGroupsRequest): Read on the group for membership and commits (else
 * GROUP_AUTHORIZATION_FAILED), Read on each committed topic (else TOPIC_AUTHORIZATION_FAILED for its partitions),
 * Describe on the group and its topics to fetch offsets or describe it, and ListGroups lists all groups to Describe
 * on the Cluster, else only the groups the principal may Describe.
 */
import { isStreamsError, StreamsError } from '../../errors.js';
import type { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode, kafkaErrorCode } from '../../protocol/error-codes.js';
import { topicPartitionKey, type TopicPartition } from '../../record.js';
import type { Broker } from '../broker.js';
import type { CommittedOffset } from '../group-coordinator.js';
import { authorizedOperations, isAuthorized, isClusterAuthorized } from '../security/authorizer.js';
import type { ApiHandler, RequestContext } from './handler.js';

/** Kafka's offset.metadata.max.bytes default. */
const MAX_METADATA_LENGTH = 4096;
/** DescribeGroups' authorizedOperations without ACLs: READ (3), DELETE (6) and DESCRIBE (8) on a group. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const NO_OPERATIONS = -2147483648;
const EMPTY = Buffer.alloc(0);

/**
 * A Buffer over the same bytes (no copy): the coordinator hands out Uint8Arrays, the codec writes Buffers.
 *
 * @example
 * ```ts
 * const assignment = asBuffer(result.assignment);
 * ```
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * {@link kafkaErrorCode}, logging what maps to UNKNOWN_SERVER_ERROR (-1 tells the client nothing, so the log must).
 *
 * @example
 * ```ts
 * catch (e: unknown) { return { throttleTimeMs: 0, errorCode: errorCodeOf(ctx, e, 'Heartbeat') }; }
 * ```
 */
export function errorCodeOf(ctx: RequestContext, e: unknown, api: string): number {
  const code = kafkaErrorCode(e);
  if (code === KafkaErrorCode.UNKNOWN_SERVER_ERROR) ctx.logger.warn({ err: e, api, peer: ctx.peer }, 'coordinator request failed unexpectedly');
  return code;
}

/**
 * Resolves as `p` does, or rejects with NOT_COORDINATOR once `signal` aborts: a parked JoinGroup / SyncGroup answers
 * at once when its connection closes or the server stops (Kafka answers NOT_COORDINATOR when a coordinator resigns),
 * so a graceful stop never waits for a rebalance timeout.
 *
 * @example
 * ```ts
 * const result = await untilAborted(broker.groups.joinGroup(req), ctx.signal);
 * ```
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new StreamsError('NOT_COORDINATOR', 'the coordinator connection is closing; find the coordinator again'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // Settling after an abort is a no-op, and this handler keeps a late rejection from going unhandled.
    const settle = (fn: () => void): void => {
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    p.then((v) => settle(() => resolve(v)), (e: unknown) => settle(() => reject(e)));
  });
}

/** The shape OffsetCommit and TxnOffsetCommit share for one topic's partitions. */
interface CommitTopic {
  readonly name: string | null;
  readonly partitions: readonly {
    readonly partitionIndex: number | null;
    readonly committedOffset: number | null;
    readonly committedLeaderEpoch?: number | null;
    readonly committedMetadata: string | null;
  }[] | null;
}

/** One offset to commit, ready for the group coordinator. */
export interface CommitEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string;
  readonly leaderEpoch?: number;
}

/**
 * Validates the partitions of an OffsetCommit / TxnOffsetCommit one by one, as Kafka does: a topic the principal may
 * not Read (when `ctx` is given) gets TOPIC_AUTHORIZATION_FAILED, an unknown topic or partition
 * UNKNOWN_TOPIC_OR_PARTITION, metadata over 4096 characters OFFSET_METADATA_TOO_LARGE; the others are returned to
 * commit. `codes[t][p]` is 0 for those, to be filled with the commit's outcome.
 *
 * @example
 * ```ts
 * const { codes, entries } = checkCommits(ctx.broker, req.topics);
 * ```
 */
export function checkCommits(broker: Broker, topics: readonly CommitTopic[] | null, ctx?: RequestContext): { codes: number[][]; entries: CommitEntry[] } {
  const codes: number[][] = [];
  const entries: CommitEntry[] = [];
  for (const t of topics ?? []) {
    const topic = t.name ?? '';
    const row: number[] = [];
    if (ctx !== undefined && !isAuthorized(ctx, 'Read', 'Topic', topic)) {
      for (let i = (t.partitions ?? []).length; i > 0; i--) row.push(KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED);
      codes.push(row);
      continue;
    }
    const n = partitionCount(broker, topic);
    for (const p of t.partitions ?? []) {
      const partition = p.partitionIndex ?? -1;
      const metadata = p.committedMetadata ?? '';
      if (partition < 0 || partition >= n) row.push(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      else if (metadata.length > MAX_METADATA_LENGTH) row.push(KafkaErrorCode.OFFSET_METADATA_TOO_LARGE);
      else {
        row.push(KafkaErrorCode.NONE);
        const epoch = p.committedLeaderEpoch ?? -1;
        const entry: CommitEntry = { topic, partition, offset: p.committedOffset ?? -1, metadata };
        entries.push(epoch >= 0 ? { ...entry, leaderEpoch: epoch } : entry);
      }
    }
    codes.push(row);
  }
  return { codes, entries };
}

/**
 * Sets every code still 0 (a partition that passed its own checks) to `code`: the outcome of the call they shared.
 *
 * @example
 * ```ts
 * catch (e: unknown) { fillErrors(codes, errorCodeOf(ctx, e, 'OffsetCommit')); }
 * ```
 */
export function fillErrors(codes: number[][], code: number): void {
  for (const row of codes) for (let i = 0; i < row.length; i++) if (row[i] === KafkaErrorCode.NONE) row[i] = code;
}

/**
 * The partition count of a topic, 0 when it does not exist.
 *
 * @example
 * ```ts
 * const isKnown = partition >= 0 && partition < partitionCount(ctx.broker, topic);
 * ```
 */
export function partitionCount(broker: Broker, topic: string): number {
  return broker.hasTopic(topic) ? broker.describeTopic(topic).numPartitions : 0;
}

/** Kafka refuses an empty group id with INVALID_GROUP_ID. */
function groupIdError(groupId: string): number {
  return groupId === '' ? KafkaErrorCode.INVALID_GROUP_ID : KafkaErrorCode.NONE;
}

/** Errors about the group as a whole (LeaveGroup v3 answers them at the top level). */
function isGroupLevel(code: number): boolean {
  return (
    code === KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS ||
    code === KafkaErrorCode.COORDINATOR_NOT_AVAILABLE ||
    code === KafkaErrorCode.NOT_COORDINATOR ||
    code === KafkaErrorCode.INVALID_GROUP_ID
  );
}

/**
 * JoinGroup (v0-5): a long poll until the rebalance completes. A new member joins with memberId '' and gets its id in
 * the answer at once (MEMBER_ID_REQUIRED of v4+ is not used); v0 has no rebalance timeout, so the session timeout
 * stands in. A static leader that rejoins a stable group is told below v9 (no SkipAssignment) to follow, as in Kafka.
 *
 * @example
 * ```ts
 * const res = await handleJoinGroup(ctx, { groupId: 'app', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 60_000,
 *   memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata }] });
 * ```
 */
export const handleJoinGroup: ApiHandler<typeof ApiKey.JoinGroup> = async (ctx, req) => {
  const memberId = req.memberId ?? '';
  const groupId = req.groupId ?? '';
  const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] });
  if (!isAuthorized(ctx, 'Read', 'Group', groupId)) return failed(KafkaErrorCode.GROUP_AUTHORIZATION_FAILED);
  if (groupIdError(groupId) !== KafkaErrorCode.NONE) return failed(groupIdError(groupId));
  const sessionTimeoutMs = req.sessionTimeoutMs ?? 0;
  const rebalanceTimeoutMs = ctx.apiVersion >= 1 && (req.rebalanceTimeoutMs ?? -1) >= 0 ? (req.rebalanceTimeoutMs as number) : sessionTimeoutMs;
  const groupInstanceId = req.groupInstanceId ?? null;
  try {
    const r = await untilAborted(
      ctx.broker.groups.joinGroup({
        groupId,
        memberId,
        ...(groupInstanceId === null ? {} : { groupInstanceId }),
        clientId: ctx.clientId ?? '',
        sessionTimeoutMs,
        rebalanceTimeoutMs,
        protocolType: req.protocolType ?? '',
        protocols: (req.protocols ?? []).map((p) => ({ name: p.name ?? '', metadata: p.metadata ?? EMPTY })),
      }),
      ctx.signal,
    );
    // Below v9 a returning static leader must not reassign: Kafka answers it no members and the replaced member's
    // id as leader, so it acts as a follower and syncs the stored assignment ('' has the same effect).
    const isSkipped = r.skipAssignment && ctx.apiVersion < 9;
    const members = isSkipped ? [] : r.members;
    return {
      throttleTimeMs: 0,
      errorCode: KafkaErrorCode.NONE,
      generationId: r.generationId,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      leader: isSkipped ? '' : r.leaderId,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, metadata: asBuffer(m.metadata) })),
    };
  } catch (e: unknown) {
    // The coordinator's only INVALID_CONFIG here is a session timeout outside its bounds (the group id is checked above).
    return failed(isStreamsError(e, 'INVALID_CONFIG') ? KafkaErrorCode.INVALID_SESSION_TIMEOUT : errorCodeOf(ctx, e, 'JoinGroup'));
  }
};

/**
 * SyncGroup (v0-3): the leader's call carries every member's assignment; each member waits for it and gets its own.
 *
 * @example
 * ```ts
 * await handleSyncGroup(ctx, { groupId: 'app', generationId: 1, memberId, assignments: [{ memberId, assignment }] });
 * ```
 */
export const handleSyncGroup: ApiHandler<typeof ApiKey.SyncGroup> = async (ctx, req) => {
  const groupId = req.groupId ?? '';
  if (!isAuthorized(ctx, 'Read', 'Group', groupId)) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.GROUP_AUTHORIZATION_FAILED, assignment: EMPTY };
  if (groupIdError(groupId) !== KafkaErrorCode.NONE) return { throttleTimeMs: 0, errorCode: groupIdError(groupId), assignment: EMPTY };
  const groupInstanceId = req.groupInstanceId ?? null;
  const protocolType = req.protocolType ?? null;
  const protocolName = req.protocolName ?? null;
  try {
    const r = await untilAborted(
      ctx.broker.groups.syncGroup({
        groupId,
        memberId: req.memberId ?? '',
        generationId: req.generationId ?? -1,
        ...(groupInstanceId === null ? {} : { groupInstanceId }),
        ...(protocolType === null ? {} : { protocolType }),
        ...(protocolName === null ? {} : { protocolName }),
        assignments: (req.assignments ?? []).map((a) => ({ memberId: a.memberId ?? '', assignment: a.assignment ?? EMPTY })),
      }),
      ctx.signal,
    );
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, protocolType: r.protocolType, protocolName: r.protocolName, assignment: asBuffer(r.assignment) };
  } catch (e: unknown) {
    return { throttleTimeMs: 0, errorCode: errorCodeOf(ctx, e, 'SyncGroup'), assignment: EMPTY };
  }
};

/**
 * Heartbeat (v0-3): keeps the member's session; REBALANCE_IN_PROGRESS (27) tells it to rejoin.
 *
 * @example
 * ```ts
 * handleHeartbeat(ctx, { groupId: 'app', generationId: 3, memberId }); // { errorCode: 27 } while rebalancing
 * ```
 */
export const handleHeartbeat: ApiHandler<typeof ApiKey.Heartbeat> = (ctx, req) => {
  const groupId = req.groupId ?? '';
  if (!isAuthorized(ctx, 'Read', 'Group', groupId)) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.GROUP_AUTHORIZATION_FAILED };
  if (groupIdError(groupId) !== KafkaErrorCode.NONE) return { throttleTimeMs: 0, errorCode: groupIdError(groupId) };
  const groupInstanceId = req.groupInstanceId ?? null;
  try {
    ctx.broker.groups.heartbeat({
      groupId,
      memberId: req.memberId ?? '',
      generationId: req.generationId ?? -1,
      ...(groupInstanceId === null ? {} : { groupInstanceId }),
    });
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE };
  } catch (e: unknown) {
    return { throttleTimeMs: 0, errorCode: errorCodeOf(ctx, e, 'Heartbeat') };
  }
};

/**
 * LeaveGroup (v0-3): v0-2 name one member and answer one error; v3 names several (by member id and/or
 * group.instance.id) and answers per member, with group-wide errors at the top level.
 *
 * @example
 * ```ts
 * handleLeaveGroup(ctx, { groupId: 'app', members: [{ memberId: a, groupInstanceId: null }] }); // v3
 * ```
 */
export const handleLeaveGroup: ApiHandler<typeof ApiKey.LeaveGroup> = (ctx, req) => {
  const groupId = req.groupId ?? '';
  const groupError = isAuthorized(ctx, 'Read', 'Group', groupId) ? groupIdError(groupId) : KafkaErrorCode.GROUP_AUTHORIZATION_FAILED;
  const leave = (memberId: string, groupInstanceId: string | null): number => {
    try {
      ctx.broker.groups.leaveGroup({ groupId, memberId, ...(groupInstanceId === null ? {} : { groupInstanceId }) });
      return KafkaErrorCode.NONE;
    } catch (e: unknown) {
      return errorCodeOf(ctx, e, 'LeaveGroup');
    }
  };
  if (ctx.apiVersion < 3) {
    return { throttleTimeMs: 0, errorCode: groupError !== KafkaErrorCode.NONE ? groupError : leave(req.memberId ?? '', null) };
  }
  if (groupError !== KafkaErrorCode.NONE) return { throttleTimeMs: 0, errorCode: groupError, members: [] };
  const members = (req.members ?? []).map((m) => {
    const memberId = m.memberId ?? '';
    const groupInstanceId = m.groupInstanceId ?? null;
    return { memberId, groupInstanceId, errorCode: leave(memberId, groupInstanceId) };
  });
  const groupLevel = members.find((m) => isGroupLevel(m.errorCode));
  if (groupLevel !== undefined) return { throttleTimeMs: 0, errorCode: groupLevel.errorCode, members: [] };
  return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, members };
};

/**
 * OffsetCommit (v2-7): per-partition errors. Generation -1 with member '' is a simple commit from outside the group
 * (accepted while the group has no members, as in Kafka); the retention time of v2-4 is ignored (the log's own
 * retention applies).
 *
 * @example
 * ```ts
 * await handleOffsetCommit(ctx, { groupId: 'app', generationIdOrMemberEpoch: -1, memberId: '',
 *   topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: null }] }] });
 * ```
 */
export const handleOffsetCommit: ApiHandler<typeof ApiKey.OffsetCommit> = async (ctx, req) => {
  const isGroupAuthorized = isAuthorized(ctx, 'Read', 'Group', req.groupId);
  // A group the principal may not Read fails every partition with GROUP_AUTHORIZATION_FAILED, topics unchecked.
  const { codes, entries } = checkCommits(ctx.broker, req.topics, isGroupAuthorized ? ctx : undefined);
  const groupError = isGroupAuthorized ? groupIdError(req.groupId) : KafkaErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (!isGroupAuthorized) for (const row of codes) row.fill(groupError);
  else if (groupError !== KafkaErrorCode.NONE) fillErrors(codes, groupError);
  else if (entries.length > 0) {
    const groupInstanceId = req.groupInstanceId ?? null;
    try {
      await ctx.broker.groups.commitOffsets({
        groupId: req.groupId,
        memberId: req.memberId,
        generationId: req.generationIdOrMemberEpoch ?? -1,
        ...(groupInstanceId === null ? {} : { groupInstanceId }),
        offsets: entries,
      });
    } catch (e: unknown) {
      fillErrors(codes, errorCodeOf(ctx, e, 'OffsetCommit'));
    }
  }
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t, i) => ({ name: t.name, partitions: t.partitions.map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i]![j]! })) })),
  };
};

/**
 * OffsetFetch (v1-5, and the requireStable of v7): committed offsets, -1 with metadata '' where nothing is committed;
 * null topics (v2+) means every partition the group has committed. An offset pending in an open transaction is not
 * visible: the committed one is answered, or UNSTABLE_OFFSET_COMMIT (88) under requireStable, as Kafka does.
 *
 * @example
 * ```ts
 * handleOffsetFetch(ctx, { groupId: 'app', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] });
 * ```
 */
export const handleOffsetFetch: ApiHandler<typeof ApiKey.OffsetFetch> = (ctx, req) => {
  const groups = ctx.broker.groups;
  const groupId = req.groupId;
  const requireStable = req.requireStable === true;
  const answer = (topic: string, partition: number, c: CommittedOffset | undefined) => {
    if (requireStable && groups.hasPendingTransactionalOffset(groupId, { topic, partition })) {
      return { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: KafkaErrorCode.UNSTABLE_OFFSET_COMMIT };
    }
    if (c === undefined) return { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: KafkaErrorCode.NONE };
    return { partitionIndex: partition, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch ?? -1, metadata: c.metadata, errorCode: KafkaErrorCode.NONE };
  };
  type Answer = ReturnType<typeof answer>;
  const groupError = isAuthorized(ctx, 'Describe', 'Group', groupId) ? groupIdError(groupId) : KafkaErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (req.topics === null) {
    const byTopic = new Map<string, Answer[]>();
    if (groupError === KafkaErrorCode.NONE) {
      for (const c of groups.fetchOffsets(groupId).values()) {
        // Offsets of topics the principal may not Describe are left out.
        if (!byTopic.has(c.topic) && !isAuthorized(ctx, 'Describe', 'Topic', c.topic, false)) continue;
        let list = byTopic.get(c.topic);
        if (list === undefined) byTopic.set(c.topic, (list = []));
        list.push(answer(c.topic, c.partition, c));
      }
    }
    return { throttleTimeMs: 0, errorCode: groupError, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
  }
  const wanted: TopicPartition[] = [];
  const isDescribable = groupError === KafkaErrorCode.NONE ? req.topics.map((t) => isAuthorized(ctx, 'Describe', 'Topic', t.name)) : null;
  req.topics.forEach((t, i) => {
    if (isDescribable?.[i] === true) for (const partition of t.partitionIndexes) wanted.push({ topic: t.name, partition });
  });
  const found = groupError === KafkaErrorCode.NONE ? groups.fetchOffsets(groupId, wanted) : new Map<string, CommittedOffset>();
  const topics = req.topics.map((t, i) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => {
      if (isDescribable !== null && !isDescribable[i]) {
        return { partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED };
      }
      const a = answer(t.name, p, found.get(topicPartitionKey(t.name, p)));
      // v1 has no top-level error code: a group error goes on every partition.
      return groupError !== KafkaErrorCode.NONE && ctx.apiVersion < 2 ? { ...a, errorCode: groupError } : a;
    }),
  }));
  return { throttleTimeMs: 0, errorCode: groupError, topics };
};

/**
 * DescribeGroups (v0-4): state, protocol and members; GROUP_AUTHORIZATION_FAILED for a group the principal may not
 * Describe. As in Kafka, only a Stable group shows its protocol and the
 * members' metadata and assignments; an unknown group is `Dead` with no error. ClientHost is '' (the coordinator does
 * not keep the member's address).
 *
 * @example
 * ```ts
 * handleDescribeGroups(ctx, { groups: ['app'], includeAuthorizedOperations: false });
 * ```
 */
export const handleDescribeGroups: ApiHandler<typeof ApiKey.DescribeGroups> = (ctx, req) => {
  const isOperationsAsked = req.includeAuthorizedOperations === true;
  const groups = (req.groups ?? []).map((groupId) => {
    const operations = !isOperationsAsked ? NO_OPERATIONS : ctx.authorizer === undefined ? GROUP_OPERATIONS : authorizedOperations(ctx, 'Group', groupId);
    const groupError = isAuthorized(ctx, 'Describe', 'Group', groupId) ? groupIdError(groupId) : KafkaErrorCode.GROUP_AUTHORIZATION_FAILED;
    if (groupError !== KafkaErrorCode.NONE) {
      return { errorCode: groupError, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: operations };
    }
    const d = ctx.broker.groups.describeGroup(groupId);
    const isStable = d.state === 'Stable';
    return {
      errorCode: KafkaErrorCode.NONE,
      groupId,
      groupState: d.state,
      protocolType: d.protocolType,
      protocolData: isStable ? d.protocol : '',
      members: d.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? null,
        clientId: m.clientId,
        clientHost: '',
        memberMetadata: isStable ? asBuffer(m.metadata) : EMPTY,
        memberAssignment: isStable ? asBuffer(m.assignment) : EMPTY,
      })),
      authorizedOperations: operations,
    };
  });
  return { throttleTimeMs: 0, groups };
};

/**
 * ListGroups (v0-2): every group the coordinator knows, member-less ones holding offsets included (v4's state filter,
 * case-insensitive as in Kafka, applies when a client sends one); without Describe on the Cluster, only the groups
 * the principal may Describe.
 *
 * @example
 * ```ts
 * handleListGroups(ctx, {}); // { errorCode: 0, groups: [{ groupId: 'app', protocolType: 'consumer' }] }
 * ```
 */
export const handleListGroups: ApiHandler<typeof ApiKey.ListGroups> = (ctx, req) => {
  const states = new Set((req.statesFilter ?? []).map((s) => s.toLowerCase()));
  const mayDescribeAll = isClusterAuthorized(ctx, 'Describe', false);
  const groups = ctx.broker.groups
    .listGroups()
    .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (mayDescribeAll || isAuthorized(ctx, 'Describe', 'Group', g.groupId, false)));
  return {
    throttleTimeMs: 0,
    errorCode: KafkaErrorCode.NONE,
    groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' })),
  };
};
