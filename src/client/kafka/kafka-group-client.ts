/**
 * The classic group protocol and the group's offsets over the wire: what a member sends to its group coordinator,
 * mapped onto the same requests, results and StreamsErrors as the in-process GroupCoordinator, so
 * {@link GroupMembership} and the consumer behave identically whichever side of a socket the coordinator is on.
 */
import type {
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  OffsetCommitRequest,
  SyncGroupRequest,
  SyncGroupResult,
} from '../../broker/group-coordinator.js';
import { isStreamsError, StreamsError } from '../../errors.js';
import { ApiKey, type ApiKeyNumber } from '../../protocol/api-keys.js';
import type { RequestBodies, ResponseBodies } from '../../protocol/codec.js';
import { errorFromKafkaCode, KafkaErrorCode } from '../../protocol/error-codes.js';
import type { OffsetCommitRequestTopic, OffsetFetchRequestTopic } from '../../protocol/messages.js';
import type { TopicPartition } from '../../record.js';
import type { GroupCoordinatorClient } from '../group-membership.js';
import type { KafkaCluster } from './cluster.js';
import { KafkaConnection, type KafkaResponse, type RequestBodyInput, type SendOptions } from './connection.js';

/** Coordinator lookups, lost connections and timeouts are retried this many times before the error is thrown. */
const MAX_ATTEMPTS = 10;
/** A heartbeat or leave is not worth a long retry: the membership heartbeats again, and a leave is best-effort. */
const MAX_ATTEMPTS_SHORT = 2;
/** Margin over the rebalance timeout for JoinGroup/SyncGroup, which the coordinator parks (Kafka's consumer adds 5 s). */
const LONG_POLL_MARGIN_MS = 5_000;
const EMPTY = Buffer.alloc(0);

/**
 * One client's own connections, one per broker node, apart from the cluster's shared ones. A broker answers each
 * connection's requests in order, so a parked request (a long-poll Fetch, a JoinGroup waiting for the other members)
 * holds up everything behind it on its connection: Kafka's consumer therefore talks to its coordinator and fetches on
 * connections of its own, and so do ours. Addresses come from the cluster's metadata.
 *
 * @example
 * ```ts
 * const lane = new DedicatedConnections(cluster);
 * const { body } = await lane.send(await cluster.leaderFor('lines', 0), ApiKey.Fetch, request, { timeoutMs: 35_000 });
 * await lane.close();
 * ```
 */
export class DedicatedConnections {
  readonly #cluster: KafkaCluster;
  readonly #connections = new Map<number, Promise<KafkaConnection>>();
  #closed = false;

  constructor(cluster: KafkaCluster) {
    this.#cluster = cluster;
  }

  /**
   * Sends on this client's connection to `nodeId`, connecting on demand (again after a lost connection). Rejects as
   * {@link KafkaConnection.send} does; a NETWORK_FAILED forgets the connection so the next send reconnects.
   */
  async send<K extends ApiKeyNumber>(nodeId: number, apiKey: K, body: RequestBodyInput<K>, options?: SendOptions): Promise<KafkaResponse<K>> {
    const conn = await this.#connection(nodeId);
    return conn.send(apiKey, body, options);
  }

