/**
 * The session store shapes: the typed {@link SessionStore} session-windowed aggregations use, its read-only face
 * for interactive queries, and {@link BytesSessionStore}, the bytes interface engines implement.
 */
import type { CacheFlushListener, KeyValueIterator } from './key-value-store.js';
import type { StateStore } from './state-store.js';
import type { Windowed } from './windowed.js';

/**
 * The read side of a session store.
 *
 * `findSessions(key, earliestSessionEndMs, latestSessionStartMs)` returns the sessions that end at or after
 * `earliestSessionEndMs` and start at or before `latestSessionStartMs`: those a record at time t with inactivity gap
 * g would merge with when called with `(t - g, t + g)`. Sessions whose end is at or before `observedStreamTime -
 * retentionMs` (observed stream time: the largest session end put) are expired and never returned. Order: by time
 * segment of the session end, then serialized key bytes (unsigned), then end, then start (Kafka Streams' persistent
 * session store order); one key's sessions thus come by end time. Backward variants return the exact reverse.
 *
 * @example
 * ```ts
 * const view: ReadOnlySessionStore<string, number> = streams.store('sessions', QueryableStoreTypes.sessionStore());
 * for (const { key, value } of view.fetch('user-1')) console.log(key.window.startMs, key.window.endMs, value);
 * ```
 */
export interface ReadOnlySessionStore<K, AGG> {
  findSessions(key: K, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, AGG>;
  findSessions(
    keyFrom: K | null,
    keyTo: K | null,
    earliestSessionEndMs: number,
    latestSessionStartMs: number,
  ): KeyValueIterator<Windowed<K>, AGG>;
  backwardFindSessions(key: K, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, AGG>;
  backwardFindSessions(
    keyFrom: K | null,
    keyTo: K | null,
    earliestSessionEndMs: number,
    latestSessionStartMs: number,
  ): KeyValueIterator<Windowed<K>, AGG>;
  /** The aggregate of exactly the session `[startMs, endMs]` of `key`, or `null`. */
  fetchSession(key: K, startMs: number, endMs: number): AGG | null;
  /** Every unexpired session of `key` (`findSessions(key, -inf, +inf)`). */
  fetch(key: K): KeyValueIterator<Windowed<K>, AGG>;
  /** Every unexpired session of keys in `[keyFrom, keyTo]`. */
  fetch(keyFrom: K | null, keyTo: K | null): KeyValueIterator<Windowed<K>, AGG>;
  backwardFetch(key: K): KeyValueIterator<Windowed<K>, AGG>;
  backwardFetch(keyFrom: K | null, keyTo: K | null): KeyValueIterator<Windowed<K>, AGG>;
}

/**
 * A typed, task-local session store: one aggregate per (key, session window).
 *
 * `put(session, null)` and `remove(session)` delete that exact session (a merge removes the sessions it absorbs).
 * A put whose session end is expired is dropped. Calls after `close()` throw `StreamsError('CLOSED')`.
 *
 * @example
 * ```ts
 * const sessions = context.getStateStore<SessionStore<string, number>>('sessions');
 * sessions.put({ key: 'u1', window: sessionWindow(1_000, 4_000) }, 3);
 * sessions.fetchSession('u1', 1_000, 4_000); // 3
 * ```
 */
export interface SessionStore<K, AGG> extends StateStore, ReadOnlySessionStore<K, AGG> {
  put(session: Windowed<K>, aggregate: AGG | null): void;
  remove(session: Windowed<K>): void;
}

/**
 * The bytes interface of session stores that engines implement and layers decorate. Same semantics as
 * {@link SessionStore}; `null` key bounds are open.
 *
 * @example
 * ```ts
 * const engine: BytesSessionStore = Stores.inMemorySessionStore('s', 86_400_000).get();
 * engine.init(context, engine);
 * engine.put({ key: Buffer.from('u'), window: sessionWindow(0, 10) }, Buffer.from([1]));
 * ```
 */
export interface BytesSessionStore extends StateStore {
  readonly retentionMs: number;
  readonly segmentIntervalMs: number;
  /** The largest session end put (or restored) so far; `-Infinity` before any. */
  readonly observedStreamTimeMs: number;
  put(session: Windowed<Uint8Array>, aggregate: Uint8Array | null): void;
  fetchSession(key: Uint8Array, startMs: number, endMs: number): Uint8Array | null;
  findSessions(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    earliestSessionEndMs: number,
    latestSessionStartMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array>;
  setFlushListener?(listener: CacheFlushListener<Windowed<Uint8Array>, Uint8Array>, sendOldValues: boolean): boolean;
}

/**
 * Supplies fresh session engines for one store name: what `Stores.inMemorySessionStore` and
 * `Stores.persistentSessionStore` return.
 *
 * @example
 * ```ts
 * Stores.inMemorySessionStore('sessions', 86_400_000).retentionMs; // 86400000
 * ```
 */
export interface SessionBytesStoreSupplier {
  readonly name: string;
  readonly metricsScope: string;
  readonly retentionMs: number;
  readonly segmentIntervalMs: number;
  get(): BytesSessionStore;
}
