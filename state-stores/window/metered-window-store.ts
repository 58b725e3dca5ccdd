/**
 * The metered layer of window stores: the typed outer store, the serde boundary for keys and values, and call
 * counters.
 */
import { StreamsError } from '../../src/errors.js';
import type { Serde } from '../../src/serdes/serde.js';
import type { CachedStateStore, CacheFlushListener, KeyValue, KeyValueIterator } from '../../src/state/key-value-store.js';
import { changelogTopicName } from '../../src/state/state-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { BytesWindowStore, WindowStore, WindowStoreIterator } from '../../src/state/window-store.js';
import type { Windowed } from '../../src/state/windowed.js';
import { AbstractKeyValueIterator } from '../abstract-key-value-iterator.js';

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
export class MeteredWindowStore<K, V> implements WindowStore<K, V>, CachedStateStore<Windowed<K>, V> {
  readonly #metrics: MutableMetrics = { puts: 0, fetches: 0, scans: 0, flushes: 0 };
  #topic: string;

  constructor(
    private readonly inner: BytesWindowStore,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
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
  get metrics(): WindowStoreMetrics {
    return this.#metrics;
  }
  get retentionMs(): number {
    return this.inner.retentionMs;
  }
  get windowSizeMs(): number {
    return this.inner.windowSizeMs;
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.#topic = changelogTopicName(context.applicationId, this.inner.name);
    this.inner.init(context, root);
  }

  setFlushListener(listener: CacheFlushListener<Windowed<K>, V>, sendOldValues: boolean): boolean {
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

  put(key: K, value: V | null, windowStartMs: number): void {
    this.#metrics.puts++;
    this.inner.put(this.#keyBytes(key), this.valueSerde.serialize(this.#topic, value), windowStartMs);
  }

  fetch(key: K, windowStartMs: number): V | null;
  fetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>;
  fetch(keyFrom: K | null, keyTo: K | null, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>;
  fetch(a: K | null, b: number | K | null, c?: number, d?: number): V | null | WindowStoreIterator<V> | KeyValueIterator<Windowed<K>, V> {
    if (arguments.length === 2) {
      this.#metrics.fetches++;
      return this.#valueOrNull(this.inner.fetch(this.#keyBytes(a as K), b as number));
    }
    this.#metrics.scans++;
    if (arguments.length === 3) return this.#timed(this.inner.fetchKey(this.#keyBytes(a as K), b as number, c!, false));
    return this.#windowed(this.inner.fetchRange(this.#bound(a), this.#bound(b as K | null), c!, d!, false));
  }

  backwardFetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>;
  backwardFetch(keyFrom: K | null, keyTo: K | null, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>;
  backwardFetch(a: K | null, b: number | K | null, c: number, d?: number): WindowStoreIterator<V> | KeyValueIterator<Windowed<K>, V> {
    this.#metrics.scans++;
    if (arguments.length === 3) return this.#timed(this.inner.fetchKey(this.#keyBytes(a as K), b as number, c, true));
    return this.#windowed(this.inner.fetchRange(this.#bound(a), this.#bound(b as K | null), c, d!, true));
  }

  fetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V> {
    this.#metrics.scans++;
    return this.#windowed(this.inner.fetchRange(null, null, timeFromMs, timeToMs, false));
  }

  backwardFetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V> {
    this.#metrics.scans++;
    return this.#windowed(this.inner.fetchRange(null, null, timeFromMs, timeToMs, true));
  }

  all(): KeyValueIterator<Windowed<K>, V> {
    return this.fetchAll(-Infinity, Infinity);
  }

  backwardAll(): KeyValueIterator<Windowed<K>, V> {
    return this.backwardFetchAll(-Infinity, Infinity);
  }

  flush(): void {
    this.#metrics.flushes++;
    this.inner.flush();
  }

  close(): void {
    this.inner.close();
  }

  #keyBytes(key: K): Uint8Array {
    const bytes = this.keySerde.serialize(this.#topic, key);
    if (bytes === null) {
      throw new StreamsError('SERDE_FAILED', `state store "${this.name}": a key must not be null`, { topic: this.#topic });
    }
    return bytes;
  }

  #bound(key: K | null): Uint8Array | null {
    return key === null ? null : this.#keyBytes(key);
  }

  #valueOrNull(bytes: Uint8Array | null): V | null {
    return bytes === null ? null : this.valueSerde.deserialize(this.#topic, bytes);
  }

  #timed(bytes: WindowStoreIterator<Uint8Array>): WindowStoreIterator<V> {
    return new MappedIterator(bytes, (e) => ({ key: e.key, value: this.valueSerde.deserialize(this.#topic, e.value)! }));
  }

  #windowed(bytes: KeyValueIterator<Windowed<Uint8Array>, Uint8Array>): KeyValueIterator<Windowed<K>, V> {
    return new MappedIterator(bytes, (e) => ({
      key: { key: this.keySerde.deserialize(this.#topic, e.key.key)!, window: e.key.window },
      value: this.valueSerde.deserialize(this.#topic, e.value)!,
    }));
  }
}

/**
 * An iterator that maps each entry of another (one closure per iterator, none per entry).
 *
 * @example
 * ```ts
 * new MappedIterator(bytesIterator, (e) => ({ key: decode(e.key), value: decode(e.value) }));
 * ```
 */
export class MappedIterator<K1, V1, K2, V2> extends AbstractKeyValueIterator<K2, V2> {
  constructor(
    private readonly source: KeyValueIterator<K1, V1>,
    private readonly map: (entry: KeyValue<K1, V1>) => KeyValue<K2, V2>,
  ) {
    super();
  }

  protected fetchNext(): KeyValue<K2, V2> | undefined {
    const result = this.source.next();
    return result.done === true ? undefined : this.map(result.value);
  }

  protected override onClose(): void {
    this.source.close();
  }
}
