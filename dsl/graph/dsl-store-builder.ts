/**
 * Builds the StoreBuilder of a DSL store (a timestamped key-value store) from its {@link StoreSpec}, resolving serdes
 * the DSL could not know from the application's defaults when the store opens.
 */
import { assertNever } from '../../src/errors.js';
import type { Serde } from '../../src/serdes/serde.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { StoreBuilder } from '../../src/state/store-builder.js';
import { Stores } from '../../state-stores/stores.js';
import { windowedChangelogConfig } from '../../state-stores/window/windowed-store-builder.js';
import type { DslStoreType } from '../options/materialized.js';
import type { StoreSpec } from './store-spec.js';

/**
 * Serdes the build config fixes for every store that has none of its own, and the default engine.
 *
 * @example `const defaults: StoreDefaults = { keySerde: Serdes.String(), valueSerde: undefined, storeType: 'in-memory' };`
 */
export interface StoreDefaults {
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly storeType: DslStoreType;
}

function isSerde(value: unknown): value is Serde<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Serde<unknown>).serialize === 'function' &&
    typeof (value as Serde<unknown>).deserialize === 'function'
  );
}

/** A serde that stands in for the application's default until the store opens and names it. */
class DefaultSerde implements Serde<unknown> {
  #delegate: Serde<unknown> | null = null;

  constructor(
    readonly name: string,
    private readonly configKey: 'defaultKeySerde' | 'defaultValueSerde',
  ) {}

  resolve(appConfig: Readonly<Record<string, unknown>>): void {
    const configured = appConfig[this.configKey];
    // The runtime always resolves both defaults; fakes in tests may not: fall back to the runtime's own default.
    this.#delegate = isSerde(configured) ? configured : (Serdes.ByteArray() as Serde<unknown>);
  }

  serialize(topic: string, data: unknown, headers?: Parameters<Serde<unknown>['serialize']>[2]): Uint8Array | null {
    return this.#delegate!.serialize(topic, data, headers);
  }

  deserialize(topic: string, data: Uint8Array | null, headers?: Parameters<Serde<unknown>['deserialize']>[2]): unknown {
    return this.#delegate!.deserialize(topic, data, headers);
  }
}

/**
 * The shape of a DSL store: key-value (plain aggregations and tables), a timestamped window store (time and sliding
 * windowed aggregations) or a session store.
 *
 * @example `const shape: DslStoreShape = { kind: 'window', retentionMs: 86_400_000, windowSizeMs: 60_000 };`
 */
export type DslStoreShape =
  | { readonly kind: 'key-value' }
  | { readonly kind: 'window'; readonly retentionMs: number; readonly windowSizeMs: number }
  | { readonly kind: 'session'; readonly retentionMs: number };

const KEY_VALUE: DslStoreShape = Object.freeze({ kind: 'key-value' });

