import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { nameFor } from './node-names.js';
import { TopologyError } from './topology-error.js';

describe('nameFor', () => {
  it("makes Kafka Streams' generated names", () => {
    expect(nameFor('KSTREAM-FILTER-', 3)).toBe('KSTREAM-FILTER-0000000003');
    expect(nameFor('KSTREAM-FILTER', 3)).toBe('KSTREAM-FILTER-0000000003');
    expect(nameFor('KTABLE-SOURCE-', 0)).toBe('KTABLE-SOURCE-0000000000');
    expect(nameFor('KSTREAM-AGGREGATE-STATE-STORE-', 1)).toBe('KSTREAM-AGGREGATE-STATE-STORE-0000000001');
    expect(nameFor('X', 12345678901)).toBe('X-12345678901'); // past 10 digits, like Java's %010d
  });

  test.prop([fc.nat(), fc.nat()])('sorts in index order (below 10 digits) and never collides', (a, b) => {
    const x = nameFor('KSTREAM-MAP', a);
    const y = nameFor('KSTREAM-MAP', b);
    expect(x === y).toBe(a === b);
    if (a < 1e10 && b < 1e10) expect(x < y).toBe(a < b);
  });

  it('rejects indexes that are not non-negative integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => nameFor('P', bad)).toThrow(TopologyError);
  });
});
