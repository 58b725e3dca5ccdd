/**
 * The metered layer: the outermost store of a stack and its only typed one. It turns typed keys and values into
 * bytes with the store's serdes (the serde boundary) and counts calls.
 */
import { StreamsError } from '../src/errors.js';
import type { Serde, Serializer } from '../src/serdes/serde.js';
import type {
  BytesKeyValueStore,
  CachedStateStore,
  CacheFlushListener,
  KeyValue,
  KeyValueIterator,
  KeyValueStore,
} from '../src/state/key-value-store.js';
import { changelogTopicName } from '../src/state/state-store.js';
import type { StateStore, StateStoreContext } from '../src/state/state-store.js';
import { AbstractKeyValueIterator } from './abstract-key-value-iterator.js';
import { cacheStatsOf, type CacheStats } from './cache-stats.js';

/**
 * Call counters of one typed store (per task). Live: the numbers grow as the store is used.
 *
 * @example
 * ```ts
 * const store = builder.build() as MeteredKeyValueStore<string, bigint>;
 * store.metrics.puts; // 0 before any put
 * ```
 */
export interface KeyValueStoreMetrics {
  readonly gets: number;
  readonly puts: number;
  readonly putIfAbsents: number;
  readonly putAlls: number;
  readonly deletes: number;
  /** range, reverseRange, all, reverseAll and prefixScan calls. */
  readonly scans: number;
  readonly flushes: number;
}

type MutableMetrics = { -readonly [K in keyof KeyValueStoreMetrics]: number };

// The last key before any was serialized: module-private, so no caller's key is ever the same value.
const NO_KEY: unknown = Object.freeze({});

/**
 * A typed {@link KeyValueStore} over a {@link BytesKeyValueStore}: keys and values are serialized with the store's
 * serdes, using the changelog topic name as the serdes' topic (as Kafka Streams does), and every call is counted in
 * `metrics`.
 *
 * A key that serializes to `null` throws `StreamsError('SERDE_FAILED')`; a value that serializes to `null` deletes
 * the key. `setFlushListener` passes a typed listener down to the caching layer, if there is one.
 *
 * The bytes of the last primitive key (string, number or bigint) are reused while the next call has the same key
 * (`Object.is`), so get-then-put of one key serializes it once: key serdes must be deterministic (every built-in
 * one is). Object keys are serialized on every call.
 *
 * @example
 * ```ts
 * const store = new MeteredKeyValueStore(new InMemoryKeyValueStore('counts'), Serdes.String(), Serdes.BigInt(), 'in-memory');
 * store.init(context, store);
 * store.put('a', 1n);
 * store.get('a');        // 1n
 * store.metrics.puts;    // 1
 * ```
 */
export class MeteredKeyValueStore<K, V> implements KeyValueStore<K, V>, CachedStateStore<K, V> {
  readonly #metrics: MutableMetrics = { gets: 0, puts: 0, putIfAbsents: 0, putAlls: 0, deletes: 0, scans: 0, flushes: 0 };
  #topic: string;
  #lastKey: unknown = NO_KEY;
  #lastKeyBytes: Uint8Array = EMPTY_BYTES;

