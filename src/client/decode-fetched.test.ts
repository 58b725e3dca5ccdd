import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { crc32c } from '../broker/crc32c.js';
import { encodeBatch, type CompressionCodec } from '../broker/record-batch.js';
import { isStreamsError } from '../errors.js';
import { FetchedRecords, decodeFetched } from './decode-fetched.js';

/** A batch of `count` records with offsets base..base+count-1 and values `v<offset>`. */
function batch(base: number, count: number, options: { isControl?: boolean; compression?: CompressionCodec } = {}): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${base + i}`), timestampMs: 1_000 + base + i }));
  return encodeBatch(records, { baseOffset: base, ...options });
}

const offsets = (rs: readonly { offset: number }[]): number[] => rs.map((r) => r.offset);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('FetchedRecords', () => {
  it('hands out records a batch at a time, in offset order, across batches, without decoding ahead', () => {
    const bytes = Buffer.concat([batch(0, 3), batch(3, 4), batch(7, 2)]);
    const cursor = new FetchedRecords('t', 0, bytes, 0, true);
    expect(offsets(cursor.take(2, true))).toEqual([0, 1]);
    expect(offsets(cursor.take(3, true))).toEqual([2, 3, 4]);
    expect(cursor.isDone).toBe(false);
    expect(offsets(cursor.take(100, true))).toEqual([5, 6, 7, 8]);
    expect(cursor.isDone).toBe(true);
    expect(cursor.take(100, true)).toEqual([]);
  });

  it('skips records before `from` and control batches', () => {
    const bytes = Buffer.concat([batch(0, 5), batch(5, 1, { isControl: true }), batch(6, 2)]);
    const cursor = new FetchedRecords('t', 0, bytes, 3, true);
    expect(offsets(cursor.take(100, true))).toEqual([3, 4, 6, 7]);
    expect(cursor.isDone).toBe(true);
  });

  it('returns the good records before a corrupt batch first, then fails there with CORRUPT_RECORD naming its offset', () => {
    const bad = batch(4, 2);
    bad[bad.length - 2]! ^= 0x01; // a value byte (before the header count): the CRC no longer matches
    const cursor = new FetchedRecords('lines', 2, Buffer.concat([batch(0, 4), bad]), 0, true);
    expect(offsets(cursor.take(100, true))).toEqual([0, 1, 2, 3]);
    // A caller that already has records from other partitions asks not to throw: nothing, and the batch stays.
    expect(cursor.take(100, false)).toEqual([]);
    expect(cursor.isDone).toBe(false);
    expect(cursor.isBlocked).toBe(true);
    let error: unknown;
    try {
      cursor.take(100, true);
    } catch (e: unknown) {
      error = e;
    }
    expect(isStreamsError(error) && error.code === 'CORRUPT_RECORD' && error.offset === 4 && error.partition === 2).toBe(true);
  });

  it('does not check CRCs when asked not to', () => {
    const bad = batch(0, 2);
    bad[bad.length - 2]! ^= 0x01;
    expect(decodeFetched('t', 0, bad, 0, false)).toHaveLength(2);
    expect(() => decodeFetched('t', 0, bad, 0, true)).toThrow(/CRC32C/);
  });

  test.prop([fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 30 }), fc.nat(40)])(
    'taking in any chunk size yields exactly the records decodeFetched returns at once',
    (sizes, chunk, from) => {
      const batches: Buffer[] = [];
      let base = 0;
      for (const n of sizes) {
        batches.push(batch(base, n));
        base += n;
      }
      const bytes = Buffer.concat(batches);
      const cursor = new FetchedRecords('t', 0, bytes, from, true);
      const taken: number[] = [];
      for (let rs = cursor.take(chunk, true); rs.length > 0; rs = cursor.take(chunk, true)) {
        expect(rs.length).toBeLessThanOrEqual(chunk);
        taken.push(...offsets(rs));
      }
      expect(cursor.isDone).toBe(true);
      expect(taken).toEqual(range(Math.min(from, base), base));
      expect(offsets(decodeFetched('t', 0, bytes, from, true))).toEqual(taken);
    },
  );

  test.prop([fc.array(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.constantFrom<CompressionCodec>('none', 'gzip', 'snappy', 'lz4', 'zstd')), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 30 }), fc.nat(40)])(
    'compressed batches, codecs mixed, are taken exactly like uncompressed ones',
    (specs, chunk, from) => {
      const plain: Buffer[] = [];
      const mixed: Buffer[] = [];
      let base = 0;
      for (const [n, compression] of specs) {
        plain.push(batch(base, n));
        mixed.push(batch(base, n, { compression }));
        base += n;
      }
      const view = (rs: readonly { offset: number; timestampMs: number; value: Buffer | null }[]): unknown[] => rs.map((r) => [r.offset, r.timestampMs, r.value?.toString()]);
      const cursor = new FetchedRecords('t', 0, Buffer.concat(mixed), from, true);
      const taken: unknown[] = [];
      for (let rs = cursor.take(chunk, true); rs.length > 0; rs = cursor.take(chunk, true)) taken.push(...view(rs));
      expect(taken).toEqual(view(decodeFetched('t', 0, Buffer.concat(plain), from, true)));
    },
  );

  it('fails at a compressed batch that does not decompress (its CRC recomputed), or whose codec is unknown, naming its offset', () => {
    for (const [codecBits, code] of [[3, 'CORRUPT_RECORD'], [6, 'UNSUPPORTED_COMPRESSION_TYPE']] as const) {
      const bad = batch(5, 3, { compression: 'lz4' });
      bad.writeInt16BE((bad.readInt16BE(21) & ~7) | codecBits, 21);
      for (let i = 70; i < bad.length; i += 5) bad[i] = 0xaa;
      bad.writeUInt32BE(crc32c(bad, 21, bad.length), 17);
      const cursor = new FetchedRecords('lines', 1, Buffer.concat([batch(0, 5, { compression: 'zstd' }), bad]), 0, true);
      expect(offsets(cursor.take(100, true))).toEqual([0, 1, 2, 3, 4]);
      expect(cursor.take(100, false)).toEqual([]);
      expect(cursor.isBlocked).toBe(true);
      let error: unknown;
      try {
        cursor.take(100, true);
      } catch (e: unknown) {
        error = e;
      }
      expect(isStreamsError(error) ? [error.code, error.topic, error.partition, error.offset] : error).toEqual([code, 'lines', 1, 5]);
    }
  });
});
