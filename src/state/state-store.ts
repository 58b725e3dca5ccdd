/**
 * The state store vocabulary every store shape (key-value, window, session) shares: the {@link StateStore} life cycle
 * and the {@link StateStoreContext} seam through which a store registers for restoration and logs its changes. The
 * runtime implements the context; stores never see producers, consumers or topics.
 */

/**
 * One changelog record handed back to a store while it is being restored.
 *
 * `value === null` is a tombstone: the key is deleted. `timestampMs` is the changelog record's timestamp (timestamped
 * stores rebuild their value timestamps from it). The arrays may be views into a fetched batch: a store that keeps
 * them must copy them unless it writes them straight into an engine that copies (as the bundled engines do).
 *
 * @example
 * ```ts
 * const tombstone: RestoreRecord = { key: Buffer.from('a'), value: null, timestampMs: 1_000 };
 * ```
 */
export interface RestoreRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
  readonly timestampMs: number;
}

/**
 * Called by the runtime with the changelog's records, oldest first, in batches, while a store is being restored.
 *
 * Restoring replays the changelog into the engine directly (it must not log the changes again, nor forward them
 * downstream). Applying the batches in order reproduces the store as it was when the changelog was last written.
 *
 * @example
 * ```ts
 * const restore: RestoreCallback = (batch) => {
 *   for (const r of batch) r.value === null ? engine.delete(r.key) : engine.put(r.key, r.value);
 * };
 * ```
 */
export type RestoreCallback = (batch: readonly RestoreRecord[]) => void;

/**
 * What a store sees of the task it lives in: identity, where to keep files, and the two calls that back it up to
 * its changelog topic. Implemented by the runtime (and by fakes in tests).
 *
 * Stores decorate a store stack from the outside in and may hand an adapted context to the store they wrap (the
 * caching layer does, so the changelog records it flushes carry the timestamps of the writes they stand for).
 *
 * @example
 * ```ts
 * class CountingStore implements StateStore {
 *   // ...
 *   init(context: StateStoreContext, root: StateStore): void {
 *     context.register(root, (batch) => { for (const r of batch) this.apply(r.key, r.value); });
 *   }
 *   put(key: Uint8Array, value: Uint8Array | null): void {
 *     this.apply(key, value);
 *     this.context.logChange(this.name, key, value, this.context.recordTimestampMs);
 *   }
 * }
 * ```
 */
export interface StateStoreContext {
  /** The application id: the prefix of the group id and of internal topic names. */
  readonly applicationId: string;
  /** The task this store belongs to, as Kafka Streams prints it: `<subtopology>_<partition>`, e.g. `0_3`. */
  readonly taskId: string;
  /** The application's state directory, or `null` when the app keeps no files (persistent engines then use memory). */
  readonly stateDir: string | null;
  /** The application's configuration, as given to the runtime (read-only; stores look up their own keys). */
  readonly appConfig: Readonly<Record<string, unknown>>;
  /** The byte budget of this store's write cache (the runtime's share of `cacheMaxBytes`); 0 disables caching. */
  readonly cacheMaxBytes: number;
  /**
   * The timestamp of the record being processed, used as the changelog record's timestamp; outside record
   * processing (punctuation, flush at commit) the task's current stream time.
   */
  readonly recordTimestampMs: number;
  /**
   * Registers a store with the task: the runtime will flush and close it with the task, and, when it is logged,
   * call `restore` with its changelog's records before any record is processed. Called once by the innermost store
   * (the engine) with the outermost store of its stack (`root`, the one processors see) during `init`.
   */
  register(store: StateStore, restore: RestoreCallback): void;
  /**
   * Queues one changelog record for `<applicationId>-<storeName>-changelog`, partition = the task's partition.
   * `value === null` writes a tombstone. The bytes are owned by the runtime afterwards: callers must not mutate them.
   */
  logChange(storeName: string, key: Uint8Array, value: Uint8Array | null, timestampMs: number): void;
}

/**
 * A named piece of task-local state with a life cycle: built by a store builder, `init`ialised by the runtime when
 * its task starts, `flush`ed at every commit (before the changelog is sent), `close`d with the task.
 *
 * After `close()` every read and write throws `StreamsError('CLOSED')`. `flush()` makes everything written so far
 * durable in the engine (and, for the caching layer, forwards the cached values downstream).
 *
 * @example
 * ```ts
 * const store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.BigInt()).build();
 * store.init(context, store);
 * store.put('a', 1n);
 * store.flush();
 * store.close();
 * ```
 */
export interface StateStore {
  /** The store's name, unique in a topology; also names its changelog topic. */
  readonly name: string;
  /** True when the engine keeps its data on disk across restarts (then checkpoints make restoration short). */
  readonly persistent: boolean;
  /** True between a successful `init` and `close`. */
  readonly isOpen: boolean;
  /** Opens the store for a task; `root` is the outermost store of the stack, the one to register. */
  init(context: StateStoreContext, root: StateStore): void;
  /** Writes everything buffered to the engine (and forwards cached entries); durable when it returns. */
  flush(): void;
  /** Releases the store's resources; idempotent. Does not flush: the runtime flushes before closing cleanly. */
  close(): void;
}

/**
 * The changelog topic of a store, named as Kafka Streams names it: `<applicationId>-<storeName>-changelog`.
 *
 * The topic is compacted (the latest value per key is the store's content) and has as many partitions as the
 * store's source topics; the runtime creates it at start when the store's builder has logging enabled.
 *
 * @example
 * ```ts
 * changelogTopicName('word-count', 'counts'); // 'word-count-counts-changelog'
 * ```
 */
export function changelogTopicName(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}
