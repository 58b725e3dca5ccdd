/**
 * What the DSL handles (KStream, KTable, grouped streams) carry internally, and small helpers they share. Not part of
 * the package face.
 */
import { StreamsError } from '../src/errors.js';
import type { Serde } from '../src/serdes/serde.js';
import type { GraphBuilder } from './graph/graph-builder.js';
import type { NodeId } from './graph/graph-node.js';
import type { StoreSpec } from './graph/store-spec.js';
import type { Materialized } from './options/materialized.js';
import { Named } from './options/named.js';

/**
 * A handle's position in the graph: the builder, the node the next operation attaches to and its name, and the
 * serdes known for its keys and values (`undefined`: not known, the default applies).
 *
 * @example
 * ```ts
 * const state: HandleState<string, number> = { builder, nodeId: 0, name: 'KSTREAM-SOURCE-0000000000', keySerde: undefined, valueSerde: undefined };
 * ```
 */
export interface HandleState<K, V> {
  readonly builder: GraphBuilder;
  readonly nodeId: NodeId;
  readonly name: string;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
}

/**
 * Throws `StreamsError('INVALID_CONFIG')` unless `fn` is a function (a JavaScript caller may pass anything).
 *
 * @example
 * ```ts
 * requireFunction(predicate, 'predicate');
 * ```
 */
export function requireFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new StreamsError('INVALID_CONFIG', `${what} must be a function, got ${fn === null ? 'null' : typeof fn}`);
}

/**
 * Separates an optional leading {@link Named} from the rest of an overloaded argument list.
 *
 * @example
 * ```ts
 * const [named, stores] = splitNamed(['store-a']); // [undefined, ['store-a']]
 * ```
 */
export function splitNamed<T>(args: readonly (Named | T)[]): [Named | undefined, T[]] {
  const [first, ...rest] = args;
  if (first instanceof Named) return [first, rest as T[]];
  return [undefined, args as T[]];
}

/**
 * The {@link StoreSpec} of a store named `name` with these serdes, from a Materialized's settings (Kafka Streams'
 * defaults when there is none: logging and caching on).
 *
 * @example
 * ```ts
 * storeSpecOf(Materialized.as('counts'), 'counts', Serdes.String(), longSerde());
 * ```
 */
export function storeSpecOf(
  materialized: Materialized<unknown, unknown> | undefined,
  name: string,
  keySerde: Serde<unknown> | undefined,
  valueSerde: Serde<unknown> | undefined,
): StoreSpec {
  return Object.freeze({
    name,
    supplier: materialized?.storeSupplier,
    storeType: materialized?.storeType,
    keySerde,
    valueSerde,
    isLoggingEnabled: materialized?.isLoggingEnabled ?? true,
    logConfig: materialized?.logConfig ?? {},
    isCachingEnabled: materialized?.isCachingEnabled ?? true,
  });
}

/**
 * Erases a handle's type parameters for storing in the graph (the typed handle guarantees what flows).
 *
 * @example
 * ```ts
 * builder.add({ kind: 'filter', predicate: erase(predicate), ... });
 * ```
 */
export function erase<T>(value: T): never {
  return value as never;
}
