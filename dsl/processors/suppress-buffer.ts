/**
 * The buffer of `KTable.suppress` (Kafka Streams' `InMemoryTimeOrderedKeyValueChangeBuffer`): the latest update of
 * each key, ordered by buffer time, kept in an ordinary key-value store (bytes -> bytes, logged, not cached) so the
 * runtime restores it from its changelog like any other store.
 *
 * Store key: `bufferTime (8 bytes, big-endian, order-preserving) + serialized key`, so the engine's byte order is the
 * eviction order (time, then key bytes). Store value: `recordTimestamp (float64) + prior value + new value + headers`
 * (lengths int32 BE, -1 for null). The prior value is the old value of the first update buffered for the key, the
 * value downstream last saw, so an emitted `Change` spans everything the buffer swallowed.
 */
import { Buffer } from 'node:buffer';
import type { Headers } from '../../src/record.js';
import { NO_HEADERS } from '../../src/record.js';
import type { Serde } from '../../src/serdes/serde.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { KeyValueStore } from '../../src/state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import { changelogTopicName } from '../../src/state/state-store.js';
import type { ChangelogConfig, StoreBuilder } from '../../src/state/store-builder.js';
import { Stores } from '../../state-stores/stores.js';
import type { Change } from '../change.js';

/**
 * One entry leaving the buffer: the key, the change to forward (new value, and the prior value), and the timestamp
 * and headers of the key's latest buffered record.
 *
 * @example `buffer.evictExpired(expiryMs, (e: BufferEviction<string, number>) => forward(e.key, e.change, e.timestampMs));`
 */
export interface BufferEviction<K, V> {
  readonly key: K;
  readonly change: Change<V>;
  readonly timestampMs: number;
  readonly headers: Headers;
}

interface IndexEntry {
  readonly timeMs: number;
  readonly sizeBytes: number;
}

const TWO_32 = 0x1_0000_0000;

function encodeStoreKey(timeMs: number, keyBytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + keyBytes.byteLength);
  const hi = Math.floor(timeMs / TWO_32);
  // Offset the (signed) high word so negative times sort before positive ones in unsigned byte order.
  out.writeUInt32BE((hi + 0x8000_0000) >>> 0, 0);
  out.writeUInt32BE(timeMs - hi * TWO_32, 4);
  out.set(keyBytes, 8);
  return out;
}

function decodeStoreKeyTime(bytes: Uint8Array): number {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return (view.readUInt32BE(0) - 0x8000_0000) * TWO_32 + view.readUInt32BE(4);
}

function bytesLength(b: Uint8Array | null): number {
  return b === null ? 4 : 4 + b.byteLength;
}

function encodeValue(timestampMs: number, prior: Uint8Array | null, next: Uint8Array | null, headers: Headers): Buffer {
  let size = 8 + bytesLength(prior) + bytesLength(next) + 2;
  const headerKeys: Buffer[] = [];
  for (const h of headers) {
    const k = Buffer.from(h.key, 'utf8');
    headerKeys.push(k);
    size += 2 + k.byteLength + bytesLength(h.value);
  }
  const out = Buffer.allocUnsafe(size);
  out.writeDoubleBE(timestampMs, 0);
  let pos = 8;
  const put = (b: Uint8Array | null): void => {
    if (b === null) {
      out.writeInt32BE(-1, pos);
      pos += 4;
      return;
    }
    out.writeInt32BE(b.byteLength, pos);
    out.set(b, pos + 4);
    pos += 4 + b.byteLength;
  };
  put(prior);
  put(next);
  out.writeUInt16BE(headers.length, pos);
  pos += 2;
  for (let i = 0; i < headers.length; i++) {
    const k = headerKeys[i]!;
    out.writeUInt16BE(k.byteLength, pos);
    out.set(k, pos + 2);
    pos += 2 + k.byteLength;
    put(headers[i]!.value);
  }
  return out;
}

interface DecodedValue {
  readonly timestampMs: number;
  readonly prior: Uint8Array | null;
  readonly next: Uint8Array | null;
  readonly headers: Headers;
}

