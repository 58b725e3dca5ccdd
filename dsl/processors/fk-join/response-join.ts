/**
 * The left side of a foreign-key join, receiving: resolves each response against the left row's current value
 * (Kafka Streams' `ResponseJoinProcessorSupplier`, KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR).
 */
import type { Processor, ProcessorSupplier } from '../../../src/processor/processor.js';
import type { ProcessorContext } from '../../../src/processor/processor-context.js';
import type { Record } from '../../../src/processor/record.js';
import type { Serde } from '../../../src/serdes/serde.js';
import type { ValueJoiner } from '../../functions.js';
import type { TableValueGetter, TableValueGetterSupplier } from '../ktable-value-getter.js';
import { hashesEqual, valueHash } from './subscription-wrapper.js';
import type { SubscriptionResponseWrapper } from './subscription-wrapper.js';

/**
 * What the resolver needs: the left table's getter, the serde its values were hashed with (and the pseudo-topic it
 * serialized for), the joiner, and whether the join is a left join.
 *
 * @example `{ left: storeValueGetter('orders'), valueSerde, topic, joiner: (o, c) => ({ ...o, c }), isLeftJoin: true }`
 */
export interface ResponseJoinSettings<K, V, VO, VR> {
  readonly left: TableValueGetterSupplier<K, V>;
  readonly valueSerde: Serde<V>;
  readonly topic: string;
  readonly joiner: ValueJoiner<V, VO | null, VR>;
  readonly isLeftJoin: boolean;
}

class ResponseJoinProcessor<K, V, VO, VR> implements Processor<K, SubscriptionResponseWrapper<VO>, K, VR | null> {
  #context!: ProcessorContext<K, VR | null>;
  #left!: TableValueGetter<K, V>;

  constructor(private readonly settings: ResponseJoinSettings<K, V, VO, VR>) {}

  init(context: ProcessorContext<K, VR | null>): void {
    this.#context = context;
    this.#left = this.settings.left.init(context);
  }

  process(record: Record<K, SubscriptionResponseWrapper<VO>>): void {
    const response = record.value;
    if (response === null || response === undefined || record.key === null || record.key === undefined) return;
    const row = this.#left.get(record.key);
    const current = row === null ? null : valueHash(this.settings.valueSerde.serialize(`${this.settings.topic}-vh`, row.value));
    // A response to an older value of the left row is stale: a newer subscription's answer is on its way.
    if (!hashesEqual(response.hash, current)) return;
    const { foreignValue } = response;
    const result = row === null || (foreignValue === null && !this.settings.isLeftJoin) ? null : this.settings.joiner(row.value, foreignValue);
    this.#context.forward(record.withValue(result === undefined ? null : result));
  }
}

/**
 * Joins each response with the left row it answers, if the response is current: its hash must equal the hash of
 * the left row's value now (both `null` when the row is gone), else it is dropped. A current response forwards
 * `joiner(left, right)`, or a tombstone when the left row is gone or, for an inner join, the right value is
 * missing; a left join forwards `joiner(left, null)` then.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000014', responseJoin(settings), 'KTABLE-SOURCE-0000000013');
 * ```
 */
export function responseJoin<K, V, VO, VR>(settings: ResponseJoinSettings<K, V, VO, VR>): ProcessorSupplier<K, SubscriptionResponseWrapper<VO>, K, VR | null> {
  return () => new ResponseJoinProcessor(settings);
}
