/**
 * `TableJoined`: the options of a foreign-key table-table join (Kafka Streams' `TableJoined`, KIP-775).
 */
import type { StreamPartitioner } from '../../src/processor/stream-partitioner.js';
import { validateName } from './named.js';

/**
 * Options of `KTable.join/leftJoin(other, foreignKeyExtractor, joiner, tableJoined)`: the name its processors, store
 * and topics are derived from (`<name>-subscription-registration-topic`, ...), and custom partitioners when the
 * tables' topics are not partitioned by the default partitioner: `partitioner` for this (left) table's keys, used for
 * the response topic; `otherPartitioner` for the other table's keys, used for the subscription topic. Each is called
 * with a `null` value.
 *
 * @example
 * ```ts
 * orders.join(customers, (o) => o.customerId, (o, c) => ({ ...o, c }), TableJoined.as<string, string>('order-customer'));
 * // Sink: order-customer-subscription-registration-sink (topic: order-customer-subscription-registration-topic)
 * ```
 */
export class TableJoined<K, KO> {
  private constructor(
    readonly name: string | undefined,
    readonly partitioner: StreamPartitioner<K, null> | undefined,
    readonly otherPartitioner: StreamPartitioner<KO, null> | undefined,
  ) {
    Object.freeze(this);
  }

  /**
   * Options with these partitioners (either may be `undefined`: the default partitioner).
   *
   * @example `TableJoined.with<string, string>(undefined, (_t, k, _v, n) => k.length % n)`
   */
  static with<K, KO>(partitioner: StreamPartitioner<K, null> | undefined, otherPartitioner: StreamPartitioner<KO, null> | undefined): TableJoined<K, KO> {
    return new TableJoined(undefined, partitioner, otherPartitioner);
  }

  /**
   * Options with this name for the join's processors, store and topics.
   *
   * @example `TableJoined.as('order-customer')`
   */
  static as<K, KO>(name: string): TableJoined<K, KO> {
    return new TableJoined<K, KO>(validateName(name), undefined, undefined);
  }

  /** A copy with this name. @example `TableJoined.with(p, q).withName('j')` */
  withName(name: string): TableJoined<K, KO> {
    return new TableJoined(validateName(name), this.partitioner, this.otherPartitioner);
  }

  /** A copy with this partitioner for this table's keys. @example `TableJoined.as('j').withPartitioner(p)` */
  withPartitioner(partitioner: StreamPartitioner<K, null> | undefined): TableJoined<K, KO> {
    return new TableJoined(this.name, partitioner, this.otherPartitioner);
  }

  /** A copy with this partitioner for the other table's keys. @example `TableJoined.as('j').withOtherPartitioner(q)` */
  withOtherPartitioner(otherPartitioner: StreamPartitioner<KO, null> | undefined): TableJoined<K, KO> {
    return new TableJoined(this.name, this.partitioner, otherPartitioner);
  }
}
