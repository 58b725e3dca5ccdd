import { StreamsError } from '../src/errors.js';
import { isTimestampedStore } from '../src/state/key-value-store.js';
import type { KeyValue, KeyValueIterator, ReadOnlyKeyValueStore, ValueAndTimestamp } from '../src/state/key-value-store.js';
import type { StateStore } from '../src/state/state-store.js';
import type { ReadOnlyWindowStore } from '../src/state/window-store.js';
import type { ReadOnlySessionStore } from '../src/state/session-store.js';
import type { Serializer } from '../src/serdes/serde.js';

/**
 * Which shape of store an interactive query expects (Kafka's QueryableStoreType).
 *
 * @example
 * ```ts
 * const view = streams.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>());
 * ```
 */
export interface QueryableStoreType<T> {
  /** 'keyValue' views unwrap timestamped stores to plain values; 'timestampedKeyValue' keeps ValueAndTimestamp. */
  readonly kind: 'keyValue' | 'timestampedKeyValue' | 'window' | 'session';
  /** Phantom field carrying the view's type; never set. */
  readonly _type?: T;
}

/** The queryable store types. */
export const QueryableStoreTypes = Object.freeze({
  /** A read-only key-value view (get, range, all, ...) over every local task's store of that name. */
  keyValueStore<K, V>(): QueryableStoreType<ReadOnlyKeyValueStore<K, V>> {
    return { kind: 'keyValue' };
  },
  /** A read-only window store view (fetch by key and time range, fetchAll, all, backward variants). */
  windowStore<K, V>(): QueryableStoreType<ReadOnlyWindowStore<K, V>> {
    return { kind: 'window' };
  },
  /** A read-only session store view (findSessions, fetchSession, fetch). */
  sessionStore<K, AGG>(): QueryableStoreType<ReadOnlySessionStore<K, AGG>> {
    return { kind: 'session' };
  },
  /** The same over a timestamped store (DSL tables), with each value's timestamp: `{ value, timestampMs }`. */
  timestampedKeyValueStore<K, V>(): QueryableStoreType<ReadOnlyKeyValueStore<K, ValueAndTimestamp<V>>> {
    return { kind: 'timestampedKeyValue' };
  },
});

function isKeyValueStore(s: StateStore): s is StateStore & ReadOnlyKeyValueStore<unknown, unknown> {
  return typeof (s as unknown as { get?: unknown }).get === 'function' && typeof (s as unknown as { all?: unknown }).all === 'function';
}

function concat<K, V>(parts: KeyValueIterator<K, V>[]): KeyValueIterator<K, V> {
  let i = 0;
  const it: KeyValueIterator<K, V> = {
    next(): IteratorResult<KeyValue<K, V>> {
      while (i < parts.length) {
        const r = parts[i]!.next();
        if (!r.done) return r;
        parts[i]!.close();
        i++;
      }
      return { done: true, value: undefined };
    },
    peekNextKey(): K | undefined {
      while (i < parts.length) {
        const k = parts[i]!.peekNextKey();
        if (k !== undefined) return k;
        parts[i]!.close();
        i++;
      }
      return undefined;
    },
    close(): void {
      for (; i < parts.length; i++) parts[i]!.close();
    },
    [Symbol.iterator]() {
      return it;
    },
  };
  return it;
}

/**
 * A read-only view across the stores of every local task (Kafka's CompositeReadOnlyKeyValueStore): `get` asks each
 * task's store until one has the key (a key lives in one task); scans go store after store (ordered within each).
 */
