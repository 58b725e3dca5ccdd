/**
 * `EmitStrategy`: when a windowed aggregation forwards its results (Kafka Streams 3.3+, KIP-825).
 */

/**
 * When a windowed aggregation forwards: `'on-window-update'` (the default) forwards every window's new aggregate
 * with each record; `'on-window-close'` forwards each window's final aggregate exactly once, when the window closes
 * (stream time >= window end + grace), read from the aggregation's own store: the cheaper alternative to
 * `suppress(Suppressed.untilWindowCloses(...))` (no second buffer, no second changelog).
 *
 * @example
 * ```ts
 * grouped.windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
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
