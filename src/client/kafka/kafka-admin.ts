import { StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import type { ListOffsetsRequestListOffsetsPartition, ListOffsetsResponse } from '../../protocol/messages.js';
import type { TopicPartition } from '../../record.js';
import type { Admin, ConsumerGroupDescription, GroupListing, NewTopic, OffsetSpec, TopicDescription } from '../admin.js';
import type { CommittedOffsetInfo, IsolationLevel, OffsetToCommit } from '../consumer.js';
import { responseError, type KafkaCluster } from './cluster.js';
import { alterConsumerGroupOffsetsOver, describeGroupsOver, listConsumerGroupOffsetsOver, listGroupsOver } from './kafka-group-admin.js';

const TOPIC_RESOURCE = 2;
const EARLIEST_TIMESTAMP = -2;
const LATEST_TIMESTAMP = -1;

type OffsetRequest = TopicPartition & { readonly spec: OffsetSpec };
type OffsetResult = TopicPartition & { readonly offset: number };

/**
 * The Admin client over the Kafka protocol: CreateTopics and DeleteTopics go to the controller, ListOffsets to each
 * partition's leader, Metadata and DescribeConfigs to any broker; retriable errors are retried by the cluster.
 *
 * Behaves as the in-process admin: createTopics is idempotent (a topic that exists with the same partition count
 * and the given configs is left alone) and resolves once metadata shows every new topic with a leader for each
 * partition; a timestamp lookup without a match answers the end offset. DeleteRecords goes to each leader. Group
 * operations go to each group's coordinator (ListGroups to every broker); see kafka-group-admin.ts.
 *
 * @example
 * ```ts
 * const admin = new KafkaAdmin(new KafkaCluster({ bootstrapServers: ['localhost:9092'] }));
 * await admin.createTopics([{ topic: 'lines', numPartitions: 3 }]);
 * ```
 */
export class KafkaAdmin implements Admin {
  readonly #cluster: KafkaCluster;
  readonly #ownsCluster: boolean;
  #closed = false;

  /** `ownsCluster`: close() closes the cluster too (default false: it is shared). */
  constructor(cluster: KafkaCluster, options: { readonly ownsCluster?: boolean } = {}) {
    this.#cluster = cluster;
    this.#ownsCluster = options.ownsCluster ?? false;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    this.#assertOpen();
    if (topics.length === 0) return;
    const cluster = this.#cluster;
    const existing: NewTopic[] = [];
    await cluster.retry('CreateTopics', async () => {
      existing.length = 0;
      const controller = await cluster.controllerId();
      const { body } = await cluster.send(controller, ApiKey.CreateTopics, (v) => ({
        topics: topics.map((t) => ({
          name: t.topic,
          numPartitions: t.numPartitions,
          // -1 (the broker's default.replication.factor) exists from v4; older versions need a number.
          replicationFactor: v >= 4 ? -1 : 1,
          assignments: [],
          configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value: String(value) })),
        })),
        timeoutMs: cluster.requestTimeoutMs,
        validateOnly: false,
      }));
      let first: StreamsError | null = null;
      for (const r of body.topics ?? []) {
        const spec = topics.find((t) => t.topic === r.name);
        if (r.errorCode === KafkaErrorCode.TOPIC_ALREADY_EXISTS && spec !== undefined) {
          existing.push(spec);
          continue;
        }
        const err = responseError(r.errorCode ?? 0, `create topic ${r.name}`, { topic: r.name ?? '', message: r.errorMessage ?? null });
        if (err?.code === 'NOT_COORDINATOR') await cluster.refreshMetadata([]);
        first ??= err;
      }
      if (first !== null) throw first;
    });
    for (const spec of existing) await this.#checkSame(spec);
    await this.#awaitMetadata(topics.map((t) => t.topic));
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    this.#assertOpen();
    if (topics.length === 0) return;
    const cluster = this.#cluster;
    await cluster.retry('DeleteTopics', async () => {
      const controller = await cluster.controllerId();
      const { body } = await cluster.send(controller, ApiKey.DeleteTopics, { topicNames: topics, timeoutMs: cluster.requestTimeoutMs });
      let first: StreamsError | null = null;
      for (const r of body.responses ?? []) {
        let err = responseError(r.errorCode ?? 0, `delete topic ${r.name}`, { topic: r.name, message: r.errorMessage ?? null });
        // Kafka retries an unknown topic (metadata may lag); deleting one that is not there is final here.
        if (err?.code === 'UNKNOWN_TOPIC_OR_PARTITION') err = new StreamsError(err.code, err.message, { topic: r.name, retriable: false });
        if (err?.code === 'NOT_COORDINATOR') await cluster.refreshMetadata([]);
        first ??= err;
      }
      if (first !== null) throw first;
    });
    for (const t of topics) cluster.invalidateLeader(t, -1);
  }

  async listTopics(options: { readonly includeInternal?: boolean } = {}): Promise<string[]> {
    this.#assertOpen();
    const cluster = this.#cluster;
    const { body } = await cluster.retry('Metadata', () => cluster.sendAny(ApiKey.Metadata, (v) => ({ topics: v === 0 ? [] : null, allowAutoTopicCreation: false })));
    const names: string[] = [];
    for (const t of body.topics ?? []) {
      if ((t.errorCode ?? 0) !== 0 || t.name === null) continue;
      if (options.includeInternal !== true && (t.isInternal === true || t.name.startsWith('__'))) continue;
      names.push(t.name);
    }
    return names.sort();
  }

  async describeTopics(topics: readonly string[]): Promise<TopicDescription[]> {
    this.#assertOpen();
    if (topics.length === 0) return [];
    const cluster = this.#cluster;
    await cluster.refreshMetadata(topics);
    const requests: OffsetRequest[] = [];
    const counts: number[] = [];
    for (const topic of topics) {
      const n = await cluster.partitionCount(topic);
      counts.push(n);
      for (let p = 0; p < n; p++) requests.push({ topic, partition: p, spec: 'earliest' }, { topic, partition: p, spec: 'latest' });
    }
    const [offsets, configs] = await Promise.all([this.#listOffsetsOncePerPartition(requests, 'read_uncommitted'), this.#describeConfigs(topics)]);
    const out: TopicDescription[] = [];
    let at = 0;
    for (let i = 0; i < topics.length; i++) {
      const name = topics[i]!;
      const partitions = [];
      for (let p = 0; p < counts[i]!; p++) {
        partitions.push({ partition: p, logStartOffset: offsets[at]!, highWatermark: offsets[at + 1]! });
        at += 2;
      }
      // Metadata below v10 carries no topic id, and DescribeConfigs none either.
      out.push({ name, topicId: '', isInternal: await cluster.isInternal(name), partitions, configs: configs[i]! });
    }
    return out;
  }

  async listOffsets(requests: readonly OffsetRequest[], options: { readonly isolationLevel?: IsolationLevel } = {}): Promise<OffsetResult[]> {
    this.#assertOpen();
    for (const r of requests) {
      if (typeof r.spec === 'object' && !Number.isFinite(r.spec.timestampMs)) {
        throw new StreamsError('INVALID_CONFIG', `listOffsets: timestampMs must be a number, got ${String(r.spec.timestampMs)}`);
      }
    }
    const isolation = options.isolationLevel ?? 'read_uncommitted';
    const offsets = await this.#listOffsetsOncePerPartition(requests, isolation);
    // Kafka answers -1 when no record is at or after the time; the in-process admin answers the end offset.
    const misses: number[] = [];
    for (let i = 0; i < requests.length; i++) if (typeof requests[i]!.spec === 'object' && offsets[i]! < 0) misses.push(i);
    if (misses.length > 0) {
      const ends = await this.#listOffsetsOncePerPartition(misses.map((i) => ({ ...requests[i]!, spec: 'latest' as const })), isolation);
      misses.forEach((i, j) => (offsets[i] = ends[j]!));
    }
    return requests.map((r, i) => ({ topic: r.topic, partition: r.partition, offset: offsets[i]! }));
  }

  async deleteRecords(requests: readonly (TopicPartition & { readonly beforeOffset: number })[]): Promise<(TopicPartition & { readonly lowWatermark: number })[]> {
    this.#assertOpen();
    if (requests.length === 0) return [];
    const cluster = this.#cluster;
    const lows = await this.#perLeader('DeleteRecords', requests, async (leader, indexes, out) => {
      const topics = new Map<string, { name: string; partitions: { partitionIndex: number; offset: number }[] }>();
      for (const i of indexes) {
        const r = requests[i]!;
        let t = topics.get(r.topic);
        if (t === undefined) topics.set(r.topic, (t = { name: r.topic, partitions: [] }));
        t.partitions.push({ partitionIndex: r.partition, offset: r.beforeOffset });
      }
      const { body } = await cluster.send(leader, ApiKey.DeleteRecords, { topics: [...topics.values()], timeoutMs: cluster.requestTimeoutMs });
      for (const i of indexes) {
        const r = requests[i]!;
        const p = body.topics.find((t) => t.name === r.topic)?.partitions.find((x) => x.partitionIndex === r.partition);
        if (p === undefined) throw new StreamsError('UNKNOWN_SERVER_ERROR', `DeleteRecords did not answer for ${r.topic}-${r.partition}`, r);
        const err = responseError(p.errorCode, `delete records of ${r.topic}-${r.partition}`, { topic: r.topic, partition: r.partition });
        if (err !== null) throw err;
        out[i] = p.lowWatermark;
      }
    });
    return requests.map((r, i) => ({ topic: r.topic, partition: r.partition, lowWatermark: lows[i]! }));
  }

  async listGroups(): Promise<GroupListing[]> {
    this.#assertOpen();
    return listGroupsOver(this.#cluster);
  }

  async describeGroups(groupIds: readonly string[]): Promise<ConsumerGroupDescription[]> {
    this.#assertOpen();
    return describeGroupsOver(this.#cluster, groupIds);
  }

  async listConsumerGroupOffsets(groupId: string): Promise<CommittedOffsetInfo[]> {
    this.#assertOpen();
    return listConsumerGroupOffsetsOver(this.#cluster, groupId);
  }

  async alterConsumerGroupOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    this.#assertOpen();
    return alterConsumerGroupOffsetsOver(this.#cluster, groupId, offsets);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsCluster) await this.#cluster.close();
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new StreamsError('CLOSED', 'the admin client is closed');
  }

  /** Offsets in request order; one ListOffsets per leader, retried as a whole on a retriable error. */
  #listOffsets(requests: readonly OffsetRequest[], isolation: IsolationLevel): Promise<number[]> {
    const cluster = this.#cluster;
    return this.#perLeader('ListOffsets', requests, async (leader, indexes, out) => {
      const topics = new Map<string, { name: string; partitions: ListOffsetsRequestListOffsetsPartition[] }>();
      for (const i of indexes) {
        const r = requests[i]!;
        let t = topics.get(r.topic);
        if (t === undefined) topics.set(r.topic, (t = { name: r.topic, partitions: [] }));
        t.partitions.push({ partitionIndex: r.partition, currentLeaderEpoch: -1, timestamp: timestampOf(r.spec), maxNumOffsets: 1 });
      }
      const { body } = await cluster.send(leader, ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel: isolation === 'read_committed' ? 1 : 0,
        topics: [...topics.values()],
      });
      readOffsets(body, requests, indexes, out);
    });
  }

  /**
   * Groups partition requests by leader and runs `call` per leader (in parallel) to fill `out` (one number per
   * request, in order); the whole is retried on a retriable error, with leaders looked up again.
   */
  #perLeader(what: string, requests: readonly TopicPartition[], call: (leader: number, indexes: readonly number[], out: number[]) => Promise<void>): Promise<number[]> {
    const cluster = this.#cluster;
    return cluster.retry(what, async () => {
      const byLeader = new Map<number, number[]>();
      for (let i = 0; i < requests.length; i++) {
        const r = requests[i]!;
        const leader = await cluster.leaderFor(r.topic, r.partition);
        let list = byLeader.get(leader);
        if (list === undefined) byLeader.set(leader, (list = []));
        list.push(i);
      }
      const out = new Array<number>(requests.length).fill(-1);
      await Promise.all([...byLeader].map(([leader, indexes]) => call(leader, indexes, out)));
      return out;
    });
  }

  /** Kafka rejects a partition named twice in one ListOffsets: the n-th lookup of each partition goes in round n. */
  async #listOffsetsOncePerPartition(requests: readonly OffsetRequest[], isolation: IsolationLevel): Promise<number[]> {
    const seen = new Map<string, number>();
    const rounds: number[][] = [];
    for (let i = 0; i < requests.length; i++) {
      const k = `${requests[i]!.partition}\u0000${requests[i]!.topic}`;
      const round = seen.get(k) ?? 0;
      seen.set(k, round + 1);
      (rounds[round] ??= []).push(i);
    }
    if (rounds.length <= 1) return this.#listOffsets(requests, isolation);
    const out = new Array<number>(requests.length);
    await Promise.all(
      rounds.map(async (indexes) => {
        const offsets = await this.#listOffsets(indexes.map((i) => requests[i]!), isolation);
        indexes.forEach((i, j) => (out[i] = offsets[j]!));
      }),
    );
    return out;
  }

  async #describeConfigs(topics: readonly string[]): Promise<Record<string, string | number>[]> {
    const cluster = this.#cluster;
    const { body } = await cluster.retry('DescribeConfigs', () =>
      cluster.sendAny(ApiKey.DescribeConfigs, {
        resources: topics.map((t) => ({ resourceType: TOPIC_RESOURCE, resourceName: t, configurationKeys: null })),
        includeSynonyms: false,
        includeDocumentation: false,
      }),
    );
    return topics.map((topic) => {
      const r = (body.results ?? []).find((x) => x.resourceName === topic);
      if (r === undefined) throw new StreamsError('UNKNOWN_SERVER_ERROR', `DescribeConfigs did not answer for topic ${topic}`, { topic });
      const err = responseError(r.errorCode ?? 0, `describe configs of ${topic}`, { topic, message: r.errorMessage });
      if (err !== null) throw err;
      const configs: Record<string, string | number> = {};
      for (const c of r.configs ?? []) if (c.name !== null && c.value !== null) configs[c.name] = asConfigValue(c.value);
      return configs;
    });
  }

  /** TOPIC_ALREADY_EXISTS from the broker: fine when the topic has the same partition count and configs. */
  async #checkSame(spec: NewTopic): Promise<void> {
    const cluster = this.#cluster;
    await cluster.refreshMetadata([spec.topic]);
    const n = await cluster.partitionCount(spec.topic);
    const conflict = (what: string): StreamsError =>
      new StreamsError('TOPIC_ALREADY_EXISTS', `topic ${spec.topic} already exists with ${what}`, { topic: spec.topic });
    if (n !== spec.numPartitions) throw conflict(`${n} partitions, not ${spec.numPartitions}`);
    const wanted = Object.entries(spec.configs ?? {});
    if (wanted.length === 0) return;
    const [have] = await this.#describeConfigs([spec.topic]);
    for (const [k, v] of wanted) {
      if (have![k] !== undefined && String(have![k]) !== String(v)) throw conflict(`${k}=${String(have![k])}, not ${String(v)}`);
    }
  }

  /** Waits (with the cluster's backoff) until metadata shows every topic with a leader for each partition. */
  async #awaitMetadata(topics: readonly string[]): Promise<void> {
    const cluster = this.#cluster;
    const deadline = cluster.clock.nowMs() + cluster.requestTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await cluster.refreshMetadata(topics);
        for (const t of topics) {
          const n = await cluster.partitionCount(t);
          for (let p = 0; p < n; p++) await cluster.leaderFor(t, p);
        }
        return;
      } catch (e: unknown) {
        const isTransient = e instanceof StreamsError && (e.retriable || e.code === 'UNKNOWN_TOPIC_OR_PARTITION');
        if (!isTransient || cluster.clock.nowMs() >= deadline) throw e;
        const delayMs = cluster.backoffMs(attempt);
        await new Promise<void>((resolve) => cluster.timers.setTimeout(resolve, delayMs, true));
      }
    }
  }
}

function timestampOf(spec: OffsetSpec): number {
  if (spec === 'earliest') return EARLIEST_TIMESTAMP;
  if (spec === 'latest') return LATEST_TIMESTAMP;
  return spec.timestampMs;
}

function readOffsets(body: ListOffsetsResponse, requests: readonly OffsetRequest[], indexes: readonly number[], out: number[]): void {
  for (const i of indexes) {
    const r = requests[i]!;
    const p = body.topics.find((t) => t.name === r.topic)?.partitions.find((x) => x.partitionIndex === r.partition);
    if (p === undefined) throw new StreamsError('UNKNOWN_SERVER_ERROR', `ListOffsets did not answer for ${r.topic}-${r.partition}`, r);
    const err = responseError(p.errorCode, `list offsets of ${r.topic}-${r.partition}`, { topic: r.topic, partition: r.partition });
    if (err !== null) throw err;
    out[i] = p.offset ?? p.oldStyleOffsets?.[0] ?? -1;
  }
}

/** Config values come as strings; numbers go back to numbers, as the in-process admin returns them. */
function asConfigValue(value: string): string | number {
  return /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : value;
}
