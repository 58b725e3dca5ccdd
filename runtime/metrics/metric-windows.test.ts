import { describe, expect, it } from 'vitest';
import { MetricWindows } from './metric-windows.js';
import { WindowedStat } from './windowed-stat.js';

/** Reads `fn` in its own pass, as MetricsRegistry.metrics() does. */
function pass<T>(w: MetricWindows, fn: () => T): T {
  w.beginPass();
  try {
    return fn();
  } finally {
    w.endPass();
  }
}

describe('MetricWindows', () => {
  it('a rate is the growth since the origin at first, then over about one window', () => {
    const w = new MetricWindows(10_000);
    // 0 while no time has passed since the origin.
    expect(pass(w, () => w.rate('r', 1_000, 1_000, 50))).toBe(0);
    // Within the first window: everything since the origin (150 over 2 s).
    expect(pass(w, () => w.rate('r', 3_000, 1_000, 150))).toBe(75);
    // Read every second at a steady 10/s: the rate settles at 10/s whatever happened before the window.
    let total = 150;
    let rate = 0;
    for (let t = 4_000; t <= 40_000; t += 1_000) {
      total += 10;
      rate = pass(w, () => w.rate('r', t, 1_000, total));
    }
    expect(rate).toBeCloseTo(10, 10);
  });

  it('a rate over a gap longer than the window averages since the last sample', () => {
    const w = new MetricWindows(1_000);
    pass(w, () => w.rate('r', 0, 0, 0));
    expect(pass(w, () => w.rate('r', 60_000, 0, 600))).toBe(10);
  });

  it('averages and maxima cover the window; a maximum leaves it once its samples are older', () => {
    const w = new MetricWindows(4_000);
    const stat = new WindowedStat();
    stat.record(100, 10); // 10 ms per unit
    stat.record(4, 4); // 1 ms per unit
    expect(pass(w, () => w.averageAndMax('l', 0, 0, stat))).toEqual({ avg: 104 / 14, max: 10 });
    stat.record(2, 1);
    // Still in the first window: everything since the origin.
    expect(pass(w, () => w.averageAndMax('l', 1_000, 0, stat))).toEqual({ avg: 106 / 15, max: 10 });
    // Samples are taken every quarter window; by t=6000 the sample holding the max of 10 is out of the window.
    for (let t = 2_000; t <= 6_000; t += 1_000) {
      stat.record(3, 1);
      pass(w, () => w.averageAndMax('l', t, 0, stat));
    }
    stat.record(5, 1);
    const { avg, max } = pass(w, () => w.averageAndMax('l', 7_000, 0, stat));
    expect(max).toBe(5);
    expect(avg).toBeGreaterThanOrEqual(3);
    expect(avg).toBeLessThanOrEqual(5);
  });

  it('an average over a separate count (lateness over records processed)', () => {
    const w = new MetricWindows(10_000);
    const lateness = new WindowedStat();
    lateness.sum = 30;
    lateness.max = 20;
    expect(pass(w, () => w.averageAndMax('late', 1_000, 0, lateness, 6))).toEqual({ avg: 5, max: 20 });
  });

  it('forgets keys not read in a pass, and caches costly values for their ttl', () => {
    const w = new MetricWindows(10_000);
    pass(w, () => {
      w.rate('a', 0, 0, 1);
      w.rate('b', 0, 0, 1);
    });
    expect(w.size).toBe(2);
    pass(w, () => w.rate('a', 1, 0, 1));
    expect(w.size).toBe(1);
    let calls = 0;
    const compute = (): number => ++calls;
    pass(w, () => w.cached('size', 0, 30_000, compute));
    expect(pass(w, () => w.cached('size', 29_999, 30_000, compute))).toBe(1);
    expect(pass(w, () => w.cached('size', 30_000, 30_000, compute))).toBe(2);
    expect(pass(w, () => w.cached('size', 30_000, 0, compute))).toBe(3);
  });
});
