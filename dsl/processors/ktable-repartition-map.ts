/**
 * `KTable.groupBy`'s selector (KTABLE-SELECT): re-keys each row update for the repartition to the aggregation,
 * turning it into "subtract the old pair, add the new pair".
 */
import { StreamsError } from '../../src/errors.js';
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import type { KeyValue } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';
import type { KeyValueMapper } from '../functions.js';

function isUsable<K, V>(pair: KeyValue<K, V> | null): pair is KeyValue<K, V> {
  return pair !== null && pair !== undefined && pair.key !== null && pair.key !== undefined && pair.value !== null && pair.value !== undefined;
}

/** Key equality for deciding whether an update stays in one group: primitives by value, bytes by content. */
function sameKey(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  return false;
}

class KTableRepartitionMapProcessor<K, V, KR, VR> implements Processor<K, Change<V>, KR, Change<VR>> {
  #context!: ProcessorContext<KR, Change<VR>>;

  constructor(private readonly selector: KeyValueMapper<K, V, KeyValue<KR, VR>>) {}

  init(context: ProcessorContext<KR, Change<VR>>): void {
    this.#context = context;
  }

  process(record: Record<K, Change<V>>): void {
    const key = record.key;
    if (key === null || key === undefined) {
      throw new StreamsError('ILLEGAL_STATE', 'a KTable update reached groupBy without a key');
    }
    const change = record.value;
    const newPair = change.newValue === null || change.newValue === undefined ? null : this.selector(key, change.newValue);
    const oldPair = change.oldValue === null || change.oldValue === undefined ? null : this.selector(key, change.oldValue);
    const { timestampMs, headers } = record;
    const hasOld = isUsable(oldPair);
    const hasNew = isUsable(newPair);
    if (hasOld && hasNew && sameKey(oldPair.key, newPair.key)) {
      // Same group before and after (Kafka Streams 3.5+): one record, so the aggregation subtracts and adds atomically.
      this.#context.forward(new Record(oldPair.key, { newValue: newPair.value, oldValue: oldPair.value }, timestampMs, headers));
      return;
    }
    // The old pair first, so the aggregation subtracts before it adds.
    if (hasOld) this.#context.forward(new Record<KR, Change<VR>>(oldPair.key, { newValue: null, oldValue: oldPair.value }, timestampMs, headers));
    if (hasNew) this.#context.forward(new Record<KR, Change<VR>>(newPair.key, { newValue: newPair.value, oldValue: null }, timestampMs, headers));
  }
}

/**
 * Maps each row update `Change(new, old)` through `selector` to the pairs it belongs to in the grouped table and
 * forwards `Change(null, oldPair.value)` under the old pair's key, then `Change(newPair.value, null)` under the new
 * pair's key; when both pairs have the same key, one `Change(new, old)` under it. Pairs with a null key or value are
 * skipped (such rows are dropped from the grouping). Needs its parent to send old values.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-SELECT-0000000003', ktableRepartitionMap((user, region: string) => ({ key: region, value: user })), 'KTABLE-SOURCE-0000000002');
 * ```
 */
export function ktableRepartitionMap<K, V, KR, VR>(
  selector: KeyValueMapper<K, V, KeyValue<KR, VR>>,
): ProcessorSupplier<K, Change<V>, KR, Change<VR>> {
  return () => new KTableRepartitionMapProcessor(selector);
}
