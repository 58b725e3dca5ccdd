import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

/** Bit-at-a-time CRC32C straight from the definition: the reference the table-driven code must match. */
function referenceCrc32c(buf: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc ^= buf[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check value and the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('covers [start, end) only and clamps the range to the buffer', () => {
    const buf = Buffer.from('xx123456789yy');
    expect(crc32c(buf, 2, 11)).toBe(0xe3069283);
    expect(crc32c(buf, -5, 100)).toBe(crc32c(buf));
    expect(crc32c(buf, 5, 5)).toBe(0);
  });

  test.prop([fc.uint8Array({ maxLength: 2048 }), fc.nat(), fc.nat()])(
    'equals the bit-by-bit reference on random buffers and ranges',
    (bytes, a, b) => {
      const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
      const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
      expect(crc32c(bytes, start, end)).toBe(referenceCrc32c(bytes, start, end));
    },
  );

  test.prop([fc.uint8Array({ minLength: 130, maxLength: 4096 }), fc.integer({ min: 0, max: 7 })])(
    'equals the reference on views at every alignment (the word-at-a-time path)',
    (bytes, shift) => {
      const backing = new Uint8Array(bytes.length + 8);
      backing.set(bytes, shift);
      const view = backing.subarray(shift, shift + bytes.length);
      expect(crc32c(view)).toBe(referenceCrc32c(bytes, 0, bytes.length));
    },
  );

  test.prop([fc.uint8Array({ maxLength: 1024 }), fc.nat()])('continues from a seed across split points', (bytes, k) => {
    const split = bytes.length === 0 ? 0 : k % (bytes.length + 1);
    expect(crc32c(bytes, split, bytes.length, crc32c(bytes, 0, split))).toBe(crc32c(bytes));
  });
});

describe('native and JS CRC32C agree', () => {
  it('on random buffers, ranges and seeds (the native path is used for inputs of 256 bytes and more)', async () => {
    const { crc32cJs, crc32cImplementation } = await import('./crc32c.js');
    // Report which path ran; both must give identical results either way.
    expect(['native', 'js']).toContain(crc32cImplementation);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (bytes, a, b, seed) => {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === start ? 0 : b % (bytes.length - start + 1));
        expect(crc32c(bytes, start, end, seed)).toBe(crc32cJs(bytes, start, end, seed));
        const mid = start + ((end - start) >> 1);
        expect(crc32c(bytes, mid, end, crc32c(bytes, start, mid))).toBe(crc32c(bytes, start, end));
      }),
      { numRuns: 300 },
    );
  });
});
