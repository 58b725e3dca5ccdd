/**
 * The seam between a Topology and store construction: a {@link StoreBuilder} names a store, says which layers wrap
 * its engine, and builds one fresh store per task.
 */
import type { StateStore } from './state-store.js';

/**
 * Topic configs for a store's changelog topic (Kafka topic config names, e.g. `{ 'min.compaction.lag.ms': '0' }`),
 * applied on top of the defaults the runtime uses for changelogs (`cleanup.policy=compact`).
 *
 * @example
 * ```ts
 * const config: ChangelogConfig = { 'segment.bytes': '1048576' };
 * ```
 */
export type ChangelogConfig = Readonly<Record<string, string>>;

/**
 * Builds a named state store with optional caching and changelog logging; a Topology holds one builder per store
 * and calls `build()` once per task.
 *
 * Builders are immutable: every `with...` call returns a new builder and leaves the receiver unchanged, so chain the
 * calls (`b = b.withLoggingDisabled()`). Defaults, as in Kafka Streams: logging enabled with an empty config,
 * caching disabled. `build()` returns a new, un-initialised store each time (the runtime calls `init`).
 *
 * @example
 * ```ts
 * const builder = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore('counts'), Serdes.String(), Serdes.BigInt())
 *   .withCachingEnabled()
 *   .withLoggingEnabled({ 'min.insync.replicas': '1' });
 * builder.name;           // 'counts'
 * builder.loggingEnabled; // true
 * const store = builder.build(); // a KeyValueStore<string, bigint>: Metered -> Caching -> ChangeLogging -> SQLite
 * ```
 */
export interface StoreBuilder<S extends StateStore> {
  /** The name of the stores this builder builds (and of their changelog topic's middle part). */
  readonly name: string;
  /** True when built stores write every change to `<applicationId>-<name>-changelog`. */
  readonly loggingEnabled: boolean;
  /** The changelog topic configs given to `withLoggingEnabled` (empty when logging is disabled). */
  readonly logConfig: ChangelogConfig;
  /** True when built stores keep a write cache that dedupes updates between commits. */
  readonly cachingEnabled: boolean;
  /** A builder whose stores keep a write cache (bounded by the context's `cacheMaxBytes`). */
  withCachingEnabled(): StoreBuilder<S>;
  /** A builder whose stores write through to the engine on every call. */
  withCachingDisabled(): StoreBuilder<S>;
  /** A builder whose stores log every change to their changelog topic, created with these extra topic configs. */
  withLoggingEnabled(config?: ChangelogConfig): StoreBuilder<S>;
  /** A builder whose stores keep no changelog (their state is lost with their files). */
  withLoggingDisabled(): StoreBuilder<S>;
  /** Builds a new, un-initialised store. */
  build(): S;
}
