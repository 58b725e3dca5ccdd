/**
 * The implementation of {@link KGroupedStream}. Internal.
 */
import { StreamsError } from '../src/errors.js';
import { erase, requireFunction, splitNamed, storeSpecOf } from './dsl-context.js';
import type { HandleState } from './dsl-context.js';
import type { Aggregator, Initializer, Reducer } from './functions.js';
import type { NodeId } from './graph/graph-node.js';
import type { StoreSpec } from './graph/store-spec.js';
import type { NewGraphNode } from './graph/graph.js';
import { optimizableRepartition, repartitionNames } from './graph/repartition-names.js';
import type { KGroupedStream } from './kgrouped-stream.js';
import { KTableImpl } from './ktable-impl.js';
import type { KTable } from './ktable.js';
import { longSerde } from './long-serde.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';
import { COUNT } from './processors/kstream-aggregate.js';
import { SessionWindowedKStreamImpl } from './session-windowed-kstream-impl.js';
import type { SessionWindowedKStream } from './session-windowed-kstream.js';
import { TimeWindowedKStreamImpl } from './time-windowed-kstream-impl.js';
import type { TimeWindowedKStream } from './time-windowed-kstream.js';
import { SessionWindows } from './windows/session-windows.js';
import { SlidingWindows } from './windows/sliding-windows.js';
import { TimeWindows } from './windows/time-windows.js';

type AggregateNode = Extract<NewGraphNode, { kind: 'stream-aggregate' | 'stream-reduce' | 'window-aggregate' | 'session-aggregate' }>;

/**
 * A grouped stream: `state` is the node the grouping hangs off (the key selection of `groupBy`, or the stream itself
 * for `groupByKey`) with the grouped serdes.
 *
 * @example
 * ```ts
 * new KGroupedStreamImpl<string, string>(state, 'by-word', true).count();
 * ```
 */
export class KGroupedStreamImpl<K, V> implements KGroupedStream<K, V> {
  /** The repartition shared by this grouping's aggregations when the user named it (`Grouped.as`). */
  #sharedRepartition: NodeId | null = null;

  constructor(
    private readonly state: HandleState<K, V>,
    private readonly repartitionName: string | undefined,
    private readonly repartitionRequired: boolean,
  ) {}

  count(first?: Named | Materialized<K, number>, second?: Materialized<K, number>): KTable<K, number> {
    const [named, [materialized]] = splitNamed<Materialized<K, number> | undefined>([first, second]);
    // Kafka Streams burns an index here when a Materialized without a name is passed (topology compatibility).
    if (materialized !== undefined && materialized.storeName === undefined) this.state.builder.newStoreName('KSTREAM-AGGREGATE-');
    const storeName = materialized?.storeName ?? this.state.builder.newStoreName('KSTREAM-AGGREGATE-');
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde ?? longSerde();
    const name = named?.name ?? this.state.builder.newProcessorName('KSTREAM-AGGREGATE-');
    const store = storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde));
    return this.buildAggregation<K, number>(name, store, materialized?.storeName, keySerde, valueSerde, (parent) => ({
      kind: 'stream-aggregate',
      name,
      parents: [parent],
      initializer: COUNT.initializer,
      aggregator: erase(COUNT.aggregator),
      store,
    }));
  }

  reduce(reducer: Reducer<V>, first?: Named | Materialized<K, V>, second?: Materialized<K, V>): KTable<K, V> {
    requireFunction(reducer, 'reducer');
    const [named, [materialized]] = splitNamed<Materialized<K, V> | undefined>([first, second]);
    const storeName = materialized?.storeName ?? this.state.builder.newStoreName('KSTREAM-REDUCE-');
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde ?? this.state.valueSerde;
    const name = named?.name ?? this.state.builder.newProcessorName('KSTREAM-REDUCE-');
    const store = storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde));
    return this.buildAggregation<K, V>(name, store, materialized?.storeName, keySerde, valueSerde, (parent) => ({
      kind: 'stream-reduce',
      name,
      parents: [parent],
      reducer: erase(reducer),
      store,
    }));
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    first?: Named | Materialized<K, VA>,
    second?: Materialized<K, VA>,
  ): KTable<K, VA> {
    requireFunction(initializer, 'initializer');
    requireFunction(aggregator, 'aggregator');
    const [named, [materialized]] = splitNamed<Materialized<K, VA> | undefined>([first, second]);
    const storeName = materialized?.storeName ?? this.state.builder.newStoreName('KSTREAM-AGGREGATE-');
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde;
    const name = named?.name ?? this.state.builder.newProcessorName('KSTREAM-AGGREGATE-');
    const store = storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde));
    return this.buildAggregation<K, VA>(name, store, materialized?.storeName, keySerde, valueSerde, (parent) => ({
      kind: 'stream-aggregate',
      name,
      parents: [parent],
      initializer: erase(initializer),
      aggregator: erase(aggregator),
      store,
    }));
  }

  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (windows instanceof SessionWindows) return new SessionWindowedKStreamImpl<K, V>(this, this.state, windows);
    if (windows instanceof TimeWindows || windows instanceof SlidingWindows) return new TimeWindowedKStreamImpl<K, V>(this, this.state, windows);
    throw new StreamsError('INVALID_CONFIG', 'windowedBy needs TimeWindows, SlidingWindows or SessionWindows');
  }

  /**
   * Inserts the repartition if the grouping needs one, then the aggregation node (Kafka's
   * GroupedStreamAggregateBuilder); returns the table of its results. Used by the windowed streams too.
   */
  buildAggregation<KT, VA>(
    name: string,
    store: StoreSpec,
    queryableStoreName: string | undefined,
    keySerde: KTableImpl<KT, VA>['state']['keySerde'],
    valueSerde: KTableImpl<KT, VA>['state']['valueSerde'],
    makeNode: (parent: NodeId) => AggregateNode,
  ): KTable<KT, VA> {
    const { builder } = this.state;
    let parent = this.state.nodeId;
    if (this.repartitionRequired) {
      // Names are drawn every time (index compatibility), but a named grouping reuses its one repartition topic.
      const names = repartitionNames(builder, this.repartitionName ?? store.name);
      if (this.#sharedRepartition === null || this.repartitionName === undefined) {
        this.#sharedRepartition = builder.add(optimizableRepartition(names, this.state.nodeId, erase(this.state.keySerde), erase(this.state.valueSerde))).id;
      }
      parent = this.#sharedRepartition;
    }
    const node = builder.add(makeNode(parent));
    return new KTableImpl<KT, VA>({ builder, nodeId: node.id, name, keySerde, valueSerde, queryableStoreName: queryableStoreName ?? null });
  }
}
