/**
 * A source of time, injected everywhere time matters so tests can run on virtual time.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(1_000);
 * clock.advance(500);
 * clock.nowMs(); // 1500
 * ```
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  nowMs(): number;
}

/** The real clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that moves only when told to; for tests. */
export class ManualClock implements Clock {
  #nowMs: number;
  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }
  nowMs(): number {
    return this.#nowMs;
  }
  advance(ms: number): void {
    this.#nowMs += ms;
  }
  set(ms: number): void {
    this.#nowMs = ms;
  }
}
