/**
 * The change-logging layer of session stores: every write is also sent to the changelog with Kafka Streams'
 * session changelog key (`key + end(8) + start(8)`).
 */
import type { KeyValueIterator } from '../../src/state/key-value-store.js';
import type { BytesSessionStore } from '../../src/state/session-store.js';
import type { Windowed } from '../../src/state/windowed.js';
import { ChangeLoggingSegmentedStore } from '../windowed-common/change-logging-segmented-store.js';
import { sessionStoreKeyBinary } from './session-key-schema.js';

/**
 * A {@link BytesSessionStore} layer that logs each put (a `null` aggregate as a tombstone) to
 * `<applicationId>-<name>-changelog` with key `sessionStoreKeyBinary(key, start, end)` and the record timestamp
 * `context.recordTimestampMs`. Reads pass through; restore goes straight to the engine.
 *
 * @example
 * ```ts
 * const store = new ChangeLoggingSessionStore(engine);
 * store.init(context, store);
 * store.put({ key: Buffer.from('u'), window: sessionWindow(0, 10) }, Buffer.from([1]));
 * ```
 */
export class ChangeLoggingSessionStore extends ChangeLoggingSegmentedStore<BytesSessionStore> implements BytesSessionStore {
  put(session: Windowed<Uint8Array>, aggregate: Uint8Array | null): void {
    this.inner.put(session, aggregate);
    const context = this.context!;
    const key = sessionStoreKeyBinary(session.key, session.window.startMs, session.window.endMs);
    context.logChange(this.name, key, aggregate, context.recordTimestampMs);
  }

  fetchSession(key: Uint8Array, startMs: number, endMs: number): Uint8Array | null {
    return this.inner.fetchSession(key, startMs, endMs);
  }

  findSessions(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    earliestSessionEndMs: number,
    latestSessionStartMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array> {
    return this.inner.findSessions(keyFrom, keyTo, earliestSessionEndMs, latestSessionStartMs, backward);
  }
}
