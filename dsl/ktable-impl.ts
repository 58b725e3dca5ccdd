/**
 * The implementation of {@link KTable}. Internal.
 */
import type { KeyValue } from '../src/state/key-value-store.js';
import { StreamsError } from '../src/errors.js';
import { erase, requireFunction, splitNamed, storeSpecOf } from './dsl-context.js';
import type { HandleState } from './dsl-context.js';
import type { KeyValueMapper, Predicate, ValueJoiner, ValueMapper } from './functions.js';
import { KGroupedTableImpl } from './kgrouped-table-impl.js';
import type { KGroupedTable } from './kgrouped-table.js';
import { KStreamImpl } from './kstream-impl.js';
import type { KStream } from './kstream.js';
import type { KTable } from './ktable.js';
import type { Grouped } from './options/grouped.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';
import type { TableJoinVariant } from './processors/ktable-value-getter.js';
import type { Suppressed } from './options/suppressed.js';
import { addSuppression } from './table-suppression.js';

/**
 * A table handle's state: its graph position and serdes, and the store it can be queried by (`null`: none).
 *
 * @example `const state: TableState<string, number> = { builder, nodeId, name, keySerde, valueSerde, queryableStoreName: 'counts' };`
 */
export interface TableState<K, V> extends HandleState<K, V> {
  readonly queryableStoreName: string | null;
}

/**
 * The {@link KTable} implementation.
 *
 * @example
 * ```ts
 * const table = new KTableImpl<string, number>({ builder, nodeId, name, keySerde: undefined, valueSerde: undefined, queryableStoreName: null });
 * ```
 */
export class KTableImpl<K, V> implements KTable<K, V> {
  constructor(readonly state: TableState<K, V>) {}

  get queryableStoreName(): string | null {
    return this.state.queryableStoreName;
  }

  filter(predicate: Predicate<K, V>, first?: Named | Materialized<K, V>, second?: Materialized<K, V>): KTable<K, V> {
    return this.#filter(predicate, false, first, second);
  }

  filterNot(predicate: Predicate<K, V>, first?: Named | Materialized<K, V>, second?: Materialized<K, V>): KTable<K, V> {
    return this.#filter(predicate, true, first, second);
  }

