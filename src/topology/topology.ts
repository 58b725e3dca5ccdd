/**
 * The low-level processor topology, as Kafka Streams' `Topology`: a DAG of sources, processors and sinks with state
 * stores, built node by node, validated, and described in Kafka's text format.
 */
import { isStreamsError } from '../errors.js';
import { validateTopicName } from '../broker/topic-config.js';
import type { ProcessorSupplier } from '../processor/processor.js';
import type { StreamPartitioner } from '../processor/stream-partitioner.js';
import type { TopicNameExtractor } from '../processor/topic-name-extractor.js';
import type { Serde } from '../serdes/serde.js';
import type { StateStore } from '../state/state-store.js';
import type { StoreBuilder } from '../state/store-builder.js';
import { buildTopology } from './built-topology.js';
import type { BuiltTopology } from './built-topology.js';
import { describeTopology } from './describe-topology.js';
import type { TopologyDescription } from './topology-description.js';
import { TopologyError } from './topology-error.js';
import { checkParents, wholeNameMatcher } from './topology-graph.js';
import type { StoreEntry } from './topology-graph.js';
import type { ProcessorNode, SinkNode, SourceNode, TopologyNode } from './topology-node.js';
import type { GlobalSourceOptions, SinkOptions, SourceOptions } from './topology-options.js';

/**
 * A processor topology (Kafka Streams' `Topology`): sources read topics, processors transform records and use state
 * stores, sinks write topics. Build it node by node, parents first; each `add...` call checks what it can at once and
 * throws a {@link TopologyError} naming the node (duplicate names, unknown or sink parents, a topic already read by
 * another source, store name clashes, ...); `build()` checks the whole graph (e.g. a store connected to nobody) and
 * snapshots it for the runtime.
 *
 * Nodes are connected into sub-topologies (connected components, also joined through shared stores); each runs as one
 * task per input partition. A topic written by a sink and read by a source of the same topology does not join them:
 * it is a repartition boundary. Node and store names must be unique. Types are not checked across nodes (as in Kafka):
 * each processor must accept what its parents forward. The builder is mutable and every `add...` returns `this`.
 *
 * @example
 * ```ts
 * const topology = new Topology()
 *   .addSource('lines', 'text-lines', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
 *   .addProcessor('count', () => new WordCount(), 'lines')
 *   .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.BigInt()), 'count')
 *   .addSink('out', 'word-counts', { keySerde: Serdes.String(), valueSerde: Serdes.BigInt() }, 'count');
 * console.log(topology.describe().toString());
 * // Topologies:
 * //    Sub-topology: 0
 * //     Source: lines (topics: [text-lines])
 * //       --> count
 * //     Processor: count (stores: [counts])
 * //       --> out
 * //       <-- lines
 * //     Sink: out (topic: word-counts)
 * //       <-- count
 * ```
 */
/** What a running application tells its topology before building it (see {@link Topology.forApplication}). */
export interface ApplicationSettings {
  readonly applicationId: string;
  readonly defaultKeySerde?: Serde<unknown>;
  readonly defaultValueSerde?: Serde<unknown>;
}

export class Topology {
  /**
   * Stores whose changelog is one of the topology's input topics (store name -> topic): the runtime restores them
   * from that topic up to the committed offset instead of from a `-changelog` topic. Filled by DSL topologies built
   * with `optimization: 'all'`; empty for hand-built ones.
   */
  readonly sourceChangelogTopics: ReadonlyMap<string, string> = new Map();
  /** Repartition topics with the partition count asked for (`Repartitioned.withNumberOfPartitions`), if any. */
  readonly repartitionTopics: ReadonlyMap<string, { readonly numberOfPartitions: number | undefined }> = new Map();
  readonly #nodes = new Map<string, TopologyNode>();
  readonly #stores = new Map<string, { builder: StoreBuilder<StateStore>; users: string[]; isGlobal: boolean }>();
  /** Topic -> the source reading it, for the "one topic, one source" rule. */
  readonly #topicReaders = new Map<string, string>();
  readonly #patterns: { readonly source: string; readonly matcher: RegExp }[] = [];

