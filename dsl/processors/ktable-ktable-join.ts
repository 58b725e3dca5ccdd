/**
 * The processors of `KTable.join/leftJoin/outerJoin(KTable)`: one join processor per side (KTABLE-JOINTHIS,
 * KTABLE-JOINOTHER), each joining its side's updates with the other side's current row, and the merger
 * (KTABLE-MERGE) both feed (Kafka Streams' `KTableKTable{Inner,Left,Right,Outer}Join` and `KTableKTableJoinMerger`).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { Change } from '../change.js';
import type { ValueJoiner } from '../functions.js';
import type { TableValueGetter, TableValueGetterSupplier } from './ktable-value-getter.js';
import { TimestampedForwarder } from './timestamped-forwarder.js';

/**
 * The join one side's processor computes, from its own point of view: `right` is the other side of a left join (the
 * updating side is optional, the looked-up one drives).
 *
 * @example `const side: TableJoinSide = 'right';`
 */
export type TableJoinSide = 'inner' | 'left' | 'right' | 'outer';

const present = (v: unknown): boolean => v !== null && v !== undefined;

class KTableKTableJoinProcessor<K, V1, V2, VR> implements Processor<K, Change<V1>, K, Change<VR>> {
  #context!: ProcessorContext<K, Change<VR>>;
  #other!: TableValueGetter<K, V2>;

  constructor(
    private readonly otherSide: TableValueGetterSupplier<K, V2>,
    private readonly joiner: ValueJoiner<V1 | null, V2 | null, VR>,
    private readonly side: TableJoinSide,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<VR>>): void {
    this.#context = context;
    this.#other = this.otherSide.init(context);
  }

  process(record: Record<K, Change<V1>>): void {
    // Rows join on equal keys: a keyless update cannot join.
    if (record.key === null || record.key === undefined) return;
    const { newValue, oldValue } = record.value;
    const hasNew = present(newValue);
    const hasOld = present(oldValue);
    const row = this.#other.get(record.key);
    const other = row === null ? null : row.value;
    const { joiner, sendOldValues } = this;
    let resultNew: VR | null = null;
    let resultOld: VR | null = null;
    switch (this.side) {
      case 'inner':
        if (row === null) return;
        if (hasNew) resultNew = joiner(newValue, other);
        if (sendOldValues && hasOld) resultOld = joiner(oldValue, other);
        break;
      case 'left':
        if (row === null && !hasNew && !hasOld) return;
        if (hasNew) resultNew = joiner(newValue, other);
        if (sendOldValues && hasOld) resultOld = joiner(oldValue, other);
        break;
      case 'right':
        // The other side is the left of a left join: without its row there is no result, with it there always is.
        if (row === null) return;
        resultNew = joiner(hasNew ? newValue : null, other);
        if (sendOldValues) resultOld = joiner(hasOld ? oldValue : null, other);
        break;
      case 'outer':
        if (row === null && !hasNew && !hasOld) return;
        if (row !== null || hasNew) resultNew = joiner(hasNew ? newValue : null, other);
        if (sendOldValues && (row !== null || hasOld)) resultOld = joiner(hasOld ? oldValue : null, other);
        break;
    }
    const timestampMs = row === null ? record.timestampMs : Math.max(record.timestampMs, row.timestampMs);
    this.#context.forward(record.withValue<Change<VR>>({ newValue: resultNew, oldValue: resultOld }).withTimestamp(timestampMs));
  }
}

/**
 * One side of a table-table join: for each update `Change(new, old)` of this side, looks up the other side's row and
 * forwards `Change(joiner(new, other), joiner(old, other))` at the larger of the two timestamps, as Kafka Streams'
 * join semantics table says for `side`: `inner` needs the other row (a deletion forwards a `null` result); `left`
 * joins with a `null` other row too (ignoring updates that carry neither value); `right` (the other side of a left
 * join) needs the other row and joins even a deletion, as `joiner(null, other)`; `outer` joins whatever exists.
 * Old results only with `sendOldValues`; `joiner` always takes this side's value first.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-JOINTHIS-0000000007', ktableKTableJoin(storeValueGetter('b'), (a, b) => `${a}+${b}`, 'inner', false), 'KTABLE-SOURCE-0000000002');
 * ```
 */
export function ktableKTableJoin<K, V1, V2, VR>(
  otherSide: TableValueGetterSupplier<K, V2>,
  joiner: ValueJoiner<V1 | null, V2 | null, VR>,
  side: TableJoinSide,
  sendOldValues: boolean,
): ProcessorSupplier<K, Change<V1>, K, Change<VR>> {
  return () => new KTableKTableJoinProcessor(otherSide, joiner, side, sendOldValues);
}

class KTableKTableJoinMerger<K, V> implements Processor<K, Change<V>, K, Change<V>> {
  #context!: ProcessorContext<K, Change<V>>;
  #store: TimestampedKeyValueStore<K, V> | null = null;
  #forwarder: TimestampedForwarder<K, V> | null = null;

  constructor(
    private readonly storeName: string | null,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.#context = context;
    if (this.storeName !== null) {
      this.#store = context.getStateStore<TimestampedKeyValueStore<K, V>>(this.storeName);
      this.#forwarder = new TimestampedForwarder(this.#store, context, this.sendOldValues);
    }
  }

  process(record: Record<K, Change<V>>): void {
    const store = this.#store;
    if (store === null) {
      this.#context.forward(this.sendOldValues ? record : record.withValue<Change<V>>({ newValue: record.value.newValue, oldValue: null }));
      return;
    }
    const key = record.key;
    const old = store.get(key);
    const newValue = present(record.value.newValue) ? record.value.newValue : null;
    store.put(key, newValue === null ? null : { value: newValue, timestampMs: record.timestampMs });
    this.#forwarder!.maybeForward(key, newValue, old === null ? null : old.value, record.timestampMs, record.headers);
  }
}

/**
 * The merge of a table-table join's two sides: forwards each side's results (old values only with `sendOldValues`);
 * with `storeName` the result table is written to that store first and old values come from it.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-MERGE-0000000006', ktableKTableJoinMerger(null, false), 'KTABLE-JOINTHIS-0000000007', 'KTABLE-JOINOTHER-0000000008');
 * ```
 */
export function ktableKTableJoinMerger<K, V>(storeName: string | null, sendOldValues: boolean): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new KTableKTableJoinMerger<K, V>(storeName, sendOldValues);
}
