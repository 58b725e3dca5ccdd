/**
 * What the window and session caching layers share: a bounded write-back {@link SegmentedCache} in front of a
 * segmented bytes store, flushed in write order, with retention by observed stream time.
 */
import { StreamsError } from '../../src/errors.js';
import type { CacheFlushListener, KeyValueIterator } from '../../src/state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { Window, Windowed } from '../../src/state/windowed.js';
import type { CachingOptions } from '../caching-key-value-store.js';
import { CacheHitCounter } from '../cache-stats.js';
import { DelegatingStateStoreContext } from '../delegating-state-store-context.js';
import { MergedCacheIterator, SegmentedCache } from '../window/segmented-cache.js';
import type { CacheSlot } from '../window/segmented-cache.js';
import { segmentIdOf } from '../window/segments.js';

/**
 * The part of a window or session bytes store the caching layer relies on.
 *
 * @example
 * ```ts
 * const inner: SegmentedBytesStore = engine; // a BytesWindowStore or a BytesSessionStore
 * ```
 */
export interface SegmentedBytesStore extends StateStore {
  readonly retentionMs: number;
  readonly segmentIntervalMs: number;
  readonly observedStreamTimeMs: number;
}

/**
 * The base of the window and session caching layers. Entries are cached by (key, t1, t2), `t1` being the time the
 * wrapped store segments by (window start, session end). Writes stay cached until `flush()` or least-recently-used
 * eviction (past `cacheMaxBytes`) writes them to the wrapped store in the order of their last write, each with that
 * write's timestamp as the record timestamp, then hands them to the flush listener; a deletion of what the wrapped
 * store never had is not forwarded, and only written when its `t1` is past the wrapped store's observed stream
 * time. Observed stream time is the largest `t1` put; entries at or before `observedStreamTimeMs - retentionMs`
 * are dropped. `close()` drops the cache without flushing.
 *
 * @example
 * ```ts
 * class MyCachingStore extends CachingSegmentedStore<BytesWindowStore> {
 *   protected fetchInner(key: Uint8Array, t1: number): Uint8Array | null { return this.inner.fetch(key, t1); }
 *   protected putInner(slot: CacheSlot, value: Uint8Array | null): void { this.inner.put(slot.key, value, slot.t1); }
 *   protected windowOf(slot: CacheSlot): Window { return (slot.window ??= timeWindow(slot.t1, slot.t1 + 10)); }
 * }
 * ```
 */
export abstract class CachingSegmentedStore<S extends SegmentedBytesStore> implements StateStore {
  protected readonly cache: SegmentedCache;
  #maxBytes = 0;
  #observedMs = -Infinity;
  #minLiveSegment = -Infinity;
  #context: StateStoreContext | null = null;
  #innerContext: FlushingContext | null = null;
  #listener: CacheFlushListener<Windowed<Uint8Array>, Uint8Array> | null = null;
  #sendOldValues = false;
  #evicting = false;
  #closed = false;
  /** Hits and misses of point reads (`fetch(key, time)`, `fetchSession`), for the hit-ratio metric. */
  readonly cacheStats = new CacheHitCounter();

