/**
 * `SlidingWindows`: windows defined by record timestamps rather than the epoch (Kafka Streams' `SlidingWindows`).
 */
import { StreamsError } from '../../src/errors.js';

function checkMs(what: string, ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new StreamsError('INVALID_CONFIG', `${what} must be a non-negative safe integer of ms, got ${String(ms)}`);
  }
  return ms;
}

/**
 * Sliding windows of a maximum time difference: two records are in a common window when their timestamps differ by at
 * most `timeDifferenceMs`. Windows are `[startMs, startMs + timeDifferenceMs]`, both bounds inclusive, and exist only
 * where records are: each record creates its own window ending at its timestamp (its left window), and the window
 * starting just after it (its right window) when later records fall in it; no empty windows are created. Records
 * with a timestamp below `timeDifferenceMs` share the window `[0, timeDifferenceMs]` (no negative starts).
 *
 * Grace: as for time windows, a window takes records until stream time reaches `endMs + graceMs`; a record whose
 * windows are all closed (`t + 1 + timeDifferenceMs <= streamTime - graceMs`) is dropped. Immutable.
 *
 * @example
 * ```ts
 * grouped.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10_000, 5_000)).count();
 * ```
 */
export class SlidingWindows {
  readonly kind = 'sliding' as const;

  private constructor(
    readonly timeDifferenceMs: number,
    readonly graceMs: number,
  ) {
    Object.freeze(this);
  }

  /**
   * Sliding windows of `timeDifferenceMs` (>= 0) with no grace.
   *
   * @example
   * ```ts
   * SlidingWindows.ofTimeDifferenceWithNoGrace(10_000).graceMs; // 0
   * ```
   */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  /**
   * Sliding windows of `timeDifferenceMs` (>= 0) accepting records `graceMs` (>= 0) after a window ends; throws
   * `StreamsError('INVALID_CONFIG')` otherwise.
   *
   * @example
   * ```ts
   * SlidingWindows.ofTimeDifferenceAndGrace(10_000, 2_000);
   * ```
   */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows(checkMs('time difference', timeDifferenceMs), checkMs('window grace', graceMs));
  }
}
