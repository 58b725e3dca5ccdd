/**
 * `KGroupedStream.aggregate` and `count`: folds each record into its key's aggregate in a timestamped store and
 * forwards the new aggregate as a table update.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';
import type { Aggregator, Initializer } from '../functions.js';
import { TimestampedForwarder } from './timestamped-forwarder.js';

class KStreamAggregateProcessor<K, V, VA> implements Processor<K, V, K, Change<VA>> {
  #store!: TimestampedKeyValueStore<K, VA>;
  #forwarder!: TimestampedForwarder<K, VA>;

  constructor(
    private readonly storeName: string,
    private readonly initializer: Initializer<VA>,
    private readonly aggregator: Aggregator<K, V, VA>,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<VA>>): void {
    this.#store = context.getStateStore<TimestampedKeyValueStore<K, VA>>(this.storeName);
    this.#forwarder = new TimestampedForwarder(this.#store, context, this.sendOldValues);
  }

  process(record: Record<K, V>): void {
    const key = record.key;
    // As Kafka Streams: records with a null key or value cannot be aggregated and are dropped.
    if (key === null || key === undefined || record.value === null || record.value === undefined) return;
    const old = this.#store.get(key);
    let aggregate: VA;
    let timestampMs = record.timestampMs;
    if (old === null) {
      aggregate = this.initializer();
    } else {
      aggregate = old.value;
      if (old.timestampMs > timestampMs) timestampMs = old.timestampMs;
    }
    const next = this.aggregator(key, record.value, aggregate);
    this.#store.put(key, { value: next, timestampMs });
    this.#forwarder.maybeForward(key, next, old === null ? null : old.value, timestampMs, record.headers);
  }
}

/**
 * Aggregates records by key into the store `storeName`: a key's first record starts from `initializer()`, each record
 * is folded in with `aggregator(key, value, aggregate)`, and the result (timestamped with the largest timestamp seen
 * for the key) is stored and forwarded as `Change(new, old)` (old only with `sendOldValues`). Records with a null key
 * or value are dropped.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-AGGREGATE-0000000003', kstreamAggregate('counts', () => 0, (_k, _v, n: number) => n + 1, false), 'src');
 * ```
 */
export function kstreamAggregate<K, V, VA>(
  storeName: string,
  initializer: Initializer<VA>,
  aggregator: Aggregator<K, V, VA>,
  sendOldValues: boolean,
): ProcessorSupplier<K, V, K, Change<VA>> {
  return () => new KStreamAggregateProcessor(storeName, initializer, aggregator, sendOldValues);
}

/**
 * The initializer and aggregator of `count()`: 0, then +1 per record.
 *
 * @example
 * ```ts
 * kstreamAggregate('counts', COUNT.initializer, COUNT.aggregator, false);
 * ```
 */
export const COUNT = Object.freeze({
  initializer: (): number => 0,
  aggregator: (_key: unknown, _value: unknown, count: number): number => count + 1,
  subtractor: (_key: unknown, _value: unknown, count: number): number => count - 1,
});
