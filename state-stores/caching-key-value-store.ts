/**
 * The caching layer: a bounded, ordered write-back cache in front of the wrapped store. Writes between two flushes
 * collapse to one write per key, and the flush listener sees only the latest value of each key.
 */
import { StreamsError } from '../src/errors.js';
import type { BytesKeyValueStore, CacheFlushListener, KeyValue, KeyValueIterator } from '../src/state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../src/state/state-store.js';
import { AbstractKeyValueIterator, emptyIterator } from './abstract-key-value-iterator.js';
import { BytesBTree } from './bytes-b-tree.js';
import type { BTreeCursor } from './bytes-b-tree.js';
import { BytesHashIndex } from './bytes-hash-index.js';
import { CacheHitCounter } from './cache-stats.js';
import type { HashIndexed } from './bytes-hash-index.js';
import { compareBytes, prefixEnd } from './compare-bytes.js';
import { DelegatingStateStoreContext } from './delegating-state-store-context.js';

// Bytes charged per entry on top of its key and value: object, tree slot, hash bucket and list links, roughly.
const ENTRY_OVERHEAD_BYTES = 64;

class CacheEntry implements HashIndexed<CacheEntry> {
  hash = 0;
  hashNext: CacheEntry | null = null;
  lruPrev: CacheEntry | null = null;
  lruNext: CacheEntry | null = null;
  dirtyPrev: CacheEntry | null = null;
  dirtyNext: CacheEntry | null = null;
  dirty = false;
  /** What the entry charges against the budget; kept up to date so eviction need not touch the key and value. */
  sizeBytes: number;

  constructor(
    readonly key: Uint8Array,
    public value: Uint8Array | null,
    public timestampMs: number,
  ) {
    this.sizeBytes = key.length + (value === null ? 0 : value.length) + ENTRY_OVERHEAD_BYTES;
  }
}

/**
 * Options of {@link CachingKeyValueStore}.
 *
 * @example
 * ```ts
 * const options: CachingOptions = { cacheMaxBytes: 1 << 20 };
 * ```
 */
export interface CachingOptions {
  /** The cache's byte budget; by default the context's `cacheMaxBytes` at init. */
  readonly cacheMaxBytes?: number;
}

/**
 * A {@link BytesKeyValueStore} layer that caches reads and buffers writes, bounded by `cacheMaxBytes` (key + value
 * + a fixed overhead per entry) with least-recently-used eviction.
 *
 * - Reads look in the cache first; a miss reads the wrapped store and caches what it found.
 * - Writes (a `null` value or `delete` is a cached tombstone) stay in the cache, marked dirty, until `flush()` or
 *   eviction writes them to the wrapped store, in the order of their last write, one write per key.
 * - Each written entry goes to the flush listener as `(key, newValue, oldValue, timestampMs)` with the timestamp of
 *   its last write (`context.recordTimestampMs` then), which is also the timestamp the wrapped store sees, so its
 *   changelog record carries it. A tombstone for a key the wrapped store never had is neither written nor forwarded.
 * - Ranges merge the cache with the wrapped store, the cache winning; they do not change the LRU order.
 * - `approximateNumEntries()` is the wrapped store's (unflushed entries are not counted); `close()` drops the cache
 *   without flushing (the runtime flushes before a clean close).
 *
 * @example
 * ```ts
 * const store = new CachingKeyValueStore(new ChangeLoggingKeyValueStore(new InMemoryKeyValueStore('counts')));
 * store.setFlushListener((key, newValue) => forward(key, newValue), false);
 * store.init(context, store);
 * store.put(k, Buffer.from([1]));
 * store.put(k, Buffer.from([2]));
 * store.flush(); // one changelog record and one listener call, both with <02>
 * ```
 */
export class CachingKeyValueStore implements BytesKeyValueStore {
  // Every entry is in both: the tree orders them for ranges, the index finds them for point reads and writes.
  readonly #tree = new BytesBTree<CacheEntry>();
  readonly #index = new BytesHashIndex<CacheEntry>();
  #lruHead: CacheEntry | null = null;
  #lruTail: CacheEntry | null = null;
  #dirtyHead: CacheEntry | null = null;
  #dirtyTail: CacheEntry | null = null;
  #dirtyCount = 0;
  #bytes = 0;
  #maxBytes = 0;
  #context: StateStoreContext | null = null;
  #innerContext: FlushingContext | null = null;
  #listener: CacheFlushListener<Uint8Array, Uint8Array> | null = null;
  #sendOldValues = false;
  #evicting = false;
  #closed = false;
  /** Hits and misses of point reads (`get`, and the reads of `putIfAbsent` and `delete`), for the hit-ratio metric. */
  readonly cacheStats = new CacheHitCounter();

