/**
 * The window store engine over {@link Segments} (in memory or SQLite): Kafka Streams' window semantics (retention
 * by observed stream time, duplicates with sequence numbers) with expiry by dropping whole segments.
 */
import { StreamsError } from '../../src/errors.js';
import type { KeyValueIterator } from '../../src/state/key-value-store.js';
import type { RestoreRecord, StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { BytesWindowStore, WindowStoreIterator } from '../../src/state/window-store.js';
import { timeWindow } from '../../src/state/windowed.js';
import type { Windowed } from '../../src/state/windowed.js';
import { emptyIterator } from '../abstract-key-value-iterator.js';
import { assertCreated, assertOpen } from '../assert-open.js';
import type { EngineState } from '../assert-open.js';
import { SegmentIterator } from './segment-iterator.js';
import { segmentIdOf } from './segments.js';
import type { Segments } from './segments.js';
import { parseWindowStoreKey } from './window-key-schema.js';

/**
 * Settings of a window engine.
 *
 * @example
 * ```ts
 * const options: WindowStoreOptions = { retentionMs: 86_400_000, windowSizeMs: 60_000, retainDuplicates: false };
 * ```
 */
export interface WindowStoreOptions {
  readonly retentionMs: number;
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
}

function copy(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}

/**
 * A {@link BytesWindowStore} engine: entries live in the segment of their window start; the observed stream time is
 * the largest window start put or restored, and whenever it advances, segments older than
 * `segmentId(observedStreamTime - retentionMs)` are dropped whole (Kafka Streams' `AbstractSegments` rule). Puts
 * for windows starting at or before `observedStreamTime - retentionMs` are dropped; reads never return them.
 *
 * With `retainDuplicates`, each put gets the next sequence number (so nothing is overwritten) and `null` puts are
 * ignored; `fetch(key, start)` then returns the first value put. Restoring reads Kafka's window changelog keys
 * (`key + start(8) + seqnum(4)`).
 *
 * @example
 * ```ts
 * const engine = new SegmentedWindowStore('w', { retentionMs: 120_000, windowSizeMs: 60_000, retainDuplicates: false }, new InMemorySegments(60_000));
 * engine.init(context, engine);
 * engine.put(Buffer.from('a'), Buffer.from([1]), 0);
 * ```
 */
export class SegmentedWindowStore implements BytesWindowStore {
  readonly retentionMs: number;
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  #state: EngineState = 'created';
  #observedStreamTimeMs = -Infinity;
  #minLiveSegment = -Infinity;
  #seqnum = 0;

  constructor(
    readonly name: string,
    options: WindowStoreOptions,
    /** The storage; exposed for tests that check segments are dropped. */
    readonly segments: Segments,
  ) {
    this.retentionMs = options.retentionMs;
    this.windowSizeMs = options.windowSizeMs;
    this.retainDuplicates = options.retainDuplicates;
  }

  get segmentIntervalMs(): number {
    return this.segments.segmentIntervalMs;
  }

  get observedStreamTimeMs(): number {
    return this.#observedStreamTimeMs;
  }

  get persistent(): boolean {
    return this.segments.persistent;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  init(context: StateStoreContext, root: StateStore): void {
    assertCreated(this.#state, this.name);
    this.segments.open(context, this.name);
    this.#observedStreamTimeMs = this.segments.loadMeta() ?? -Infinity;
    this.#state = 'open';
    context.register(root, (batch) => this.#restore(batch));
  }

  put(key: Uint8Array, value: Uint8Array | null, windowStartMs: number): void {
    assertOpen(this.#state, this.name);
    checkTime(this.name, windowStartMs);
    if (this.retainDuplicates) {
      if (value === null) return;
      this.#seqnum = (this.#seqnum + 1) | 0;
      this.#apply(key, windowStartMs, this.#seqnum, value);
    } else {
      this.#apply(key, windowStartMs, 0, value);
    }
  }

  fetch(key: Uint8Array, windowStartMs: number): Uint8Array | null {
    assertOpen(this.#state, this.name);
    if (windowStartMs <= this.#observedStreamTimeMs - this.retentionMs) return null;
    if (!this.retainDuplicates) return this.segments.get(key, windowStartMs, 0);
    const scan = this.segments.fetch(key, key, windowStartMs, windowStartMs, false);
    const first = scan.next();
    scan.return?.();
    return first.done === true ? null : first.value.value;
  }

  fetchKey(key: Uint8Array, timeFromMs: number, timeToMs: number, backward: boolean): WindowStoreIterator<Uint8Array> {
    assertOpen(this.#state, this.name);
    const from = Math.max(timeFromMs, this.#observedStreamTimeMs - this.retentionMs + 1);
    if (from > timeToMs) return emptyIterator();
    return new SegmentIterator(this.segments.fetch(key, key, from, timeToMs, backward), (e) => ({ key: e.t1, value: e.value }));
  }

  fetchRange(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    timeFromMs: number,
    timeToMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array> {
    assertOpen(this.#state, this.name);
    const from = Math.max(timeFromMs, this.#observedStreamTimeMs - this.retentionMs + 1);
    if (from > timeToMs) return emptyIterator();
    const size = this.windowSizeMs;
    return new SegmentIterator(this.segments.fetch(keyFrom, keyTo, from, timeToMs, backward), (e) => ({
      key: { key: e.key, window: timeWindow(e.t1, e.t1 + size) },
      value: e.value,
    }));
  }

  flush(): void {
    assertOpen(this.#state, this.name);
    this.segments.saveMeta(this.#observedStreamTimeMs);
    this.segments.flush();
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.segments.close();
  }

  #apply(key: Uint8Array, windowStartMs: number, seqnum: number, value: Uint8Array | null): void {
    if (windowStartMs > this.#observedStreamTimeMs) {
      this.#observedStreamTimeMs = windowStartMs;
      const minLive = segmentIdOf(windowStartMs - this.retentionMs, this.segments.segmentIntervalMs);
      if (minLive > this.#minLiveSegment) {
        this.#minLiveSegment = minLive;
        this.segments.dropBefore(minLive);
      }
    }
    if (windowStartMs <= this.#observedStreamTimeMs - this.retentionMs) return;
    if (value === null) this.segments.delete(key, windowStartMs, seqnum);
    else this.segments.put(key, windowStartMs, seqnum, value);
  }

  #restore(batch: readonly RestoreRecord[]): void {
    assertOpen(this.#state, this.name);
    for (const record of batch) {
      const { key, windowStartMs, seqnum } = parseWindowStoreKey(record.key);
      // Restored arrays may be views into a fetched batch; the in-memory segments keep what they are given.
      if (this.retainDuplicates) {
        if (record.value === null) continue;
        if (seqnum > this.#seqnum) this.#seqnum = seqnum;
      }
      this.#apply(copy(key), windowStartMs, seqnum, record.value === null ? null : copy(record.value));
    }
    this.segments.saveMeta(this.#observedStreamTimeMs);
    this.segments.flush();
  }
}

/** Throws `StreamsError('ILLEGAL_STATE')` unless `timeMs` is a safe integer (window starts are int64 in Kafka). */
export function checkTime(storeName: string, timeMs: number): void {
  if (!Number.isSafeInteger(timeMs)) {
    throw new StreamsError('ILLEGAL_STATE', `state store "${storeName}": window times must be safe integers, got ${timeMs}`);
  }
}
