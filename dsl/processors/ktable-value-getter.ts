/**
 * Table value getters: how a join looks up the current row of a table (Kafka Streams' `KTableValueGetterSupplier`).
 * A materialized table is read from its store; an unmaterialized `filter`/`mapValues`/join computes its row from its
 * parents' getters, so only the nearest stores upstream are needed.
 */
import type { ProcessingContext } from '../../src/processor/processor-context.js';
import type { TimestampedKeyValueStore, ValueAndTimestamp } from '../../src/state/key-value-store.js';
import type { Predicate, ValueJoiner, ValueMapper } from '../functions.js';

/**
 * Reads one row of a table as it is now: its value and timestamp, or `null` when the key has no row.
 *
 * @example
 * ```ts
 * const row = getter.get('alice'); // { value: 'eu', timestampMs: 4 } or null
 * ```
 */
export interface TableValueGetter<K, V> {
  get(key: K): ValueAndTimestamp<V> | null;
}

/**
 * Makes a {@link TableValueGetter} for one task (called from a processor's `init`); `storeNames` are the stores the
 * getter reads, which the reading processor must be connected to.
 *
 * @example
 * ```ts
 * topology.connectProcessorAndStateStores('KSTREAM-JOIN-0000000004', ...supplier.storeNames);
 * init(context) { this.getter = supplier.init(context); }
 * ```
 */
export interface TableValueGetterSupplier<K, V> {
  readonly storeNames: readonly string[];
  init(context: ProcessingContext): TableValueGetter<K, V>;
}

/**
 * The getter of a materialized table: its timestamped store.
 *
 * @example `storeValueGetter<string, number>('prices').init(context).get('A')`
 */
export function storeValueGetter<K, V>(storeName: string): TableValueGetterSupplier<K, V> {
  return Object.freeze({
    storeNames: Object.freeze([storeName]),
    init: (context: ProcessingContext) => context.getStateStore<TimestampedKeyValueStore<K, V>>(storeName),
  });
}

/**
 * The getter of an unmaterialized `KTable.filter`/`filterNot`: the parent's row if `predicate` keeps it (`isNot`:
 * rejects it), else no row.
 *
 * @example `filterValueGetter(parent, (_k, v: number) => v > 0, false)`
 */
export function filterValueGetter<K, V>(parent: TableValueGetterSupplier<K, V>, predicate: Predicate<K, V>, isNot: boolean): TableValueGetterSupplier<K, V> {
  return Object.freeze({
    storeNames: parent.storeNames,
    init: (context: ProcessingContext): TableValueGetter<K, V> => {
      const inner = parent.init(context);
      return {
        get: (key: K) => {
          const row = inner.get(key);
          return row !== null && predicate(key, row.value) !== isNot ? row : null;
        },
      };
    },
  });
}

/**
 * The getter of an unmaterialized `KTable.mapValues`: the parent's row mapped (a mapped `null` is no row).
 *
 * @example `mapValuesValueGetter(parent, (v: number) => v * 2)`
 */
export function mapValuesValueGetter<K, V, VR>(parent: TableValueGetterSupplier<K, V>, mapper: ValueMapper<K, V, VR>): TableValueGetterSupplier<K, VR> {
  return Object.freeze({
    storeNames: parent.storeNames,
    init: (context: ProcessingContext): TableValueGetter<K, VR> => {
      const inner = parent.init(context);
      return {
        get: (key: K) => {
          const row = inner.get(key);
          if (row === null) return null;
          const value = mapper(row.value, key);
          return value === null || value === undefined ? null : { value, timestampMs: row.timestampMs };
        },
      };
    },
  });
}

/**
 * Which rows a table-table join keeps: `inner` (both sides), `left` (every left row), `outer` (every row of either).
 *
 * @example `const variant: TableJoinVariant = 'left';`
 */
export type TableJoinVariant = 'inner' | 'left' | 'outer';

/**
 * The getter of an unmaterialized table-table join: the joined row computed from both sides' rows now, with the
 * larger of their timestamps (Kafka Streams' `KTableKTable*JoinValueGetter`).
 *
 * @example `joinValueGetter(left, right, (a, b) => a + b, 'inner')`
 */
export function joinValueGetter<K, V1, V2, VR>(
  left: TableValueGetterSupplier<K, V1>,
  right: TableValueGetterSupplier<K, V2>,
  joiner: ValueJoiner<V1 | null, V2 | null, VR>,
  variant: TableJoinVariant,
): TableValueGetterSupplier<K, VR> {
  return Object.freeze({
    storeNames: Object.freeze([...new Set([...left.storeNames, ...right.storeNames])]),
    init: (context: ProcessingContext): TableValueGetter<K, VR> => {
      const l = left.init(context);
      const r = right.init(context);
      return {
        get: (key: K) => {
          const a = l.get(key);
          if (a === null && variant !== 'outer') return null;
          const b = r.get(key);
          if (b === null && (variant === 'inner' || a === null)) return null;
          const value = joiner(a === null ? null : a.value, b === null ? null : b.value);
          if (value === null || value === undefined) return null;
          return { value, timestampMs: Math.max(a?.timestampMs ?? -1, b?.timestampMs ?? -1) };
        },
      };
    },
  });
}