  /** Closes every connection; requests in flight reject with NETWORK_FAILED and later sends with CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close(), () => undefined)));
  }

  #connection(nodeId: number): Promise<KafkaConnection> {
    if (this.#closed) return Promise.reject(new StreamsError('CLOSED', 'the consumer is closed'));
    const existing = this.#connections.get(nodeId);
    if (existing !== undefined) return existing;
    const p = this.#connect(nodeId);
    this.#connections.set(nodeId, p);
    p.then(
      (conn) => {
        if (this.#closed) void conn.close();
        conn.onClose(() => {
          if (this.#connections.get(nodeId) === p) this.#connections.delete(nodeId);
        });
      },
      () => {
        if (this.#connections.get(nodeId) === p) this.#connections.delete(nodeId);
      },
    );
    return p;
  }

  async #connect(nodeId: number): Promise<KafkaConnection> {
    const cluster = this.#cluster;
    let address = cluster.brokers().find((b) => b.nodeId === nodeId);
    if (address === undefined) {
      await cluster.refreshMetadata([]);
      address = cluster.brokers().find((b) => b.nodeId === nodeId);
      if (address === undefined) throw new StreamsError('NETWORK_FAILED', `broker ${nodeId} is not in the cluster metadata`);
    }
    return KafkaConnection.connect({
      host: address.host,
      port: address.port,
      clientId: cluster.clientId,
      logger: cluster.logger,
      requestTimeoutMs: cluster.requestTimeoutMs,
      timers: cluster.timers,
      ...cluster.security,
    });
  }
}

/**
 * A committed offset as read back by {@link KafkaGroupCoordinatorClient.fetchOffsets}: `offset` -1 when the group
 * has none for the partition; `isUnstable` when a transaction still holds a pending offset for it (KIP-447, only
 * reported by brokers that honour `requireStable`).
 *
 * @example
 * ```ts
 * const [c] = await groups.fetchOffsets('app', [{ topic: 'orders', partition: 0 }]);
 * if (c!.offset >= 0) consumer.seek(c!, c!.offset);
 * ```
 */
export interface FetchedOffset extends TopicPartition {
  readonly offset: number;
  readonly metadata: string;
  readonly isUnstable: boolean;
}

/**
 * {@link GroupCoordinatorClient} over Kafka's wire protocol (JoinGroup v5, SyncGroup v3, Heartbeat v3, LeaveGroup v3,
 * at most; lower versions when the broker offers no more), plus the group's offsets (OffsetCommit v7, OffsetFetch v5).
 * Requests go to the group's coordinator (FindCoordinator, cached by the cluster) on a connection of this client's
 * own, so a parked JoinGroup never delays another client's requests. Error codes in responses become the
 * StreamsErrors the in-process coordinator throws (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, ...);
 * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE, a lost connection or a timeout make it look the coordinator up again
 * and retry with backoff. A new member answered MEMBER_ID_REQUIRED (KIP-394) joins again with the id it was given.
 *
 * @example
 * ```ts
 * const groups = new KafkaGroupCoordinatorClient(cluster);
 * const membership = new GroupMembership({ coordinator: groups, groupId: 'app', ... });
 * await groups.commitOffsets({ groupId: 'app', memberId, generationId, offsets: [{ topic: 'orders', partition: 0, offset: 42 }] });
 * await groups.close();
 * ```
 */
export class KafkaGroupCoordinatorClient implements GroupCoordinatorClient {
  readonly #cluster: KafkaCluster;
  readonly #lane: DedicatedConnections;

  constructor(cluster: KafkaCluster) {
    this.#cluster = cluster;
    this.#lane = new DedicatedConnections(cluster);
  }