  constructor(
    protected readonly inner: S,
    private readonly options: CachingOptions = {},
  ) {
    this.cache = new SegmentedCache(inner.segmentIntervalMs);
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
    return this.cache.bytes;
  }
  /** Entries (windows or sessions) currently cached, clean and dirty. */
  get cachedEntries(): number {
    return this.cache.size;
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

  flush(): void {
    this.assertOpen();
    // Only what is dirty now: a listener writing back into this store is flushed next time.
    const cache = this.cache;
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
    this.cache.clear();
    this.inner.close();
  }

  /** The wrapped store's value of (key, t1, t2). */
  protected abstract fetchInner(key: Uint8Array, t1: number, t2: number): Uint8Array | null;
  /** Writes a flushed entry to the wrapped store. */
  protected abstract putInner(slot: CacheSlot, value: Uint8Array | null): void;
  /** The window of a cached entry (kept on the slot once made). */
  protected abstract windowOf(slot: CacheSlot): Window;

  /** Throws `CLOSED` after close, `ILLEGAL_STATE` before init. */
  protected assertOpen(): void {
    if (this.#closed) throw new StreamsError('CLOSED', `state store "${this.name}" is closed`);
    if (this.#context === null) {
      throw new StreamsError('ILLEGAL_STATE', `state store "${this.name}" has not been initialised (call init first)`);
    }
  }

  /** Whether an entry of time `t1` is past retention. */
  protected isExpired(t1: number): boolean {
    return t1 <= this.observedStreamTimeMs - this.inner.retentionMs;
  }

  /** The first live time at or after `timeFromMs`. */
  protected liveFrom(timeFromMs: number): number {
    return Math.max(timeFromMs, this.observedStreamTimeMs - this.inner.retentionMs + 1);
  }

  /** Caches a write of (key, t1, t2) (advancing observed stream time to `t1`), then evicts past the budget. */
  protected write(key: Uint8Array, t1: number, t2: number, value: Uint8Array | null): void {
    if (t1 > this.#observedMs) this.#advance(t1);
    if (this.isExpired(t1)) return;
    this.cache.write(key, t1, t2, value, this.#context!.recordTimestampMs);
    this.#evictIfNeeded();
  }

  /** The value of (key, t1, t2): the cached one, else the wrapped store's; `null` once expired. */
  protected read(key: Uint8Array, t1: number, t2: number): Uint8Array | null {
    if (this.isExpired(t1)) return null;
    const slot = this.cache.get(key, t1, t2);
    if (slot !== undefined) {
      this.cacheStats.hits++;
      return slot.value;
    }
    this.cacheStats.misses++;
    return this.fetchInner(key, t1, t2);
  }

  /** Merges cached entries (in scan order) with a wrapped store's windowed iterator; the cache wins on ties. */
  protected mergeWindowed(
    cached: CacheSlot[],
    store: KeyValueIterator<Windowed<Uint8Array>, Uint8Array>,
    compare: (slot: CacheSlot, key: Windowed<Uint8Array>) => number,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array> {
    return new MergedCacheIterator(cached, store, compare, (slot) => ({ key: { key: slot.key, window: this.windowOf(slot) }, value: slot.value! }));
  }

  #advance(t1: number): void {
    this.#observedMs = t1;
    const minLive = segmentIdOf(this.observedStreamTimeMs - this.inner.retentionMs, this.inner.segmentIntervalMs);
    if (minLive > this.#minLiveSegment) {
      this.#minLiveSegment = minLive;
      this.cache.dropSegmentsBefore(minLive);
    }
  }

  #evictIfNeeded(): void {
    if (this.#evicting) return;
    this.#evicting = true;
    const cache = this.cache;
    try {
      while (cache.bytes > this.#maxBytes && cache.lruHead !== null) {
        const eldest = cache.lruHead;
        if (eldest.dirty) {
          cache.unlinkDirty(eldest);
          this.#flushSlot(eldest);
          // The listener wrote this entry again: keep the new write and stop rather than lose it.
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
    if (this.isExpired(slot.t1)) return;
    const newValue = slot.value;
    const oldValue = newValue === null || this.#sendOldValues ? this.fetchInner(slot.key, slot.t1, slot.t2) : null;
    // A deletion of what the wrapped store never had is skipped, unless it is the newest write: it must still
    // advance the engine's (and the restored store's) observed stream time, so it is written but not forwarded.
    const isNoop = newValue === null && oldValue === null;
    if (isNoop && slot.t1 <= this.inner.observedStreamTimeMs) return;
    const context = this.#innerContext!;
    context.flushingTimestampMs = slot.timestampMs;
    try {
      this.putInner(slot, newValue);
    } finally {
      context.flushingTimestampMs = undefined;
    }
    if (!isNoop) this.#listener?.({ key: slot.key, window: this.windowOf(slot) }, newValue, this.#sendOldValues ? oldValue : null, slot.timestampMs);
  }
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
