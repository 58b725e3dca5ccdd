/**
 * A hash index over byte keys: O(1) point lookups beside the ordered B+tree, which then serves only ranges and the
 * insertion or removal of keys. Used by the in-memory engine and the caching layer.
 */
import { compareBytes } from './compare-bytes.js';

const INITIAL_BUCKETS = 16;
// Longer chains do not happen by chance at load factor <= 1 (Poisson odds below 1e-35 per bucket): only keys made to
// collide get there, and then the index falls back to a Map (see BytesHashIndex).
const MAX_CHAIN = 32;

/**
 * What an entry of a {@link BytesHashIndex} carries: its key and two fields the index owns (the key's hash and the
 * next entry in its bucket). The index links the entries themselves, so adding one allocates nothing.
 *
 * @example
 * ```ts
 * class Slot implements HashIndexed<Slot> {
 *   hash = 0;
 *   hashNext: Slot | null = null;
 *   constructor(readonly key: Uint8Array, public value: Uint8Array) {}
 * }
 * ```
 */
export interface HashIndexed<E> {
  readonly key: Uint8Array;
  /** Set by the index when the entry is added. */
  hash: number;
  /** The next entry of the same bucket; owned by the index. */
  hashNext: E | null;
}

/**
 * A 32-bit hash of a byte array (MurmurHash3 x86_32 with the given seed, as a signed int32): cheap in JS for short
 * keys, well mixed in the low bits that choose a bucket.
 *
 * @example
 * ```ts
 * hashBytes(Buffer.from('hello'), 0) === hashBytes(Uint8Array.of(0x68, 0x65, 0x6c, 0x6c, 0x6f), 0); // true
 * ```
 */
