/**
 * The DSL's intermediate representation: an immutable graph of tagged-union nodes, one per DSL operation (a repartition
 * is one node that becomes a filter, a sink and a source). The DSL appends nodes as the user chains operations;
 * `build()` runs the optimizer passes over the graph and compiles it into a `Topology` with an exhaustive switch.
 *
 * Nodes are frozen; a node's `id` is its build priority (creation order), which is also the order the compiler writes
 * nodes into the topology, as Kafka Streams does. User functions are stored with erased types (`unknown`): the typed
 * DSL handles guarantee that what flows between nodes fits.
 */
import type { ProcessorSupplier } from '../../src/processor/processor.js';
import type { StreamPartitioner } from '../../src/processor/stream-partitioner.js';
import type { TimestampExtractor } from '../../src/processor/timestamp-extractor.js';
import type { TopicNameExtractor } from '../../src/processor/topic-name-extractor.js';
import type { Serde } from '../../src/serdes/serde.js';
import type { KeyValue } from '../../src/state/key-value-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import type { ChangelogConfig, StoreBuilder } from '../../src/state/store-builder.js';
import type { AutoOffsetReset } from '../../src/topology/topology-node.js';
import type { Aggregator, ForeachAction, Initializer, KeyValueMapper, Merger, Predicate, Reducer, ValueJoiner, ValueMapper } from '../functions.js';
import type { LineWriter } from '../options/printed.js';
import type { TableJoinVariant } from '../processors/ktable-value-getter.js';
import type { SuppressSettings } from '../processors/ktable-suppress.js';
import type { SerdeResolver } from '../processors/suppress-buffer.js';
import type { SessionWindows } from '../windows/session-windows.js';
import type { SlidingWindows } from '../windows/sliding-windows.js';
import type { JoinWindows } from '../windows/join-windows.js';
import type { TimeWindows } from '../windows/time-windows.js';
import type { StoreSpec } from './store-spec.js';

/**
 * A node's identity and build priority (its creation index).
 *
 * @example `const id: NodeId = builder.add(node).id;`
 */
export type NodeId = number;

type AnyPredicate = Predicate<unknown, unknown>;

interface NodeBase {
  readonly id: NodeId;
  /** The topology node children attach to (for a repartition, its source; for a table source, its KTABLE-SOURCE). */
  readonly name: string;
  readonly parents: readonly NodeId[];
}

interface SourceSettings {
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly timestampExtractor: TimestampExtractor | undefined;
  readonly offsetReset: AutoOffsetReset | undefined;
}

/**
 * `builder.stream(...)`: a source reading topics or a pattern.
 *
 * @example `builder.stream('orders')` adds `{ kind: 'stream-source', name: 'KSTREAM-SOURCE-0000000000', topics: ['orders'], ... }`
 */
export interface StreamSourceNode extends NodeBase, SourceSettings {
  readonly kind: 'stream-source';
  readonly topics: readonly string[];
  readonly pattern: RegExp | null;
}

/**
 * `filter` / `filterNot` on a stream.
 *
 * @example `stream.filterNot(p)` adds `{ kind: 'filter', name: 'KSTREAM-FILTER-0000000001', predicate: p, isNot: true }`
 */
export interface FilterNode extends NodeBase {
  readonly kind: 'filter';
  readonly predicate: AnyPredicate;
  readonly isNot: boolean;
}

/**
 * `map`: new key and value (key-changing).
 *
 * @example `stream.map((k, v) => ({ key: v, value: k }))` adds `{ kind: 'map', name: 'KSTREAM-MAP-0000000001', ... }`
 */
export interface MapNode extends NodeBase {
  readonly kind: 'map';
  readonly mapper: KeyValueMapper<unknown, unknown, KeyValue<unknown, unknown>>;
}

/**
 * `selectKey`, and the key selection of `KStream.groupBy` (key-changing).
 *
 * @example `stream.groupBy((_k, w) => w)` adds `{ kind: 'select-key', name: 'KSTREAM-KEY-SELECT-0000000002', ... }`
 */
export interface SelectKeyNode extends NodeBase {
  readonly kind: 'select-key';
  readonly mapper: KeyValueMapper<unknown, unknown, unknown>;
}

