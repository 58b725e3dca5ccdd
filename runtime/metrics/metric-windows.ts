import type { WindowedStat } from './windowed-stat.js';

interface Sample {
  readonly t: number;
  readonly a: number;
  readonly b: number;
  /** The stat's max over the period that ended at `t`. */
  readonly max: number;
}

interface Entry {
  readonly samples: Sample[];
  pass: number;
  cachedAtMs: number;
  cachedValue: number;
}

/**
 * What a windowed read found: how much two accumulators grew over the window, how long the window is, and the
 * largest per-unit value recorded in it.
 *
 * @example
 * ```ts
 * const d: WindowedDelta = { da: 500, db: 0, dtMs: 10_000, max: 0 }; // 50 per second
 * ```
 */
export interface WindowedDelta {
  readonly da: number;
  readonly db: number;
  readonly dtMs: number;
  readonly max: number;
}

/**
 * Windowed rates, averages and maxima computed when metrics are read, never on the hot path: counters are plain
 * totals, and each read compares them with a sample taken about `windowMs` earlier (Kafka's
 * `metrics.sample.window.ms`). Samples are kept per metric key, one at most every quarter window, so a rate covers
 * between one and one and a quarter windows (or the time since the metric's origin, during its first window; or
 * since the last read, when reads are further apart than a window).
 *
 * Each read of all metrics is a pass ({@link beginPass} / {@link endPass}); keys not read in a pass (a closed task's)
 * are forgotten at its end.
 *
 * @example
 * ```ts
 * const windows = new MetricWindows(10_000);
 * windows.beginPass();
 * windows.rate('thread|process', clock.nowMs(), startedMs, counters.processTotal); // records per second
 * windows.endPass();
 * ```
 */
export class MetricWindows {
  readonly windowMs: number;
  readonly #entries = new Map<string, Entry>();
  #pass = 0;

  constructor(windowMs = 10_000) {
    this.windowMs = Math.max(1, windowMs);
  }

  /** Starts a read of every metric. */
  beginPass(): void {
    this.#pass++;
  }

  /** Ends a read: forgets the keys it did not touch. */
  endPass(): void {
    for (const [key, e] of this.#entries) if (e.pass !== this.#pass) this.#entries.delete(key);
  }

  /** Keys remembered (for tests). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * How much `a` and `b` grew over the window ending at `nowMs` (from 0 at `originMs` while no sample is older), and
   * the largest `stat.max` recorded in it. Takes a sample when the last one is a quarter window old, and then resets
   * `stat.max` (the next period's maximum starts afresh).
   */
  delta(key: string, nowMs: number, originMs: number, a: number, b: number, stat: WindowedStat | null): WindowedDelta {
    const e = this.#entry(key);
    const s = e.samples;
    const windowStart = nowMs - this.windowMs;
    while (s.length >= 2 && s[1]!.t <= windowStart) s.shift();
    // The base is the last sample at or before the window's start; while there is none (no sample was ever dropped),
    // the origin, where every total was 0. The maxima of the samples after the base are in the window.
    const base = s.length > 0 && s[0]!.t <= windowStart ? s[0]! : null;
    let max = stat === null ? 0 : stat.max;
    for (let i = base === null ? 0 : 1; i < s.length; i++) if (s[i]!.max > max) max = s[i]!.max;
    const out: WindowedDelta =
      base === null ? { da: a, db: b, dtMs: nowMs - originMs, max } : { da: a - base.a, db: b - base.b, dtMs: nowMs - base.t, max };
    const last = s[s.length - 1];
    if (last === undefined || nowMs - last.t >= this.windowMs / 4) {
      s.push({ t: nowMs, a, b, max: stat === null ? 0 : stat.max });
      if (stat !== null) stat.max = 0;
    }
    return out;
  }

  /** `total`'s growth per second over the window (0 while no time has passed). */
  rate(key: string, nowMs: number, originMs: number, total: number): number {
    const d = this.delta(key, nowMs, originMs, total, 0, null);
    return d.dtMs <= 0 ? 0 : (d.da * 1000) / d.dtMs;
  }

  /**
   * The windowed average of `stat` (its sum's growth over `count`'s growth; `count` defaults to the stat's own) and
   * its windowed maximum; 0 for both when nothing was recorded in the window.
   */
  averageAndMax(key: string, nowMs: number, originMs: number, stat: WindowedStat, count: number = stat.count): { avg: number; max: number } {
    const d = this.delta(key, nowMs, originMs, stat.sum, count, stat);
    return { avg: d.db <= 0 ? 0 : d.da / d.db, max: d.max };
  }

  /** `compute()`, called again only once `ttlMs` passed since the last call for `key` (for costly gauges). */
  cached(key: string, nowMs: number, ttlMs: number, compute: () => number): number {
    const e = this.#entry(key);
    if (e.cachedAtMs < 0 || nowMs - e.cachedAtMs >= ttlMs || nowMs < e.cachedAtMs) {
      e.cachedValue = compute();
      e.cachedAtMs = nowMs;
    }
    return e.cachedValue;
  }

  #entry(key: string): Entry {
    let e = this.#entries.get(key);
    if (e === undefined) this.#entries.set(key, (e = { samples: [], pass: this.#pass, cachedAtMs: -1, cachedValue: 0 }));
    e.pass = this.#pass;
    return e;
  }
}
