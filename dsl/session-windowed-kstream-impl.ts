/**
 * The implementation of {@link SessionWindowedKStream}. Internal.
 */
import { StreamsError } from '../src/errors.js';
import type { Windowed } from '../src/state/windowed.js';
import { erase, requireFunction } from './dsl-context.js';
import type { HandleState } from './dsl-context.js';
import { EmitStrategy } from './emit-strategy.js';
import type { Aggregator, Initializer, Merger, Reducer } from './functions.js';
import type { NodeId } from './graph/graph-node.js';
import type { StoreSpec } from './graph/store-spec.js';
import type { KGroupedStreamImpl } from './kgrouped-stream-impl.js';
import type { KTable } from './ktable.js';
import { longSerde } from './long-serde.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';
import { COUNT } from './processors/kstream-aggregate.js';
import type { SessionWindowedKStream } from './session-windowed-kstream.js';
import { REDUCE_INITIALIZER, addWindowedAggregation, reduceAggregator } from './windowed-aggregation.js';
import { WindowedSerdes } from './windowed-serdes.js';
import type { SessionWindows } from './windows/session-windows.js';

const COUNT_MERGER: Merger<unknown, number> = (_key, a, b) => a + b;

/**
 * The {@link SessionWindowedKStream} implementation.
 *
 * @example
 * ```ts
 * new SessionWindowedKStreamImpl<string, number>(grouped, state, SessionWindows.ofInactivityGapWithNoGrace(5_000)).count();
 * ```
 */
export class SessionWindowedKStreamImpl<K, V> implements SessionWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStreamImpl<K, V>,
    private readonly state: HandleState<K, V>,
    private readonly windows: SessionWindows,
    private readonly strategy: EmitStrategy = EmitStrategy.onWindowUpdate(),
  ) {}

  emitStrategy(strategy: EmitStrategy): SessionWindowedKStream<K, V> {
    if (!(strategy instanceof EmitStrategy)) throw new StreamsError('INVALID_CONFIG', 'emitStrategy needs EmitStrategy.onWindowClose() or onWindowUpdate()');
    return new SessionWindowedKStreamImpl<K, V>(this.grouped, this.state, this.windows, strategy);
  }

  count(first?: Named | Materialized<K, number>, second?: Materialized<K, number>): KTable<Windowed<K>, number> {
    return this.#add<number>('KSTREAM-AGGREGATE-', [first, second], longSerde(), COUNT.initializer, erase(COUNT.aggregator), erase(COUNT_MERGER));
  }

  reduce(reducer: Reducer<V>, first?: Named | Materialized<K, V>, second?: Materialized<K, V>): KTable<Windowed<K>, V> {
    requireFunction(reducer, 'reducer');
    const merger = (_key: K, a: V | null, b: V): V => (a === null ? b : reducer(a, b));
    return this.#add<V>('KSTREAM-REDUCE-', [first, second], this.state.valueSerde, erase(REDUCE_INITIALIZER), erase(reduceAggregator(reducer)), erase(merger));
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    first?: Named | Materialized<K, VA>,
    second?: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA> {
    requireFunction(initializer, 'initializer');
    requireFunction(aggregator, 'aggregator');
    requireFunction(merger, 'merger');
    return this.#add<VA>('KSTREAM-AGGREGATE-', [first, second], undefined, initializer, aggregator, merger);
  }

  #add<VA>(
    prefix: 'KSTREAM-AGGREGATE-' | 'KSTREAM-REDUCE-',
    args: readonly (Named | Materialized<K, VA> | undefined)[],
    defaultValueSerde: Materialized<K, VA>['valueSerde'],
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
  ): KTable<Windowed<K>, VA> {
    const { windows } = this;
    return addWindowedAggregation<K, V, VA>(this.grouped, this.state, {
      prefix,
      args,
      defaultValueSerde,
      // Kafka Streams 3.0+: inactivity gap + grace.
      minRetentionMs: windows.inactivityGapMs + windows.graceMs,
      windowedKeySerde: (keySerde) => WindowedSerdes.sessionWindowedSerdeFrom(keySerde),
      makeNode: (name: string, store: StoreSpec, retentionMs: number, parent: NodeId) => ({
        kind: 'session-aggregate',
        name,
        parents: [parent],
        windows,
        initializer: erase(initializer),
        aggregator: erase(aggregator),
        merger: erase(merger),
        store,
        retentionMs,
        emitsOnWindowClose: this.strategy.type === 'on-window-close',
      }),
    });
  }
}
