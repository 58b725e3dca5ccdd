/**
 * The left side of a foreign-key join, sending: turns each left-table update into subscriptions keyed by foreign
 * key (Kafka Streams' `SubscriptionSendProcessorSupplier`, KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION).
 */
import type { Processor, ProcessorSupplier } from '../../../src/processor/processor.js';
import type { ProcessorContext } from '../../../src/processor/processor-context.js';
import type { Record } from '../../../src/processor/record.js';
import type { Serde } from '../../../src/serdes/serde.js';
import type { Change } from '../../change.js';
import type { ValueMapper } from '../../functions.js';
import { sameBytes, valueHash } from './subscription-wrapper.js';
import type { SubscriptionInstruction, SubscriptionWrapper } from './subscription-wrapper.js';

/**
 * What the send processor needs: the foreign-key extractor, serdes to compare foreign keys (`foreignKeySerde`) and
 * to hash left values (`valueSerde`), the pseudo-topic names they serialize for, and whether the join is a left join.
 *
 * @example `{ extractor: (order) => order.customerId, foreignKeySerde, valueSerde, topic: 'app-...-topic', isLeftJoin: false }`
 */
export interface SubscriptionSendSettings<K, V, KO> {
  readonly extractor: ValueMapper<K, V, KO | null>;
  readonly foreignKeySerde: Serde<KO>;
  readonly valueSerde: Serde<V>;
  readonly topic: string;
  readonly isLeftJoin: boolean;
}

const present = (v: unknown): boolean => v !== null && v !== undefined;

class SubscriptionSendProcessor<K, V, KO> implements Processor<K, Change<V>, KO | null, SubscriptionWrapper<K>> {
  #context!: ProcessorContext<KO | null, SubscriptionWrapper<K>>;
  #partition = -1;

  constructor(private readonly settings: SubscriptionSendSettings<K, V, KO>) {}

  init(context: ProcessorContext<KO | null, SubscriptionWrapper<K>>): void {
    this.#context = context;
    const partition = Number(context.taskId.slice(context.taskId.lastIndexOf('_') + 1));
    this.#partition = Number.isInteger(partition) ? partition : -1;
  }

  process(record: Record<K, Change<V>>): void {
    const key = record.key;
    if (key === null || key === undefined) return;
    const { newValue, oldValue } = record.value;
    const hasNew = present(newValue);
    const hasOld = present(oldValue);
    if (!hasNew && !hasOld) return;
    const { extractor, isLeftJoin } = this.settings;
    const newFk = hasNew ? nullable(extractor(newValue as V, key)) : null;
    const hash = hasNew ? valueHash(this.settings.valueSerde.serialize(`${this.settings.topic}-vh`, newValue as V)) : null;
    if (!hasOld) {
      // A new left row: an inner join answers only if the right row exists; a left join always answers.
      if (isLeftJoin) this.#send(record, newFk, hash, 'propagate-null-if-absent');
      else if (newFk !== null) this.#send(record, newFk, hash, 'propagate-only-if-present');
      return;
    }
    const oldFk = nullable(extractor(oldValue as V, key));
    const isSameFk = oldFk !== null && newFk !== null && sameBytes(this.#fkBytes(oldFk), this.#fkBytes(newFk));
    if (oldFk !== null && !isSameFk) {
      // Unsubscribe from the old foreign key; when no new subscription follows, that answer retracts the result.
      const followed = hasNew && (newFk !== null || isLeftJoin);
      this.#send(record, oldFk, hash, followed ? 'delete-no-propagate' : 'delete-and-propagate');
      if (!followed) return;
    }
    if (hasNew) {
      if (newFk !== null || isLeftJoin) this.#send(record, newFk, hash, 'propagate-null-if-absent');
    } else if (oldFk === null && isLeftJoin) {
      // A deleted left row that had no foreign key: its half-joined result still needs a tombstone.
      this.#send(record, null, null, 'propagate-null-if-absent');
    }
  }

  #fkBytes(fk: KO): Uint8Array | null {
    return this.settings.foreignKeySerde.serialize(`${this.settings.topic}-fk`, fk);
  }

  #send(record: Record<K, Change<V>>, foreignKey: KO | null, hash: Uint8Array | null, instruction: SubscriptionInstruction): void {
    const wrapper: SubscriptionWrapper<K> = { hash, instruction, primaryKey: record.key, primaryPartition: this.#partition };
    this.#context.forward(record.withKey<KO | null>(foreignKey).withValue(wrapper));
  }
}

function nullable<T>(v: T | null | undefined): T | null {
  return v === undefined ? null : v;
}

/**
 * For each left-table update `Change(new, old)`, forwards the subscriptions the right side needs, keyed by foreign
 * key: unsubscribe from the old foreign key when it changed (answering with a retraction when no new subscription
 * follows, e.g. a deletion or, for an inner join, a null foreign key), and subscribe to the new one. A new left row
 * of an inner join is answered only if the right row exists; updates of existing rows are always answered, so a
 * result that no longer joins is retracted. A null foreign key joins nothing: an inner join drops it, a left join
 * subscribes with a null key (answered with no right value). Each subscription carries the hash of the new left
 * value and this task's partition.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000005', subscriptionSend(settings), 'KTABLE-SOURCE-0000000002');
 * ```
 */
export function subscriptionSend<K, V, KO>(settings: SubscriptionSendSettings<K, V, KO>): ProcessorSupplier<K, Change<V>, KO | null, SubscriptionWrapper<K>> {
  return () => new SubscriptionSendProcessor(settings);
}
