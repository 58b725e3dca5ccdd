import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { StreamsError } from '../src/errors.js';
import { replaceJsonFile } from '../src/util/replace-file.js';
import { NO_HEADERS } from '../src/record.js';
import type { RestoreCallback, RestoreRecord, StateStore, StateStoreContext } from '../src/state/state-store.js';
import { changelogTopicName } from '../src/state/state-store.js';
import type { StoreBuilder } from '../src/state/store-builder.js';
import type { RecordCollector } from './record-collector.js';

/** A store's changelog partition: the task's partition of `<applicationId>-<store>-changelog`. */
export interface ChangelogPartition {
  readonly storeName: string;
  readonly topic: string;
  readonly partition: number;
  readonly persistent: boolean;
  /** True when the changelog is the task's input topic itself (a DSL source table under optimization). */
  readonly isSourceTopic: boolean;
}

interface Registration {
  readonly store: StateStore;
  readonly restore: RestoreCallback;
  readonly changelog: ChangelogPartition | null;
}

const CHECKPOINT = '.checkpoint';

/**
 * The state of one task: builds and opens its stores, is their StateStoreContext (changes go to the task's record
 * collector as changelog records for the task's partition), applies restored changelog batches, flushes, and reads
 * and writes the checkpoint file (`<stateDir>/<taskId>/.checkpoint`: the changelog offset each persistent store is
 * known to contain up to).
 */
export class TaskStateManager {
  readonly #taskId: string;
  readonly #partition: number;
  readonly #applicationId: string;
  readonly #stateDir: string | null;
  readonly #collector: RecordCollector;
  readonly #logger: Logger;
  readonly #registrations = new Map<string, Registration>();
  readonly #builders = new Map<string, StoreBuilder<StateStore>>();
  readonly #sourceChangelogTopics: ReadonlyMap<string, string>;
  readonly #wipeUnlessCheckpointed: boolean;
  readonly stores = new Map<string, StateStore>();
  #recordTimestampMs: () => number;

  constructor(options: {
    taskId: string;
    partition: number;
    applicationId: string;
    stateDir: string | null;
    collector: RecordCollector;
    logger: Logger;
    recordTimestampMs: () => number;
    sourceChangelogTopics?: ReadonlyMap<string, string>;
    /** Exactly-once: a task directory without a checkpoint is wiped before the stores open. */
    wipeUnlessCheckpointed?: boolean;
  }) {
    this.#wipeUnlessCheckpointed = options.wipeUnlessCheckpointed ?? false;
    this.#sourceChangelogTopics = options.sourceChangelogTopics ?? new Map();
    this.#taskId = options.taskId;
    this.#partition = options.partition;
    this.#applicationId = options.applicationId;
    this.#stateDir = options.stateDir;
    this.#collector = options.collector;
    this.#logger = options.logger;
    this.#recordTimestampMs = options.recordTimestampMs;
  }