/**
 * `mapValues` (value-changing).
 *
 * @example `stream.mapValues((v) => v.length)` adds `{ kind: 'map-values', name: 'KSTREAM-MAPVALUES-0000000001', ... }`
 */
export interface MapValuesNode extends NodeBase {
  readonly kind: 'map-values';
  readonly mapper: ValueMapper<unknown, unknown, unknown>;
}

/**
 * `flatMap` (key-changing).
 *
 * @example `stream.flatMap((k, v) => [{ key: v, value: k }])` adds `{ kind: 'flat-map', ... }`
 */
export interface FlatMapNode extends NodeBase {
  readonly kind: 'flat-map';
  readonly mapper: KeyValueMapper<unknown, unknown, Iterable<KeyValue<unknown, unknown>>>;
}

/**
 * `flatMapValues` (value-changing).
 *
 * @example `lines.flatMapValues((l) => l.split(' '))` adds `{ kind: 'flat-map-values', name: 'KSTREAM-FLATMAPVALUES-0000000001', ... }`
 */
export interface FlatMapValuesNode extends NodeBase {
  readonly kind: 'flat-map-values';
  readonly mapper: ValueMapper<unknown, unknown, Iterable<unknown>>;
}

/**
 * `peek` (forwards) and `foreach` (terminal).
 *
 * @example `stream.foreach(log)` adds `{ kind: 'foreach', name: 'KSTREAM-FOREACH-0000000001', action: log }`
 */
export interface PeekNode extends NodeBase {
  readonly kind: 'peek' | 'foreach';
  readonly action: ForeachAction<unknown, unknown>;
}

/**
 * `print`.
 *
 * @example `stream.print(Printed.toSysOut())` adds `{ kind: 'print', name: 'KSTREAM-PRINTER-0000000001', label: 'KSTREAM-SOURCE-0000000000', ... }`
 */
export interface PrintNode extends NodeBase {
  readonly kind: 'print';
  readonly writer: LineWriter;
  readonly label: string;
  readonly mapper: KeyValueMapper<unknown, unknown, string> | undefined;
}

/**
 * The splitter of `split()`; its branch predicates are those of its `branch` children, in id order.
 *
 * @example `stream.split()` adds `{ kind: 'split', name: 'KSTREAM-BRANCH-0000000001' }`
 */
export interface SplitNode extends NodeBase {
  readonly kind: 'split';
}

/**
 * One branch of a split: `predicate === null` for the default branch.
 *
 * @example `split.defaultBranch()` adds `{ kind: 'branch', name: 'KSTREAM-BRANCH-00000000010', predicate: null }`
 */
export interface BranchNode extends NodeBase {
  readonly kind: 'branch';
  readonly predicate: AnyPredicate | null;
}

/**
 * `merge`: two parents, a pass-through.
 *
 * @example `a.merge(b)` adds `{ kind: 'merge', name: 'KSTREAM-MERGE-0000000002', parents: [a, b] }`
 */
export interface MergeNode extends NodeBase {
  readonly kind: 'merge';
}

/**
 * `process` / `processValues`: a user processor, connected to the stores named.
 *
 * @example `stream.process(supplier, 'seen')` adds `{ kind: 'process', storeNames: ['seen'], isFixedKey: false, ... }`
 */
export interface ProcessNode extends NodeBase {
  readonly kind: 'process';
  readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  readonly storeNames: readonly string[];
  readonly isFixedKey: boolean;
}

/**
 * `to`: a sink to a topic or a topic name extractor.
 *
 * @example `stream.to('out')` adds `{ kind: 'sink', name: 'KSTREAM-SINK-0000000001', topic: 'out', topicExtractor: null, ... }`
 */
export interface SinkNode extends NodeBase {
  readonly kind: 'sink';
  readonly topic: string | null;
  readonly topicExtractor: TopicNameExtractor<unknown, unknown> | null;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly partitioner: StreamPartitioner<unknown, unknown> | undefined;
}

/**
 * A repartition through an internal topic: `filterName` (stream repartitions) -> sink `sinkName` -> topic -> source
 * `sourceName` (= `name`). `optimizable`: inserted before a stateful operation after a key change (may be merged by
 * the optimizer); `unoptimizable`: `KStream.repartition()`; `grouped-table`: `KTable.groupBy` (values are Changes, no
 * filter). `topic` is the undecorated name (`counts-repartition`); the compiler prefixes the application id.
 *
 * @example `grouped.count(Materialized.as('counts'))` adds `{ kind: 'repartition', variant: 'optimizable', topic: 'counts-repartition', ... }`
 */
