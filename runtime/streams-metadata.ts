/**
 * Where state lives across the instances of one application (Kafka Streams' KeyQueryMetadata,
 * StreamsMetadata and StreamsMetadataState): which instance holds the task that owns a key of a store, found from
 * the partitions-by-host map every member receives from the group leader (see `streams-assignment-info.ts`).
 */
import { partitionForKey } from '../src/client/murmur2.js';
import { StreamsError } from '../src/errors.js';
import type { StreamPartitioner } from '../src/processor/stream-partitioner.js';
import type { TopicPartition } from '../src/record.js';
import type { Serializer } from '../src/serdes/serde.js';
import type { BuiltTopology, Subtopology } from '../src/topology/built-topology.js';
import { parseHostInfo, type HostInfo } from './host-info.js';
import type { AssignmentInfo } from './streams-assignment-info.js';
import { taskIdOf } from './stream-task.js';

/**
 * Where a key of a store lives (Kafka's KeyQueryMetadata): the partition of the store's source topics the key maps
 * to, and the instance holding that partition's task. `activeHost` is null while no instance is known to hold it
 * (during a rebalance, before the first assignment, or when the holder has no `applicationServer`); tributary keeps
 * no standby replicas yet, so `standbyHosts` is empty.
 *
 * @example
 * ```ts
 * const { activeHost, partition } = streams.queryMetadataForKey('counts', 'river', Serdes.String());
 * ```
 */
export interface KeyQueryMetadata {
  readonly activeHost: HostInfo | null;
  readonly standbyHosts: readonly HostInfo[];
  readonly partition: number;
}

/**
 * One instance as seen by interactive queries (Kafka's StreamsMetadata): its endpoint, the stores it holds and the
 * source partitions of its tasks.
 *
 * @example
 * ```ts
 * for (const m of streams.allMetadataForStore('counts')) console.log(m.hostInfo, m.topicPartitions.length);
 * ```
 */
export interface StreamsMetadata {
  readonly hostInfo: HostInfo;
  readonly stateStoreNames: readonly string[];
  readonly topicPartitions: readonly TopicPartition[];
}

/**
 * One task this instance runs (for status pages): its id (`<subtopology>_<partition>`), input partitions, state and
 * store names. Tasks appear once their stores are restored, so their state is RUNNING.
 *
 * @example
 * ```ts
 * const task: LocalTaskMetadata = { taskId: '1_0', partitions: [{ topic: 'words', partition: 0 }], state: 'RUNNING', stores: ['counts'] };
 * ```
 */
export interface LocalTaskMetadata {
  readonly taskId: string;
  readonly partitions: readonly TopicPartition[];
  readonly state: 'RUNNING';
  readonly stores: readonly string[];
}

/**
 * How a key finds its partition: a serializer goes through Kafka's default partitioner (murmur2 of the bytes), a
 * StreamPartitioner decides by itself (as the topology's sink did when it wrote the key).
 *
 * @example
 * ```ts
 * const byBytes: KeyPartitioning<string> = Serdes.String();
 * const byHand: KeyPartitioning<string> = (_topic, key, _value, n) => key.length % n;
 * ```
 */
export type KeyPartitioning<K> = Serializer<K> | StreamPartitioner<K, unknown>;

/**
 * Answers "who holds what" for one instance (Kafka's StreamsMetadataState): fed the running topology and partition
 * counts at start and the leader's {@link AssignmentInfo} after every rebalance. Where the map says nothing (a group
 * member that passes no user data, or no instance configured an endpoint) it still knows its own tasks.
 *
 * @example
 * ```ts
 * const state = new StreamsMetadataState('localhost:8080');
 * state.setTopology(built, counts);
 * state.onAssignment(info);
 * state.keyQueryMetadata('counts', 'river', Serdes.String(), localTaskIds).activeHost;
 * ```
 */
export class StreamsMetadataState {
  readonly #self: HostInfo | null;
  readonly #selfText: string | null;
  #topology: BuiltTopology | null = null;
  #partitionCounts: ReadonlyMap<string, number> = new Map();
  #partitionsByHost: ReadonlyMap<string, readonly TopicPartition[]> = new Map();

  constructor(applicationServer: string | null) {
    this.#self = applicationServer === null ? null : parseHostInfo(applicationServer);
    this.#selfText = applicationServer;
  }

  /** This instance's endpoint, or null when none is configured. */
  get self(): HostInfo | null {
    return this.#self;
  }

  /** The topology as it runs (patterns resolved) and the partition count of every topic it knows. */
  setTopology(topology: BuiltTopology, partitionCounts: ReadonlyMap<string, number>): void {
    this.#topology = topology;
    this.#partitionCounts = new Map(partitionCounts);
  }

