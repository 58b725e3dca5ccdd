/**
 * The change-logging layer of window stores: every write is also sent to the changelog with Kafka Streams'
 * window changelog key (`key + windowStart(8) + seqnum(4)`).
 */
import type { KeyValueIterator } from '../../src/state/key-value-store.js';
import type { RestoreCallback, RestoreRecord, StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { BytesWindowStore, WindowStoreIterator } from '../../src/state/window-store.js';
import type { Windowed } from '../../src/state/windowed.js';
import { DelegatingStateStoreContext } from '../delegating-state-store-context.js';
import { rawValueOf, timestampOf, timestampedBytes } from '../value-and-timestamp-serde.js';
import { ChangeLoggingSegmentedStore } from '../windowed-common/change-logging-segmented-store.js';
import { windowStoreKeyBinary } from './window-key-schema.js';

/**
 * A {@link BytesWindowStore} layer that logs each put to `<applicationId>-<name>-changelog`: key
 * `windowStoreKeyBinary(key, windowStartMs, seqnum)` where seqnum counts puts when the store retains duplicates
 * (else 0), the value as put (a `null` as a tombstone; `null` puts of a duplicates store are not logged, they change
 * nothing). For timestamped stores (`timestamped: true`) the value logged is the plain value with its timestamp as
 * the record timestamp, and restore puts the timestamp back; otherwise the record timestamp is
 * `context.recordTimestampMs`.
 *
 * @example
 * ```ts
 * const store = new ChangeLoggingWindowStore(engine, false);
 * store.init(context, store);
 * store.put(Buffer.from('a'), Buffer.from([1]), 60_000); // logs <61 00..00 ea 60 00 00 00 00> -> <01>
 * ```
 */
export class ChangeLoggingWindowStore extends ChangeLoggingSegmentedStore<BytesWindowStore> implements BytesWindowStore {
  #seqnum = 0;

  constructor(
    inner: BytesWindowStore,
    private readonly timestamped: boolean,
  ) {
    super(inner);
  }

  get windowSizeMs(): number {
    return this.inner.windowSizeMs;
  }
  get retainDuplicates(): boolean {
    return this.inner.retainDuplicates;
  }

  put(key: Uint8Array, value: Uint8Array | null, windowStartMs: number): void {
    this.inner.put(key, value, windowStartMs);
    if (this.inner.retainDuplicates) {
      if (value === null) return;
      this.#seqnum = (this.#seqnum + 1) | 0;
    }
    const context = this.context!;
    const changelogKey = windowStoreKeyBinary(key, windowStartMs, this.#seqnum);
    if (value !== null && this.timestamped) context.logChange(this.name, changelogKey, rawValueOf(value), timestampOf(value));
    else context.logChange(this.name, changelogKey, value, context.recordTimestampMs);
  }

  fetch(key: Uint8Array, windowStartMs: number): Uint8Array | null {
    return this.inner.fetch(key, windowStartMs);
  }

  fetchKey(key: Uint8Array, timeFromMs: number, timeToMs: number, backward: boolean): WindowStoreIterator<Uint8Array> {
    return this.inner.fetchKey(key, timeFromMs, timeToMs, backward);
  }

  fetchRange(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    timeFromMs: number,
    timeToMs: number,
    backward: boolean,
  ): KeyValueIterator<Windowed<Uint8Array>, Uint8Array> {
    return this.inner.fetchRange(keyFrom, keyTo, timeFromMs, timeToMs, backward);
  }

  protected override innerContext(context: StateStoreContext): StateStoreContext {
    return this.timestamped ? new TimestampedRestoreContext(context) : context;
  }
}

/** Hands the engine changelog records with their timestamps put back in front of the values. */
export class TimestampedRestoreContext extends DelegatingStateStoreContext {
  override register(store: StateStore, restore: RestoreCallback): void {
    this.parent.register(store, (batch) => restore(batch.map(toTimestamped)));
  }
}

function toTimestamped(record: RestoreRecord): RestoreRecord {
  if (record.value === null) return record;
  return { key: record.key, value: timestampedBytes(record.value, record.timestampMs), timestampMs: record.timestampMs };
}
