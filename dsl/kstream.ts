/**
 * `KStream`: an unbounded stream of records, each an independent event (Kafka Streams' `KStream`).
 */
import type { FixedKeyProcessorSupplier, ProcessorSupplier } from '../src/processor/processor.js';
import type { TopicNameExtractor } from '../src/processor/topic-name-extractor.js';
import type { KeyValue } from '../src/state/key-value-store.js';
import type { ForeachAction, KeyValueMapper, Predicate, ValueJoiner, ValueMapper } from './functions.js';
import type { KGroupedStream } from './kgrouped-stream.js';
import type { KTable } from './ktable.js';
import type { Branched } from './options/branched.js';
import type { Grouped } from './options/grouped.js';
import type { GlobalKTable } from './global-ktable.js';
import type { Joined } from './options/joined.js';
import type { Materialized } from './options/materialized.js';
import type { Named } from './options/named.js';
import type { Printed } from './options/printed.js';
import type { Produced } from './options/produced.js';
import type { Repartitioned } from './options/repartitioned.js';
import type { StreamJoined } from './options/stream-joined.js';
import type { JoinWindows } from './windows/join-windows.js';

/**
 * A stream of key-value records (Kafka Streams' `KStream`): each record is an independent fact, unlike a
 * {@link KTable}'s updates. Made by `StreamsBuilder.stream()` and by operations on other streams and tables; every
 * operation returns a new KStream (or table) and leaves the receiver usable, so one stream can feed several branches.
 *
 * Repartitioning: operations that may change the key (`map`, `flatMap`, `selectKey`, `groupBy`, `process`) mark the
 * result; the next stateful operation (an aggregation, `toTable`) then first writes the records through an internal
 * topic `<applicationId>-<name>-repartition`, so records with equal keys meet in one task. `mapValues`,
 * `flatMapValues` and `processValues` keep the key and never repartition.
 *
 * Names: every operation takes a {@link Named} (or the options object's name); otherwise nodes get Kafka Streams'
 * generated names in the same order (`KSTREAM-FILTER-0000000003`), so `describe()` matches Kafka Streams'.
 *
 * @example
 * ```ts
 * builder.stream<string, string>('text-lines')
 *   .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
 *   .groupBy((_key, word) => word)
 *   .count(Materialized.as('counts'))
 *   .toStream()
 *   .to('word-counts');
 * ```
 */
export interface KStream<K, V> {
  /**
   * The records for which `predicate(key, value)` is true. A type-guard predicate narrows the value type.
   *
   * @example
   * ```ts
   * stream.filter((_k, v) => v.length > 0);
   * ```
   */
  filter<VS extends V>(predicate: (key: K, value: V) => value is VS, named?: Named): KStream<K, VS>;
  filter(predicate: Predicate<K, V>, named?: Named): KStream<K, V>;

  /**
   * The records for which `predicate(key, value)` is false.
   *
   * @example
   * ```ts
   * stream.filterNot((_k, v) => v === '');
   * ```
   */
  filterNot(predicate: Predicate<K, V>, named?: Named): KStream<K, V>;

