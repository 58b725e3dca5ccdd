/**
 * An ordered map from byte keys to values: a B+tree whose leaves are linked both ways, so point operations cost
 * O(log n) and a range scan costs O(log n + entries). Shared by the in-memory engine and the caching layer.
 */
import { compareBytes } from './compare-bytes.js';
import { compareTied, keyPrefix, lowerBound, upperBound } from './key-prefix-search.js';

const DEFAULT_NODE_SIZE = 64;

// Every node keeps, beside its keys, each key's first four bytes as a number (see keyPrefix): a search compares
// those numbers, held in one packed array, and reads a key's bytes only when the prefixes tie.
class Leaf<V> {
  keys: Uint8Array[] = [];
  prefixes: number[] = [];
  values: V[] = [];
  next: Leaf<V> | null = null;
  prev: Leaf<V> | null = null;
}

class Inner<V> {
  // keys[i] separates children[i] (keys below it) from children[i + 1] (keys at or above it).
  keys: Uint8Array[] = [];
  prefixes: number[] = [];
  children: Array<Inner<V> | Leaf<V>> = [];
}

type Node<V> = Inner<V> | Leaf<V>;

/**
 * An ordered map over `Uint8Array` keys in unsigned lexicographic order (see `compareBytes`).
 *
 * Keys are held by reference: callers must not mutate a key after `set`. `version` changes whenever a key is added
 * or removed (not when a value is replaced), which is how {@link BTreeCursor}s notice structural changes and
 * re-seek. Leaves emptied by deletes are unlinked; when deletes have left the leaves sparse the tree is rebuilt in
 * O(n), so deletes stay amortised O(log n).
 *
 * @example
 * ```ts
 * const tree = new BytesBTree<string>();
 * tree.set(Uint8Array.of(2), 'b');
 * tree.set(Uint8Array.of(1), 'a');
 * const c = tree.cursor(null, true, null, true, false);
 * while (c.advance()) console.log(c.key, c.value); // [1] 'a', then [2] 'b'
 * ```
 */
export class BytesBTree<V> {
  readonly #nodeSize: number;
  // Bulk-loaded nodes are left 3/4 full so that the next inserts do not split at once.
  readonly #bulkFill: number;
  /** @internal */ root: Node<V> = new Leaf<V>();
  /** @internal */ first: Leaf<V> = this.root as Leaf<V>;
  /** @internal */ last: Leaf<V> = this.root as Leaf<V>;
  #size = 0;
  #leafCount = 1;
  #version = 0;
  // Set by #insert: the value replaced, or undefined when the key was new.
  #replaced: V | undefined = undefined;
  #split: { key: Uint8Array; prefix: number; node: Node<V> } | null = null;

