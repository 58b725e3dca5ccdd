/**
 * The key-value store shapes: the typed {@link KeyValueStore} processors use, its read-only face for interactive
 * queries, the timestamped variant tables use, and {@link BytesKeyValueStore}, the small bytes interface that
 * engines implement and layers decorate.
 */
import type { Serializer } from '../serdes/serde.js';
import type { StateStore } from './state-store.js';

/**
 * One entry of a key-value store or iterator.
 *
 * @example
 * ```ts
 * const entry: KeyValue<string, number> = { key: 'a', value: 1 };
 * ```
 */
export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

/**
 * An iterator over store entries, ordered by the SERIALIZED key bytes compared as unsigned bytes (lexicographic,
 * a shorter key before its extensions), as Kafka Streams orders them; reverse iterators go the other way.
 *
 * Use it with `for...of` (breaking out closes it) or call `next()` and `close()` yourself; close every iterator you
 * do not exhaust. Iterators are live, not snapshots: writes to the store while iterating are allowed, every key is
 * returned at most once and in order, and a key written ahead of the current position may or may not be seen.
 *
 * @example
 * ```ts
 * const it = store.range('a', 'm');
 * try {
 *   for (const { key, value } of it) console.log(key, value);
 * } finally {
 *   it.close();
 * }
 * ```
 */
export interface KeyValueIterator<K, V> extends IterableIterator<KeyValue<K, V>> {
  /** The key the next call to `next()` would return, or `undefined` when the iterator is exhausted. */
  peekNextKey(): K | undefined;
  /** Releases the iterator; further `next()` calls report done. Idempotent. */
  close(): void;
}

/**
 * The read side of a key-value store: point lookups and ordered scans. What interactive queries expose.
 *
 * Ordering is by serialized key bytes (unsigned lexicographic), not by the typed keys' natural order: with
 * `Serdes.Integer()`, big-endian two's complement puts negative numbers after positive ones, exactly as in Kafka
 * Streams. Range bounds are inclusive at both ends, `null` means open; `from` after `to` gives an empty iterator.
 *
 * @example
 * ```ts
 * const view: ReadOnlyKeyValueStore<string, bigint> = streams.store('counts', QueryableStoreTypes.keyValueStore());
 * view.get('kafka');                  // 3n, or null when absent
 * for (const e of view.range('a', null)) console.log(e.key, e.value); // every key from 'a' on
 * ```
 */
export interface ReadOnlyKeyValueStore<K, V> {
  /** The value of `key`, or `null` when it is absent (deleted keys are absent). */
  get(key: K): V | null;
  /** Entries with `from <= key <= to` in ascending key-byte order; `null` leaves that end open. */
  range(from: K | null, to: K | null): KeyValueIterator<K, V>;
  /** The same entries as `range(from, to)`, in descending order. */
  reverseRange(from: K | null, to: K | null): KeyValueIterator<K, V>;
  /** Every entry in ascending key-byte order. */
  all(): KeyValueIterator<K, V>;
  /** Every entry in descending key-byte order. */
  reverseAll(): KeyValueIterator<K, V>;
  /**
   * Entries whose serialized key starts with the serialized `prefix`, ascending. The prefix serializer is given
   * separately because prefixes are often of another type than keys (e.g. the first field of a composite key).
   */
  prefixScan<P>(prefix: P, prefixKeySerializer: Serializer<P>): KeyValueIterator<K, V>;
  /**
   * An estimate of the number of entries: exact for the bundled engines, but layers above them may ignore writes
   * not yet flushed (as the caching layer does).
   */
  approximateNumEntries(): number;
}

/**
 * A typed, task-local key-value store: what `context.getStateStore(name)` returns for a store built by
 * `Stores.keyValueStoreBuilder`. All calls are synchronous.
 *
 * `put(key, null)` deletes the key (and logs a tombstone to the changelog when logging is enabled). Keys must not
 * be `null`. A value written is visible to every later read of the same store at once, whether or not it has been
 * flushed. Calls after `close()` throw `StreamsError('CLOSED')`.
 *
 * @example
 * ```ts
 * const counts = context.getStateStore<KeyValueStore<string, bigint>>('counts');
 * const n = (counts.get(word) ?? 0n) + 1n;
 * counts.put(word, n);
 * counts.putIfAbsent('first', 1n); // returns the existing value, or null if it wrote
 * counts.delete('stale');          // returns the old value, or null
 * ```
 */