export interface RepartitionNode extends NodeBase {
  readonly kind: 'repartition';
  readonly variant: 'optimizable' | 'unoptimizable' | 'grouped-table';
  readonly topic: string;
  readonly sinkName: string;
  readonly filterName: string | null;
  readonly sourceName: string;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly partitioner: StreamPartitioner<unknown, unknown> | undefined;
  readonly numberOfPartitions: number | undefined;
}

/**
 * `KGroupedStream.aggregate` and `count`.
 *
 * @example `grouped.count()` adds `{ kind: 'stream-aggregate', name: 'KSTREAM-AGGREGATE-0000000002', store: { name: 'KSTREAM-AGGREGATE-STATE-STORE-0000000001', ... } }`
 */
export interface StreamAggregateNode extends NodeBase {
  readonly kind: 'stream-aggregate';
  readonly initializer: Initializer<unknown>;
  readonly aggregator: Aggregator<unknown, unknown, unknown>;
  readonly store: StoreSpec;
}

/**
 * `KGroupedStream.reduce`.
 *
 * @example `grouped.reduce((a, b) => a + b)` adds `{ kind: 'stream-reduce', name: 'KSTREAM-REDUCE-0000000002', ... }`
 */
export interface StreamReduceNode extends NodeBase {
  readonly kind: 'stream-reduce';
  readonly reducer: Reducer<unknown>;
  readonly store: StoreSpec;
}

/**
 * `TimeWindowedKStream.aggregate`, `count` and `reduce` (time or sliding windows): a timestamped window store of
 * `retentionMs` with windows of `windows.sizeMs` (time) or `timeDifferenceMs` (sliding). A reduce has an initializer
 * returning `null` and an aggregator taking the first value as is.
 *
 * @example `grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count()` adds `{ kind: 'window-aggregate', name: 'KSTREAM-AGGREGATE-0000000002', store: { name: 'KSTREAM-AGGREGATE-STATE-STORE-0000000001', ... }, retentionMs: 60000, ... }`
 */
export interface WindowAggregateNode extends NodeBase {
  readonly kind: 'window-aggregate';
  readonly windows: TimeWindows | SlidingWindows;
  readonly initializer: Initializer<unknown>;
  readonly aggregator: Aggregator<unknown, unknown, unknown>;
  readonly store: StoreSpec;
  readonly retentionMs: number;
  /** `EmitStrategy.onWindowClose()` (time and sliding windows): forward each window's final aggregate once, when it closes, instead of every update. */
  readonly emitsOnWindowClose: boolean;
}

/**
 * `SessionWindowedKStream.aggregate`, `count` and `reduce`: a session store of `retentionMs`.
 *
 * @example `grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5_000)).count()` adds `{ kind: 'session-aggregate', name: 'KSTREAM-AGGREGATE-0000000002', retentionMs: 5000, ... }`
 */
export interface SessionAggregateNode extends NodeBase {
  readonly kind: 'session-aggregate';
  readonly windows: SessionWindows;
  readonly initializer: Initializer<unknown>;
  readonly aggregator: Aggregator<unknown, unknown, unknown>;
  readonly merger: Merger<unknown, unknown>;
  readonly store: StoreSpec;
  readonly retentionMs: number;
  /** `EmitStrategy.onWindowClose()`: forward each session's final aggregate once, when it closes, instead of every change. */
  readonly emitsOnWindowClose: boolean;
}

/**
 * `KStream.toTable`: a table source over a stream; materialized when queryable or when old values are needed.
 *
 * @example `stream.toTable()` adds `{ kind: 'to-table', name: 'KSTREAM-TOTABLE-0000000001', isQueryable: false, ... }`
 */
export interface ToTableNode extends NodeBase {
  readonly kind: 'to-table';
  readonly store: StoreSpec;
  readonly isQueryable: boolean;
}