  /** @param nodeSize - the most keys in a leaf and children of an inner node (at least 3; small sizes are for tests). */
  constructor(nodeSize = DEFAULT_NODE_SIZE) {
    if (!Number.isInteger(nodeSize) || nodeSize < 3) throw new RangeError(`nodeSize must be an integer >= 3, got ${nodeSize}`);
    this.#nodeSize = nodeSize;
    this.#bulkFill = Math.max(2, Math.floor((nodeSize * 3) / 4));
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** Changes whenever a key is added or removed. */
  get version(): number {
    return this.#version;
  }

  /** The value of `key`, or `undefined`. */
  get(key: Uint8Array): V | undefined {
    const prefix = keyPrefix(key);
    const leaf = this.#findLeaf(key, prefix);
    const keys = leaf.keys;
    const i = lowerBound(keys, leaf.prefixes, key, prefix);
    return i < keys.length && leaf.prefixes[i] === prefix && compareTied(keys[i]!, key) === 0 ? leaf.values[i] : undefined;
  }

  /** Sets `key` to `value`; returns the value replaced, or `undefined` when the key is new. */
  set(key: Uint8Array, value: V): V | undefined {
    this.#replaced = undefined;
    this.#split = null;
    const added = this.#insert(this.root, key, keyPrefix(key), value);
    const split = this.#split as { key: Uint8Array; prefix: number; node: Node<V> } | null;
    if (split !== null) {
      const root = new Inner<V>();
      root.keys.push(split.key);
      root.prefixes.push(split.prefix);
      root.children.push(this.root, split.node);
      this.root = root;
      this.#split = null;
    }
    if (added) {
      this.#size++;
      this.#version++;
      return undefined;
    }
    const replaced = this.#replaced;
    this.#replaced = undefined;
    return replaced;
  }

  /** Removes `key`; returns its value, or `undefined` when it was absent. */
  delete(key: Uint8Array): V | undefined {
    const prefix = keyPrefix(key);
    const path: Inner<V>[] = [];
    const indexes: number[] = [];
    let node = this.root;
    while (node instanceof Inner) {
      const ci = upperBound(node.keys, node.prefixes, key, prefix);
      path.push(node);
      indexes.push(ci);
      node = node.children[ci]!;
    }
    const leaf = node;
    const i = lowerBound(leaf.keys, leaf.prefixes, key, prefix);
    if (i >= leaf.keys.length || leaf.prefixes[i] !== prefix || compareTied(leaf.keys[i]!, key) !== 0) return undefined;
    const old = leaf.values[i]!;
    leaf.keys.splice(i, 1);
    leaf.prefixes.splice(i, 1);
    leaf.values.splice(i, 1);
    this.#size--;
    this.#version++;
    if (leaf.keys.length === 0 && leaf !== this.root) this.#removeEmptyLeaf(leaf, path, indexes);
    // Leaves under a quarter full on average: rebuild, amortised over the deletes that emptied them.
    if (this.#leafCount > 4 && this.#size * 4 < this.#leafCount * this.#nodeSize) this.#rebuild();
    return old;
  }

  /** Removes every key. */
  clear(): void {
    const leaf = new Leaf<V>();
    this.root = leaf;
    this.first = leaf;
    this.last = leaf;
    this.#size = 0;
    this.#leafCount = 1;
    this.#version++;
  }

  /**
   * A cursor over the keys between two bounds (`null` = open), ascending or (with `reverse`) descending. Call
   * `advance()` before reading `key`/`value`.
   */
  cursor(
    from: Uint8Array | null,
    fromInclusive: boolean,
    to: Uint8Array | null,
    toInclusive: boolean,
    reverse: boolean,
  ): BTreeCursor<V> {
    return new BTreeCursor(this, from, fromInclusive, to, toInclusive, reverse);
  }

  #findLeaf(key: Uint8Array, prefix: number): Leaf<V> {
    let node = this.root;
    while (node instanceof Inner) node = node.children[upperBound(node.keys, node.prefixes, key, prefix)]!;
    return node;
  }

  /** @internal Positions at the first key >= key (> key when not inclusive); index may equal leaf length. */
  seekCeiling(key: Uint8Array, inclusive: boolean): { leaf: Leaf<V>; index: number } {
    const prefix = keyPrefix(key);
    const leaf = this.#findLeaf(key, prefix);
    const index = (inclusive ? lowerBound : upperBound)(leaf.keys, leaf.prefixes, key, prefix);
    return { leaf, index };
  }

  /** @internal Positions at the last key <= key (< key when not inclusive); index may be -1. */
  seekFloor(key: Uint8Array, inclusive: boolean): { leaf: Leaf<V>; index: number } {
    const prefix = keyPrefix(key);
    const leaf = this.#findLeaf(key, prefix);
    const index = (inclusive ? upperBound : lowerBound)(leaf.keys, leaf.prefixes, key, prefix) - 1;
    return { leaf, index };
  }

  // Returns true when the key was added; a split of `node` is left in #split.
  #insert(node: Node<V>, key: Uint8Array, prefix: number, value: V): boolean {
    if (node instanceof Leaf) {
      const keys = node.keys;
      const prefixes = node.prefixes;
      const i = lowerBound(keys, prefixes, key, prefix);
      if (i < keys.length && prefixes[i] === prefix && compareTied(keys[i]!, key) === 0) {
        this.#replaced = node.values[i];
        node.values[i] = value;
        return false;
      }
      if (i === keys.length) {
        keys.push(key);
        prefixes.push(prefix);
        node.values.push(value);
      } else {
        keys.splice(i, 0, key);
        prefixes.splice(i, 0, prefix);
        node.values.splice(i, 0, value);
      }
      if (keys.length > this.#nodeSize) this.#splitLeaf(node);
      return true;
    }
    const ci = upperBound(node.keys, node.prefixes, key, prefix);
    const added = this.#insert(node.children[ci]!, key, prefix, value);
    const split = this.#split;
    if (split !== null) {
      node.keys.splice(ci, 0, split.key);
      node.prefixes.splice(ci, 0, split.prefix);
      node.children.splice(ci + 1, 0, split.node);
      this.#split = null;
      if (node.children.length > this.#nodeSize) {
        const mid = node.keys.length >>> 1;
        const right = new Inner<V>();
        right.keys = node.keys.slice(mid + 1);
        right.prefixes = node.prefixes.slice(mid + 1);
        right.children = node.children.slice(mid + 1);
        this.#split = { key: node.keys[mid]!, prefix: node.prefixes[mid]!, node: right };
        node.keys.length = mid;
        node.prefixes.length = mid;
        node.children.length = mid + 1;
      }
    }
    return added;
  }

  #splitLeaf(leaf: Leaf<V>): void {
    const mid = leaf.keys.length >>> 1;
    const right = new Leaf<V>();
    right.keys = leaf.keys.slice(mid);
    right.prefixes = leaf.prefixes.slice(mid);
    right.values = leaf.values.slice(mid);
    leaf.keys.length = mid;
    leaf.prefixes.length = mid;
    leaf.values.length = mid;
    right.next = leaf.next;
    right.prev = leaf;
    if (leaf.next !== null) leaf.next.prev = right;
    else this.last = right;
    leaf.next = right;
    this.#leafCount++;
    this.#split = { key: right.keys[0]!, prefix: right.prefixes[0]!, node: right };
  }

