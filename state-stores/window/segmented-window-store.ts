/**
 * The window store engine over {@link Segments} (in memory or SQLite): Kafka Streams' window semantics (retention
 * by observed stream time, duplicates with sequence numbers) with expiry by dropping whole segments.
 */
import type { KeyValueIterator } from '../../src/state/key-value-store.js';
import type { RestoreRecord } from '../../src/state/state-store.js';
import type { BytesWindowStore, WindowStoreIterator } from '../../src/state/window-store.js';
import { timeWindow } from '../../src/state/windowed.js';
import type { Windowed } from '../../src/state/windowed.js';
import { emptyIterator } from '../abstract-key-value-iterator.js';
import { checkTime, copyBytes, SegmentedEngine } from '../windowed-common/segmented-engine.js';
import { SegmentIterator } from './segment-iterator.js';
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
export class SegmentedWindowStore extends SegmentedEngine implements BytesWindowStore {
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  #seqnum = 0;

  constructor(name: string, options: WindowStoreOptions, segments: Segments) {
    super(name, options.retentionMs, segments);
    this.windowSizeMs = options.windowSizeMs;
    this.retainDuplicates = options.retainDuplicates;
  }

  put(key: Uint8Array, value: Uint8Array | null, windowStartMs: number): void {
    this.assertOpen();
    checkTime(this.name, windowStartMs);
    if (this.retainDuplicates) {
      if (value === null) return;
      this.#seqnum = (this.#seqnum + 1) | 0;
      this.apply(key, windowStartMs, this.#seqnum, value);
    } else {
      this.apply(key, windowStartMs, 0, value);
    }
  }

  fetch(key: Uint8Array, windowStartMs: number): Uint8Array | null {
    this.assertOpen();
    if (this.isExpired(windowStartMs)) return null;
    if (!this.retainDuplicates) return this.segments.get(key, windowStartMs, 0);
    const scan = this.segments.fetch(key, key, windowStartMs, windowStartMs, false);
    const first = scan.next();
    scan.return?.();
    return first.done === true ? null : first.value.value;
  }

  fetchKey(key: Uint8Array, timeFromMs: number, timeToMs: number, backward: boolean): WindowStoreIterator<Uint8Array> {
    this.assertOpen();
    const from = this.liveFrom(timeFromMs);
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
    this.assertOpen();
    const from = this.liveFrom(timeFromMs);
    if (from > timeToMs) return emptyIterator();
    const size = this.windowSizeMs;
    return new SegmentIterator(this.segments.fetch(keyFrom, keyTo, from, timeToMs, backward), (e) => ({
      key: { key: e.key, window: timeWindow(e.t1, e.t1 + size) },
      value: e.value,
    }));
  }

  protected restoreRecord(record: RestoreRecord): void {
    const { key, windowStartMs, seqnum } = parseWindowStoreKey(record.key);
    if (this.retainDuplicates) {
      if (record.value === null) return;
      if (seqnum > this.#seqnum) this.#seqnum = seqnum;
    }
    this.apply(copyBytes(key), windowStartMs, seqnum, record.value === null ? null : copyBytes(record.value));
  }
}
