/**
 * Timers, injected beside the Clock so components that wait (long polls, session timeouts) can be driven by a test.
 * The default uses the global timers; vitest's fake timers drive those in tests.
 */
export interface Timers {
  /** `keepAlive`: the timer holds the process open while pending (a long poll a caller awaits); default false. */
  setTimeout(fn: () => void, ms: number, keepAlive?: boolean): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** An opaque timer handle. */
export type TimerHandle = unknown;

/** The global timers; unref'd unless `keepAlive`, so background timers never keep the process alive on their own. */
export const systemTimers: Timers = {
  setTimeout(fn, ms, keepAlive = false) {
    const t = setTimeout(fn, ms);
    if (!keepAlive) t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
