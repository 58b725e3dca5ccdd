import { StreamsError } from '../src/errors.js';
import type { Serde } from '../src/serdes/serde.js';
import { changelogTopicName } from '../src/state/state-store.js';
import type { BuiltTopology, Subtopology } from '../src/topology/built-topology.js';
import { wholeNameMatcher } from '../src/topology/topology-graph.js';
import type { Topology } from '../src/topology/topology.js';

/** A topology as one application runs it, with what the runtime needs beyond its nodes. */
export interface RunningTopology {
  readonly built: BuiltTopology;
  /** Store -> input topic that is its changelog (DSL source tables under optimization). */
  readonly sourceChangelogTopics: ReadonlyMap<string, string>;
  /** Repartition topic -> the partition count asked for, if any. */
  readonly repartitionTopics: ReadonlyMap<string, { readonly numberOfPartitions: number | undefined }>;
}

/**
 * Builds `topology` for the application: a DSL topology names its internal topics after the application and takes
 * its default serdes (Topology.forApplication); a prebuilt one is used as is.
 *
 * @example
 * ```ts
 * const { built } = runningTopology(builder.build(), { applicationId: 'word-count' });
 * ```
 */
export function runningTopology(
  topology: Topology | BuiltTopology,
  app: { readonly applicationId: string; readonly defaultKeySerde?: Serde<unknown> | undefined; readonly defaultValueSerde?: Serde<unknown> | undefined },
): RunningTopology {
  if (!('build' in topology)) return { built: topology, sourceChangelogTopics: new Map(), repartitionTopics: new Map() };
  const running = topology.forApplication({
    applicationId: app.applicationId,
    ...(app.defaultKeySerde === undefined ? {} : { defaultKeySerde: app.defaultKeySerde }),
    ...(app.defaultValueSerde === undefined ? {} : { defaultValueSerde: app.defaultValueSerde }),
  });
  return { built: running.build(), sourceChangelogTopics: running.sourceChangelogTopics, repartitionTopics: running.repartitionTopics };
}

/**
 * Resolves the sub-topologies' source patterns (a RegExp given to `stream()`) against the topics that exist: each matching
 * topic becomes a source topic of the sub-topology whose pattern matches it. Topics created after start are not
 * picked up (unlike Kafka's metadata refresh); restart the application to include them.
 *
 * @example
 * ```ts
 * const resolved = resolvePatterns(built, await admin.listTopics());
 * ```
 */
export function resolvePatterns(built: BuiltTopology, topics: readonly string[]): BuiltTopology {
  if (built.subtopologies.every((s) => s.sourcePatterns.length === 0)) return built;
  const internal = new Set(built.subtopologies.flatMap((s) => s.sinkTopics));
  const subtopologies = built.subtopologies.map((s) => {
    if (s.sourcePatterns.length === 0) return s;
    const matched = topics.filter((t) => !t.startsWith('__') && !internal.has(t) && !s.sourceTopics.includes(t) && s.sourcePatterns.some((p) => wholeNameMatcher(p).test(t)));
    return Object.freeze({ ...s, sourceTopics: Object.freeze([...s.sourceTopics, ...matched.sort()]) });
  });
  return Object.freeze({ ...built, subtopologies: Object.freeze(subtopologies) });
}

/** How many partitions each sub-topology (its task count) and each topic it reads or writes has or must get. */
export interface PartitionPlan {
  readonly subtopologyPartitions: ReadonlyMap<number, number>;
  /** Every source and sink topic: the known counts, plus the counts internal and output topics must be created with. */
  readonly topicPartitions: ReadonlyMap<string, number>;
}

/**
 * Works out partition counts as Kafka Streams does, from the topics that exist (`known`): a sub-topology has as many
 * tasks as its (co-partitioned) source topics have partitions; a topic it writes that does not exist takes the count
 * `Repartitioned` asked for, else that of the sources it is read beside (co-partitioning), else the writer's. An
 * internal topic read beside known sources is sized first, so sub-topologies that feed each other (foreign-key
 * joins) resolve. Refuses a missing input topic (UNKNOWN_TOPIC_OR_PARTITION) and co-partitioned sources whose counts
 * differ (TOPOLOGY_INVALID).
 *
 * @example
 * ```ts
 * const plan = planPartitions(built.subtopologies, new Map([['lines', 4]]), new Map());
 * plan.subtopologyPartitions.get(0); // 4
 * ```
 */
