import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTied, keyPrefix, lowerBound, upperBound } from './key-prefix-search.js';

// Bytes at the signed/unsigned and padding edges, lengths around 4, so prefixes tie often.
const key = fc.array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff), { maxLength: 7 }).map((a) => Buffer.from(a));
const edgeBytes = (maxLength: number) => fc.array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff), { maxLength });
// Two keys that start alike (up to four shared bytes, either cut short), so most pairs tie on their prefixes.
const alike = fc
  .tuple(edgeBytes(4), fc.nat(4), fc.nat(4), edgeBytes(3), edgeBytes(3))
  .map(([start, cutA, cutB, tailA, tailB]) => [
    Buffer.from([...start.slice(0, cutA), ...(cutA >= start.length ? tailA : [])]),
    Buffer.from([...start.slice(0, cutB), ...(cutB >= start.length ? tailB : [])]),
  ]);
const anyKey = fc.oneof(key, fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)));
const pair = fc.oneof(fc.tuple(anyKey, anyKey), alike);

describe('keyPrefix and compareTied', () => {
  it('order any two keys as Buffer.compare does: by prefix, and by compareTied when prefixes tie', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const expected = Buffer.compare(a, b);
        const pa = keyPrefix(a);
        const pb = keyPrefix(b);
        expect(pa | 0).toBe(pa);
        if (pa !== pb) expect(Math.sign(pa - pb)).toBe(expected);
        else expect(Math.sign(compareTied(a, b))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('tie on keys that differ only past the fourth byte or in trailing zeros', () => {
    expect(keyPrefix(Buffer.from([1]))).toBe(keyPrefix(Buffer.from([1, 0, 0])));
    expect(compareTied(Buffer.from([1]), Buffer.from([1, 0, 0]))).toBeLessThan(0);
    expect(keyPrefix(Buffer.from('user-1'))).toBe(keyPrefix(Buffer.from('user-2')));
    expect(compareTied(Buffer.from('user-2'), Buffer.from('user-1'))).toBeGreaterThan(0);
    const long = Buffer.alloc(40, 7);
    const longer = Buffer.concat([long, Buffer.from([0])]);
    expect(compareTied(long, longer)).toBeLessThan(0);
  });
});

describe('lowerBound and upperBound', () => {
  it('find the first key >= and > the probe in any sorted array of keys', () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { selector: (k) => k.toString('hex'), maxLength: 30 }), key, (keys, probe) => {
        keys.sort(Buffer.compare);
        const prefixes = keys.map(keyPrefix);
        const lower = keys.findIndex((k) => Buffer.compare(k, probe) >= 0);
        const upper = keys.findIndex((k) => Buffer.compare(k, probe) > 0);
        expect(lowerBound(keys, prefixes, probe, keyPrefix(probe))).toBe(lower === -1 ? keys.length : lower);
        expect(upperBound(keys, prefixes, probe, keyPrefix(probe))).toBe(upper === -1 ? keys.length : upper);
      }),
      { numRuns: 500 },
    );
  });
});
