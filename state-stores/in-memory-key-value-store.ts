/**
 * The in-memory key-value engine: an ordered B+tree over byte keys for ranges, and a hash index beside it for point
 * reads and writes. Not persistent: after a restart it is rebuilt from its changelog.
 */
import type { BytesKeyValueStore, KeyValue, KeyValueIterator } from '../src/state/key-value-store.js';
import type { RestoreRecord, StateStore, StateStoreContext } from '../src/state/state-store.js';
import { AbstractKeyValueIterator, emptyIterator } from './abstract-key-value-iterator.js';
import { assertCreated, assertOpen } from './assert-open.js';
import type { EngineState } from './assert-open.js';
import { BytesBTree } from './bytes-b-tree.js';
import type { BTreeCursor } from './bytes-b-tree.js';
import { BytesHashIndex } from './bytes-hash-index.js';
import type { HashIndexed } from './bytes-hash-index.js';
import { compareBytes, prefixEnd } from './compare-bytes.js';

/** One key and its value, in both the tree (by key order) and the hash index (by key bytes). */
class Slot implements HashIndexed<Slot> {
  hash = 0;
  hashNext: Slot | null = null;

  constructor(
    readonly key: Uint8Array,
    public value: Uint8Array,
  ) {}
}

/**
 * An ordered in-memory {@link BytesKeyValueStore}: get and overwriting puts in O(1) (a hash index), puts of new keys
 * and deletes in O(log n), ranges in O(log n + entries).
 *
 * `persistent` is false, `flush()` does nothing, `close()` drops the data. Arrays passed to `put` are kept as they
 * are (not copied); records given to the restore callback are copied, since they may be views into a fetched batch.
 *
 * @example
 * ```ts
 * const engine = new InMemoryKeyValueStore('counts');
 * engine.init(context, engine);
 * engine.put(Buffer.from('b'), Buffer.from([2]));
 * engine.put(Buffer.from('a'), Buffer.from([1]));
 * [...engine.all()].map((e) => e.key.toString()); // ['a', 'b']
 * ```
 */
export class InMemoryKeyValueStore implements BytesKeyValueStore {
  readonly persistent = false;
  #state: EngineState = 'created';
  // The tree and the index hold the same slots; an overwrite changes a slot's value and touches neither.
  readonly #tree = new BytesBTree<Slot>();
  readonly #index = new BytesHashIndex<Slot>();

  constructor(readonly name: string) {}

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  init(context: StateStoreContext, root: StateStore): void {
    assertCreated(this.#state, this.name);
    this.#state = 'open';
    context.register(root, (batch) => this.#restore(batch));
  }

  get(key: Uint8Array): Uint8Array | null {
    assertOpen(this.#state, this.name);
    const slot = this.#index.get(key);
    return slot === undefined ? null : slot.value;
  }

  put(key: Uint8Array, value: Uint8Array | null): void {
    assertOpen(this.#state, this.name);
    if (value === null) this.#remove(key);
    else this.#set(key, value);
  }

  putIfAbsent(key: Uint8Array, value: Uint8Array | null): Uint8Array | null {
    assertOpen(this.#state, this.name);
    const existing = this.#index.get(key);
    if (existing !== undefined) return existing.value;
    if (value !== null) this.#add(key, value);
    return null;
  }

  putAll(entries: readonly KeyValue<Uint8Array, Uint8Array | null>[]): void {
    assertOpen(this.#state, this.name);
    for (const entry of entries) {
      if (entry.value === null) this.#remove(entry.key);
      else this.#set(entry.key, entry.value);
    }
  }

  delete(key: Uint8Array): Uint8Array | null {
    assertOpen(this.#state, this.name);
    return this.#remove(key);
  }

  range(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#scan(from, to, false);
  }

  reverseRange(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#scan(from, to, true);
  }

  all(): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#scan(null, null, false);
  }

  reverseAll(): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#scan(null, null, true);
  }

  prefixScan(prefix: Uint8Array): KeyValueIterator<Uint8Array, Uint8Array> {
    assertOpen(this.#state, this.name);
    return new TreeIterator(this.#tree.cursor(prefix, true, prefixEnd(prefix), false, false), this);
  }

  approximateNumEntries(): number {
    assertOpen(this.#state, this.name);
    return this.#tree.size;
  }

  flush(): void {
    assertOpen(this.#state, this.name);
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#tree.clear();
    this.#index.clear();
  }

  #set(key: Uint8Array, value: Uint8Array): void {
    const slot = this.#index.get(key);
    if (slot === undefined) this.#add(key, value);
    else slot.value = value;
  }

  #add(key: Uint8Array, value: Uint8Array): void {
    const slot = new Slot(key, value);
    this.#tree.set(key, slot);
    this.#index.add(slot);
  }

  #remove(key: Uint8Array): Uint8Array | null {
    const slot = this.#index.get(key);
    if (slot === undefined) return null;
    this.#tree.delete(slot.key);
    this.#index.remove(slot);
    return slot.value;
  }

  #scan(from: Uint8Array | null, to: Uint8Array | null, reverse: boolean): KeyValueIterator<Uint8Array, Uint8Array> {
    assertOpen(this.#state, this.name);
    if (from !== null && to !== null && compareBytes(from, to) > 0) return emptyIterator();
    return new TreeIterator(this.#tree.cursor(from, true, to, true, reverse), this);
  }

  #restore(batch: readonly RestoreRecord[]): void {
    assertOpen(this.#state, this.name);
    for (const record of batch) {
      if (record.value === null) {
        this.#remove(record.key);
        continue;
      }
      // Copies (unlike Buffer#slice); the key only when it is new.
      const value = Buffer.from(record.value);
      const slot = this.#index.get(record.key);
      if (slot === undefined) this.#add(Buffer.from(record.key), value);
      else slot.value = value;
    }
  }
}

class TreeIterator extends AbstractKeyValueIterator<Uint8Array, Uint8Array> {
  constructor(
    private readonly cursor: BTreeCursor<Slot>,
    private readonly store: StateStore,
  ) {
    super();
  }

  protected fetchNext(): KeyValue<Uint8Array, Uint8Array> | undefined {
    // An iterator outliving its store ends rather than reading freed state.
    if (!this.store.isOpen || !this.cursor.advance()) return undefined;
    return { key: this.cursor.key, value: this.cursor.value!.value };
  }
}
