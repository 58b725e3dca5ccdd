/**
 * What the window and session change-logging layers share: the pass-through reads and life cycle around the
 * per-store changelog write.
 */
import type { CacheFlushListener } from '../../src/state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { Windowed } from '../../src/state/windowed.js';
import type { MeterableBytesStore } from './metered-segmented-store.js';
import { WrappingStore } from './wrapping-store.js';

/**
 * The base of the window and session change-logging layers: everything but the write passes through to the
 * wrapped store; subclasses log each write with `this.context.logChange`. The wrapped store is initialised with
 * {@link ChangeLoggingSegmentedStore.innerContext} (the given context unless overridden).
 *
 * @example
 * ```ts
 * class MyLoggingStore extends ChangeLoggingSegmentedStore<BytesSessionStore> {
 *   put(session: Windowed<Uint8Array>, value: Uint8Array | null): void {
 *     this.inner.put(session, value);
 *     this.context!.logChange(this.name, session.key, value, this.context!.recordTimestampMs);
 *   }
 * }
 * ```
 */
export abstract class ChangeLoggingSegmentedStore<S extends MeterableBytesStore> extends WrappingStore<S> {
  /** The context given at init; `null` before. */
  protected context: StateStoreContext | null = null;

  get segmentIntervalMs(): number {
    return this.inner.segmentIntervalMs;
  }
  get observedStreamTimeMs(): number {
    return this.inner.observedStreamTimeMs;
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.context = context;
    this.inner.init(this.innerContext(context), root);
  }

  setFlushListener(listener: CacheFlushListener<Windowed<Uint8Array>, Uint8Array>, sendOldValues: boolean): boolean {
    return this.inner.setFlushListener?.(listener, sendOldValues) ?? false;
  }

  flush(): void {
    this.inner.flush();
  }

  /** The context the wrapped store is initialised with. */
  protected innerContext(context: StateStoreContext): StateStoreContext {
    return context;
  }
}
