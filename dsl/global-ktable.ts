/**
 * `GlobalKTable`: a table every application instance holds in full (all partitions of its topic), for joins that
 * need no co-partitioning.
 */
import type { GraphBuilder } from './graph/graph-builder.js';

/**
 * A table replicated to every instance: each one reads every partition of the topic into a global store, restored in
 * full before any task processes a record and kept up to date by the instance's global thread. It can only be the
 * right side of a stream join (`KStream.join/leftJoin(globalTable, keySelector, joiner)`), which needs no
 * co-partitioning and no repartition: the lookup key is computed from each stream record. Its store is always
 * materialized and queryable (`streams.store(table.queryableStoreName, QueryableStoreTypes.keyValueStore())`).
 *
 * @example
 * ```ts
 * const products = builder.globalTable('products', Consumed.with(Serdes.String(), Serdes.Json<Product>()));
 * orders.join(products, (_orderId, order) => order.sku, (order, product) => ({ ...order, product }));
 * ```
 */
export interface GlobalKTable<K, V> {
  /** The name of the global store holding the table (generated as `<topic>-STATE-STORE-<n>` unless named). */
  readonly queryableStoreName: string;
  /** Type-only marker of the key and value types (no runtime value). */
  readonly __types?: (key: K, value: V) => void;
}

/**
 * The {@link GlobalKTable} implementation: the graph it belongs to and its store.
 *
 * @example
 * ```ts
 * const table = new GlobalKTableImpl<string, number>(builder, 'rates-STATE-STORE-0000000000');
 * ```
 */
export class GlobalKTableImpl<K, V> implements GlobalKTable<K, V> {
  declare readonly __types?: (key: K, value: V) => void;

  constructor(
    readonly builder: GraphBuilder,
    readonly queryableStoreName: string,
  ) {}
}