class DslStoreBuilder implements StoreBuilder<StateStore> {
  constructor(
    private readonly spec: StoreSpec,
    private readonly defaults: StoreDefaults,
    readonly loggingEnabled: boolean,
    private readonly shape: DslStoreShape = KEY_VALUE,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get logConfig(): Readonly<Record<string, string>> {
    if (!this.loggingEnabled) return {};
    // Windowed changelogs are `compact,delete` with retention = store retention + 1 day, as Kafka Streams makes them.
    return this.shape.kind === 'key-value' ? this.spec.logConfig : { ...windowedChangelogConfig(this.shape.retentionMs), ...this.spec.logConfig };
  }

  get cachingEnabled(): boolean {
    return this.spec.isCachingEnabled;
  }

  withCachingEnabled(): StoreBuilder<StateStore> {
    return new DslStoreBuilder({ ...this.spec, isCachingEnabled: true }, this.defaults, this.loggingEnabled, this.shape);
  }

  withCachingDisabled(): StoreBuilder<StateStore> {
    return new DslStoreBuilder({ ...this.spec, isCachingEnabled: false }, this.defaults, this.loggingEnabled, this.shape);
  }

  withLoggingEnabled(config: Readonly<Record<string, string>> = {}): StoreBuilder<StateStore> {
    return new DslStoreBuilder({ ...this.spec, logConfig: Object.freeze({ ...config }) }, this.defaults, true, this.shape);
  }

  withLoggingDisabled(): StoreBuilder<StateStore> {
    return new DslStoreBuilder(this.spec, this.defaults, false, this.shape);
  }

  build(): StateStore {
    const { spec, defaults } = this;
    const fixedKey = spec.keySerde ?? defaults.keySerde;
    const fixedValue = spec.valueSerde ?? defaults.valueSerde;
    // Fresh placeholders per store: each task's store resolves its own when it opens.
    const lateKey = fixedKey === undefined ? new DefaultSerde('default-key', 'defaultKeySerde') : null;
    const lateValue = fixedValue === undefined ? new DefaultSerde('default-value', 'defaultValueSerde') : null;
    const store = this.#buildStore(fixedKey ?? lateKey!, fixedValue ?? lateValue!);
    if (lateKey !== null || lateValue !== null) {
      // The serdes must be known before the first read or write, and `init` is the first call a store gets.
      const init = store.init;
      store.init = function (this: StateStore, context: StateStoreContext, root: StateStore): void {
        lateKey?.resolve(context.appConfig);
        lateValue?.resolve(context.appConfig);
        init.call(this, context, root);
      };
    }
    return store;
  }

  #buildStore(keySerde: Serde<unknown>, valueSerde: Serde<unknown>): StateStore {
    const { spec, shape } = this;
    const isSqlite = (spec.storeType ?? this.defaults.storeType) === 'sqlite';
    let builder: StoreBuilder<StateStore>;
    switch (shape.kind) {
      case 'key-value': {
        const supplier = spec.supplier ?? (isSqlite ? Stores.persistentKeyValueStore(spec.name) : Stores.inMemoryKeyValueStore(spec.name));
        builder = Stores.timestampedKeyValueStoreBuilder<unknown, unknown>(supplier, keySerde, valueSerde) as StoreBuilder<TimestampedKeyValueStore<unknown, unknown>>;
        break;
      }
      case 'window': {
        const { retentionMs, windowSizeMs } = shape;
        const supplier = isSqlite
          ? Stores.persistentWindowStore(spec.name, retentionMs, windowSizeMs, false)
          : Stores.inMemoryWindowStore(spec.name, retentionMs, windowSizeMs, false);
        builder = Stores.timestampedWindowStoreBuilder<unknown, unknown>(supplier, keySerde, valueSerde);
        break;
      }
      case 'session': {
        const supplier = isSqlite ? Stores.persistentSessionStore(spec.name, shape.retentionMs) : Stores.inMemorySessionStore(spec.name, shape.retentionMs);
        builder = Stores.sessionStoreBuilder<unknown, unknown>(supplier, keySerde, valueSerde);
        break;
      }
      default:
        return assertNever(shape);
    }
    builder = spec.isCachingEnabled ? builder.withCachingEnabled() : builder.withCachingDisabled();
    builder = this.loggingEnabled ? builder.withLoggingEnabled(spec.logConfig) : builder.withLoggingDisabled();
    return builder.build();
  }
}

/**
 * The StoreBuilder of a DSL store: by `shape`, a timestamped key-value store (the default), a timestamped window store
 * or a session store (windowed changelog configs), named `spec.name` on the engine `spec.supplier` (key-value only),
 * else `spec.storeType`, else `defaults.storeType`; with caching as `spec` says, and logging as `spec` says unless
 * `loggingEnabled` overrides it (a table reusing its source topic as changelog logs nothing). Serdes come from `spec`,
 * else `defaults`, else the application's `defaultKeySerde`/`defaultValueSerde` (read from the store context when the
 * store opens).
 *
 * @example
 * ```ts
 * const builder = dslStoreBuilder(spec, { keySerde: undefined, valueSerde: undefined, storeType: 'in-memory' });
 * topology.addStateStore(builder, 'KSTREAM-AGGREGATE-0000000003');
 * ```
 */
export function dslStoreBuilder(
  spec: StoreSpec,
  defaults: StoreDefaults,
  loggingEnabled: boolean = spec.isLoggingEnabled,
  shape: DslStoreShape = KEY_VALUE,
): StoreBuilder<StateStore> {
  return new DslStoreBuilder(spec, defaults, loggingEnabled, shape);
}
