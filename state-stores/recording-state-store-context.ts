/**
 * A {@link StateStoreContext} for tests: it records the changelog records stores log and the restore callbacks
 * they register, and can replay a recorded changelog into a fresh store.
 */
import { StreamsError } from '../src/errors.js';
import type { RestoreCallback, RestoreRecord, StateStore, StateStoreContext } from '../src/state/state-store.js';

/**
 * One changelog record captured by {@link RecordingStateStoreContext}.
 *
 * @example
 * ```ts
 * const record: LoggedChange = { storeName: 'counts', key: Buffer.from('a'), value: null, timestampMs: 0 };
 * ```
 */
export interface LoggedChange extends RestoreRecord {
  readonly storeName: string;
}

/**
 * Options of {@link RecordingStateStoreContext}; every field has a test-friendly default.
 *
 * @example
 * ```ts
 * new RecordingStateStoreContext({ stateDir: tmpDir, taskId: '0_1', cacheMaxBytes: 0 });
 * ```
 */
export interface RecordingStateStoreContextOptions {
  readonly applicationId?: string;
  readonly taskId?: string;
  readonly stateDir?: string | null;
  readonly appConfig?: Readonly<Record<string, unknown>>;
  readonly cacheMaxBytes?: number;
  readonly recordTimestampMs?: number;
}

/**
 * A fake task context for store tests: `logChange` appends to `changelog`, `register` keeps the restore callback
 * (one per store name; registering twice throws `ILLEGAL_STATE`), and `restore` replays records into a store
 * through the callback it registered, in batches. `recordTimestampMs` is a plain field tests set.
 *
 * @example
 * ```ts
 * const context = new RecordingStateStoreContext();
 * const store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('s'), Serdes.String(), Serdes.String()).build();
 * store.init(context, store);
 * store.put('a', 'x');
 * context.changelog.length; // 1
 * const copy = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('s'), Serdes.String(), Serdes.String()).build();
 * const other = new RecordingStateStoreContext();
 * copy.init(other, copy);
 * other.restore('s', context.changelog);
 * copy.get('a'); // 'x'
 * ```
 */
export class RecordingStateStoreContext implements StateStoreContext {
  readonly applicationId: string;
  readonly taskId: string;
  readonly stateDir: string | null;
  readonly appConfig: Readonly<Record<string, unknown>>;
  cacheMaxBytes: number;
  recordTimestampMs: number;
  /** Every record logged, in order. */
  readonly changelog: LoggedChange[] = [];
  /** Stores registered, by name, with their restore callbacks. */
  readonly registered = new Map<string, { readonly store: StateStore; readonly restore: RestoreCallback }>();

  constructor(options: RecordingStateStoreContextOptions = {}) {
    this.applicationId = options.applicationId ?? 'test-app';
    this.taskId = options.taskId ?? '0_0';
    this.stateDir = options.stateDir ?? null;
    this.appConfig = options.appConfig ?? {};
    this.cacheMaxBytes = options.cacheMaxBytes ?? 10 * 1024 * 1024;
    this.recordTimestampMs = options.recordTimestampMs ?? 0;
  }

  register(store: StateStore, restore: RestoreCallback): void {
    if (this.registered.has(store.name)) {
      throw new StreamsError('ILLEGAL_STATE', `state store "${store.name}" is already registered`);
    }
    this.registered.set(store.name, { store, restore });
  }

  logChange(storeName: string, key: Uint8Array, value: Uint8Array | null, timestampMs: number): void {
    this.changelog.push({ storeName, key, value, timestampMs });
  }

  /** The logged records of one store, in order. */
  changelogOf(storeName: string): LoggedChange[] {
    return this.changelog.filter((record) => record.storeName === storeName);
  }

  /** Replays `records` of `storeName` (others are skipped) into the store registered under that name. */
  restore(storeName: string, records: readonly LoggedChange[], batchSize = 100): void {
    const registration = this.registered.get(storeName);
    if (registration === undefined) throw new StreamsError('ILLEGAL_STATE', `no state store "${storeName}" is registered`);
    const own = records.filter((record) => record.storeName === storeName);
    for (let i = 0; i < own.length; i += batchSize) registration.restore(own.slice(i, i + batchSize));
  }
}
