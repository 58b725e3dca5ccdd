/**
 * `KGroupedStream.reduce`: combines each record's value into its key's aggregate of the same type.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';
import type { Reducer } from '../functions.js';
import { TimestampedForwarder } from './timestamped-forwarder.js';

class KStreamReduceProcessor<K, V> implements Processor<K, V, K, Change<V>> {
  #store!: TimestampedKeyValueStore<K, V>;
  #forwarder!: TimestampedForwarder<K, V>;

  constructor(
    private readonly storeName: string,
    private readonly reducer: Reducer<V>,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.#store = context.getStateStore<TimestampedKeyValueStore<K, V>>(this.storeName);
    this.#forwarder = new TimestampedForwarder(this.#store, context, this.sendOldValues);
  }

  process(record: Record<K, V>): void {
    const key = record.key;
    // As Kafka Streams: records with a null key or value cannot be reduced and are dropped.
    if (key === null || key === undefined || record.value === null || record.value === undefined) return;
    const old = this.#store.get(key);
    let next: V;
    let timestampMs = record.timestampMs;
    if (old === null) {
      next = record.value;
    } else {
      next = this.reducer(old.value, record.value);
      if (old.timestampMs > timestampMs) timestampMs = old.timestampMs;
    }
    this.#store.put(key, { value: next, timestampMs });
    this.#forwarder.maybeForward(key, next, old === null ? null : old.value, timestampMs, record.headers);
  }
}

/**
 * Reduces records by key into the store `storeName`: a key's first value is its aggregate, later values are combined
 * with `reducer(aggregate, value)`; the result is stored and forwarded as `Change(new, old)` (old only with
 * `sendOldValues`). Records with a null key or value are dropped.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-REDUCE-0000000002', kstreamReduce('maxima', (a: number, v: number) => Math.max(a, v), false), 'src');
 * ```
 */
export function kstreamReduce<K, V>(storeName: string, reducer: Reducer<V>, sendOldValues: boolean): ProcessorSupplier<K, V, K, Change<V>> {
  return () => new KStreamReduceProcessor(storeName, reducer, sendOldValues);
}
