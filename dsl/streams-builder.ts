/**
 * `StreamsBuilder`: the entry point of the DSL (Kafka Streams' `StreamsBuilder`).
 */
import { StreamsError } from '../src/errors.js';
import type { StateStore } from '../src/state/state-store.js';
import type { StoreBuilder } from '../src/state/store-builder.js';
import type { Topology } from '../src/topology/topology.js';
import { erase, storeSpecOf } from './dsl-context.js';
import { CompiledTopology } from './graph/compiled-topology.js';
import { GraphBuilder } from './graph/graph-builder.js';
import { mergeDuplicateSources } from './graph/merge-duplicate-sources.js';
import { mergeRepartitions } from './graph/merge-repartitions.js';
import { reuseSourceChangelogs } from './graph/reuse-source-changelogs.js';
import { GlobalKTableImpl, type GlobalKTable } from './global-ktable.js';
import { KStreamImpl } from './kstream-impl.js';
import type { KStream } from './kstream.js';
import { KTableImpl } from './ktable-impl.js';
import type { KTable } from './ktable.js';
import type { Consumed } from './options/consumed.js';
import { Materialized } from './options/materialized.js';
import { resolveTopologyConfig } from './topology-config.js';
import type { TopologyConfig } from './topology-config.js';

/**
 * Builds a topology with the DSL (Kafka Streams' `StreamsBuilder`): create streams and tables from topics, chain
 * operations on them, then `build()` the {@link Topology} to run with `KafkaStreams` or the `TopologyTestDriver`.
 *
 * Calls only record what to do: `build()` runs the optimizer passes (merging sources of the same topic always; with
 * `optimization: 'all'` also reusing table source topics as changelogs and merging repartition topics) and compiles
 * the result. `build()` may be called more than once; each call returns a new Topology of everything added so far.
 *
 * @example
 * ```ts
 * const builder = new StreamsBuilder();
 * builder.stream('text-lines', Consumed.with(Serdes.String(), Serdes.String()))
 *   .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
 *   .groupBy((_key, word) => word, Grouped.with(Serdes.String(), Serdes.String()))
 *   .count(Materialized.as('counts'))
 *   .toStream()
 *   .to('word-counts', Produced.with(Serdes.String(), longSerde()));
 * console.log(builder.build().describe().toString());
 * // Topologies:
 * //    Sub-topology: 0
 * //     Source: KSTREAM-SOURCE-0000000000 (topics: [text-lines])
 * //       --> KSTREAM-FLATMAPVALUES-0000000001
 * //     Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])
 * //       --> KSTREAM-KEY-SELECT-0000000002
 * //       <-- KSTREAM-SOURCE-0000000000
 * //     Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])
 * //       --> counts-repartition-filter
 * //       <-- KSTREAM-FLATMAPVALUES-0000000001
 * //     Processor: counts-repartition-filter (stores: [])
 * //       --> counts-repartition-sink
 * //       <-- KSTREAM-KEY-SELECT-0000000002
 * //     Sink: counts-repartition-sink (topic: counts-repartition)
 * //       <-- counts-repartition-filter
 * //
 * //   Sub-topology: 1
 * //     Source: counts-repartition-source (topics: [counts-repartition])
 * //       --> KSTREAM-AGGREGATE-0000000003
 * //     Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts])
 * //       --> KTABLE-TOSTREAM-0000000007
 * //       <-- counts-repartition-source
 * //     Processor: KTABLE-TOSTREAM-0000000007 (stores: [])
 * //       --> KSTREAM-SINK-0000000008
 * //       <-- KSTREAM-AGGREGATE-0000000003
 * //     Sink: KSTREAM-SINK-0000000008 (topic: word-counts)
 * //       <-- KTABLE-TOSTREAM-0000000007
 * ```
 */
export class StreamsBuilder {
  readonly #graph = new GraphBuilder();

