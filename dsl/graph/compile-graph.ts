/**
 * The compiler: writes an (optimized) DSL graph into a low-level `Topology`, node by node in build-priority order,
 * with an exhaustive switch over node kinds.
 */
import { assertNever } from '../../src/errors.js';
import type { ProcessorSupplier } from '../../src/processor/processor.js';
import type { Serde } from '../../src/serdes/serde.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { Topology } from '../../src/topology/topology.js';
import { changeSerde } from '../change.js';
import type { Predicate } from '../functions.js';
import type { DslStoreType } from '../options/materialized.js';
import { kstreamAggregate } from '../processors/kstream-aggregate.js';
import { kstreamBranch } from '../processors/kstream-branch.js';
import { kstreamFilter } from '../processors/kstream-filter.js';
import { kstreamFlatMapValues } from '../processors/kstream-flat-map-values.js';
import { kstreamFlatMap } from '../processors/kstream-flat-map.js';
import { kstreamMapValues } from '../processors/kstream-map-values.js';
import { kstreamMap, kstreamSelectKey } from '../processors/kstream-map.js';
import { kstreamForeach, kstreamPeek } from '../processors/kstream-peek.js';
import { kstreamPrint } from '../processors/kstream-print.js';
import { kstreamReduce } from '../processors/kstream-reduce.js';
import { kstreamSessionWindowAggregate } from '../processors/kstream-session-window-aggregate.js';
import { kstreamSlidingWindowAggregate } from '../processors/kstream-sliding-window-aggregate.js';
import { kstreamWindowAggregate } from '../processors/kstream-window-aggregate.js';
import { ktableAggregate } from '../processors/ktable-aggregate.js';
import { kstreamJoinWindow } from '../processors/kstream-join-window.js';
import { JoinTimeTrackers, kstreamKStreamJoin } from '../processors/kstream-kstream-join.js';
import { kstreamGlobalKTableJoin } from '../processors/kstream-global-ktable-join.js';
import { kstreamKTableJoin } from '../processors/kstream-ktable-join.js';
import { storeValueGetter } from '../processors/ktable-value-getter.js';
import { joinWindowStoreBuilder, outerJoinStoreBuilder } from '../processors/stream-join-stores.js';
import { ktableFilter } from '../processors/ktable-filter.js';
import { ktableKTableJoin, ktableKTableJoinMerger } from '../processors/ktable-ktable-join.js';
import { ktableMapValues } from '../processors/ktable-map-values.js';
import { ktableReduce } from '../processors/ktable-reduce.js';
import { ktableRepartitionMap } from '../processors/ktable-repartition-map.js';
import { ktableSource } from '../processors/ktable-source.js';
import { ktableSuppress } from '../processors/ktable-suppress.js';
import { ktableToStream } from '../processors/ktable-to-stream.js';
import { passThrough } from '../processors/pass-through.js';
import { suppressBufferBuilder } from '../processors/suppress-buffer.js';
import { dslStoreBuilder } from './dsl-store-builder.js';
import type { DslStoreShape, StoreDefaults } from './dsl-store-builder.js';
import type { GraphNode, NodeId, RepartitionNode, StreamJoinNode } from './graph-node.js';
import type { StoreSpec } from './store-spec.js';
import type { Graph } from './graph.js';
import { analyzeTables } from './table-analysis.js';
import { tableValueGetter } from './table-value-getters.js';
import { writeForeignKeyJoin } from './write-fk-join.js';

/**
 * How to compile: `applicationId` (when known) is prefixed to repartition topics (`<applicationId>-<name>-repartition`);
 * the default serdes (from the build config, if given) replace serdes no operation specified; `storeType` is the
 * engine of stores that name none.
 *
 * @example
 * ```ts
 * const options: CompileOptions = { applicationId: 'word-count', defaultKeySerde: undefined, defaultValueSerde: undefined, storeType: 'in-memory' };
 * ```
 */
export interface CompileOptions {
  readonly applicationId: string | null;
  readonly defaultKeySerde: Serde<unknown> | undefined;
  readonly defaultValueSerde: Serde<unknown> | undefined;
  readonly storeType: DslStoreType;
}