/**
 * `builder.table(topic)`: a source `sourceName` and the KTABLE-SOURCE processor `name`; materialized when queryable
 * or when old values are needed. `reusesSourceTopic`: the optimizer made the topic the store's changelog.
 *
 * @example `builder.table('users')` adds `{ kind: 'table-source', name: 'KTABLE-SOURCE-0000000002', sourceName: 'KSTREAM-SOURCE-0000000001', ... }`
 */
export interface TableSourceNode extends NodeBase, SourceSettings {
  readonly kind: 'table-source';
  readonly topic: string;
  readonly sourceName: string;
  readonly store: StoreSpec;
  readonly isQueryable: boolean;
  readonly reusesSourceTopic: boolean;
}

/**
 * `KTable.filter` / `filterNot`; `store` only when materialized under a name.
 *
 * @example `table.filter(p)` adds `{ kind: 'table-filter', name: 'KTABLE-FILTER-0000000003', store: null, ... }`
 */
export interface TableFilterNode extends NodeBase {
  readonly kind: 'table-filter';
  readonly predicate: AnyPredicate;
  readonly isNot: boolean;
  readonly store: StoreSpec | null;
}

/**
 * `KTable.mapValues`; `store` only when materialized under a name.
 *
 * @example `table.mapValues(f, Materialized.as('m'))` adds `{ kind: 'table-map-values', store: { name: 'm', ... }, ... }`
 */
export interface TableMapValuesNode extends NodeBase {
  readonly kind: 'table-map-values';
  readonly mapper: ValueMapper<unknown, unknown, unknown>;
  readonly store: StoreSpec | null;
}

/**
 * `KTable.toStream`.
 *
 * @example `table.toStream()` adds `{ kind: 'to-stream', name: 'KTABLE-TOSTREAM-0000000003' }`
 */
export interface ToStreamNode extends NodeBase {
  readonly kind: 'to-stream';
}

/**
 * `KTable.groupBy`: selects the new key and value of old and new rows.
 *
 * @example `table.groupBy(f)` adds `{ kind: 'table-group-by', name: 'KTABLE-SELECT-0000000003', selector: f }`
 */
export interface TableGroupByNode extends NodeBase {
  readonly kind: 'table-group-by';
  readonly selector: KeyValueMapper<unknown, unknown, KeyValue<unknown, unknown>>;
}

/**
 * `KGroupedTable.aggregate` and `count`.
 *
 * @example `groupedTable.count()` adds `{ kind: 'table-aggregate', name: 'KTABLE-AGGREGATE-0000000007', ... }`
 */
export interface TableAggregateNode extends NodeBase {
  readonly kind: 'table-aggregate';
  readonly initializer: Initializer<unknown>;
  readonly adder: Aggregator<unknown, unknown, unknown>;
  readonly subtractor: Aggregator<unknown, unknown, unknown>;
  readonly store: StoreSpec;
}

/**
 * `KGroupedTable.reduce`.
 *
 * @example `groupedTable.reduce(add, sub)` adds `{ kind: 'table-reduce', name: 'KTABLE-REDUCE-0000000007', ... }`
 */
export interface TableReduceNode extends NodeBase {
  readonly kind: 'table-reduce';
  readonly adder: Reducer<unknown>;
  readonly subtractor: Reducer<unknown>;
  readonly store: StoreSpec;
}

/**
 * `builder.globalTable(topic)`: a global store fed by the source `sourceName` and the KTABLE-SOURCE processor `name`,
 * outside every sub-topology's tasks (each instance reads all partitions of `topic`). Always materialized in `store`,
 * which logs nothing: the topic itself is its changelog.
 *
 * @example `builder.globalTable('rates')` adds `{ kind: 'global-table-source', name: 'KTABLE-SOURCE-0000000002', sourceName: 'KSTREAM-SOURCE-0000000001', store: { name: 'rates-STATE-STORE-0000000000', ... } }`
 */
export interface GlobalTableSourceNode extends NodeBase, SourceSettings {
  readonly kind: 'global-table-source';
  readonly topic: string;
  readonly sourceName: string;
  readonly store: StoreSpec;
}

/**
 * `KStream.join/leftJoin(GlobalKTable, keySelector, joiner)`: the only parent is the stream (never repartitioned);
 * each record looks up `keySelector(key, value)` in the global store `storeName`.
 *
 * @example `orders.join(products, (_id, o) => o.productId, j)` adds `{ kind: 'stream-global-join', name: 'KSTREAM-JOIN-0000000005', storeName: 'products-STATE-STORE-0000000002', isLeft: false, ... }`
 */
