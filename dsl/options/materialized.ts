/**
 * `Materialized`: how the store behind a KTable or an aggregation is built: its name (which makes it queryable and
 * names its changelog), serdes, engine, caching and logging.
 */
import { StreamsError } from '../../src/errors.js';
import type { Serde } from '../../src/serdes/serde.js';
import type { KeyValueBytesStoreSupplier } from '../../src/state/key-value-store.js';
import type { ChangelogConfig } from '../../src/state/store-builder.js';
import { validateName } from './named.js';

/**
 * The engines a DSL store can use: an ordered in-memory B+tree (rebuilt from the changelog after a restart) or SQLite
 * (keeps its data on disk across restarts). The default for stores without one is the build config's `dslStoreType`.
 *
 * @example
 * ```ts
 * const type: DslStoreType = 'sqlite';
 * ```
 */
export type DslStoreType = 'in-memory' | 'sqlite';

interface MaterializedSettings<K, V> {
  readonly storeName: string | undefined;
  readonly storeSupplier: KeyValueBytesStoreSupplier | undefined;
  readonly storeType: DslStoreType | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly isLoggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;
  readonly isCachingEnabled: boolean;
  readonly retentionMs: number | undefined;
}

const NO_CONFIG: ChangelogConfig = Object.freeze({});

const DEFAULTS: MaterializedSettings<never, never> = {
  storeName: undefined,
  storeSupplier: undefined,
  storeType: undefined,
  keySerde: undefined,
  valueSerde: undefined,
  isLoggingEnabled: true,
  logConfig: NO_CONFIG,
  isCachingEnabled: true,
  retentionMs: undefined,
};

/**
 * Options of a DSL state store (Kafka Streams' `Materialized`). With a name (`Materialized.as`), the store is
 * queryable under that name and its changelog is `<applicationId>-<name>-changelog`; without one the DSL generates a
 * name (`KSTREAM-AGGREGATE-STATE-STORE-0000000003`), and filters and `mapValues` on tables are not materialized at all.
 * Defaults as in Kafka Streams: logging (changelog) enabled, caching enabled (updates of a key between commits are
 * forwarded once, at the commit). Unset serdes fall back to the serdes the DSL knows, then the application's
 * defaults.
 *
 * Immutable: every `with...` returns a new object.
 *
 * @example
 * ```ts
 * words.groupBy((_k, w) => w).count(Materialized.as('counts').withStoreType('sqlite').withCachingDisabled());
 * ```
 */
export class Materialized<K, V> implements MaterializedSettings<K, V> {
  readonly storeName: string | undefined;
  readonly storeSupplier: KeyValueBytesStoreSupplier | undefined;
  readonly storeType: DslStoreType | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly isLoggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;
  readonly isCachingEnabled: boolean;
  /** How long a windowed store keeps windows (`withRetention`); `undefined`: the windows' default. */
  readonly retentionMs: number | undefined;

  private constructor(settings: MaterializedSettings<K, V>) {
    this.storeName = settings.storeName;
    this.storeSupplier = settings.storeSupplier;
    this.storeType = settings.storeType;
    this.keySerde = settings.keySerde;
    this.valueSerde = settings.valueSerde;
    this.isLoggingEnabled = settings.isLoggingEnabled;
    this.logConfig = settings.logConfig;
    this.isCachingEnabled = settings.isCachingEnabled;
    this.retentionMs = settings.retentionMs;
    Object.freeze(this);
  }

  /**
   * A store named `name` (queryable, changelog `<applicationId>-<name>-changelog`), or one whose engine comes from
   * `supplier` (named after it). Without type arguments it fits any table (its key and value types come from where it
   * is used, or from `withKeySerde`/`withValueSerde`).
   *
   * @example
   * ```ts
   * Materialized.as('counts');
   * Materialized.as(Stores.persistentKeyValueStore('counts'));
   * Materialized.as<string, number>('totals');
   * ```
   */
  static as(nameOrSupplier: string | KeyValueBytesStoreSupplier): Materialized<never, never>;
  static as<K, V>(nameOrSupplier: string | KeyValueBytesStoreSupplier): Materialized<K, V>;
  static as<K, V>(nameOrSupplier: string | KeyValueBytesStoreSupplier): Materialized<K, V> {
    if (typeof nameOrSupplier === 'string') return new Materialized<K, V>({ ...DEFAULTS, storeName: validateName(nameOrSupplier) });
    if (nameOrSupplier === null || typeof nameOrSupplier !== 'object' || typeof nameOrSupplier.get !== 'function') {
      throw new StreamsError('INVALID_CONFIG', 'Materialized.as needs a store name or a KeyValueBytesStoreSupplier');
    }
    return new Materialized<K, V>({ ...DEFAULTS, storeName: validateName(nameOrSupplier.name), storeSupplier: nameOrSupplier });
  }

