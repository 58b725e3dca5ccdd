/**
 * bench/helpers/join-workload.ts — the inputs of bench/joins.ts and the hand-written Map joins it is compared with:
 * a Map lookup join (stream-table) and a windowed Map join (stream-stream), each timed, with a checksum of what they
 * emit so the app's output can be checked against them.
 */
import { prng } from './corpus.js';

/** Mixes a joiner's two int values into one exact double (`left * 1_000_003 + right`, below 2^53 for ints < 2^31). */
export const mixJoin = (left: number, right: number): number => left * 1_000_003 + right;

const CHECK_MOD = 1_000_000_007;

/**
 * The multiset checksum of joined values: the count and the sum of `value mod 1e9+7` (exact in doubles for up to
 * ~9 M values), the same whatever order the values come in.
 *
 * @example
 * ```ts
 * const sum = new JoinChecksum();
 * sum.add(mixJoin(3, 4));
 * sum.equals(other); // true when both saw the same values, in any order
 * ```
 */
export class JoinChecksum {
  count = 0;
  sum = 0;

  add(value: number): void {
    this.count++;
    this.sum += value % CHECK_MOD;
  }

  equals(other: JoinChecksum): boolean {
    return this.count === other.count && this.sum === other.sum;
  }

  toString(): string {
    return `${this.count} values, checksum ${this.sum}`;
  }
}

/**
 * A keyed, timestamped input as columns: record i has key `keys[keyIndex[i]]`, value `i` and timestamp
 * `timestamps[i]` (non-decreasing).
 */
export interface KeyedInput {
  readonly keys: readonly string[];
  readonly keyIndex: Int32Array;
  readonly timestamps: Float64Array;
}

/**
 * `n` records over `keyCount` keys (`<prefix>-<i>`, uniform, drawn from `seed`) with timestamps `startMs + i * stepMs`.
 *
 * @example
 * ```ts
 * const orders = keyedInput(2_000_000, 100_000, 'customer', 42, 1_700_000_000_000, 1);
 * ```
 */
export function keyedInput(n: number, keyCount: number, prefix: string, seed: number, startMs: number, stepMs: number): KeyedInput {
  const rnd = prng(seed);
  const names = Array.from({ length: keyCount }, (_, i) => `${prefix}-${i}`);
  const keyIndex = new Int32Array(n);
  const timestamps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    keyIndex[i] = Math.floor(rnd() * keyCount);
    timestamps[i] = startMs + i * stepMs;
  }
  return { keys: names, keyIndex, timestamps };
}

/** What a hand-written join emitted, and its best time. */
export interface MapJoinResult {
  readonly checksum: JoinChecksum;
  readonly seconds: number;
  /** Input records per second at the best time. */
  readonly recordsPerS: number;
}

/**
 * The stream-table baseline: a plain Map (`key -> row value`, row value of key i is `tableValue(i)`), and each stream
 * record looked up and joined with {@link mixJoin} into an array, best of `runs` (the Map is built outside the clock).
 *
 * @example
 * ```ts
 * const base = mapLookupJoin(orders, (i) => 7 * i + 1);
 * console.log(fmt(base.recordsPerS));
 * ```
 */
export function mapLookupJoin(stream: KeyedInput, tableValue: (keyIndex: number) => number, runs = 3): MapJoinResult {
  const table = new Map<string, number>();
  for (let k = 0; k < stream.keys.length; k++) table.set(stream.keys[k]!, tableValue(k));
  const n = stream.keyIndex.length;
  const out = new Float64Array(n);
  let best = Number.POSITIVE_INFINITY;
  let emitted = 0;
  for (let run = 0; run < runs; run++) {
    const t0 = performance.now();
    emitted = 0;
    for (let i = 0; i < n; i++) {
      const row = table.get(stream.keys[stream.keyIndex[i]!]!);
      if (row !== undefined) out[emitted++] = mixJoin(i, row);
    }
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  const checksum = new JoinChecksum();
  for (let i = 0; i < emitted; i++) checksum.add(out[i]!);
  return { checksum, seconds: best, recordsPerS: n / best };
}

/** One side's records of one key still inside the window, oldest first (a queue over two growing arrays). */
interface Buffered {
  head: number;
  readonly timestamps: number[];
  readonly values: number[];
}

function pushBuffered(byKey: Map<string, Buffered>, key: string, timestampMs: number, value: number): void {
  let b = byKey.get(key);
  if (b === undefined) byKey.set(key, (b = { head: 0, timestamps: [], values: [] }));
  b.timestamps.push(timestampMs);
  b.values.push(value);
}

/** Joins one record with the other side's buffered records of its key within `windowMs`, dropping expired ones. */
function probe(b: Buffered | undefined, timestampMs: number, windowMs: number, isLeft: boolean, value: number, out: number[]): void {
  if (b === undefined) return;
  const ts = b.timestamps;
  while (b.head < ts.length && ts[b.head]! < timestampMs - windowMs) b.head++;
  if (b.head > 64 && b.head * 2 > ts.length) {
    // Compact now and then, so a long-lived key does not keep its whole history.
    ts.splice(0, b.head);
    b.values.splice(0, b.head);
    b.head = 0;
  }
  for (let j = b.head; j < ts.length && ts[j]! <= timestampMs + windowMs; j++) out.push(isLeft ? mixJoin(value, b.values[j]!) : mixJoin(b.values[j]!, value));
}

/**
 * The stream-stream baseline: an inner join of `left` and `right` (values are record indexes) where records of a key
 * join when their timestamps differ by at most `windowMs`, processed in timestamp order (left first on ties) with a
 * Map per side of per-key buffers that drop records older than the window; results via {@link mixJoin}, best of
 * `runs`. Both inputs' timestamps must be non-decreasing.
 *
 * @example
 * ```ts
 * const base = windowedMapJoin(left, right, 60_000);
 * ```
 */
export function windowedMapJoin(left: KeyedInput, right: KeyedInput, windowMs: number, runs = 2): MapJoinResult {
  const nl = left.keyIndex.length;
  const nr = right.keyIndex.length;
  let best = Number.POSITIVE_INFINITY;
  let out: number[] = [];
  for (let run = 0; run < runs; run++) {
    const t0 = performance.now();
    out = [];
    const lefts = new Map<string, Buffered>();
    const rights = new Map<string, Buffered>();
    let i = 0;
    let j = 0;
    while (i < nl || j < nr) {
      if (j >= nr || (i < nl && left.timestamps[i]! <= right.timestamps[j]!)) {
        const key = left.keys[left.keyIndex[i]!]!;
        const t = left.timestamps[i]!;
        probe(rights.get(key), t, windowMs, true, i, out);
        pushBuffered(lefts, key, t, i++);
      } else {
        const key = right.keys[right.keyIndex[j]!]!;
        const t = right.timestamps[j]!;
        probe(lefts.get(key), t, windowMs, false, j, out);
        pushBuffered(rights, key, t, j++);
      }
    }
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  const checksum = new JoinChecksum();
  for (const v of out) checksum.add(v);
  return { checksum, seconds: best, recordsPerS: (nl + nr) / best };
}