export interface StreamGlobalJoinNode extends NodeBase {
  readonly kind: 'stream-global-join';
  readonly storeName: string;
  readonly keySelector: KeyValueMapper<unknown, unknown, unknown>;
  readonly joiner: ValueJoiner<unknown, unknown, unknown>;
  readonly isLeft: boolean;
}

/**
 * `KStream.join/leftJoin(KTable)`: the only parent is the stream (after its repartition, if its key changed); `table`
 * is the joined table's node, read through its value getter (which materializes a table source).
 *
 * @example `orders.join(users, j)` adds `{ kind: 'stream-table-join', name: 'KSTREAM-JOIN-0000000004', parents: [0], table: 3, isLeft: false, ... }`
 */
export interface StreamTableJoinNode extends NodeBase {
  readonly kind: 'stream-table-join';
  readonly table: NodeId;
  readonly joiner: ValueJoiner<unknown, unknown, unknown>;
  readonly isLeft: boolean;
}

/**
 * `KTable.join/leftJoin/outerJoin(KTable)`: parents `[this, other]`; compiles to `thisName` (KTABLE-JOINTHIS, fed by
 * this table, reading the other's getter), `otherName` (KTABLE-JOINOTHER, the reverse) and the merge processor `name`
 * (KTABLE-MERGE), which owns `store` when the result is materialized under a name.
 *
 * @example `a.join(b, j)` adds `{ kind: 'table-join', name: 'KTABLE-MERGE-0000000006', thisName: 'KTABLE-JOINTHIS-0000000007', variant: 'inner', ... }`
 */
export interface TableJoinNode extends NodeBase {
  readonly kind: 'table-join';
  readonly thisName: string;
  readonly otherName: string;
  readonly joiner: ValueJoiner<unknown, unknown, unknown>;
  readonly variant: TableJoinVariant;
  readonly store: StoreSpec | null;
}

/**
 * `KStream.join/leftJoin/outerJoin(KStream)`: parents `[this, other]` (after their repartitions, if a key changed);
 * compiles to the KSTREAM-WINDOWED processors `thisWindowedName`/`otherWindowedName` (each puts its side into its
 * window store `thisStoreName`/`otherStoreName`), the join processors `thisJoinName`/`otherJoinName` (each reads the
 * other side's store) and the merge processor `name`; left and outer joins add the shared store `outerStoreName`.
 * Serdes left `undefined` are the application's defaults.
 *
 * @example `a.join(b, j, JoinWindows.ofTimeDifferenceWithNoGrace(10))` adds `{ kind: 'stream-join', name: 'KSTREAM-MERGE-0000000006', thisJoinName: 'KSTREAM-JOINTHIS-0000000004', thisStoreName: 'KSTREAM-JOINTHIS-0000000004-store', variant: 'inner', ... }`
 */
export interface StreamJoinNode extends NodeBase {
  readonly kind: 'stream-join';
  readonly variant: 'inner' | 'left' | 'outer';
  readonly thisWindowedName: string;
  readonly otherWindowedName: string;
  readonly thisJoinName: string;
  readonly otherJoinName: string;
  readonly thisStoreName: string;
  readonly otherStoreName: string;
  readonly outerStoreName: string | null;
  readonly windows: JoinWindows;
  readonly joiner: ValueJoiner<unknown, unknown, unknown>;
  readonly keySerde: Serde<unknown> | undefined;
  readonly thisValueSerde: Serde<unknown> | undefined;
  readonly otherValueSerde: Serde<unknown> | undefined;
  readonly isLoggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;
}

/**
 * `KTable.join/leftJoin(other, foreignKeyExtractor, joiner)` (KIP-213): parents `[this, other]`. Compiles, in Kafka
 * Streams' order, to the subscription send processor `sendName` (fed by this table) -> sink `registrationSinkName` ->
 * topic `registrationTopic` -> source `registrationSourceName` -> `receiveName` (owns the subscription store
 * `subscriptionStoreName`) -> `joinForeignName` (reads the other table) ; the other table -> `foreignJoinName`
 * (scans the subscription store) ; both -> sink `responseSinkName` -> topic `responseTopic` -> source
 * `responseSourceName` -> `resolverName` (reads this table) -> the output table `name` (KTABLE-FK-JOIN-OUTPUT), which
 * keeps `store` when queryable or when old values are needed. Topics are undecorated. Serdes left `undefined` are
 * the application's defaults.
 *
 * @example `a.join(b, fk, j)` adds `{ kind: 'table-fk-join', name: 'KTABLE-FK-JOIN-OUTPUT-0000000017', registrationTopic: 'KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000004-topic', ... }`
 */
