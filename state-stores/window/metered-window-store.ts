/**
 * The metered layer of window stores: the typed outer store, the serde boundary for keys and values, and call
 * counters.
 */
import type { Serde } from '../../src/serdes/serde.js';
import type { KeyValueIterator } from '../../src/state/key-value-store.js';
import type { BytesWindowStore, WindowStore, WindowStoreIterator } from '../../src/state/window-store.js';
import type { Windowed } from '../../src/state/windowed.js';
import { MappedIterator, MeteredSegmentedStore } from '../windowed-common/metered-segmented-store.js';

/**
 * Call counters of one typed window store (per task); live.
 *
 * @example
 * ```ts
 * (store as MeteredWindowStore<string, number>).metrics.puts; // 0 before any put
 * ```
 */
export interface WindowStoreMetrics {
  readonly puts: number;
  readonly fetches: number;
  /** Range fetches, fetchAll, all and their backward variants. */
  readonly scans: number;
  readonly flushes: number;
}

type MutableMetrics = { -readonly [K in keyof WindowStoreMetrics]: number };

/**
 * A typed {@link WindowStore} over a {@link BytesWindowStore}: keys and values go through the serdes with the
 * changelog topic name as topic (as Kafka Streams does); a key serializing to `null` throws
 * `StreamsError('SERDE_FAILED')`, a value serializing to `null` deletes. Overloads are told apart by argument
 * count, as the interface documents. `setFlushListener` hands a typed listener down to a caching layer, if any.
 *
 * @example
 * ```ts
 * const store = new MeteredWindowStore(engine, Serdes.String(), Serdes.Number(), 'in-memory');
 * store.init(context, store);
 * store.put('a', 1, 0);
 * store.fetch('a', 0); // 1
 * ```
 */
export class MeteredWindowStore<K, V>
  extends MeteredSegmentedStore<K, V, BytesWindowStore, MutableMetrics>
  implements WindowStore<K, V>
{
  constructor(inner: BytesWindowStore, keySerde: Serde<K>, valueSerde: Serde<V>, metricsScope: string) {
    super(inner, keySerde, valueSerde, metricsScope, { puts: 0, fetches: 0, scans: 0, flushes: 0 });
  }

  get metrics(): WindowStoreMetrics {
    return this.counters;
  }
  get windowSizeMs(): number {
    return this.inner.windowSizeMs;
  }

  put(key: K, value: V | null, windowStartMs: number): void {
    this.counters.puts++;
    this.inner.put(this.keyBytes(key), this.valueSerde.serialize(this.topic, value), windowStartMs);
  }

  fetch(key: K, windowStartMs: number): V | null;
  fetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>;
  fetch(keyFrom: K | null, keyTo: K | null, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>;
  fetch(a: K | null, b: number | K | null, c?: number, d?: number): V | null | WindowStoreIterator<V> | KeyValueIterator<Windowed<K>, V> {
    if (arguments.length === 2) {
      this.counters.fetches++;
      return this.valueOrNull(this.inner.fetch(this.keyBytes(a as K), b as number));
    }
    this.counters.scans++;
    if (arguments.length === 3) return this.#timed(this.inner.fetchKey(this.keyBytes(a as K), b as number, c!, false));
    return this.windowed(this.inner.fetchRange(this.bound(a), this.bound(b as K | null), c!, d!, false));
  }

  backwardFetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>;
  backwardFetch(keyFrom: K | null, keyTo: K | null, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>;
  backwardFetch(a: K | null, b: number | K | null, c: number, d?: number): WindowStoreIterator<V> | KeyValueIterator<Windowed<K>, V> {
    this.counters.scans++;
    if (arguments.length === 3) return this.#timed(this.inner.fetchKey(this.keyBytes(a as K), b as number, c, true));
    return this.windowed(this.inner.fetchRange(this.bound(a), this.bound(b as K | null), c, d!, true));
  }

  fetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V> {
    this.counters.scans++;
    return this.windowed(this.inner.fetchRange(null, null, timeFromMs, timeToMs, false));
  }

  backwardFetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V> {
    this.counters.scans++;
    return this.windowed(this.inner.fetchRange(null, null, timeFromMs, timeToMs, true));
  }

  all(): KeyValueIterator<Windowed<K>, V> {
    return this.fetchAll(-Infinity, Infinity);
  }

  backwardAll(): KeyValueIterator<Windowed<K>, V> {
    return this.backwardFetchAll(-Infinity, Infinity);
  }

  #timed(bytes: WindowStoreIterator<Uint8Array>): WindowStoreIterator<V> {
    return new MappedIterator(bytes, (e) => ({ key: e.key, value: this.valueSerde.deserialize(this.topic, e.value)! }));
  }
}
