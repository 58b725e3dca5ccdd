/**
 * How a stateful DSL processor forwards its table updates: at once when its store has no cache, or through the
 * cache's flush listener (once per key per commit) when it has one, as Kafka Streams' `TimestampedTupleForwarder`.
 */
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import type { Headers } from '../../src/record.js';
import { isCachedStateStore } from '../../src/state/key-value-store.js';
import type { TimestampedKeyValueStore, ValueAndTimestamp } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';

/**
 * Forwards `Change`s for a processor that writes a timestamped store. Constructed in the processor's `init`: it
 * registers a flush listener with the store's cache, if the store has one, so cached updates are forwarded when the
 * cache flushes (at commit, or on eviction) with the timestamp of the latest write, and `maybeForward` then does
 * nothing. Without a cache every update is forwarded at once. Old values are sent only when `sendOldValues`.
 *
 * @example
 * ```ts
 * init(context) {
 *   this.store = context.getStateStore('counts');
 *   this.forwarder = new TimestampedForwarder(this.store, context, false);
 * }
 * process(record) {
 *   this.store.put(record.key, { value: n, timestampMs: record.timestampMs });
 *   this.forwarder.maybeForward(record.key, n, old, record.timestampMs, record.headers);
 * }
 * ```
 */
export class TimestampedForwarder<K, V> {
  readonly #context: ProcessorContext<K, Change<V>>;
  readonly #sendOldValues: boolean;
  /** True when the store's cache forwards updates (through the flush listener). */
  readonly isCached: boolean;

  constructor(store: TimestampedKeyValueStore<K, V>, context: ProcessorContext<K, Change<V>>, sendOldValues: boolean) {
    this.#context = context;
    this.#sendOldValues = sendOldValues;
    this.isCached =
      isCachedStateStore<K, ValueAndTimestamp<V>>(store) &&
      store.setFlushListener((key, newValue, oldValue, timestampMs) => {
        const change: Change<V> = { newValue: newValue === null ? null : newValue.value, oldValue: oldValue === null ? null : oldValue.value };
        context.forward(new Record(key, change, newValue === null ? timestampMs : newValue.timestampMs));
      }, sendOldValues);
  }

  /** Forwards `Change(newValue, oldValue)` unless the store's cache will (old value dropped unless requested). */
  maybeForward(key: K, newValue: V | null, oldValue: V | null, timestampMs: number, headers: Headers): void {
    if (this.isCached) return;
    const change: Change<V> = { newValue, oldValue: this.#sendOldValues ? oldValue : null };
    this.#context.forward(new Record(key, change, timestampMs, headers));
  }
}
