/**
 * `KGroupedTable.aggregate` and `count`: maintains an aggregate per group under row updates, with a subtractor for
 * values that leave the group.
 */
import { StreamsError } from '../../src/errors.js';
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';
import type { Aggregator, Initializer } from '../functions.js';
import { TimestampedForwarder } from './timestamped-forwarder.js';

class KTableAggregateProcessor<K, V, VA> implements Processor<K, Change<V>, K, Change<VA>> {
  #store!: TimestampedKeyValueStore<K, VA>;
  #forwarder!: TimestampedForwarder<K, VA>;

  constructor(
    private readonly storeName: string,
    private readonly initializer: Initializer<VA>,
    private readonly adder: Aggregator<K, V, VA>,
    private readonly subtractor: Aggregator<K, V, VA>,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<VA>>): void {
    this.#store = context.getStateStore<TimestampedKeyValueStore<K, VA>>(this.storeName);
    this.#forwarder = new TimestampedForwarder(this.#store, context, this.sendOldValues);
  }

  process(record: Record<K, Change<V>>): void {
    const key = record.key;
    if (key === null || key === undefined) {
      throw new StreamsError('ILLEGAL_STATE', `a grouped KTable update without a key reached the aggregation of store ${this.storeName}`);
    }
    const { newValue, oldValue } = record.value;
    const old = this.#store.get(key);
    const oldAggregate = old === null ? null : old.value;
    let timestampMs = record.timestampMs;
    if (old !== null && old.timestampMs > timestampMs) timestampMs = old.timestampMs;
    // First remove the old value (if it was ever added), then add the new one.
    let aggregate: VA | null = oldAggregate;
    if (oldValue !== null && oldValue !== undefined && oldAggregate !== null) aggregate = this.subtractor(key, oldValue, oldAggregate);
    if (newValue !== null && newValue !== undefined) aggregate = this.adder(key, newValue, aggregate ?? this.initializer());
    if (aggregate === undefined) aggregate = null;
    this.#store.put(key, aggregate === null ? null : { value: aggregate, timestampMs });
    this.#forwarder.maybeForward(key, aggregate, oldAggregate, timestampMs, record.headers);
  }
}

/**
 * Aggregates grouped row updates into the store `storeName`: for `Change(new, old)` it first applies
 * `subtractor(key, old, aggregate)` (when the group has an aggregate), then `adder(key, new, aggregate or
 * initializer())`; a deletion only subtracts. The result is stored (null deletes the group) and forwarded as
 * `Change(new, old)` (old only with `sendOldValues`).
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-AGGREGATE-0000000007', ktableAggregate('sums', () => 0, (_k, v: number, a: number) => a + v, (_k, v: number, a: number) => a - v, false), 'src');
 * ```
 */
export function ktableAggregate<K, V, VA>(
  storeName: string,
  initializer: Initializer<VA>,
  adder: Aggregator<K, V, VA>,
  subtractor: Aggregator<K, V, VA>,
  sendOldValues: boolean,
): ProcessorSupplier<K, Change<V>, K, Change<VA>> {
  return () => new KTableAggregateProcessor(storeName, initializer, adder, subtractor, sendOldValues);
}
