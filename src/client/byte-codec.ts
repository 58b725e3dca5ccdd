/**
 * The classic (non-flexible) big-endian primitives of Kafka's embedded protocols, for small payloads such as the
 * consumer protocol's subscription and assignment and the user data inside them:
 * ```
 * int16, int32      big-endian
 * string            => length:int16 utf8            nullable_string => length:int16 (-1 = null) utf8
 * bytes             => length:int32 (-1 = null) raw  [T] => count:int32 T*
 * ```
 * Readers check every length against what is left and throw `StreamsError('CORRUPT_RECORD')`.
 */
import { StreamsError } from '../errors.js';

/**
 * A growable big-endian writer; these payloads are written at rebalances only, so simplicity beats a size pre-pass.
 *
 * @example
 * ```ts
 * const w = new ByteWriter();
 * w.int16(1);
 * w.nullableString('10.0.0.1:8080');
 * const bytes = w.finish();
 * ```
 */
export class ByteWriter {
  #buf = Buffer.allocUnsafe(64);
  #pos = 0;

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }
  int16(v: number): void {
    this.#ensure(2);
    this.#pos = this.#buf.writeInt16BE(v, this.#pos);
  }
  int32(v: number): void {
    this.#ensure(4);
    this.#pos = this.#buf.writeInt32BE(v, this.#pos);
  }
  /** INVALID_CONFIG for a string longer than an int16 length can say. */
  string(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new StreamsError('INVALID_CONFIG', `string of ${len} bytes does not fit an int16 length`);
    this.int16(len);
    this.#ensure(len);
    this.#pos += this.#buf.write(s, this.#pos, 'utf8');
  }
  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.string(s);
  }
  bytes(b: Uint8Array | null): void {
    if (b === null) {
      this.int32(-1);
      return;
    }
    this.int32(b.length);
    this.#ensure(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }
  /** The bytes written (a view of the writer's buffer: write nothing more after it). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }
}

/**
 * A bounds-checked big-endian reader; `what` names the payload in its CORRUPT_RECORD messages.
 *
 * @example
 * ```ts
 * const r = new ByteReader(bytes, 'assignment info');
 * const version = r.int16();
 * const endpoint = r.nullableString();
 * ```
 */
export class ByteReader {
  readonly #buf: Buffer;
  readonly #what: string;
  #pos = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }
  /** Throws CORRUPT_RECORD: `${what}: ${why} at byte N`. */
  fail(why: string): never {
    throw new StreamsError('CORRUPT_RECORD', `${this.#what}: ${why} at byte ${this.#pos}`);
  }
  #need(n: number): void {
    if (this.#pos + n > this.#buf.length) this.fail(`needs ${n} more bytes, ${this.#buf.length - this.#pos} left`);
  }
  int16(): number {
    this.#need(2);
    const v = this.#buf.readInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }
  int32(): number {
    this.#need(4);
    const v = this.#buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  /** An array count; every element takes at least one byte, so a count larger than what is left is corrupt. */
  count(): number {
    const n = this.int32();
    if (n < 0 || n > this.#buf.length - this.#pos) this.fail(`bad array length ${n}`);
    return n;
  }
  string(): string {
    return this.nullableString() ?? this.fail('null where a string is required');
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.#need(len);
    const s = this.#buf.toString('utf8', this.#pos, this.#pos + len);
    this.#pos += len;
    return s;
  }
  /** A copy: the caller may keep user data longer than the buffer it came in lives. */
  bytes(): Uint8Array | null {
    const len = this.int32();
    if (len < 0) return null;
    this.#need(len);
    const out = new Uint8Array(this.#buf.subarray(this.#pos, this.#pos + len));
    this.#pos += len;
    return out;
  }
}
