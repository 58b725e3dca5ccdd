/**
 * The caching layer of window stores (Kafka Streams' CachingWindowStore): a bounded write-back cache in front of
 * the wrapped store, so a window updated many times between commits is written and forwarded once.
 */
import { StreamsError } from '../../src/errors.js';
import type { KeyValue, KeyValueIterator } from '../../src/state/key-value-store.js';
import type { BytesWindowStore, WindowStoreIterator } from '../../src/state/window-store.js';
import { timeWindow } from '../../src/state/windowed.js';
import type { Window, Windowed } from '../../src/state/windowed.js';
import { emptyIterator } from '../abstract-key-value-iterator.js';
import { compareBytes } from '../compare-bytes.js';
import type { CachingOptions } from '../caching-key-value-store.js';
import { CachingSegmentedStore } from '../windowed-common/caching-segmented-store.js';
import { checkTime } from '../windowed-common/segmented-engine.js';
import { MergedCacheIterator } from './segmented-cache.js';
import type { CacheSlot } from './segmented-cache.js';
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
export class CachingWindowStore extends CachingSegmentedStore<BytesWindowStore> implements BytesWindowStore {
  constructor(inner: BytesWindowStore, options: CachingOptions = {}) {
    if (inner.retainDuplicates) {
      throw new StreamsError('ILLEGAL_STATE', `window store "${inner.name}" retains duplicates and cannot be cached`);
    }
    super(inner, options);
  }

  get windowSizeMs(): number {
    return this.inner.windowSizeMs;
  }
  get retainDuplicates(): boolean {
    return false;
  }

  put(key: Uint8Array, value: Uint8Array | null, windowStartMs: number): void {
    this.assertOpen();
    checkTime(this.name, windowStartMs);
    this.write(key, windowStartMs, 0, value);
  }

  fetch(key: Uint8Array, windowStartMs: number): Uint8Array | null {
    this.assertOpen();
    return this.read(key, windowStartMs, 0);
  }

  fetchKey(key: Uint8Array, timeFromMs: number, timeToMs: number, backward: boolean): WindowStoreIterator<Uint8Array> {
    this.assertOpen();
    const from = this.liveFrom(timeFromMs);
    if (from > timeToMs) return emptyIterator();
    const store = this.inner.fetchKey(key, from, timeToMs, backward);
    const cached = this.cache.scan(key, key, from, timeToMs, backward);
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
    this.assertOpen();
    if (keyFrom !== null && keyTo !== null && compareBytes(keyFrom, keyTo) > 0) return emptyIterator();
    const from = this.liveFrom(timeFromMs);
    if (from > timeToMs) return emptyIterator();
    const store = this.inner.fetchRange(keyFrom, keyTo, from, timeToMs, backward);
    const cached = this.cache.scan(keyFrom, keyTo, from, timeToMs, backward);
    if (cached.length === 0) return store;
    const interval = this.inner.segmentIntervalMs;
    return this.mergeWindowed(cached, store, (slot, k) => {
      const startMs = k.window.startMs;
      const c = segmentIdOf(slot.t1, interval) - segmentIdOf(startMs, interval) || compareBytes(slot.key, k.key) || slot.t1 - startMs;
      return backward ? -c : c;
    });
  }

  protected fetchInner(key: Uint8Array, t1: number): Uint8Array | null {
    return this.inner.fetch(key, t1);
  }

  protected putInner(slot: CacheSlot, value: Uint8Array | null): void {
    this.inner.put(slot.key, value, slot.t1);
  }

  protected windowOf(slot: CacheSlot): Window {
    return (slot.window ??= timeWindow(slot.t1, slot.t1 + this.inner.windowSizeMs));
  }
}

function toTimed(slot: CacheSlot): KeyValue<number, Uint8Array> {
  return { key: slot.t1, value: slot.value! };
}
