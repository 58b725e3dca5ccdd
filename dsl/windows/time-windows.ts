/**
 * `TimeWindows`: fixed-size, epoch-aligned windows for windowed aggregations, tumbling or hopping (Kafka Streams'
 * `TimeWindows`).
 */
import { StreamsError } from '../../src/errors.js';
import { timeWindow } from '../../src/state/windowed.js';
import type { TimeWindow } from '../../src/state/windowed.js';

function checkMs(what: string, ms: number, min: number): number {
  if (!Number.isSafeInteger(ms) || ms < min) {
    throw new StreamsError('INVALID_CONFIG', `${what} must be a safe integer of at least ${min} ms, got ${String(ms)}`);
  }
  return ms;
}

/**
 * Fixed-size time windows `[startMs, startMs + sizeMs)`, aligned to the epoch: windows start at multiples of
 * `advanceMs` (tumbling when `advanceMs === sizeMs`, the default; hopping, overlapping windows when smaller). A record
 * with timestamp t belongs to every window with `start <= t < start + sizeMs`; negative starts do not exist, so a
 * record near the epoch falls into fewer windows.
 *
 * Grace: a window accepts out-of-order records until stream time (the largest timestamp the aggregation has seen)
 * reaches `endMs + graceMs`; a record whose every window is closed by then is dropped (and counted as dropped).
 * Kafka Streams (3.0+) asks for the grace explicitly (`ofSizeWithNoGrace` / `ofSizeAndGrace`); the deprecated 24 h
 * default is not offered. Immutable.
 *
 * @example
 * ```ts
 * const tumbling = TimeWindows.ofSizeAndGrace(60_000, 10_000);             // 1-minute windows, 10 s grace
 * const hopping = TimeWindows.ofSizeWithNoGrace(300_000).advanceBy(60_000); // 5-minute windows every minute
 * hopping.windowsFor(130_000).map((w) => w.startMs);                         // [0, 60000, 120000]
 * ```
 */
export class TimeWindows {
  readonly kind = 'time' as const;

  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {
    Object.freeze(this);
  }

  /**
   * Tumbling windows of `sizeMs` (> 0) with no grace: a record is late as soon as stream time reaches its window's end.
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeWithNoGrace(60_000).graceMs; // 0
   * ```
   */
  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0);
  }

  /**
   * Tumbling windows of `sizeMs` (> 0) accepting records up to `graceMs` (>= 0) after their end. Throws
   * `StreamsError('INVALID_CONFIG')` otherwise.
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeAndGrace(60_000, 10_000);
   * ```
   */
  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    checkMs('window size', sizeMs, 1);
    checkMs('window grace', graceMs, 0);
    return new TimeWindows(sizeMs, sizeMs, graceMs);
  }

  /**
   * The same windows hopping by `advanceMs` (0 < advanceMs <= sizeMs, else `StreamsError('INVALID_CONFIG')`).
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeWithNoGrace(10_000).advanceBy(5_000).windowsFor(7_000).length; // 2
   * ```
   */
  advanceBy(advanceMs: number): TimeWindows {
    checkMs('window advance', advanceMs, 1);
    if (advanceMs > this.sizeMs) {
      throw new StreamsError('INVALID_CONFIG', `window advance (${advanceMs} ms) must not exceed the window size (${this.sizeMs} ms)`);
    }
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /**
   * The windows a record with this timestamp belongs to, by ascending start (Kafka Streams' `windowsFor`).
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeWithNoGrace(60_000).windowsFor(61_000); // [{ kind: 'time', startMs: 60000, endMs: 120000 }]
   * ```
   */
  windowsFor(timestampMs: number): TimeWindow[] {
    const windows: TimeWindow[] = [];
    let startMs = this.firstWindowStartMs(timestampMs);
    for (; startMs <= timestampMs; startMs += this.advanceMs) windows.push(timeWindow(startMs, startMs + this.sizeMs));
    return windows;
  }

  /**
   * The start of the earliest window containing `timestampMs` (the others follow every `advanceMs` up to it): the
   * allocation-free form of {@link TimeWindows.windowsFor} the aggregation uses.
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeWithNoGrace(300_000).advanceBy(60_000).firstWindowStartMs(130_000); // 0
   * ```
   */
  firstWindowStartMs(timestampMs: number): number {
    const a = this.advanceMs;
    return Math.floor(Math.max(0, timestampMs - this.sizeMs + a) / a) * a;
  }
}
