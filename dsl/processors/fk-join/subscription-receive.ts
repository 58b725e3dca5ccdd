/**
 * The right side of a foreign-key join: keeps the subscriptions that arrive (KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR
 * `-subscription-receive`), answers each with the right row (`-subscription-join-foreign`), and answers every
 * subscriber of a right row when that row changes (`-foreign-join-subscription`). Kafka Streams'
 * `SubscriptionReceiveProcessorSupplier`, `SubscriptionJoinProcessorSupplier` and `ForeignTableJoinProcessorSupplier`.
 */
import type { Processor, ProcessorSupplier } from '../../../src/processor/processor.js';
import type { ProcessorContext } from '../../../src/processor/processor-context.js';
import type { Record } from '../../../src/processor/record.js';
import type { Serializer } from '../../../src/serdes/serde.js';
import type { TimestampedKeyValueStore } from '../../../src/state/key-value-store.js';
import type { Change } from '../../change.js';
import type { TableValueGetter, TableValueGetterSupplier } from '../ktable-value-getter.js';
import type { CombinedKey, SubscriptionResponseWrapper, SubscriptionWrapper } from './subscription-wrapper.js';

type SubscriptionStore<KO, K> = TimestampedKeyValueStore<CombinedKey<KO, K>, SubscriptionWrapper<K>>;

class SubscriptionReceiveProcessor<KO, K> implements Processor<KO | null, SubscriptionWrapper<K>, CombinedKey<KO | null, K>, SubscriptionWrapper<K>> {
  #context!: ProcessorContext<CombinedKey<KO | null, K>, SubscriptionWrapper<K>>;
  #store!: SubscriptionStore<KO, K>;

  constructor(private readonly storeName: string) {}

  init(context: ProcessorContext<CombinedKey<KO | null, K>, SubscriptionWrapper<K>>): void {
    this.#context = context;
    this.#store = context.getStateStore<SubscriptionStore<KO, K>>(this.storeName);
  }

  process(record: Record<KO | null, SubscriptionWrapper<K>>): void {
    const wrapper = record.value;
    if (wrapper === null || wrapper === undefined) return;
    const foreignKey = record.key === undefined ? null : record.key;
    if (foreignKey === null) {
      // Only a left join subscribes without a foreign key, to be answered with no right row; nothing to keep.
      if (wrapper.instruction === 'propagate-null-if-absent') {
        this.#context.forward(record.withKey<CombinedKey<KO | null, K>>({ foreignKey: null, primaryKey: wrapper.primaryKey }));
      }
      return;
    }
    const key: CombinedKey<KO, K> = { foreignKey, primaryKey: wrapper.primaryKey };
    if (wrapper.instruction === 'delete-and-propagate' || wrapper.instruction === 'delete-no-propagate') this.#store.delete(key);
    else this.#store.put(key, { value: wrapper, timestampMs: record.timestampMs });
    this.#context.forward(record.withKey<CombinedKey<KO | null, K>>(key));
  }
}

/**
 * Keeps each subscription in the store `storeName` under (foreign key, left key), deleting it on a `delete-*`
 * instruction, and forwards it keyed by that combined key. A subscription without a foreign key (a left join's row
 * with a null key) is not kept; it is forwarded only to be answered.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000008', subscriptionReceive(storeName), 'KTABLE-SOURCE-0000000006');
 * ```
 */
export function subscriptionReceive<KO, K>(storeName: string): ProcessorSupplier<KO | null, SubscriptionWrapper<K>, CombinedKey<KO | null, K>, SubscriptionWrapper<K>> {
  return () => new SubscriptionReceiveProcessor<KO, K>(storeName);
}

class SubscriptionJoinProcessor<KO, K, VO> implements Processor<CombinedKey<KO | null, K>, SubscriptionWrapper<K>, K, SubscriptionResponseWrapper<VO>> {
  #context!: ProcessorContext<K, SubscriptionResponseWrapper<VO>>;
  #foreign!: TableValueGetter<KO, VO>;

  constructor(private readonly foreignTable: TableValueGetterSupplier<KO, VO>) {}

