/**
 * The immutable store builder behind `Stores.windowStoreBuilder`, `timestampedWindowStoreBuilder` and
 * `sessionStoreBuilder`, with the changelog topic configs Kafka Streams gives windowed changelogs.
 */
import type { BytesSessionStore } from '../../src/state/session-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import type { ChangelogConfig, StoreBuilder } from '../../src/state/store-builder.js';
import type { BytesWindowStore } from '../../src/state/window-store.js';
import { CachingSessionStore } from '../session/caching-session-store.js';
import { ChangeLoggingSessionStore } from '../session/change-logging-session-store.js';
import { CachingWindowStore } from './caching-window-store.js';
import { ChangeLoggingWindowStore } from './change-logging-window-store.js';

/**
 * Kafka Streams' `windowstore.changelog.additional.retention.ms` default: a windowed changelog keeps records one
 * day longer than the store, so clock drift between brokers and streams never loses live windows.
 *
 * @example
 * ```ts
 * windowedChangelogConfig(3_600_000)['retention.ms']; // '90000000'
 * ```
 */
export const WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS = 86_400_000;

/**
 * The default changelog topic configs of window and session stores: `cleanup.policy=compact,delete` and
 * `retention.ms = retentionMs + 1 day`, as Kafka Streams creates windowed changelogs.
 *
 * @example
 * ```ts
 * windowedChangelogConfig(0); // { 'cleanup.policy': 'compact,delete', 'retention.ms': '86400000' }
 * ```
 */
export function windowedChangelogConfig(retentionMs: number): ChangelogConfig {
  return Object.freeze({
    'cleanup.policy': 'compact,delete',
    'retention.ms': String(retentionMs + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS),
  });
}

/**
 * The bytes layers under a metered window store, as Kafka Streams stacks them: Caching -> ChangeLogging -> engine,
 * each when enabled. Caching is skipped for stores that retain duplicates (join stores), as Kafka Streams' builder
 * does, so their `setFlushListener` returns `false`.
 *
 * @example
 * ```ts
 * const bytes = windowStoreLayers(supplier.get(), { logging: true, caching: true, timestamped: false });
 * const store = new MeteredWindowStore(bytes, Serdes.String(), Serdes.Number(), supplier.metricsScope);
 * ```
 */
export function windowStoreLayers(
  engine: BytesWindowStore,
  layers: { readonly logging: boolean; readonly caching: boolean; readonly timestamped: boolean },
): BytesWindowStore {
  let store = engine;
  if (layers.logging) store = new ChangeLoggingWindowStore(store, layers.timestamped);
  if (layers.caching && !engine.retainDuplicates) store = new CachingWindowStore(store);
  return store;
}

/**
 * The bytes layers under a metered session store: Caching -> ChangeLogging -> engine, each when enabled.
 *
 * @example
 * ```ts
 * const bytes = sessionStoreLayers(supplier.get(), { logging: true, caching: true });
 * const store = new MeteredSessionStore(bytes, Serdes.String(), Serdes.Number(), supplier.metricsScope);
 * ```
 */
export function sessionStoreLayers(
  engine: BytesSessionStore,
  layers: { readonly logging: boolean; readonly caching: boolean },
): BytesSessionStore {
  let store = engine;
  if (layers.logging) store = new ChangeLoggingSessionStore(store);
  if (layers.caching) store = new CachingSessionStore(store);
  return store;
}

interface Settings<S extends StateStore> {
  readonly name: string;
  readonly retentionMs: number;
  readonly build: (loggingEnabled: boolean, cachingEnabled: boolean) => S;
  readonly cachingEnabled: boolean;
  readonly loggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;
}

const NO_CONFIG: ChangelogConfig = Object.freeze({});

/**
 * An immutable {@link StoreBuilder} of window or session stores. Defaults as Kafka Streams: logging enabled,
 * caching disabled. `logConfig` always starts from {@link windowedChangelogConfig} (overriding the runtime's
 * `cleanup.policy=compact`); configs given to `withLoggingEnabled` are applied on top.
 *
 * Caching: `build` is handed the flag; stacks made with {@link windowStoreLayers} / {@link sessionStoreLayers} put
 * a caching layer between the metered and change-logging layers when it is set (Metered -> Caching ->
 * ChangeLogging -> engine), and their `setFlushListener` then returns `true`.
 *
 * @example
 * ```ts
 * const builder = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('w', 3_600_000, 60_000, false), Serdes.String(), Serdes.Number());
 * builder.logConfig; // { 'cleanup.policy': 'compact,delete', 'retention.ms': '90000000' }
 * ```
 */
export class WindowedStoreBuilder<S extends StateStore> implements StoreBuilder<S> {
  private constructor(private readonly settings: Settings<S>) {}

  /** A builder with logging enabled (windowed changelog configs) and caching disabled. */
  static of<S extends StateStore>(
    name: string,
    retentionMs: number,
    build: (loggingEnabled: boolean, cachingEnabled: boolean) => S,
  ): WindowedStoreBuilder<S> {
    return new WindowedStoreBuilder({
      name,
      retentionMs,
      build,
      cachingEnabled: false,
      loggingEnabled: true,
      logConfig: windowedChangelogConfig(retentionMs),
    });
  }

  get name(): string {
    return this.settings.name;
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

  withCachingEnabled(): WindowedStoreBuilder<S> {
    return new WindowedStoreBuilder({ ...this.settings, cachingEnabled: true });
  }

  withCachingDisabled(): WindowedStoreBuilder<S> {
    return new WindowedStoreBuilder({ ...this.settings, cachingEnabled: false });
  }

  withLoggingEnabled(config: ChangelogConfig = NO_CONFIG): WindowedStoreBuilder<S> {
    const logConfig = Object.freeze({ ...windowedChangelogConfig(this.settings.retentionMs), ...config });
    return new WindowedStoreBuilder({ ...this.settings, loggingEnabled: true, logConfig });
  }

  withLoggingDisabled(): WindowedStoreBuilder<S> {
    return new WindowedStoreBuilder({ ...this.settings, loggingEnabled: false, logConfig: NO_CONFIG });
  }

  build(): S {
    return this.settings.build(this.settings.loggingEnabled, this.settings.cachingEnabled);
  }
}
