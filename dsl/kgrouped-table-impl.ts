/**
 * The implementation of {@link KGroupedTable}. Internal.
 */
import { erase, requireFunction, splitNamed, storeSpecOf } from './dsl-context.js';
import type { HandleState } from './dsl-context.js';
import type { Aggregator, Initializer, Reducer } from './functions.js';
import type { NodeId } from './graph/graph-node.js';
import type { StoreSpec } from './graph/store-spec.js';
import type { NewGraphNode } from './graph/graph.js';
import type { KGroupedTable } from './kgrouped-table.js';
import { KTableImpl } from './ktable-impl.js';
import type { KTable } from './ktable.js';
import { longSerde } from './long-serde.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';
import { COUNT } from './processors/kstream-aggregate.js';

type AggregateNode = Extract<NewGraphNode, { kind: 'table-aggregate' | 'table-reduce' }>;

const REPARTITION_SUFFIX = '-repartition';

/**
 * A re-grouped table: `state` is the KTABLE-SELECT node with the grouped serdes.
 *
 * @example
 * ```ts
 * new KGroupedTableImpl<string, string>(state, undefined).count();
 * ```
 */
export class KGroupedTableImpl<K, V> implements KGroupedTable<K, V> {
  /** The repartition shared by this grouping's aggregations when the user named it (`Grouped.as`). */
  #sharedRepartition: NodeId | null = null;

  constructor(
    private readonly state: HandleState<K, V>,
    private readonly repartitionName: string | undefined,
  ) {}

  count(first?: Named | Materialized<K, number>, second?: Materialized<K, number>): KTable<K, number> {
    const [named, [materialized]] = splitNamed<Materialized<K, number> | undefined>([first, second]);
    const storeName = materialized?.storeName ?? this.state.builder.newStoreName('KTABLE-AGGREGATE-');
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde ?? longSerde();
    const store = storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde));
    return this.#build(named, 'KTABLE-AGGREGATE-', store, materialized, keySerde, valueSerde, (name, parent) => ({
      kind: 'table-aggregate',
      name,
      parents: [parent],
      initializer: COUNT.initializer,
      adder: erase(COUNT.aggregator),
      subtractor: erase(COUNT.subtractor),
      store,
    }));
  }

  reduce(adder: Reducer<V>, subtractor: Reducer<V>, first?: Named | Materialized<K, V>, second?: Materialized<K, V>): KTable<K, V> {
    requireFunction(adder, 'adder');
    requireFunction(subtractor, 'subtractor');
    const [named, [materialized]] = splitNamed<Materialized<K, V> | undefined>([first, second]);
    const storeName = materialized?.storeName ?? this.state.builder.newStoreName('KTABLE-AGGREGATE-');
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde ?? this.state.valueSerde;
    const store = storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde));
    return this.#build(named, 'KTABLE-REDUCE-', store, materialized, keySerde, valueSerde, (name, parent) => ({
      kind: 'table-reduce',
      name,
      parents: [parent],
      adder: erase(adder),
      subtractor: erase(subtractor),
      store,
    }));
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    adder: Aggregator<K, V, VA>,
    subtractor: Aggregator<K, V, VA>,
    first?: Named | Materialized<K, VA>,
    second?: Materialized<K, VA>,
  ): KTable<K, VA> {
    requireFunction(initializer, 'initializer');
    requireFunction(adder, 'adder');
    requireFunction(subtractor, 'subtractor');
    const [named, [materialized]] = splitNamed<Materialized<K, VA> | undefined>([first, second]);
    const storeName = materialized?.storeName ?? this.state.builder.newStoreName('KTABLE-AGGREGATE-');
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde;
    const store = storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde));
    return this.#build(named, 'KTABLE-AGGREGATE-', store, materialized, keySerde, valueSerde, (name, parent) => ({
      kind: 'table-aggregate',
      name,
      parents: [parent],
      initializer: erase(initializer),
      adder: erase(adder),
      subtractor: erase(subtractor),
      store,
    }));
  }

  /** The repartition of row updates (no filter; values are Changes), then the aggregation (Kafka's doAggregate). */
  #build<VA>(
    named: Named | undefined,
    prefix: string,
    store: StoreSpec,
    materialized: Materialized<K, VA> | undefined,
    keySerde: KTableImpl<K, VA>['state']['keySerde'],
    valueSerde: KTableImpl<K, VA>['state']['valueSerde'],
    makeNode: (name: string, parent: NodeId) => AggregateNode,
  ): KTable<K, VA> {
    const { builder } = this.state;
    const sinkName = named === undefined ? builder.newProcessorName('KSTREAM-SINK-') : `${named.name}-sink`;
    const sourceName = named === undefined ? builder.newProcessorName('KSTREAM-SOURCE-') : `${named.name}-source`;
    const name = named?.name ?? builder.newProcessorName(prefix);
    if (this.#sharedRepartition === null || this.repartitionName === undefined) {
      this.#sharedRepartition = builder.add({
        kind: 'repartition',
        variant: 'grouped-table',
        name: sourceName,
        parents: [this.state.nodeId],
        topic: `${this.repartitionName ?? store.name}${REPARTITION_SUFFIX}`,
        sinkName,
        filterName: null,
        sourceName,
        keySerde: erase(this.state.keySerde),
        valueSerde: erase(this.state.valueSerde),
        partitioner: undefined,
        numberOfPartitions: undefined,
      }).id;
    }
    const node = builder.add(makeNode(name, this.#sharedRepartition));
    return new KTableImpl<K, VA>({ builder, nodeId: node.id, name, keySerde, valueSerde, queryableStoreName: materialized?.storeName ?? null });
  }
}
