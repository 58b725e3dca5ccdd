/**
 * `KTable`: a changelog stream read as a table, the latest value per key (Kafka Streams' `KTable`).
 */
import type { KeyValue } from '../src/state/key-value-store.js';
import type { KeyValueMapper, Predicate, ValueMapper } from './functions.js';
import type { KGroupedTable } from './kgrouped-table.js';
import type { KStream } from './kstream.js';
import type { Grouped } from './options/grouped.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';

/**
 * A table: for each key, its latest value; a record with a null value deletes the key. Updates flow downstream as
 * changes (new value, and old value where an operator needs it). Made by `builder.table()`, `KStream.toTable()`, and
 * aggregations.
 *
 * Materialization: a table is kept in a store when it has a name (`Materialized.as`), when it is an aggregation, or
 * when an operation downstream needs old values (`groupBy`); filters and `mapValues` without a store name compute
 * their rows on the fly. Stores cache updates by default, so a key updated several times between commits is
 * forwarded once.
 *
 * @example
 * ```ts
 * const prices = builder.table('prices', Consumed.with(Serdes.String(), Serdes.Number()), Materialized.as('prices'));
 * prices.filter((_sym, p) => p > 100).toStream().to('expensive');
 * ```
 */
export interface KTable<K, V> {
  /** The store name to query this table by (`Materialized.as`), or `null` when it has none. */
  readonly queryableStoreName: string | null;

  /**
   * The rows for which `predicate(key, value)` is true; a row that stops matching is deleted downstream.
   *
   * @example
   * ```ts
   * table.filter((_k, v) => v > 0, Materialized.as('positive'));
   * ```
   */
  filter(predicate: Predicate<K, V>, materialized?: Materialized<K, V>): KTable<K, V>;
  filter(predicate: Predicate<K, V>, named: Named, materialized?: Materialized<K, V>): KTable<K, V>;

  /**
   * The rows for which `predicate(key, value)` is false.
   *
   * @example
   * ```ts
   * table.filterNot((_k, v) => v === 0);
   * ```
   */
  filterNot(predicate: Predicate<K, V>, materialized?: Materialized<K, V>): KTable<K, V>;
  filterNot(predicate: Predicate<K, V>, named: Named, materialized?: Materialized<K, V>): KTable<K, V>;

  /**
   * Each row's value mapped with `mapper(value, key)`; deletions stay deletions.
   *
   * @example
   * ```ts
   * users.mapValues((u) => u.email);
   * ```
   */
  mapValues<VR>(mapper: ValueMapper<K, V, VR>, materialized?: Materialized<K, VR>): KTable<K, VR>;
  mapValues<VR>(mapper: ValueMapper<K, V, VR>, named: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;

  /**
   * The table's updates as a stream: one record per update with the new value, `null` for a deletion (a tombstone).
   *
   * @example
   * ```ts
   * counts.toStream().to('word-counts');
   * ```
   */
  toStream(named?: Named): KStream<K, V | null>;

  /**
   * Re-groups the rows by the pair `selector(key, value)` returns, for an aggregation with a subtractor. Rows whose
   * pair has a null key or value are left out.
   *
   * @example
   * ```ts
   * users.groupBy((id, user) => ({ key: user.region, value: id })).count();
   * ```
   */
  groupBy<KR, VR>(selector: KeyValueMapper<K, V, KeyValue<KR, VR>>, grouped?: Grouped<KR, VR>): KGroupedTable<KR, VR>;
}