  /**
   * A stream of the records of `topics` (one topic, a list, or every topic whose whole name matches a pattern).
   * Reading the same topics twice gives two handles on one source. Keys and values are read with the `Consumed`
   * serdes, else the application's defaults.
   *
   * @example
   * ```ts
   * const orders = builder.stream('orders', Consumed.with(Serdes.String(), Serdes.Json<Order>()));
   * const metrics = builder.stream<string, number>(/metrics-.+/);
   * ```
   */
  stream<K = unknown, V = unknown>(topics: string | readonly string[] | RegExp, consumed?: Consumed<K, V>): KStream<K, V> {
    const isPattern = topics instanceof RegExp;
    const list = isPattern ? [] : typeof topics === 'string' ? [topics] : [...topics];
    if (!isPattern && (list.length === 0 || list.some((t) => typeof t !== 'string' || t === ''))) {
      throw new StreamsError('INVALID_CONFIG', 'stream() needs a topic name, a non-empty list of topic names, or a RegExp');
    }
    // As Kafka Streams: a pattern source always gets a generated name.
    const name = (isPattern ? undefined : consumed?.processorName) ?? this.#graph.newProcessorName('KSTREAM-SOURCE-');
    const node = this.#graph.add({
      kind: 'stream-source',
      name,
      parents: [],
      topics: list,
      pattern: isPattern ? new RegExp(topics.source, topics.flags) : null,
      keySerde: erase(consumed?.keySerde),
      valueSerde: erase(consumed?.valueSerde),
      timestampExtractor: consumed?.timestampExtractor,
      offsetReset: consumed?.offsetResetPolicy,
    });
    return new KStreamImpl<K, V>({
      builder: this.#graph,
      nodeId: node.id,
      name,
      keySerde: consumed?.keySerde,
      valueSerde: consumed?.valueSerde,
      repartitionRequired: false,
    });
  }

  /**
   * A table of `topic`: each record updates its key's row; a null value deletes it; records without a key are
   * dropped. The table is kept in a store when `materialized` names one or when an operation needs it (`groupBy`);
   * the store's changelog is `<applicationId>-<store>-changelog`, or the topic itself with `optimization: 'all'`.
   * The serdes are `consumed`'s, else `materialized`'s, else the defaults.
   *
   * @example
   * ```ts
   * const users = builder.table('users', Consumed.with(Serdes.String(), Serdes.Json<User>()), Materialized.as('users'));
   * const prices = builder.table('prices', Materialized.as<string, number>('prices'));
   * ```
   */
  table<K = unknown, V = unknown>(topic: string, consumed?: Consumed<K, V> | Materialized<K, V>, materialized?: Materialized<K, V>): KTable<K, V> {
    const { options, store, keySerde, valueSerde, storeName, sourceName, name } = this.#tableSource('table', topic, consumed, materialized);
    const node = this.#graph.add({
      kind: 'table-source',
      name,
      parents: [],
      topic,
      sourceName,
      keySerde: erase(keySerde),
      valueSerde: erase(valueSerde),
      timestampExtractor: options?.timestampExtractor,
      offsetReset: options?.offsetResetPolicy,
      store: storeSpecOf(erase(store), storeName, erase(keySerde), erase(valueSerde)),
      isQueryable: store?.storeName !== undefined,
      reusesSourceTopic: false,
    });
    return new KTableImpl<K, V>({ builder: this.#graph, nodeId: node.id, name, keySerde, valueSerde, queryableStoreName: store?.storeName ?? null });
  }

  /**
   * A {@link GlobalKTable} of `topic`: every instance reads all its partitions into a global store (always
   * materialized; `materialized` may name it and choose its engine), fully restored before processing starts and kept
   * up to date afterwards. The topic itself is the store's changelog (no `-changelog` topic); records without a key
   * are dropped, a null value deletes the row. The topic must exist when the application starts. The serdes are
   * `consumed`'s, else `materialized`'s, else the defaults.
   *
   * @example
   * ```ts
   * const products = builder.globalTable('products', Consumed.with(Serdes.String(), Serdes.Json<Product>()));
   * const rates = builder.globalTable('rates', Materialized.as<string, number>('rates'));
   * ```
   */
  globalTable<K = unknown, V = unknown>(topic: string, consumed?: Consumed<K, V> | Materialized<K, V>, materialized?: Materialized<K, V>): GlobalKTable<K, V> {
    const { options, store, keySerde, valueSerde, storeName, sourceName, name } = this.#tableSource('globalTable', topic, consumed, materialized);
    this.#graph.add({
      kind: 'global-table-source',
      name,
      parents: [],
      topic,
      sourceName,
      keySerde: erase(keySerde),
      valueSerde: erase(valueSerde),
      timestampExtractor: options?.timestampExtractor,
      offsetReset: undefined,
      store: storeSpecOf(erase(store), storeName, erase(keySerde), erase(valueSerde)),
    });
    return new GlobalKTableImpl<K, V>(this.#graph, storeName);
  }

  /**
   * What `table()` and `globalTable()` share: the options split (a lone Materialized may come second or third), the
   * serdes (`consumed`'s, else `materialized`'s), and the names in Kafka Streams' order: the store name, then the
   * source, then the KTABLE-SOURCE processor.
   */
  #tableSource<K, V>(method: string, topic: string, consumed: Consumed<K, V> | Materialized<K, V> | undefined, materialized: Materialized<K, V> | undefined) {
    if (typeof topic !== 'string' || topic === '') throw new StreamsError('INVALID_CONFIG', `${method}() needs a topic name`);
    const isMaterializedOnly = consumed instanceof Materialized;
    const options: Consumed<K, V> | undefined = isMaterializedOnly ? undefined : consumed;
    const store = isMaterializedOnly ? consumed : materialized;
    const storeName = store?.storeName ?? this.#graph.newStoreName(`${topic}-`);
    const processorName = options?.processorName;
    const sourceName = processorName === undefined ? this.#graph.newProcessorName('KSTREAM-SOURCE-') : `${processorName}-source`;
    const name = processorName ?? this.#graph.newProcessorName('KTABLE-SOURCE-');
    return { options, store, keySerde: options?.keySerde ?? store?.keySerde, valueSerde: options?.valueSerde ?? store?.valueSerde, storeName, sourceName, name };
  }

  /**
   * Adds a store for `KStream.process` / `processValues` to use (name it in their `storeNames`).
   *
   * @example
   * ```ts
   * builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('seen'), Serdes.String(), Serdes.Number()));
   * stream.process(() => new Dedupe(), 'seen');
   * ```
   */
  addStateStore(storeBuilder: StoreBuilder<StateStore>): this {
    if (storeBuilder === null || typeof storeBuilder !== 'object' || typeof storeBuilder.build !== 'function') {
      throw new StreamsError('INVALID_CONFIG', 'addStateStore() needs a StoreBuilder');
    }
    this.#graph.add({ kind: 'state-store', name: storeBuilder.name, parents: [], builder: storeBuilder });
    return this;
  }

  /**
   * Compiles what was added so far into a {@link Topology}: optimizer passes per `config.optimization`, then Kafka
   * Streams' nodes and names. With `config.applicationId`, internal topics are named `<applicationId>-<name>-...`
   * (and `describe()` still prints them without it). Throws `StreamsError('INVALID_CONFIG')` for a bad config and
   * `TOPOLOGY_INVALID` for a program that cannot be built (duplicate names, a store nobody uses, ...).
   *
   * @example
   * ```ts
   * const topology = builder.build({ applicationId: 'word-count', optimization: 'all' });
   * const driver = new TopologyTestDriver(topology, { applicationId: 'word-count' });
   * ```
   */
  build(config?: TopologyConfig): Topology {
    const resolved = resolveTopologyConfig(config);
    let graph = mergeDuplicateSources(this.#graph.snapshot());
    if (resolved.optimizations.has('reuse.ktable.source.topics')) graph = reuseSourceChangelogs(graph);
    if (resolved.optimizations.has('merge.repartition.topics')) graph = mergeRepartitions(graph);
    return new CompiledTopology(graph, {
      applicationId: resolved.applicationId,
      defaultKeySerde: resolved.defaultKeySerde,
      defaultValueSerde: resolved.defaultValueSerde,
      storeType: resolved.dslStoreType,
    });
  }
}