export interface KeyValueStore<K, V> extends StateStore, ReadOnlyKeyValueStore<K, V> {
  /** Writes `value` under `key`; `null` deletes the key. */
  put(key: K, value: V | null): void;
  /** Writes `value` only when `key` is absent; returns the existing value (nothing written) or `null` (written). */
  putIfAbsent(key: K, value: V | null): V | null;
  /** Writes every entry in order, as many `put` calls would (a later entry for the same key wins). */
  putAll(entries: readonly KeyValue<K, V | null>[]): void;
  /** Deletes `key` and returns the value it had, or `null` if it was absent. */
  delete(key: K): V | null;
}

/**
 * A value together with the timestamp of the record that last wrote it, as KTables store their rows.
 *
 * The value is never `null`: a deleted row is a `null` ValueAndTimestamp, not one with a null value.
 *
 * @example
 * ```ts
 * const row: ValueAndTimestamp<number> = { value: 42, timestampMs: 1_700_000_000_000 };
 * ```
 */
export interface ValueAndTimestamp<V> {
  readonly value: V;
  readonly timestampMs: number;
}

/**
 * A key-value store whose values carry timestamps: the store behind KTables. In bytes, a value is an 8-byte
 * big-endian timestamp followed by the serialized value (Kafka Streams' layout); its changelog records carry the
 * plain serialized value with the timestamp as the record timestamp.
 *
 * @example
 * ```ts
 * const table = context.getStateStore<TimestampedKeyValueStore<string, number>>('prices');
 * table.put('AAPL', { value: 190, timestampMs: record.timestampMs });
 * table.get('AAPL'); // { value: 190, timestampMs: ... }
 * ```
 */
export type TimestampedKeyValueStore<K, V> = KeyValueStore<K, ValueAndTimestamp<V>>;

/**
 * The read-only face of a {@link TimestampedKeyValueStore}.
 *
 * @example
 * ```ts
 * const view: ReadOnlyTimestampedKeyValueStore<string, number> = tableStore;
 * view.get('AAPL')?.timestampMs;
 * ```
 */
export type ReadOnlyTimestampedKeyValueStore<K, V> = ReadOnlyKeyValueStore<K, ValueAndTimestamp<V>>;

/**
 * Called when a caching store flushes or evicts an entry: the latest value written to `key` since the previous
 * flush, the value the wrapped store held before it (only when old values were requested, else `null`), and the
 * timestamp of the write. A `null` new value is a deletion.
 *
 * The DSL forwards these downstream; a cache thus turns many updates of a key between commits into one.
 *
 * @example
 * ```ts
 * const listener: CacheFlushListener<string, bigint> = (key, newValue, oldValue, timestampMs) => {
 *   context.forward(new Record(key, { newValue, oldValue }, timestampMs));
 * };
 * ```
 */
export type CacheFlushListener<K, V> = (key: K, newValue: V | null, oldValue: V | null, timestampMs: number) => void;

/**
 * A store that may hold a write cache and can tell a listener what its cache flushes.
 *
 * `setFlushListener` returns `false` (and keeps nothing) when the store has no caching layer: the caller must then
 * forward each write itself. With `sendOldValues`, each flushed entry comes with the value it replaces (read from
 * the wrapped store), and entries that were neither present before nor after are not forwarded.
 *
 * @example
 * ```ts
 * if (!isCachedStateStore<string, bigint>(store) || !store.setFlushListener(listener, true)) {
 *   forwardEveryWrite = true;
 * }
 * ```
 */
export interface CachedStateStore<K, V> {
  setFlushListener(listener: CacheFlushListener<K, V>, sendOldValues: boolean): boolean;
}

