/**
 * The time-segmented storage under window and session engines: entries keyed by (key bytes, t1, t2) live in the
 * segment of t1, so expiring old data drops whole segments. Window stores use t1 = window start, t2 = sequence
 * number; session stores t1 = session end, t2 = session start.
 */
import type { StateStoreContext } from '../../src/state/state-store.js';

/**
 * One stored entry of a {@link Segments} store.
 *
 * @example
 * ```ts
 * const e: SegmentEntry = { key: Buffer.from('a'), t1: 60_000, t2: 0, value: Buffer.from([1]) };
 * ```
 */
export interface SegmentEntry {
  readonly key: Uint8Array;
  readonly t1: number;
  readonly t2: number;
  readonly value: Uint8Array;
}

/**
 * Time-segmented bytes storage: segment id = `floor(t1 / segmentIntervalMs)`. `fetch` yields entries with t1 in
 * `[t1From, t1To]` and key in `[keyFrom, keyTo]` (null = open), ordered by segment, then key bytes (unsigned), then
 * t1, then t2; `backward` reverses that order. Writes between flushes are one transaction (SQLite).
 *
 * @example
 * ```ts
 * const segments: Segments = new InMemorySegments(30_000);
 * segments.put(Buffer.from('a'), 1_000, 0, Buffer.from([1]));
 * segments.dropBefore(1); // removes segment 0 whole
 * ```
 */
export interface Segments {
  readonly segmentIntervalMs: number;
  /** True when the data outlives the process. */
  readonly persistent: boolean;
  /** Opens the storage for a task (files go under the context's state directory). */
  open(context: StateStoreContext, storeName: string): void;
  get(key: Uint8Array, t1: number, t2: number): Uint8Array | null;
  put(key: Uint8Array, t1: number, t2: number, value: Uint8Array): void;
  delete(key: Uint8Array, t1: number, t2: number): void;
  fetch(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    t1From: number,
    t1To: number,
    backward: boolean,
  ): Iterator<SegmentEntry, undefined>;
  /** Drops every segment with an id below `segmentId`, whole. */
  dropBefore(segmentId: number): void;
  /** The ids of the segments that exist, ascending (for tests and metrics). */
  segmentIds(): number[];
  /** A persisted number (the observed stream time) read back at open; `undefined` when none was saved. */
  loadMeta(): number | undefined;
  saveMeta(value: number): void;
  flush(): void;
  close(): void;
}

/**
 * The segment of a time: `floor(timeMs / segmentIntervalMs)`.
 *
 * @example
 * ```ts
 * segmentIdOf(130_000, 60_000); // 2
 * ```
 */
export function segmentIdOf(timeMs: number, segmentIntervalMs: number): number {
  return Math.floor(timeMs / segmentIntervalMs);
}

/**
 * Kafka Streams' default segment interval: `max(retentionMs / 2, 60 s)` (Stores.persistentWindowStore since
 * KIP-319 dropped the `numSegments` argument; the old default of 3 segments is what this interval gives).
 *
 * @example
 * ```ts
 * defaultSegmentIntervalMs(86_400_000); // 43200000
 * ```
 */
export function defaultSegmentIntervalMs(retentionMs: number): number {
  return Math.max(Math.floor(retentionMs / 2), 60_000);
}

/**
 * Index of the first of `slots` (sorted by t1, then t2) at or after (t1, t2): binary search.
 *
 * @example
 * ```ts
 * lowerBoundByTimes([{ t1: 0, t2: 0 }, { t1: 5, t2: 1 }], 5, 0); // 1
 * ```
 */
export function lowerBoundByTimes(slots: readonly { readonly t1: number; readonly t2: number }[], t1: number, t2: number): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = slots[mid]!;
    if (s.t1 < t1 || (s.t1 === t1 && s.t2 < t2)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
