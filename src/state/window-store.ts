/**
 * The window store shapes: the typed {@link WindowStore} windowed aggregations and stream-stream joins use, its
 * read-only face for interactive queries, and {@link BytesWindowStore}, the bytes interface engines implement and
 * layers decorate.
 */
import type { CacheFlushListener, KeyValueIterator, ValueAndTimestamp } from './key-value-store.js';
import type { StateStore } from './state-store.js';
import type { Windowed } from './windowed.js';

/**
 * An iterator over one key's windows: entries are `{ key: windowStartMs, value }`, in ascending window start
 * (descending for backward fetches). Close it when not exhausted.
 *
 * @example
 * ```ts
 * const it: WindowStoreIterator<number> = store.fetch('page-1', 0, 600_000);
 * for (const { key: startMs, value } of it) console.log(startMs, value);
 * ```
 */
export type WindowStoreIterator<V> = KeyValueIterator<number, V>;

/**
 * The read side of a window store: what interactive queries expose.
 *
 * Time bounds are inclusive and refer to window START times. Windows whose start is at or before
 * `observedStreamTime - retentionMs` (observed stream time: the largest window start ever put) are expired: never
 * returned. Results are ordered by time segment (the store's `segmentIntervalMs`), then by serialized key bytes
 * (unsigned), then by window start, as Kafka Streams' persistent window store orders them; a single-key fetch is
 * thus in window-start order. Backward variants return the exact reverse. A key range `keyFrom` after `keyTo`, or
 * `timeFromMs > timeToMs`, gives an empty iterator; `null` key bounds are open.
 *
 * @example
 * ```ts
 * const view: ReadOnlyWindowStore<string, bigint> = streams.store('counts', QueryableStoreTypes.windowStore());
 * view.fetch('page-1', 60_000);                 // the count of window [60000, 120000), or null
 * for (const { key, value } of view.fetchAll(0, Date.now())) console.log(key.key, key.window.startMs, value);
 * ```
 */
export interface ReadOnlyWindowStore<K, V> {
  /** The value of `key` in the window starting at `windowStartMs`, or `null`. */
  fetch(key: K, windowStartMs: number): V | null;
  /** `key`'s windows starting in `[timeFromMs, timeToMs]`, ascending by start. */
  fetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>;
  /** Windows of keys in `[keyFrom, keyTo]` starting in `[timeFromMs, timeToMs]`. */
  fetch(keyFrom: K | null, keyTo: K | null, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>;
  /** `fetch(key, timeFromMs, timeToMs)` in reverse. */
  backwardFetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>;
  /** `fetch(keyFrom, keyTo, timeFromMs, timeToMs)` in reverse. */
  backwardFetch(keyFrom: K | null, keyTo: K | null, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>;
  /** Every key's windows starting in `[timeFromMs, timeToMs]`. */
  fetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>;
  /** `fetchAll` in reverse. */
  backwardFetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>;
  /** Every unexpired window. */
  all(): KeyValueIterator<Windowed<K>, V>;
  /** `all()` in reverse. */
  backwardAll(): KeyValueIterator<Windowed<K>, V>;
}

/**
 * A typed, task-local window store: one value per (key, window start), as windowed aggregations keep their
 * results. What `context.getStateStore(name)` returns for a store built by `Stores.windowStoreBuilder`.
 *
 * `put(key, null, start)` deletes that window (with `retainDuplicates` it is ignored). With `retainDuplicates`
 * (stream-stream joins) every put adds an entry, so one window may hold several values, returned in put order.
 * A put for an expired window start is dropped. Windowed keys returned carry `window.endMs = startMs +
 * windowSizeMs`. Calls after `close()` throw `StreamsError('CLOSED')`.
 *
 * @example
 * ```ts
 * const counts = context.getStateStore<WindowStore<string, bigint>>('counts');
 * const start = record.timestampMs - (record.timestampMs % 60_000);
 * counts.put(record.key, (counts.fetch(record.key, start) ?? 0n) + 1n, start);
 * ```
 */
export interface WindowStore<K, V> extends StateStore, ReadOnlyWindowStore<K, V> {
  /** Writes `value` for `key` in the window starting at `windowStartMs`; `null` deletes it. */
  put(key: K, value: V | null, windowStartMs: number): void;
}

/**
 * A window store whose values carry the timestamp of their last write (`Stores.timestampedWindowStoreBuilder`).
 * Values are stored as `timestamp(8) + value` and logged as the plain value with the timestamp as the record's.
 *
 * @example
 * ```ts
 * store.put('k', { value: 3, timestampMs: record.timestampMs }, windowStartMs);
 * ```
 */
export type TimestampedWindowStore<K, V> = WindowStore<K, ValueAndTimestamp<V>>;

/**
 * The bytes interface of window stores that engines implement and layers decorate; only the metered layer is
 * typed. Same semantics as {@link WindowStore}, with explicit method names and a `backward` flag instead of
 * overloads; key bounds `null` are open, time bounds inclusive.
 *
 * Ownership as for key-value stores: `put` takes the arrays given, returned arrays must not be mutated.
 *
 * @example
 * ```ts
 * const engine: BytesWindowStore = Stores.inMemoryWindowStore('w', 86_400_000, 60_000, false).get();
 * engine.init(context, engine);
 * engine.put(Buffer.from('a'), Buffer.from([1]), 60_000);
 * engine.fetch(Buffer.from('a'), 60_000); // <01>
 * ```
 */
export interface BytesWindowStore extends StateStore {
  /** How long windows are kept, measured back from the observed stream time. */
  readonly retentionMs: number;
  /** The size of the windows, so that returned windowed keys get their end. */
  readonly windowSizeMs: number;
  /** The time span of one segment: results are ordered by segment first. */
  readonly segmentIntervalMs: number;
  /** True when every put adds an entry (joins) rather than replacing the window's value. */
  readonly retainDuplicates: boolean;
  /** The largest window start put (or restored) so far; `-Infinity` before any. */
  readonly observedStreamTimeMs: number;
  put(key: Uint8Array, value: Uint8Array | null, windowStartMs: number): void;
  fetch(key: Uint8Array, windowStartMs: number): Uint8Array | null;
  /** One key's windows starting in `[timeFromMs, timeToMs]`, by start (descending when `backward`). */
  fetchKey(key: Uint8Array, timeFromMs: number, timeToMs: number, backward: boolean): WindowStoreIterator<Uint8Array>;
  /** Windows of keys in `[keyFrom, keyTo]` starting in `[timeFromMs, timeToMs]`, in store order (reversed when `backward`). */
  fetchRange(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    timeFromMs: number,
    timeToMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array>;
  /** See `CachedStateStore`; engines omit it, layers pass it down to a caching layer. */
  setFlushListener?(listener: CacheFlushListener<Windowed<Uint8Array>, Uint8Array>, sendOldValues: boolean): boolean;
}

/**
 * Supplies fresh window engines for one store name, one per task: what `Stores.inMemoryWindowStore` and
 * `Stores.persistentWindowStore` return.
 *
 * @example
 * ```ts
 * const supplier = Stores.persistentWindowStore('counts', 86_400_000, 60_000, false);
 * supplier.retentionMs; // 86400000
 * ```
 */
export interface WindowBytesStoreSupplier {
  readonly name: string;
  /** `'in-memory'` or `'sqlite'`. */
  readonly metricsScope: string;
  readonly retentionMs: number;
  readonly windowSizeMs: number;
  readonly segmentIntervalMs: number;
  readonly retainDuplicates: boolean;
  get(): BytesWindowStore;
}
