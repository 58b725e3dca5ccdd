/** The metered layer of session stores: the typed outer store and the serde boundary. */
import type { Serde } from '../../src/serdes/serde.js';
import type { KeyValueIterator } from '../../src/state/key-value-store.js';
import type { BytesSessionStore, SessionStore } from '../../src/state/session-store.js';
import type { Windowed } from '../../src/state/windowed.js';
import { MeteredSegmentedStore } from '../windowed-common/metered-segmented-store.js';

/**
 * Call counters of one typed session store (per task); live.
 *
 * @example
 * ```ts
 * (store as MeteredSessionStore<string, number>).metrics.removes; // 0
 * ```
 */
export interface SessionStoreMetrics {
  readonly puts: number;
  readonly removes: number;
  readonly fetches: number;
  readonly scans: number;
  readonly flushes: number;
}

type MutableMetrics = { -readonly [K in keyof SessionStoreMetrics]: number };

/**
 * A typed {@link SessionStore} over a {@link BytesSessionStore}: keys and aggregates go through the serdes (topic =
 * changelog topic name); overloads are told apart by argument count. A key serializing to `null` throws
 * `StreamsError('SERDE_FAILED')`; an aggregate serializing to `null` removes the session.
 *
 * @example
 * ```ts
 * const store = new MeteredSessionStore(engine, Serdes.String(), Serdes.Number(), 'in-memory');
 * store.init(context, store);
 * store.put({ key: 'u', window: sessionWindow(0, 10) }, 2);
 * store.fetchSession('u', 0, 10); // 2
 * ```
 */
export class MeteredSessionStore<K, AGG>
  extends MeteredSegmentedStore<K, AGG, BytesSessionStore, MutableMetrics>
  implements SessionStore<K, AGG>
{
  constructor(inner: BytesSessionStore, keySerde: Serde<K>, valueSerde: Serde<AGG>, metricsScope: string) {
    super(inner, keySerde, valueSerde, metricsScope, { puts: 0, removes: 0, fetches: 0, scans: 0, flushes: 0 });
  }

  get metrics(): SessionStoreMetrics {
    return this.counters;
  }

  put(session: Windowed<K>, aggregate: AGG | null): void {
    this.counters.puts++;
    this.inner.put({ key: this.keyBytes(session.key), window: session.window }, this.valueSerde.serialize(this.topic, aggregate));
  }

  remove(session: Windowed<K>): void {
    this.counters.removes++;
    this.inner.put({ key: this.keyBytes(session.key), window: session.window }, null);
  }

  fetchSession(key: K, startMs: number, endMs: number): AGG | null {
    this.counters.fetches++;
    return this.valueOrNull(this.inner.fetchSession(this.keyBytes(key), startMs, endMs));
  }

  findSessions(key: K, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, AGG>;
  findSessions(keyFrom: K | null, keyTo: K | null, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, AGG>;
  findSessions(a: K | null, b: K | number | null, c: number, d?: number): KeyValueIterator<Windowed<K>, AGG> {
    return arguments.length === 3 ? this.#find(a, a, b as number, c, false) : this.#find(a, b as K | null, c, d!, false);
  }

  backwardFindSessions(key: K, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, AGG>;
  backwardFindSessions(keyFrom: K | null, keyTo: K | null, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, AGG>;
  backwardFindSessions(a: K | null, b: K | number | null, c: number, d?: number): KeyValueIterator<Windowed<K>, AGG> {
    return arguments.length === 3 ? this.#find(a, a, b as number, c, true) : this.#find(a, b as K | null, c, d!, true);
  }

  fetch(key: K): KeyValueIterator<Windowed<K>, AGG>;
  fetch(keyFrom: K | null, keyTo: K | null): KeyValueIterator<Windowed<K>, AGG>;
  fetch(a: K | null, b?: K | null): KeyValueIterator<Windowed<K>, AGG> {
    return this.#find(a, arguments.length === 1 ? a : (b ?? null), -Infinity, Infinity, false);
  }

  backwardFetch(key: K): KeyValueIterator<Windowed<K>, AGG>;
  backwardFetch(keyFrom: K | null, keyTo: K | null): KeyValueIterator<Windowed<K>, AGG>;
  backwardFetch(a: K | null, b?: K | null): KeyValueIterator<Windowed<K>, AGG> {
    return this.#find(a, arguments.length === 1 ? a : (b ?? null), -Infinity, Infinity, true);
  }

  #find(keyFrom: K | null, keyTo: K | null, earliestEndMs: number, latestStartMs: number, backward: boolean): KeyValueIterator<Windowed<K>, AGG> {
    this.counters.scans++;
    const from = keyFrom === null ? null : this.keyBytes(keyFrom);
    const to = keyTo === null ? null : keyTo === keyFrom ? from : this.keyBytes(keyTo);
    return this.windowed(this.inner.findSessions(from, to, earliestEndMs, latestStartMs, backward));
  }
}
