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
import { Named } from './options/named.js';
import { TableJoined } from './options/table-joined.js';
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

  // One implementation behind both overload families (equal keys / foreign key): `rest[1]` is a function only for FK.
  join<VR>(other: KTable<any, any>, ...rest: readonly unknown[]): KTable<K, VR> {
    if (typeof rest[1] === 'function') return this.#foreignKeyJoin<VR>(other, false, rest);
    const [joiner, first, second] = rest as [ValueJoiner<V | null, unknown, VR>, Named | Materialized<K, VR> | undefined, Materialized<K, VR> | undefined];
    return this.#join(other as KTable<K, unknown>, joiner, 'inner', first, second);
  }

  leftJoin<VR>(other: KTable<any, any>, ...rest: readonly unknown[]): KTable<K, VR> {
    if (typeof rest[1] === 'function') return this.#foreignKeyJoin<VR>(other, true, rest);
    const [joiner, first, second] = rest as [ValueJoiner<V | null, unknown, VR>, Named | Materialized<K, VR> | undefined, Materialized<K, VR> | undefined];
    return this.#join(other as KTable<K, unknown>, joiner, 'left', first, second);
  }

  #foreignKeyJoin<VR>(other: KTable<unknown, unknown>, isLeftJoin: boolean, rest: readonly unknown[]): KTable<K, VR> {
    const [extractor, joiner, first, second] = rest as [unknown, unknown, TableJoined<K, unknown> | Named | Materialized<K, VR> | undefined, Materialized<K, VR> | undefined];
    requireFunction(extractor, 'foreignKeyExtractor');
    requireFunction(joiner, 'joiner');
    const { builder } = this.state;
    if (!(other instanceof KTableImpl) || other.state.builder !== builder) {
      throw new StreamsError('TOPOLOGY_INVALID', `${isLeftJoin ? 'leftJoin' : 'join'}() needs a KTable made by the same StreamsBuilder`);
    }
    const otherState = (other as KTableImpl<unknown, unknown>).state;
    const options = first instanceof TableJoined || first instanceof Named ? first : undefined;
    const materialized = options === undefined ? (first as Materialized<K, VR> | undefined) : second;
    const joinName = options?.name;
    // Kafka Streams' order: each name burns a processor index, even when TableJoined names it; then the store name.
    const nameOf = (suffix: string, prefix: string): string => {
      const generated = builder.newProcessorName(prefix);
      return joinName === undefined ? generated : `${joinName}${suffix}`;
    };
    const registrationTopic = `${nameOf('-subscription-registration', 'KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-')}-topic`;
    const sendName = nameOf('-subscription-registration-processor', 'KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-');
    const registrationSinkName = nameOf('-subscription-registration-sink', 'KTABLE-SINK-');
    const registrationSourceName = nameOf('-subscription-registration-source', 'KTABLE-SOURCE-');
    const subscriptionStoreName = nameOf('-subscription-store', 'KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-');
    const receiveName = nameOf('-subscription-receive', 'KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-');
    const joinForeignName = nameOf('-subscription-join-foreign', 'KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-');
    const foreignJoinName = nameOf('-foreign-join-subscription', 'KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-');
    const responseTopic = `${nameOf('-subscription-response', 'KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-')}-topic`;
    const responseSinkName = nameOf('-subscription-response-sink', 'KTABLE-SINK-');
    const responseSourceName = nameOf('-subscription-response-source', 'KTABLE-SOURCE-');
    const resolverName = nameOf('-subscription-response-resolver', 'KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-');
    const name = nameOf('-result', 'KTABLE-FK-JOIN-OUTPUT-');
    const generatedStore = builder.newStoreName('KTABLE-FK-JOIN-OUTPUT-');
    const storeName = materialized?.storeName ?? generatedStore;
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde;
    const tableJoined = options instanceof TableJoined ? options : undefined;
    const node = builder.add({
      kind: 'table-fk-join',
      name,
      parents: [this.state.nodeId, otherState.nodeId],
      isLeftJoin,
      extractor: erase(extractor),
      joiner: erase(joiner),
      registrationTopic,
      sendName,
      registrationSinkName,
      registrationSourceName,
      subscriptionStoreName,
      receiveName,
      joinForeignName,
      foreignJoinName,
      responseTopic,
      responseSinkName,
      responseSourceName,
      resolverName,
      keySerde: erase(this.state.keySerde),
      valueSerde: erase(this.state.valueSerde),
      otherKeySerde: erase(otherState.keySerde),
      otherValueSerde: erase(otherState.valueSerde),
      partitioner: erase(tableJoined?.partitioner),
      otherPartitioner: erase(tableJoined?.otherPartitioner),
      store: storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde)),
      isQueryable: materialized?.storeName !== undefined,
    });
    return new KTableImpl<K, VR>({ builder, nodeId: node.id, name, keySerde, valueSerde, queryableStoreName: materialized?.storeName ?? null });
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
