/**
 * CRC32C (Castagnoli), the checksum of Kafka's record batch v2: reflected polynomial 0x82F63B78, initial value
 * 0xFFFFFFFF, final xor 0xFFFFFFFF. Computed with slicing-by-16 over sixteen 256-entry Int32Array tables (16 input
 * bytes per loop step, table look-ups only); long inputs are read as aligned 32-bit words on little-endian hosts.
 */

import { createRequire } from 'node:module';

const POLY_REFLECTED = 0x82f63b78;

/**
 * SSE4.2/ARMv8 CRC32C from the optional dependency `@node-rs/crc32` (a prebuilt binary shipped in the registry
 * package, no install script): about 6 GB/s against about 1.3 GB/s for slicing-by-16 in JS. When it is not
 * installed (another platform, `--omit=optional`) the JS path below is used; both give the same results
 * (crc32c.test.ts checks them against each other). Short inputs stay in JS, where the call costs more than it saves.
 */
const nativeCrc32c: ((input: Buffer, initialState?: number) => number) | null = loadNative();
const NATIVE_THRESHOLD = 256;

function loadNative(): ((input: Buffer, initialState?: number) => number) | null {
  if (process.env['TRIBUTARY_PURE_JS_CRC'] === '1') return null;
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: (input: Buffer, initialState?: number) => number };
    const f = mod.crc32c;
    // Guard against an incompatible build: it must agree with the JS implementation on a known vector.
    return typeof f === 'function' && f(Buffer.from('123456789')) >>> 0 === 0xe3069283 ? f : null;
  } catch {
    return null;
  }
}

/** Which implementation {@link crc32c} uses for long inputs. */
export const crc32cImplementation: 'native' | 'js' = nativeCrc32c === null ? 'js' : 'native';
const SLICES = 16;

/** `TABLES[k * 256 + b]` = CRC of byte `b` followed by `k` zero bytes (the slicing-by-16 tables, flattened). */
const TABLES: Int32Array = buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(SLICES * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < SLICES; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/**
 * Computes the CRC32C of `buf[start, end)` as an unsigned 32-bit number.
 *
 * `seed` continues a previous computation: `crc32c(b, 0, n)` equals `crc32c(b, k, n, crc32c(b, 0, k))`, so a checksum
 * can be built up over several buffers. `start`/`end` are clamped to the buffer like `subarray`.
 *
 * @example
 * ```ts
 * crc32c(Buffer.from('123456789')); // 0xe3069283
 * const crc = crc32c(batch, 21, batch.length); // what Kafka stores at batch offset 17
 * ```
 */
export function crc32c(buf: Uint8Array, start = 0, end: number = buf.length, seed = 0): number {
  if (nativeCrc32c !== null && end - start >= NATIVE_THRESHOLD) {
    const s = start < 0 ? 0 : start;
    const e = end > buf.length ? buf.length : end;
    const view = Buffer.from(buf.buffer, buf.byteOffset + s, Math.max(0, e - s));
    return nativeCrc32c(view, seed) >>> 0;
  }
  return crc32cJs(buf, start, end, seed);
}

/**
 * The portable implementation; also the reference the native path is tested against.
 *
 * @example
 * ```ts
 * crc32cJs(Buffer.from('123456789')); // 0xe3069283
 * ```
 */
export function crc32cJs(buf: Uint8Array, start = 0, end: number = buf.length, seed = 0): number {
  let i = start < 0 ? 0 : start;
  const stop = end > buf.length ? buf.length : end;
  let crc = ~seed;
  if (stop - i >= WORDS_THRESHOLD) {
    // Align to 4 bytes, then read whole little-endian words through an Int32Array view (fewer loads and bounds checks).
    while (((buf.byteOffset + i) & 3) !== 0) crc = TABLES[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
    const words = ((stop - i) >>> 4) << 2;
    crc = crcWords(new Int32Array(buf.buffer, buf.byteOffset + i, words), crc);
    i += words << 2;
  }
  return ~crcBytes(buf, i, stop, crc) >>> 0;
}

/** Below this many bytes the Int32Array view costs more than it saves; big-endian hosts never use it. */
const WORDS_THRESHOLD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 128 : Number.POSITIVE_INFINITY;

/** Slicing-by-16 over bytes `[i, stop)`, on the raw (not inverted) CRC register. */
function crcBytes(buf: Uint8Array, i: number, stop: number, crc: number): number {
  const t = TABLES;
  const stop16 = stop - 16;
  while (i <= stop16) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc =
      t[0xf00 + (a & 0xff)]! ^
      t[0xe00 + ((a >>> 8) & 0xff)]! ^
      t[0xd00 + ((a >>> 16) & 0xff)]! ^
      t[0xc00 + (a >>> 24)]! ^
      t[0xb00 + buf[i + 4]!]! ^
      t[0xa00 + buf[i + 5]!]! ^
      t[0x900 + buf[i + 6]!]! ^
      t[0x800 + buf[i + 7]!]! ^
      t[0x700 + buf[i + 8]!]! ^
      t[0x600 + buf[i + 9]!]! ^
      t[0x500 + buf[i + 10]!]! ^
      t[0x400 + buf[i + 11]!]! ^
      t[0x300 + buf[i + 12]!]! ^
      t[0x200 + buf[i + 13]!]! ^
      t[0x100 + buf[i + 14]!]! ^
      t[buf[i + 15]!]!;
    i += 16;
  }
  while (i < stop) crc = t[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
  return crc;
}

/** Slicing-by-16 over little-endian words (a multiple of 4 of them), on the raw CRC register. */
function crcWords(w: Int32Array, crc: number): number {
  const t = TABLES;
  const n = w.length;
  for (let j = 0; j < n; j += 4) {
    const a = crc ^ w[j]!;
    const b = w[j + 1]!;
    const c = w[j + 2]!;
    const d = w[j + 3]!;
    crc =
      t[0xf00 + (a & 0xff)]! ^
      t[0xe00 + ((a >>> 8) & 0xff)]! ^
      t[0xd00 + ((a >>> 16) & 0xff)]! ^
      t[0xc00 + (a >>> 24)]! ^
      t[0xb00 + (b & 0xff)]! ^
      t[0xa00 + ((b >>> 8) & 0xff)]! ^
      t[0x900 + ((b >>> 16) & 0xff)]! ^
      t[0x800 + (b >>> 24)]! ^
      t[0x700 + (c & 0xff)]! ^
      t[0x600 + ((c >>> 8) & 0xff)]! ^
      t[0x500 + ((c >>> 16) & 0xff)]! ^
      t[0x400 + (c >>> 24)]! ^
      t[0x300 + (d & 0xff)]! ^
      t[0x200 + ((d >>> 8) & 0xff)]! ^
      t[0x100 + ((d >>> 16) & 0xff)]! ^
      t[d >>> 24]!;
  }
  return crc;
}
