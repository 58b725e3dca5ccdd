/**
 * The implementation of {@link KStream}: each method appends graph nodes and returns a new handle. Internal.
 */
import { StreamsError } from '../src/errors.js';
import type { FixedKeyProcessorSupplier, ProcessorSupplier } from '../src/processor/processor.js';
import type { TopicNameExtractor } from '../src/processor/topic-name-extractor.js';
import type { Serde } from '../src/serdes/serde.js';
import type { KeyValue } from '../src/state/key-value-store.js';
import { BranchedKStreamImpl } from './branched-kstream-impl.js';
import { erase, requireFunction, splitNamed, storeSpecOf } from './dsl-context.js';
import type { HandleState } from './dsl-context.js';
import type { ForeachAction, KeyValueMapper, Predicate, ValueJoiner, ValueMapper } from './functions.js';
import { optimizableRepartition, repartitionNames } from './graph/repartition-names.js';
import { GlobalKTableImpl, type GlobalKTable } from './global-ktable.js';
import { KGroupedStreamImpl } from './kgrouped-stream-impl.js';
import type { KGroupedStream } from './kgrouped-stream.js';
import type { BranchedKStream, KStream } from './kstream.js';
import { KTableImpl } from './ktable-impl.js';
import type { KTable } from './ktable.js';
import type { Grouped } from './options/grouped.js';
import type { Joined } from './options/joined.js';
import type { Materialized } from './options/materialized.js';
import { Named } from './options/named.js';
import type { Printed } from './options/printed.js';
import type { Produced } from './options/produced.js';
import type { Repartitioned } from './options/repartitioned.js';
import type { StreamJoined } from './options/stream-joined.js';
import { JoinWindows } from './windows/join-windows.js';

/**
 * A stream handle's state: where it is in the graph, its serdes, and whether its key may have changed (then the next
 * stateful operation repartitions).
 *
 * @example `const next: StreamState<string, number> = { ...state, nodeId: node.id, name: node.name, repartitionRequired: true };`
 */
export interface StreamState<K, V> extends HandleState<K, V> {
  readonly repartitionRequired: boolean;
}

/**
 * The {@link KStream} implementation; StreamsBuilder and the other handles create it.
 *
 * @example
 * ```ts
 * const stream = new KStreamImpl<string, string>({ builder, nodeId: source.id, name: source.name, keySerde: undefined,
 *   valueSerde: undefined, repartitionRequired: false });
 * ```
 */
export class KStreamImpl<K, V> implements KStream<K, V> {
  constructor(readonly state: StreamState<K, V>) {}