  /**
   * Adds a source named `name` reading `topics` (one name, a list, or every topic whose whole name matches a
   * pattern). Each topic may be read by one source only, and no pattern may match a topic another source reads.
   *
   * @example
   * ```ts
   * topology.addSource('orders', ['orders-eu', 'orders-us'], { valueSerde: Serdes.Json() });
   * topology.addSource('metrics', /metrics-.+/);
   * ```
   */
  addSource<K = unknown, V = unknown>(name: string, topics: string | readonly string[] | RegExp, options: SourceOptions<K, V> = {}): this {
    this.#checkNewName(name);
    let node: SourceNode;
    if (topics instanceof RegExp) {
      const matcher = wholeNameMatcher(topics);
      for (const [topic, reader] of this.#topicReaders) {
        if (matcher.test(topic)) {
          throw new TopologyError(`the pattern of source "${name}" matches topic "${topic}", already read by "${reader}"`, { nodeName: name, topic });
        }
      }
      node = sourceNode(name, [], new RegExp(topics.source, topics.flags), options, false);
      this.#patterns.push({ source: name, matcher });
    } else {
      const list = typeof topics === 'string' ? [topics] : [...topics];
      if (list.length === 0) throw new TopologyError(`source "${name}" must read at least one topic`, { nodeName: name });
      this.#checkNewTopics(name, list);
      node = sourceNode(name, list, null, options, false);
      for (const topic of list) this.#topicReaders.set(topic, name);
    }
    this.#nodes.set(name, node);
    return this;
  }

