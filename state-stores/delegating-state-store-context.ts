/**
 * A {@link StateStoreContext} that passes every call to another one: the base for layers that adapt the context
 * they hand to the store they wrap.
 */
import type { RestoreCallback, StateStore, StateStoreContext } from '../src/state/state-store.js';

/**
 * Forwards everything to `parent`; a layer subclasses it and overrides the one member it adapts (the caching
 * layer overrides `recordTimestampMs` while flushing, the change-logging layer wraps the restore callback).
 *
 * @example
 * ```ts
 * class FixedTimeContext extends DelegatingStateStoreContext {
 *   override get recordTimestampMs(): number { return 0; }
 * }
 * inner.init(new FixedTimeContext(context), root);
 * ```
 */
export class DelegatingStateStoreContext implements StateStoreContext {
  constructor(protected readonly parent: StateStoreContext) {}

  get applicationId(): string {
    return this.parent.applicationId;
  }

  get taskId(): string {
    return this.parent.taskId;
  }

  get stateDir(): string | null {
    return this.parent.stateDir;
  }

  get appConfig(): Readonly<Record<string, unknown>> {
    return this.parent.appConfig;
  }

  get cacheMaxBytes(): number {
    return this.parent.cacheMaxBytes;
  }

  get recordTimestampMs(): number {
    return this.parent.recordTimestampMs;
  }

  register(store: StateStore, restore: RestoreCallback): void {
    this.parent.register(store, restore);
  }

  logChange(storeName: string, key: Uint8Array, value: Uint8Array | null, timestampMs: number): void {
    this.parent.logChange(storeName, key, value, timestampMs);
  }
}
