import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../errors.js';
import {
  readInt16BE,
  readInt32BE,
  readInt64BE,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeInt16BE,
  writeInt32BE,
  writeInt64BE,
  writeVarint,
  writeVarlong,
} from './varint.js';

function encodeVarint(n: number): string {
  const buf = new Uint8Array(10);
  return Buffer.from(buf.subarray(0, writeVarint(buf, 0, n))).toString('hex');
}

function encodeVarlong(n: number): string {
  const buf = new Uint8Array(10);
  return Buffer.from(buf.subarray(0, writeVarlong(buf, 0, n))).toString('hex');
}

function decode(hex: string, long: boolean): number {
  const buf = Buffer.from(hex, 'hex');
  const cur = { pos: 0 };
  const v = long ? readVarlong(buf, cur, buf.length) : readVarint(buf, cur, buf.length);
  expect(cur.pos).toBe(buf.length);
  return v;
}

function corruptError(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e: unknown) {
    return isStreamsError(e, 'CORRUPT_RECORD');
  }
}

describe('varint', () => {
  // The encodings Kafka's ByteUtilsTest pins for zigzag varints.
  const vectors: Array<[number, string]> = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [-65, '8101'],
    [8191, 'fe7f'],
    [-8192, 'ff7f'],
    [8192, '808001'],
    [-8193, '818001'],
    [1048575, 'feff7f'],
    [-1048576, 'ffff7f'],
    [1048576, '80808001'],
    [-1048577, '81808001'],
    [134217727, 'feffff7f'],
    [-134217728, 'ffffff7f'],
    [134217728, '8080808001'],
    [-134217729, '8180808001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];

  it.each(vectors)('encodes %d as %s, as varint and as varlong', (n, hex) => {
    expect(encodeVarint(n)).toBe(hex);
    expect(encodeVarlong(n)).toBe(hex);
    expect(sizeOfVarint(n)).toBe(hex.length / 2);
    expect(sizeOfVarlong(n)).toBe(hex.length / 2);
    expect(decode(hex, false)).toBe(n);
    expect(decode(hex, true)).toBe(n);
  });

  it('encodes varlongs beyond 32 bits up to 2^53 in magnitude', () => {
    expect(encodeVarlong(2 ** 31)).toBe('8080808010');
    expect(encodeVarlong(-(2 ** 31) - 1)).toBe('8180808010');
    expect(encodeVarlong(2 ** 53)).toBe('8080808080808020');
    expect(encodeVarlong(-(2 ** 53))).toBe('ffffffffffffff1f');
    expect(decode('8080808080808020', true)).toBe(2 ** 53);
    expect(decode('ffffffffffffff1f', true)).toBe(-(2 ** 53));
  });

  test.prop([fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })])('varint round-trips every int32', (n) => {
    const hex = encodeVarint(n);
    expect(hex.length / 2).toBe(sizeOfVarint(n));
    expect(decode(hex, false)).toBe(n);
  });

  test.prop([fc.oneof(fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 35, -(2 ** 35) - 1))])(
    'varlong round-trips every integer of magnitude <= 2^53',
    (n) => {
      const hex = encodeVarlong(n);
      expect(hex.length / 2).toBe(sizeOfVarlong(n));
      expect(decode(hex, true)).toBe(n);
    },
  );

  it('rejects truncated, over-long and out-of-range encodings with CORRUPT_RECORD', () => {
    const cur = () => ({ pos: 0 });
    expect(corruptError(() => readVarint(Uint8Array.of(), cur(), 0))).toBe(true);
    expect(corruptError(() => readVarint(Uint8Array.of(0x80, 0x80), cur(), 2))).toBe(true);
    expect(corruptError(() => readVarint(Uint8Array.of(0x80, 0x01), cur(), 1))).toBe(true); // end before the buffer's
    expect(corruptError(() => readVarint(Buffer.from('8080808080', 'hex'), cur(), 5))).toBe(true);
    expect(corruptError(() => readVarint(Buffer.from('808080808001', 'hex'), cur(), 6))).toBe(true);
    expect(corruptError(() => readVarlong(Buffer.from('80808080808080808080', 'hex'), cur(), 10))).toBe(true);
    // 2^53 + 1 and -(2^53) - 1 cannot be represented exactly.
    expect(corruptError(() => readVarlong(Buffer.from('8280808080808020', 'hex'), cur(), 8))).toBe(true);
    expect(corruptError(() => readVarlong(Buffer.from('8180808080808020', 'hex'), cur(), 8))).toBe(true);
    // Long.MAX_VALUE, as Java writes it.
    expect(corruptError(() => readVarlong(Buffer.from('feffffffffffffffff01', 'hex'), cur(), 10))).toBe(true);
  });

  test.prop([fc.uint8Array({ maxLength: 12 })])('readers never throw anything but CORRUPT_RECORD', (bytes) => {
    for (const read of [readVarint, readVarlong]) {
      try {
        const cur = { pos: 0 };
        const v = read(bytes, cur, bytes.length);
        expect(Number.isSafeInteger(v) || Math.abs(v) === 2 ** 53).toBe(true);
        expect(cur.pos).toBeGreaterThan(0);
      } catch (e: unknown) {
        expect(isStreamsError(e, 'CORRUPT_RECORD')).toBe(true);
      }
    }
  });
});

describe('fixed-width big-endian helpers', () => {
  test.prop([fc.integer({ min: -(2 ** 15), max: 2 ** 15 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.maxSafeInteger()])(
    'agree with Buffer and round-trip',
    (i16, i32, i64) => {
      const buf = Buffer.alloc(14);
      writeInt16BE(buf, 0, i16);
      writeInt32BE(buf, 2, i32);
      writeInt64BE(buf, 6, i64);
      expect(buf.readInt16BE(0)).toBe(i16);
      expect(buf.readInt32BE(2)).toBe(i32);
      expect(buf.readBigInt64BE(6)).toBe(BigInt(i64));
      expect([readInt16BE(buf, 0), readInt32BE(buf, 2), readInt64BE(buf, 6)]).toEqual([i16, i32, i64]);
      writeInt64BE(buf, 6, -i64);
      expect(readInt64BE(buf, 6)).toBe(-i64 === 0 ? 0 : -i64);
    },
  );
});