/**
 * True when `store` offers `setFlushListener` (the bundled typed stores all do; whether a cache exists is what
 * `setFlushListener` returns).
 *
 * @example
 * ```ts
 * const cached = isCachedStateStore<string, bigint>(store) && store.setFlushListener(listener, false);
 * ```
 */
export function isCachedStateStore<K, V>(store: unknown): store is CachedStateStore<K, V> {
  return typeof store === 'object' && store !== null && typeof (store as { setFlushListener?: unknown }).setFlushListener === 'function';
}

/**
 * The bytes interface that engines implement and layers (caching, change-logging) decorate; only the outermost,
 * metered layer knows the types. Same contract as {@link KeyValueStore} over `Uint8Array`, with keys ordered as
 * unsigned bytes.
 *
 * Ownership: `put`/`putAll` take ownership of the arrays given (callers must not mutate them afterwards), and
 * arrays returned by reads must not be mutated by callers (they may be the stored arrays themselves).
 *
 * @example
 * ```ts
 * const engine: BytesKeyValueStore = Stores.inMemoryKeyValueStore('counts').get();
 * engine.init(context, engine);
 * engine.put(Buffer.from('a'), Buffer.from([1]));
 * engine.prefixScan(Buffer.from('a')).next(); // { done: false, value: { key: <61>, value: <01> } }
 * ```
 */
export interface BytesKeyValueStore extends StateStore {
  get(key: Uint8Array): Uint8Array | null;
  put(key: Uint8Array, value: Uint8Array | null): void;
  putIfAbsent(key: Uint8Array, value: Uint8Array | null): Uint8Array | null;
  putAll(entries: readonly KeyValue<Uint8Array, Uint8Array | null>[]): void;
  delete(key: Uint8Array): Uint8Array | null;
  range(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array>;
  reverseRange(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array>;
  all(): KeyValueIterator<Uint8Array, Uint8Array>;
  reverseAll(): KeyValueIterator<Uint8Array, Uint8Array>;
  /** Entries whose key starts with `prefix`, ascending. */
  prefixScan(prefix: Uint8Array): KeyValueIterator<Uint8Array, Uint8Array>;
  approximateNumEntries(): number;
  /** See {@link CachedStateStore}; engines omit it or return `false`, layers pass it down to a caching layer. */
  setFlushListener?(listener: CacheFlushListener<Uint8Array, Uint8Array>, sendOldValues: boolean): boolean;
}

/**
 * Supplies fresh engines of one kind for one store name, one per task: what `Stores.inMemoryKeyValueStore(name)`
 * and `Stores.persistentKeyValueStore(name)` return, and what a custom engine plugs in as.
 *
 * @example
 * ```ts
 * const supplier: KeyValueBytesStoreSupplier = {
 *   name: 'counts',
 *   metricsScope: 'my-engine',
 *   get: () => new MyEngine('counts'),
 * };
 * Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.BigInt());
 * ```
 */
export interface KeyValueBytesStoreSupplier {
  /** The name of the stores supplied; each `get()` returns a store with this name. */
  readonly name: string;
  /** A short engine label for metrics and descriptions (`'in-memory'`, `'sqlite'`). */
  readonly metricsScope: string;
  /** A new, un-initialised engine. */
  get(): BytesKeyValueStore;
}

const TIMESTAMPED = Symbol.for('tributary.timestampedStore');

/**
 * Marks a built store as timestamped (its values are {@link ValueAndTimestamp}); set by the store builders, read by
 * interactive queries, which hand plain values to `keyValueStore()` views as Kafka Streams does.
 *
 * @example
 * ```ts
 * markTimestamped(store);
 * isTimestampedStore(store); // true
 * ```
 */
export function markTimestamped<S extends object>(store: S): S {
  Object.defineProperty(store, TIMESTAMPED, { value: true });
  return store;
}

/** True for stores built as timestamped key-value stores. */
export function isTimestampedStore(store: unknown): boolean {
  return typeof store === 'object' && store !== null && (store as { [TIMESTAMPED]?: boolean })[TIMESTAMPED] === true;
}
