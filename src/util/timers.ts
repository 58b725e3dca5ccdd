/**
 * Timers, injected beside the Clock so components that wait (long polls, session timeouts) can be driven by a test.
 * The default uses the global timers; vitest's fake timers drive those in tests.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** An opaque timer handle. */
export type TimerHandle = unknown;

/** The global timers, unref'd so a pending timer never keeps the process alive on its own. */
export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
