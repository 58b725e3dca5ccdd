/**
 * The implementation of {@link TimeWindowedKStream}. Internal.
 */
import type { Windowed } from '../src/state/windowed.js';
import { StreamsError } from '../src/errors.js';
import { erase, requireFunction } from './dsl-context.js';
import type { HandleState } from './dsl-context.js';
import { EmitStrategy } from './emit-strategy.js';
import type { Aggregator, Initializer, Reducer } from './functions.js';
import type { StoreSpec } from './graph/store-spec.js';
import type { NodeId } from './graph/graph-node.js';
import type { KGroupedStreamImpl } from './kgrouped-stream-impl.js';
import type { KTable } from './ktable.js';
import { longSerde } from './long-serde.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';
import { COUNT } from './processors/kstream-aggregate.js';
import type { TimeWindowedKStream } from './time-windowed-kstream.js';
import { REDUCE_INITIALIZER, addWindowedAggregation, reduceAggregator } from './windowed-aggregation.js';
import { WindowedSerdes } from './windowed-serdes.js';
import type { SlidingWindows } from './windows/sliding-windows.js';
import type { TimeWindows } from './windows/time-windows.js';

/**
 * The {@link TimeWindowedKStream} implementation for time and sliding windows.
 *
 * @example
 * ```ts
 * new TimeWindowedKStreamImpl<string, number>(grouped, state, TimeWindows.ofSizeWithNoGrace(60_000)).count();
 * ```
 */
export class TimeWindowedKStreamImpl<K, V> implements TimeWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStreamImpl<K, V>,
    private readonly state: HandleState<K, V>,
    private readonly windows: TimeWindows | SlidingWindows,
    private readonly strategy: EmitStrategy = EmitStrategy.onWindowUpdate(),
  ) {}

  emitStrategy(strategy: EmitStrategy): TimeWindowedKStream<K, V> {
    if (!(strategy instanceof EmitStrategy)) throw new StreamsError('INVALID_CONFIG', 'emitStrategy needs EmitStrategy.onWindowClose() or onWindowUpdate()');
    return new TimeWindowedKStreamImpl<K, V>(this.grouped, this.state, this.windows, strategy);
  }

  count(first?: Named | Materialized<K, number>, second?: Materialized<K, number>): KTable<Windowed<K>, number> {
    return this.#add<number>('KSTREAM-AGGREGATE-', [first, second], longSerde(), COUNT.initializer, erase(COUNT.aggregator));
  }

  reduce(reducer: Reducer<V>, first?: Named | Materialized<K, V>, second?: Materialized<K, V>): KTable<Windowed<K>, V> {
    requireFunction(reducer, 'reducer');
    return this.#add<V>('KSTREAM-REDUCE-', [first, second], this.state.valueSerde, erase(REDUCE_INITIALIZER), erase(reduceAggregator(reducer)));
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    first?: Named | Materialized<K, VA>,
    second?: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA> {
    requireFunction(initializer, 'initializer');
    requireFunction(aggregator, 'aggregator');
    return this.#add<VA>('KSTREAM-AGGREGATE-', [first, second], undefined, initializer, aggregator);
  }

  #add<VA>(
    prefix: 'KSTREAM-AGGREGATE-' | 'KSTREAM-REDUCE-',
    args: readonly (Named | Materialized<K, VA> | undefined)[],
    defaultValueSerde: Materialized<K, VA>['valueSerde'],
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
  ): KTable<Windowed<K>, VA> {
    const { windows } = this;
    const windowSizeMs = windows.kind === 'time' ? windows.sizeMs : windows.timeDifferenceMs;
    // Kafka Streams 3.0+: size + grace for time windows, 2 * time difference + grace for sliding windows.
    const minRetentionMs = windows.kind === 'time' ? windows.sizeMs + windows.graceMs : 2 * windows.timeDifferenceMs + windows.graceMs;
    return addWindowedAggregation<K, V, VA>(this.grouped, this.state, {
      prefix,
      args,
      defaultValueSerde,
      minRetentionMs,
      windowedKeySerde: (keySerde) => WindowedSerdes.timeWindowedSerdeFrom(keySerde, windowSizeMs),
      makeNode: (name: string, store: StoreSpec, retentionMs: number, parent: NodeId) => ({
        kind: 'window-aggregate',
        name,
        parents: [parent],
        windows,
        initializer: erase(initializer),
        aggregator: erase(aggregator),
        store,
        retentionMs,
        emitsOnWindowClose: this.strategy.type === 'on-window-close',
      }),
    });
  }
}
