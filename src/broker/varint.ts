/**
 * Zigzag variable-length integers as Kafka's `ByteUtils` writes them (protobuf's sint32/sint64): the sign is moved to
 * bit 0 (`(n << 1) ^ (n >> 63)`) and the result is written 7 bits at a time, least significant group first, with the
 * high bit of each byte set when more follow. A varint carries an int32 (at most 5 bytes); a varlong an int64 (at
 * most 10 bytes), limited here to JS numbers of magnitude <= 2^53.
 *
 * Readers advance a {@link Cursor} and throw `StreamsError('CORRUPT_RECORD')` on a truncated or over-long encoding,
 * so callers parsing untrusted bytes get one error type. Big-endian fixed-width helpers for the batch header are
 * here too, working on plain `Uint8Array`s without allocating.
 */
import { StreamsError } from '../errors.js';

/**
 * A read position that readers advance past what they consumed.
 *
 * @example
 * ```ts
 * const cur: Cursor = { pos: 0 };
 * const n = readVarint(buf, cur, buf.length); // cur.pos now points after the varint
 * ```
 */
export interface Cursor {
  pos: number;
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_31 = 0x8000_0000;
/** `hi` (bits 32..63 of a zigzag value) at which `z >>> 1` reaches 2^53. */
const HI_LIMIT = 0x40_0000;

function truncated(): StreamsError {
  return new StreamsError('CORRUPT_RECORD', 'varint runs past the end of its buffer');
}

/**
 * The number of bytes `writeVarint` uses for the int32 `value`.
 *
 * @example
 * ```ts
 * sizeOfVarint(-1); // 1 (zigzag 1)
 * sizeOfVarint(64); // 2 (zigzag 128)
 * ```
 */
export function sizeOfVarint(value: number): number {
  const z = ((value << 1) ^ (value >> 31)) >>> 0;
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x20_0000) return 3;
  if (z < 0x1000_0000) return 4;
  return 5;
}

/**
 * The number of bytes `writeVarlong` uses for the safe integer `value`.
 *
 * @example
 * ```ts
 * sizeOfVarlong(1_700_000_000_000); // 6
 * ```
 */
export function sizeOfVarlong(value: number): number {
  if (value >= -0x4000_0000 && value < 0x4000_0000) return sizeOfVarint(value);
  // zigzag(v) < 2^(7k) <=> 2|v| (+1 if negative) <= 2^(7k) - 1; compare magnitudes as floats (exact below 2^53).
  const z = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 5;
  let limit = 2 ** 35;
  while (z >= limit && size < 10) {
    size++;
    limit *= 128;
  }
  return size;
}

