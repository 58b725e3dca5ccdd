/**
 * The change-logging layer: every write to the wrapped store is also sent, as bytes, to the store's changelog
 * topic through `context.logChange`; restoration replays that changelog into the engine.
 */
import type { BytesKeyValueStore, CacheFlushListener, KeyValue, KeyValueIterator } from '../src/state/key-value-store.js';
import type { RestoreCallback, RestoreRecord, StateStore, StateStoreContext } from '../src/state/state-store.js';
import { DelegatingStateStoreContext } from './delegating-state-store-context.js';
import { rawValueOf, timestampOf, timestampedBytes } from './value-and-timestamp-serde.js';

/**
 * Options of {@link ChangeLoggingKeyValueStore}.
 *
 * @example
 * ```ts
 * const options: ChangeLoggingOptions = { timestamped: true };
 * ```
 */
export interface ChangeLoggingOptions {
  /**
   * True for timestamped stores: values are `timestamp(8) + value`; the changelog gets the plain value with that
   * timestamp as the record timestamp (as Kafka Streams writes it), and restore puts the timestamp back.
   */
  readonly timestamped?: boolean;
  /**
   * False keeps only the restore side: nothing is logged, but restored records are still converted (a timestamped
   * table whose changelog is its source topic is restored from that topic, in changelog format). Default true.
   */
  readonly isLogging?: boolean;
}

/**
 * A {@link BytesKeyValueStore} layer that logs every change to `<applicationId>-<name>-changelog`.
 *
 * `put`/`putAll` log each entry (a `null` value as a tombstone); `delete` logs a tombstone whether or not the key
 * existed; `putIfAbsent` logs only when it wrote. The record timestamp is `context.recordTimestampMs` (for
 * timestamped stores, the value's own timestamp). Reads pass straight through. Restoring does not log: the restore
 * callback the engine registers writes to the engine directly.
 *
 * @example
 * ```ts
 * const store = new ChangeLoggingKeyValueStore(new InMemoryKeyValueStore('counts'));
 * store.init(context, store);
 * store.put(Buffer.from('a'), Buffer.from([1])); // context.logChange('counts', <61>, <01>, context.recordTimestampMs)
 * ```
 */
export class ChangeLoggingKeyValueStore implements BytesKeyValueStore {
  readonly #timestamped: boolean;
  readonly #isLogging: boolean;
  #context: StateStoreContext | null = null;

  constructor(
    private readonly inner: BytesKeyValueStore,
    options: ChangeLoggingOptions = {},
  ) {
    this.#timestamped = options.timestamped ?? false;
    this.#isLogging = options.isLogging ?? true;
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

  init(context: StateStoreContext, root: StateStore): void {
    this.#context = context;
    this.inner.init(this.#timestamped ? new TimestampedRestoreContext(context) : context, root);
  }

  get(key: Uint8Array): Uint8Array | null {
    return this.inner.get(key);
  }

  put(key: Uint8Array, value: Uint8Array | null): void {
    this.inner.put(key, value);
    this.#log(key, value);
  }

  putIfAbsent(key: Uint8Array, value: Uint8Array | null): Uint8Array | null {
    const previous = this.inner.putIfAbsent(key, value);
    if (previous === null) this.#log(key, value);
    return previous;
  }

  putAll(entries: readonly KeyValue<Uint8Array, Uint8Array | null>[]): void {
    this.inner.putAll(entries);
    for (const entry of entries) this.#log(entry.key, entry.value);
  }

  delete(key: Uint8Array): Uint8Array | null {
    const previous = this.inner.delete(key);
    this.#log(key, null);
    return previous;
  }

  range(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.inner.range(from, to);
  }

  reverseRange(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.inner.reverseRange(from, to);
  }

  all(): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.inner.all();
  }

  reverseAll(): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.inner.reverseAll();
  }

  prefixScan(prefix: Uint8Array): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.inner.prefixScan(prefix);
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }

  setFlushListener(listener: CacheFlushListener<Uint8Array, Uint8Array>, sendOldValues: boolean): boolean {
    return this.inner.setFlushListener?.(listener, sendOldValues) ?? false;
  }

  flush(): void {
    this.inner.flush();
  }

  close(): void {
    this.inner.close();
  }

  #log(key: Uint8Array, value: Uint8Array | null): void {
    if (!this.#isLogging) return;
    const context = this.#context!;
    if (value !== null && this.#timestamped) {
      context.logChange(this.inner.name, key, rawValueOf(value), timestampOf(value));
    } else {
      context.logChange(this.inner.name, key, value, context.recordTimestampMs);
    }
  }
}

/** Hands the engine changelog records with their timestamps put back in front of the values. */
class TimestampedRestoreContext extends DelegatingStateStoreContext {
  override register(store: StateStore, restore: RestoreCallback): void {
    this.parent.register(store, (batch) => restore(batch.map(toTimestamped)));
  }
}

function toTimestamped(record: RestoreRecord): RestoreRecord {
  if (record.value === null) return record;
  return { key: record.key, value: timestampedBytes(record.value, record.timestampMs), timestampMs: record.timestampMs };
}
