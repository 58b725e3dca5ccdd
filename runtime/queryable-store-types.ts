import { StreamsError } from '../src/errors.js';
import { isTimestampedStore } from '../src/state/key-value-store.js';
import type { KeyValue, KeyValueIterator, ReadOnlyKeyValueStore, ValueAndTimestamp } from '../src/state/key-value-store.js';
import type { StateStore } from '../src/state/state-store.js';
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
  readonly kind: 'keyValue' | 'timestampedKeyValue';
  /** Phantom field carrying the view's type; never set. */
  readonly _type?: T;
}

/** The queryable store types. */
export const QueryableStoreTypes = Object.freeze({
  /** A read-only key-value view (get, range, all, ...) over every local task's store of that name. */
  keyValueStore<K, V>(): QueryableStoreType<ReadOnlyKeyValueStore<K, V>> {
    return { kind: 'keyValue' };
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
