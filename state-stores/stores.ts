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
import type { BytesSessionStore, SessionBytesStoreSupplier, SessionStore } from '../src/state/session-store.js';
import type {
  BytesWindowStore,
  TimestampedWindowStore,
  WindowBytesStoreSupplier,
  WindowStore,
} from '../src/state/window-store.js';
import { MeteredSessionStore } from './session/metered-session-store.js';
import { SegmentedSessionStore } from './session/segmented-session-store.js';
import { InMemorySegments } from './window/in-memory-segments.js';
import { MeteredWindowStore } from './window/metered-window-store.js';
import { SegmentedWindowStore } from './window/segmented-window-store.js';
import { defaultSegmentIntervalMs } from './window/segments.js';
import { SqliteSegments } from './window/sqlite-segments.js';
import { sessionStoreLayers, WindowedStoreBuilder, windowStoreLayers } from './window/windowed-store-builder.js';

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

function checkMs(what: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new StreamsError('TOPOLOGY_INVALID', `${what} must be a non-negative safe integer of milliseconds, got ${ms}`);
  }
}

function windowSupplier(
  name: string,
  retentionMs: number,
  windowSizeMs: number,
  retainDuplicates: boolean,
  persistent: boolean,
): WindowBytesStoreSupplier {
  checkName(name);
  checkMs('retentionMs', retentionMs);
  checkMs('windowSizeMs', windowSizeMs);
  if (windowSizeMs > retentionMs) {
    throw new StreamsError(
      'TOPOLOGY_INVALID',
      `window store "${name}": the retention period (${retentionMs} ms) must be no smaller than the window size (${windowSizeMs} ms)`,
    );
  }
  const segmentIntervalMs = defaultSegmentIntervalMs(retentionMs);
  const options = { retentionMs, windowSizeMs, retainDuplicates };
  return Object.freeze({
    name,
    metricsScope: persistent ? 'sqlite' : 'in-memory',
    retentionMs,
    windowSizeMs,
    segmentIntervalMs,
    retainDuplicates,
    get: (): BytesWindowStore =>
      new SegmentedWindowStore(name, options, persistent ? new SqliteSegments(segmentIntervalMs) : new InMemorySegments(segmentIntervalMs)),
  });
}

function sessionSupplier(name: string, retentionMs: number, persistent: boolean): SessionBytesStoreSupplier {
  checkName(name);
  checkMs('retentionMs', retentionMs);
  const segmentIntervalMs = defaultSegmentIntervalMs(retentionMs);
  return Object.freeze({
    name,
    metricsScope: persistent ? 'sqlite' : 'in-memory',
    retentionMs,
    segmentIntervalMs,
    get: (): BytesSessionStore =>
      new SegmentedSessionStore(name, retentionMs, persistent ? new SqliteSegments(segmentIntervalMs) : new InMemorySegments(segmentIntervalMs)),
  });
}

function checkSupplier(supplier: { readonly get?: unknown } | null, what: string): void {
  if (supplier === null || typeof supplier !== 'object' || typeof supplier.get !== 'function') {
    throw new StreamsError('TOPOLOGY_INVALID', `a ${what} store builder needs a ${what === 'window' ? 'WindowBytesStoreSupplier' : 'SessionBytesStoreSupplier'}`);
  }
}

function checkBuilt(store: { readonly name: string }, supplierName: string): void {
  if (store.name !== supplierName) {
    throw new StreamsError('TOPOLOGY_INVALID', `store supplier "${supplierName}" built a store named "${store.name}"; the names must match`);
  }
}