  /**
   * Adds a processor named `name`, fed by the (already added, non-sink) nodes `parentNames`. `supplier` is called once
   * per task and must return a new processor each time.
   *
   * @example
   * ```ts
   * topology.addProcessor('enrich', () => new Enrich(), 'orders', 'returns');
   * ```
   */
  addProcessor<KIn, VIn, KOut = never, VOut = never>(
    name: string,
    supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>,
    ...parentNames: string[]
  ): this {
    this.#checkNewName(name);
    if (typeof supplier !== 'function') throw new TopologyError(`processor "${name}" needs a supplier function`, { nodeName: name });
    checkParents(name, parentNames, this.#nodes, false);
    const node: ProcessorNode = {
      kind: 'processor',
      name,
      parents: Object.freeze([...parentNames]),
      supplier: supplier as ProcessorSupplier<unknown, unknown, unknown, unknown>,
      stores: Object.freeze([]),
      isGlobal: false,
    };
    this.#nodes.set(name, Object.freeze(node));
    return this;
  }

  /**
   * Adds a sink named `name` writing what `parentNames` forward to `topic`, or to the topic a {@link TopicNameExtractor}
   * chooses per record. A sink has no children.
   *
   * @example
   * ```ts
   * topology.addSink('out', 'enriched-orders', { valueSerde: Serdes.Json() }, 'enrich');
   * topology.addSink('route', (_key, order: Order) => `orders-${order.region}`, {}, 'enrich');
   * ```
   */
  addSink<K = unknown, V = unknown>(
    name: string,
    topic: string | TopicNameExtractor<K, V>,
    options: SinkOptions<K, V>,
    ...parentNames: string[]
  ): this {
    this.#checkNewName(name);
    if (typeof topic === 'string') this.#checkTopicName(name, topic);
    else if (typeof topic !== 'function') throw new TopologyError(`sink "${name}" needs a topic or a topic name extractor`, { nodeName: name });
    checkParents(name, parentNames, this.#nodes, false);
    const node: SinkNode = {
      kind: 'sink',
      name,
      parents: Object.freeze([...parentNames]),
      topic: typeof topic === 'string' ? topic : null,
      // The low-level topology cannot check types across nodes; the runtime calls these with what parents forward.
      topicExtractor: typeof topic === 'string' ? null : (topic as TopicNameExtractor<unknown, unknown>),
      ...(options.keySerde === undefined ? {} : { keySerde: options.keySerde as Serde<unknown> }),
      ...(options.valueSerde === undefined ? {} : { valueSerde: options.valueSerde as Serde<unknown> }),
      ...(options.partitioner === undefined ? {} : { partitioner: options.partitioner as StreamPartitioner<unknown, unknown> }),
    };
    this.#nodes.set(name, Object.freeze(node));
    return this;
  }

  /**
   * Registers the store `storeBuilder` builds (named `storeBuilder.name`) and connects it to the processors named.
   * Adding the same builder object again only connects more processors; another builder under a name already taken
   * is an error. Processors sharing a store land in the same sub-topology. A store must end up connected to at least
   * one processor (checked by `build()`).
   *
   * @example
   * ```ts
   * topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.BigInt()), 'count');
   * ```
   */
  addStateStore(storeBuilder: StoreBuilder<StateStore>, ...processorNames: string[]): this {
    const storeName: unknown = storeBuilder.name;
    if (typeof storeName !== 'string' || storeName === '') throw new TopologyError('a state store needs a non-empty name');
    const existing = this.#stores.get(storeName);
    if (existing?.isGlobal === true) throw new TopologyError(`store name "${storeName}" is already used by a global store`, { storeName });
    if (existing !== undefined && existing.builder !== storeBuilder) {
      throw new TopologyError(`another store builder is already registered as "${storeName}"`, { storeName });
    }
    for (const processorName of processorNames) this.#checkConnectable(processorName, storeName);
    if (existing === undefined) this.#stores.set(storeName, { builder: storeBuilder, users: [], isGlobal: false });
    for (const processorName of processorNames) this.#connect(processorName, storeName);
    return this;
  }

  /**
   * Connects the processor named `processorName` to stores already added (with `addStateStore`), so it may use them.
   * Global stores need no connection: every processor may read them.
   *
   * @example
   * ```ts
   * topology.connectProcessorAndStateStores('join', 'left-store', 'right-store');
   * ```
   */
  connectProcessorAndStateStores(processorName: string, ...storeNames: string[]): this {
    if (storeNames.length === 0) throw new TopologyError(`no store names given to connect to "${processorName}"`, { nodeName: processorName });
    for (const storeName of storeNames) {
      const entry = this.#stores.get(storeName);
      if (entry === undefined) throw new TopologyError(`store "${storeName}" has not been added`, { nodeName: processorName, storeName });
      if (entry.isGlobal) {
        throw new TopologyError(`global store "${storeName}" is readable by every processor; do not connect it to "${processorName}"`, {
          nodeName: processorName,
          storeName,
        });
      }
      this.#checkConnectable(processorName, storeName);
    }
    for (const storeName of storeNames) this.#connect(processorName, storeName);
    return this;
  }

  /**
   * Adds a global store: a source `sourceName` reading all partitions of `topic`, and a processor `processorName`
   * (from `stateUpdateSupplier`) that writes what it reads into the store; every processor of the topology may then
   * read the store (`context.getStateStore(name)`). The topic itself is the store's changelog, so the builder must
   * have logging disabled. Global nodes take a sub-topology id but run no tasks, and nothing may hang off them.
   *
   * @example
   * ```ts
   * topology.addGlobalStore(
   *   Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('rates'), Serdes.String(), Serdes.Number()).withLoggingDisabled(),
   *   'rates-source', { keySerde: Serdes.String(), valueSerde: Serdes.Number() }, 'exchange-rates',
   *   'rates-updater', () => new PutIntoStore('rates'),
   * );
   * ```
   */
  addGlobalStore<K = unknown, V = unknown>(
    storeBuilder: StoreBuilder<StateStore>,
    sourceName: string,
    options: GlobalSourceOptions<K, V>,
    topic: string,
    processorName: string,
    stateUpdateSupplier: ProcessorSupplier<K, V, never, never>,
  ): this {
    this.#checkNewName(sourceName);
    this.#checkNewName(processorName);
    if (sourceName === processorName) {
      throw new TopologyError(`a global store's source and processor need different names, both are "${sourceName}"`, { nodeName: sourceName });
    }
    if (typeof stateUpdateSupplier !== 'function') {
      throw new TopologyError(`global store processor "${processorName}" needs a supplier function`, { nodeName: processorName });
    }
    const storeName: unknown = storeBuilder.name;
    if (typeof storeName !== 'string' || storeName === '') throw new TopologyError('a state store needs a non-empty name');
    if (this.#stores.has(storeName)) throw new TopologyError(`store name "${storeName}" is already used`, { storeName });
    if (storeBuilder.loggingEnabled) {
      throw new TopologyError(`global store "${storeName}" must have logging disabled: its topic "${topic}" is its changelog`, {
        storeName,
        topic,
      });
    }
    this.#checkNewTopics(sourceName, [topic]);

    this.#nodes.set(sourceName, sourceNode(sourceName, [topic], null, options, true));
    this.#topicReaders.set(topic, sourceName);
    const processor: ProcessorNode = {
      kind: 'processor',
      name: processorName,
      parents: Object.freeze([sourceName]),
      supplier: stateUpdateSupplier as ProcessorSupplier<unknown, unknown, unknown, unknown>,
      stores: Object.freeze([storeName]),
      isGlobal: true,
    };
    this.#nodes.set(processorName, Object.freeze(processor));
    this.#stores.set(storeName, { builder: storeBuilder, users: [processorName], isGlobal: true });
    return this;
  }

  /**
   * Describes the topology as Kafka Streams does: `describe().toString()` prints Kafka's exact text and
   * `describe().toMermaid()` a flowchart. Does not run `build()`'s whole-graph checks, so it also works on a topology
   * still being assembled.
   *
   * @example
   * ```ts
   * console.log(topology.describe().toString());
   * ```
   */
  describe(): TopologyDescription {
    return describeTopology(this.#nodes, this.#storeSnapshot());
  }

  /**
   * Checks the whole graph (see `validateTopologyGraph`: e.g. every store connected to a processor) and returns a
   * frozen snapshot for the runtime: nodes with their children, stores with their users, sub-topologies and global
   * stores. Later changes to this topology do not affect the snapshot. Throws {@link TopologyError}.
   *
   * @example
   * ```ts
   * const { subtopologies } = topology.build();
   * subtopologies.map((s) => s.sourceTopics); // [['text-lines'], ['words-repartition']]
   * ```
   */
  build(): BuiltTopology {
    return buildTopology(this.#nodes, this.#storeSnapshot());
  }

  /**
   * The topology as the application `settings.applicationId` runs it. A hand-built topology is returned as is; one
   * compiled from the DSL is recompiled so its internal topics carry the application id
   * (`<applicationId>-<name>-repartition`) and its unset serdes the application's defaults. KafkaStreams and the
   * TopologyTestDriver call this before `build()`.
   *
   * @example
   * ```ts
   * const running = topology.forApplication({ applicationId: 'word-count' });
   * ```
   */
  forApplication(_settings: ApplicationSettings): Topology {
    return this;
  }

  #storeSnapshot(): Map<string, StoreEntry> {
    const snapshot = new Map<string, StoreEntry>();
    for (const [name, e] of this.#stores) {
      snapshot.set(name, Object.freeze({ builder: e.builder, users: Object.freeze([...e.users]), isGlobal: e.isGlobal }));
    }
    return snapshot;
  }

  #checkNewName(name: string): void {
    if (typeof name !== 'string' || name === '') throw new TopologyError('every node needs a non-empty name');
    if (this.#nodes.has(name)) throw new TopologyError(`node name "${name}" is already used`, { nodeName: name });
  }

  #checkTopicName(nodeName: string, topic: string): void {
    try {
      validateTopicName(topic);
    } catch (e: unknown) {
      if (!isStreamsError(e, 'INVALID_TOPIC')) throw e;
      throw new TopologyError(`node "${nodeName}": ${e.message}`, { nodeName, topic, cause: e });
    }
  }

  #checkNewTopics(nodeName: string, topics: readonly string[]): void {
    const seen = new Set<string>();
    for (const topic of topics) {
      this.#checkTopicName(nodeName, topic);
      const reader = this.#topicReaders.get(topic) ?? (seen.has(topic) ? nodeName : undefined);
      if (reader !== undefined) {
        throw new TopologyError(`topic "${topic}" is already read by source "${reader}"`, { nodeName, topic });
      }
      const pattern = this.#patterns.find((p) => p.matcher.test(topic));
      if (pattern !== undefined) {
        throw new TopologyError(`topic "${topic}" matches the pattern of source "${pattern.source}"`, { nodeName, topic });
      }
      seen.add(topic);
    }
  }

  #checkConnectable(processorName: string, storeName: string): void {
    const node = this.#nodes.get(processorName);
    if (node === undefined) {
      throw new TopologyError(`cannot connect store "${storeName}" to "${processorName}": no such node`, { nodeName: processorName, storeName });
    }
    if (node.kind !== 'processor' || node.isGlobal) {
      const what = node.kind === 'processor' ? 'a global store processor' : `a ${node.kind}`;
      throw new TopologyError(`cannot connect store "${storeName}" to "${processorName}", which is ${what}`, { nodeName: processorName, storeName });
    }
  }

  #connect(processorName: string, storeName: string): void {
    const entry = this.#stores.get(storeName)!;
    const node = this.#nodes.get(processorName) as ProcessorNode;
    if (node.stores.includes(storeName)) return;
    entry.users.push(processorName);
    this.#nodes.set(processorName, Object.freeze({ ...node, stores: Object.freeze([...node.stores, storeName]) }));
  }
}

function sourceNode(
  name: string,
  topics: readonly string[],
  pattern: RegExp | null,
  options: SourceOptions<unknown, unknown> | GlobalSourceOptions<unknown, unknown>,
  isGlobal: boolean,
): SourceNode {
  const reset = 'autoOffsetReset' in options ? options.autoOffsetReset : undefined;
  return Object.freeze({
    kind: 'source',
    name,
    topics: Object.freeze([...topics]),
    pattern,
    ...(options.keySerde === undefined ? {} : { keySerde: options.keySerde }),
    ...(options.valueSerde === undefined ? {} : { valueSerde: options.valueSerde }),
    ...(options.timestampExtractor === undefined ? {} : { timestampExtractor: options.timestampExtractor }),
    ...(reset === undefined ? {} : { autoOffsetReset: reset }),
    isGlobal,
  });
}
