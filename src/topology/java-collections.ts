/**
 * Just enough of java.util's HashSet and TreeSet to reproduce the order in which Kafka Streams prints a topology.
 *
 * Kafka's `TopologyDescription.toString()` prints topic and store lists in `HashSet` iteration order (the order of
 * String hash buckets) and children/parents in `TreeSet` order under a comparator whose keys change while the sets are
 * being filled (the sizes of sub-trees). To print the same text we replay the same operations on faithful models of
 * those two collections. Internal to src/topology/.
 */
import { javaStringHashCode } from '../util/java-hash.js';

/** `HashMap.hash()`: the high half folded into the low half. */
function spread(h: number): number {
  return h ^ (h >>> 16);
}

/** `HashMap.tableSizeFor()`: the smallest power of two >= `capacity` (at least 1). */
function tableSizeFor(capacity: number): number {
  let n = 1;
  while (n < capacity) n *= 2;
  return n;
}

const DEFAULT_CAPACITY = 16;
const LOAD_FACTOR = 0.75;
const TREEIFY_BIN_LENGTH = 9; // a bin reaching this length is treeified, or the table grown while it is < 64
const MIN_TREEIFY_CAPACITY = 64;

/**
 * The iteration order of a `java.util.HashSet<String>` created with `initialCapacity` (the default constructor: 16)
 * after adding `items` in order (duplicates are ignored, as `add` does).
 *
 * Iteration walks the buckets in index order and each bucket in insertion order; resizing keeps that relative order,
 * as Java's split into lo/hi lists does. Not modelled: the order inside a treeified bin (9+ colliding strings in a
 * table of 64+ buckets), which no realistic topology reaches.
 *
 * @example
 * ```ts
 * javaHashSetOrder(['store1', 'store2']); // the order Java prints `[store1, store2]` in
 * ```
 */
export function javaHashSetOrder(items: Iterable<string>, initialCapacity: number = DEFAULT_CAPACITY): string[] {
  let capacity = tableSizeFor(initialCapacity);
  let threshold = Math.floor(capacity * LOAD_FACTOR);
  let bins: string[][] = Array.from({ length: capacity }, () => []);
  const seen = new Set<string>();

  const resize = (): void => {
    capacity *= 2;
    threshold = Math.floor(capacity * LOAD_FACTOR);
    const next: string[][] = Array.from({ length: capacity }, () => []);
    for (const bin of bins) for (const item of bin) next[spread(javaStringHashCode(item)) & (capacity - 1)]!.push(item);
    bins = next;
  };

  for (const item of items) {
    if (seen.has(item)) continue;
    seen.add(item);
    const bin = bins[spread(javaStringHashCode(item)) & (capacity - 1)]!;
    bin.push(item);
    if (bin.length >= TREEIFY_BIN_LENGTH && capacity < MIN_TREEIFY_CAPACITY) resize();
    if (seen.size > threshold) resize();
  }
  return bins.flat();
}

/**
 * The iteration order of `new HashSet<>(c)` where `c` iterates `items`: the copy constructor sizes the table for
 * `c.size() / 0.75 + 1` (at least 16) and adds the items in `c`'s order.
 *
 * @example
 * ```ts
 * javaHashSetCopyOrder(['topic1', 'topic2', 'topic3']); // Kafka's order for `Source: s (topics: [...])`
 * ```
 */
export function javaHashSetCopyOrder(items: readonly string[]): string[] {
  return javaHashSetOrder(items, Math.max(Math.floor(items.length / LOAD_FACTOR) + 1, DEFAULT_CAPACITY));
}

interface TreeEntry<T> {
  readonly key: T;
  left: TreeEntry<T> | null;
  right: TreeEntry<T> | null;
  parent: TreeEntry<T> | null;
  isBlack: boolean;
}

