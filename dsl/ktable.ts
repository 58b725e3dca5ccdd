/**
 * `KTable`: a changelog stream read as a table, the latest value per key (Kafka Streams' `KTable`).
 */
import type { KeyValue } from '../src/state/key-value-store.js';
import type { KeyValueMapper, Predicate, ValueJoiner, ValueMapper } from './functions.js';
import type { KGroupedTable } from './kgrouped-table.js';
import type { KStream } from './kstream.js';
import type { Grouped } from './options/grouped.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';
import type { Suppressed } from './options/suppressed.js';
import type { TableJoined } from './options/table-joined.js';

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

  /**
   * The inner join of this table with `other` on equal keys: a row `joiner(value, otherValue)` for every key both
   * tables hold, kept up to date as either side changes (each update looks up the other side's current row). An
   * update that removes the pair forwards a tombstone. Both tables are materialized (sources get a store); the
   * result is materialized only with `materialized` (store `KTABLE-MERGE-STATE-STORE-<n>` unless named). Both
   * tables' topics must have the same number of partitions. Compiles to KTABLE-JOINTHIS, KTABLE-JOINOTHER and
   * KTABLE-MERGE processors, as Kafka Streams does.
   *
   * @example
   * ```ts
   * users.join(regions, (user, region) => `${user.name}@${region}`, Materialized.as('user-regions'));
   * ```
   */
  join<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO, VR>, materialized?: Materialized<K, VR>): KTable<K, VR>;
  join<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO, VR>, named: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;

  /**
   * The foreign-key inner join of this table with `other` (KIP-213): for each row of this table, the row of `other`
   * whose key is `foreignKeyExtractor(value, key)`, joined as `joiner(value, otherValue)`; the result is keyed by this
   * table's key. Kept up to date as either side changes: a change of the foreign key unsubscribes from the old row
   * (the old result is retracted with a tombstone when the new key does not match), deleting either side's row
   * forwards a tombstone, and a null foreign key joins nothing. Tombstones may be forwarded for rows that had no
   * result (as in Kafka Streams, the left side cannot know). The tables need not be co-partitioned: subscriptions go
   * to `<applicationId>-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>-topic` (partitioned by foreign key, like `other`)
   * and answers come back on `<applicationId>-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-<n>-topic` (partitioned like this
   * table); `other`'s side keeps the subscriptions in the logged store `KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-<n>`.
   * Both tables are materialized; the result (KTABLE-FK-JOIN-OUTPUT) only when named or needed downstream. Responses
   * to an older value of a left row are recognised by a hash of the value and dropped.
   *
   * @example
   * ```ts
   * orders.join(customers, (order) => order.customerId, (order, customer) => ({ ...order, customer }));
   * // Processor: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000005 -> KTABLE-SINK-0000000006
   * // (topic: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000004-topic), ... -> KTABLE-FK-JOIN-OUTPUT-0000000017
   * ```
   */
  join<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: ValueMapper<K, V, KO | null>,
    joiner: ValueJoiner<V, VO, VR>,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;
  join<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: ValueMapper<K, V, KO | null>,
    joiner: ValueJoiner<V, VO, VR>,
    tableJoined: TableJoined<K, NoInfer<KO>> | Named,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;

  /**
   * The left join of this table with `other`: a row `joiner(value, otherValue | null)` for every key of this table;
   * a row of `other` alone produces nothing, and deleting this table's row forwards a tombstone.
   *
   * @example
   * ```ts
   * users.leftJoin(regions, (user, region) => ({ ...user, region: region ?? 'unknown' }));
   * ```
   */
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO | null, VR>, materialized?: Materialized<K, VR>): KTable<K, VR>;
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO | null, VR>, named: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;

  /**
   * The foreign-key left join of this table with `other`: as the foreign-key `join`, but every row of this table has
   * a result, `joiner(value, null)` while its foreign key is null or matches no row of `other`; deleting this
   * table's row forwards a tombstone.
   *
   * @example
   * ```ts
   * orders.leftJoin(customers, (order) => order.customerId, (order, customer) => ({ ...order, name: customer?.name ?? null }));
   * ```
   */
  leftJoin<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: ValueMapper<K, V, KO | null>,
    joiner: ValueJoiner<V, VO | null, VR>,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;
  leftJoin<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: ValueMapper<K, V, KO | null>,
    joiner: ValueJoiner<V, VO | null, VR>,
    tableJoined: TableJoined<K, NoInfer<KO>> | Named,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;

  /**
   * The outer join of this table with `other`: a row `joiner(value | null, otherValue | null)` for every key either
   * table holds (never both null); a tombstone once neither does.
   *
   * @example
   * ```ts
   * stock.outerJoin(orders, (s, o) => (s ?? 0) - (o ?? 0));
   * ```
   */
  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V | null, VO | null, VR>, materialized?: Materialized<K, VR>): KTable<K, VR>;
  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V | null, VO | null, VR>, named: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;

  /**
   * The same table with its updates held back and forwarded later (Kafka Streams' `suppress`, KIP-328): each key's
   * latest update waits in a buffer store (`KTABLE-SUPPRESS-STATE-STORE-<n>`, logged to
   * `<applicationId>-<storeName>-changelog`, so it survives restarts without loss or duplicates) until stream time
   * says so. `Suppressed.untilWindowCloses(...)` on a windowed aggregation forwards exactly one final result per
   * window, once stream time >= window end + grace (for session windows: session end + gap + grace, as Kafka
   * Streams), never a tombstone, and nothing for open windows; on a table with no windowed aggregation upstream it
   * throws `TOPOLOGY_INVALID`. `Suppressed.untilTimeLimit(ms, ...)` forwards a key's latest update once stream time
   * reaches its timestamp + ms. Time is stream time only: without new records, nothing is forwarded.
   *
   * @example
   * ```ts
   * counts.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())).toStream().to('final-counts');
   * // Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])
   * ```
   */
  suppress(suppressed: Suppressed<K>): KTable<K, V>;
}
