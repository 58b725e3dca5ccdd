/**
 * `SessionWindows`: activity sessions separated by gaps of inactivity (Kafka Streams' `SessionWindows`).
 */
import { StreamsError } from '../../src/errors.js';

function checkMs(what: string, ms: number, min: number): number {
  if (!Number.isSafeInteger(ms) || ms < min) {
    throw new StreamsError('INVALID_CONFIG', `${what} must be a safe integer of at least ${min} ms, got ${String(ms)}`);
  }
  return ms;
}

/**
 * Session windows: per key, records closer than `inactivityGapMs` to each other (|t1 - t2| <= gap) belong to one
 * session `[first timestamp, last timestamp]` (both inclusive). A record that falls between two sessions within the
 * gap of both merges them: the merged sessions are removed from the store and tombstones are forwarded for them.
 *
 * Grace: a session stays open for late records until stream time passes `endMs + inactivityGapMs + graceMs`; a record
 * whose (merged) session ends before `streamTime - gap - grace` is dropped. Immutable.
 *
 * @example
 * ```ts
 * grouped.windowedBy(SessionWindows.ofInactivityGapAndGrace(300_000, 30_000)).count();
 * ```
 */
export class SessionWindows {
  readonly kind = 'session' as const;

  private constructor(
    readonly inactivityGapMs: number,
    readonly graceMs: number,
  ) {
    Object.freeze(this);
  }

  /**
   * Sessions with this inactivity gap (> 0) and no grace.
   *
   * @example
   * ```ts
   * SessionWindows.ofInactivityGapWithNoGrace(300_000).graceMs; // 0
   * ```
   */
  static ofInactivityGapWithNoGrace(inactivityGapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(inactivityGapMs, 0);
  }

  /**
   * Sessions with this inactivity gap (> 0) and grace (>= 0); throws `StreamsError('INVALID_CONFIG')` otherwise.
   *
   * @example
   * ```ts
   * SessionWindows.ofInactivityGapAndGrace(300_000, 30_000);
   * ```
   */
  static ofInactivityGapAndGrace(inactivityGapMs: number, graceMs: number): SessionWindows {
    return new SessionWindows(checkMs('inactivity gap', inactivityGapMs, 1), checkMs('session grace', graceMs, 0));
  }
}
