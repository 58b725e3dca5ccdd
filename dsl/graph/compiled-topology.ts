/**
 * The Topology `StreamsBuilder.build()` returns: a regular Topology compiled from the DSL graph, that remembers the
 * graph so it can describe itself with undecorated topic names and be recompiled for a given application.
 */
import type { Serde } from '../../src/serdes/serde.js';
import type { TopologyDescription } from '../../src/topology/topology-description.js';
import { Topology } from '../../src/topology/topology.js';
import type { CompileOptions } from './compile-graph.js';
import { compileGraph } from './compile-graph.js';
import type { Graph } from './graph.js';

/**
 * What the runtime may hand to {@link CompiledTopology.forApplication}: the parts of its resolved StreamsConfig that
 * decide internal topic names and serdes.
 *
 * @example
 * ```ts
 * const settings: ApplicationSettings = { applicationId: 'word-count', defaultKeySerde: Serdes.String() };
 * ```
 */
export interface ApplicationSettings {
  readonly applicationId: string;
  readonly defaultKeySerde?: Serde<unknown>;
  readonly defaultValueSerde?: Serde<unknown>;
}

/**
 * A Topology compiled from a DSL graph. It is a complete `Topology` (runtime and TopologyTestDriver take it as is) and
 * adds three things:
 *
 * - `describe()` prints repartition topics without the application id, as Kafka Streams does, even when the topology
 *   was compiled with one (the nodes then use `<applicationId>-<name>-repartition`);
 * - `sourceChangelogTopics` and `repartitionTopics`: what the runtime needs beyond the nodes;
 * - `forApplication(settings)`: the same program compiled for a given application id and default serdes (what Kafka
 *   Streams does when `KafkaStreams` rewrites the topology with its config).
 *
 * @example
 * ```ts
 * const topology = builder.build() as CompiledTopology;
 * const forApp = topology.forApplication({ applicationId: 'word-count' });
 * forApp.repartitionTopics.keys(); // 'word-count-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition'
 * ```
 */
export class CompiledTopology extends Topology {
  readonly #graph: Graph;
  readonly #options: CompileOptions;
  #display: Topology | null = null;
  /** Store name -> the input topic that is its changelog (`reuse.ktable.source.topics`); restore from it. */
  override readonly sourceChangelogTopics: ReadonlyMap<string, string>;
  /** Repartition topic (as the nodes name it) -> the partition count `Repartitioned` asked for, if any. */
  override readonly repartitionTopics: ReadonlyMap<string, { readonly numberOfPartitions: number | undefined }>;

  constructor(graph: Graph, options: CompileOptions) {
    super();
    this.#graph = graph;
    this.#options = options;
    const compiled = compileGraph(graph, this, options);
    this.sourceChangelogTopics = compiled.sourceChangelogTopics;
    this.repartitionTopics = compiled.repartitionTopics;
  }

  /** The application id internal topics are prefixed with, or `null` when compiled without one. */
  get applicationId(): string | null {
    return this.#options.applicationId;
  }

  override describe(): TopologyDescription {
    if (this.#options.applicationId === null) return super.describe();
    if (this.#display === null) {
      const display = new Topology();
      compileGraph(this.#graph, display, { ...this.#options, applicationId: null });
      this.#display = display;
    }
    return this.#display.describe();
  }

  /**
   * This program compiled for an application: internal topics named `<applicationId>-...`, and the given default
   * serdes used wherever the build config set none. Returns `this` when nothing would change.
   *
   * @example
   * ```ts
   * const running = topology.forApplication({ applicationId: config.applicationId, defaultValueSerde: config.defaultValueSerde });
   * ```
   */
  override forApplication(settings: ApplicationSettings): CompiledTopology {
    const options: CompileOptions = {
      applicationId: settings.applicationId,
      defaultKeySerde: this.#options.defaultKeySerde ?? settings.defaultKeySerde,
      defaultValueSerde: this.#options.defaultValueSerde ?? settings.defaultValueSerde,
      storeType: this.#options.storeType,
    };
    const isSame =
      options.applicationId === this.#options.applicationId &&
      options.defaultKeySerde === this.#options.defaultKeySerde &&
      options.defaultValueSerde === this.#options.defaultValueSerde;
    return isSame ? this : new CompiledTopology(this.#graph, options);
  }
}