/**
 * A `java.util.TreeSet` with a comparator: a red-black tree with Java's exact insertion and rebalancing steps.
 *
 * The exactness matters only when the comparator is not consistent over time (Kafka's node comparator reads sizes
 * that grow while the sets are filled): then where a new element lands depends on the tree's shape, so the shape
 * must evolve as Java's does.
 *
 * @example
 * ```ts
 * const set = new JavaTreeSet<string>((a, b) => (a < b ? -1 : a > b ? 1 : 0));
 * set.add('b'); set.add('a'); set.add('b');
 * set.values(); // ['a', 'b']
 * ```
 */
export class JavaTreeSet<T> {
  #root: TreeEntry<T> | null = null;
  #size = 0;

  constructor(private readonly compare: (a: T, b: T) => number) {}

  /** Number of elements. */
  get size(): number {
    return this.#size;
  }

  /** Adds `key` unless the comparator finds an element equal to it on the way down; true when added. */
  add(key: T): boolean {
    let t = this.#root;
    if (t === null) {
      this.#root = { key, left: null, right: null, parent: null, isBlack: true };
      this.#size = 1;
      return true;
    }
    let parent: TreeEntry<T>;
    let cmp: number;
    do {
      parent = t;
      cmp = this.compare(key, t.key);
      if (cmp < 0) t = t.left;
      else if (cmp > 0) t = t.right;
      else return false;
    } while (t !== null);
    const entry: TreeEntry<T> = { key, left: null, right: null, parent, isBlack: false };
    if (cmp < 0) parent.left = entry;
    else parent.right = entry;
    this.#fixAfterInsertion(entry);
    this.#size++;
    return true;
  }

  /** The elements in tree (in-order) order. */
  values(): T[] {
    const out: T[] = [];
    const walk = (e: TreeEntry<T> | null): void => {
      if (e === null) return;
      walk(e.left);
      out.push(e.key);
      walk(e.right);
    };
    walk(this.#root);
    return out;
  }

  // The classic red-black insertion fix-up, step for step as java.util.TreeMap does it (null leaves are black).
  #fixAfterInsertion(inserted: TreeEntry<T>): void {
    let x: TreeEntry<T> | null = inserted;
    while (x !== null && x !== this.#root && isRed(x.parent)) {
      const p: TreeEntry<T> = x.parent!;
      const g = p.parent;
      if (p === g?.left) {
        const uncle = g.right;
        if (isRed(uncle)) {
          p.isBlack = true;
          uncle!.isBlack = true;
          g.isBlack = false;
          x = g;
        } else {
          if (x === p.right) {
            x = p;
            this.#rotateLeft(x);
          }
          setBlack(x.parent, true);
          setBlack(x.parent?.parent ?? null, false);
          this.#rotateRight(x.parent?.parent ?? null);
        }
      } else {
        const uncle = g?.left ?? null;
        if (isRed(uncle)) {
          p.isBlack = true;
          uncle!.isBlack = true;
          setBlack(g ?? null, false);
          x = g ?? null;
        } else {
          if (x === p.left) {
            x = p;
            this.#rotateRight(x);
          }
          setBlack(x.parent, true);
          setBlack(x.parent?.parent ?? null, false);
          this.#rotateLeft(x.parent?.parent ?? null);
        }
      }
    }
    this.#root!.isBlack = true;
  }

  #rotateLeft(p: TreeEntry<T> | null): void {
    if (p === null) return;
    const r = p.right!;
    p.right = r.left;
    if (r.left !== null) r.left.parent = p;
    r.parent = p.parent;
    if (p.parent === null) this.#root = r;
    else if (p.parent.left === p) p.parent.left = r;
    else p.parent.right = r;
    r.left = p;
    p.parent = r;
  }

  #rotateRight(p: TreeEntry<T> | null): void {
    if (p === null) return;
    const l = p.left!;
    p.left = l.right;
    if (l.right !== null) l.right.parent = p;
    l.parent = p.parent;
    if (p.parent === null) this.#root = l;
    else if (p.parent.right === p) p.parent.right = l;
    else p.parent.left = l;
    l.right = p;
    p.parent = l;
  }
}

function isRed<T>(e: TreeEntry<T> | null): boolean {
  return e !== null && !e.isBlack;
}

function setBlack<T>(e: TreeEntry<T> | null, black: boolean): void {
  if (e !== null) e.isBlack = black;
}