  #filter(predicate: Predicate<K, V>, isNot: boolean, first?: Named | Materialized<K, V>, second?: Materialized<K, V>): KTable<K, V> {
    requireFunction(predicate, 'predicate');
    const [named, [materialized]] = splitNamed<Materialized<K, V> | undefined>([first, second]);
    const { builder } = this.state;
    // Kafka Streams burns a store index for an unnamed Materialized, though it does not materialize such a filter.
    if (materialized !== undefined && materialized.storeName === undefined) builder.newStoreName('KTABLE-FILTER-');
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde ?? this.state.valueSerde;
    const storeName = materialized?.storeName;
    const name = named?.name ?? builder.newProcessorName('KTABLE-FILTER-');
    const node = builder.add({
      kind: 'table-filter',
      name,
      parents: [this.state.nodeId],
      predicate: erase(predicate),
      isNot,
      store: storeName === undefined ? null : storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde)),
    });
    return new KTableImpl<K, V>({ builder, nodeId: node.id, name, keySerde, valueSerde, queryableStoreName: storeName ?? null });
  }

  mapValues<VR>(mapper: ValueMapper<K, V, VR>, first?: Named | Materialized<K, VR>, second?: Materialized<K, VR>): KTable<K, VR> {
    requireFunction(mapper, 'mapper');
    const [named, [materialized]] = splitNamed<Materialized<K, VR> | undefined>([first, second]);
    const { builder } = this.state;
    if (materialized !== undefined && materialized.storeName === undefined) builder.newStoreName('KTABLE-MAPVALUES-');
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde;
    const storeName = materialized?.storeName;
    const name = named?.name ?? builder.newProcessorName('KTABLE-MAPVALUES-');
    const node = builder.add({
      kind: 'table-map-values',
      name,
      parents: [this.state.nodeId],
      mapper: erase(mapper),
      store: storeName === undefined ? null : storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde)),
    });
    return new KTableImpl<K, VR>({ builder, nodeId: node.id, name, keySerde, valueSerde, queryableStoreName: storeName ?? null });
  }

  toStream(named?: Named): KStream<K, V | null> {
    const { builder } = this.state;
    const name = named?.name ?? builder.newProcessorName('KTABLE-TOSTREAM-');
    const node = builder.add({ kind: 'to-stream', name, parents: [this.state.nodeId] });
    return new KStreamImpl<K, V | null>({
      builder,
      nodeId: node.id,
      name,
      keySerde: this.state.keySerde,
      valueSerde: this.state.valueSerde,
      repartitionRequired: false,
    });
  }

  groupBy<KR, VR>(selector: KeyValueMapper<K, V, KeyValue<KR, VR>>, grouped?: Grouped<KR, VR>): KGroupedTable<KR, VR> {
    requireFunction(selector, 'selector');
    const { builder } = this.state;
    const name = grouped?.name ?? builder.newProcessorName('KTABLE-SELECT-');
    const node = builder.add({ kind: 'table-group-by', name, parents: [this.state.nodeId], selector: erase(selector) });
    return new KGroupedTableImpl<KR, VR>(
      { builder, nodeId: node.id, name, keySerde: grouped?.keySerde, valueSerde: grouped?.valueSerde },
      grouped?.name,
    );
  }

  suppress(suppressed: Suppressed<K>): KTable<K, V> {
    const { builder, keySerde, valueSerde } = this.state;
    const node = addSuppression(builder, this.state.nodeId, erase(keySerde), erase(valueSerde), erase(suppressed));
    return new KTableImpl<K, V>({ builder, nodeId: node.id, name: node.name, keySerde, valueSerde, queryableStoreName: null });
  }

  join<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO, VR>, first?: Named | Materialized<K, VR>, second?: Materialized<K, VR>): KTable<K, VR> {
    return this.#join(other, joiner as ValueJoiner<V | null, VO | null, VR>, 'inner', first, second);
  }

  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO | null, VR>, first?: Named | Materialized<K, VR>, second?: Materialized<K, VR>): KTable<K, VR> {
    return this.#join(other, joiner as ValueJoiner<V | null, VO | null, VR>, 'left', first, second);
  }

  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V | null, VO | null, VR>, first?: Named | Materialized<K, VR>, second?: Materialized<K, VR>): KTable<K, VR> {
    return this.#join(other, joiner, 'outer', first, second);
  }

  #join<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V | null, VO | null, VR>,
    variant: TableJoinVariant,
    first?: Named | Materialized<K, VR>,
    second?: Materialized<K, VR>,
  ): KTable<K, VR> {
    requireFunction(joiner, 'joiner');
    const { builder } = this.state;
    if (!(other instanceof KTableImpl) || other.state.builder !== builder) {
      throw new StreamsError('TOPOLOGY_INVALID', 'join() needs a KTable made by the same StreamsBuilder');
    }
    const [named, [materialized]] = splitNamed<Materialized<K, VR> | undefined>([first, second]);
    // Kafka Streams' order: the store name (when materialized), then KTABLE-MERGE, KTABLE-JOINTHIS, KTABLE-JOINOTHER.
    const storeName = materialized === undefined ? undefined : (materialized.storeName ?? builder.newStoreName('KTABLE-MERGE-'));
    const name = named?.name ?? builder.newProcessorName('KTABLE-MERGE-');
    const thisName = named === undefined ? builder.newProcessorName('KTABLE-JOINTHIS-') : `${named.name}-join-this`;
    const otherName = named === undefined ? builder.newProcessorName('KTABLE-JOINOTHER-') : `${named.name}-join-other`;
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde;
    const node = builder.add({
      kind: 'table-join',
      name,
      parents: [this.state.nodeId, (other as KTableImpl<K, VO>).state.nodeId],
      thisName,
      otherName,
      joiner: erase(joiner),
      variant,
      store: storeName === undefined ? null : storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde)),
    });
    return new KTableImpl<K, VR>({ builder, nodeId: node.id, name, keySerde, valueSerde, queryableStoreName: materialized?.storeName ?? null });
  }
}