/**
 * What the runtime needs to know beyond the Topology itself: stores restored from a source topic instead of a
 * changelog (`optimization: 'all'`), and the repartition topics with a requested partition count.
 *
 * @example
 * ```ts
 * compiled.sourceChangelogTopics.get('prices'); // 'prices-topic'
 * compiled.repartitionTopics.get('app-by-user-repartition'); // { numberOfPartitions: 8 }
 * ```
 */
export interface CompiledGraph {
  /** Store name -> the input topic that serves as its changelog. */
  readonly sourceChangelogTopics: ReadonlyMap<string, string>;
  /** Every repartition topic (decorated) -> the partition count `Repartitioned` asked for, if any. */
  readonly repartitionTopics: ReadonlyMap<string, { readonly numberOfPartitions: number | undefined }>;
}

function serdes(keySerde: Serde<unknown> | undefined, valueSerde: Serde<unknown> | undefined): { keySerde?: Serde<unknown>; valueSerde?: Serde<unknown> } {
  return { ...(keySerde === undefined ? {} : { keySerde }), ...(valueSerde === undefined ? {} : { valueSerde }) };
}

/**
 * Writes `graph` into `topology` (which must be empty): sources, processors, sinks and stores with Kafka Streams'
 * names, in Kafka Streams' order, so `topology.describe()` prints what Kafka Streams prints for the same program.
 * Store connections of `process()` nodes are made last, so `addStateStore` may come after the `process` call.
 *
 * @example
 * ```ts
 * const topology = new Topology();
 * const compiled = compileGraph(optimize(builder.snapshot()), topology, options);
 * ```
 */