  init(context: ProcessorContext<K, SubscriptionResponseWrapper<VO>>): void {
    this.#context = context;
    this.#foreign = this.foreignTable.init(context);
  }

  process(record: Record<CombinedKey<KO | null, K>, SubscriptionWrapper<K>>): void {
    const { foreignKey, primaryKey } = record.key;
    const wrapper = record.value;
    const row = foreignKey === null ? null : this.#foreign.get(foreignKey);
    let foreignValue: VO | null;
    switch (wrapper.instruction) {
      case 'delete-no-propagate':
        return;
      case 'delete-and-propagate':
        foreignValue = null;
        break;
      case 'propagate-null-if-absent':
        foreignValue = row === null ? null : row.value;
        break;
      case 'propagate-only-if-present':
        if (row === null) return;
        foreignValue = row.value;
        break;
    }
    const timestampMs = row === null ? record.timestampMs : Math.max(record.timestampMs, row.timestampMs);
    const response: SubscriptionResponseWrapper<VO> = { hash: wrapper.hash, foreignValue, primaryPartition: wrapper.primaryPartition };
    this.#context.forward(record.withKey(primaryKey).withValue(response).withTimestamp(timestampMs));
  }
}

/**
 * Answers each received subscription, keyed by its left key, as its instruction says: with the right row's current
 * value (read through `foreignTable`), with no value (`delete-and-propagate`, or a missing row for
 * `propagate-null-if-absent`), or not at all (`delete-no-propagate`, or a missing row for
 * `propagate-only-if-present`). The response carries the subscription's hash, at the larger of both timestamps.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000009', subscriptionJoin(storeValueGetter('customers')), receiveName);
 * ```
 */
export function subscriptionJoin<KO, K, VO>(
  foreignTable: TableValueGetterSupplier<KO, VO>,
): ProcessorSupplier<CombinedKey<KO | null, K>, SubscriptionWrapper<K>, K, SubscriptionResponseWrapper<VO>> {
  return () => new SubscriptionJoinProcessor<KO, K, VO>(foreignTable);
}

class ForeignTableJoinProcessor<KO, K, VO> implements Processor<KO, Change<VO>, K, SubscriptionResponseWrapper<VO>> {
  #context!: ProcessorContext<K, SubscriptionResponseWrapper<VO>>;
  #store!: SubscriptionStore<KO, K>;

  constructor(
    private readonly storeName: string,
    private readonly prefixSerializer: Serializer<KO>,
  ) {}

  init(context: ProcessorContext<K, SubscriptionResponseWrapper<VO>>): void {
    this.#context = context;
    this.#store = context.getStateStore<SubscriptionStore<KO, K>>(this.storeName);
  }

  process(record: Record<KO, Change<VO>>): void {
    const key = record.key;
    if (key === null || key === undefined) return;
    const { newValue, oldValue } = record.value;
    const foreignValue = newValue === undefined ? null : newValue;
    if (foreignValue === null && (oldValue === null || oldValue === undefined)) return;
    const it = this.#store.prefixScan(key, this.prefixSerializer);
    try {
      for (const { key: combined, value } of it) {
        const response: SubscriptionResponseWrapper<VO> = { hash: value.value.hash, foreignValue, primaryPartition: value.value.primaryPartition };
        this.#context.forward(record.withKey(combined.primaryKey).withValue(response).withTimestamp(Math.max(record.timestampMs, value.timestampMs)));
      }
    } finally {
      it.close();
    }
  }
}

/**
 * For each update of the right table, answers every subscriber of that row (a prefix scan of the subscription store
 * `storeName` by foreign key) with the row's new value (`null` when deleted), each with the hash its subscription
 * carried, at the larger of both timestamps.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000010', foreignTableJoin(storeName, foreignKeyPrefixSerializer(fkSerde)), 'KTABLE-SOURCE-0000000004');
 * ```
 */
export function foreignTableJoin<KO, K, VO>(storeName: string, prefixSerializer: Serializer<KO>): ProcessorSupplier<KO, Change<VO>, K, SubscriptionResponseWrapper<VO>> {
  return () => new ForeignTableJoinProcessor<KO, K, VO>(storeName, prefixSerializer);
}
