/**
 * bench/helpers/corpus.ts — the word-count benchmarks' input: deterministic lines of words, and the baseline (the
 * same split and count into a plain Map, with no log, serdes or stores).
 */
import { cpuSecondsSince, fmt } from './format.js';

/** The shape of a generated corpus. */
export interface CorpusOptions {
  readonly lines: number;
  readonly wordsPerLine: number;
  /** Distinct words to draw from (Zipf(1): the i-th word has weight 1/i, as word frequencies in text). */
  readonly vocabulary: number;
  /** Word lengths are uniform in [minLetters, maxLetters]. */
  readonly minLetters: number;
  readonly maxLetters: number;
  readonly seed: number;
}

/**
 * The word-count benchmarks' corpus at `scale`: 500,000 lines of 10 words (at least 100 lines) drawn from 10,000
 * distinct words of `minLetters`-`maxLetters` letters, seed 42.
 *
 * @example
 * ```ts
 * const corpus = wordCountCorpus(0.1, 4, 9); // 50,000 lines, 500,000 words
 * ```
 */
export function wordCountCorpus(scale: number, minLetters: number, maxLetters: number): CorpusOptions & { readonly totalWords: number } {
  const lines = Math.max(100, Math.round(500_000 * scale));
  return { lines, wordsPerLine: 10, vocabulary: 10_000, minLetters, maxLetters, seed: 42, totalWords: lines * 10 };
}

/**
 * The heading line a word-count benchmark prints about its corpus.
 *
 * @example
 * ```ts
 * corpusHeading(corpus, base.counts.size, 4); // '== 500.0 k lines, 5.00 M words, 10.0 k distinct (Zipf over 10.0 k), 4 partitions =='
 * ```
 */
export function corpusHeading(o: CorpusOptions, distinct: number, partitions: number): string {
  return `== ${fmt(o.lines)} lines, ${fmt(o.lines * o.wordsPerLine)} words, ${fmt(distinct)} distinct (Zipf over ${fmt(o.vocabulary)}), ${partitions} partitions ==`;
}

/** How the benchmarks (and the word-count topology) split a line into words. */
export const SPLIT = /\W+/;

/**
 * A small deterministic PRNG (mulberry32), so every run counts the same words.
 *
 * @example
 * ```ts
 * const rnd = prng(42);
 * rnd(); // a number in [0, 1), the same for every run with seed 42
 * ```
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Lines of lowercase words drawn from a Zipf(1) distribution over a fixed random vocabulary, separated by spaces
 * and now and then by ', '; every 7th line is upper-cased (so the topology's toLowerCase has work to do). The same
 * options always give the same lines.
 *
 * @example
 * ```ts
 * const lines = makeLines({ lines: 1000, wordsPerLine: 10, vocabulary: 500, minLetters: 4, maxLetters: 9, seed: 42 });
 * ```
 */
export function makeLines(o: CorpusOptions): string[] {
  const rnd = prng(o.seed);
  const vocab = new Set<string>();
  const spread = o.maxLetters - o.minLetters + 1;
  while (vocab.size < o.vocabulary) {
    const len = o.minLetters + Math.floor(rnd() * spread);
    let w = '';
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + Math.floor(rnd() * 26));
    vocab.add(w);
  }
  const words = [...vocab];
  const cdf = new Float64Array(o.vocabulary);
  let sum = 0;
  for (let i = 0; i < o.vocabulary; i++) cdf[i] = sum += 1 / (i + 1);
  const pick = (): string => {
    const x = rnd() * sum;
    let lo = 0;
    let hi = o.vocabulary - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
  const lines: string[] = new Array<string>(o.lines);
  for (let i = 0; i < o.lines; i++) {
    let line = pick();
    for (let j = 1; j < o.wordsPerLine; j++) line += (j % 4 === 0 ? ', ' : ' ') + pick();
    lines[i] = i % 7 === 0 ? line.toUpperCase() : line;
  }
  return lines;
}

/**
 * The baseline: the same split and count, into a Map.
 *
 * @example
 * ```ts
 * mapCount(['a b', 'B c']); // Map { 'a' => 1, 'b' => 2, 'c' => 1 }
 * ```
 */
export function mapCount(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    for (const w of line.toLowerCase().split(SPLIT)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

/** The baseline's result and its best time. */
export interface MapBaseline {
  readonly counts: Map<string, number>;
  /** Best wall-clock seconds of the runs. */
  readonly seconds: number;
  /** Best CPU seconds of the runs. */
  readonly cpuSeconds: number;
  /** Words per second at the best wall-clock time. */
  readonly wordsPerS: number;
}

/**
 * Runs {@link mapCount} `runs` times and keeps the best times, so a cold JIT does not flatter the ratios; throws
 * unless the Map counted exactly `totalWords` words.
 *
 * @example
 * ```ts
 * const base = mapBaseline(lines, lines.length * 10);
 * console.log(fmt(base.wordsPerS));
 * ```
 */
export function mapBaseline(lines: readonly string[], totalWords: number, runs = 3): MapBaseline {
  let seconds = Number.POSITIVE_INFINITY;
  let cpuSeconds = Number.POSITIVE_INFINITY;
  let counts = new Map<string, number>();
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    counts = mapCount(lines);
    seconds = Math.min(seconds, (performance.now() - t) / 1000);
    cpuSeconds = Math.min(cpuSeconds, cpuSecondsSince(c));
  }
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total !== totalWords) throw new Error(`the Map counted ${total} words, expected ${totalWords}`);
  return { counts, seconds, cpuSeconds, wordsPerS: totalWords / seconds };
}

/**
 * Throws unless `actual` holds exactly the `expected` counts (every key, no extra key, and a total of `totalWords`).
 *
 * @example
 * ```ts
 * checkCounts('wc-memory', new Map([['a', 1n]]), new Map([['a', 1]]), 1);
 * ```
 */
export function checkCounts(label: string, actual: ReadonlyMap<string, number | bigint>, expected: ReadonlyMap<string, number>, totalWords: number): void {
  let sum = 0;
  for (const [k, v] of actual) {
    const n = Number(v);
    sum += n;
    if (expected.get(k) !== n) throw new Error(`${label}: count of ${JSON.stringify(k)} is ${v}, the Map says ${expected.get(k) ?? 'absent'}`);
  }
  if (sum !== totalWords || actual.size !== expected.size) {
    throw new Error(`${label}: the counts sum to ${sum} over ${actual.size} keys; expected ${totalWords} words over ${expected.size} keys`);
  }
}