function decodeValue(bytes: Uint8Array): DecodedValue {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const timestampMs = view.readDoubleBE(0);
  let pos = 8;
  const take = (): Uint8Array | null => {
    const n = view.readInt32BE(pos);
    pos += 4;
    if (n < 0) return null;
    const b = view.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const prior = take();
  const next = take();
  const count = view.readUInt16BE(pos);
  pos += 2;
  if (count === 0) return { timestampMs, prior, next, headers: NO_HEADERS };
  const headers: { key: string; value: Uint8Array | null }[] = [];
  for (let i = 0; i < count; i++) {
    const n = view.readUInt16BE(pos);
    const key = view.toString('utf8', pos + 2, pos + 2 + n);
    pos += 2 + n;
    headers.push({ key, value: take() });
  }
  return { timestampMs, prior, next, headers: Object.freeze(headers) };
}

/** A serde standing for the application's default until the store opens (the DSL may not know it at build time). */
export type SerdeResolver<T> = (appConfig: Readonly<Record<string, unknown>>) => Serde<T>;

/**
 * The suppression buffer: a {@link StateStore} over a logged in-memory key-value store of bytes. Its in-memory index
 * (key -> buffer time and size) is rebuilt from the store on first use, which is after restoration.
 *
 * @example
 * ```ts
 * const buffer = context.getStateStore<SuppressBuffer<Windowed<string>, number>>('KTABLE-SUPPRESS-STATE-STORE-0000000004');
 * buffer.put(window.endMs, key, change, record.timestampMs, record.headers);
 * if (buffer.minTimestampMs <= expiryMs) buffer.evictExpired(expiryMs, emit);
 * ```
 */
export class SuppressBuffer<K, V> implements StateStore {
  readonly #inner: KeyValueStore<Uint8Array, Uint8Array>;
  readonly #keySerdeOf: SerdeResolver<K>;
  readonly #valueSerdeOf: SerdeResolver<V>;
  #keySerde: Serde<K> | null = null;
  #valueSerde: Serde<V> | null = null;
  #topic = '';
  #index: Map<string, IndexEntry> | null = null;
  #bytes = 0;
  /** A lower bound of the smallest buffer time (exact after every eviction; Infinity when empty). */
  #minTimeMs = Infinity;

  constructor(inner: KeyValueStore<Uint8Array, Uint8Array>, keySerdeOf: SerdeResolver<K>, valueSerdeOf: SerdeResolver<V>) {
    this.#inner = inner;
    this.#keySerdeOf = keySerdeOf;
    this.#valueSerdeOf = valueSerdeOf;
  }

  get name(): string {
    return this.#inner.name;
  }

  get persistent(): boolean {
    return false;
  }

  get isOpen(): boolean {
    return this.#inner.isOpen;
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.#keySerde = this.#keySerdeOf(context.appConfig);
    this.#valueSerde = this.#valueSerdeOf(context.appConfig);
    this.#topic = changelogTopicName(context.applicationId, this.name);
    this.#index = null;
    this.#bytes = 0;
    this.#minTimeMs = Infinity;
    this.#inner.init(context, root);
  }

  flush(): void {
    this.#inner.flush();
  }

  close(): void {
    this.#inner.close();
  }

  /** The number of buffered keys. */
  get numRecords(): number {
    return this.#loaded().size;
  }

  /** The buffered bytes: per key its serialized key, buffered value and 8. */
  get bufferSizeBytes(): number {
    this.#loaded();
    return this.#bytes;
  }

  /** A lower bound of the smallest buffer time (exact after an eviction), Infinity when empty. */
  get minTimestampMs(): number {
    this.#loaded();
    return this.#minTimeMs;
  }

  /**
   * Buffers `change` as `key`'s latest update at buffer time `timeMs`, replacing what was buffered for `key` (keeping
   * its prior value).
   */
  put(timeMs: number, key: K, change: Change<V>, recordTimestampMs: number, headers: Headers): void {
    const index = this.#loaded();
    const keyBytes = this.#keySerde!.serialize(this.#topic, key, headers);
    if (keyBytes === null) return;
    const indexKey = Buffer.from(keyBytes.buffer, keyBytes.byteOffset, keyBytes.byteLength).toString('latin1');
    const storeKey = encodeStoreKey(timeMs, keyBytes);
    const valueSerde = this.#valueSerde!;
    let prior: Uint8Array | null;
    const previous = index.get(indexKey);
    if (previous === undefined) prior = change.oldValue === null ? null : valueSerde.serialize(this.#topic, change.oldValue, headers);
    else {
      const previousKey = previous.timeMs === timeMs ? storeKey : encodeStoreKey(previous.timeMs, keyBytes);
      const old = this.#inner.get(previousKey);
      prior = old === null ? null : decodeValue(old).prior;
      if (previousKey !== storeKey) this.#inner.delete(previousKey);
      this.#bytes -= previous.sizeBytes;
    }
    const next = change.newValue === null ? null : valueSerde.serialize(this.#topic, change.newValue, headers);
    const value = encodeValue(recordTimestampMs, prior, next, headers);
    this.#inner.put(storeKey, value);
    const sizeBytes = keyBytes.byteLength + value.byteLength + 8;
    index.set(indexKey, { timeMs, sizeBytes });
    this.#bytes += sizeBytes;
    if (timeMs < this.#minTimeMs) this.#minTimeMs = timeMs;
  }

  /** Evicts, oldest first, every entry with buffer time <= `expiryMs`. */
  evictExpired(expiryMs: number, emit: (eviction: BufferEviction<K, V>) => void): void {
    this.#evict(expiryMs, Infinity, Infinity, emit);
  }

  /** Evicts, oldest first, until at most `maxRecords` keys and `maxBytes` bytes are buffered. */
  evictWhileOver(maxRecords: number, maxBytes: number, emit: (eviction: BufferEviction<K, V>) => void): void {
    this.#evict(-Infinity, maxRecords, maxBytes, emit);
  }

  #evict(expiryMs: number, maxRecords: number, maxBytes: number, emit: (eviction: BufferEviction<K, V>) => void): void {
    const index = this.#loaded();
    const evicted: Uint8Array[] = [];
    const it = this.#inner.all();
    try {
      for (;;) {
        const peeked = it.peekNextKey();
        this.#minTimeMs = peeked === undefined ? Infinity : decodeStoreKeyTime(peeked);
        if (peeked === undefined) break;
        if (!(this.#minTimeMs <= expiryMs || index.size > maxRecords || this.#bytes > maxBytes)) break;
        const { key: storeKey, value } = it.next().value as { key: Uint8Array; value: Uint8Array };
        const keyBytes = storeKey.subarray(8);
        const indexKey = Buffer.from(keyBytes.buffer, keyBytes.byteOffset, keyBytes.byteLength).toString('latin1');
        const entry = index.get(indexKey);
        if (entry !== undefined) {
          index.delete(indexKey);
          this.#bytes -= entry.sizeBytes;
        }
        evicted.push(storeKey);
        const decoded = decodeValue(value);
        const key = this.#keySerde!.deserialize(this.#topic, keyBytes, decoded.headers) as K;
        const valueSerde = this.#valueSerde!;
        const change: Change<V> = {
          newValue: decoded.next === null ? null : valueSerde.deserialize(this.#topic, decoded.next, decoded.headers),
          oldValue: decoded.prior === null ? null : valueSerde.deserialize(this.#topic, decoded.prior, decoded.headers),
        };
        emit({ key, change, timestampMs: decoded.timestampMs, headers: decoded.headers });
      }
    } finally {
      it.close();
      // Deleted after the scan: the engine's iterators need not survive writes.
      for (const storeKey of evicted) this.#inner.delete(storeKey);
    }
  }

  #loaded(): Map<string, IndexEntry> {
    if (this.#index !== null) return this.#index;
    const index = new Map<string, IndexEntry>();
    let bytes = 0;
    let minTimeMs = Infinity;
    const it = this.#inner.all();
    try {
      for (const { key, value } of it) {
        const timeMs = decodeStoreKeyTime(key);
        const keyBytes = key.subarray(8);
        const sizeBytes = keyBytes.byteLength + value.byteLength + 8;
        index.set(Buffer.from(keyBytes.buffer, keyBytes.byteOffset, keyBytes.byteLength).toString('latin1'), { timeMs, sizeBytes });
        bytes += sizeBytes;
        if (timeMs < minTimeMs) minTimeMs = timeMs;
      }
    } finally {
      it.close();
    }
    this.#index = index;
    this.#bytes = bytes;
    this.#minTimeMs = minTimeMs;
    return index;
  }
}

class SuppressBufferBuilder<K, V> implements StoreBuilder<SuppressBuffer<K, V>> {
  constructor(
    readonly name: string,
    private readonly keySerdeOf: SerdeResolver<K>,
    private readonly valueSerdeOf: SerdeResolver<V>,
    readonly loggingEnabled: boolean,
    readonly logConfig: ChangelogConfig,
  ) {}

  get cachingEnabled(): boolean {
    return false;
  }

  withCachingEnabled(): StoreBuilder<SuppressBuffer<K, V>> {
    // A cache would only delay what the buffer already holds back.
    return this;
  }

  withCachingDisabled(): StoreBuilder<SuppressBuffer<K, V>> {
    return this;
  }

  withLoggingEnabled(config: ChangelogConfig = {}): StoreBuilder<SuppressBuffer<K, V>> {
    return new SuppressBufferBuilder(this.name, this.keySerdeOf, this.valueSerdeOf, true, Object.freeze({ ...config }));
  }

  withLoggingDisabled(): StoreBuilder<SuppressBuffer<K, V>> {
    return new SuppressBufferBuilder(this.name, this.keySerdeOf, this.valueSerdeOf, false, {});
  }

  build(): SuppressBuffer<K, V> {
    let inner = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(this.name), Serdes.ByteArray(), Serdes.ByteArray()).withCachingDisabled();
    inner = this.loggingEnabled ? inner.withLoggingEnabled(this.logConfig) : inner.withLoggingDisabled();
    return new SuppressBuffer<K, V>(inner.build(), this.keySerdeOf, this.valueSerdeOf);
  }
}

/**
 * The StoreBuilder of a suppression buffer named `name` (Kafka's `KTABLE-SUPPRESS-STATE-STORE-<n>`): serdes are
 * resolved from the application config when the store opens; logged to `<applicationId>-<name>-changelog` (compacted)
 * unless `loggingEnabled` is false; never cached.
 *
 * @example
 * ```ts
 * topology.addStateStore(suppressBufferBuilder('KTABLE-SUPPRESS-STATE-STORE-0000000004', () => keySerde, () => valueSerde, true, {}), 'KTABLE-SUPPRESS-0000000003');
 * ```
 */
export function suppressBufferBuilder<K, V>(
  name: string,
  keySerdeOf: SerdeResolver<K>,
  valueSerdeOf: SerdeResolver<V>,
  loggingEnabled: boolean,
  logConfig: ChangelogConfig,
): StoreBuilder<SuppressBuffer<K, V>> {
  return new SuppressBufferBuilder(name, keySerdeOf, valueSerdeOf, loggingEnabled, logConfig);
}
