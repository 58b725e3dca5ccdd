import type { Serde } from '../src/serdes/serde.js';
import type { BuiltTopology } from '../src/topology/built-topology.js';
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
    const matched = topics.filter((t) => !t.startsWith('__') && !internal.has(t) && !s.sourceTopics.includes(t) && s.sourcePatterns.some((p) => wholeMatch(p, t)));
    return Object.freeze({ ...s, sourceTopics: Object.freeze([...s.sourceTopics, ...matched.sort()]) });
  });
  return Object.freeze({ ...built, subtopologies: Object.freeze(subtopologies) });
}

function wholeMatch(pattern: RegExp, topic: string): boolean {
  const m = new RegExp(pattern.source, pattern.flags.replace('g', '').replace('y', '')).exec(topic);
  return m !== null && m.index === 0 && m[0].length === topic.length;
}
