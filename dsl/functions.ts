/**
 * The function types the DSL takes, as type aliases of Kafka Streams' functional interfaces (`Predicate`,
 * `ValueMapper`, `KeyValueMapper`, `Aggregator`, ...). Argument order follows Kafka Streams (key first), except for
 * the value mappers, which take the value first and the key as an optional second argument.
 */
/**
 * Tests a record: `true` keeps it (filter), routes it to a branch (split), ... Must not throw for ordinary records
 * (a throw goes to the processing exception handler).
 *
 * @example
 * ```ts
 * const isLarge: Predicate<string, number> = (_key, amount) => amount > 1_000;
 * stream.filter(isLarge);
 * ```
 */
export type Predicate<K, V> = (key: K, value: V) => boolean;

/**
 * Computes a new value from a value (and, if it wants it, the key as second argument). Never changes the key, so it
 * never causes a repartition (Kafka's `ValueMapper` and `ValueMapperWithKey` in one type).
 *
 * @example
 * ```ts
 * const length: ValueMapper<string, string, number> = (value) => value.length;
 * const tagged: ValueMapper<string, string, string> = (value, key) => `${key}:${value}`;
 * ```
 */
export type ValueMapper<K, V, VR> = (value: V, key: K) => VR;

/**
 * Computes something from a key and a value: a new key (`selectKey`, `groupBy`), a new key-value pair (`map`), a list
 * of pairs (`flatMap`), or a line to print.
 *
 * @example
 * ```ts
 * const byRegion: KeyValueMapper<string, Order, string> = (_id, order) => order.region;
 * ```
 */
export type KeyValueMapper<K, V, R> = (key: K, value: V) => R;

/**
 * A side effect per record (`peek`, `foreach`); its result is ignored.
 *
 * @example
 * ```ts
 * stream.foreach((key, value) => metrics.observe(key, value));
 * ```
 */
export type ForeachAction<K, V> = (key: K, value: V) => void;

/**
 * Makes the initial aggregate of a new key (before its first value is added). Called once per key that has no
 * aggregate yet, so it must return a fresh value each time when the aggregate is mutable.
 *
 * @example
 * ```ts
 * const zero: Initializer<number> = () => 0;
 * ```
 */
export type Initializer<VA> = () => VA;

/**
 * Folds a value into the aggregate of its key and returns the new aggregate (`aggregate`'s adder, and a table
 * aggregate's subtractor, which removes a value that was added before).
 *
 * @example
 * ```ts
 * const sum: Aggregator<string, number, number> = (_key, value, total) => total + value;
 * ```
 */
export type Aggregator<K, V, VA> = (key: K, value: V, aggregate: VA) => VA;

/**
 * Combines the current aggregate of a key with a value of the same type (`reduce`'s adder and subtractor). The first
 * value of a key becomes its aggregate without a call.
 *
 * @example
 * ```ts
 * const max: Reducer<number> = (aggregate, value) => Math.max(aggregate, value);
 * ```
 */
export type Reducer<V> = (aggregate: V, value: V) => V;


/**
 * Merges the aggregates of two sessions of a key that a new record bridges (`SessionWindowedKStream.aggregate`).
 *
 * @example
 * ```ts
 * const add: Merger<string, number> = (_key, a, b) => a + b;
 * ```
 */
export type Merger<K, VA> = (key: K, aggregate1: VA, aggregate2: VA) => VA;

/**
 * Combines the values of two joined records into the join result (`join`, `leftJoin`, `outerJoin`). In a left join
 * the right value is `null` when there is no match; in an outer join either side may be `null`, never both.
 *
 * @example
 * ```ts
 * const enrich: ValueJoiner<Order, Customer | null, string> = (order, customer) => `${order.id}:${customer?.name ?? '?'}`;
 * ```
 */
export type ValueJoiner<V1, V2, VR> = (value1: V1, value2: V2) => VR;
