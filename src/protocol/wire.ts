/**
 * The protocol's primitive encodings: big-endian fixed-width integers, unsigned varints (compact lengths and tags;
 * the zigzag varints of record batches live in src/broker/varint.ts), strings, bytes and arrays in their classic
 * (int16/int32 length) and compact (uvarint length + 1) forms. Readers check every length against the frame before
 * touching memory and throw `StreamsError('CORRUPT_MESSAGE')`; writers collect chunks so large byte fields (record
 * batches) go to the socket without a copy.
 */
import { StreamsError } from '../errors.js';

const TWO_POW_32 = 0x1_0000_0000;

function corrupt(what: string): StreamsError {
  return new StreamsError('CORRUPT_MESSAGE', `malformed frame: ${what}`);
}

/**
 * A bounds-checked read position over one frame.
 *
 * @example
 * ```ts
 * const r = new WireReader(frame, 0);
 * const apiKey = r.int16();
 * ```
 */
export class WireReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  /** Array elements this reader may still decode (a budget per request against memory amplification). */
  elementsLeft: number;

  constructor(buf: Buffer, pos = 0, end = buf.length, maxElements = Number.POSITIVE_INFINITY) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.elementsLeft = maxElements;
  }

  #need(n: number, what: string): number {
    const p = this.pos;
    if (n < 0 || p + n > this.end) throw corrupt(`${what} runs past the end of the frame`);
    this.pos = p + n;
    return p;
  }

  bool(): boolean {
    return this.buf[this.#need(1, 'bool')] !== 0;
  }
  int8(): number {
    return this.buf.readInt8(this.#need(1, 'int8'));
  }
  int16(): number {
    return this.buf.readInt16BE(this.#need(2, 'int16'));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.#need(2, 'uint16'));
  }
  int32(): number {
    return this.buf.readInt32BE(this.#need(4, 'int32'));
  }
  int64(): number {
    const p = this.#need(8, 'int64');
    return this.buf.readInt32BE(p) * TWO_POW_32 + this.buf.readUInt32BE(p + 4);
  }
  float64(): number {
    return this.buf.readDoubleBE(this.#need(8, 'float64'));
  }
  uuid(): Buffer {
    const p = this.#need(16, 'uuid');
    return this.buf.subarray(p, p + 16);
  }

  /** An unsigned varint of at most 32 bits. */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw corrupt('varint runs past the end of the frame');
      const b = this.buf[this.pos++]!;
      if (shift === 28) {
        if ((b & 0xf0) !== 0) throw corrupt('unsigned varint longer than 32 bits');
        return result + b * 2 ** 28;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }

  /** A length: int16/int32 classic, uvarint-1 compact; -1 means null. */
  length(compact: boolean, wide: boolean): number {
    if (compact) return this.uvarint() - 1;
    return wide ? this.int32() : this.int16();
  }

  string(compact: boolean, nullable: boolean): string | null {
    const n = this.length(compact, false);
    if (n < 0) {
      if (n === -1 && nullable) return null;
      throw corrupt(n === -1 ? 'null in a non-nullable string' : `string length ${n}`);
    }
    const p = this.#need(n, 'string');
    return this.buf.toString('utf8', p, p + n);
  }

  bytes(compact: boolean, nullable: boolean): Buffer | null {
    const n = this.length(compact, true);
    if (n < 0) {
      if (n === -1 && nullable) return null;
      throw corrupt(n === -1 ? 'null in non-nullable bytes' : `bytes length ${n}`);
    }
    const p = this.#need(n, 'bytes');
    return this.buf.subarray(p, p + n);
  }

  /**
   * An array's element count (null: -1), checked before anything is allocated: each element takes at least
   * `minElementSize` bytes of what is left, and all arrays of one frame together at most the reader's element budget.
   */
  arrayLength(compact: boolean, minElementSize = 1): number {
    const n = this.length(compact, true);
    if (n < -1) throw corrupt(`array length ${n}`);
    if (n > 0 && n * Math.max(1, minElementSize) > this.end - this.pos) throw corrupt(`array of ${n} elements in ${this.end - this.pos} bytes`);
    if (n > 0) {
      this.elementsLeft -= n;
      if (this.elementsLeft < 0) throw corrupt(`more array elements than a request may hold`);
    }
    return n;
  }

  skip(n: number): void {
    this.#need(n, 'tagged field');
  }
}

const CHUNK = 16 * 1024;
/** Byte fields at least this long are passed through as their own chunk instead of being copied. */
const ZERO_COPY_MIN = 2048;

/**
 * Collects an encoded frame as a list of chunks: small fields are copied into a growing scratch buffer, large byte
 * fields are referenced. `finish()` fills in the 4-byte size prefix reserved at the start.
 *
 * @example
 * ```ts
 * const w = new WireWriter();
 * w.int16(18); w.int16(3); w.int32(correlationId);
 * socket.write(Buffer.concat(w.finish()));
 * ```
 */
export class WireWriter {
  readonly #chunks: Buffer[] = [];
  #buf: Buffer;
  #pos: number;
  #start: number;
  #size = 0;

  constructor() {
    this.#buf = Buffer.allocUnsafe(CHUNK);
    this.#pos = 4; // the size prefix
    this.#start = 0;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.#flush();
    this.#buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.#pos = 0;
    this.#start = 0;
  }

  #flush(): void {
    if (this.#pos > this.#start) {
      this.#chunks.push(this.#buf.subarray(this.#start, this.#pos));
      this.#size += this.#pos - this.#start;
    }
    this.#start = this.#pos;
  }

  bool(v: boolean): void {
    this.#room(1);
    this.#buf[this.#pos++] = v ? 1 : 0;
  }
  int8(v: number): void {
    this.#room(1);
    this.#pos = this.#buf.writeInt8(v, this.#pos);
  }
  int16(v: number): void {
    this.#room(2);
    this.#pos = this.#buf.writeInt16BE(v, this.#pos);
  }
  uint16(v: number): void {
    this.#room(2);
    this.#pos = this.#buf.writeUInt16BE(v, this.#pos);
  }
  int32(v: number): void {
    this.#room(4);
    this.#pos = this.#buf.writeInt32BE(v, this.#pos);
  }
  int64(v: number): void {
    this.#room(8);
    const hi = Math.floor(v / TWO_POW_32);
    this.#buf.writeInt32BE(hi, this.#pos);
    this.#buf.writeUInt32BE(v - hi * TWO_POW_32, this.#pos + 4);
    this.#pos += 8;
  }
  float64(v: number): void {
    this.#room(8);
    this.#pos = this.#buf.writeDoubleBE(v, this.#pos);
  }
  uvarint(v: number): void {
    this.#room(5);
    let n = v >>> 0;
    while (n >= 0x80) {
      this.#buf[this.#pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.#buf[this.#pos++] = n;
  }
  length(n: number, compact: boolean, wide: boolean): void {
    if (compact) this.uvarint(n + 1);
    else if (wide) this.int32(n);
    else this.int16(n);
  }
  string(v: string | null, compact: boolean): void {
    if (v === null) {
      this.length(-1, compact, false);
      return;
    }
    const n = Buffer.byteLength(v, 'utf8');
    this.length(n, compact, false);
    this.#room(n);
    this.#pos += this.#buf.write(v, this.#pos, 'utf8');
  }
  bytes(v: Uint8Array | null, compact: boolean): void {
    if (v === null) {
      this.length(-1, compact, true);
      return;
    }
    this.length(v.length, compact, true);
    this.raw(v);
  }
  /** Appends bytes as they are (referenced, not copied, when large). */
  raw(v: Uint8Array): void {
    if (v.length >= ZERO_COPY_MIN) {
      this.#flush();
      this.#chunks.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length));
      this.#size += v.length;
      return;
    }
    this.#room(v.length);
    this.#buf.set(v, this.#pos);
    this.#pos += v.length;
  }
  uuid(v: Uint8Array): void {
    if (v.length !== 16) throw new StreamsError('INVALID_REQUEST', `a uuid has 16 bytes, got ${v.length}`);
    this.raw(v);
  }

  /** The frame's chunks, the first starting with the int32 size of everything after it. */
  finish(): Buffer[] {
    this.#flush();
    const first = this.#chunks[0]!;
    first.writeInt32BE(this.#size - 4, 0);
    return this.#chunks;
  }
}