  get #taskDir(): string | null {
    return this.#stateDir === null ? null : path.join(this.#stateDir, this.#taskId);
  }

  /** Builds and initialises every store of the task. `cacheMaxBytes` is this task's share for each store. */
  initStores(builders: readonly StoreBuilder<StateStore>[], cacheMaxBytes: number, appConfig: Readonly<Record<string, unknown>>): void {
    const dir = this.#taskDir;
    if (dir !== null && this.#wipeUnlessCheckpointed && fs.existsSync(dir) && !fs.existsSync(path.join(dir, CHECKPOINT))) {
      // Exactly-once: without a checkpoint the task did not close cleanly, and its persistent stores may hold writes
      // of transactions that never committed. Not trusted: rebuilt from the (read_committed) changelog.
      this.#logger.warn({ taskId: this.#taskId }, 'no checkpoint after an unclean shutdown under exactly-once; wiping the task state to restore it from the changelog');
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (dir !== null) fs.mkdirSync(dir, { recursive: true });
    for (const builder of builders) {
      const store = builder.build();
      this.#builders.set(builder.name, builder);
      const context = this.#contextFor(builder, cacheMaxBytes, appConfig);
      store.init(context, store);
      this.stores.set(builder.name, store);
    }
  }

  #contextFor(builder: StoreBuilder<StateStore>, cacheMaxBytes: number, appConfig: Readonly<Record<string, unknown>>): StateStoreContext {
    const self = this;
    const changelogTopic = builder.loggingEnabled ? changelogTopicName(this.#applicationId, builder.name) : null;
    // A store may be restored from an input topic (its source-topic changelog) while logging nothing itself.
    const restoreTopic = changelogTopic ?? this.#sourceChangelogTopics.get(builder.name) ?? null;
    return {
      applicationId: this.#applicationId,
      taskId: this.#taskId,
      stateDir: this.#stateDir,
      appConfig,
      cacheMaxBytes: builder.cachingEnabled ? cacheMaxBytes : 0,
      get recordTimestampMs(): number {
        return self.#recordTimestampMs();
      },
      register(store: StateStore, restore: RestoreCallback): void {
        if (self.#registrations.has(store.name)) {
          throw new StreamsError('ILLEGAL_STATE', `store ${store.name} registered twice in task ${self.#taskId}`);
        }
        self.#registrations.set(store.name, {
          store,
          restore,
          changelog:
            restoreTopic === null
              ? null
              : { storeName: store.name, topic: restoreTopic, partition: self.#partition, persistent: store.persistent, isSourceTopic: changelogTopic === null },
        });
      },
      logChange(_storeName: string, key: Uint8Array, value: Uint8Array | null, timestampMs: number): void {
        if (changelogTopic === null) return;
        // Copies: the caller may reuse its buffers after this returns, and the collector sends later.
        self.#collector.send(changelogTopic, Buffer.from(key), value === null ? null : Buffer.from(value), timestampMs, NO_HEADERS, self.#partition);
      },
    };
  }

  /** The changelog partitions to restore from, with the offset to start at (from the checkpoint, else null). */
  changelogs(): (ChangelogPartition & { readonly checkpoint: number | null })[] {
    const cp = this.#readCheckpoint();
    const out: (ChangelogPartition & { checkpoint: number | null })[] = [];
    for (const r of this.#registrations.values()) {
      if (r.changelog === null) continue;
      // Only persistent stores keep their data across restarts; in-memory ones restore from the start.
      out.push({ ...r.changelog, checkpoint: r.changelog.persistent ? (cp[r.changelog.storeName] ?? null) : null });
    }
    return out;
  }

  /** Applies a batch read from a store's changelog. */
  restore(storeName: string, batch: readonly RestoreRecord[]): void {
    const r = this.#registrations.get(storeName);
    if (r === undefined) throw new StreamsError('ILLEGAL_STATE', `no store ${storeName} in task ${this.#taskId}`);
    r.restore(batch);
  }

  /** Flushes every store (caches forward downstream, engines write). */
  flush(): void {
    for (const s of this.stores.values()) s.flush();
  }

  /** Writes the checkpoint: changelog end offsets of persistent stores, after their data is flushed. */
  writeCheckpoint(offsets: ReadonlyMap<string, number>): void {
    const dir = this.#taskDir;
    if (dir === null) return;
    const data: Record<string, number> = {};
    for (const r of this.#registrations.values()) {
      if (r.changelog === null || !r.changelog.persistent) continue;
      const o = offsets.get(r.changelog.storeName);
      if (o !== undefined) data[r.changelog.storeName] = o;
    }
    replaceJsonFile(path.join(dir, CHECKPOINT), data);
  }

  /** Forgets the checkpoint: from now on the stores may hold data past it (Kafka deletes it while a task runs). */
  deleteCheckpoint(): void {
    const dir = this.#taskDir;
    if (dir !== null) fs.rmSync(path.join(dir, CHECKPOINT), { force: true });
  }

  #readCheckpoint(): Record<string, number> {
    const dir = this.#taskDir;
    if (dir === null) return {};
    try {
      const raw = JSON.parse(fs.readFileSync(path.join(dir, CHECKPOINT), 'utf8')) as Record<string, unknown>;
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) out[k] = v;
      return out;
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.#logger.warn({ err: e, taskId: this.#taskId }, 'unreadable checkpoint ignored; restoring from the changelog start');
      return {};
    }
  }

  close(): void {
    for (const s of this.stores.values()) {
      try {
        s.close();
      } catch (e: unknown) {
        this.#logger.warn({ err: e, store: s.name, taskId: this.#taskId }, 'closing a store failed');
      }
    }
    this.stores.clear();
  }
}
