import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { StreamsError } from '../../src/errors.js';
import { JoinWindows } from './join-windows.js';

describe('JoinWindows', () => {
  it('is symmetric after ofTimeDifference*, with the grace given', () => {
    const w = JoinWindows.ofTimeDifferenceAndGrace(600_000, 60_000);
    expect([w.beforeMs, w.afterMs, w.graceMs, w.sizeMs, w.retentionMs]).toEqual([600_000, 600_000, 60_000, 1_200_000, 1_260_000]);
    expect(JoinWindows.ofTimeDifferenceWithNoGrace(5).graceMs).toBe(0);
    expect(Object.isFrozen(w)).toBe(true);
  });

  it('before/after make it asymmetric and may go negative while the span stays >= 0', () => {
    const w = JoinWindows.ofTimeDifferenceWithNoGrace(10).before(-5);
    expect([w.beforeMs, w.afterMs, w.sizeMs]).toEqual([-5, 10, 5]);
    expect(JoinWindows.ofTimeDifferenceWithNoGrace(10).after(0).afterMs).toBe(0);
    expect(() => JoinWindows.ofTimeDifferenceWithNoGrace(10).before(-11)).toThrow(StreamsError);
  });

  it('rejects negative or non-integer time differences and graces', () => {
    expect(() => JoinWindows.ofTimeDifferenceWithNoGrace(-1)).toThrow(/at least 0/);
    expect(() => JoinWindows.ofTimeDifferenceAndGrace(1, -1)).toThrow(StreamsError);
    expect(() => JoinWindows.ofTimeDifferenceWithNoGrace(1.5)).toThrow(StreamsError);
  });

  test.prop([fc.nat(1e9), fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: -1e9, max: 1e9 })])(
    'accepts exactly the before/after pairs with a non-negative span',
    (diff, before, after) => {
      const make = () => JoinWindows.ofTimeDifferenceWithNoGrace(diff).before(before).after(after);
      if (before + after >= 0 && before + diff >= 0) expect(make().sizeMs).toBe(before + after);
      else expect(make).toThrow(StreamsError);
    },
  );
});
