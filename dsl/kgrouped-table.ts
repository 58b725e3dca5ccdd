/**
 * `KGroupedTable`: a table re-grouped by a new key, ready to aggregate (Kafka Streams' `KGroupedTable`).
 */
import type { Aggregator, Initializer, Reducer } from './functions.js';
import type { KTable } from './ktable.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';

/**
 * A table re-grouped by `KTable.groupBy`. Because table rows are updated and deleted, its aggregations take an adder
 * and a subtractor: an update of a row calls the subtractor with the old value (on the old group), then the adder with
 * the new value (on the new group); a deletion calls the subtractor only; an insertion the adder only. Updates always
 * go through `<applicationId>-<Grouped name or store name>-repartition`.
 *
 * @example
 * ```ts
 * const usersPerRegion = users.groupBy((_id, u) => ({ key: u.region, value: u })).count();
 * ```
 */
export interface KGroupedTable<K, V> {
  /**
   * Counts the rows per group (+1 on add, -1 on subtract; a group whose rows all left stays at 0).
   *
   * @example
   * ```ts
   * grouped.count(Materialized.as('per-region'));
   * ```
   */
  count(materialized?: Materialized<K, number>): KTable<K, number>;
  count(named: Named, materialized?: Materialized<K, number>): KTable<K, number>;

  /**
   * Combines the values per group with `adder(aggregate, value)`, removing old values with
   * `subtractor(aggregate, value)`; a group whose aggregate becomes null is deleted.
   *
   * @example
   * ```ts
   * grouped.reduce((sum, v) => sum + v, (sum, v) => sum - v);
   * ```
   */
  reduce(adder: Reducer<V>, subtractor: Reducer<V>, materialized?: Materialized<K, V>): KTable<K, V>;
  reduce(adder: Reducer<V>, subtractor: Reducer<V>, named: Named, materialized?: Materialized<K, V>): KTable<K, V>;

  /**
   * Folds the values per group into an aggregate that starts at `initializer()`, with `adder` for values that join
   * the group and `subtractor` for values that leave it.
   *
   * @example
   * ```ts
   * grouped.aggregate(() => 0, (_k, v, total) => total + v, (_k, v, total) => total - v);
   * ```
   */
  aggregate<VA>(
    initializer: Initializer<VA>,
    adder: Aggregator<K, V, VA>,
    subtractor: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
  ): KTable<K, VA>;
  aggregate<VA>(
    initializer: Initializer<VA>,
    adder: Aggregator<K, V, VA>,
    subtractor: Aggregator<K, V, VA>,
    named: Named,
    materialized?: Materialized<K, VA>,
  ): KTable<K, VA>;
}
