/**
 * The session store engine over {@link Segments} (in memory or SQLite): sessions live in the segment of their END
 * time, as in Kafka Streams, so a session expires (and its segment can go) once its end is past retention.
 */
import type { KeyValueIterator } from '../../src/state/key-value-store.js';
import type { BytesSessionStore } from '../../src/state/session-store.js';
import type { RestoreRecord, StateStore, StateStoreContext } from '../../src/state/state-store.js';
import { sessionWindow } from '../../src/state/windowed.js';
import type { Windowed } from '../../src/state/windowed.js';
import { emptyIterator } from '../abstract-key-value-iterator.js';
import { assertCreated, assertOpen } from '../assert-open.js';
import type { EngineState } from '../assert-open.js';
import { SegmentIterator } from '../window/segment-iterator.js';
import { checkTime } from '../window/segmented-window-store.js';
import { segmentIdOf } from '../window/segments.js';
import type { Segments } from '../window/segments.js';
import { parseSessionStoreKey } from './session-key-schema.js';

function copy(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}

/**
 * A {@link BytesSessionStore} engine. Entries are keyed (key, end, start) in the segment of `end`; the observed
 * stream time is the largest session end put or restored; segments older than `segmentId(observedStreamTime -
 * retentionMs)` are dropped whole as it advances, and sessions ending at or before `observedStreamTime -
 * retentionMs` are neither stored nor returned. Restoring reads Kafka's session changelog keys
 * (`key + end(8) + start(8)`).
 *
 * @example
 * ```ts
 * const engine = new SegmentedSessionStore('s', 120_000, new InMemorySegments(60_000));
 * engine.init(context, engine);
 * engine.put({ key: Buffer.from('u'), window: sessionWindow(0, 10) }, Buffer.from([1]));
 * engine.fetchSession(Buffer.from('u'), 0, 10); // <01>
 * ```
 */
export class SegmentedSessionStore implements BytesSessionStore {
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

  put(session: Windowed<Uint8Array>, aggregate: Uint8Array | null): void {
    assertOpen(this.#state, this.name);
    checkTime(this.name, session.window.startMs);
    checkTime(this.name, session.window.endMs);
    this.#apply(session.key, session.window.startMs, session.window.endMs, aggregate);
  }

  fetchSession(key: Uint8Array, startMs: number, endMs: number): Uint8Array | null {
    assertOpen(this.#state, this.name);
    if (endMs <= this.#observedStreamTimeMs - this.retentionMs) return null;
    return this.segments.get(key, endMs, startMs);
  }

  findSessions(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    earliestSessionEndMs: number,
    latestSessionStartMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array> {
    assertOpen(this.#state, this.name);
    const from = Math.max(earliestSessionEndMs, this.#observedStreamTimeMs - this.retentionMs + 1);
    if (from === Infinity) return emptyIterator();
    // A session starts at or before its end, so ends are bounded below only (Kafka searches to Long.MAX_VALUE too).
    return new SegmentIterator(this.segments.fetch(keyFrom, keyTo, from, Infinity, backward), (e) =>
      e.t2 <= latestSessionStartMs ? { key: { key: e.key, window: sessionWindow(e.t2, e.t1) }, value: e.value } : undefined,
    );
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

  #apply(key: Uint8Array, startMs: number, endMs: number, value: Uint8Array | null): void {
    if (endMs > this.#observedStreamTimeMs) {
      this.#observedStreamTimeMs = endMs;
      const minLive = segmentIdOf(endMs - this.retentionMs, this.segments.segmentIntervalMs);
      if (minLive > this.#minLiveSegment) {
        this.#minLiveSegment = minLive;
        this.segments.dropBefore(minLive);
      }
    }
    if (endMs <= this.#observedStreamTimeMs - this.retentionMs) return;
    if (value === null) this.segments.delete(key, endMs, startMs);
    else this.segments.put(key, endMs, startMs, value);
  }

  #restore(batch: readonly RestoreRecord[]): void {
    assertOpen(this.#state, this.name);
    for (const record of batch) {
      const { key, startMs, endMs } = parseSessionStoreKey(record.key);
      this.#apply(copy(key), startMs, endMs, record.value === null ? null : copy(record.value));
    }
    this.segments.saveMeta(this.#observedStreamTimeMs);
    this.segments.flush();
  }
}
