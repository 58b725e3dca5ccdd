import { describe, expect, it } from 'vitest';
import { canonical, finalTable, outputDifferences, runDifferences } from './compare-runs.js';
import type { OutputRecord, TopologyRun } from './test-records.js';

const rec = (key: unknown, value: unknown, partition = 0, timestampMs = 0): OutputRecord => ({ key, value, partition, timestampMs });

describe('canonical', () => {
  it('is the same for equal values and different for look-alikes', () => {
    expect(canonical({ b: 1, a: [1, 'x'] })).toBe(canonical({ a: [1, 'x'], b: 1 }));
    expect(canonical(new Map([[{ k: 1 }, 2]]))).toBe(canonical(new Map([[{ k: 1 }, 2]])));
    const distinct = [1, 1n, '1', -0, 0, NaN, null, undefined, true, 'true', new Uint8Array([1]), [1], new Set([1]), new Date(1)];
    expect(new Set(distinct.map(canonical)).size).toBe(distinct.length);
  });

  it('reads windowed keys by value', () => {
    const a = { key: 'p', window: { startMs: 0, endMs: 10 } };
    const b = { window: { endMs: 10, startMs: 0 }, key: 'p' };
    expect(canonical(a)).toBe(canonical(b));
  });
});

describe('finalTable and differences', () => {
  it('keeps the last value per key; a null value deletes', () => {
    const t = finalTable([rec('a', 1), rec('b', 1), rec('a', 2), rec('b', null)]);
    expect([...t.values()]).toEqual([{ key: 'a', value: 2 }]);
  });

  it('names what differs under each view', () => {
    const expected = [rec('a', 1, 0, 5), rec('a', 2, 1, 6)];
    expect(outputDifferences('t', expected, [rec('a', 1, 0, 5), rec('a', 2, 1, 6)], 'sequence')).toEqual([]);
    expect(outputDifferences('t', expected, [rec('a', 2, 1, 6), rec('a', 1, 0, 5)], 'sequence')[0]).toContain('first difference at #0');
    expect(outputDifferences('t', expected, [rec('a', 2, 1, 6), rec('a', 1, 0, 5)], 'multiset')).toEqual([]);
    const multiset = outputDifferences('t', expected, [rec('a', 1), rec('a', 1)], 'multiset')[0];
    expect(multiset).toContain('"a" -> 2 missing 1x');
    expect(multiset).toContain('"a" -> 1 extra 1x');
    expect(outputDifferences('t', expected, [rec('a', 2)], 'table')).toEqual([]);
    expect(outputDifferences('t', expected, [rec('a', 3), rec('b', 1)], 'table')[0]).toMatch(/key "a": expected 2, got 3; key "b": expected no row, got 1/);
  });

  it('compares every output topic and store of two runs', () => {
    const run = (count: number): TopologyRun => ({ outputs: new Map([['out', [rec('a', count)]]]), stores: new Map([['s', new Map([['a', count]])]]) });
    expect(runDifferences(run(1), run(1), 'table')).toEqual([]);
    const diffs = runDifferences(run(1), run(2), 'table');
    expect(diffs).toHaveLength(2);
    expect(diffs[0]).toContain("output topic 'out'");
    expect(diffs[1]).toContain("store 's'");
  });
});
