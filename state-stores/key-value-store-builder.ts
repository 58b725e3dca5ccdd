/**
 * The store builder behind `Stores.keyValueStoreBuilder` and `Stores.timestampedKeyValueStoreBuilder`: it stacks
 * Metered -> Caching -> ChangeLogging -> engine as configured.
 */
import { markTimestamped } from '../src/state/key-value-store.js';
import type { Serde } from '../src/serdes/serde.js';
import type { BytesKeyValueStore, KeyValueBytesStoreSupplier, KeyValueStore } from '../src/state/key-value-store.js';
import type { ChangelogConfig, StoreBuilder } from '../src/state/store-builder.js';
import { StreamsError } from '../src/errors.js';
import { CachingKeyValueStore } from './caching-key-value-store.js';
import { ChangeLoggingKeyValueStore } from './change-logging-key-value-store.js';
import { MeteredKeyValueStore } from './metered-key-value-store.js';

const NO_CONFIG: ChangelogConfig = Object.freeze({});

interface BuilderSettings<K, V> {
  readonly supplier: KeyValueBytesStoreSupplier;
  readonly keySerde: Serde<K>;
  /** For timestamped stores, already the ValueAndTimestamp serde. */
  readonly valueSerde: Serde<V>;
  readonly timestamped: boolean;
  readonly cachingEnabled: boolean;
  readonly loggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;
}

/**
 * An immutable {@link StoreBuilder} of typed key-value stores: `build()` returns
 * `Metered(serdes) -> [Caching] -> [ChangeLogging] -> supplier.get()`.
 *
 * @example
 * ```ts
 * const builder = KeyValueStoreBuilder.of(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.BigInt(), false)
 *   .withCachingEnabled();
 * const store = builder.build(); // Metered -> Caching -> ChangeLogging -> in-memory
 * ```
 */
export class KeyValueStoreBuilder<K, V> implements StoreBuilder<KeyValueStore<K, V>> {
  private constructor(private readonly settings: BuilderSettings<K, V>) {}

  /** A builder with Kafka Streams' defaults: logging enabled (no extra config), caching disabled. */
  static of<K, V>(
    supplier: KeyValueBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    timestamped: boolean,
  ): KeyValueStoreBuilder<K, V> {
    if (supplier === null || typeof supplier !== 'object' || typeof supplier.get !== 'function') {
      throw new StreamsError('TOPOLOGY_INVALID', 'a key-value store builder needs a KeyValueBytesStoreSupplier');
    }
    return new KeyValueStoreBuilder({
      supplier,
      keySerde,
      valueSerde,
      timestamped,
      cachingEnabled: false,
      loggingEnabled: true,
      logConfig: NO_CONFIG,
    });
  }

  get name(): string {
    return this.settings.supplier.name;
  }

  get loggingEnabled(): boolean {
    return this.settings.loggingEnabled;
  }

  get logConfig(): ChangelogConfig {
    return this.settings.logConfig;
  }

  get cachingEnabled(): boolean {
    return this.settings.cachingEnabled;
  }

  withCachingEnabled(): KeyValueStoreBuilder<K, V> {
    return new KeyValueStoreBuilder({ ...this.settings, cachingEnabled: true });
  }

  withCachingDisabled(): KeyValueStoreBuilder<K, V> {
    return new KeyValueStoreBuilder({ ...this.settings, cachingEnabled: false });
  }

  withLoggingEnabled(config: ChangelogConfig = NO_CONFIG): KeyValueStoreBuilder<K, V> {
    return new KeyValueStoreBuilder({ ...this.settings, loggingEnabled: true, logConfig: Object.freeze({ ...config }) });
  }

  withLoggingDisabled(): KeyValueStoreBuilder<K, V> {
    return new KeyValueStoreBuilder({ ...this.settings, loggingEnabled: false, logConfig: NO_CONFIG });
  }

  build(): MeteredKeyValueStore<K, V> {
    const { supplier, keySerde, valueSerde, timestamped, cachingEnabled, loggingEnabled } = this.settings;
    let store: BytesKeyValueStore = supplier.get();
    if (store.name !== supplier.name) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `store supplier "${supplier.name}" built a store named "${store.name}"; the names must match`,
      );
    }
    // A timestamped store keeps the layer even without logging, for its restore conversion (source-topic changelogs).
    if (loggingEnabled || timestamped) store = new ChangeLoggingKeyValueStore(store, { timestamped, isLogging: loggingEnabled });
    if (cachingEnabled) store = new CachingKeyValueStore(store);
    const metered = new MeteredKeyValueStore(store, keySerde, valueSerde, supplier.metricsScope);
    return timestamped ? markTimestamped(metered) : metered;
  }
}
