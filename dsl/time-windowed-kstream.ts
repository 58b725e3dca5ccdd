/**
 * `TimeWindowedKStream`: a grouped stream windowed by time or sliding windows, ready to aggregate (Kafka Streams'
 * `TimeWindowedKStream`).
 */
import type { Windowed } from '../src/state/windowed.js';
import type { EmitStrategy } from './emit-strategy.js';
import type { Aggregator, Initializer, Reducer } from './functions.js';
import type { KTable } from './ktable.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';

/**
 * A grouped stream windowed by `TimeWindows` or `SlidingWindows` (from `KGroupedStream.windowedBy`). Each
 * aggregation keeps one value per key and window in a timestamped window store (named by `Materialized.as`, else
 * `KSTREAM-AGGREGATE-STATE-STORE-<n>` / `KSTREAM-REDUCE-STATE-STORE-<n>`) with a `compact,delete` changelog, and
 * returns the table of the latest aggregate per `Windowed<K>`: every record updates each of its open windows and
 * the update is forwarded at once (window stores have no cache yet). Records too late for a window (stream time >=
 * window end + grace) are dropped for it; records with a null key or value are dropped. Retention: `withRetention`,
 * else `size + grace` (sliding: `2 * timeDifference + grace`). A key-changing grouping repartitions first, as plain
 * aggregations do.
 *
 * @example
 * ```ts
 * const perMinute: KTable<Windowed<string>, number> = clicks.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000)).count();
 * ```
 */
export interface TimeWindowedKStream<K, V> {
  /**
   * The same windowed stream with another emit strategy (Kafka Streams 3.3+, KIP-825): with
   * `EmitStrategy.onWindowClose()` the aggregation forwards each window's final result exactly once, when the window
   * closes, and nothing for open windows; `onWindowUpdate()` (the default) forwards every update. A time window
   * closes when stream time reaches its end plus grace; a sliding window, which includes its end, when stream time
   * passes it (`end + grace < stream time`, the rule that drops records for it). Final results are read from the
   * aggregation's own store (no second buffer or changelog, unlike `suppress`) and keep their window's largest record
   * timestamp; sliding windows closing together come out by window start, then key bytes. After a restart, windows
   * forwarded before are not forwarded again.
   *
   * @example
   * ```ts
   * grouped.windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000)).emitStrategy(EmitStrategy.onWindowClose()).count();
   * ```
   */
  emitStrategy(strategy: EmitStrategy): TimeWindowedKStream<K, V>;

  /**
   * Counts the records per key and window (values written as Kafka `Long`s by default).
   *
   * @example
   * ```ts
   * windowed.count(Materialized.as('clicks-per-minute'));
   * ```
   */
  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number>;
  count(named: Named, materialized?: Materialized<K, number>): KTable<Windowed<K>, number>;

  /**
   * Combines the values per key and window with `reducer(aggregate, value)`; a window's first value is its aggregate.
   *
   * @example
   * ```ts
   * windowed.reduce((a, b) => Math.max(a, b));
   * ```
   */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>): KTable<Windowed<K>, V>;
  reduce(reducer: Reducer<V>, named: Named, materialized?: Materialized<K, V>): KTable<Windowed<K>, V>;

  /**
   * Folds the values per key and window into an aggregate that starts at `initializer()`.
   *
   * @example
   * ```ts
   * windowed.aggregate(() => 0, (_k, v, sum) => sum + v, Materialized.with(Serdes.String(), Serdes.Number()));
   * ```
   */
  aggregate<VA>(initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>, materialized?: Materialized<K, VA>): KTable<Windowed<K>, VA>;
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    named: Named,
    materialized?: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA>;
}