  constructor(
    private readonly inner: BytesKeyValueStore,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
    /** The engine label, e.g. `'in-memory'` or `'sqlite'`. */
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

  /** Call counters since the store was built. */
  get metrics(): KeyValueStoreMetrics {
    return this.#metrics;
  }

  /** The caching layer's hits and misses (live), or null when the store has no cache. */
  get cacheStats(): CacheStats | null {
    return cacheStatsOf(this.inner);
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.#topic = changelogTopicName(context.applicationId, this.inner.name);
    this.#lastKey = NO_KEY;
    this.inner.init(context, root);
  }

  setFlushListener(listener: CacheFlushListener<K, V>, sendOldValues: boolean): boolean {
    const setter = this.inner.setFlushListener;
    if (setter === undefined) return false;
    return setter.call(
      this.inner,
      (key, newValue, oldValue, timestampMs) =>
        listener(this.#key(key), this.#valueOrNull(newValue), this.#valueOrNull(oldValue), timestampMs),
      sendOldValues,
    );
  }

  get(key: K): V | null {
    this.#metrics.gets++;
    return this.#valueOrNull(this.inner.get(this.#keyBytes(key)));
  }

  put(key: K, value: V | null): void {
    this.#metrics.puts++;
    this.inner.put(this.#keyBytes(key), this.valueSerde.serialize(this.#topic, value));
  }

  putIfAbsent(key: K, value: V | null): V | null {
    this.#metrics.putIfAbsents++;
    return this.#valueOrNull(this.inner.putIfAbsent(this.#keyBytes(key), this.valueSerde.serialize(this.#topic, value)));
  }

  putAll(entries: readonly KeyValue<K, V | null>[]): void {
    this.#metrics.putAlls++;
    const bytes: KeyValue<Uint8Array, Uint8Array | null>[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      bytes[i] = { key: this.#keyBytes(entry.key), value: this.valueSerde.serialize(this.#topic, entry.value) };
    }
    this.inner.putAll(bytes);
  }

  delete(key: K): V | null {
    this.#metrics.deletes++;
    return this.#valueOrNull(this.inner.delete(this.#keyBytes(key)));
  }

  range(from: K | null, to: K | null): KeyValueIterator<K, V> {
    this.#metrics.scans++;
    return this.#typed(this.inner.range(this.#boundBytes(from), this.#boundBytes(to)));
  }

  reverseRange(from: K | null, to: K | null): KeyValueIterator<K, V> {
    this.#metrics.scans++;
    return this.#typed(this.inner.reverseRange(this.#boundBytes(from), this.#boundBytes(to)));
  }

  all(): KeyValueIterator<K, V> {
    this.#metrics.scans++;
    return this.#typed(this.inner.all());
  }

  reverseAll(): KeyValueIterator<K, V> {
    this.#metrics.scans++;
    return this.#typed(this.inner.reverseAll());
  }

  prefixScan<P>(prefix: P, prefixKeySerializer: Serializer<P>): KeyValueIterator<K, V> {
    this.#metrics.scans++;
    const bytes = prefixKeySerializer.serialize(this.#topic, prefix);
    if (bytes === null) {
      throw new StreamsError('SERDE_FAILED', `state store "${this.name}": a prefix must not serialize to null`, { topic: this.#topic });
    }
    return this.#typed(this.inner.prefixScan(bytes));
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }

  flush(): void {
    this.#metrics.flushes++;
    this.inner.flush();
  }

  close(): void {
    this.inner.close();
  }

  #keyBytes(key: K): Uint8Array {
    // Only primitives are remembered, so an object key never matches (Object.is also keeps -0 apart from 0).
    if (Object.is(key, this.#lastKey)) return this.#lastKeyBytes;
    const bytes = this.keySerde.serialize(this.#topic, key);
    if (bytes === null) {
      throw new StreamsError('SERDE_FAILED', `state store "${this.name}": a key must not be null`, { topic: this.#topic });
    }
    const type = typeof key;
    if (type === 'string' || type === 'number' || type === 'bigint') {
      this.#lastKey = key;
      this.#lastKeyBytes = bytes;
    }
    return bytes;
  }

  #boundBytes(bound: K | null): Uint8Array | null {
    return bound === null ? null : this.#keyBytes(bound);
  }

  #key(bytes: Uint8Array): K {
    return this.keySerde.deserialize(this.#topic, bytes)!;
  }

  #valueOrNull(bytes: Uint8Array | null): V | null {
    return bytes === null ? null : this.valueSerde.deserialize(this.#topic, bytes);
  }

  #typed(bytes: KeyValueIterator<Uint8Array, Uint8Array>): KeyValueIterator<K, V> {
    return new TypedIterator(bytes, this.keySerde, this.valueSerde, this.#topic);
  }
}

const EMPTY_BYTES = new Uint8Array(0);

class TypedIterator<K, V> extends AbstractKeyValueIterator<K, V> {
  constructor(
    private readonly bytes: KeyValueIterator<Uint8Array, Uint8Array>,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    private readonly topic: string,
  ) {
    super();
  }

  protected fetchNext(): KeyValue<K, V> | undefined {
    const result = this.bytes.next();
    if (result.done === true) return undefined;
    const entry = result.value;
    return {
      key: this.keySerde.deserialize(this.topic, entry.key)!,
      value: this.valueSerde.deserialize(this.topic, entry.value)!,
    };
  }

  protected override onClose(): void {
    this.bytes.close();
  }
}
