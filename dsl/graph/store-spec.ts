/**
 * The description of one DSL store, as graph nodes carry it until the compiler turns it into a StoreBuilder.
 */
import type { Serde } from '../../src/serdes/serde.js';
import type { KeyValueBytesStoreSupplier } from '../../src/state/key-value-store.js';
import type { ChangelogConfig } from '../../src/state/store-builder.js';
import type { DslStoreType } from '../options/materialized.js';

/**
 * Everything needed to build one DSL store: a timestamped key-value store named `name`. Serdes left `undefined` are
 * resolved at build time from the build config, else when the store opens, from the application's defaults.
 *
 * @example
 * ```ts
 * const spec: StoreSpec = { name: 'counts', supplier: undefined, storeType: undefined, keySerde: undefined,
 *   valueSerde: longSerde(), isLoggingEnabled: true, logConfig: {}, isCachingEnabled: true };
 * ```
 */
export interface StoreSpec {
  readonly name: string;
  readonly supplier: KeyValueBytesStoreSupplier | undefined;
  readonly storeType: DslStoreType | undefined;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly isLoggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;
  readonly isCachingEnabled: boolean;
}
