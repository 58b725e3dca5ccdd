/**
 * The vocabulary of the testing kit: the records a test feeds a topology, the serdes of its topics, how input is
 * spread over partitions and batched, and what a run returns.
 */
import { murmur2, partitionForKey, toPositive } from '../src/client/murmur2.js';
import { StreamsError } from '../src/errors.js';
import type { Serde } from '../src/serdes/serde.js';

/**
 * One input record: a key, a value (null is a tombstone for a table) and an event time.
 *
 * @example
 * ```ts
 * const r: TestRecord<string, string> = { key: 'k1', value: 'hello world', timestampMs: 1_000 };
 * ```
 */
export interface TestRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestampMs: number;
}

/**
 * The serdes of a topic, as the topology reads or writes it.
 *
 * @example
 * ```ts
 * const counts: TopicSerdes<string, number> = { keySerde: Serdes.String(), valueSerde: Serdes.Number() };
 * ```
 */
export interface TopicSerdes<K, V> {
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
}

/**
 * One input topic of a run: its serdes and its records, in the order they are appended to the topic.
 *
 * @example
 * ```ts
 * const lines: InputTopic<string, string> = {
 *   keySerde: Serdes.String(), valueSerde: Serdes.String(),
 *   records: [{ key: null, value: 'a b', timestampMs: 0 }],
 * };
 * ```
 */
export interface InputTopic<K, V> extends TopicSerdes<K, V> {
  readonly records: readonly TestRecord<K, V>[];
}

/**
 * The input of a run, per topic. Serdes are typed per topic; the map holds them as `unknown`.
 *
 * @example
 * ```ts
 * const inputs: TopologyInputs = { 'text-lines': { keySerde: Serdes.String(), valueSerde: Serdes.String(), records } };
 * ```
 */
export type TopologyInputs = { readonly [topic: string]: InputTopic<unknown, unknown> };

/**
 * The output topics a run reads back, with their serdes.
 *
 * @example
 * ```ts
 * const outputs: TopologyOutputs = { 'word-counts': { keySerde: Serdes.String(), valueSerde: Serdes.Number() } };
 * ```
 */
export type TopologyOutputs = { readonly [topic: string]: TopicSerdes<unknown, unknown> };

/**
 * A store whose final contents a run reads: a name (a key-value store) or a name with the store's shape. Window
 * and session stores are read as `Windowed<K> -> value` tables.
 *
 * @example
 * ```ts
 * const stores: StoreSpec[] = ['counts', { name: 'per-minute', kind: 'window' }];
 * ```
 */
export type StoreSpec = string | { readonly name: string; readonly kind: 'keyValue' | 'window' | 'session' };

/**
 * A record as it was fed to the topology: its topic and the partition it was appended to. Models receive these, in
 * feed order.
 *
 * @example
 * ```ts
 * const model = (fed: readonly FedRecord[]) => ({ outputs: { out: new Map(fed.map((r) => [r.key, r.value])) } });
 * ```
 */
export interface FedRecord<K = unknown, V = unknown> extends TestRecord<K, V> {
  readonly topic: string;
  readonly partition: number;
}

/**
 * A record a topology wrote to an output topic, with the partition it landed in.
 *
 * @example
 * ```ts
 * const first: OutputRecord = run.outputs.get('word-counts')![0]!; // { key: 'a', value: 1, timestampMs: 0, partition: 0 }
 * ```
 */
export interface OutputRecord<K = unknown, V = unknown> extends TestRecord<K, V> {
  readonly partition: number;
}

/**
 * How input topics are partitioned: the partition count of every input topic, and how keys spread over the
 * partitions: `salt: null` is Kafka's default partitioner (murmur2 of the key bytes, null keys round-robin); a
 * number picks another fixed key -> partition mapping (the same for every topic, so co-partitioned topics stay
 * co-partitioned) and spreads null keys by position.
 *
 * @example
 * ```ts
 * const p: Partitioning = { partitions: 3, salt: null };
 * ```
 */
export interface Partitioning {
  readonly partitions: number;
  readonly salt: number | null;
}

/**
 * How input reaches the topology and when it commits. Over the TopologyTestDriver, input is fed in batches of
 * `batchSizes` records (cycled) and each batch is processed as one poll and then committed (caches flushed). Over
 * the broker, input is produced in sends of `batchSizes` records and the application runs with `maxPollRecords`
 * and `commitIntervalMs`. `cacheMaxBytes` (both modes) sizes the store caches; 0 turns caching off.
 *
 * @example
 * ```ts
 * const schedule: CommitSchedule = { batchSizes: [3, 1], maxPollRecords: 5, commitIntervalMs: 20, cacheMaxBytes: 0 };
 * ```
 */