export interface TableForeignKeyJoinNode extends NodeBase {
  readonly kind: 'table-fk-join';
  readonly isLeftJoin: boolean;
  readonly extractor: ValueMapper<unknown, unknown, unknown>;
  readonly joiner: ValueJoiner<unknown, unknown, unknown>;
  readonly registrationTopic: string;
  readonly sendName: string;
  readonly registrationSinkName: string;
  readonly registrationSourceName: string;
  readonly subscriptionStoreName: string;
  readonly receiveName: string;
  readonly joinForeignName: string;
  readonly foreignJoinName: string;
  readonly responseTopic: string;
  readonly responseSinkName: string;
  readonly responseSourceName: string;
  readonly resolverName: string;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly otherKeySerde: Serde<unknown> | undefined;
  readonly otherValueSerde: Serde<unknown> | undefined;
  readonly partitioner: StreamPartitioner<unknown, null> | undefined;
  readonly otherPartitioner: StreamPartitioner<unknown, null> | undefined;
  readonly store: StoreSpec;
  readonly isQueryable: boolean;
}

/**
 * `KTable.suppress`: buffers the table's updates in the store `storeName` (Kafka's `KTABLE-SUPPRESS-STATE-STORE-<n>`,
 * logged unless `isLoggingEnabled` is false) and forwards them as `settings` say; the buffer's serdes are resolved
 * from the application config when the store opens.
 *
 * @example `table.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))` adds `{ kind: 'table-suppress', name: 'KTABLE-SUPPRESS-0000000003', storeName: 'KTABLE-SUPPRESS-STATE-STORE-0000000004', ... }`
 */
export interface TableSuppressNode extends NodeBase {
  readonly kind: 'table-suppress';
  readonly storeName: string;
  readonly settings: SuppressSettings;
  readonly isLoggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;
  readonly keySerdeOf: SerdeResolver<unknown>;
  readonly valueSerdeOf: SerdeResolver<unknown>;
}

/**
 * `builder.addStateStore(builder)`: a store for `process` nodes; no parents.
 *
 * @example `builder.addStateStore(storeBuilder)` adds `{ kind: 'state-store', name: storeBuilder.name, builder: storeBuilder }`
 */
export interface StateStoreNode extends NodeBase {
  readonly kind: 'state-store';
  readonly builder: StoreBuilder<StateStore>;
}

/**
 * Any node of the DSL graph; switch on `kind` exhaustively (`assertNever` in the default branch), so a new kind
 * without a case does not compile.
 *
 * @example
 * ```ts
 * function isStateful(node: GraphNode): boolean {
 *   switch (node.kind) {
 *     case 'stream-aggregate': case 'stream-reduce': case 'table-aggregate': case 'table-reduce': return true;
 *     default: return false;
 *   }
 * }
 * ```
 */
export type GraphNode =
  | StreamSourceNode
  | FilterNode
  | MapNode
  | SelectKeyNode
  | MapValuesNode
  | FlatMapNode
  | FlatMapValuesNode
  | PeekNode
  | PrintNode
  | SplitNode
  | BranchNode
  | MergeNode
  | ProcessNode
  | SinkNode
  | RepartitionNode
  | StreamAggregateNode
  | StreamReduceNode
  | WindowAggregateNode
  | SessionAggregateNode
  | ToTableNode
  | TableSourceNode
  | TableFilterNode
  | TableMapValuesNode
  | ToStreamNode
  | TableGroupByNode
  | TableAggregateNode
  | TableReduceNode
  | StreamTableJoinNode
  | GlobalTableSourceNode
  | StreamGlobalJoinNode
  | TableJoinNode
  | TableForeignKeyJoinNode
  | StreamJoinNode
  | TableSuppressNode
  | StateStoreNode;