  #removeEmptyLeaf(leaf: Leaf<V>, path: Inner<V>[], indexes: number[]): void {
    if (leaf.prev !== null) leaf.prev.next = leaf.next;
    else if (leaf.next !== null) this.first = leaf.next;
    if (leaf.next !== null) leaf.next.prev = leaf.prev;
    else if (leaf.prev !== null) this.last = leaf.prev;
    this.#leafCount--;
    // Remove the empty child from its parent, and any parent this leaves without children.
    for (let level = path.length - 1; level >= 0; level--) {
      const parent = path[level]!;
      const ci = indexes[level]!;
      parent.children.splice(ci, 1);
      parent.keys.splice(ci === 0 ? 0 : ci - 1, 1);
      parent.prefixes.splice(ci === 0 ? 0 : ci - 1, 1);
      if (parent.children.length > 0) break;
    }
    let root = this.root;
    while (root instanceof Inner && root.children.length === 1) root = root.children[0]!;
    this.root = root;
  }

  #rebuild(): void {
    const keys: Uint8Array[] = [];
    const prefixes: number[] = [];
    const values: V[] = [];
    for (let leaf: Leaf<V> | null = this.first; leaf !== null; leaf = leaf.next) {
      for (let i = 0; i < leaf.keys.length; i++) {
        keys.push(leaf.keys[i]!);
        prefixes.push(leaf.prefixes[i]!);
        values.push(leaf.values[i]!);
      }
    }
    let level: Node<V>[] = [];
    let prev: Leaf<V> | null = null;
    for (let start = 0; start < keys.length || start === 0; start += this.#bulkFill) {
      const leaf = new Leaf<V>();
      leaf.keys = keys.slice(start, start + this.#bulkFill);
      leaf.prefixes = prefixes.slice(start, start + this.#bulkFill);
      leaf.values = values.slice(start, start + this.#bulkFill);
      leaf.prev = prev;
      if (prev !== null) prev.next = leaf;
      else this.first = leaf;
      prev = leaf;
      level.push(leaf);
    }
    this.last = prev!;
    this.#leafCount = level.length;
    while (level.length > 1) {
      const parents: Node<V>[] = [];
      for (let start = 0; start < level.length; start += this.#bulkFill) {
        const inner = new Inner<V>();
        inner.children = level.slice(start, start + this.#bulkFill);
        for (let c = 1; c < inner.children.length; c++) {
          const smallest = smallestKey(inner.children[c]!);
          inner.keys.push(smallest);
          inner.prefixes.push(keyPrefix(smallest));
        }
        parents.push(inner);
      }
      level = parents;
    }
    this.root = level[0]!;
    this.#version++;
  }
}

function smallestKey<V>(node: Node<V>): Uint8Array {
  let n = node;
  while (n instanceof Inner) n = n.children[0]!;
  return n.keys[0]!;
}

/**
 * A position in a {@link BytesBTree} moving through a key range. Live: when the tree's keys change between two
 * `advance()` calls, the cursor re-seeks from the last key it returned, so it never returns a key twice nor skips
 * a key that stayed in the tree.
 *
 * @example
 * ```ts
 * const c = tree.cursor(Uint8Array.of(1), true, Uint8Array.of(9), false, false); // [1, 9)
 * while (c.advance()) use(c.key, c.value);
 * ```
 */
export class BTreeCursor<V> {
  /** The current key; valid after `advance()` returned true. */
  key: Uint8Array = EMPTY;
  /** The current value; valid after `advance()` returned true. */
  value: V | undefined = undefined;
  #leaf: Leaf<V> | null = null;
  #index = 0;
  #version = -1;
  #started = false;
  #done = false;

  /** @internal use {@link BytesBTree.cursor} */
  constructor(
    private readonly tree: BytesBTree<V>,
    private readonly from: Uint8Array | null,
    private readonly fromInclusive: boolean,
    private readonly to: Uint8Array | null,
    private readonly toInclusive: boolean,
    private readonly reverse: boolean,
  ) {}

  /** Moves to the next key in range; false (for good) when there is none. */
  advance(): boolean {
    if (this.#done) return false;
    const tree = this.tree;
    if (this.#version !== tree.version) {
      this.#seek();
      this.#version = tree.version;
    } else if (this.reverse) {
      this.#index--;
    } else {
      this.#index++;
    }
    this.#started = true;
    let leaf = this.#leaf;
    let index = this.#index;
    if (this.reverse) {
      while (leaf !== null && index < 0) {
        leaf = leaf.prev;
        index = leaf === null ? 0 : leaf.keys.length - 1;
      }
    } else {
      while (leaf !== null && index >= leaf.keys.length) {
        leaf = leaf.next;
        index = 0;
      }
    }
    this.#leaf = leaf;
    this.#index = index;
    if (leaf === null) return this.#finish();
    const key = leaf.keys[index]!;
    if (this.reverse) {
      if (this.from !== null) {
        const c = compareBytes(key, this.from);
        if (c < 0 || (c === 0 && !this.fromInclusive)) return this.#finish();
      }
    } else if (this.to !== null) {
      const c = compareBytes(key, this.to);
      if (c > 0 || (c === 0 && !this.toInclusive)) return this.#finish();
    }
    this.key = key;
    this.value = leaf.values[index];
    return true;
  }

  #seek(): void {
    const tree = this.tree;
    let position: { leaf: Leaf<V>; index: number };
    if (this.reverse) {
      if (this.#started) position = tree.seekFloor(this.key, false);
      else if (this.to !== null) position = tree.seekFloor(this.to, this.toInclusive);
      else position = { leaf: tree.last, index: tree.last.keys.length - 1 };
    } else {
      if (this.#started) position = tree.seekCeiling(this.key, false);
      else if (this.from !== null) position = tree.seekCeiling(this.from, this.fromInclusive);
      else position = { leaf: tree.first, index: 0 };
    }
    this.#leaf = position.leaf;
    this.#index = position.index;
  }

  #finish(): false {
    this.#done = true;
    this.#leaf = null;
    this.value = undefined;
    return false;
  }
}

const EMPTY = new Uint8Array(0);
