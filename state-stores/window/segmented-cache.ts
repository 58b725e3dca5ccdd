/**
 * The write cache under the window and session caching layers: entries keyed (key bytes, t1, t2) kept in the
 * engines' order (segment of t1, then key bytes, then t1, then t2), with LRU and dirty (write-order) lists and a
 * byte count, so a layer can bound it, flush it in write order and merge it with the wrapped store's scans.
 */
import type { KeyValue, KeyValueIterator } from '../../src/state/key-value-store.js';
import type { Window } from '../../src/state/windowed.js';
import { AbstractKeyValueIterator } from '../abstract-key-value-iterator.js';
import { BytesBTree } from '../bytes-b-tree.js';
import { lowerBoundByTimes, segmentIdOf } from './segments.js';

// Bytes charged per entry on top of its key and value: object, two times, tree slot and list links, roughly.
const ENTRY_OVERHEAD_BYTES = 80;

/**
 * One cached (key, t1, t2) entry: its latest value (`null` is a cached deletion), the timestamp of its last write,
 * and whether it still has to be written to the wrapped store (`dirty`).
 *
 * @example
 * ```ts
 * const slot = cache.get(Buffer.from('k'), 60_000, 0);
 * slot?.value; // the cached bytes, or null for a cached deletion
 * ```
 */
export class CacheSlot {
  lruPrev: CacheSlot | null = null;
  lruNext: CacheSlot | null = null;
  dirtyPrev: CacheSlot | null = null;
  dirtyNext: CacheSlot | null = null;
  dirty = false;
  /** False once the slot left the cache (evicted, dropped with its segment, or the cache was cleared). */
  isCached = true;
  sizeBytes: number;
  /** The window of this entry, made on first read (window stores) or at the put (session stores). */
  window: Window | null = null;

  constructor(
    readonly key: Uint8Array,
    readonly t1: number,
    readonly t2: number,
    public value: Uint8Array | null,
    public timestampMs: number,
  ) {
    this.sizeBytes = key.length + (value === null ? 0 : value.length) + ENTRY_OVERHEAD_BYTES;
  }
}

/**
 * The ordered, bounded-by-its-owner write cache of the windowed caching layers: `Map<segmentId, BytesBTree<slots
 * sorted by (t1, t2)>>`, the same shape as the in-memory segments, so a scan comes out in the engines' order.
 *
 * The cache only keeps the lists and the byte count; the layer decides when to evict (`lruHead`) and what a flush
 * writes (`dirtyHead`). Scans return snapshots (arrays), so writes made while a merged iterator is open never shift
 * it.
 *
 * @example
 * ```ts
 * const cache = new SegmentedCache(60_000);
 * cache.write(Buffer.from('k'), 60_000, 0, Buffer.from([1]), 5);
 * cache.scan(null, null, 0, 120_000, false).length; // 1
 * ```
 */
export class SegmentedCache {
  readonly #segments = new Map<number, BytesBTree<CacheSlot[]>>();
  #lruHead: CacheSlot | null = null;
  #lruTail: CacheSlot | null = null;
  #dirtyHead: CacheSlot | null = null;
  #dirtyTail: CacheSlot | null = null;
  #dirtyCount = 0;
  #size = 0;
  #bytes = 0;

  constructor(readonly segmentIntervalMs: number) {}

  /** Bytes charged against the budget. */
  get bytes(): number {
    return this.#bytes;
  }
  /** Entries cached (clean and dirty). */
  get size(): number {
    return this.#size;
  }
  /** Entries not yet written to the wrapped store. */
  get dirtyCount(): number {
    return this.#dirtyCount;
  }
  /** The least recently used entry: the next to evict. */
  get lruHead(): CacheSlot | null {
    return this.#lruHead;
  }
  /** The dirty entry written longest ago: the next to flush. */
  get dirtyHead(): CacheSlot | null {
    return this.#dirtyHead;
  }

  /** The cached entry of (key, t1, t2), touched as most recently used; `undefined` on a miss. */
  get(key: Uint8Array, t1: number, t2: number): CacheSlot | undefined {
    const slots = this.#segments.get(segmentIdOf(t1, this.segmentIntervalMs))?.get(key);
    if (slots === undefined) return undefined;
    const slot = slots[lowerBoundByTimes(slots, t1, t2)];
    if (slot === undefined || slot.t1 !== t1 || slot.t2 !== t2) return undefined;
    this.#touch(slot);
    return slot;
  }

