/**
 * `Stores`: the factories for store suppliers and builders, named as in Kafka Streams.
 */
import type { Serde } from '../src/serdes/serde.js';
import type {
  KeyValueBytesStoreSupplier,
  KeyValueStore,
  TimestampedKeyValueStore,
} from '../src/state/key-value-store.js';
import type { StoreBuilder } from '../src/state/store-builder.js';
import { StreamsError } from '../src/errors.js';
import { InMemoryKeyValueStore } from './in-memory-key-value-store.js';
import { KeyValueStoreBuilder } from './key-value-store-builder.js';
import { SqliteKeyValueStore } from './sqlite-key-value-store.js';
import { valueAndTimestampSerde } from './value-and-timestamp-serde.js';

// Store names become part of topic names (<app>-<store>-changelog) and file names (<store>.sqlite).
const STORE_NAME = /^[a-zA-Z0-9._-]{1,200}$/;

function checkName(name: string): void {
  if (typeof name !== 'string' || !STORE_NAME.test(name) || name === '.' || name === '..') {
    throw new StreamsError(
      'TOPOLOGY_INVALID',
      `invalid store name ${JSON.stringify(name)}: use 1..200 characters of [a-zA-Z0-9._-], not "." or ".."`,
    );
  }
}

/**
 * Factories for state stores: engine suppliers (`inMemoryKeyValueStore`, `persistentKeyValueStore`) and the
 * builders a Topology takes (`keyValueStoreBuilder`, `timestampedKeyValueStoreBuilder`).
 *
 * Store names must be 1..200 characters of `[a-zA-Z0-9._-]` (they name the changelog topic and the SQLite file);
 * anything else throws `StreamsError('TOPOLOGY_INVALID')`. Builders default to logging enabled and caching
 * disabled, and are immutable (each `with...` returns a new builder).
 *
 * @example
 * ```ts
 * const counts = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore('counts'), Serdes.String(), Serdes.BigInt())
 *   .withCachingEnabled()
 *   .withLoggingDisabled();
 * topology.addStateStore(counts, 'count-words');
 * ```
 */
export const Stores = Object.freeze({
  /**
   * An ordered in-memory engine (B+tree); rebuilt from the changelog after a restart.
   *
   * @example
   * ```ts
   * Stores.inMemoryKeyValueStore('counts').get().persistent; // false
   * ```
   */
  inMemoryKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    checkName(name);
    return Object.freeze({ name, metricsScope: 'in-memory', get: () => new InMemoryKeyValueStore(name) });
  },

  /**
   * A SQLite engine (better-sqlite3) in `<stateDir>/<taskId>/<name>.sqlite`, one transaction per flush; it keeps
   * its data across restarts, so restoring replays only the changelog past the checkpoint.
   *
   * @example
   * ```ts
   * Stores.persistentKeyValueStore('counts').metricsScope; // 'sqlite'
   * ```
   */
  persistentKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    checkName(name);
    return Object.freeze({ name, metricsScope: 'sqlite', get: () => new SqliteKeyValueStore(name) });
  },

  /**
   * A builder of typed key-value stores over the supplier's engine; logging enabled, caching disabled by default.
   *
   * @example
   * ```ts
   * const builder = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.BigInt());
   * builder.withCachingEnabled().build(); // KeyValueStore<string, bigint>
   * ```
   */
  keyValueStoreBuilder<K, V>(
    supplier: KeyValueBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
  ): StoreBuilder<KeyValueStore<K, V>> {
    return KeyValueStoreBuilder.of(supplier, keySerde, valueSerde, false);
  },

  /**
   * A builder of timestamped key-value stores (values with the timestamp of their last write), as KTables use:
   * values are stored as `timestamp(8) + value` and logged as the plain value with the timestamp as the record's.
   *
   * @example
   * ```ts
   * const builder = Stores.timestampedKeyValueStoreBuilder(Stores.persistentKeyValueStore('prices'), Serdes.String(), Serdes.Number());
   * builder.build().put('AAPL', { value: 190, timestampMs: 1_000 });
   * ```
   */
  timestampedKeyValueStoreBuilder<K, V>(
    supplier: KeyValueBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
  ): StoreBuilder<TimestampedKeyValueStore<K, V>> {
    return KeyValueStoreBuilder.of(supplier, keySerde, valueAndTimestampSerde(valueSerde), true);
  },
});
