/** The metered layer of session stores: the typed outer store and the serde boundary. */
import { StreamsError } from '../../src/errors.js';
import type { Serde } from '../../src/serdes/serde.js';
import type { CachedStateStore, CacheFlushListener, KeyValueIterator } from '../../src/state/key-value-store.js';
import type { BytesSessionStore, SessionStore } from '../../src/state/session-store.js';
import { changelogTopicName } from '../../src/state/state-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { Windowed } from '../../src/state/windowed.js';
import { MappedIterator } from '../window/metered-window-store.js';

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
export class MeteredSessionStore<K, AGG> implements SessionStore<K, AGG>, CachedStateStore<Windowed<K>, AGG> {
  readonly #metrics: MutableMetrics = { puts: 0, removes: 0, fetches: 0, scans: 0, flushes: 0 };
  #topic: string;

  constructor(
    private readonly inner: BytesSessionStore,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<AGG>,
    readonly metricsScope: string,
  ) {
    this.#topic = inner.name;
  }

  get name(): string {
    return this.inner.name;
  }
  get persistent(): boolean {
    return this.inner.persistent;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }
  get metrics(): SessionStoreMetrics {
    return this.#metrics;
  }
  get retentionMs(): number {
    return this.inner.retentionMs;
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.#topic = changelogTopicName(context.applicationId, this.inner.name);
    this.inner.init(context, root);
  }

  setFlushListener(listener: CacheFlushListener<Windowed<K>, AGG>, sendOldValues: boolean): boolean {
    const setter = this.inner.setFlushListener;
    if (setter === undefined) return false;
    return setter.call(
      this.inner,
      (key, newValue, oldValue, timestampMs) =>
        listener(
          { key: this.keySerde.deserialize(this.#topic, key.key)!, window: key.window },
          this.#valueOrNull(newValue),
          this.#valueOrNull(oldValue),
          timestampMs,
        ),
      sendOldValues,
    );
  }

  put(session: Windowed<K>, aggregate: AGG | null): void {
    this.#metrics.puts++;
    this.inner.put({ key: this.#keyBytes(session.key), window: session.window }, this.valueSerde.serialize(this.#topic, aggregate));
  }

  remove(session: Windowed<K>): void {
    this.#metrics.removes++;
    this.inner.put({ key: this.#keyBytes(session.key), window: session.window }, null);
  }

  fetchSession(key: K, startMs: number, endMs: number): AGG | null {
    this.#metrics.fetches++;
    return this.#valueOrNull(this.inner.fetchSession(this.#keyBytes(key), startMs, endMs));
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

  flush(): void {
    this.#metrics.flushes++;
    this.inner.flush();
  }

  close(): void {
    this.inner.close();
  }

  #find(keyFrom: K | null, keyTo: K | null, earliestEndMs: number, latestStartMs: number, backward: boolean): KeyValueIterator<Windowed<K>, AGG> {
    this.#metrics.scans++;
    const from = keyFrom === null ? null : this.#keyBytes(keyFrom);
    const to = keyTo === null ? null : keyTo === keyFrom ? from : this.#keyBytes(keyTo);
    return new MappedIterator(this.inner.findSessions(from, to, earliestEndMs, latestStartMs, backward), (e) => ({
      key: { key: this.keySerde.deserialize(this.#topic, e.key.key)!, window: e.key.window },
      value: this.valueSerde.deserialize(this.#topic, e.value)!,
    }));
  }

  #keyBytes(key: K): Uint8Array {
    const bytes = this.keySerde.serialize(this.#topic, key);
    if (bytes === null) {
      throw new StreamsError('SERDE_FAILED', `state store "${this.name}": a key must not be null`, { topic: this.#topic });
    }
    return bytes;
  }

  #valueOrNull(bytes: Uint8Array | null): AGG | null {
    return bytes === null ? null : this.valueSerde.deserialize(this.#topic, bytes);
  }
}
