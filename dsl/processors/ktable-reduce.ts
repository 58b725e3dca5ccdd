/**
 * `KGroupedTable.reduce`: maintains a reduced value per group under row updates, with a subtractor for values that
 * leave the group.
 */
import { StreamsError } from '../../src/errors.js';
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';
import type { Reducer } from '../functions.js';
import { TimestampedForwarder } from './timestamped-forwarder.js';

class KTableReduceProcessor<K, V> implements Processor<K, Change<V>, K, Change<V>> {
  #store!: TimestampedKeyValueStore<K, V>;
  #forwarder!: TimestampedForwarder<K, V>;

  constructor(
    private readonly storeName: string,
    private readonly adder: Reducer<V>,
    private readonly subtractor: Reducer<V>,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.#store = context.getStateStore<TimestampedKeyValueStore<K, V>>(this.storeName);
    this.#forwarder = new TimestampedForwarder(this.#store, context, this.sendOldValues);
  }

  process(record: Record<K, Change<V>>): void {
    const key = record.key;
    if (key === null || key === undefined) {
      throw new StreamsError('ILLEGAL_STATE', `a grouped KTable update without a key reached the reduction of store ${this.storeName}`);
    }
    const { newValue, oldValue } = record.value;
    const old = this.#store.get(key);
    const oldAggregate = old === null ? null : old.value;
    let timestampMs = record.timestampMs;
    if (old !== null && old.timestampMs > timestampMs) timestampMs = old.timestampMs;
    let aggregate: V | null = oldAggregate;
    if (oldValue !== null && oldValue !== undefined && oldAggregate !== null) aggregate = this.subtractor(oldAggregate, oldValue);
    if (newValue !== null && newValue !== undefined) aggregate = aggregate === null || aggregate === undefined ? newValue : this.adder(aggregate, newValue);
    if (aggregate === undefined) aggregate = null;
    this.#store.put(key, aggregate === null ? null : { value: aggregate, timestampMs });
    this.#forwarder.maybeForward(key, aggregate, oldAggregate, timestampMs, record.headers);
  }
}

/**
 * Reduces grouped row updates into the store `storeName`: for `Change(new, old)` it first applies
 * `subtractor(aggregate, old)` (when the group has an aggregate), then `adder(aggregate, new)` (or takes `new` as
 * the aggregate of an empty group); a deletion only subtracts. The result is stored (null deletes the group) and
 * forwarded as `Change(new, old)` (old only with `sendOldValues`).
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-REDUCE-0000000007', ktableReduce('sums', (a: number, v: number) => a + v, (a: number, v: number) => a - v, false), 'src');
 * ```
 */
export function ktableReduce<K, V>(
  storeName: string,
  adder: Reducer<V>,
  subtractor: Reducer<V>,
  sendOldValues: boolean,
): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new KTableReduceProcessor<K, V>(storeName, adder, subtractor, sendOldValues);
}