  async joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    let memberId = req.memberId;
    for (let attempt = 0; ; attempt++) {
      const protocols = req.protocols.map((p) => ({ name: p.name, metadata: toBuffer(p.metadata) }));
      const body = await this.#call(req.groupId, 'JoinGroup', ApiKey.JoinGroup, {
        groupId: req.groupId,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        memberId,
        groupInstanceId: req.groupInstanceId ?? null,
        protocolType: req.protocolType,
        protocols,
        ...(req.reason === undefined ? {} : { reason: req.reason }),
      }, MAX_ATTEMPTS, req.rebalanceTimeoutMs + LONG_POLL_MARGIN_MS);
      const code = body.errorCode ?? 0;
      // KIP-394: the coordinator hands a new member its id first; join again with it (once is enough).
      if (code === KafkaErrorCode.MEMBER_ID_REQUIRED && attempt === 0 && (body.memberId ?? '') !== '') {
        memberId = body.memberId ?? '';
        continue;
      }
      throwIfError(code, `join group ${req.groupId}`);
      return {
        generationId: body.generationId ?? -1,
        protocolType: body.protocolType ?? req.protocolType,
        protocolName: body.protocolName ?? '',
        leaderId: body.leader ?? '',
        memberId: body.memberId ?? '',
        skipAssignment: body.skipAssignment ?? false,
        members: (body.members ?? []).map((m) => ({
          memberId: m.memberId ?? '',
          ...(m.groupInstanceId === null || m.groupInstanceId === undefined ? {} : { groupInstanceId: m.groupInstanceId }),
          metadata: m.metadata ?? EMPTY,
        })),
      };
    }
  }

  async syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult> {
    // Followers wait here until the leader, which joined with them, sends the assignment: a request timeout is enough.
    const body = await this.#call(req.groupId, 'SyncGroup', ApiKey.SyncGroup, {
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId ?? null,
      ...(req.protocolType === undefined ? {} : { protocolType: req.protocolType }),
      ...(req.protocolName === undefined ? {} : { protocolName: req.protocolName }),
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: toBuffer(a.assignment) })),
    }, MAX_ATTEMPTS);
    throwIfError(body.errorCode ?? 0, `sync group ${req.groupId}`);
    return {
      assignment: body.assignment ?? EMPTY,
      protocolType: body.protocolType ?? req.protocolType ?? '',
      protocolName: body.protocolName ?? req.protocolName ?? '',
    };
  }

  async heartbeat(req: HeartbeatRequest): Promise<void> {
    const body = await this.#call(req.groupId, 'Heartbeat', ApiKey.Heartbeat, {
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId ?? null,
    }, MAX_ATTEMPTS_SHORT);
    throwIfError(body.errorCode ?? 0, `heartbeat to group ${req.groupId}`);
  }

  async leaveGroup(req: LeaveGroupRequest): Promise<void> {
    const { version, body } = await this.#callVersioned(req.groupId, 'LeaveGroup', ApiKey.LeaveGroup, (v) =>
      v >= 3
        ? { groupId: req.groupId, members: [{ memberId: req.memberId, groupInstanceId: req.groupInstanceId ?? null }] }
        : { groupId: req.groupId, memberId: req.memberId },
    MAX_ATTEMPTS_SHORT);
    throwIfError(body.errorCode ?? 0, `leave group ${req.groupId}`);
    if (version >= 3) for (const m of body.members ?? []) throwIfError(m.errorCode ?? 0, `leave group ${req.groupId} (member ${m.memberId ?? ''})`);
  }

  /**
   * Kafka's OffsetCommit (v7 at most): durable when it resolves. Without member and generation (generation -1) it is
   * a standalone commit, which the coordinator accepts only while the group has no members. The first partition
   * error is thrown (UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / REBALANCE_IN_PROGRESS when the generation moved on).
   */
  async commitOffsets(req: OffsetCommitRequest): Promise<void> {
    const byTopic = new Map<string, OffsetCommitRequestTopic['partitions'][number][]>();
    for (const o of req.offsets) {
      let ps = byTopic.get(o.topic);
      if (ps === undefined) byTopic.set(o.topic, (ps = []));
      ps.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1, committedMetadata: o.metadata ?? '' });
    }
    const topics: OffsetCommitRequestTopic[] = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    await this.#retryCoordinator(req.groupId, 'OffsetCommit', MAX_ATTEMPTS, async (node) => {
      const { body } = await this.#lane.send(node, ApiKey.OffsetCommit, {
        groupId: req.groupId,
        generationIdOrMemberEpoch: req.generationId ?? -1,
        memberId: req.memberId ?? '',
        groupInstanceId: req.groupInstanceId ?? null,
        retentionTimeMs: -1,
        topics,
      });
      for (const t of body.topics ?? []) {
        for (const p of t.partitions ?? []) throwIfError(p.errorCode ?? 0, `commit offsets of group ${req.groupId}`, t.name, p.partitionIndex);
      }
    });
  }

  /**
   * Kafka's OffsetFetch (v5 at most): the group's committed offsets for the partitions, in their order. With
   * `requireStable` (sent when the negotiated version has it) a partition a transaction still holds comes back
   * `isUnstable`, as does one the broker answers UNSTABLE_OFFSET_COMMIT for.
   */
  async fetchOffsets(groupId: string, partitions: readonly TopicPartition[], options: { readonly requireStable?: boolean } = {}): Promise<FetchedOffset[]> {
    if (partitions.length === 0) return [];
    const byTopic = new Map<string, number[]>();
    for (const tp of partitions) {
      let ps = byTopic.get(tp.topic);
      if (ps === undefined) byTopic.set(tp.topic, (ps = []));
      ps.push(tp.partition);
    }
    const topics: OffsetFetchRequestTopic[] = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    const found = await this.#retryCoordinator(groupId, 'OffsetFetch', MAX_ATTEMPTS, async (node) => {
      const { body } = await this.#lane.send(node, ApiKey.OffsetFetch, { groupId, topics, requireStable: options.requireStable ?? false });
      throwIfError(body.errorCode ?? 0, `fetch offsets of group ${groupId}`);
      const m = new Map<string, FetchedOffset>();
      for (const t of body.topics ?? []) {
        for (const p of t.partitions ?? []) {
          const code = p.errorCode ?? 0;
          const isUnstable = code === KafkaErrorCode.UNSTABLE_OFFSET_COMMIT;
          if (!isUnstable) throwIfError(code, `fetch offsets of group ${groupId}`, t.name, p.partitionIndex);
          m.set(`${t.name}\u0000${p.partitionIndex}`, {
            topic: t.name,
            partition: p.partitionIndex,
            offset: isUnstable ? -1 : (p.committedOffset ?? -1),
            metadata: p.metadata ?? '',
            isUnstable,
          });
        }
      }
      return m;
    });
    return partitions.map(
      (tp) => found.get(`${tp.topic}\u0000${tp.partition}`) ?? { topic: tp.topic, partition: tp.partition, offset: -1, metadata: '', isUnstable: false },
    );
  }

  /** Closes this client's connections (the cluster's stay open). */
  async close(): Promise<void> {
    await this.#lane.close();
  }

  async #call<K extends ApiKeyNumber>(groupId: string, what: string, apiKey: K, body: RequestBodies[K], attempts: number, timeoutMs?: number): Promise<ResponseBodies[K]> {
    return (await this.#callVersioned(groupId, what, apiKey, body, attempts, timeoutMs)).body;
  }

  /** One request to the group's coordinator; coordinator-moved answers in the top-level error code are retried. */
  #callVersioned<K extends ApiKeyNumber>(
    groupId: string,
    what: string,
    apiKey: K,
    body: RequestBodyInput<K>,
    attempts: number,
    timeoutMs?: number,
  ): Promise<KafkaResponse<K>> {
    return this.#retryCoordinator(groupId, what, attempts, async (node) => {
      const res = await this.#lane.send(node, apiKey, body, timeoutMs === undefined ? {} : { timeoutMs });
      const code = (res.body as { readonly errorCode?: number | null }).errorCode ?? 0;
      if (isCoordinatorCode(code)) throwIfError(code, `${what} for group ${groupId}`);
      return res;
    });
  }

  /**
   * Runs `fn` against the group's coordinator, looking it up again and retrying (with the cluster's backoff) when it
   * moved, is not available, or the connection failed or timed out. Every other error, REBALANCE_IN_PROGRESS
   * included, is the caller's: the group protocol gives it a meaning.
   */
  async #retryCoordinator<T>(groupId: string, what: string, attempts: number, fn: (node: number) => Promise<T>): Promise<T> {
    const cluster = this.#cluster;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(await cluster.findCoordinator('group', groupId));
      } catch (e: unknown) {
        if (!isStreamsError(e) || !isCoordinatorRetry(e.code)) throw e;
        cluster.invalidateCoordinator('group', groupId);
        if (attempt >= attempts) throw e;
        const delayMs = cluster.backoffMs(attempt - 1);
        cluster.logger.debug({ what, groupId, attempt, delayMs, code: e.code }, 'group coordinator unavailable; retrying');
        await new Promise<void>((resolve) => cluster.timers.setTimeout(resolve, delayMs, true));
      }
    }
  }
}


function isCoordinatorCode(code: number): boolean {
  return code === KafkaErrorCode.NOT_COORDINATOR || code === KafkaErrorCode.COORDINATOR_NOT_AVAILABLE || code === KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
}

function isCoordinatorRetry(code: string): boolean {
  return code === 'NOT_COORDINATOR' || code === 'COORDINATOR_NOT_AVAILABLE' || code === 'NETWORK_FAILED' || code === 'TIMEOUT';
}

function throwIfError(code: number, context: string, topic?: string, partition?: number): void {
  const err = errorFromKafkaCode(code, context, { ...(topic === undefined ? {} : { topic }), ...(partition === undefined ? {} : { partition }) });
  if (err !== null) throw err;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