  /**
   * An unnamed store with these serdes (the name is generated; not queryable).
   *
   * @example
   * ```ts
   * grouped.count(Materialized.with(Serdes.String(), longSerde()));
   * ```
   */
  static with<K = never, V = never>(keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): Materialized<K, V> {
    return new Materialized<K, V>({ ...DEFAULTS, keySerde, valueSerde });
  }

  /** A copy with this key serde (and key type). @example `Materialized.as('counts').withKeySerde(Serdes.String())` */
  withKeySerde<NK>(keySerde: Serde<NK>): Materialized<NK, V> {
    return new Materialized<NK, V>({ ...this.#settings(), keySerde } as MaterializedSettings<NK, V>);
  }

  /** A copy with this value serde (and value type). @example `Materialized.as('sums').withValueSerde(Serdes.Number())` */
  withValueSerde<NV>(valueSerde: Serde<NV>): Materialized<K, NV> {
    return new Materialized<K, NV>({ ...this.#settings(), valueSerde } as MaterializedSettings<K, NV>);
  }

  /**
   * A copy whose store keeps no changelog: its content is lost with the store (in-memory) or its files.
   *
   * @example
   * ```ts
   * Materialized.as('scratch').withLoggingDisabled();
   * ```
   */
  withLoggingDisabled(): Materialized<K, V> {
    return new Materialized<K, V>({ ...this.#settings(), isLoggingEnabled: false, logConfig: NO_CONFIG });
  }

  /**
   * A copy whose store logs to its changelog, created with these extra topic configs.
   *
   * @example
   * ```ts
   * Materialized.as('counts').withLoggingEnabled({ 'segment.bytes': '1048576' });
   * ```
   */
  withLoggingEnabled(config: ChangelogConfig = NO_CONFIG): Materialized<K, V> {
    return new Materialized<K, V>({ ...this.#settings(), isLoggingEnabled: true, logConfig: Object.freeze({ ...config }) });
  }

  /**
   * A copy whose store forwards every update at once (no write cache).
   *
   * @example
   * ```ts
   * Materialized.as('counts').withCachingDisabled();
   * ```
   */
  withCachingDisabled(): Materialized<K, V> {
    return new Materialized<K, V>({ ...this.#settings(), isCachingEnabled: false });
  }

  /** A copy whose store keeps a write cache (the default). @example `materialized.withCachingEnabled()` */
  withCachingEnabled(): Materialized<K, V> {
    return new Materialized<K, V>({ ...this.#settings(), isCachingEnabled: true });
  }

  /**
   * A copy whose store uses this engine (ignored when a supplier was given to `as`).
   *
   * @example
   * ```ts
   * Materialized.as('counts').withStoreType('sqlite');
   * ```
   */
  withStoreType(storeType: DslStoreType): Materialized<K, V> {
    if (storeType !== 'in-memory' && storeType !== 'sqlite') {
      throw new StreamsError('INVALID_CONFIG', `store type must be 'in-memory' or 'sqlite', got ${JSON.stringify(storeType)}`);
    }
    return new Materialized<K, V>({ ...this.#settings(), storeType });
  }

  /**
   * A copy whose windowed store keeps windows for `retentionMs` (a safe integer >= 0) measured back from stream time,
   * so interactive queries can read closed windows for longer. Only windowed aggregations use it; it must be at least
   * the window size (time windows: `size + grace`; sliding: `2 * timeDifference + grace`; sessions: `gap + grace`),
   * else the aggregation throws `StreamsError('TOPOLOGY_INVALID')`. Default: exactly that minimum (Kafka Streams 3.0+).
   *
   * @example
   * ```ts
   * grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count(Materialized.as('counts').withRetention(86_400_000));
   * ```
   */
  withRetention(retentionMs: number): Materialized<K, V> {
    if (!Number.isSafeInteger(retentionMs) || retentionMs < 0) {
      throw new StreamsError('INVALID_CONFIG', `retention must be a non-negative safe integer of ms, got ${String(retentionMs)}`);
    }
    return new Materialized<K, V>({ ...this.#settings(), retentionMs });
  }

  #settings(): MaterializedSettings<K, V> {
    return this;
  }
}