export function compileGraph(graph: Graph, topology: Topology, options: CompileOptions): CompiledGraph {
  const { sendsOldValues, materialized } = analyzeTables(graph);
  const byId = new Map<NodeId, GraphNode>(graph.nodes.map((n) => [n.id, n]));
  const nameOf = (id: NodeId): string => byId.get(id)!.name;
  const decorate = (topic: string): string => (options.applicationId === null ? topic : `${options.applicationId}-${topic}`);
  const keySerdeOf = (s: Serde<unknown> | undefined): Serde<unknown> | undefined => s ?? options.defaultKeySerde;
  const valueSerdeOf = (s: Serde<unknown> | undefined): Serde<unknown> | undefined => s ?? options.defaultValueSerde;
  const defaults: StoreDefaults = { keySerde: options.defaultKeySerde, valueSerde: options.defaultValueSerde, storeType: options.storeType };
  const addStore = (spec: StoreSpec, processorName: string, loggingEnabled = spec.isLoggingEnabled, shape?: DslStoreShape): void => {
    topology.addStateStore(dslStoreBuilder(spec, defaults, loggingEnabled, shape), processorName);
  };
  const sourceChangelogTopics = new Map<string, string>();
  const repartitionTopics = new Map<string, { readonly numberOfPartitions: number | undefined }>();
  const connections: [string, readonly string[]][] = [];

  const writeRepartition = (node: RepartitionNode, parents: readonly string[]): void => {
    const topic = decorate(node.topic);
    repartitionTopics.set(topic, Object.freeze({ numberOfPartitions: node.numberOfPartitions }));
    const keySerde = keySerdeOf(node.keySerde);
    if (node.variant === 'grouped-table') {
      // Old and new values travel together; the inner serde must be known now (the runtime cannot wrap its default).
      const valueSerde = changeSerde(valueSerdeOf(node.valueSerde) ?? (Serdes.MsgPack() as Serde<unknown>)) as Serde<unknown>;
      topology.addSink(node.sinkName, topic, serdes(keySerde, valueSerde), ...parents);
      topology.addSource(node.sourceName, topic, serdes(keySerde, valueSerde));
      return;
    }
    const valueSerde = valueSerdeOf(node.valueSerde);
    // As in Kafka Streams the filter passes everything: null keys are dropped (or not) by the operator downstream.
    topology.addProcessor(node.filterName!, passThrough(), ...parents);
    topology.addSink(node.sinkName, topic, { ...serdes(keySerde, valueSerde), ...(node.partitioner === undefined ? {} : { partitioner: node.partitioner }) }, node.filterName!);
    topology.addSource(node.sourceName, topic, serdes(keySerde, valueSerde));
  };

  for (const node of graph.nodes) {
    const parents = node.parents.map(nameOf);
    const sendOld = sendsOldValues.has(node.id);
    switch (node.kind) {
      case 'stream-source':
        topology.addSource(node.name, node.pattern ?? node.topics, {
          ...serdes(keySerdeOf(node.keySerde), valueSerdeOf(node.valueSerde)),
          ...(node.timestampExtractor === undefined ? {} : { timestampExtractor: node.timestampExtractor }),
          ...(node.offsetReset === undefined ? {} : { autoOffsetReset: node.offsetReset }),
        });
        break;
      case 'filter':
        topology.addProcessor(node.name, kstreamFilter(node.predicate, node.isNot), ...parents);
        break;
      case 'map':
        topology.addProcessor(node.name, kstreamMap(node.mapper), ...parents);
        break;
      case 'select-key':
        topology.addProcessor(node.name, kstreamSelectKey(node.mapper), ...parents);
        break;
      case 'map-values':
        topology.addProcessor(node.name, kstreamMapValues(node.mapper), ...parents);
        break;
      case 'flat-map':
        topology.addProcessor(node.name, kstreamFlatMap(node.mapper), ...parents);
        break;
      case 'flat-map-values':
        topology.addProcessor(node.name, kstreamFlatMapValues(node.mapper), ...parents);
        break;
      case 'peek':
        topology.addProcessor(node.name, kstreamPeek(node.action), ...parents);
        break;
      case 'foreach':
        topology.addProcessor(node.name, kstreamForeach(node.action), ...parents);
        break;
      case 'print':
        topology.addProcessor(node.name, kstreamPrint(node.writer, node.label, node.mapper), ...parents);
        break;
      case 'split': {
        const branches = graph.nodes.filter((n) => n.kind === 'branch' && n.parents[0] === node.id);
        const predicates: Predicate<unknown, unknown>[] = [];
        const childNames: string[] = [];
        let defaultChild: string | null = null;
        for (const b of branches) {
          if (b.kind !== 'branch') continue;
          if (b.predicate === null) defaultChild = b.name;
          else {
            predicates.push(b.predicate);
            childNames.push(b.name);
          }
        }
        topology.addProcessor(node.name, kstreamBranch(predicates, childNames, defaultChild), ...parents);
        break;
      }
      case 'branch':
      case 'merge':
        topology.addProcessor(node.name, passThrough(), ...parents);
        break;
      case 'process':
        topology.addProcessor(node.name, node.supplier, ...parents);
        if (node.storeNames.length > 0) connections.push([node.name, node.storeNames]);
        break;
      case 'sink':
        topology.addSink(node.name, node.topic ?? node.topicExtractor!, {
          ...serdes(keySerdeOf(node.keySerde), valueSerdeOf(node.valueSerde)),
          ...(node.partitioner === undefined ? {} : { partitioner: node.partitioner }),
        }, ...parents);
        break;
      case 'repartition':
        writeRepartition(node, parents);
        break;
      case 'stream-aggregate':
        topology.addProcessor(node.name, kstreamAggregate(node.store.name, node.initializer, node.aggregator, sendOld), ...parents);
        addStore(node.store, node.name);
        break;
      case 'stream-reduce':
        topology.addProcessor(node.name, kstreamReduce(node.store.name, node.reducer, sendOld), ...parents);
        addStore(node.store, node.name);
        break;
      case 'window-aggregate': {
        const { windows } = node;
        const isTime = windows.kind === 'time';
        const supplier = isTime
          ? kstreamWindowAggregate(node.store.name, windows, node.initializer, node.aggregator, sendOld, node.emitsOnWindowClose)
          : kstreamSlidingWindowAggregate(node.store.name, windows, node.initializer, node.aggregator, sendOld, node.emitsOnWindowClose);
        topology.addProcessor(node.name, supplier, ...parents);
        const windowSizeMs = isTime ? windows.sizeMs : windows.timeDifferenceMs;
        addStore(node.store, node.name, node.store.isLoggingEnabled, { kind: 'window', retentionMs: node.retentionMs, windowSizeMs });
        break;
      }
      case 'session-aggregate':
        topology.addProcessor(
          node.name,
          kstreamSessionWindowAggregate(
            node.store.name,
            node.windows,
            node.initializer,
            node.aggregator,
            node.merger,
            sendOld,
            node.emitsOnWindowClose,
            node.retentionMs,
          ),
          ...parents,
        );
        addStore(node.store, node.name, node.store.isLoggingEnabled, { kind: 'session', retentionMs: node.retentionMs });
        break;
      case 'to-table': {
        const isMaterialized = materialized.has(node.id);
        topology.addProcessor(node.name, ktableSource(isMaterialized ? node.store.name : null, sendOld), ...parents);
        if (isMaterialized) addStore(node.store, node.name);
        break;
      }
      case 'table-source': {
        const isMaterialized = materialized.has(node.id);
        topology.addSource(node.sourceName, node.topic, {
          ...serdes(keySerdeOf(node.keySerde), valueSerdeOf(node.valueSerde)),
          ...(node.timestampExtractor === undefined ? {} : { timestampExtractor: node.timestampExtractor }),
          ...(node.offsetReset === undefined ? {} : { autoOffsetReset: node.offsetReset }),
        });
        topology.addProcessor(node.name, ktableSource(isMaterialized ? node.store.name : null, sendOld), node.sourceName);
        if (isMaterialized) {
          // With the optimization, the input topic is the changelog: the store logs nothing and restores from it.
          if (node.reusesSourceTopic) sourceChangelogTopics.set(node.store.name, node.topic);
          addStore(node.store, node.name, node.store.isLoggingEnabled && !node.reusesSourceTopic);
        }
        break;
      }
      case 'table-filter':
        topology.addProcessor(node.name, ktableFilter(node.predicate, node.isNot, node.store?.name ?? null, sendOld), ...parents);
        if (node.store !== null) addStore(node.store, node.name);
        break;
      case 'table-map-values':
        topology.addProcessor(node.name, ktableMapValues(node.mapper, node.store?.name ?? null, sendOld), ...parents);
        if (node.store !== null) addStore(node.store, node.name);
        break;
      case 'to-stream':
        topology.addProcessor(node.name, ktableToStream(), ...parents);
        break;
      case 'table-group-by':
        topology.addProcessor(node.name, ktableRepartitionMap(node.selector), ...parents);
        break;
      case 'table-aggregate':
        topology.addProcessor(node.name, ktableAggregate(node.store.name, node.initializer, node.adder, node.subtractor, sendOld), ...parents);
        addStore(node.store, node.name);
        break;
      case 'table-reduce':
        topology.addProcessor(node.name, ktableReduce(node.store.name, node.adder, node.subtractor, sendOld), ...parents);
        addStore(node.store, node.name);
        break;
      case 'state-store':
        topology.addStateStore(node.builder);
        break;
      case 'table-suppress':
        topology.addProcessor(node.name, ktableSuppress(node.storeName, node.settings, sendOld), ...parents);
        topology.addStateStore(suppressBufferBuilder(node.storeName, node.keySerdeOf, node.valueSerdeOf, node.isLoggingEnabled, node.logConfig), node.name);
        break;
      case 'stream-table-join': {
        const table = tableValueGetter(byId, node.table);
        topology.addProcessor(node.name, kstreamKTableJoin(table, node.joiner, node.isLeft), ...parents);
        topology.connectProcessorAndStateStores(node.name, ...table.storeNames);
        break;
      }
      case 'global-table-source':
        // The topic is the store's changelog: the store logs nothing, and caching would only delay what tasks read.
        topology.addGlobalStore(
          dslStoreBuilder({ ...node.store, isCachingEnabled: false }, defaults, false),
          node.sourceName,
          {
            ...serdes(keySerdeOf(node.keySerde), valueSerdeOf(node.valueSerde)),
            ...(node.timestampExtractor === undefined ? {} : { timestampExtractor: node.timestampExtractor }),
          },
          node.topic,
          node.name,
          ktableSource(node.store.name, false) as ProcessorSupplier<unknown, unknown, never, never>,
        );
        break;
      case 'stream-global-join':
        // No store connection: every processor may read global stores (Kafka prints `stores: []` here too).
        topology.addProcessor(node.name, kstreamGlobalKTableJoin(storeValueGetter(node.storeName), node.keySelector, node.joiner, node.isLeft), ...parents);
        break;
      case 'table-join': {
        const thisGetter = tableValueGetter(byId, node.parents[0]!);
        const otherGetter = tableValueGetter(byId, node.parents[1]!);
        const { joiner } = node;
        const reversed = (other: unknown, self: unknown): unknown => joiner(self, other);
        const otherSide = node.variant === 'left' ? 'right' : node.variant;
        topology.addProcessor(node.thisName, ktableKTableJoin(otherGetter, joiner, node.variant, sendOld), parents[0]!);
        topology.addProcessor(node.otherName, ktableKTableJoin(thisGetter, reversed, otherSide, sendOld), parents[1]!);
        topology.addProcessor(node.name, ktableKTableJoinMerger(node.store?.name ?? null, sendOld), node.thisName, node.otherName);
        topology.connectProcessorAndStateStores(node.thisName, ...otherGetter.storeNames);
        topology.connectProcessorAndStateStores(node.otherName, ...thisGetter.storeNames);
        if (node.store !== null) addStore(node.store, node.name);
        break;
      }
      case 'stream-join':
        writeStreamJoin(topology, node, parents, options);
        break;
      case 'table-fk-join':
        writeForeignKeyJoin(topology, node, parents[0]!, parents[1]!, {
          decorate,
          keySerdeOf,
          valueSerdeOf,
          left: tableValueGetter(byId, node.parents[0]!),
          right: tableValueGetter(byId, node.parents[1]!),
          isMaterialized: materialized.has(node.id),
          sendOldValues: sendOld,
          addStore: (spec, processorName) => addStore(spec, processorName),
        });
        break;
      default:
        assertNever(node);
    }
  }
  for (const [processorName, storeNames] of connections) topology.connectProcessorAndStateStores(processorName, ...storeNames);
  return { sourceChangelogTopics, repartitionTopics };
}

