/**
 * `JoinWindows`: how far apart in time two records of a stream-stream join may be (Kafka Streams' `JoinWindows`).
 */
import { StreamsError } from '../../src/errors.js';

function checkMs(what: string, ms: number, min: number): number {
  if (!Number.isSafeInteger(ms) || ms < min) {
    throw new StreamsError('INVALID_CONFIG', `${what} must be a safe integer of at least ${min} ms, got ${String(ms)}`);
  }
  return ms;
}

/**
 * The join window of `KStream.join/leftJoin/outerJoin(KStream)`: a record of this stream at time `t` joins the other
 * stream's records with timestamps in `[t - beforeMs, t + afterMs]` (symmetric after `ofTimeDifference*`; `before`
 * and `after` make it asymmetric, and one of them may be negative as long as `beforeMs + afterMs >= 0`). Records
 * arriving later than `graceMs` after their window closed are dropped; left/outer results without a partner are
 * emitted only once the window has closed (stream time > t + afterMs + graceMs for a left record), never early.
 * Immutable.
 *
 * @example
 * ```ts
 * payments.join(orders, (p, o) => ({ ...p, order: o }), JoinWindows.ofTimeDifferenceAndGrace(600_000, 60_000));
 * JoinWindows.ofTimeDifferenceWithNoGrace(10_000).after(0); // only other records up to 10 s before
 * ```
 */
export class JoinWindows {
  readonly kind = 'join' as const;

  private constructor(
    readonly beforeMs: number,
    readonly afterMs: number,
    readonly graceMs: number,
  ) {
    if (beforeMs + afterMs < 0) {
      throw new StreamsError('INVALID_CONFIG', `the join window (beforeMs + afterMs = ${beforeMs + afterMs} ms) must not be negative`);
    }
    Object.freeze(this);
  }

  /**
   * Records join when their timestamps differ by at most `timeDifferenceMs` (>= 0), with no grace period.
   *
   * @example `JoinWindows.ofTimeDifferenceWithNoGrace(5_000).sizeMs; // 10000`
   */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  /**
   * Records join when their timestamps differ by at most `timeDifferenceMs` (>= 0); out-of-order records are accepted
   * up to `graceMs` (>= 0) after their window closed. Throws `StreamsError('INVALID_CONFIG')` otherwise.
   *
   * @example `JoinWindows.ofTimeDifferenceAndGrace(60_000, 30_000).graceMs; // 30000`
   */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    checkMs('join window time difference', timeDifferenceMs, 0);
    checkMs('join window grace', graceMs, 0);
    return new JoinWindows(timeDifferenceMs, timeDifferenceMs, graceMs);
  }

  /**
   * A copy reaching `timeDifferenceMs` back from a record of this stream (may be negative if `afterMs` covers it).
   *
   * @example `JoinWindows.ofTimeDifferenceWithNoGrace(10).before(0); // other records from t to t + 10`
   */
  before(timeDifferenceMs: number): JoinWindows {
    checkMs('join window before', timeDifferenceMs, Number.MIN_SAFE_INTEGER);
    return new JoinWindows(timeDifferenceMs, this.afterMs, this.graceMs);
  }

  /**
   * A copy reaching `timeDifferenceMs` forward from a record of this stream (may be negative if `beforeMs` covers it).
   *
   * @example `JoinWindows.ofTimeDifferenceWithNoGrace(10).after(0); // other records from t - 10 to t`
   */
  after(timeDifferenceMs: number): JoinWindows {
    checkMs('join window after', timeDifferenceMs, Number.MIN_SAFE_INTEGER);
    return new JoinWindows(this.beforeMs, timeDifferenceMs, this.graceMs);
  }

  /** The window's span, `beforeMs + afterMs` (Kafka Streams' `size()`). @example `JoinWindows.ofTimeDifferenceWithNoGrace(5).sizeMs; // 10` */
  get sizeMs(): number {
    return this.beforeMs + this.afterMs;
  }

  /**
   * How long the join's window stores keep records: the window span plus the grace period (Kafka Streams sizes the
   * stores `size + grace` with `retainDuplicates`).
   *
   * @example `JoinWindows.ofTimeDifferenceAndGrace(5, 3).retentionMs; // 13`
   */
  get retentionMs(): number {
    return this.sizeMs + this.graceMs;
  }
}