  constructor(
    private readonly inner: BytesKeyValueStore,
    private readonly options: CachingOptions = {},
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get persistent(): boolean {
    return this.inner.persistent;
  }

  get isOpen(): boolean {
    return !this.#closed && this.inner.isOpen;
  }

  /** Bytes the cache currently charges against its budget. */
  get cachedBytes(): number {
    return this.#bytes;
  }

  /** Entries currently cached (clean and dirty). */
  get cachedEntries(): number {
    return this.#tree.size;
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.#context = context;
    this.#maxBytes = this.options.cacheMaxBytes ?? context.cacheMaxBytes;
    this.#innerContext = new FlushingContext(context);
    this.inner.init(this.#innerContext, root);
  }

  setFlushListener(listener: CacheFlushListener<Uint8Array, Uint8Array>, sendOldValues: boolean): boolean {
    this.#listener = listener;
    this.#sendOldValues = sendOldValues;
    return true;
  }

  get(key: Uint8Array): Uint8Array | null {
    this.#assertOpen();
    const entry = this.#index.get(key);
    if (entry !== undefined) {
      this.cacheStats.hits++;
      this.#touch(entry);
      return entry.value;
    }
    this.cacheStats.misses++;
    const value = this.inner.get(key);
    if (value !== null) {
      this.#insert(key, value, this.#context!.recordTimestampMs, false);
      this.#evictIfNeeded();
    }
    return value;
  }

  put(key: Uint8Array, value: Uint8Array | null): void {
    this.#assertOpen();
    this.#write(key, value);
    this.#evictIfNeeded();
  }

  putIfAbsent(key: Uint8Array, value: Uint8Array | null): Uint8Array | null {
    const existing = this.get(key);
    if (existing === null) this.put(key, value);
    return existing;
  }

  putAll(entries: readonly KeyValue<Uint8Array, Uint8Array | null>[]): void {
    this.#assertOpen();
    for (const entry of entries) this.#write(entry.key, entry.value);
    this.#evictIfNeeded();
  }

  delete(key: Uint8Array): Uint8Array | null {
    const existing = this.get(key);
    this.put(key, null);
    return existing;
  }

  range(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#merged(from, to, false);
  }

  reverseRange(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#merged(from, to, true);
  }

  all(): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#merged(null, null, false);
  }

  reverseAll(): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#merged(null, null, true);
  }

  prefixScan(prefix: Uint8Array): KeyValueIterator<Uint8Array, Uint8Array> {
    this.#assertOpen();
    const cursor = this.#tree.cursor(prefix, true, prefixEnd(prefix), false, false);
    return new MergedIterator(cursor, this.inner.prefixScan(prefix), false);
  }

  approximateNumEntries(): number {
    this.#assertOpen();
    return this.inner.approximateNumEntries();
  }

  flush(): void {
    this.#assertOpen();
    // Only what is dirty now: a listener writing back into this store is flushed next time.
    for (let n = this.#dirtyCount; n > 0 && this.#dirtyHead !== null; n--) {
      const entry = this.#dirtyHead;
      this.#unlinkDirty(entry);
      this.#writeThrough(entry);
      if (entry.value === null && !entry.dirty) this.#remove(entry);
    }
    this.inner.flush();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tree.clear();
    this.#index.clear();
    this.#lruHead = this.#lruTail = this.#dirtyHead = this.#dirtyTail = null;
    this.#dirtyCount = 0;
    this.#bytes = 0;
    this.inner.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StreamsError('CLOSED', `state store "${this.name}" is closed`);
    if (this.#context === null) {
      throw new StreamsError('ILLEGAL_STATE', `state store "${this.name}" has not been initialised (call init first)`);
    }
  }