  /**
   * Each record with the key `mapper(key, value)`; marks the stream for repartitioning.
   *
   * @example
   * ```ts
   * orders.selectKey((_id, order) => order.customerId);
   * ```
   */
  selectKey<KR>(mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V>;

  /**
   * Each record replaced by the pair `mapper(key, value)` returns; marks the stream for repartitioning.
   *
   * @example
   * ```ts
   * stream.map((k, v) => ({ key: v, value: k }));
   * ```
   */
  map<KR, VR>(mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>, named?: Named): KStream<KR, VR>;

  /**
   * Each record with the value `mapper(value, key)` (the key argument is optional); never repartitions.
   *
   * @example
   * ```ts
   * stream.mapValues((v) => v.toUpperCase());
   * stream.mapValues((v, k) => `${k}:${v}`);
   * ```
   */
  mapValues<VR>(mapper: ValueMapper<K, V, VR>, named?: Named): KStream<K, VR>;

  /**
   * Zero or more records per record: one per pair of the iterable `mapper(key, value)` returns; marks the stream for
   * repartitioning.
   *
   * @example
   * ```ts
   * lines.flatMap((_k, line) => line.split(' ').map((w) => ({ key: w, value: 1 })));
   * ```
   */
  flatMap<KR, VR>(mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>, named?: Named): KStream<KR, VR>;

  /**
   * Zero or more records per record, same key: one per value of the iterable `mapper(value, key)` returns; never
   * repartitions.
   *
   * @example
   * ```ts
   * lines.flatMapValues((line) => line.split(' '));
   * ```
   */
  flatMapValues<VR>(mapper: ValueMapper<K, V, Iterable<VR>>, named?: Named): KStream<K, VR>;

  /**
   * The same stream, calling `action(key, value)` for each record on its way (for logging or metrics).
   *
   * @example
   * ```ts
   * stream.peek((k, v) => logger.debug({ k, v }, 'record'));
   * ```
   */
  peek(action: ForeachAction<K, V>, named?: Named): KStream<K, V>;

  /**
   * Calls `action(key, value)` for each record; terminal (nothing is forwarded).
   *
   * @example
   * ```ts
   * stream.foreach((k, v) => sideEffects.push([k, v]));
   * ```
   */
  foreach(action: ForeachAction<K, V>, named?: Named): void;

  /**
   * Prints each record as `[label]: key, value` where `printed` says (standard output, a file, a function); terminal.
   *
   * @example
   * ```ts
   * stream.print(Printed.toSysOut<string, number>().withLabel('counts'));
   * ```
   */
  print(printed: Printed<K, V>): void;

  /**
   * Splits the stream into branches by predicates; each record goes to the first branch whose predicate accepts it
   * (or the default branch). Branch names are `<split name><branch name or position>`.
   *
   * @example
   * ```ts
   * const branches = stream.split(Named.as('kind-'))
   *   .branch((_k, v) => v.startsWith('A'), Branched.as('a'))
   *   .defaultBranch(Branched.as('other'));
   * branches.get('kind-a');
   * ```
   */
  split(named?: Named): BranchedKStream<K, V>;

  /**
   * The records of this stream and `stream`, interleaved as they arrive.
   *
   * @example
   * ```ts
   * clicksEu.merge(clicksUs);
   * ```
   */
  merge(stream: KStream<K, V>, named?: Named): KStream<K, V>;

  /**
   * The same records, written through an internal topic `<applicationId>-<name>-repartition` and read back, so they
   * are partitioned by their current key (always repartitions; never merged by the optimizer).
   *
   * @example
   * ```ts
   * stream.selectKey((_k, v) => v.userId).repartition(Repartitioned.as('by-user').withNumberOfPartitions(8));
   * ```
   */
  repartition(repartitioned?: Repartitioned<K, NonNullable<V>>): KStream<K, V>;

  /**
   * Writes each record to `topic` (or to the topic a {@link TopicNameExtractor} picks per record); terminal. Null
   * values are written as tombstones, so the serdes are those of the non-null values.
   *
   * @example
   * ```ts
   * stream.to('output', Produced.with(Serdes.String(), Serdes.Json()));
   * stream.to((_k, v) => `events-${v.type}`);
   * ```
   */
  to(topic: string | TopicNameExtractor<K, V>, produced?: Produced<K, NonNullable<V>>): void;

  /**
   * A table of the latest value per key (a null value deletes the key, so the table's values are never null);
   * repartitions first if the key changed.
   *
   * @example
   * ```ts
   * const latest = updates.toTable(Materialized.as('latest-by-user'));
   * ```
   */
  toTable(materialized?: Materialized<K, NonNullable<V>>): KTable<K, NonNullable<V>>;
  toTable(named: Named, materialized?: Materialized<K, NonNullable<V>>): KTable<K, NonNullable<V>>;

  /**
   * Groups the records by their key for an aggregation (repartitions first if the key changed). Aggregations drop
   * records with a null key or value, so the grouped values are never null.
   *
   * @example
   * ```ts
   * stream.groupByKey(Grouped.with(Serdes.String(), Serdes.Number())).count();
   * ```
   */
  groupByKey(grouped?: Grouped<K, NonNullable<V>>): KGroupedStream<K, NonNullable<V>>;

  /**
   * Groups the records by the key `selector(key, value)` for an aggregation (always repartitions before it).
   *
   * @example
   * ```ts
   * words.groupBy((_k, word) => word).count();
   * ```
   */
  groupBy<KR>(selector: KeyValueMapper<K, V, KR>, grouped?: Grouped<KR, NonNullable<V>>): KGroupedStream<KR, NonNullable<V>>;

  /**
   * Runs a Processor API processor on each record, with access to the named stores (added with
   * `builder.addStateStore`); it may forward any records. Marks the stream for repartitioning.
   *
   * @example
   * ```ts
   * stream.process(() => new Deduplicate('seen'), 'seen');
   * ```
   */
  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, ...storeNames: string[]): KStream<KOut, VOut>;
  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, named: Named, ...storeNames: string[]): KStream<KOut, VOut>;

  /**
   * Runs a fixed-key processor on each record (it can change values, not keys), with access to the named stores;
   * never repartitions.
   *
   * @example
   * ```ts
   * stream.processValues(() => new Enrich('profiles'), 'profiles');
   * ```
   */
  processValues<VOut>(supplier: FixedKeyProcessorSupplier<K, V, VOut>, ...storeNames: string[]): KStream<K, VOut>;
  processValues<VOut>(supplier: FixedKeyProcessorSupplier<K, V, VOut>, named: Named, ...storeNames: string[]): KStream<K, VOut>;

  /**
   * Joins each record with the row `table` holds for its key when the record is processed (an inner stream-table
   * join): forwards `joiner(value, row)` with the record's key and timestamp. Only stream records trigger output;
   * table updates never do (a record processed before its row arrives finds nothing). Records with a null key or
   * value, or no row for their key, produce nothing. If this stream's key may have changed, it is first repartitioned
   * through `<name>-repartition` (`Joined.as(name)` names it); the table's source topic and the stream's topic must
   * have the same number of partitions (checked when the application starts). The table is materialized if it was not.
   *
   * @example
   * ```ts
   * orders.join(customers, (order, customer) => ({ ...order, customer }), Joined.with(Serdes.String(), orderSerde, customerSerde));
   * // Processor: KSTREAM-JOIN-0000000004 (stores: [customers-STATE-STORE-0000000001])
   * ```
   */
  join<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<NonNullable<V>, VT, VR>, joined?: Joined<K, NonNullable<V>, VT>): KStream<K, VR>;

  /**
   * As {@link KStream.join} with a table, but a record without a row for its key (or with a null key, as in Kafka
   * Streams 3.7+) is joined with `null`: every record with a non-null value produces exactly one result.
   *
   * @example
   * ```ts
   * clicks.leftJoin(users, (click, user) => ({ ...click, region: user?.region ?? 'unknown' }));
   * ```
   */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<NonNullable<V>, VT | null, VR>, joined?: Joined<K, NonNullable<V>, VT>): KStream<K, VR>;

  /**
   * Joins each record with the row of `globalTable` whose key `keySelector(key, value)` computes, as the table is when
   * the record is processed (an inner stream-globaltable join): forwards `joiner(value, row)` with this record's key
   * and timestamp. Needs no co-partitioning and never repartitions (the table is complete on every instance); the
   * stream's key may even be null. Records with a null value, a null lookup key or no row produce nothing; table
   * updates never emit.
   *
   * @example
   * ```ts
   * orders.join(products, (_id, order) => order.sku, (order, product) => ({ ...order, price: product.price }));
   * // Processor: KSTREAM-JOIN-0000000005 (stores: [])
   * ```
   */
  join<GK, GV, VR>(
    globalTable: GlobalKTable<GK, GV>,
    keySelector: KeyValueMapper<K, NonNullable<V>, GK | null>,
    joiner: ValueJoiner<NonNullable<V>, GV, VR>,
    named?: Named,
  ): KStream<K, VR>;

  /**
   * As {@link KStream.join} with a global table, but a record whose lookup key is null or has no row is joined with
   * `null` (Kafka Streams 3.7+, KIP-962): every record with a non-null value produces exactly one result.
   *
   * @example
   * ```ts
   * orders.leftJoin(products, (_id, order) => order.sku, (order, product) => ({ ...order, price: product?.price ?? null }));
   * ```
   */
  leftJoin<GK, GV, VR>(
    globalTable: GlobalKTable<GK, GV>,
    keySelector: KeyValueMapper<K, NonNullable<V>, GK | null>,
    joiner: ValueJoiner<NonNullable<V>, GV | null, VR>,
    named?: Named,
  ): KStream<K, VR>;

  /**
   * Joins this stream with `otherStream` over a sliding time window (an inner windowed stream-stream join): a record
   * of this stream at `t` pairs with every record of the other with the same key and a timestamp in
   * `[t - windows.beforeMs, t + windows.afterMs]` (and symmetrically), whichever arrives first; each pair is forwarded
   * once as `joiner(thisValue, otherValue)` with timestamp `max(t, otherT)`. Records with a null key or value never
   * join; records later than the window plus `windows.graceMs` behind stream time are dropped. Each side keeps its
   * records in a window store (`KSTREAM-JOINTHIS-<n>-store`, `KSTREAM-JOINOTHER-<n>-store`, or named from
   * `StreamJoined.withStoreName`), logged to a changelog. A side whose key may have changed is first repartitioned
   * (`<name>-left-repartition` / `<name>-right-repartition` with `StreamJoined.withName`); both input topics must
   * have the same number of partitions (checked when the application starts).
   *
   * @example
   * ```ts
   * payments.join(orders, (p, o) => ({ ...p, order: o }), JoinWindows.ofTimeDifferenceWithNoGrace(600_000));
   * // KSTREAM-WINDOWED-0000000002 -> KSTREAM-JOINTHIS-0000000004 -> KSTREAM-MERGE-0000000006
   * ```
   */
  join<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<NonNullable<V>, NonNullable<VO>, VR>,
    windows: JoinWindows,
    streamJoined?: StreamJoined<K, NonNullable<V>, NonNullable<VO>>,
  ): KStream<K, VR>;

  /**
   * As the windowed {@link KStream.join}, but a record of this stream that finds no partner in its window is
   * forwarded once as `joiner(value, null)`, only after its window closed (stream time > `t + afterMs + graceMs`), and
   * never if a partner arrives first: such records wait in a shared store (`KSTREAM-OUTERSHARED-<n>-store`). A
   * keyless record of this stream is forwarded as `joiner(value, null)` at once (KIP-962).
   *
   * @example
   * ```ts
   * clicks.leftJoin(views, (c, v) => ({ click: c, view: v }), JoinWindows.ofTimeDifferenceAndGrace(60_000, 5_000));
   * ```
   */
  leftJoin<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<NonNullable<V>, NonNullable<VO> | null, VR>,
    windows: JoinWindows,
    streamJoined?: StreamJoined<K, NonNullable<V>, NonNullable<VO>>,
  ): KStream<K, VR>;

  /**
   * As the windowed {@link KStream.leftJoin}, for both sides: a record of either stream without a partner is
   * forwarded once, after its window closed, as `joiner(value, null)` (this side) or `joiner(null, value)` (other
   * side); an other-side record's window closes when stream time passes `t + beforeMs + graceMs`.
   *
   * @example
   * ```ts
   * a.outerJoin(b, (x, y) => `${x ?? '-'}/${y ?? '-'}`, JoinWindows.ofTimeDifferenceWithNoGrace(1_000));
   * ```
   */
  outerJoin<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<NonNullable<V> | null, NonNullable<VO> | null, VR>,
    windows: JoinWindows,
    streamJoined?: StreamJoined<K, NonNullable<V>, NonNullable<VO>>,
  ): KStream<K, VR>;
}