  #next<K2, V2>(node: { id: number; name: string }, changes: Partial<StreamState<K2, V2>> = {}): KStreamImpl<K2, V2> {
    return new KStreamImpl<K2, V2>({ ...(this.state as unknown as StreamState<K2, V2>), nodeId: node.id, name: node.name, ...changes });
  }

  #name(named: Named | undefined, prefix: string): string {
    return named?.name ?? this.state.builder.newProcessorName(prefix);
  }

  filter(predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    return this.#filter(predicate, named, false);
  }

  filterNot(predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    return this.#filter(predicate, named, true);
  }

  #filter(predicate: Predicate<K, V>, named: Named | undefined, isNot: boolean): KStream<K, V> {
    requireFunction(predicate, 'predicate');
    const name = this.#name(named, 'KSTREAM-FILTER-');
    const node = this.state.builder.add({ kind: 'filter', name, parents: [this.state.nodeId], predicate: erase(predicate), isNot });
    return this.#next<K, V>(node);
  }

  selectKey<KR>(mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V> {
    requireFunction(mapper, 'mapper');
    const name = this.#name(named, 'KSTREAM-KEY-SELECT-');
    const node = this.state.builder.add({ kind: 'select-key', name, parents: [this.state.nodeId], mapper: erase(mapper) });
    return this.#next<KR, V>(node, { keySerde: undefined, repartitionRequired: true });
  }

  map<KR, VR>(mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>, named?: Named): KStream<KR, VR> {
    requireFunction(mapper, 'mapper');
    const name = this.#name(named, 'KSTREAM-MAP-');
    const node = this.state.builder.add({ kind: 'map', name, parents: [this.state.nodeId], mapper: erase(mapper) });
    return this.#next<KR, VR>(node, { keySerde: undefined, valueSerde: undefined, repartitionRequired: true });
  }

  mapValues<VR>(mapper: ValueMapper<K, V, VR>, named?: Named): KStream<K, VR> {
    requireFunction(mapper, 'mapper');
    const name = this.#name(named, 'KSTREAM-MAPVALUES-');
    const node = this.state.builder.add({ kind: 'map-values', name, parents: [this.state.nodeId], mapper: erase(mapper) });
    return this.#next<K, VR>(node, { valueSerde: undefined });
  }

  flatMap<KR, VR>(mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>, named?: Named): KStream<KR, VR> {
    requireFunction(mapper, 'mapper');
    const name = this.#name(named, 'KSTREAM-FLATMAP-');
    const node = this.state.builder.add({ kind: 'flat-map', name, parents: [this.state.nodeId], mapper: erase(mapper) });
    return this.#next<KR, VR>(node, { keySerde: undefined, valueSerde: undefined, repartitionRequired: true });
  }

  flatMapValues<VR>(mapper: ValueMapper<K, V, Iterable<VR>>, named?: Named): KStream<K, VR> {
    requireFunction(mapper, 'mapper');
    const name = this.#name(named, 'KSTREAM-FLATMAPVALUES-');
    const node = this.state.builder.add({ kind: 'flat-map-values', name, parents: [this.state.nodeId], mapper: erase(mapper) });
    return this.#next<K, VR>(node, { valueSerde: undefined });
  }

  peek(action: ForeachAction<K, V>, named?: Named): KStream<K, V> {
    requireFunction(action, 'action');
    const name = this.#name(named, 'KSTREAM-PEEK-');
    const node = this.state.builder.add({ kind: 'peek', name, parents: [this.state.nodeId], action: erase(action) });
    return this.#next<K, V>(node);
  }

  foreach(action: ForeachAction<K, V>, named?: Named): void {
    requireFunction(action, 'action');
    const name = this.#name(named, 'KSTREAM-FOREACH-');
    this.state.builder.add({ kind: 'foreach', name, parents: [this.state.nodeId], action: erase(action) });
  }

  print(printed: Printed<K, V>): void {
    const name = printed.processorName ?? this.state.builder.newProcessorName('KSTREAM-PRINTER-');
    this.state.builder.add({
      kind: 'print',
      name,
      parents: [this.state.nodeId],
      writer: printed.writer,
      label: printed.label ?? this.state.name,
      mapper: erase(printed.mapper),
    });
  }

  split(named?: Named): BranchedKStream<K, V> {
    const name = this.#name(named, 'KSTREAM-BRANCH-');
    const node = this.state.builder.add({ kind: 'split', name, parents: [this.state.nodeId] });
    return new BranchedKStreamImpl<K, V>(this.state, node.id, name);
  }

  merge(stream: KStream<K, V>, named?: Named): KStream<K, V> {
    if (!(stream instanceof KStreamImpl) || stream.state.builder !== this.state.builder) {
      throw new StreamsError('TOPOLOGY_INVALID', 'merge() needs a KStream made by the same StreamsBuilder');
    }
    const other = stream as KStreamImpl<K, V>;
    const name = this.#name(named, 'KSTREAM-MERGE-');
    const node = this.state.builder.add({ kind: 'merge', name, parents: [this.state.nodeId, other.state.nodeId] });
    // The serdes of two streams cannot stand for both; the defaults apply.
    return this.#next<K, V>(node, {
      keySerde: undefined,
      valueSerde: undefined,
      repartitionRequired: this.state.repartitionRequired || other.state.repartitionRequired,
    });
  }

  repartition(repartitioned?: Repartitioned<K, NonNullable<V>>): KStream<K, V> {
    const { builder } = this.state;
    const prefix = repartitioned?.name ?? builder.newProcessorName('KSTREAM-REPARTITION-');
    const keySerde = repartitioned?.keySerde ?? this.state.keySerde;
    const valueSerde = (repartitioned?.valueSerde ?? this.state.valueSerde) as Serde<V> | undefined;
    const names = repartitionNames(builder, prefix);
    const node = builder.add({
      kind: 'repartition',
      variant: 'unoptimizable',
      name: names.sourceName,
      parents: [this.state.nodeId],
      ...names,
      keySerde: erase(keySerde),
      valueSerde: erase(valueSerde),
      partitioner: erase(repartitioned?.partitioner),
      numberOfPartitions: repartitioned?.numberOfPartitions,
    });
    return this.#next(node, { keySerde, valueSerde, repartitionRequired: false });
  }

  to(topic: string | TopicNameExtractor<K, V>, produced?: Produced<K, NonNullable<V>>): void {
    if (typeof topic !== 'string') requireFunction(topic, 'topic name extractor');
    const name = produced?.processorName ?? this.state.builder.newProcessorName('KSTREAM-SINK-');
    this.state.builder.add({
      kind: 'sink',
      name,
      parents: [this.state.nodeId],
      topic: typeof topic === 'string' ? topic : null,
      topicExtractor: typeof topic === 'string' ? null : erase(topic),
      keySerde: erase(produced?.keySerde ?? this.state.keySerde),
      valueSerde: erase(produced?.valueSerde ?? this.state.valueSerde),
      partitioner: erase(produced?.partitioner),
    });
  }

  toTable(first?: Named | Materialized<K, NonNullable<V>>, second?: Materialized<K, NonNullable<V>>): KTable<K, NonNullable<V>> {
    const [named, rest] = splitNamed<Materialized<K, NonNullable<V>> | undefined>([first, second]);
    const materialized = rest[0];
    const { builder } = this.state;
    const name = named?.name ?? builder.newProcessorName('KSTREAM-TOTABLE-');
    const storeName = materialized?.storeName ?? builder.newStoreName('KSTREAM-TOTABLE-');
    const keySerde = materialized?.keySerde ?? this.state.keySerde;
    const valueSerde = materialized?.valueSerde ?? (this.state.valueSerde as Serde<NonNullable<V>> | undefined);
    let parent = this.state.nodeId;
    if (this.state.repartitionRequired) {
      const names = repartitionNames(builder, name);
      parent = builder.add(optimizableRepartition(names, parent, erase(keySerde), erase(valueSerde))).id;
    }
    const node = builder.add({
      kind: 'to-table',
      name,
      parents: [parent],
      store: storeSpecOf(erase(materialized), storeName, erase(keySerde), erase(valueSerde)),
      isQueryable: materialized?.storeName !== undefined,
    });
    return new KTableImpl<K, NonNullable<V>>({ builder, nodeId: node.id, name, keySerde, valueSerde, queryableStoreName: materialized?.storeName ?? null });
  }

  groupByKey(grouped?: Grouped<K, NonNullable<V>>): KGroupedStream<K, NonNullable<V>> {
    return new KGroupedStreamImpl<K, NonNullable<V>>(
      {
        ...this.state,
        keySerde: grouped?.keySerde ?? this.state.keySerde,
        valueSerde: grouped?.valueSerde ?? (this.state.valueSerde as Serde<NonNullable<V>> | undefined),
      },
      grouped?.name,
      this.state.repartitionRequired,
    );
  }

  groupBy<KR>(selector: KeyValueMapper<K, V, KR>, grouped?: Grouped<KR, NonNullable<V>>): KGroupedStream<KR, NonNullable<V>> {
    requireFunction(selector, 'key selector');
    // As Kafka Streams: the Grouped name also names the key selection node.
    const name = grouped?.name ?? this.state.builder.newProcessorName('KSTREAM-KEY-SELECT-');
    const node = this.state.builder.add({ kind: 'select-key', name, parents: [this.state.nodeId], mapper: erase(selector) });
    return new KGroupedStreamImpl<KR, NonNullable<V>>(
      {
        builder: this.state.builder,
        nodeId: node.id,
        name,
        keySerde: grouped?.keySerde,
        valueSerde: grouped?.valueSerde ?? (this.state.valueSerde as Serde<NonNullable<V>> | undefined),
      },
      grouped?.name,
      true,
    );
  }

  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, ...args: (Named | string)[]): KStream<KOut, VOut> {
    requireFunction(supplier, 'processor supplier');
    const [named, storeNames] = splitNamed<string>(args);
    const name = this.#name(named, 'KSTREAM-PROCESSOR-');
    const node = this.state.builder.add({ kind: 'process', name, parents: [this.state.nodeId], supplier: erase(supplier), storeNames, isFixedKey: false });
    return this.#next<KOut, VOut>(node, { keySerde: undefined, valueSerde: undefined, repartitionRequired: true });
  }

  processValues<VOut>(supplier: FixedKeyProcessorSupplier<K, V, VOut>, ...args: (Named | string)[]): KStream<K, VOut> {
    requireFunction(supplier, 'processor supplier');
    const [named, storeNames] = splitNamed<string>(args);
    const name = this.#name(named, 'KSTREAM-PROCESSVALUES-');
    // At run time a fixed-key record is a plain Record, so the fixed-key processor runs as a regular one.
    const node = this.state.builder.add({ kind: 'process', name, parents: [this.state.nodeId], supplier: erase(supplier), storeNames, isFixedKey: true });
    return this.#next<K, VOut>(node, { valueSerde: undefined });
  }

  join<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<NonNullable<V>, VT, VR>, joined?: Joined<K, NonNullable<V>, VT>): KStream<K, VR>;
  join<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<NonNullable<V>, NonNullable<VO>, VR>,
    windows: JoinWindows,
    streamJoined?: StreamJoined<K, NonNullable<V>, NonNullable<VO>>,
  ): KStream<K, VR>;
  join<GK, GV, VR>(
    globalTable: GlobalKTable<GK, GV>,
    keySelector: KeyValueMapper<K, NonNullable<V>, GK | null>,
    joiner: ValueJoiner<NonNullable<V>, GV, VR>,
    named?: Named,
  ): KStream<K, VR>;
  join(
    other: KTable<K, unknown> | KStream<K, unknown> | GlobalKTable<unknown, unknown>,
    joiner: (...args: never[]) => unknown,
    third?: Joined<K, NonNullable<V>, unknown> | JoinWindows | ((...args: never[]) => unknown),
    fourth?: StreamJoined<K, NonNullable<V>, unknown> | Named,
  ): KStream<K, unknown> {
    return this.#join(other, joiner, third, fourth, false);
  }

  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<NonNullable<V>, VT | null, VR>, joined?: Joined<K, NonNullable<V>, VT>): KStream<K, VR>;
  leftJoin<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<NonNullable<V>, NonNullable<VO> | null, VR>,
    windows: JoinWindows,
    streamJoined?: StreamJoined<K, NonNullable<V>, NonNullable<VO>>,
  ): KStream<K, VR>;
  leftJoin<GK, GV, VR>(
    globalTable: GlobalKTable<GK, GV>,
    keySelector: KeyValueMapper<K, NonNullable<V>, GK | null>,
    joiner: ValueJoiner<NonNullable<V>, GV | null, VR>,
    named?: Named,
  ): KStream<K, VR>;
  leftJoin(
    other: KTable<K, unknown> | KStream<K, unknown> | GlobalKTable<unknown, unknown>,
    joiner: (...args: never[]) => unknown,
    third?: Joined<K, NonNullable<V>, unknown> | JoinWindows | ((...args: never[]) => unknown),
    fourth?: StreamJoined<K, NonNullable<V>, unknown> | Named,
  ): KStream<K, unknown> {
    return this.#join(other, joiner, third, fourth, true);
  }

  /** `join`/`leftJoin`: to a global table, a windowed stream or a table, by what the arguments are. */
  #join(
    other: KTable<K, unknown> | KStream<K, unknown> | GlobalKTable<unknown, unknown>,
    joiner: (...args: never[]) => unknown,
    third: Joined<K, NonNullable<V>, unknown> | JoinWindows | ((...args: never[]) => unknown) | undefined,
    fourth: StreamJoined<K, NonNullable<V>, unknown> | Named | undefined,
    isLeft: boolean,
  ): KStream<K, unknown> {
    if (other instanceof GlobalKTableImpl) {
      return this.#joinGlobal(other, joiner as KeyValueMapper<K, NonNullable<V>, unknown>, third as ValueJoiner<NonNullable<V>, unknown, unknown>, fourth as Named | undefined, isLeft);
    }
    if (third instanceof JoinWindows) {
      return this.#joinStream(other as KStream<K, unknown>, joiner as ValueJoiner<unknown, unknown, unknown>, third, fourth as StreamJoined<K, NonNullable<V>, unknown> | undefined, isLeft ? 'left' : 'inner');
    }
    return this.#joinTable(other as KTable<K, unknown>, joiner as ValueJoiner<NonNullable<V>, unknown, unknown>, third as Joined<K, NonNullable<V>, unknown> | undefined, isLeft);
  }

  outerJoin<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<NonNullable<V> | null, NonNullable<VO> | null, VR>,
    windows: JoinWindows,
    streamJoined?: StreamJoined<K, NonNullable<V>, NonNullable<VO>>,
  ): KStream<K, VR> {
    if (!(windows instanceof JoinWindows)) throw new StreamsError('TOPOLOGY_INVALID', 'outerJoin() needs a KStream and JoinWindows');
    return this.#joinStream(otherStream as unknown as KStream<K, unknown>, joiner as ValueJoiner<unknown, unknown, unknown>, windows, streamJoined, 'outer') as KStream<K, VR>;
  }

  /** Kafka Streams' `globalTableJoin`: one processor reading the global store; no repartition, no connection. */
  #joinGlobal(
    table: GlobalKTableImpl<unknown, unknown>,
    keySelector: KeyValueMapper<K, NonNullable<V>, unknown>,
    joiner: ValueJoiner<NonNullable<V>, unknown, unknown>,
    named: Named | undefined,
    isLeft: boolean,
  ): KStream<K, unknown> {
    requireFunction(keySelector, 'keySelector');
    requireFunction(joiner, 'joiner');
    const { builder } = this.state;
    if (table.builder !== builder) throw new StreamsError('TOPOLOGY_INVALID', 'join() needs a GlobalKTable made by the same StreamsBuilder');
    const name = named?.name ?? builder.newProcessorName(isLeft ? 'KSTREAM-LEFTJOIN-' : 'KSTREAM-JOIN-');
    const node = builder.add({
      kind: 'stream-global-join',
      name,
      parents: [this.state.nodeId],
      storeName: table.queryableStoreName,
      keySelector: erase(keySelector),
      joiner: erase(joiner),
      isLeft,
    });
    // The key is unchanged, so a pending repartition stays pending for what follows.
    return new KStreamImpl<K, unknown>({ builder, nodeId: node.id, name, keySerde: this.state.keySerde, valueSerde: undefined, repartitionRequired: this.state.repartitionRequired });
  }

  /** Kafka Streams' `KStreamImplJoin`: windowed processors, the two join sides, a merge, and their stores. */
  #joinStream(
    otherStream: KStream<K, unknown>,
    joiner: ValueJoiner<unknown, unknown, unknown>,
    windows: JoinWindows,
    streamJoined: StreamJoined<K, NonNullable<V>, unknown> | undefined,
    variant: 'inner' | 'left' | 'outer',
  ): KStream<K, unknown> {
    requireFunction(joiner, 'joiner');
    const { builder } = this.state;
    if (!(otherStream instanceof KStreamImpl) || otherStream.state.builder !== builder) {
      throw new StreamsError('TOPOLOGY_INVALID', 'join() needs a KStream made by the same StreamsBuilder');
    }
    const other = otherStream as KStreamImpl<K, unknown>;
    const keySerde = streamJoined?.keySerde ?? this.state.keySerde;
    const thisValueSerde = streamJoined?.valueSerde ?? this.state.valueSerde;
    const otherValueSerde = streamJoined?.otherValueSerde ?? other.state.valueSerde;
    const name = streamJoined?.name;
    const repartitioned = (side: KStreamImpl<K, unknown>, suffix: string, valueSerde: unknown): number => {
      if (!side.state.repartitionRequired) return side.state.nodeId;
      // As Kafka Streams' repartitionForJoin: `<name>-left|right-repartition`, else named after the side's node.
      const names = repartitionNames(builder, name === undefined ? side.state.name : `${name}${suffix}`);
      return builder.add(optimizableRepartition(names, side.state.nodeId, erase(keySerde), erase(valueSerde))).id;
    };
    const thisParent = repartitioned(this as KStreamImpl<K, unknown>, '-left', thisValueSerde);
    const otherParent = repartitioned(other, '-right', otherValueSerde);
    const isLeftOuter = variant !== 'inner';
    const isRightOuter = variant === 'outer';
    // A given name still burns the generated index, as Kafka Streams' NamedInternal does (names stay stable).
    const named = (suffix: string, prefix: string): string => {
      const generated = builder.newProcessorName(prefix);
      return name === undefined ? generated : `${name}${suffix}`;
    };
    const thisWindowedName = named('-this-windowed', 'KSTREAM-WINDOWED-');
    const otherWindowedName = named('-other-windowed', 'KSTREAM-WINDOWED-');
    const thisPrefix = isRightOuter ? 'KSTREAM-OUTERTHIS-' : 'KSTREAM-JOINTHIS-';
    const thisSuffix = isRightOuter ? '-outer-this-join' : '-this-join';
    const otherSuffix = isLeftOuter ? '-outer-other-join' : '-other-join';
    const thisGenerated = builder.newProcessorName(thisPrefix);
    const otherGenerated = builder.newProcessorName(isLeftOuter ? 'KSTREAM-OUTEROTHER-' : 'KSTREAM-JOINOTHER-');
    const mergeName = named('-merge', 'KSTREAM-MERGE-');
    const storeName = streamJoined?.storeName;
    const outerBase = storeName === undefined
      ? `KSTREAM-OUTERSHARED-${thisGenerated.slice(thisPrefix.length)}`
      : `${storeName}${isRightOuter ? '-outer-shared-join' : '-left-shared-join'}`;
    const node = builder.add({
      kind: 'stream-join',
      name: mergeName,
      parents: [thisParent, otherParent],
      variant,
      thisWindowedName,
      otherWindowedName,
      thisJoinName: name === undefined ? thisGenerated : `${name}${thisSuffix}`,
      otherJoinName: name === undefined ? otherGenerated : `${name}${otherSuffix}`,
      thisStoreName: `${storeName === undefined ? thisGenerated : storeName + thisSuffix}-store`,
      otherStoreName: `${storeName === undefined ? otherGenerated : storeName + otherSuffix}-store`,
      outerStoreName: isLeftOuter ? `${outerBase}-store` : null,
      windows,
      joiner,
      keySerde: erase(keySerde),
      thisValueSerde: erase(thisValueSerde),
      otherValueSerde: erase(otherValueSerde),
      isLoggingEnabled: streamJoined?.isLoggingEnabled ?? true,
      logConfig: streamJoined?.logConfig ?? {},
    });
    return new KStreamImpl<K, unknown>({ builder, nodeId: node.id, name: mergeName, keySerde, valueSerde: undefined, repartitionRequired: false });
  }

  #joinTable<VT, VR>(
    table: KTable<K, VT>,
    joiner: ValueJoiner<NonNullable<V>, VT | null, VR>,
    joined: Joined<K, NonNullable<V>, VT> | undefined,
    isLeft: boolean,
  ): KStream<K, VR> {
    requireFunction(joiner, 'joiner');
    const { builder } = this.state;
    if (!(table instanceof KTableImpl) || table.state.builder !== builder) {
      throw new StreamsError('TOPOLOGY_INVALID', 'join() needs a KTable made by the same StreamsBuilder');
    }
    const keySerde = joined?.keySerde ?? this.state.keySerde;
    const valueSerde = joined?.valueSerde ?? (this.state.valueSerde as Serde<NonNullable<V>> | undefined);
    let parent = this.state.nodeId;
    if (this.state.repartitionRequired) {
      // As Kafka Streams' repartitionForJoin: the topic is named after the join (Joined.as) or this stream's node.
      const names = repartitionNames(builder, joined?.name ?? this.state.name);
      parent = builder.add(optimizableRepartition(names, parent, erase(keySerde), erase(valueSerde))).id;
    }
    const name = joined?.name ?? builder.newProcessorName(isLeft ? 'KSTREAM-LEFTJOIN-' : 'KSTREAM-JOIN-');
    const node = builder.add({ kind: 'stream-table-join', name, parents: [parent], table: (table as KTableImpl<K, VT>).state.nodeId, joiner: erase(joiner), isLeft });
    return new KStreamImpl<K, VR>({ builder, nodeId: node.id, name, keySerde, valueSerde: undefined, repartitionRequired: false });
  }
}
