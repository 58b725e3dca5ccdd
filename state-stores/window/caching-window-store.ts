/**
 * The caching layer of window stores (Kafka Streams' CachingWindowStore): a bounded write-back cache in front of
 * the wrapped store, so a window updated many times between commits is written and forwarded once.
 */
import { StreamsError } from '../../src/errors.js';
import type { CacheFlushListener, KeyValue, KeyValueIterator } from '../../src/state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { BytesWindowStore, WindowStoreIterator } from '../../src/state/window-store.js';
import { timeWindow } from '../../src/state/windowed.js';
import type { Window, Windowed } from '../../src/state/windowed.js';
import { emptyIterator } from '../abstract-key-value-iterator.js';
import { compareBytes } from '../compare-bytes.js';
import { DelegatingStateStoreContext } from '../delegating-state-store-context.js';
import type { CachingOptions } from '../caching-key-value-store.js';
import { MergedCacheIterator, SegmentedCache } from './segmented-cache.js';
import type { CacheSlot } from './segmented-cache.js';
import { checkTime } from './segmented-window-store.js';
import { segmentIdOf } from './segments.js';

/**
 * A {@link BytesWindowStore} layer that buffers writes per (key, window start), bounded by `cacheMaxBytes` (the
 * context's at init unless given) with least-recently-used eviction.
 *
 * - Writes (a `null` value is a cached deletion) stay in the cache until `flush()` or eviction writes them to the
 *   wrapped store in the order of their last write, one write per window, with the timestamp of that write as the
 *   record timestamp the wrapped store (and so the changelog) sees. Each write then goes to the flush listener as
 *   `(windowedKey, newValue, oldValue, timestampMs)`; a deletion of a window the wrapped store never had is not
 *   forwarded, and not written either unless its start is past the wrapped store's observed stream time (so the
 *   engine and its changelog still learn how far time went). `oldValue` is the wrapped store's value when old values were requested, else `null`.
 * - Observed stream time is the largest window start put, cached or not; puts for expired windows (start at or
 *   before `observedStreamTimeMs - retentionMs`) are dropped, reads never return expired windows, cached entries of
 *   expired segments are dropped whole, and an expired dirty entry is neither written nor forwarded.
 * - Reads merge the cache with the wrapped store in the store's order (segment, key bytes, window start), the cache
 *   winning; point reads touch the LRU order, misses are not cached.
 * - Stores that retain duplicates (join stores) cannot be cached (`ILLEGAL_STATE`); Kafka Streams' builders
 *   disable caching for them, as `windowStoreLayers` does.
 * - `close()` drops the cache without flushing (the runtime flushes before a clean close).
 *
 * @example
 * ```ts
 * const store = new CachingWindowStore(new ChangeLoggingWindowStore(engine, false));
 * store.setFlushListener((key, newValue) => forward(key, newValue), false);
 * store.init(context, store);
 * store.put(k, Buffer.from([1]), 60_000);
 * store.put(k, Buffer.from([2]), 60_000);
 * store.flush(); // one changelog record and one listener call, both with <02>
 * ```
 */
export class CachingWindowStore implements BytesWindowStore {
  readonly #cache: SegmentedCache;
  #maxBytes = 0;
  #observedMs = -Infinity;
  #minLiveSegment = -Infinity;
  #context: StateStoreContext | null = null;
  #innerContext: FlushingContext | null = null;
  #listener: CacheFlushListener<Windowed<Uint8Array>, Uint8Array> | null = null;
  #sendOldValues = false;
  #evicting = false;
  #closed = false;

  constructor(
    private readonly inner: BytesWindowStore,
    private readonly options: CachingOptions = {},
  ) {
    if (inner.retainDuplicates) {
      throw new StreamsError('ILLEGAL_STATE', `window store "${inner.name}" retains duplicates and cannot be cached`);
    }
    this.#cache = new SegmentedCache(inner.segmentIntervalMs);
  }