  #merged(from: Uint8Array | null, to: Uint8Array | null, reverse: boolean): KeyValueIterator<Uint8Array, Uint8Array> {
    this.#assertOpen();
    if (from !== null && to !== null && compareBytes(from, to) > 0) return emptyIterator();
    const cursor = this.#tree.cursor(from, true, to, true, reverse);
    return new MergedIterator(cursor, reverse ? this.inner.reverseRange(from, to) : this.inner.range(from, to), reverse);
  }

  #write(key: Uint8Array, value: Uint8Array | null): void {
    const timestampMs = this.#context!.recordTimestampMs;
    const entry = this.#index.get(key);
    if (entry === undefined) {
      this.#insert(key, value, timestampMs, true);
      return;
    }
    const sizeBytes = entry.key.length + (value === null ? 0 : value.length) + ENTRY_OVERHEAD_BYTES;
    this.#bytes += sizeBytes - entry.sizeBytes;
    entry.sizeBytes = sizeBytes;
    entry.value = value;
    entry.timestampMs = timestampMs;
    this.#touch(entry);
    if (entry.dirty) this.#unlinkDirty(entry);
    this.#appendDirty(entry);
  }

  #insert(key: Uint8Array, value: Uint8Array | null, timestampMs: number, dirty: boolean): void {
    const entry = new CacheEntry(key, value, timestampMs);
    this.#tree.set(key, entry);
    this.#index.add(entry);
    this.#bytes += entry.sizeBytes;
    entry.lruPrev = this.#lruTail;
    if (this.#lruTail !== null) this.#lruTail.lruNext = entry;
    else this.#lruHead = entry;
    this.#lruTail = entry;
    if (dirty) this.#appendDirty(entry);
  }

  #evictIfNeeded(): void {
    if (this.#bytes <= this.#maxBytes || this.#evicting) return;
    this.#evicting = true;
    try {
      while (this.#bytes > this.#maxBytes && this.#lruHead !== null) {
        const eldest = this.#lruHead;
        if (eldest.dirty) {
          this.#unlinkDirty(eldest);
          this.#writeThrough(eldest);
          // The listener wrote this key again: keep the new write and stop rather than lose it.
          if (eldest.dirty) break;
        }
        this.#remove(eldest);
      }
    } finally {
      this.#evicting = false;
    }
  }

  /** Writes one formerly dirty entry to the wrapped store and tells the listener, as Kafka Streams does. */
  #writeThrough(entry: CacheEntry): void {
    const newValue = entry.value;
    const oldValue = newValue === null || this.#sendOldValues ? this.inner.get(entry.key) : null;
    if (newValue === null && oldValue === null) return;
    const context = this.#innerContext!;
    context.flushingTimestampMs = entry.timestampMs;
    try {
      this.inner.put(entry.key, newValue);
    } finally {
      context.flushingTimestampMs = undefined;
    }
    this.#listener?.(entry.key, newValue, this.#sendOldValues ? oldValue : null, entry.timestampMs);
  }

  #remove(entry: CacheEntry): void {
    // A listener may have rewritten or removed the entry meanwhile; remove only this very object.
    if (this.#index.get(entry.key) !== entry) return;
    this.#tree.delete(entry.key);
    this.#index.remove(entry);
    this.#bytes -= entry.sizeBytes;
    if (entry.dirty) this.#unlinkDirty(entry);
    const { lruPrev, lruNext } = entry;
    if (lruPrev !== null) lruPrev.lruNext = lruNext;
    else this.#lruHead = lruNext;
    if (lruNext !== null) lruNext.lruPrev = lruPrev;
    else this.#lruTail = lruPrev;
    entry.lruPrev = entry.lruNext = null;
  }

  #touch(entry: CacheEntry): void {
    if (entry === this.#lruTail) return;
    const { lruPrev, lruNext } = entry;
    if (lruPrev !== null) lruPrev.lruNext = lruNext;
    else this.#lruHead = lruNext;
    lruNext!.lruPrev = lruPrev;
    entry.lruPrev = this.#lruTail;
    entry.lruNext = null;
    this.#lruTail!.lruNext = entry;
    this.#lruTail = entry;
  }

  #appendDirty(entry: CacheEntry): void {
    entry.dirty = true;
    entry.dirtyPrev = this.#dirtyTail;
    entry.dirtyNext = null;
    if (this.#dirtyTail !== null) this.#dirtyTail.dirtyNext = entry;
    else this.#dirtyHead = entry;
    this.#dirtyTail = entry;
    this.#dirtyCount++;
  }

  #unlinkDirty(entry: CacheEntry): void {
    const { dirtyPrev, dirtyNext } = entry;
    if (dirtyPrev !== null) dirtyPrev.dirtyNext = dirtyNext;
    else this.#dirtyHead = dirtyNext;
    if (dirtyNext !== null) dirtyNext.dirtyPrev = dirtyPrev;
    else this.#dirtyTail = dirtyPrev;
    entry.dirtyPrev = entry.dirtyNext = null;
    entry.dirty = false;
    this.#dirtyCount--;
  }
}

/** The context the wrapped store sees: while an entry is flushed, its write's timestamp is the record timestamp. */
class FlushingContext extends DelegatingStateStoreContext {
  flushingTimestampMs: number | undefined = undefined;

  override get recordTimestampMs(): number {
    return this.flushingTimestampMs ?? this.parent.recordTimestampMs;
  }
}

/** Merges the cache's entries with the wrapped store's, in key order; the cache wins and its tombstones hide keys. */
class MergedIterator extends AbstractKeyValueIterator<Uint8Array, Uint8Array> {
  #cacheEntry: CacheEntry | undefined;

  constructor(
    private readonly cache: BTreeCursor<CacheEntry>,
    private readonly store: KeyValueIterator<Uint8Array, Uint8Array>,
    private readonly reverse: boolean,
  ) {
    super();
    this.#cacheEntry = cache.advance() ? cache.value : undefined;
  }

  protected fetchNext(): KeyValue<Uint8Array, Uint8Array> | undefined {
    for (;;) {
      const cached = this.#cacheEntry;
      const storeKey = this.store.peekNextKey();
      if (cached === undefined) {
        if (storeKey === undefined) return undefined;
        return this.#fromStore();
      }
      if (storeKey !== undefined) {
        const c = compareBytes(cached.key, storeKey);
        if (this.reverse ? c < 0 : c > 0) return this.#fromStore();
        if (c === 0) this.store.next();
      }
      this.#cacheEntry = this.cache.advance() ? this.cache.value : undefined;
      if (cached.value !== null) return { key: cached.key, value: cached.value };
    }
  }

  protected override onClose(): void {
    this.store.close();
  }

  #fromStore(): KeyValue<Uint8Array, Uint8Array> | undefined {
    const result = this.store.next();
    return result.done === true ? undefined : result.value;
  }
}
