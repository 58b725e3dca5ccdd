/**
 * The KSTREAM-JOIN / KSTREAM-LEFTJOIN processor of `KStream.join/leftJoin(GlobalKTable)`: each stream record looks
 * up the global table's row for the key its `keySelector` computes (Kafka Streams' `KStreamGlobalKTableJoin`).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { KeyValueMapper, ValueJoiner } from '../functions.js';
import type { TableValueGetter, TableValueGetterSupplier } from './ktable-value-getter.js';

class KStreamGlobalKTableJoinProcessor<K, V, GK, GV, VR> implements Processor<K, V, K, VR> {
  #context!: ProcessorContext<K, VR>;
  #getter!: TableValueGetter<GK, GV>;

  constructor(
    private readonly table: TableValueGetterSupplier<GK, GV>,
    private readonly keySelector: KeyValueMapper<K, V, GK | null>,
    private readonly joiner: ValueJoiner<V, GV | null, VR>,
    private readonly isLeft: boolean,
  ) {}

  init(context: ProcessorContext<K, VR>): void {
    this.#context = context;
    this.#getter = this.table.init(context);
  }

  process(record: Record<K, V>): void {
    const { key, value } = record;
    // A null value is no event: ignored. The stream key may be null: the lookup key comes from the selector.
    if (value === null || value === undefined) return;
    const tableKey = this.keySelector(key, value);
    // KIP-962: a left join keeps a record whose lookup key is null, with no row; an inner join drops it.
    const row = tableKey === null || tableKey === undefined ? null : this.#getter.get(tableKey);
    if (row !== null) this.#context.forward(record.withValue(this.joiner(value, row.value)));
    else if (this.isLeft) this.#context.forward(record.withValue(this.joiner(value, null)));
  }
}

/**
 * Joins each stream record with the global table's current row for `keySelector(key, value)`: forwards
 * `joiner(value, row)` with the stream record's key, timestamp and headers. Only stream records trigger output. A
 * record with a null value is dropped; when the selector returns null or the table has no row, an inner join drops
 * the record and a left join forwards `joiner(value, null)` (Kafka Streams 3.7+, KIP-962).
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-JOIN-0000000005', kstreamGlobalKTableJoin(storeValueGetter('products'), (_k, o) => o.sku, (o, p) => [o, p], false), 'KSTREAM-SOURCE-0000000000');
 * ```
 */
export function kstreamGlobalKTableJoin<K, V, GK, GV, VR>(
  table: TableValueGetterSupplier<GK, GV>,
  keySelector: KeyValueMapper<K, V, GK | null>,
  joiner: ValueJoiner<V, GV | null, VR>,
  isLeft: boolean,
): ProcessorSupplier<K, V, K, VR> {
  return () => new KStreamGlobalKTableJoinProcessor(table, keySelector, joiner, isLeft);
}
