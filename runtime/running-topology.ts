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