  /** Caches a write of (key, t1, t2) as dirty and most recently used, moving it to the end of the dirty list. */
  write(key: Uint8Array, t1: number, t2: number, value: Uint8Array | null, timestampMs: number): CacheSlot {
    const id = segmentIdOf(t1, this.segmentIntervalMs);
    let tree = this.#segments.get(id);
    if (tree === undefined) {
      tree = new BytesBTree<CacheSlot[]>();
      this.#segments.set(id, tree);
    }
    let slots = tree.get(key);
    if (slots === undefined) {
      slots = [];
      tree.set(key, slots);
    }
    const i = lowerBoundByTimes(slots, t1, t2);
    let slot = slots[i];
    if (slot !== undefined && slot.t1 === t1 && slot.t2 === t2) {
      const sizeBytes = slot.key.length + (value === null ? 0 : value.length) + ENTRY_OVERHEAD_BYTES;
      this.#bytes += sizeBytes - slot.sizeBytes;
      slot.sizeBytes = sizeBytes;
      slot.value = value;
      slot.timestampMs = timestampMs;
      this.#touch(slot);
      if (slot.dirty) this.unlinkDirty(slot);
    } else {
      slot = new CacheSlot(key, t1, t2, value, timestampMs);
      slots.splice(i, 0, slot);
      this.#size++;
      this.#bytes += slot.sizeBytes;
      slot.lruPrev = this.#lruTail;
      if (this.#lruTail !== null) this.#lruTail.lruNext = slot;
      else this.#lruHead = slot;
      this.#lruTail = slot;
    }
    this.#appendDirty(slot);
    return slot;
  }

  /** Takes a slot off the dirty list (before writing it to the wrapped store). */
  unlinkDirty(slot: CacheSlot): void {
    const { dirtyPrev, dirtyNext } = slot;
    if (dirtyPrev !== null) dirtyPrev.dirtyNext = dirtyNext;
    else this.#dirtyHead = dirtyNext;
    if (dirtyNext !== null) dirtyNext.dirtyPrev = dirtyPrev;
    else this.#dirtyTail = dirtyPrev;
    slot.dirtyPrev = slot.dirtyNext = null;
    slot.dirty = false;
    this.#dirtyCount--;
  }

  /** Removes a slot from the cache (no-op when it already left). */
  remove(slot: CacheSlot): void {
    if (!slot.isCached) return;
    const id = segmentIdOf(slot.t1, this.segmentIntervalMs);
    const tree = this.#segments.get(id)!;
    const slots = tree.get(slot.key)!;
    slots.splice(slots.indexOf(slot), 1);
    if (slots.length === 0) {
      tree.delete(slot.key);
      if (tree.size === 0) this.#segments.delete(id);
    }
    this.#unlinkAll(slot);
  }

  /** Drops every segment with an id below `segmentId` whole, dirty entries too (they are expired). */
  dropSegmentsBefore(segmentId: number): void {
    for (const [id, tree] of this.#segments) {
      if (id >= segmentId) continue;
      this.#segments.delete(id);
      const cursor = tree.cursor(null, true, null, true, false);
      while (cursor.advance()) for (const slot of cursor.value!) this.#unlinkAll(slot);
    }
  }

  /**
   * The cached entries (deletions included) with key in `[keyFrom, keyTo]` (null = open) and t1 in
   * `[t1From, t1To]`, in the engines' order (reversed when `backward`), as a snapshot.
   */
  scan(keyFrom: Uint8Array | null, keyTo: Uint8Array | null, t1From: number, t1To: number, backward: boolean): CacheSlot[] {
    const out: CacheSlot[] = [];
    if (this.#size === 0 || t1From > t1To) return out;
    const lo = t1From === -Infinity ? -Infinity : segmentIdOf(t1From, this.segmentIntervalMs);
    const hi = t1To === Infinity ? Infinity : segmentIdOf(t1To, this.segmentIntervalMs);
    const ids: number[] = [];
    for (const id of this.#segments.keys()) if (id >= lo && id <= hi) ids.push(id);
    ids.sort((a, b) => (backward ? b - a : a - b));
    for (const id of ids) {
      const cursor = this.#segments.get(id)!.cursor(keyFrom, true, keyTo, true, backward);
      while (cursor.advance()) {
        const slots = cursor.value!;
        if (backward) {
          for (let i = slots.length - 1; i >= 0; i--) {
            const s = slots[i]!;
            if (s.t1 >= t1From && s.t1 <= t1To) out.push(s);
          }
        } else {
          for (const s of slots) if (s.t1 >= t1From && s.t1 <= t1To) out.push(s);
        }
      }
    }
    return out;
  }

  /** Empties the cache without writing anything. */
  clear(): void {
    for (let s = this.#lruHead; s !== null; s = s.lruNext) s.isCached = false;
    this.#segments.clear();
    this.#lruHead = this.#lruTail = this.#dirtyHead = this.#dirtyTail = null;
    this.#dirtyCount = 0;
    this.#size = 0;
    this.#bytes = 0;
  }

  #unlinkAll(slot: CacheSlot): void {
    slot.isCached = false;
    this.#size--;
    this.#bytes -= slot.sizeBytes;
    if (slot.dirty) this.unlinkDirty(slot);
    const { lruPrev, lruNext } = slot;
    if (lruPrev !== null) lruPrev.lruNext = lruNext;
    else this.#lruHead = lruNext;
    if (lruNext !== null) lruNext.lruPrev = lruPrev;
    else this.#lruTail = lruPrev;
    slot.lruPrev = slot.lruNext = null;
  }

  #touch(slot: CacheSlot): void {
    if (slot === this.#lruTail) return;
    const { lruPrev, lruNext } = slot;
    if (lruPrev !== null) lruPrev.lruNext = lruNext;
    else this.#lruHead = lruNext;
    lruNext!.lruPrev = lruPrev;
    slot.lruPrev = this.#lruTail;
    slot.lruNext = null;
    this.#lruTail!.lruNext = slot;
    this.#lruTail = slot;
  }

  #appendDirty(slot: CacheSlot): void {
    slot.dirty = true;
    slot.dirtyPrev = this.#dirtyTail;
    slot.dirtyNext = null;
    if (this.#dirtyTail !== null) this.#dirtyTail.dirtyNext = slot;
    else this.#dirtyHead = slot;
    this.#dirtyTail = slot;
    this.#dirtyCount++;
  }
}

/**
 * Merges a cache snapshot with the wrapped store's iterator in the same order: `compare(slot, storeKey)` says
 * which comes first (negative: the slot, in the iteration's direction); on a tie the cache wins and its deletions
 * hide the store's entry. `toEntry` turns a live slot into the entry to return.
 *
 * @example
 * ```ts
 * new MergedCacheIterator(cache.scan(k, k, 0, 100, false), inner.fetchKey(k, 0, 100, false),
 *   (slot, start) => slot.t1 - start, (slot) => ({ key: slot.t1, value: slot.value! }));
 * ```
 */
export class MergedCacheIterator<K> extends AbstractKeyValueIterator<K, Uint8Array> {
  #i = 0;

  constructor(
    private readonly cached: readonly CacheSlot[],
    private readonly store: KeyValueIterator<K, Uint8Array>,
    private readonly compare: (slot: CacheSlot, storeKey: K) => number,
    private readonly toEntry: (slot: CacheSlot) => KeyValue<K, Uint8Array>,
  ) {
    super();
  }

  protected fetchNext(): KeyValue<K, Uint8Array> | undefined {
    for (;;) {
      const slot = this.cached[this.#i];
      const storeKey = this.store.peekNextKey();
      if (slot === undefined) {
        if (storeKey === undefined) return undefined;
        const result = this.store.next();
        return result.done === true ? undefined : result.value;
      }
      if (storeKey !== undefined) {
        const c = this.compare(slot, storeKey);
        if (c > 0) {
          const result = this.store.next();
          return result.done === true ? undefined : result.value;
        }
        if (c === 0) this.store.next();
      }
      this.#i++;
      // The snapshot's value, read now: a write since the scan shows (as it would in the wrapped store).
      if (slot.value !== null) return this.toEntry(slot);
    }
  }

  protected override onClose(): void {
    this.store.close();
  }
}