/**
 * The branches of `KStream.split()` being defined (Kafka Streams' `BranchedKStream`): add branches in order, then
 * finish with `defaultBranch()` or `noDefaultBranch()` to get the map of branch streams.
 *
 * @example
 * ```ts
 * const byRange = numbers.split()
 *   .branch((_k, n) => n < 0)
 *   .branch((_k, n) => n === 0)
 *   .defaultBranch(); // keys: 'KSTREAM-BRANCH-00000000011', '...2', '...0'
 * ```
 */
export interface BranchedKStream<K, V> {
  /**
   * Adds a branch for the records `predicate` accepts (and no earlier branch took).
   *
   * @example
   * ```ts
   * split.branch((_k, v) => v > 100, Branched.as('large'));
   * ```
   */
  branch(predicate: Predicate<K, V>, branched?: Branched<K, V>): BranchedKStream<K, V>;

  /**
   * Adds the branch for records no predicate accepted, and returns every branch by name.
   *
   * @example
   * ```ts
   * const branches = split.defaultBranch(Branched.as('rest'));
   * ```
   */
  defaultBranch(branched?: Branched<K, V>): Map<string, KStream<K, V>>;

  /**
   * Returns every branch by name; records no predicate accepted are dropped.
   *
   * @example
   * ```ts
   * const branches = split.noDefaultBranch();
   * ```
   */
  noDefaultBranch(): Map<string, KStream<K, V>>;
}
