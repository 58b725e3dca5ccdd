/**
 * The KSTREAM-JOIN / KSTREAM-LEFTJOIN processor of `KStream.join/leftJoin(KTable)`: each stream record looks up the
 * table's current row for its key (Kafka Streams' `KStreamKTableJoinProcessor`).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { ValueJoiner } from '../functions.js';
import type { TableValueGetter, TableValueGetterSupplier } from './ktable-value-getter.js';

class KStreamKTableJoinProcessor<K, V, VT, VR> implements Processor<K, V, K, VR> {
  #context!: ProcessorContext<K, VR>;
  #getter!: TableValueGetter<K, VT>;

  constructor(
    private readonly table: TableValueGetterSupplier<K, VT>,
    private readonly joiner: ValueJoiner<V, VT | null, VR>,
    private readonly isLeft: boolean,
  ) {}

  init(context: ProcessorContext<K, VR>): void {
    this.#context = context;
    this.#getter = this.table.init(context);
  }

  process(record: Record<K, V>): void {
    const { key, value } = record;
    // A null value is no event (it cannot mean "missing" without making left-join nulls ambiguous): ignored.
    if (value === null || value === undefined) return;
    if (key === null || key === undefined) {
      // KIP-962: a left join keeps a keyless record, with no table row; an inner join cannot match it.
      if (this.isLeft) this.#context.forward(record.withValue(this.joiner(value, null)));
      return;
    }
    const row = this.#getter.get(key);
    if (row !== null) this.#context.forward(record.withValue(this.joiner(value, row.value)));
    else if (this.isLeft) this.#context.forward(record.withValue(this.joiner(value, null)));
  }
}

/**
 * Joins each stream record with the table row of its key as of processing: forwards `joiner(value, row)` with the
 * stream record's key, timestamp and headers. Only stream records trigger output; table updates only change what
 * later records see. A record with a null value is dropped; with a null key, or no row for its key, an inner join
 * drops it and a left join forwards `joiner(value, null)` (Kafka Streams 3.7+, KIP-962).
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-JOIN-0000000004', kstreamKTableJoin(storeValueGetter('users'), (o, u) => [o, u], false), 'KSTREAM-SOURCE-0000000000');
 * topology.connectProcessorAndStateStores('KSTREAM-JOIN-0000000004', 'users');
 * ```
 */
export function kstreamKTableJoin<K, V, VT, VR>(
  table: TableValueGetterSupplier<K, VT>,
  joiner: ValueJoiner<V, VT | null, VR>,
  isLeft: boolean,
): ProcessorSupplier<K, V, K, VR> {
  return () => new KStreamKTableJoinProcessor(table, joiner, isLeft);
}
