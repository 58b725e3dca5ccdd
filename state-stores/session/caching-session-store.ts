/**
 * The caching layer of session stores (Kafka Streams' CachingSessionStore): a bounded write-back cache in front of
 * the wrapped store, so a session updated (or merged away) many times between commits is written and forwarded once.
 */
import { StreamsError } from '../../src/errors.js';
import type { CacheFlushListener, KeyValueIterator } from '../../src/state/key-value-store.js';
import type { BytesSessionStore } from '../../src/state/session-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import { sessionWindow } from '../../src/state/windowed.js';
import type { Window, Windowed } from '../../src/state/windowed.js';
import { emptyIterator } from '../abstract-key-value-iterator.js';
import type { CachingOptions } from '../caching-key-value-store.js';
import { compareBytes } from '../compare-bytes.js';
import { FlushingContext } from '../window/caching-window-store.js';
import { MergedCacheIterator, SegmentedCache } from '../window/segmented-cache.js';
import type { CacheSlot } from '../window/segmented-cache.js';
import { checkTime } from '../window/segmented-window-store.js';
import { segmentIdOf } from '../window/segments.js';

/**
 * A {@link BytesSessionStore} layer that buffers writes per (key, session), bounded by `cacheMaxBytes` (the
 * context's at init unless given) with least-recently-used eviction.
 *
 * - Writes (a `null` aggregate removes the session) stay in the cache until `flush()` or eviction writes them to
 *   the wrapped store in the order of their last write, one write per session, with that write's timestamp as the
 *   record timestamp the wrapped store sees; each then goes to the flush listener as `(session, newValue,
 *   oldValue, timestampMs)`. Removing a session the wrapped store never had is not forwarded (nor written, unless
 *   its end is past the wrapped store's observed stream time, which it then advances).
 * - Observed stream time is the largest session end put, cached or not; sessions ending at or before
 *   `observedStreamTimeMs - retentionMs` are dropped on put, never returned, and not written when they expire
 *   while cached.
 * - `findSessions` merges the cache with the wrapped store in the store's order (segment of the end, key bytes,
 *   end, start), the cache winning; `fetchSession` touches the LRU order, misses are not cached.
 * - `close()` drops the cache without flushing (the runtime flushes before a clean close).
 *
 * @example
 * ```ts
 * const store = new CachingSessionStore(new ChangeLoggingSessionStore(engine));
 * store.setFlushListener((session, newValue, oldValue) => forward(session, newValue, oldValue), true);
 * store.init(context, store);
 * store.put({ key: k, window: sessionWindow(0, 10) }, Buffer.from([1]));
 * store.flush(); // one changelog record and one listener call
 * ```
 */
export class CachingSessionStore implements BytesSessionStore {
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
    private readonly inner: BytesSessionStore,
    private readonly options: CachingOptions = {},
  ) {
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
  get segmentIntervalMs(): number {
    return this.inner.segmentIntervalMs;
  }
  get observedStreamTimeMs(): number {
    return Math.max(this.#observedMs, this.inner.observedStreamTimeMs);
  }
  /** Bytes the cache currently charges against its budget. */
  get cachedBytes(): number {
    return this.#cache.bytes;
  }
  /** Sessions currently cached (clean and dirty). */
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

  put(session: Windowed<Uint8Array>, aggregate: Uint8Array | null): void {
    this.#assertOpen();
    const { startMs, endMs } = session.window;
    checkTime(this.name, startMs);
    checkTime(this.name, endMs);
    if (endMs > this.#observedMs) this.#advance(endMs);
    if (endMs <= this.observedStreamTimeMs - this.inner.retentionMs) return;
    this.#cache.write(session.key, endMs, startMs, aggregate, this.#context!.recordTimestampMs);
    this.#evictIfNeeded();
  }

  fetchSession(key: Uint8Array, startMs: number, endMs: number): Uint8Array | null {
    this.#assertOpen();
    if (endMs <= this.observedStreamTimeMs - this.inner.retentionMs) return null;
    const slot = this.#cache.get(key, endMs, startMs);
    return slot !== undefined ? slot.value : this.inner.fetchSession(key, startMs, endMs);
  }

  findSessions(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    earliestSessionEndMs: number,
    latestSessionStartMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array> {
    this.#assertOpen();
    if (keyFrom !== null && keyTo !== null && compareBytes(keyFrom, keyTo) > 0) return emptyIterator();
    const from = Math.max(earliestSessionEndMs, this.observedStreamTimeMs - this.inner.retentionMs + 1);
    if (from === Infinity) return emptyIterator();
    const store = this.inner.findSessions(keyFrom, keyTo, from, latestSessionStartMs, backward);
    const scanned = this.#cache.scan(keyFrom, keyTo, from, Infinity, backward);
    let cached = scanned;
    if (latestSessionStartMs !== Infinity) cached = scanned.filter((slot) => slot.t2 <= latestSessionStartMs);
    if (cached.length === 0) return store;
    const interval = this.inner.segmentIntervalMs;
    const compare = (slot: CacheSlot, k: Windowed<Uint8Array>): number => {
      const { startMs, endMs } = k.window;
      const c =
        segmentIdOf(slot.t1, interval) - segmentIdOf(endMs, interval) ||
        compareBytes(slot.key, k.key) ||
        slot.t1 - endMs ||
        slot.t2 - startMs;
      return backward ? -c : c;
    };
    return new MergedCacheIterator(cached, store, compare, (slot) => ({ key: { key: slot.key, window: windowOf(slot) }, value: slot.value! }));
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

  #advance(endMs: number): void {
    this.#observedMs = endMs;
    const minLive = segmentIdOf(this.observedStreamTimeMs - this.inner.retentionMs, this.inner.segmentIntervalMs);
    if (minLive > this.#minLiveSegment) {
      this.#minLiveSegment = minLive;
      this.#cache.dropSegmentsBefore(minLive);
    }
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
          // The listener wrote this session again: keep the new write and stop rather than lose it.
          if (eldest.dirty) break;
        }
        cache.remove(eldest);
      }
    } finally {
      this.#evicting = false;
    }
  }

  /** Writes one formerly dirty session to the wrapped store and tells the listener, as Kafka Streams does. */
  #flushSlot(slot: CacheSlot): void {
    if (slot.t1 <= this.observedStreamTimeMs - this.inner.retentionMs) return;
    const newValue = slot.value;
    const oldValue = newValue === null || this.#sendOldValues ? this.inner.fetchSession(slot.key, slot.t2, slot.t1) : null;
    // A deletion of what the wrapped store never had is skipped, unless it is the newest write: it must still
    // advance the engine's (and the restored store's) observed stream time, so it is written but not forwarded.
    const isNoop = newValue === null && oldValue === null;
    if (isNoop && slot.t1 <= this.inner.observedStreamTimeMs) return;
    const session: Windowed<Uint8Array> = { key: slot.key, window: windowOf(slot) };
    const context = this.#innerContext!;
    context.flushingTimestampMs = slot.timestampMs;
    try {
      this.inner.put(session, newValue);
    } finally {
      context.flushingTimestampMs = undefined;
    }
    if (!isNoop) this.#listener?.(session, newValue, this.#sendOldValues ? oldValue : null, slot.timestampMs);
  }
}

function windowOf(slot: CacheSlot): Window {
  return (slot.window ??= sessionWindow(slot.t2, slot.t1));
}