export interface CommitSchedule {
  readonly batchSizes: readonly number[];
  readonly maxPollRecords?: number;
  readonly commitIntervalMs?: number;
  readonly cacheMaxBytes?: number;
}

/**
 * What a run returns: every record of each output topic (in order within a partition, partitions in turn) and the
 * final contents of each store read.
 *
 * @example
 * ```ts
 * const { outputs, stores } = await runTopology(factory, inputs, { outputs: { out: serdes }, stores: ['counts'] });
 * stores.get('counts')!.get('hello'); // 2
 * ```
 */
export interface TopologyRun {
  readonly outputs: ReadonlyMap<string, readonly OutputRecord[]>;
  readonly stores: ReadonlyMap<string, ReadonlyMap<unknown, unknown>>;
}

/**
 * The default partitioning: one partition per input topic.
 *
 * @example
 * ```ts
 * await runTopology(factory, inputs, { outputs, partitioning: SINGLE_PARTITION });
 * ```
 */
export const SINGLE_PARTITION: Partitioning = Object.freeze({ partitions: 1, salt: null });

/**
 * The order records are fed in. Each topic's records keep their given order (their order in the topic). Within a
 * partition number, topics interleave as a task reading them picks records when all are buffered: the smallest
 * event time at the head of a topic first, ties to the topic first in `topicOrder` (the topology's source topics;
 * then `inputs` order). Partitions interleave the same way, by their next record's event time. With one partition
 * this is a merge of the topics by event time; a single topic is fed exactly as given.
 *
 * Because each partition gets its task's own order, processing in batches does not reorder anything; but with
 * several partitions, out-of-order records of one topic may interleave with another topic differently than with
 * one (a record delays the ones behind it only within its partition), as in Kafka Streams.
 *
 * @example
 * ```ts
 * feedOrder(inputs, { partitions: 2, salt: null }).map((r) => `${r.topic}/${r.partition}`);
 * ```
 */
export function feedOrder(inputs: TopologyInputs, partitioning: Partitioning = SINGLE_PARTITION, topicOrder: readonly string[] = []): FedRecord[] {
  const given = Object.keys(inputs);
  const rank = (t: string): number => (topicOrder.includes(t) ? topicOrder.indexOf(t) : topicOrder.length + given.indexOf(t));
  const topics = [...given].sort((a, b) => rank(a) - rank(b));
  // queues[partition][topic]: that topic's records of that partition, in topic order.
  const queues = Array.from({ length: partitioning.partitions }, () => topics.map((): FedRecord[] => []));
  topics.forEach((topic, t) => {
    const input = inputs[topic]!;
    input.records.forEach((r, index) => {
      const keyBytes = r.key === null ? null : input.keySerde.serialize(topic, r.key);
      const partition = partitionOf(keyBytes, index, partitioning);
      queues[partition]![t]!.push({ topic, key: r.key, value: r.value, timestampMs: r.timestampMs, partition });
    });
  });
  const perPartition = queues.map(mergeByHead);
  return mergeByHead(perPartition);
}

/** Merges sequences by the event time at their heads (ties to the earlier sequence), each kept in its own order. */
function mergeByHead(sequences: readonly (readonly FedRecord[])[]): FedRecord[] {
  const heads = sequences.map(() => 0);
  const out: FedRecord[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < sequences.length; i++) {
      const seq = sequences[i]!;
      if (heads[i]! >= seq.length) continue;
      if (best === -1 || seq[heads[i]!]!.timestampMs < sequences[best]![heads[best]!]!.timestampMs) best = i;
    }
    if (best === -1) return out;
    out.push(sequences[best]![heads[best]!++]!);
  }
}

/**
 * The partition a record goes to under `partitioning`: `index` is its position in its topic (spreads null keys).
 *
 * @example
 * ```ts
 * partitionOf(Buffer.from('k'), 0, { partitions: 4, salt: null }); // murmur2, as a Kafka producer would
 * ```
 */
export function partitionOf(keyBytes: Uint8Array | null, index: number, partitioning: Partitioning): number {
  const n = partitioning.partitions;
  if (!Number.isSafeInteger(n) || n < 1) throw new StreamsError('INVALID_CONFIG', `partitions must be a positive integer, got ${n}`);
  if (partitioning.salt === null) return keyBytes === null ? index % n : partitionForKey(keyBytes, n);
  const salt = Buffer.alloc(4);
  salt.writeInt32BE(partitioning.salt | 0);
  const mixed = keyBytes === null ? Buffer.concat([salt, Buffer.from(`#${index}`)]) : Buffer.concat([salt, keyBytes]);
  return toPositive(murmur2(mixed)) % n;
}