function windowBuilder<K, V>(
  supplier: WindowBytesStoreSupplier,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
  timestamped: boolean,
): StoreBuilder<WindowStore<K, V>> {
  checkSupplier(supplier, 'window');
  return WindowedStoreBuilder.of(supplier.name, supplier.retentionMs, (loggingEnabled, cachingEnabled) => {
    const engine = supplier.get();
    checkBuilt(engine, supplier.name);
    const store = windowStoreLayers(engine, { logging: loggingEnabled, caching: cachingEnabled, timestamped });
    return new MeteredWindowStore(store, keySerde, valueSerde, supplier.metricsScope);
  });
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

  /**
   * An in-memory window engine, segmented by window start (segment interval `max(retentionMs / 2, 60 s)`, Kafka
   * Streams' default): windows starting at or before `observedStreamTime - retentionMs` expire and their segments
   * are dropped whole. `retainDuplicates` keeps every put (stream-stream joins). Throws
   * `StreamsError('TOPOLOGY_INVALID')` for a bad name, negative times, or `windowSizeMs > retentionMs`.
   *
   * @example
   * ```ts
   * Stores.inMemoryWindowStore('counts', 86_400_000, 60_000, false).segmentIntervalMs; // 43200000
   * ```
   */
  inMemoryWindowStore(name: string, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean): WindowBytesStoreSupplier {
    return windowSupplier(name, retentionMs, windowSizeMs, retainDuplicates, false);
  },

  /**
   * A SQLite window engine in `<stateDir>/<taskId>/<name>.sqlite`, one table per segment (expiry is `DROP TABLE`),
   * one transaction per flush; same semantics as {@link Stores.inMemoryWindowStore}.
   *
   * @example
   * ```ts
   * Stores.persistentWindowStore('counts', 86_400_000, 60_000, false).metricsScope; // 'sqlite'
   * ```
   */
  persistentWindowStore(name: string, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean): WindowBytesStoreSupplier {
    return windowSupplier(name, retentionMs, windowSizeMs, retainDuplicates, true);
  },

  /**
   * A builder of typed window stores: Metered -> [Caching] -> [ChangeLogging] -> engine. Its changelog topic is created with
   * `cleanup.policy=compact,delete` and `retention.ms = retentionMs + 1 day` (see `logConfig`).
   *
   * @example
   * ```ts
   * const builder = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('counts', 3_600_000, 60_000, false), Serdes.String(), Serdes.BigInt());
   * builder.build().put('a', 1n, 0);
   * ```
   */
  windowStoreBuilder<K, V>(supplier: WindowBytesStoreSupplier, keySerde: Serde<K>, valueSerde: Serde<V>): StoreBuilder<WindowStore<K, V>> {
    return windowBuilder(supplier, keySerde, valueSerde, false);
  },

  /**
   * A builder of window stores whose values carry timestamps: stored as `timestamp(8) + value`, logged as the plain
   * value with the timestamp as the record timestamp.
   *
   * @example
   * ```ts
   * const builder = Stores.timestampedWindowStoreBuilder(Stores.persistentWindowStore('w', 3_600_000, 60_000, false), Serdes.String(), Serdes.Number());
   * builder.build().put('a', { value: 1, timestampMs: 5 }, 0);
   * ```
   */
  timestampedWindowStoreBuilder<K, V>(
    supplier: WindowBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
  ): StoreBuilder<TimestampedWindowStore<K, V>> {
    return windowBuilder(supplier, keySerde, valueAndTimestampSerde(valueSerde), true);
  },

  /**
   * An in-memory session engine, segmented by session end; sessions ending at or before `observedStreamTime -
   * retentionMs` expire.
   *
   * @example
   * ```ts
   * Stores.inMemorySessionStore('sessions', 86_400_000).retentionMs; // 86400000
   * ```
   */
  inMemorySessionStore(name: string, retentionMs: number): SessionBytesStoreSupplier {
    return sessionSupplier(name, retentionMs, false);
  },

  /**
   * A SQLite session engine (one table per segment), same semantics as {@link Stores.inMemorySessionStore}.
   *
   * @example
   * ```ts
   * Stores.persistentSessionStore('sessions', 86_400_000).metricsScope; // 'sqlite'
   * ```
   */
  persistentSessionStore(name: string, retentionMs: number): SessionBytesStoreSupplier {
    return sessionSupplier(name, retentionMs, true);
  },

  /**
   * A builder of typed session stores: Metered -> [Caching] -> [ChangeLogging] -> engine, changelog configs as for window stores.
   *
   * @example
   * ```ts
   * const builder = Stores.sessionStoreBuilder(Stores.inMemorySessionStore('s', 3_600_000), Serdes.String(), Serdes.Number());
   * builder.build().put({ key: 'u', window: sessionWindow(0, 10) }, 1);
   * ```
   */
  sessionStoreBuilder<K, AGG>(
    supplier: SessionBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<AGG>,
  ): StoreBuilder<SessionStore<K, AGG>> {
    checkSupplier(supplier, 'session');
    return WindowedStoreBuilder.of(supplier.name, supplier.retentionMs, (loggingEnabled, cachingEnabled) => {
      const engine = supplier.get();
      checkBuilt(engine, supplier.name);
      return new MeteredSessionStore(sessionStoreLayers(engine, { logging: loggingEnabled, caching: cachingEnabled }), keySerde, valueSerde, supplier.metricsScope);
    });
  },
});