  get name(): string {
    return this.inner.name;
  }
  get persistent(): boolean {
    return this.inner.persistent;
  }
  get isOpen(): boolean {
    return !this.#closed && this.inner.isOpen;
  }
  get retentionMs(): number {
    return this.inner.retentionMs;
  }
  get windowSizeMs(): number {
    return this.inner.windowSizeMs;
  }
  get segmentIntervalMs(): number {
    return this.inner.segmentIntervalMs;
  }
  get retainDuplicates(): boolean {
    return false;
  }
  get observedStreamTimeMs(): number {
    return Math.max(this.#observedMs, this.inner.observedStreamTimeMs);
  }
  /** Bytes the cache currently charges against its budget. */
  get cachedBytes(): number {
    return this.#cache.bytes;
  }
  /** Windows currently cached (clean and dirty). */
  get cachedEntries(): number {
    return this.#cache.size;
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.#context = context;
    this.#maxBytes = this.options.cacheMaxBytes ?? context.cacheMaxBytes;
    this.#innerContext = new FlushingContext(context);
    this.inner.init(this.#innerContext, root);
  }

  setFlushListener(listener: CacheFlushListener<Windowed<Uint8Array>, Uint8Array>, sendOldValues: boolean): boolean {
    this.#listener = listener;
    this.#sendOldValues = sendOldValues;
    return true;
  }

  put(key: Uint8Array, value: Uint8Array | null, windowStartMs: number): void {
    this.#assertOpen();
    checkTime(this.name, windowStartMs);
    if (windowStartMs > this.#observedMs) this.#advance(windowStartMs);
    if (windowStartMs <= this.observedStreamTimeMs - this.inner.retentionMs) return;
    this.#cache.write(key, windowStartMs, 0, value, this.#context!.recordTimestampMs);
    this.#evictIfNeeded();
  }

  fetch(key: Uint8Array, windowStartMs: number): Uint8Array | null {
    this.#assertOpen();
    if (windowStartMs <= this.observedStreamTimeMs - this.inner.retentionMs) return null;
    const slot = this.#cache.get(key, windowStartMs, 0);
    return slot !== undefined ? slot.value : this.inner.fetch(key, windowStartMs);
  }

  fetchKey(key: Uint8Array, timeFromMs: number, timeToMs: number, backward: boolean): WindowStoreIterator<Uint8Array> {
    this.#assertOpen();
    const from = Math.max(timeFromMs, this.observedStreamTimeMs - this.inner.retentionMs + 1);
    if (from > timeToMs) return emptyIterator();
    const store = this.inner.fetchKey(key, from, timeToMs, backward);
    const cached = this.#cache.scan(key, key, from, timeToMs, backward);
    if (cached.length === 0) return store;
    return new MergedCacheIterator(
      cached,
      store,
      backward ? (slot, startMs) => startMs - slot.t1 : (slot, startMs) => slot.t1 - startMs,
      toTimed,
    );
  }

  fetchRange(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    timeFromMs: number,
    timeToMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array> {
    this.#assertOpen();
    if (keyFrom !== null && keyTo !== null && compareBytes(keyFrom, keyTo) > 0) return emptyIterator();
    const from = Math.max(timeFromMs, this.observedStreamTimeMs - this.inner.retentionMs + 1);
    if (from > timeToMs) return emptyIterator();
    const store = this.inner.fetchRange(keyFrom, keyTo, from, timeToMs, backward);
    const cached = this.#cache.scan(keyFrom, keyTo, from, timeToMs, backward);
    if (cached.length === 0) return store;
    const interval = this.inner.segmentIntervalMs;
    const compare = (slot: CacheSlot, k: Windowed<Uint8Array>): number => {
      const startMs = k.window.startMs;
      const c = segmentIdOf(slot.t1, interval) - segmentIdOf(startMs, interval) || compareBytes(slot.key, k.key) || slot.t1 - startMs;
      return backward ? -c : c;
    };
    return new MergedCacheIterator(cached, store, compare, (slot) => ({ key: { key: slot.key, window: this.#windowOf(slot) }, value: slot.value! }));
  }

  flush(): void {
    this.#assertOpen();
    // Only what is dirty now: a listener writing back into this store is flushed next time.
    const cache = this.#cache;
    for (let n = cache.dirtyCount; n > 0 && cache.dirtyHead !== null; n--) {
      const slot = cache.dirtyHead;
      cache.unlinkDirty(slot);
      this.#flushSlot(slot);
      if (slot.value === null && !slot.dirty) cache.remove(slot);
    }
    this.inner.flush();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
    this.inner.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StreamsError('CLOSED', `state store "${this.name}" is closed`);
    if (this.#context === null) {
      throw new StreamsError('ILLEGAL_STATE', `state store "${this.name}" has not been initialised (call init first)`);
    }
  }

  #advance(windowStartMs: number): void {
    this.#observedMs = windowStartMs;
    const minLive = segmentIdOf(this.observedStreamTimeMs - this.inner.retentionMs, this.inner.segmentIntervalMs);
    if (minLive > this.#minLiveSegment) {
      this.#minLiveSegment = minLive;
      this.#cache.dropSegmentsBefore(minLive);
    }
  }

  #windowOf(slot: CacheSlot): Window {
    return (slot.window ??= timeWindow(slot.t1, slot.t1 + this.inner.windowSizeMs));
  }

  #evictIfNeeded(): void {
    if (this.#evicting) return;
    this.#evicting = true;
    const cache = this.#cache;
    try {
      while (cache.bytes > this.#maxBytes && cache.lruHead !== null) {
        const eldest = cache.lruHead;
        if (eldest.dirty) {
          cache.unlinkDirty(eldest);
          this.#flushSlot(eldest);
          // The listener wrote this window again: keep the new write and stop rather than lose it.
          if (eldest.dirty) break;
        }
        cache.remove(eldest);
      }
    } finally {
      this.#evicting = false;
    }
  }

  /** Writes one formerly dirty entry to the wrapped store and tells the listener, as Kafka Streams does. */
  #flushSlot(slot: CacheSlot): void {
    if (slot.t1 <= this.observedStreamTimeMs - this.inner.retentionMs) return;
    const newValue = slot.value;
    const oldValue = newValue === null || this.#sendOldValues ? this.inner.fetch(slot.key, slot.t1) : null;
    // A deletion of what the wrapped store never had is skipped, unless it is the newest write: it must still
    // advance the engine's (and the restored store's) observed stream time, so it is written but not forwarded.
    const isNoop = newValue === null && oldValue === null;
    if (isNoop && slot.t1 <= this.inner.observedStreamTimeMs) return;
    const context = this.#innerContext!;
    context.flushingTimestampMs = slot.timestampMs;
    try {
      this.inner.put(slot.key, newValue, slot.t1);
    } finally {
      context.flushingTimestampMs = undefined;
    }
    if (!isNoop) this.#listener?.({ key: slot.key, window: this.#windowOf(slot) }, newValue, this.#sendOldValues ? oldValue : null, slot.timestampMs);
  }
}

function toTimed(slot: CacheSlot): KeyValue<number, Uint8Array> {
  return { key: slot.t1, value: slot.value! };
}

/**
 * The context the wrapped store sees: while an entry is flushed, the record timestamp is that of its last write.
 *
 * @example
 * ```ts
 * const context = new FlushingContext(parent);
 * context.flushingTimestampMs = 42; // context.recordTimestampMs === 42 until reset to undefined
 * ```
 */
export class FlushingContext extends DelegatingStateStoreContext {
  flushingTimestampMs: number | undefined = undefined;

  override get recordTimestampMs(): number {
    return this.flushingTimestampMs ?? this.parent.recordTimestampMs;
  }
}