/** Writes a stream-stream join as Kafka Streams' `StreamStreamJoinNode` does: windowed, join, merge, then the stores. */
function writeStreamJoin(topology: Topology, node: StreamJoinNode, parents: readonly string[], options: CompileOptions): void {
  const { windows, joiner } = node;
  const reversed = (other: unknown, self: unknown): unknown => joiner(self, other);
  const trackers = new JoinTimeTrackers();
  const settings = {
    keySerde: node.keySerde ?? options.defaultKeySerde,
    thisValueSerde: node.thisValueSerde ?? options.defaultValueSerde,
    otherValueSerde: node.otherValueSerde ?? options.defaultValueSerde,
    isLoggingEnabled: node.isLoggingEnabled,
    logConfig: node.logConfig,
    isPersistent: options.storeType === 'sqlite',
  };
  const outer = node.outerStoreName;
  topology.addProcessor(node.thisWindowedName, kstreamJoinWindow(node.thisStoreName), parents[0]!);
  topology.addProcessor(node.otherWindowedName, kstreamJoinWindow(node.otherStoreName), parents[1]!);
  topology.addProcessor(
    node.thisJoinName,
    kstreamKStreamJoin({ otherStoreName: node.otherStoreName, outerStoreName: outer, windows, isLeftSide: true, isOuter: node.variant !== 'inner', joiner, trackers }),
    node.thisWindowedName,
  );
  topology.addProcessor(
    node.otherJoinName,
    kstreamKStreamJoin({ otherStoreName: node.thisStoreName, outerStoreName: outer, windows, isLeftSide: false, isOuter: node.variant === 'outer', joiner: reversed, trackers }),
    node.otherWindowedName,
  );
  topology.addProcessor(node.name, passThrough(), node.thisJoinName, node.otherJoinName);
  // Kafka Streams sizes both window stores `before + after` with retention `before + after + grace`; our stores expire
  // a start at `observed - retention` inclusive, so one more millisecond keeps a record while it can still join.
  const retentionMs = windows.retentionMs + 1;
  topology.addStateStore(joinWindowStoreBuilder(node.thisStoreName, settings, true, retentionMs, windows.sizeMs), node.thisWindowedName, node.otherJoinName);
  topology.addStateStore(joinWindowStoreBuilder(node.otherStoreName, settings, false, retentionMs, windows.sizeMs), node.otherWindowedName, node.thisJoinName);
  if (outer !== null) topology.addStateStore(outerJoinStoreBuilder(outer, settings), node.thisJoinName, node.otherJoinName);
}
