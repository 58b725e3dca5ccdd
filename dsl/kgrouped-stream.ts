/**
 * `KGroupedStream`: a stream grouped by key, ready to aggregate (Kafka Streams' `KGroupedStream`).
 */
import type { Aggregator, Initializer, Reducer } from './functions.js';
import type { KTable } from './ktable.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';
import type { SessionWindowedKStream } from './session-windowed-kstream.js';
import type { TimeWindowedKStream } from './time-windowed-kstream.js';
import type { SessionWindows } from './windows/session-windows.js';
import type { SlidingWindows } from './windows/sliding-windows.js';
import type { TimeWindows } from './windows/time-windows.js';

/**
 * A stream grouped by key (from `groupBy` / `groupByKey`). Each aggregation keeps one value per key in a store
 * (named by `Materialized.as`, else generated), backed by a changelog topic, and returns the table of the latest
 * aggregate per key. Records with a null key or value are dropped. If the grouping changed keys, the aggregation
 * first repartitions through `<applicationId>-<Grouped name or store name>-repartition`.
 *
 * @example
 * ```ts
 * const counts: KTable<string, number> = words.groupBy((_k, w) => w).count(Materialized.as('counts'));
 * ```
 */
export interface KGroupedStream<K, V> {
  /**
   * Counts the records per key (as a Kafka `Long`: the default value serde writes 8-byte big-endian integers).
   *
   * @example
   * ```ts
   * grouped.count();
   * grouped.count(Materialized.as('counts'));
   * ```
   */
  count(materialized?: Materialized<K, number>): KTable<K, number>;
  count(named: Named, materialized?: Materialized<K, number>): KTable<K, number>;

  /**
   * Combines the values per key with `reducer(aggregate, value)`; a key's first value is its first aggregate.
   *
   * @example
   * ```ts
   * grouped.reduce((max, v) => Math.max(max, v));
   * ```
   */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>): KTable<K, V>;
  reduce(reducer: Reducer<V>, named: Named, materialized?: Materialized<K, V>): KTable<K, V>;

  /**
   * Folds the values per key into an aggregate that starts at `initializer()`.
   *
   * @example
   * ```ts
   * grouped.aggregate(() => 0, (_k, v, sum) => sum + v, Materialized.with(Serdes.String(), Serdes.Number()));
   * ```
   */
  aggregate<VA>(initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>, materialized?: Materialized<K, VA>): KTable<K, VA>;
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    named: Named,
    materialized?: Materialized<K, VA>,
  ): KTable<K, VA>;

  /**
   * Windows the grouped stream for windowed aggregations: by `TimeWindows` (tumbling or hopping) or `SlidingWindows`
   * into a {@link TimeWindowedKStream}, by `SessionWindows` into a {@link SessionWindowedKStream}. Nothing is added
   * to the topology until an aggregation is called.
   *
   * @example
   * ```ts
   * grouped.windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000)).count();
   * grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(300_000)).count();
   * ```
   */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
}
