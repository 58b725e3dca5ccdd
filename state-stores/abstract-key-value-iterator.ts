/**
 * The shared half of every store iterator: the iterator protocol, `peekNextKey` and `close`, over one method a
 * subclass implements (`fetchNext`).
 */
import type { KeyValue, KeyValueIterator } from '../src/state/key-value-store.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Base class of the bundled store iterators: a subclass implements `fetchNext()` (the next entry, or `undefined`
 * at the end) and may override `onClose()`; this class adds one-entry look-ahead for `peekNextKey`, the iterator
 * protocol (`for...of`, where `break` calls `return()`, which closes) and idempotent closing.
 *
 * @example
 * ```ts
 * class ArrayIterator<K, V> extends AbstractKeyValueIterator<K, V> {
 *   #i = 0;
 *   constructor(private readonly entries: readonly KeyValue<K, V>[]) { super(); }
 *   protected fetchNext(): KeyValue<K, V> | undefined { return this.entries[this.#i++]; }
 * }
 * ```
 */
export abstract class AbstractKeyValueIterator<K, V> implements KeyValueIterator<K, V> {
  #peeked: KeyValue<K, V> | undefined = undefined;
  #closed = false;

  /** The next entry, or `undefined` when there is none; not called again after returning `undefined` or closing. */
  protected abstract fetchNext(): KeyValue<K, V> | undefined;

  /** Releases what the iterator holds; called once. */
  protected onClose(): void {}

  next(): IteratorResult<KeyValue<K, V>, undefined> {
    const entry = this.#take();
    return entry === undefined ? DONE : { done: false, value: entry };
  }

  peekNextKey(): K | undefined {
    if (this.#peeked === undefined && !this.#closed) {
      this.#peeked = this.fetchNext();
      if (this.#peeked === undefined) this.close();
    }
    return this.#peeked?.key;
  }

  /** The next entry without the iterator-result wrapper, or `undefined` at the end (for merging iterators). */
  nextEntry(): KeyValue<K, V> | undefined {
    return this.#take();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#peeked = undefined;
    this.onClose();
  }

  return(): IteratorResult<KeyValue<K, V>, undefined> {
    this.close();
    return DONE;
  }

  [Symbol.iterator](): this {
    return this;
  }

  #take(): KeyValue<K, V> | undefined {
    let entry = this.#peeked;
    if (entry !== undefined) {
      this.#peeked = undefined;
      return entry;
    }
    if (this.#closed) return undefined;
    entry = this.fetchNext();
    if (entry === undefined) this.close();
    return entry;
  }
}

/**
 * An iterator with no entries (for empty ranges such as `from` after `to`).
 *
 * @example
 * ```ts
 * emptyIterator<string, number>().next().done; // true
 * ```
 */
export function emptyIterator<K, V>(): KeyValueIterator<K, V> {
  return new EmptyIterator<K, V>();
}

class EmptyIterator<K, V> extends AbstractKeyValueIterator<K, V> {
  protected fetchNext(): undefined {
    return undefined;
  }
}
