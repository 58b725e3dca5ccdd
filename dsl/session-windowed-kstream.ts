/**
 * `SessionWindowedKStream`: a grouped stream windowed into sessions, ready to aggregate (Kafka Streams'
 * `SessionWindowedKStream`).
 */
import type { Windowed } from '../src/state/windowed.js';
import type { EmitStrategy } from './emit-strategy.js';
import type { Aggregator, Initializer, Merger, Reducer } from './functions.js';
import type { KTable } from './ktable.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';

/**
 * A grouped stream windowed by `SessionWindows`. Each aggregation keeps one aggregate per key and session in a
 * session store (named by `Materialized.as`, else generated) with a `compact,delete` changelog, and returns the table
 * of sessions: when a record merges sessions, the merged ones are removed and forwarded as tombstones (`null`
 * values) before the new session's aggregate. Outputs are timestamped with their session's end. Retention:
 * `withRetention`, else `inactivityGap + grace`.
 *
 * @example
 * ```ts
 * const visits: KTable<Windowed<string>, number> = clicks.groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(300_000)).count();
 * ```
 */
export interface SessionWindowedKStream<K, V> {
  /**
   * The same windowed stream with another emit strategy (Kafka Streams 3.3+): with `EmitStrategy.onWindowClose()`
   * the aggregation forwards each final session exactly once, and neither updates nor tombstones of merged-away
   * sessions. A session is final once stream time passes its end + gap + grace (Kafka's rule) or, if earlier, once
   * the session store stops returning it (`end <= stream time - retention`; at the default retention, gap + grace,
   * that is stream time >= end + gap + grace, when `suppress(untilWindowCloses)` would emit it). Final sessions are
   * read from the aggregation's own store, timestamped with their end, ordered by end, start, then key bytes; records
   * that would change one are dropped. As in Kafka, a late record within the gap of a forwarded session can merge it
   * into a new, open session, which is forwarded in turn when it closes. After a restart, sessions forwarded before
   * are not forwarded again. `onWindowUpdate()` (the default) forwards every change.
   *
   * @example
   * ```ts
   * grouped.windowedBy(SessionWindows.ofInactivityGapAndGrace(300_000, 60_000)).emitStrategy(EmitStrategy.onWindowClose()).count();
   * ```
   */
  emitStrategy(strategy: EmitStrategy): SessionWindowedKStream<K, V>;

  /**
   * Counts the records per session (merged sessions' counts add up).
   *
   * @example
   * ```ts
   * sessions.count(Materialized.as('visits'));
   * ```
   */
  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number>;
  count(named: Named, materialized?: Materialized<K, number>): KTable<Windowed<K>, number>;

  /**
   * Combines the values per session with `reducer`; merged sessions are combined with it too.
   *
   * @example
   * ```ts
   * sessions.reduce((a, b) => a + b);
   * ```
   */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>): KTable<Windowed<K>, V>;
  reduce(reducer: Reducer<V>, named: Named, materialized?: Materialized<K, V>): KTable<Windowed<K>, V>;

  /**
   * Folds the values per session into an aggregate from `initializer()`; `merger` combines the aggregates of the
   * sessions a record bridges.
   *
   * @example
   * ```ts
   * sessions.aggregate(() => 0, (_k, v, sum) => sum + v, (_k, a, b) => a + b);
   * ```
   */
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    materialized?: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA>;
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    named: Named,
    materialized?: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA>;
}