export function planPartitions(
  subs: readonly Subtopology[],
  known: ReadonlyMap<string, number>,
  requested: ReadonlyMap<string, { readonly numberOfPartitions: number | undefined }>,
): PartitionPlan {
  const counts = new Map(known);
  const written = new Set(subs.flatMap((s) => s.sinkTopics));
  const partitionsOf = new Map<number, number>();
  for (let pass = 0; pass <= subs.length && partitionsOf.size < subs.length; pass++) {
    for (const s of subs) {
      if (partitionsOf.has(s.id)) continue;
      for (const t of s.sourceTopics) {
        if (counts.has(t) || !written.has(t)) continue;
        const c = requested.get(t)?.numberOfPartitions ?? coPartitionedCount(subs, t, counts);
        if (c !== undefined) counts.set(t, c);
      }
      const missing = s.sourceTopics.find((t) => !counts.has(t) && !written.has(t));
      if (missing !== undefined) {
        throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `source topic ${missing} of sub-topology ${s.id} does not exist; create it first`, { topic: missing });
      }
      if (s.sourceTopics.some((t) => !counts.has(t))) continue;
      const ns = s.sourceTopics.map((t) => counts.get(t)!);
      if (new Set(ns).size > 1) {
        throw new StreamsError(
          'TOPOLOGY_INVALID',
          `sub-topology ${s.id} reads topics that must be co-partitioned but have different partition counts: ${s.sourceTopics.map((t, i) => `${t}=${ns[i]}`).join(', ')}`,
        );
      }
      const n = Math.max(...ns);
      partitionsOf.set(s.id, n);
      for (const t of s.sinkTopics) if (!counts.has(t)) counts.set(t, requested.get(t)?.numberOfPartitions ?? coPartitionedCount(subs, t, counts) ?? n);
    }
  }
  return { subtopologyPartitions: partitionsOf, topicPartitions: counts };
}

/** The largest known partition count of the other source topics read together with `topic`, if any. */
export function coPartitionedCount(
  subs: readonly { readonly sourceTopics: readonly string[] }[],
  topic: string,
  counts: ReadonlyMap<string, number>,
): number | undefined {
  let n: number | undefined;
  for (const s of subs) {
    if (!s.sourceTopics.includes(topic)) continue;
    for (const other of s.sourceTopics) {
      const c = other === topic ? undefined : counts.get(other);
      if (c !== undefined) n = Math.max(n ?? 0, c);
    }
  }
  return n;
}

/** A changelog topic the application needs: one partition per task of the store's sub-topology. */
export interface ChangelogTopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

/**
 * The `<applicationId>-<store>-changelog` topics of the logged, non-global stores: compacted (or what the store
 * builder's logConfig says, e.g. `compact,delete` for window stores), as many partitions as the store's tasks.
 *
 * @example
 * ```ts
 * for (const c of changelogTopics(built, 'word-count', plan.subtopologyPartitions)) await admin.createTopics([c]);
 * ```
 */
export function changelogTopics(built: BuiltTopology, applicationId: string, partitionsOf: ReadonlyMap<number, number>): ChangelogTopicSpec[] {
  const out: ChangelogTopicSpec[] = [];
  for (const [name, entry] of built.stores) {
    if (entry.isGlobal || !entry.builder.loggingEnabled) continue;
    const user = built.subtopologies.find((s) => s.storeNames.includes(name));
    if (user === undefined) continue;
    out.push({
      topic: changelogTopicName(applicationId, name),
      numPartitions: partitionsOf.get(user.id) ?? 1,
      configs: { 'cleanup.policy': 'compact', ...entry.builder.logConfig },
    });
  }
  return out;
}