  /** The leader's partitions-by-host map of the latest rebalance. */
  onAssignment(info: AssignmentInfo): void {
    this.#partitionsByHost = info.partitionsByHost;
    if (info.partitionCounts.size > 0) this.#partitionCounts = new Map([...this.#partitionCounts, ...info.partitionCounts]);
  }

  /**
   * The partition and active host of `key` in `storeName`. A global store is held by every instance: its metadata
   * names this instance and partition -1.
   *
   * @throws StreamsError `INVALID_REQUEST` for a store the topology does not have; `ILLEGAL_STATE` before start.
   */
  keyQueryMetadata<K>(storeName: string, key: K, partitioning: KeyPartitioning<K>, localTaskIds: ReadonlySet<string>): KeyQueryMetadata {
    const topology = this.#requireTopology();
    if (topology.globalStores.some((g) => g.storeName === storeName)) return { activeHost: this.#self, standbyHosts: [], partition: -1 };
    const sub = this.#subtopologyOf(topology, storeName);
    let topic = sub.sourceTopics[0];
    let count = 0;
    for (const t of sub.sourceTopics) {
      const n = this.#partitionCounts.get(t) ?? 0;
      if (n > count) [topic, count] = [t, n];
    }
    if (topic === undefined || count === 0) return { activeHost: null, standbyHosts: [], partition: -1 };
    const partition = keyPartition(topic, key, partitioning, count);
    for (const [host, partitions] of this.#partitionsByHost) {
      if (partitions.some((tp) => tp.partition === partition && sub.sourceTopics.includes(tp.topic))) {
        return { activeHost: host === this.#selfText && this.#self !== null ? this.#self : parseHostInfo(host, 'partitions-by-host endpoint'), standbyHosts: [], partition };
      }
    }
    const isLocal = localTaskIds.has(taskIdOf(sub.id, partition));
    return { activeHost: isLocal ? this.#self : null, standbyHosts: [], partition };
  }

  /**
   * Every instance holding tasks with `storeName` (for a global store: every known instance), with its source
   * partitions. This instance is included from its own tasks when the map does not name it.
   *
   * @throws StreamsError `INVALID_REQUEST` for a store the topology does not have; `ILLEGAL_STATE` before start.
   */
  allMetadataForStore(storeName: string, localPartitions: readonly TopicPartition[]): StreamsMetadata[] {
    const topology = this.#requireTopology();
    const isGlobal = topology.globalStores.some((g) => g.storeName === storeName);
    const sub = isGlobal ? null : this.#subtopologyOf(topology, storeName);
    const byHost = new Map(this.#partitionsByHost);
    if (this.#selfText !== null && !byHost.has(this.#selfText) && localPartitions.length > 0) byHost.set(this.#selfText, localPartitions);
    if (isGlobal && this.#selfText !== null && !byHost.has(this.#selfText)) byHost.set(this.#selfText, []);
    const out: StreamsMetadata[] = [];
    for (const [host, partitions] of byHost) {
      if (sub !== null && !partitions.some((tp) => sub.sourceTopics.includes(tp.topic))) continue;
      out.push({ hostInfo: parseHostInfo(host, 'partitions-by-host endpoint'), stateStoreNames: storesOf(topology, partitions), topicPartitions: [...partitions] });
    }
    return out;
  }

  #requireTopology(): BuiltTopology {
    if (this.#topology === null) throw new StreamsError('ILLEGAL_STATE', 'streams metadata is available once the instance has started');
    return this.#topology;
  }

  #subtopologyOf(topology: BuiltTopology, storeName: string): Subtopology {
    const sub = topology.subtopologies.find((s) => s.storeNames.includes(storeName));
    if (sub === undefined) throw new StreamsError('INVALID_REQUEST', `no store named ${storeName} in the topology`);
    return sub;
  }
}

function keyPartition<K>(topic: string, key: K, partitioning: KeyPartitioning<K>, count: number): number {
  if (typeof partitioning === 'function') {
    const p = partitioning(topic, key, null, count);
    if (p === undefined) throw new StreamsError('INVALID_REQUEST', 'the partitioner chose no partition for the key');
    if (!Number.isInteger(p) || p < 0 || p >= count) throw new StreamsError('INVALID_REQUEST', `the partitioner chose partition ${p}, not in 0..${count - 1}`);
    return p;
  }
  const bytes = partitioning.serialize(topic, key);
  if (bytes === null) throw new StreamsError('INVALID_REQUEST', 'a null key has no partition');
  return partitionForKey(bytes, count);
}

/** The local and global store names of the sub-topologies that read any of `partitions`. */
function storesOf(topology: BuiltTopology, partitions: readonly TopicPartition[]): string[] {
  const topics = new Set(partitions.map((tp) => tp.topic));
  const names = new Set<string>();
  for (const s of topology.subtopologies) if (s.sourceTopics.some((t) => topics.has(t))) for (const n of s.storeNames) names.add(n);
  for (const g of topology.globalStores) names.add(g.storeName);
  return [...names];
}
