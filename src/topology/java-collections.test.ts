import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { javaStringHashCode } from '../util/java-hash.js';
import { JavaTreeSet, javaHashSetCopyOrder, javaHashSetOrder } from './java-collections.js';

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe('javaStringHashCode', () => {
  it('matches Java String.hashCode() on known values', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('Aa')).toBe(2112);
    expect(javaStringHashCode('BB')).toBe(2112);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648); // the classic Integer.MIN_VALUE hash
  });
});

describe('javaHashSetOrder', () => {
  // Independent model for sets whose bins stay short: iteration is by bucket index in the final table (16 buckets,
  // doubling while size > 0.75 * buckets), ties in insertion order.
  const bucketModel = (items: readonly string[]): string[] => {
    const unique = [...new Set(items)];
    let capacity = 16;
    while (unique.length > capacity * 0.75) capacity *= 2;
    const bucket = (s: string): number => {
      const h = javaStringHashCode(s);
      return (h ^ (h >>> 16)) & (capacity - 1);
    };
    return unique.map((s, i) => ({ s, i, b: bucket(s) })).sort((x, y) => x.b - y.b || x.i - y.i).map((x) => x.s);
  };

  // Up to 40 random strings never put 9 in one bin (that needs deliberate hash collisions, tested below).
  test.prop([fc.array(fc.string({ maxLength: 12 }), { maxLength: 40 })])('orders by hash bucket, then insertion', (items) => {
    expect(javaHashSetOrder(items)).toEqual(bucketModel(items));
  });

  // Expected orders in the tests below were checked against OpenJDK 17's java.util.HashSet.
  it('keeps colliding strings in insertion order and drops duplicates', () => {
    expect(javaHashSetOrder(['BB', 'Aa', 'BB'])).toEqual(['BB', 'Aa']);
    expect(javaHashSetOrder(['Aa', 'BB'])).toEqual(['Aa', 'BB']);
    expect(javaHashSetOrder(['c', 'b', 'a'])).toEqual(['a', 'b', 'c']);
  });

  it('grows the table when one bin reaches 9 entries (treeify threshold) while the table is small', () => {
    // 9 strings with equal hashCode (all combinations of Aa/BB blocks) land in one bin of the 16-bucket table.
    const colliding: string[] = [];
    for (const a of ['Aa', 'BB']) for (const b of ['Aa', 'BB']) for (const c of ['Aa', 'BB']) for (const d of ['Aa', 'BB']) colliding.push(a + b + c + d);
    expect(new Set(colliding.map(javaStringHashCode)).size).toBe(1);
    // Their bin is 9 in both 16 and 32 buckets; 'x' is bucket 8 of 16 but 24 of 32. Ten entries stay under the load
    // threshold (12), so only the treeify rule can have grown the table: 'x' then comes last, not first.
    const order = javaHashSetOrder([...colliding.slice(0, 9), 'x']);
    expect(order).toEqual([...colliding.slice(0, 9), 'x']);
    expect(javaHashSetOrder([...colliding.slice(0, 8), 'x'])).toEqual(['x', ...colliding.slice(0, 8)]);
  });

  it('sizes the copy constructor table for the source collection', () => {
    expect(javaHashSetCopyOrder(['c', 'b', 'a'])).toEqual(['a', 'b', 'c']);
    expect(javaHashSetCopyOrder(['orders-us', 'orders-eu', 'orders-apac'])).toEqual(['orders-us', 'orders-apac', 'orders-eu']);
    expect(javaHashSetCopyOrder(javaHashSetOrder(['b-store', 'a-store', 'c-store']))).toEqual(['b-store', 'a-store', 'c-store']);
    const many = Array.from({ length: 30 }, (_, i) => `topic-${i}`);
    expect([...javaHashSetCopyOrder(many)].sort()).toEqual([...many].sort());
  });
});

describe('JavaTreeSet', () => {
  test.prop([fc.array(fc.string({ maxLength: 6 }), { maxLength: 200 })])(
    'with a consistent comparator: sorted, without duplicates',
    (items) => {
      const set = new JavaTreeSet(byString);
      const added = items.map((s) => set.add(s));
      const unique = [...new Set(items)].sort(byString);
      expect(set.values()).toEqual(unique);
      expect(set.size).toBe(unique.length);
      expect(added.filter(Boolean).length).toBe(unique.length);
    },
  );

  it('places a new element by comparing with the current keys on the way down, as Java does', () => {
    // A comparator reading mutable weights: after element 'a' gets heavier, 'b' (lighter) goes to its right.
    const weight = new Map([['a', 1], ['b', 1], ['c', 1]]);
    const set = new JavaTreeSet<string>((x, y) => (x === y ? 0 : weight.get(y)! - weight.get(x)! || byString(x, y)));
    set.add('b');
    weight.set('b', 5);
    set.add('a');
    set.add('c');
    expect(set.values()).toEqual(['b', 'a', 'c']);
  });
});
