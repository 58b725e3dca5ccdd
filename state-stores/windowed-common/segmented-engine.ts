/**
 * What the window and session engines over {@link Segments} share: the life cycle, the observed stream time with
 * expiry by dropping whole segments, and restoring from the changelog.
 */
import { StreamsError } from '../../src/errors.js';
import type { RestoreRecord, StateStore, StateStoreContext } from '../../src/state/state-store.js';
import { assertCreated, assertOpen } from '../assert-open.js';
import type { EngineState } from '../assert-open.js';
import { segmentIdOf } from '../window/segments.js';
import type { Segments } from '../window/segments.js';

/**
 * The base of the segmented engines: entries live in the segment of their time `t1` (window start, session end),
 * keyed (key, t1, t2); the observed stream time is the largest `t1` applied (put or restored), and whenever it
 * advances, segments older than `segmentId(observedStreamTime - retentionMs)` are dropped whole. Entries with `t1`
 * at or before `observedStreamTime - retentionMs` are neither stored nor returned. Subclasses turn changelog
 * records into {@link SegmentedEngine.apply} calls.
 *
 * @example
 * ```ts
 * class MyEngine extends SegmentedEngine {
 *   protected restoreRecord(record: RestoreRecord): void {
 *     this.apply(copyBytes(record.key), 0, 0, record.value === null ? null : copyBytes(record.value));
 *   }
 * }
 * ```
 */
export abstract class SegmentedEngine implements StateStore {
  #state: EngineState = 'created';
  #observedStreamTimeMs = -Infinity;
  #minLiveSegment = -Infinity;

  constructor(
    readonly name: string,
    readonly retentionMs: number,
    /** The storage; exposed for tests that check segments are dropped. */
    readonly segments: Segments,
  ) {}

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

  flush(): void {
    this.assertOpen();
    this.segments.saveMeta(this.#observedStreamTimeMs);
    this.segments.flush();
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.segments.close();
  }

  /** Throws unless the engine is open (see {@link assertOpen}). */
  protected assertOpen(): void {
    assertOpen(this.#state, this.name);
  }

  /** Whether an entry of time `t1` is past retention. */
  protected isExpired(t1: number): boolean {
    return t1 <= this.#observedStreamTimeMs - this.retentionMs;
  }

  /** The first live time at or after `timeFromMs`. */
  protected liveFrom(timeFromMs: number): number {
    return Math.max(timeFromMs, this.#observedStreamTimeMs - this.retentionMs + 1);
  }

  /** Advances the observed stream time to `t1` (dropping expired segments), then writes unless expired. */
  protected apply(key: Uint8Array, t1: number, t2: number, value: Uint8Array | null): void {
    if (t1 > this.#observedStreamTimeMs) {
      this.#observedStreamTimeMs = t1;
      const minLive = segmentIdOf(t1 - this.retentionMs, this.segments.segmentIntervalMs);
      if (minLive > this.#minLiveSegment) {
        this.#minLiveSegment = minLive;
        this.segments.dropBefore(minLive);
      }
    }
    if (t1 <= this.#observedStreamTimeMs - this.retentionMs) return;
    if (value === null) this.segments.delete(key, t1, t2);
    else this.segments.put(key, t1, t2, value);
  }

  /** Applies one changelog record; restored arrays may be views into a fetched batch, so copy what is kept. */
  protected abstract restoreRecord(record: RestoreRecord): void;

  #restore(batch: readonly RestoreRecord[]): void {
    this.assertOpen();
    for (const record of batch) this.restoreRecord(record);
    this.segments.saveMeta(this.#observedStreamTimeMs);
    this.segments.flush();
  }
}

/**
 * A copy of `bytes` (a plain `Uint8Array` even for a Buffer).
 *
 * @example
 * ```ts
 * const kept = copyBytes(record.key); // safe to keep after the batch is gone
 * ```
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}

/**
 * Throws `StreamsError('ILLEGAL_STATE')` unless `timeMs` is a safe integer (window times are int64 in Kafka).
 *
 * @example
 * ```ts
 * checkTime('counts', 60_000); // fine; checkTime('counts', 0.5) throws
 * ```
 */
export function checkTime(storeName: string, timeMs: number): void {
  if (!Number.isSafeInteger(timeMs)) {
    throw new StreamsError('ILLEGAL_STATE', `state store "${storeName}": window times must be safe integers, got ${timeMs}`);
  }
}
