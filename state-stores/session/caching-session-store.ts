/**
 * The caching layer of session stores (Kafka Streams' CachingSessionStore): a bounded write-back cache in front of
 * the wrapped store, so a session updated (or merged away) many times between commits is written and forwarded once.
 */
import type { KeyValueIterator } from '../../src/state/key-value-store.js';
import type { BytesSessionStore } from '../../src/state/session-store.js';
import { sessionWindow } from '../../src/state/windowed.js';
import type { Window, Windowed } from '../../src/state/windowed.js';
import { emptyIterator } from '../abstract-key-value-iterator.js';
import { compareBytes } from '../compare-bytes.js';
import type { CacheSlot } from '../window/segmented-cache.js';
import { segmentIdOf } from '../window/segments.js';
import { CachingSegmentedStore } from '../windowed-common/caching-segmented-store.js';
import { checkTime } from '../windowed-common/segmented-engine.js';

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
export class CachingSessionStore extends CachingSegmentedStore<BytesSessionStore> implements BytesSessionStore {
  put(session: Windowed<Uint8Array>, aggregate: Uint8Array | null): void {
    this.assertOpen();
    const { startMs, endMs } = session.window;
    checkTime(this.name, startMs);
    checkTime(this.name, endMs);
    this.write(session.key, endMs, startMs, aggregate);
  }

  fetchSession(key: Uint8Array, startMs: number, endMs: number): Uint8Array | null {
    this.assertOpen();
    return this.read(key, endMs, startMs);
  }

  findSessions(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    earliestSessionEndMs: number,
    latestSessionStartMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array> {
    this.assertOpen();
    if (keyFrom !== null && keyTo !== null && compareBytes(keyFrom, keyTo) > 0) return emptyIterator();
    const from = this.liveFrom(earliestSessionEndMs);
    if (from === Infinity) return emptyIterator();
    const store = this.inner.findSessions(keyFrom, keyTo, from, latestSessionStartMs, backward);
    const scanned = this.cache.scan(keyFrom, keyTo, from, Infinity, backward);
    let cached = scanned;
    if (latestSessionStartMs !== Infinity) cached = scanned.filter((slot) => slot.t2 <= latestSessionStartMs);
    if (cached.length === 0) return store;
    const interval = this.inner.segmentIntervalMs;
    return this.mergeWindowed(cached, store, (slot, k) => {
      const { startMs, endMs } = k.window;
      const c =
        segmentIdOf(slot.t1, interval) - segmentIdOf(endMs, interval) ||
        compareBytes(slot.key, k.key) ||
        slot.t1 - endMs ||
        slot.t2 - startMs;
      return backward ? -c : c;
    });
  }

  protected fetchInner(key: Uint8Array, t1: number, t2: number): Uint8Array | null {
    return this.inner.fetchSession(key, t2, t1);
  }

  protected putInner(slot: CacheSlot, value: Uint8Array | null): void {
    this.inner.put({ key: slot.key, window: this.windowOf(slot) }, value);
  }

  protected windowOf(slot: CacheSlot): Window {
    return (slot.window ??= sessionWindow(slot.t2, slot.t1));
  }
}
