/**
 * Builds the StoreBuilder of a DSL store (a timestamped key-value store) from its {@link StoreSpec}, resolving serdes
 * the DSL could not know from the application's defaults when the store opens.
 */
import type { Serde } from '../../src/serdes/serde.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { TimestampedKeyValueStore } from '../../src/state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { StoreBuilder } from '../../src/state/store-builder.js';
import { Stores } from '../../state-stores/stores.js';
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

class DslStoreBuilder implements StoreBuilder<StateStore> {
  constructor(
    private readonly spec: StoreSpec,
    private readonly defaults: StoreDefaults,
    readonly loggingEnabled: boolean,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get logConfig(): Readonly<Record<string, string>> {
    return this.loggingEnabled ? this.spec.logConfig : {};
  }

  get cachingEnabled(): boolean {
    return this.spec.isCachingEnabled;
  }

  withCachingEnabled(): StoreBuilder<StateStore> {
    return new DslStoreBuilder({ ...this.spec, isCachingEnabled: true }, this.defaults, this.loggingEnabled);
  }

  withCachingDisabled(): StoreBuilder<StateStore> {
    return new DslStoreBuilder({ ...this.spec, isCachingEnabled: false }, this.defaults, this.loggingEnabled);
  }

  withLoggingEnabled(config: Readonly<Record<string, string>> = {}): StoreBuilder<StateStore> {
    return new DslStoreBuilder({ ...this.spec, logConfig: Object.freeze({ ...config }) }, this.defaults, true);
  }

  withLoggingDisabled(): StoreBuilder<StateStore> {
    return new DslStoreBuilder(this.spec, this.defaults, false);
  }

  build(): StateStore {
    const { spec, defaults } = this;
    const fixedKey = spec.keySerde ?? defaults.keySerde;
    const fixedValue = spec.valueSerde ?? defaults.valueSerde;
    // Fresh placeholders per store: each task's store resolves its own when it opens.
    const lateKey = fixedKey === undefined ? new DefaultSerde('default-key', 'defaultKeySerde') : null;
    const lateValue = fixedValue === undefined ? new DefaultSerde('default-value', 'defaultValueSerde') : null;
    const storeType = spec.storeType ?? defaults.storeType;
    const supplier =
      spec.supplier ?? (storeType === 'sqlite' ? Stores.persistentKeyValueStore(spec.name) : Stores.inMemoryKeyValueStore(spec.name));
    let builder = Stores.timestampedKeyValueStoreBuilder<unknown, unknown>(supplier, fixedKey ?? lateKey!, fixedValue ?? lateValue!);
    builder = spec.isCachingEnabled ? builder.withCachingEnabled() : builder.withCachingDisabled();
    builder = this.loggingEnabled ? builder.withLoggingEnabled(spec.logConfig) : builder.withLoggingDisabled();
    const store: TimestampedKeyValueStore<unknown, unknown> = builder.build();
    if (lateKey !== null || lateValue !== null) {
      // The serdes must be known before the first read or write, and `init` is the first call a store gets.
      const init = store.init;
      store.init = function (this: TimestampedKeyValueStore<unknown, unknown>, context: StateStoreContext, root: StateStore): void {
        lateKey?.resolve(context.appConfig);
        lateValue?.resolve(context.appConfig);
        init.call(this, context, root);
      };
    }
    return store;
  }
}

/**
 * The StoreBuilder of a DSL store: a timestamped key-value store named `spec.name` on the engine `spec.supplier`,
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
export function dslStoreBuilder(spec: StoreSpec, defaults: StoreDefaults, loggingEnabled: boolean = spec.isLoggingEnabled): StoreBuilder<StateStore> {
  return new DslStoreBuilder(spec, defaults, loggingEnabled);
}
