/**
 * The KTABLE-SOURCE processor of `builder.table()` and `KStream.toTable()`: turns records into table updates,
 * writing them to the table's store when it is materialized.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';
import { TimestampedForwarder } from './timestamped-forwarder.js';

class KTableSourceProcessor<K, V> implements Processor<K, V, K, Change<V>> {
  #context!: ProcessorContext<K, Change<V>>;
  #store: TimestampedKeyValueStore<K, V> | null = null;
  #forwarder: TimestampedForwarder<K, V> | null = null;

  constructor(
    private readonly storeName: string | null,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.#context = context;
    if (this.storeName !== null) {
      this.#store = context.getStateStore<TimestampedKeyValueStore<K, V>>(this.storeName);
      this.#forwarder = new TimestampedForwarder(this.#store, context, this.sendOldValues);
    }
  }

  process(record: Record<K, V>): void {
    const key = record.key;
    // As Kafka Streams: a table row needs a key; records without one are dropped.
    if (key === null || key === undefined) return;
    const value = record.value === undefined ? null : record.value;
    const store = this.#store;
    if (store === null) {
      this.#context.forward(record.withValue<Change<V>>({ newValue: value, oldValue: null }));
      return;
    }
    const old = store.get(key);
    store.put(key, value === null ? null : { value, timestampMs: record.timestampMs });
    this.#forwarder!.maybeForward(key, value, old === null ? null : old.value, record.timestampMs, record.headers);
  }
}

/**
 * Turns each record into the update `Change(value, old)` of its key's row (a null value deletes the row). With a
 * `storeName` the row is written to that timestamped store first (and `old` is the previous row, sent only with
 * `sendOldValues`); without one the table is not materialized and `old` is always null. Records without a key are
 * dropped.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-SOURCE-0000000002', ktableSource('prices', false), 'KSTREAM-SOURCE-0000000001');
 * ```
 */
export function ktableSource<K, V>(storeName: string | null, sendOldValues: boolean): ProcessorSupplier<K, V, K, Change<V>> {
  return () => new KTableSourceProcessor<K, V>(storeName, sendOldValues);
}
