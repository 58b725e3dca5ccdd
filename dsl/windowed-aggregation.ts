/**
 * What the time- and session-windowed streams share: naming, store retention and the windowed key serde of one
 * windowed aggregation. Internal.
 */
import { StreamsError } from '../src/errors.js';
import type { Serde } from '../src/serdes/serde.js';
import type { Windowed } from '../src/state/windowed.js';
import { erase, splitNamed, storeSpecOf } from './dsl-context.js';
import type { HandleState } from './dsl-context.js';
import type { NodeId } from './graph/graph-node.js';
import type { StoreSpec } from './graph/store-spec.js';
import type { NewGraphNode } from './graph/graph.js';
import type { KGroupedStreamImpl } from './kgrouped-stream-impl.js';
import type { KTable } from './ktable.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';

/**
 * One windowed aggregation to add: the naming prefix (`KSTREAM-AGGREGATE-` / `KSTREAM-REDUCE-`), the user's
 * options, the value serde known without one, the smallest allowed retention, and the windowed key serde for a key
 * serde.
 *
 * @example
 * ```ts
 * addWindowedAggregation(grouped, state, { prefix: 'KSTREAM-AGGREGATE-', args: [first, second], ... });
 * ```
 */
export interface WindowedAggregationRequest<K, VA> {
  readonly prefix: 'KSTREAM-AGGREGATE-' | 'KSTREAM-REDUCE-';
  readonly args: readonly (Named | Materialized<K, VA> | undefined)[];
  readonly defaultValueSerde: Serde<VA> | undefined;
  readonly minRetentionMs: number;
  readonly windowedKeySerde: (keySerde: Serde<K>) => Serde<Windowed<K>>;
  readonly makeNode: (name: string, store: StoreSpec, retentionMs: number, parent: NodeId) => Extract<NewGraphNode, { kind: 'window-aggregate' | 'session-aggregate' }>;
}

/**
 * Adds a windowed aggregation (repartitioning first when the grouping needs it) with Kafka Streams' naming order:
 * the store name (unless `Materialized.as` named it), then the processor name. Retention is `withRetention` or
 * `minRetentionMs`; a retention below the minimum throws `StreamsError('TOPOLOGY_INVALID')`, as does a
 * key-value store supplier (windowed stores need a window or session engine).
 *
 * @example
 * ```ts
 * return addWindowedAggregation(this.grouped, this.state, request);
 * ```
 */
export function addWindowedAggregation<K, V, VA>(
  grouped: KGroupedStreamImpl<K, V>,
  state: HandleState<K, V>,
  request: WindowedAggregationRequest<K, VA>,
): KTable<Windowed<K>, VA> {
  const [named, [materialized]] = splitNamed<Materialized<K, VA> | undefined>(request.args);
  if (materialized?.storeSupplier !== undefined) {
    throw new StreamsError('TOPOLOGY_INVALID', 'a windowed aggregation needs a window or session store; Materialized.as(KeyValueBytesStoreSupplier) is not supported here');
  }
  const storeName = materialized?.storeName ?? state.builder.newStoreName(request.prefix);
  const retentionMs = materialized?.retentionMs ?? request.minRetentionMs;
  if (retentionMs < request.minRetentionMs) {
    throw new StreamsError(
      'TOPOLOGY_INVALID',
      `the retention of store "${storeName}" (${retentionMs} ms) must be at least ${request.minRetentionMs} ms (window size or time difference plus grace)`,
    );
  }
  const keySerde = materialized?.keySerde ?? state.keySerde;
  const valueSerde = materialized?.valueSerde ?? request.defaultValueSerde;
  const name = named?.name ?? state.builder.newProcessorName(request.prefix);
  const store = storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde));
  const tableKeySerde = keySerde === undefined ? undefined : request.windowedKeySerde(keySerde);
  return grouped.buildAggregation<Windowed<K>, VA>(name, store, materialized?.storeName, tableKeySerde, valueSerde, (parent) =>
    request.makeNode(name, store, retentionMs, parent),
  );
}

/**
 * The aggregator of a windowed `reduce`: its initializer gives `null`, so a window's first value is taken as is.
 *
 * @example
 * ```ts
 * const aggregator = reduceAggregator((a: number, b: number) => a + b);
 * aggregator('k', 3, null); // 3
 * ```
 */
export function reduceAggregator<V>(reducer: (aggregate: V, value: V) => V): (key: unknown, value: V, aggregate: V | null) => V {
  return (_key, value, aggregate) => (aggregate === null ? value : reducer(aggregate, value));
}

/**
 * The initializer of a windowed `reduce`.
 *
 * @example
 * ```ts
 * REDUCE_INITIALIZER(); // null
 * ```
 */
export const REDUCE_INITIALIZER = (): null => null;
