import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbCommitSchedule, arbCrashPoints, arbInstanceChanges, arbPartitioning, arbRecord, arbStream } from './arbitraries.js';
import type { TestRecord } from './test-records.js';

/** Stream time after each record: the largest event time so far. */
function streamTimes(records: readonly TestRecord<unknown, unknown>[]): number[] {
  let t = -1;
  return records.map((r) => (t = Math.max(t, r.timestampMs)));
}

describe('arbStream', () => {
  it('without disorder, event times never go back and steps stay within maxStepMs', () => {
    fc.assert(
      fc.property(arbStream({ keys: ['a', 'b'], values: [1, 2], maxLength: 30, startMs: 5_000, maxStepMs: 700 }), (records) => {
        expect(records.length).toBeLessThanOrEqual(30);
        records.forEach((r, i) => {
          const prev = i === 0 ? 5_000 : records[i - 1]!.timestampMs;
          expect(r.timestampMs - prev).toBeGreaterThanOrEqual(0);
          expect(r.timestampMs - prev).toBeLessThanOrEqual(700);
          expect(['a', 'b']).toContain(r.key);
          expect(r.value).not.toBeNull();
        });
      }),
      { numRuns: 100 },
    );
  });

  it('out-of-order records are at most outOfOrderMs behind stream time; late ones at most outOfOrderMs + lateMs, never below 0', () => {
    fc.assert(
      fc.property(arbStream({ keys: ['a'], values: ['x'], maxLength: 40, outOfOrderMs: 2_000, lateMs: 10_000 }), (records) => {
        const times = streamTimes(records);
        records.forEach((r, i) => {
          expect(r.timestampMs).toBeGreaterThanOrEqual(0);
          if (i > 0) expect(times[i - 1]! - r.timestampMs).toBeLessThanOrEqual(12_000);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('does produce out-of-order and late records when asked (the disorder is real, not only allowed)', () => {
    const samples = fc.sample(arbStream({ keys: ['a'], values: ['x'], minLength: 20, maxLength: 40, outOfOrderMs: 1_000, lateMs: 5_000 }), { numRuns: 50, seed: 7 });
    let outOfOrder = 0;
    let late = 0;
    for (const records of samples) {
      const times = streamTimes(records);
      records.forEach((r, i) => {
        const behind = i === 0 ? 0 : times[i - 1]! - r.timestampMs;
        if (behind > 1_000) late++;
        else if (behind > 0) outOfOrder++;
      });
    }
    expect(outOfOrder).toBeGreaterThan(20);
    expect(late).toBeGreaterThan(20);
  });

  it('tombstones: none by default, about the asked share otherwise', () => {
    const none = fc.sample(arbStream({ keys: ['a'], values: ['x'], minLength: 10 }), { numRuns: 30, seed: 1 }).flat();
    expect(none.every((r) => r.value !== null)).toBe(true);
    const half = fc.sample(arbStream({ keys: ['a'], values: ['x'], minLength: 20, maxLength: 20, tombstones: 0.5 }), { numRuns: 30, seed: 2 }).flat();
    const share = half.filter((r) => r.value === null).length / half.length;
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.7);
  });

  it('shrinks a failing stream to a small one in order', () => {
    const details = fc.check(
      fc.property(arbStream({ keys: ['a', 'b'], values: fc.nat(9), maxLength: 30, outOfOrderMs: 500 }), (records) => records.filter((r) => r.key === 'b').length < 2),
      { seed: 42, numRuns: 200 },
    );
    expect(details.failed).toBe(true);
    const shrunk = details.counterexample![0];
    expect(shrunk.map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['b', 0, 0],
      ['b', 0, 0],
    ]);
  });

  it('rejects impossible options', () => {
    expect(() => arbStream({ keys: ['a'], values: ['x'], lateMs: -1 })).toThrow(RangeError);
    expect(() => arbStream({ keys: ['a'], values: ['x'], tombstones: 2 })).toThrow(RangeError);
    expect(() => arbStream({ keys: [], values: ['x'] })).toThrow(RangeError);
  });
});

describe('the other arbitraries', () => {
  it('arbRecord draws key, value and time from what it is given', () => {
    fc.assert(
      fc.property(arbRecord({ key: ['k', null], value: fc.constant(7), timestamp: fc.integer({ min: 10, max: 20 }) }), (r) => {
        expect(['k', null]).toContain(r.key);
        expect(r.value).toBe(7);
        expect(r.timestampMs).toBeGreaterThanOrEqual(10);
        expect(r.timestampMs).toBeLessThanOrEqual(20);
      }),
    );
  });

  it('arbPartitioning stays within bounds; spread: false keeps Kafka’s partitioner', () => {
    fc.assert(
      fc.property(arbPartitioning({ minPartitions: 2, maxPartitions: 5 }), arbPartitioning({ spread: false }), (p, q) => {
        expect(p.partitions).toBeGreaterThanOrEqual(2);
        expect(p.partitions).toBeLessThanOrEqual(5);
        expect(q.salt).toBeNull();
      }),
    );
    const salts = fc.sample(arbPartitioning(), { numRuns: 100, seed: 3 }).map((p) => p.salt);
    expect(salts.some((s) => s === null)).toBe(true);
    expect(salts.some((s) => s !== null)).toBe(true);
  });

  it('arbCommitSchedule gives usable schedules; arbCrashPoints and arbInstanceChanges at least one point', () => {
    fc.assert(
      fc.property(arbCommitSchedule({ maxBatch: 3 }), arbCrashPoints({ maxPoints: 2 }), arbInstanceChanges(), (s, points, changes) => {
        expect(s.batchSizes.length).toBeGreaterThan(0);
        expect(s.batchSizes.every((n) => n >= 1 && n <= 3)).toBe(true);
        expect(s.maxPollRecords).toBeGreaterThanOrEqual(1);
        expect(s.cacheMaxBytes === undefined || s.cacheMaxBytes >= 0).toBe(true);
        expect(points.length).toBeGreaterThanOrEqual(1);
        expect(points.length).toBeLessThanOrEqual(2);
        expect(changes.every((c) => c.kind === 'addInstance' || c.kind === 'removeInstance')).toBe(true);
      }),
    );
  });
});