export function compositeReadOnlyStore<T>(type: QueryableStoreType<T>, stores: () => StateStore[]): T {
  if (type.kind === 'window' || type.kind === 'session') return compositeAcrossTasks(type.kind, stores) as T;
  if (type.kind !== 'keyValue' && type.kind !== 'timestampedKeyValue') throw new StreamsError('ILLEGAL_STATE', `unsupported store type ${String(type.kind)}`);
  const kv = (): ReadOnlyKeyValueStore<unknown, unknown>[] =>
    stores().map((s) => {
      if (!isKeyValueStore(s)) throw new StreamsError('ILLEGAL_STATE', `store ${s.name} is not a key-value store`);
      if (isTimestampedStore(s)) return type.kind === 'keyValue' ? unwrapTimestamps(s) : s;
      if (type.kind === 'timestampedKeyValue') throw new StreamsError('ILLEGAL_STATE', `store ${s.name} is not a timestamped key-value store`);
      return s;
    });
  const view: ReadOnlyKeyValueStore<unknown, unknown> = {
    get(key) {
      for (const s of kv()) {
        const v = s.get(key);
        if (v !== null) return v;
      }
      return null;
    },
    range: (from, to) => concat(kv().map((s) => s.range(from, to))),
    reverseRange: (from, to) => concat(kv().map((s) => s.reverseRange(from, to))),
    all: () => concat(kv().map((s) => s.all())),
    reverseAll: () => concat(kv().map((s) => s.reverseAll())),
    prefixScan: <P>(prefix: P, ser: Serializer<P>) => concat(kv().map((s) => s.prefixScan(prefix, ser))),
    approximateNumEntries: () => kv().reduce((n, s) => n + s.approximateNumEntries(), 0),
  };
  return view as T;
}

/** A plain-value view of a timestamped store (Kafka's ReadOnlyKeyValueStoreFacade). */
function unwrapTimestamps(s: ReadOnlyKeyValueStore<unknown, unknown>): ReadOnlyKeyValueStore<unknown, unknown> {
  const plain = (v: unknown): unknown => (v === null ? null : (v as ValueAndTimestamp<unknown>).value);
  const map = (it: KeyValueIterator<unknown, unknown>): KeyValueIterator<unknown, unknown> => {
    const out: KeyValueIterator<unknown, unknown> = {
      next() {
        const r = it.next();
        return r.done ? r : { done: false, value: { key: r.value.key, value: plain(r.value.value) } };
      },
      peekNextKey: () => it.peekNextKey(),
      close: () => it.close(),
      [Symbol.iterator]() {
        return out;
      },
    };
    return out;
  };
  return {
    get: (k) => plain(s.get(k)),
    range: (a, b) => map(s.range(a, b)),
    reverseRange: (a, b) => map(s.reverseRange(a, b)),
    all: () => map(s.all()),
    reverseAll: () => map(s.reverseAll()),
    prefixScan: (p, ser) => map(s.prefixScan(p, ser)),
    approximateNumEntries: () => s.approximateNumEntries(),
  };
}

function isIterator(v: unknown): v is KeyValueIterator<unknown, unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { next?: unknown }).next === 'function' && typeof (v as { close?: unknown }).close === 'function';
}

const WINDOW_METHODS = new Set(['fetch', 'backwardFetch', 'fetchAll', 'backwardFetchAll', 'all', 'backwardAll']);
const SESSION_METHODS = new Set(['findSessions', 'backwardFindSessions', 'fetchSession', 'fetch', 'backwardFetch']);

/**
 * A read-only view across the window or session stores of every local task: each query goes to every task's store
 * (a key lives in one task); iterators are concatenated store after store, single values are the first non-null.
 */
function compositeAcrossTasks(kind: 'window' | 'session', stores: () => StateStore[]): object {
  const methods = kind === 'window' ? WINDOW_METHODS : SESSION_METHODS;
  return new Proxy(
    {},
    {
      get(_target, name) {
        if (typeof name !== 'string' || !methods.has(name)) return undefined;
        return (...args: unknown[]) => {
          const results = stores().map((st) => {
            const f = (st as unknown as Record<string, unknown>)[name];
            if (typeof f !== 'function') throw new StreamsError('ILLEGAL_STATE', `store ${st.name} is not a ${kind} store`);
            return (f as (...a: unknown[]) => unknown).apply(st, args);
          });
          if (results.length > 0 && results.every(isIterator)) return concat(results as KeyValueIterator<unknown, unknown>[]);
          for (const r of results) {
            if (isIterator(r)) r.close();
            else if (r !== null && r !== undefined) return r;
          }
          return results.length === 0 && name !== 'fetchSession' && !(kind === 'window' && args.length === 2) ? concat([]) : null;
        };
      },
    },
  );
}
