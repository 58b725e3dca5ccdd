import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../errors.js';
import { murmur2, partitionForKey, toPositive } from './murmur2.js';

describe('murmur2', () => {
  it("matches Kafka's UtilsTest.testMurmur2 vectors", () => {
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Uint8Array.of(0x61, 0x62, 0x63))).toBe(479470107);
  });

  it('matches values other clients pin against the Java implementation, for every tail length', () => {
    // From akka's Murmur2Spec and librdkafka's rdmurmur2.c (Java-compatible mode).
    const vectors: Array<[string, number]> = [
      ['', 275646681],
      ['1', -1993445489],
      ['12', 126087238],
      ['123', -267702483],
      ['1234', -1614185708],
      ['12345', -1188365604],
      ['kafka', -798503068],
      ['giberish123456789', -1890243828],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  test.prop([fc.uint8Array({ maxLength: 64 })])('returns a signed 32-bit integer and reads only the view', (bytes) => {
    const h = murmur2(bytes);
    expect(h).toBe(h | 0);
    const backing = new Uint8Array(bytes.length + 6).fill(0xab);
    backing.set(bytes, 3);
    expect(murmur2(backing.subarray(3, 3 + bytes.length))).toBe(h);
  });
});

describe('partitionForKey', () => {
  it("is Kafka's toPositive(murmur2(key)) % numPartitions", () => {
    // murmur2('foobar') = -790332482 -> & 0x7fffffff = 1357151166 -> % 50 = 16
    expect(partitionForKey(Buffer.from('foobar'), 50)).toBe(16);
    expect(partitionForKey(Buffer.from('21'), 12)).toBe(1173551340 % 12);
    expect(toPositive(-973932308)).toBe(1173551340);
    expect(toPositive(-(2 ** 31))).toBe(0);
    expect(toPositive(-1)).toBe(0x7fffffff);
  });

  test.prop([fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 1, max: 10_000 })])('lands in [0, numPartitions)', (key, n) => {
    const p = partitionForKey(key, n);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(n);
    expect(p).toBe((murmur2(key) & 0x7fffffff) % n);
  });

  it('rejects a partition count that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) {
      let caught: unknown;
      try {
        partitionForKey(Buffer.from('k'), n);
      } catch (e: unknown) {
        caught = e;
      }
      expect(isStreamsError(caught, 'INVALID_PARTITIONS')).toBe(true);
    }
  });
});
