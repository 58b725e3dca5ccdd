/** The pass-through part of a layer over a windowed bytes store: identity and life cycle of the wrapped store. */
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { MeterableBytesStore } from './metered-segmented-store.js';

/**
 * The base of the window and session layers that add nothing to the wrapped store's identity: `name`,
 * `persistent`, `isOpen` and `retentionMs` are the wrapped store's, and `close()` closes it.
 *
 * @example
 * ```ts
 * class MyLayer extends WrappingStore<BytesSessionStore> {
 *   init(context: StateStoreContext, root: StateStore): void { this.inner.init(context, root); }
 *   flush(): void { this.inner.flush(); }
 * }
 * ```
 */
export abstract class WrappingStore<S extends MeterableBytesStore> implements StateStore {
  constructor(protected readonly inner: S) {}

  get name(): string {
    return this.inner.name;
  }
  get persistent(): boolean {
    return this.inner.persistent;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }
  get retentionMs(): number {
    return this.inner.retentionMs;
  }

  abstract init(context: StateStoreContext, root: StateStore): void;
  abstract flush(): void;

  close(): void {
    this.inner.close();
  }
}
