/**
 * The configuration `StreamsBuilder.build()` takes: what Kafka Streams reads from `StreamsConfig` when it builds a
 * topology (application id, optimizations, default serdes, the default store engine).
 */
import { StreamsError } from '../src/errors.js';
import type { Serde } from '../src/serdes/serde.js';
import type { DslStoreType } from './options/materialized.js';

/**
 * The optimizations `build()` can apply (Kafka Streams' `topology.optimization` values):
 * `reuse.ktable.source.topics` (a source KTable's store uses its input topic as changelog) and
 * `merge.repartition.topics` (one repartition topic per key-changing operation).
 *
 * @example
 * ```ts
 * const optimizations: Optimization[] = ['merge.repartition.topics'];
 * ```
 */
export type Optimization = 'reuse.ktable.source.topics' | 'merge.repartition.topics';

/**
 * Options of `StreamsBuilder.build()`.
 *
 * - `applicationId`: names the internal topics (`<applicationId>-<name>-repartition`); `describe()` still prints them
 *   without it, as Kafka Streams does. Without it the topics keep their bare names until the runtime names them.
 * - `optimization`: `'all'`, `'none'` (the default) or a list of {@link Optimization}s.
 * - `defaultKeySerde` / `defaultValueSerde`: serdes for every source, sink, repartition and store no operation gave
 *   one; without them, such serdes come from the running application's `StreamsConfig` defaults.
 * - `dslStoreType`: the engine of DSL stores whose `Materialized` names none (default `'in-memory'`).
 *
 * @example
 * ```ts
 * const topology = builder.build({ applicationId: 'word-count', optimization: 'all', defaultValueSerde: Serdes.String() });
 * ```
 */
export interface TopologyConfig {
  readonly applicationId?: string;
  readonly optimization?: 'all' | 'none' | readonly Optimization[];
  readonly defaultKeySerde?: Serde<unknown>;
  readonly defaultValueSerde?: Serde<unknown>;
  readonly dslStoreType?: DslStoreType;
}

/**
 * A validated {@link TopologyConfig} with defaults applied.
 *
 * @example
 * ```ts
 * resolveTopologyConfig({ optimization: 'all' }).optimizations.has('merge.repartition.topics'); // true
 * ```
 */
export interface ResolvedTopologyConfig {
  readonly applicationId: string | null;
  readonly optimizations: ReadonlySet<Optimization>;
  readonly defaultKeySerde: Serde<unknown> | undefined;
  readonly defaultValueSerde: Serde<unknown> | undefined;
  readonly dslStoreType: DslStoreType;
}

const APP_ID = /^[a-zA-Z0-9._-]{1,200}$/;
const ALL: readonly Optimization[] = ['reuse.ktable.source.topics', 'merge.repartition.topics'];

/**
 * Checks a build config (`StreamsError('INVALID_CONFIG')` naming the bad key) and fills in defaults.
 *
 * @example
 * ```ts
 * resolveTopologyConfig({}).dslStoreType; // 'in-memory'
 * ```
 */
export function resolveTopologyConfig(config: TopologyConfig = {}): ResolvedTopologyConfig {
  const { applicationId, optimization = 'none', dslStoreType = 'in-memory' } = config;
  if (applicationId !== undefined && (typeof applicationId !== 'string' || !APP_ID.test(applicationId))) {
    throw new StreamsError('INVALID_CONFIG', `applicationId must be 1..200 characters of [a-zA-Z0-9._-], got ${JSON.stringify(applicationId)}`);
  }
  let optimizations: readonly Optimization[];
  if (optimization === 'all') optimizations = ALL;
  else if (optimization === 'none') optimizations = [];
  else if (Array.isArray(optimization) && optimization.every((o) => ALL.includes(o))) optimizations = optimization;
  else throw new StreamsError('INVALID_CONFIG', `optimization must be 'all', 'none' or a list of ${ALL.join(', ')}; got ${JSON.stringify(optimization)}`);
  if (dslStoreType !== 'in-memory' && dslStoreType !== 'sqlite') {
    throw new StreamsError('INVALID_CONFIG', `dslStoreType must be 'in-memory' or 'sqlite', got ${JSON.stringify(dslStoreType)}`);
  }
  return Object.freeze({
    applicationId: applicationId ?? null,
    optimizations: new Set(optimizations),
    defaultKeySerde: config.defaultKeySerde,
    defaultValueSerde: config.defaultValueSerde,
    dslStoreType,
  });
}