/**
 * Writes `value` (an int32) as a zigzag varint at `pos` and returns the position after it.
 *
 * @example
 * ```ts
 * const end = writeVarint(buf, 0, -2); // buf[0] = 3, end = 1
 * ```
 */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let z = ((value << 1) ^ (value >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

/**
 * Writes the safe integer `value` (|value| <= 2^53) as a zigzag varlong at `pos` and returns the position after it.
 *
 * @example
 * ```ts
 * const end = writeVarlong(buf, 0, -1_700_000_000_000);
 * ```
 */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  if (value >= -0x4000_0000 && value < 0x4000_0000) return writeVarint(buf, pos, value);
  // The zigzag value can need 54 bits, beyond exact float range: keep it as two unsigned 32-bit halves.
  const negative = value < 0;
  const m = negative ? -value : value;
  let hi = Math.floor(m / TWO_POW_32);
  let lo = m - hi * TWO_POW_32;
  // z = 2m (positive) or 2m - 1 (negative)
  hi = ((hi << 1) | (lo >>> 31)) >>> 0;
  lo = (lo << 1) >>> 0;
  if (negative) {
    if (lo === 0) hi = (hi - 1) >>> 0;
    lo = (lo - 1) >>> 0;
  }
  while (hi !== 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/**
 * Reads a zigzag varint (int32) at `cur.pos`, not reading at or past `end`, and advances the cursor.
 *
 * Like Kafka, a fifth byte with its continuation bit set is an error; bits beyond 32 are ignored.
 *
 * @example
 * ```ts
 * const cur = { pos: 0 };
 * readVarint(Uint8Array.of(3), cur, 1); // -2
 * ```
 */
export function readVarint(buf: Uint8Array, cur: Cursor, end: number): number {
  let pos = cur.pos;
  if (pos >= end) throw truncated();
  let b = buf[pos++]!;
  if (b < 0x80) {
    cur.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  let raw = b & 0x7f;
  let shift = 7;
  for (;;) {
    if (pos >= end) throw truncated();
    b = buf[pos++]!;
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 28) throw new StreamsError('CORRUPT_RECORD', 'varint is longer than 5 bytes');
  }
  cur.pos = pos;
  return (raw >>> 1) ^ -(raw & 1);
}

/**
 * Reads a zigzag varlong at `cur.pos`, not reading at or past `end`, and advances the cursor.
 *
 * Throws `CORRUPT_RECORD` when the encoding is longer than 10 bytes or the value's magnitude exceeds 2^53 (it could
 * not be represented exactly as a JS number).
 *
 * @example
 * ```ts
 * const cur = { pos: 0 };
 * writeVarlong(buf, 0, 2 ** 40);
 * readVarlong(buf, cur, buf.length); // 1099511627776
 * ```
 */
export function readVarlong(buf: Uint8Array, cur: Cursor, end: number): number {
  let pos = cur.pos;
  if (pos >= end) throw truncated();
  let b = buf[pos++]!;
  if (b < 0x80) {
    cur.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  // Accumulate the 64-bit zigzag value in two unsigned halves: bits 0..27 fit lo directly, then it straddles.
  let lo = b & 0x7f;
  let hi = 0;
  let shift = 7;
  for (;;) {
    if (pos >= end) throw truncated();
    b = buf[pos++]!;
    const bits = b & 0x7f;
    if (shift < 32) {
      lo = (lo | (bits << shift)) >>> 0;
      if (shift > 25) hi = (hi | (bits >>> (32 - shift))) >>> 0;
    } else {
      hi = (hi | (bits << (shift - 32))) >>> 0;
    }
    if (b < 0x80) break;
    shift += 7;
    if (shift > 63) throw new StreamsError('CORRUPT_RECORD', 'varlong is longer than 10 bytes');
  }
  cur.pos = pos;
  // Bits shifted past bit 63 were dropped by the 32-bit shifts above, as Java drops them.
  // z >>> 1 = hi * 2^31 + (lo >>> 1) is exact below 2^53; allow |v| = 2^53 (even z) but nothing larger.
  if (hi >= HI_LIMIT && (hi > HI_LIMIT || lo > 0)) {
    throw new StreamsError('CORRUPT_RECORD', 'varlong magnitude exceeds 2^53');
  }
  const half = hi * TWO_POW_31 + (lo >>> 1);
  return (lo & 1) === 0 ? half : -half - 1;
}

/**
 * Reads a big-endian signed int16 at `pos` (no bounds check; callers check first).
 *
 * @example
 * ```ts
 * readInt16BE(Uint8Array.of(0xff, 0xfe), 0); // -2
 * ```
 */
export function readInt16BE(buf: Uint8Array, pos: number): number {
  return (((buf[pos]! << 8) | buf[pos + 1]!) << 16) >> 16;
}

/**
 * Reads a big-endian signed int32 at `pos` (no bounds check).
 *
 * @example
 * ```ts
 * readInt32BE(Uint8Array.of(0, 0, 1, 0), 0); // 256
 * ```
 */
export function readInt32BE(buf: Uint8Array, pos: number): number {
  return (buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!;
}

/**
 * Reads a big-endian int64 at `pos` as a number (exact for safe integers; no bounds check).
 *
 * @example
 * ```ts
 * readInt64BE(Buffer.from('ffffffffffffffff', 'hex'), 0); // -1
 * ```
 */
export function readInt64BE(buf: Uint8Array, pos: number): number {
  return readInt32BE(buf, pos) * TWO_POW_32 + (readInt32BE(buf, pos + 4) >>> 0);
}

/**
 * Writes `value` as a big-endian int16 at `pos` (no bounds check).
 *
 * @example
 * ```ts
 * writeInt16BE(buf, 51, -1);
 * ```
 */
export function writeInt16BE(buf: Uint8Array, pos: number, value: number): void {
  buf[pos] = value >>> 8;
  buf[pos + 1] = value;
}

/**
 * Writes `value` (int32 or uint32) as big-endian 4 bytes at `pos` (no bounds check).
 *
 * @example
 * ```ts
 * writeInt32BE(buf, 17, crc);
 * ```
 */
export function writeInt32BE(buf: Uint8Array, pos: number, value: number): void {
  buf[pos] = value >>> 24;
  buf[pos + 1] = value >>> 16;
  buf[pos + 2] = value >>> 8;
  buf[pos + 3] = value;
}

/**
 * Writes the safe integer `value` as a big-endian int64 (two's complement) at `pos` (no bounds check).
 *
 * @example
 * ```ts
 * writeInt64BE(buf, 0, 42); // baseOffset
 * ```
 */
export function writeInt64BE(buf: Uint8Array, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32);
  writeInt32BE(buf, pos, hi);
  writeInt32BE(buf, pos + 4, value - hi * TWO_POW_32);
}
