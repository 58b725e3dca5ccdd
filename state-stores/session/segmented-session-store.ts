/**
 * The session store engine over {@link Segments} (in memory or SQLite): sessions live in the segment of their END
 * time, as in Kafka Streams, so a session expires (and its segment can go) once its end is past retention.
 */
import type { KeyValueIterator } from '../../src/state/key-value-store.js';
import type { BytesSessionStore } from '../../src/state/session-store.js';
import type { RestoreRecord } from '../../src/state/state-store.js';
import { sessionWindow } from '../../src/state/windowed.js';
import type { Windowed } from '../../src/state/windowed.js';
import { emptyIterator } from '../abstract-key-value-iterator.js';
import { SegmentIterator } from '../window/segment-iterator.js';
import type { Segments } from '../window/segments.js';
import { checkTime, copyBytes, SegmentedEngine } from '../windowed-common/segmented-engine.js';
import { parseSessionStoreKey } from './session-key-schema.js';

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
export class SegmentedSessionStore extends SegmentedEngine implements BytesSessionStore {
  put(session: Windowed<Uint8Array>, aggregate: Uint8Array | null): void {
    this.assertOpen();
    checkTime(this.name, session.window.startMs);
    checkTime(this.name, session.window.endMs);
    this.apply(session.key, session.window.endMs, session.window.startMs, aggregate);
  }

  fetchSession(key: Uint8Array, startMs: number, endMs: number): Uint8Array | null {
    this.assertOpen();
    if (this.isExpired(endMs)) return null;
    return this.segments.get(key, endMs, startMs);
  }

  findSessions(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    earliestSessionEndMs: number,
    latestSessionStartMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array> {
    this.assertOpen();
    const from = this.liveFrom(earliestSessionEndMs);
    if (from === Infinity) return emptyIterator();
    // A session starts at or before its end, so ends are bounded below only (Kafka searches to Long.MAX_VALUE too).
    return new SegmentIterator(this.segments.fetch(keyFrom, keyTo, from, Infinity, backward), (e) =>
      e.t2 <= latestSessionStartMs ? { key: { key: e.key, window: sessionWindow(e.t2, e.t1) }, value: e.value } : undefined,
    );
  }

  protected restoreRecord(record: RestoreRecord): void {
    const { key, startMs, endMs } = parseSessionStoreKey(record.key);
    this.apply(copyBytes(key), endMs, startMs, record.value === null ? null : copyBytes(record.value));
  }
}
