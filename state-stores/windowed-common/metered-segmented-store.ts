/**
 * What the typed (metered) window and session stores share: the serde boundary with the changelog topic as topic,
 * the typed flush listener, and the pass-through life cycle.
 */
import { StreamsError } from '../../src/errors.js';
import type { Serde } from '../../src/serdes/serde.js';
import type { CachedStateStore, CacheFlushListener, KeyValue, KeyValueIterator } from '../../src/state/key-value-store.js';
import { changelogTopicName } from '../../src/state/state-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { Windowed } from '../../src/state/windowed.js';
import { AbstractKeyValueIterator } from '../abstract-key-value-iterator.js';
import { cacheStatsOf, type CacheStats } from '../cache-stats.js';
import type { SegmentedBytesStore } from './caching-segmented-store.js';
import { WrappingStore } from './wrapping-store.js';

/**
 * A windowed bytes store as the metered layer sees it.
 *
 * @example
 * ```ts
 * const inner: MeterableBytesStore = engine; // a BytesWindowStore or a BytesSessionStore
 * ```
 */
export interface MeterableBytesStore extends SegmentedBytesStore {
  setFlushListener?(listener: CacheFlushListener<Windowed<Uint8Array>, Uint8Array>, sendOldValues: boolean): boolean;
}

/**
 * The base of the typed window and session stores: keys and values go through the serdes with the changelog topic
 * name as topic (the store name before `init`); a key serializing to `null` throws `StreamsError('SERDE_FAILED')`.
 * `setFlushListener` hands a typed listener down to a caching layer, if any; `flush` counts in `counters.flushes`.
 *
 * @example
 * ```ts
 * class MyTypedStore<K, V> extends MeteredSegmentedStore<K, V, BytesWindowStore, { flushes: number }> {}
 * ```
 */
export abstract class MeteredSegmentedStore<K, V, S extends MeterableBytesStore, M extends { flushes: number }>
  extends WrappingStore<S>
  implements CachedStateStore<Windowed<K>, V>
{
  /** The changelog topic: what the serdes are told. */
  protected topic: string;

  constructor(
    inner: S,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
    readonly metricsScope: string,
    protected readonly counters: M,
  ) {
    super(inner);
    this.topic = inner.name;
  }

  /** The caching layer's hits and misses (live), or null when the store has no cache. */
  get cacheStats(): CacheStats | null {
    return cacheStatsOf(this.inner);
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.topic = changelogTopicName(context.applicationId, this.inner.name);
    this.inner.init(context, root);
  }

  setFlushListener(listener: CacheFlushListener<Windowed<K>, V>, sendOldValues: boolean): boolean {
    const setter = this.inner.setFlushListener;
    if (setter === undefined) return false;
    return setter.call(
      this.inner,
      (key, newValue, oldValue, timestampMs) =>
        listener(
          { key: this.keySerde.deserialize(this.topic, key.key)!, window: key.window },
          this.valueOrNull(newValue),
          this.valueOrNull(oldValue),
          timestampMs,
        ),
      sendOldValues,
    );
  }

  flush(): void {
    this.counters.flushes++;
    this.inner.flush();
  }

  /** The key's bytes; `SERDE_FAILED` when it serializes to `null`. */
  protected keyBytes(key: K): Uint8Array {
    const bytes = this.keySerde.serialize(this.topic, key);
    if (bytes === null) {
      throw new StreamsError('SERDE_FAILED', `state store "${this.name}": a key must not be null`, { topic: this.topic });
    }
    return bytes;
  }

  /** The key's bytes, `null` (an open bound) staying `null`. */
  protected bound(key: K | null): Uint8Array | null {
    return key === null ? null : this.keyBytes(key);
  }

  /** The deserialized value, `null` staying `null`. */
  protected valueOrNull(bytes: Uint8Array | null): V | null {
    return bytes === null ? null : this.valueSerde.deserialize(this.topic, bytes);
  }

  /** A typed view of a bytes iterator of windowed entries. */
  protected windowed(bytes: KeyValueIterator<Windowed<Uint8Array>, Uint8Array>): KeyValueIterator<Windowed<K>, V> {
    return new MappedIterator(bytes, (e) => ({
      key: { key: this.keySerde.deserialize(this.topic, e.key.key)!, window: e.key.window },
      value: this.valueSerde.deserialize(this.topic, e.value)!,
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
