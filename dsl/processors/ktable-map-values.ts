/**
 * `KTable.mapValues`: maps the new (and old) value of each row update.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';
import type { ValueMapper } from '../functions.js';
import { TimestampedForwarder } from './timestamped-forwarder.js';

class KTableMapValuesProcessor<K, V, VR> implements Processor<K, Change<V>, K, Change<VR>> {
  #context!: ProcessorContext<K, Change<VR>>;
  #store: TimestampedKeyValueStore<K, VR> | null = null;
  #forwarder: TimestampedForwarder<K, VR> | null = null;

  constructor(
    private readonly mapper: ValueMapper<K, V, VR>,
    private readonly storeName: string | null,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<VR>>): void {
    this.#context = context;
    if (this.storeName !== null) {
      this.#store = context.getStateStore<TimestampedKeyValueStore<K, VR>>(this.storeName);
      this.#forwarder = new TimestampedForwarder(this.#store, context, this.sendOldValues);
    }
  }

  #map(key: K, value: V | null): VR | null {
    if (value === null || value === undefined) return null;
    const mapped = this.mapper(value, key);
    return mapped === undefined ? null : mapped;
  }

  process(record: Record<K, Change<V>>): void {
    const key = record.key;
    const store = this.#store;
    const newValue = this.#map(key, record.value.newValue);
    // The old row: from this table's own store when it has one (the parent may not send old values), else derived.
    let oldValue: VR | null = null;
    if (this.sendOldValues) oldValue = store === null ? this.#map(key, record.value.oldValue) : (store.get(key)?.value ?? null);
    if (store === null) {
      this.#context.forward(record.withValue<Change<VR>>({ newValue, oldValue }));
      return;
    }
    store.put(key, newValue === null ? null : { value: newValue, timestampMs: record.timestampMs });
    this.#forwarder!.maybeForward(key, newValue, oldValue, record.timestampMs, record.headers);
  }
}

/**
 * Maps table updates with `mapper(value, key)` (a deletion stays a deletion; a mapper result of null deletes the
 * row); the old value is mapped too when `sendOldValues`. With `storeName` the result is materialized in that store,
 * and old values come from it (so the parent need not send them).
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-MAPVALUES-0000000003', ktableMapValues((v: string) => v.length, null, false), 'KTABLE-SOURCE-0000000002');
 * ```
 */
export function ktableMapValues<K, V, VR>(
  mapper: ValueMapper<K, V, VR>,
  storeName: string | null,
  sendOldValues: boolean,
): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  return () => new KTableMapValuesProcessor(mapper, storeName, sendOldValues);
}
