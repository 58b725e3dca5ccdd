/**
 * `KTable.filter` / `filterNot`: rows the predicate rejects become deletions downstream.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';
import type { Predicate } from '../functions.js';
import { TimestampedForwarder } from './timestamped-forwarder.js';

class KTableFilterProcessor<K, V> implements Processor<K, Change<V>, K, Change<V>> {
  #context!: ProcessorContext<K, Change<V>>;
  #store: TimestampedKeyValueStore<K, V> | null = null;
  #forwarder: TimestampedForwarder<K, V> | null = null;

  constructor(
    private readonly predicate: Predicate<K, V>,
    private readonly isNot: boolean,
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

  #keep(key: K, value: V | null): V | null {
    return value !== null && value !== undefined && this.predicate(key, value) !== this.isNot ? value : null;
  }

  process(record: Record<K, Change<V>>): void {
    const key = record.key;
    const store = this.#store;
    const newValue = this.#keep(key, record.value.newValue);
    // The old row: from this table's own store when it has one (the parent may not send old values), else derived.
    let oldValue: V | null = null;
    if (this.sendOldValues) oldValue = store === null ? this.#keep(key, record.value.oldValue) : (store.get(key)?.value ?? null);
    // With old values known, a row that was filtered out before and after needs no update downstream.
    if (this.sendOldValues && oldValue === null && newValue === null) return;
    if (store === null) {
      this.#context.forward(record.withValue<Change<V>>({ newValue, oldValue }));
      return;
    }
    store.put(key, newValue === null ? null : { value: newValue, timestampMs: record.timestampMs });
    this.#forwarder!.maybeForward(key, newValue, oldValue, record.timestampMs, record.headers);
  }
}

/**
 * Filters table updates: a new (and, with `sendOldValues`, old) value the predicate rejects (`isNot`: accepts) is
 * replaced by null, so a row leaving the filter is deleted downstream. With `storeName` the filtered table is
 * materialized in that store, and old values come from it (so the parent need not send them).
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-FILTER-0000000003', ktableFilter((_k, v: number) => v > 0, false, null, false), 'KTABLE-SOURCE-0000000002');
 * ```
 */
export function ktableFilter<K, V>(
  predicate: Predicate<K, V>,
  isNot: boolean,
  storeName: string | null,
  sendOldValues: boolean,
): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new KTableFilterProcessor(predicate, isNot, storeName, sendOldValues);
}
