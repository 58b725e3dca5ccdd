import type { KeyValueIterator, ReadOnlyKeyValueStore } from '../src/state/key-value-store.js';
import type { ReadOnlySessionStore } from '../src/state/session-store.js';
import type { ReadOnlyWindowStore } from '../src/state/window-store.js';

/**
 * A read-only view of any of the three store shapes, as the driver and interactive queries return them.
 *
 * @example
 * ```ts
 * const view: StoreView = driver.getWindowStore('per-minute');
 * ```
 */
export type StoreView = ReadOnlyKeyValueStore<unknown, unknown> | ReadOnlyWindowStore<unknown, unknown> | ReadOnlySessionStore<unknown, unknown>;

/**
 * The plain value of a DSL window store entry. Window views return the stored `ValueAndTimestamp` of timestamped
 * window stores, where Kafka's `QueryableStoreTypes.windowStore()` returns plain values (as key-value views do here).
 */
function plain(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const keys = Object.keys(v);
  return keys.length === 2 && keys.includes('value') && keys.includes('timestampMs') ? (v as { readonly value: unknown }).value : v;
}

function drain(it: KeyValueIterator<unknown, unknown>, into: Map<unknown, unknown>, unwrap: boolean): void {
  try {
    for (let n = it.next(); !n.done; n = it.next()) into.set(n.value.key, unwrap ? plain(n.value.value) : n.value.value);
  } finally {
    it.close();
  }
}

/**
 * Every entry of a store view as a Map: key-value stores by key, window and session stores by `Windowed<K>`; values
 * are plain (timestamps dropped). Several views (one per application instance) may be read into one Map.
 *
 * @example
 * ```ts
 * const counts = storeContents('keyValue', driver.getKeyValueStore('counts'));
 * ```
 */
export function storeContents(kind: 'keyValue' | 'window' | 'session', view: StoreView, into: Map<unknown, unknown> = new Map()): Map<unknown, unknown> {
  switch (kind) {
    case 'keyValue':
      drain((view as ReadOnlyKeyValueStore<unknown, unknown>).all(), into, false);
      break;
    case 'window':
      drain((view as ReadOnlyWindowStore<unknown, unknown>).all(), into, true);
      break;
    case 'session':
      drain((view as ReadOnlySessionStore<unknown, unknown>).fetch(null, null), into, false);
      break;
  }
  return into;
}