export function hashBytes(key: Uint8Array, seed: number): number {
  const length = key.length;
  const blocksEnd = length & ~3;
  let h = seed | 0;
  let i = 0;
  for (; i < blocksEnd; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest !== 0) {
    let k = key[i]!;
    if (rest > 1) k |= key[i + 1]! << 8;
    if (rest > 2) k |= key[i + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * An unordered index from byte keys (compared by content) to entries that carry their key, chained in a power-of-two
 * bucket table that doubles when it holds more entries than buckets.
 *
 * It holds entries by reference and links them through their `hash`/`hashNext` fields, so an entry belongs to at
 * most one index, and its key must not change while it is in it. `add` trusts the caller that the key is not there
 * yet. The last entry found is remembered with the array it was looked up with: a `get` with that same array (as in
 * get-then-put of one key) checks its bytes against the entry's key instead of hashing.
 *
 * Each index hashes with its own random seed, but MurmurHash3 has seed-independent collisions, so keys can be crafted
 * to share one bucket (hash flooding). When a bucket's chain passes 32 entries the index moves every entry into a
 * `Map` keyed by the key's latin1 string (V8's seeded string hash) and stays there until `clear()`: lookups then cost
 * a string per call, but never a walk of a long chain.
 *
 * @example
 * ```ts
 * const index = new BytesHashIndex<Slot>();
 * index.add(new Slot(Buffer.from('a'), Buffer.from([1])));
 * index.get(Buffer.from('a'))?.value; // <01>
 * ```
 */
export class BytesHashIndex<E extends HashIndexed<E>> {
  #buckets: Array<E | null> = new Array<E | null>(INITIAL_BUCKETS).fill(null);
  #mask = INITIAL_BUCKETS - 1;
  #size = 0;
  readonly #seed: number;
  readonly #maxChain: number;
  #lastKey: Uint8Array | null = null;
  #lastEntry: E | null = null;
  // Chain length per bucket, to notice flooding; the fallback Map once noticed.
  #chainLengths = new Uint8Array(INITIAL_BUCKETS);
  #fallback: Map<string, E> | null = null;

  /**
   * @param seed - the hash seed; random by default (tests may fix it).
   * @param maxChain - the chain length past which the index falls back to a Map (tests may lower it).
   */
  constructor(seed: number = (Math.random() * 0x1_0000_0000) >>> 0, maxChain: number = MAX_CHAIN) {
    this.#seed = seed;
    this.#maxChain = maxChain;
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** True once a chain grew too long and the entries moved to the fallback Map (until `clear()`). */
  get isFlooded(): boolean {
    return this.#fallback !== null;
  }

  /** The entry whose key has the same bytes as `key`, or `undefined`. */
  get(key: Uint8Array): E | undefined {
    const last = this.#lastEntry;
    // The bytes are compared anyway: the caller may have rewritten the array since.
    if (key === this.#lastKey && last !== null && compareBytes(last.key, key) === 0) return last;
    if (this.#fallback !== null) return this.#fallback.get(latin1(key));
    const hash = hashBytes(key, this.#seed);
    for (let entry: E | null = this.#buckets[hash & this.#mask]!; entry !== null; entry = entry.hashNext) {
      if (entry.hash === hash && compareBytes(entry.key, key) === 0) {
        this.#lastKey = key;
        this.#lastEntry = entry;
        return entry;
      }
    }
    return undefined;
  }

  /** Adds an entry whose key is not in the index yet (not checked). */
  add(entry: E): void {
    this.#size++;
    this.#lastKey = entry.key;
    this.#lastEntry = entry;
    if (this.#fallback !== null) {
      this.#fallback.set(latin1(entry.key), entry);
      return;
    }
    if (this.#size > this.#buckets.length) this.#grow();
    const hash = hashBytes(entry.key, this.#seed);
    const bucket = hash & this.#mask;
    entry.hash = hash;
    entry.hashNext = this.#buckets[bucket]!;
    this.#buckets[bucket] = entry;
    if (++this.#chainLengths[bucket]! > this.#maxChain) this.#flooded();
  }

  /** Removes this very entry (by identity); returns false when it is not in the index. */
  remove(entry: E): boolean {
    if (entry === this.#lastEntry) {
      this.#lastKey = null;
      this.#lastEntry = null;
    }
    if (this.#fallback !== null) {
      const key = latin1(entry.key);
      if (this.#fallback.get(key) !== entry) return false;
      this.#fallback.delete(key);
      this.#size--;
      return true;
    }
    const bucket = entry.hash & this.#mask;
    let previous: E | null = null;
    for (let e: E | null = this.#buckets[bucket]!; e !== null; previous = e, e = e.hashNext) {
      if (e !== entry) continue;
      if (previous === null) this.#buckets[bucket] = e.hashNext;
      else previous.hashNext = e.hashNext;
      entry.hashNext = null;
      this.#chainLengths[bucket]!--;
      this.#size--;
      return true;
    }
    return false;
  }

  /** Removes every entry. */
  clear(): void {
    this.#buckets = new Array<E | null>(INITIAL_BUCKETS).fill(null);
    this.#chainLengths = new Uint8Array(INITIAL_BUCKETS);
    this.#mask = INITIAL_BUCKETS - 1;
    this.#fallback = null;
    this.#size = 0;
    this.#lastKey = null;
    this.#lastEntry = null;
  }

  #grow(): void {
    const old = this.#buckets;
    const buckets = new Array<E | null>(old.length * 2).fill(null);
    const chainLengths = new Uint8Array(buckets.length);
    const mask = buckets.length - 1;
    for (let b = 0; b < old.length; b++) {
      let entry: E | null = old[b]!;
      while (entry !== null) {
        const next: E | null = entry.hashNext;
        const bucket = entry.hash & mask;
        entry.hashNext = buckets[bucket]!;
        buckets[bucket] = entry;
        chainLengths[bucket]!++;
        entry = next;
      }
    }
    this.#buckets = buckets;
    this.#chainLengths = chainLengths;
    this.#mask = mask;
  }

  #flooded(): void {
    const fallback = new Map<string, E>();
    for (let entry of this.#buckets) {
      while (entry !== null) {
        const next: E | null = entry.hashNext;
        entry.hashNext = null;
        fallback.set(latin1(entry.key), entry);
        entry = next;
      }
    }
    this.#fallback = fallback;
    this.#buckets = [];
    this.#chainLengths = new Uint8Array(0);
    this.#mask = 0;
  }
}

/** The key's bytes as a string of char codes 0..255: equal strings exactly when the bytes are equal. */
function latin1(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}
