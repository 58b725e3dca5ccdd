/**
 * `EmitStrategy`: when a windowed aggregation forwards its results (Kafka Streams 3.3+, KIP-825).
 */

/**
 * When a windowed aggregation forwards: `'on-window-update'` (the default) forwards every window's new aggregate
 * with each record; `'on-window-close'` forwards each window's final aggregate exactly once, when the window closes,
 * read from the aggregation's own store: the cheaper alternative to `suppress(Suppressed.untilWindowCloses(...))`
 * (no second buffer, no second changelog). A window closes, as Kafka Streams computes it: time windows when stream
 * time >= end + grace; sliding windows (end inclusive) when stream time > end + grace; sessions when stream time >
 * end + gap + grace, or once the session store stops returning the session (at its default retention, gap + grace,
 * that is stream time >= end + gap + grace). Records for a window already forwarded are dropped (counted in
 * `dropped-records`). Merged-away sessions are never forwarded; as in Kafka, a late record within the gap of a
 * forwarded session can still merge it into a new, open session, which is forwarded when it closes.
 *
 * @example
 * ```ts
 * grouped.windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
 *   .emitStrategy(EmitStrategy.onWindowClose())
 *   .count();
 * grouped.windowedBy(SessionWindows.ofInactivityGapAndGrace(300_000, 60_000))
 *   .emitStrategy(EmitStrategy.onWindowClose())
 *   .count();
 * ```
 */
export class EmitStrategy {
  private static readonly UPDATE = new EmitStrategy('on-window-update');
  private static readonly CLOSE = new EmitStrategy('on-window-close');

  private constructor(readonly type: 'on-window-update' | 'on-window-close') {
    Object.freeze(this);
  }

  /**
   * Forward each window's final result once, when it closes.
   *
   * @example `EmitStrategy.onWindowClose().type; // 'on-window-close'`
   */
  static onWindowClose(): EmitStrategy {
    return EmitStrategy.CLOSE;
  }

  /**
   * Forward every update (the default).
   *
   * @example `EmitStrategy.onWindowUpdate().type; // 'on-window-update'`
   */
  static onWindowUpdate(): EmitStrategy {
    return EmitStrategy.UPDATE;
  }
}
