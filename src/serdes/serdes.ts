/**
 * The built-in serdes, as Kafka Streams' `Serdes` factory offers them, with the same byte formats where Kafka has one.
 *
 * | serde          | bytes written                                                    | reads/writes the same bytes as (Java)       |
 * | -------------- | ---------------------------------------------------------------- | ------------------------------------------- |
 * | `String()`     | UTF-8, no BOM, no length prefix                                  | `Serdes.String()` (`StringSerializer`)      |
 * | `Number()`     | 8 bytes, IEEE 754 double, big-endian; NaN as `7ff8000000000000`   | `Serdes.Double()` (`DoubleSerializer`)      |
 * | `Integer()`    | 4 bytes, two's-complement int32, big-endian                      | `Serdes.Integer()` (`IntegerSerializer`)    |
 * | `BigInt()`     | 8 bytes, two's-complement int64, big-endian                      | `Serdes.Long()` (`LongSerializer`)          |
 * | `Json()`       | UTF-8 text of `JSON.stringify`                                   | `Serdes.String()` + any JSON parser; Connect's `JsonConverter` with `schemas.enable=false` |
 * | `MsgPack()`    | standard MessagePack (maps, no msgpackr record extension)        | no Kafka serde; any MessagePack library     |
 * | `ByteArray()`  | the bytes themselves                                             | `Serdes.ByteArray()`                        |
 * | `Void()`       | nothing: only `null`                                             | `Serdes.Void()`                             |
 *
 * Every serde maps `null` to `null` both ways (tombstones; `undefined` is treated as `null` when serializing).
 * Failures throw `StreamsError('SERDE_FAILED')` naming the serde and, when deserializing, the byte length. Serdes are
 * stateless and shared: each factory returns the same frozen object on every call.
 */
import { Packr, C1 } from 'msgpackr';
import type { Options } from 'msgpackr';
import { StreamsError } from '../errors.js';
import type { Serde } from './serde.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';

/** Wraps any Uint8Array as a Buffer over the same memory (no copy), so Buffer's fast readers apply. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function serializeFailure(name: string, topic: string, reason: string, cause?: unknown): StreamsError {
  return new StreamsError(
    'SERDE_FAILED',
    `${name} serde cannot serialize for topic "${topic}": ${reason}`,
    cause === undefined ? { topic } : { topic, cause },
  );
}

function deserializeFailure(name: string, topic: string, data: Uint8Array, reason: string, cause?: unknown): StreamsError {
  return new StreamsError(
    'SERDE_FAILED',
    `${name} serde cannot deserialize ${data.byteLength} bytes from topic "${topic}": ${reason}`,
    cause === undefined ? { topic } : { topic, cause },
  );
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class StringSerde implements Serde<string> {
  readonly name = 'String';

  serialize(topic: string, data: string | null): Uint8Array | null {
    if (data === null || data === undefined) return null;
    if (typeof data !== 'string') throw serializeFailure(this.name, topic, `expected a string, got ${typeOf(data)}`);
    // Lone surrogates become U+FFFD (EF BF BD), as TextEncoder does; Java writes '?' (3F) for them instead.
    return encodeUtf8(data);
  }

  deserialize(_topic: string, data: Uint8Array | null): string | null {
    if (data === null || data === undefined) return null;
    // Invalid UTF-8 sequences decode to U+FFFD, like Java's StringDeserializer; this never fails.
    return decodeUtf8(data);
  }
}

// Java's doubleToLongBits writes every NaN as this one bit pattern; we do the same so bytes compare equal.
const CANONICAL_NAN = Buffer.from([0x7f, 0xf8, 0, 0, 0, 0, 0, 0]);

class NumberSerde implements Serde<number> {
  readonly name = 'Number';

  serialize(topic: string, data: number | null): Uint8Array | null {
    if (data === null || data === undefined) return null;
    if (typeof data !== 'number') throw serializeFailure(this.name, topic, `expected a number, got ${typeOf(data)}`);
    const out = Buffer.allocUnsafe(8);
    if (data !== data) CANONICAL_NAN.copy(out, 0);
    else out.writeDoubleBE(data, 0);
    return out;
  }

  deserialize(topic: string, data: Uint8Array | null): number | null {
    if (data === null || data === undefined) return null;
    if (data.byteLength !== 8) throw deserializeFailure(this.name, topic, data, 'expected exactly 8 bytes');
    return asBuffer(data).readDoubleBE(0);
  }
}

class IntegerSerde implements Serde<number> {
  readonly name = 'Integer';

  serialize(topic: string, data: number | null): Uint8Array | null {
    if (data === null || data === undefined) return null;
    if (typeof data !== 'number' || (data | 0) !== data) {
      throw serializeFailure(this.name, topic, `expected an int32 in [-2147483648, 2147483647], got ${String(data)}`);
    }
    const out = Buffer.allocUnsafe(4);
    out.writeInt32BE(data, 0);
    return out;
  }

  deserialize(topic: string, data: Uint8Array | null): number | null {
    if (data === null || data === undefined) return null;
    if (data.byteLength !== 4) throw deserializeFailure(this.name, topic, data, 'expected exactly 4 bytes');
    // Indexing works on any Uint8Array, so no Buffer view is needed; `<< 24` wraps to a signed int32.
    return (data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const TWO_POW_32 = 0x1_0000_0000;
// A high word in [-2^21, 2^21) makes |value| <= 2^53: exact as a double, so one BigInt(number) rebuilds it.
const SAFE_HIGH_MIN = -0x20_0000;
const SAFE_HIGH_MAX = 0x1f_ffff;

class BigIntSerde implements Serde<bigint> {
  readonly name = 'BigInt';

  serialize(topic: string, data: bigint | null): Uint8Array | null {
    if (data === null || data === undefined) return null;
    if (typeof data === 'bigint') {
      // Number(data) is a safe integer exactly when |data| < 2^53 (rounding is monotonic): then the two 32-bit words
      // come from double arithmetic, without the throwaway bigints of writeBigInt64BE.
      const n = Number(data);
      if (Number.isSafeInteger(n)) {
        const high = Math.floor(n / TWO_POW_32);
        const low = n - high * TWO_POW_32;
        const out = Buffer.allocUnsafe(8);
        // Typed-array stores keep the low 8 bits, so shifts of a negative high word give its two's complement.
        out[0] = high >> 24;
        out[1] = high >> 16;
        out[2] = high >> 8;
        out[3] = high;
        out[4] = low >>> 24;
        out[5] = low >>> 16;
        out[6] = low >>> 8;
        out[7] = low;
        return out;
      }
    }
    if (typeof data !== 'bigint' || data < INT64_MIN || data > INT64_MAX) {
      const shown = typeof data === 'bigint' ? `${data}n` : typeOf(data);
      throw serializeFailure(this.name, topic, `expected a bigint in the int64 range [-2n**63n, 2n**63n - 1n], got ${shown}`);
    }
    const out = Buffer.allocUnsafe(8);
    out.writeBigInt64BE(data, 0);
    return out;
  }

  deserialize(topic: string, data: Uint8Array | null): bigint | null {
    if (data === null || data === undefined) return null;
    if (data.byteLength !== 8) throw deserializeFailure(this.name, topic, data, 'expected exactly 8 bytes');
    const high = (data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!;
    if (high >= SAFE_HIGH_MIN && high <= SAFE_HIGH_MAX) {
      const low = ((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0;
      return BigInt(high * TWO_POW_32 + low);
    }
    return asBuffer(data).readBigInt64BE(0);
  }
}

class JsonSerde implements Serde<unknown> {
  readonly name = 'Json';

  serialize(topic: string, data: unknown): Uint8Array | null {
    if (data === null || data === undefined) return null;
    let text: string | undefined;
    try {
      text = JSON.stringify(data);
    } catch (e: unknown) {
      // Cycles and bigints make JSON.stringify throw a TypeError.
      throw serializeFailure(this.name, topic, messageOf(e), e);
    }
    // JSON.stringify returns undefined for functions and symbols: there is no JSON text to write.
    if (text === undefined) throw serializeFailure(this.name, topic, `a ${typeOf(data)} has no JSON form`);
    return Buffer.from(text, 'utf8');
  }

  deserialize(topic: string, data: Uint8Array | null): unknown {
    if (data === null || data === undefined) return null;
    try {
      return JSON.parse(asBuffer(data).toString());
    } catch (e: unknown) {
      throw deserializeFailure(this.name, topic, data, messageOf(e), e);
    }
  }
}

// skipValues exists in msgpackr 2 but is missing from its type declarations.
const MSGPACK_OPTIONS: Options & { readonly skipValues: readonly unknown[] } = {
  useRecords: false,
  skipValues: [undefined],
  encodeUndefinedAsNil: true,
  copyBuffers: true,
};

class MsgPackSerde implements Serde<unknown> {
  readonly name = 'MsgPack';
  // One Packr is safe to share: packing is synchronous, and each result is a fresh slice that later calls do not
  // overwrite. Options keep the bytes plain MessagePack that other languages read:
  // - useRecords false: objects as maps, not msgpackr's record extension;
  // - skipValues/encodeUndefinedAsNil: undefined properties are left out and other undefineds are nil, as in JSON,
  //   instead of msgpackr's private undefined extension;
  // - copyBuffers: decoded `bin` values are copies, not views that pin (or see reuse of) the fetched batch.
  // (skipValues costs ~30% of pack time through msgpackr's variable-size map writer, which also makes small maps
  // fixmaps; leaving undefined props as nil would change what readers see, so we pay it.)
  private readonly packr = new Packr(MSGPACK_OPTIONS);

  serialize(topic: string, data: unknown): Uint8Array | null {
    if (data === null || data === undefined) return null;
    try {
      return this.packr.pack(data);
    } catch (e: unknown) {
      // Unknown types (symbols), out-of-range bigints, and cycles (a RangeError) land here.
      throw serializeFailure(this.name, topic, messageOf(e), e);
    }
  }

  deserialize(topic: string, data: Uint8Array | null): unknown {
    if (data === null || data === undefined) return null;
    let value: unknown;
    try {
      value = this.packr.unpack(data);
    } catch (e: unknown) {
      throw deserializeFailure(this.name, topic, data, messageOf(e), e);
    }
    // msgpackr decodes the never-used byte 0xc1 to a marker object instead of failing.
    if (value === C1) throw deserializeFailure(this.name, topic, data, 'the never-used byte 0xc1');
    return value;
  }
}

class ByteArraySerde implements Serde<Uint8Array> {
  readonly name = 'ByteArray';

  serialize(topic: string, data: Uint8Array | null): Uint8Array | null {
    if (data === null || data === undefined) return null;
    if (!(data instanceof Uint8Array)) throw serializeFailure(this.name, topic, `expected a Uint8Array, got ${typeOf(data)}`);
    return data;
  }

  deserialize(_topic: string, data: Uint8Array | null): Uint8Array | null {
    return data === undefined ? null : data;
  }
}

class VoidSerde implements Serde<null> {
  readonly name = 'Void';

  serialize(topic: string, data: null): Uint8Array | null {
    if (data === null || data === undefined) return null;
    throw serializeFailure(this.name, topic, `only null can be serialized, got ${typeOf(data)}`);
  }

  deserialize(topic: string, data: Uint8Array | null): null {
    if (data === null || data === undefined) return null;
    throw deserializeFailure(this.name, topic, data, 'only null bytes can be deserialized');
  }
}

const STRING: Serde<string> = Object.freeze(new StringSerde());
const NUMBER: Serde<number> = Object.freeze(new NumberSerde());
const INTEGER: Serde<number> = Object.freeze(new IntegerSerde());
const BIGINT: Serde<bigint> = Object.freeze(new BigIntSerde());
const JSON_SERDE: Serde<unknown> = Object.freeze(new JsonSerde());
const MSGPACK: Serde<unknown> = Object.freeze(new MsgPackSerde());
const BYTE_ARRAY: Serde<Uint8Array> = Object.freeze(new ByteArraySerde());
const VOID: Serde<null> = Object.freeze(new VoidSerde());

/**
 * Factories for the built-in serdes (see the table at the top of this file for each one's byte format and the Kafka
 * serde it is compatible with).
 *
 * All map `null` to `null` both ways (tombstones) and throw `StreamsError('SERDE_FAILED')` on values or bytes they
 * cannot handle. Each call returns the same shared, frozen, stateless serde.
 *
 * @example
 * ```ts
 * builder.stream('words', Consumed.with(Serdes.String(), Serdes.String()))
 *   .groupBy((_k, word) => word)
 *   .count()
 *   .toStream()
 *   .to('word-counts', Produced.with(Serdes.String(), Serdes.BigInt()));
 * ```
 */
export const Serdes = Object.freeze({
  /**
   * UTF-8 strings, byte-compatible with Kafka's `StringSerde`.
   *
   * A lone surrogate (an unpaired UTF-16 half, which is not valid Unicode) is written as U+FFFD, so such a string reads
   * back with U+FFFD in its place (Java writes `?` instead). Bytes that are not valid UTF-8 read as U+FFFD; reading
   * never fails.
   *
   * @example
   * ```ts
   * Serdes.String().serialize('t', 'héllo'); // <Buffer 68 c3 a9 6c 6c 6f>
   * ```
   */
  String(): Serde<string> {
    return STRING;
  },

  /**
   * JavaScript numbers as 8-byte big-endian IEEE 754 doubles, byte-compatible with Kafka's `DoubleSerde`.
   *
   * Every double round-trips exactly, including `-0` and the infinities; every NaN is written as the canonical
   * `7ff8000000000000`, as Java's `doubleToLongBits` does. Reading anything but exactly 8 bytes fails.
   *
   * @example
   * ```ts
   * Serdes.Number().serialize('t', 1.5); // <Buffer 3f f8 00 00 00 00 00 00>
   * ```
   */
  Number(): Serde<number> {
    return NUMBER;
  },

  /**
   * 32-bit integers as 4 bytes big-endian two's complement, byte-compatible with Kafka's `IntegerSerde`.
   *
   * Serializing a number that is not an integer in [-2^31, 2^31 - 1] (including NaN and 1.5) fails rather than being
   * truncated; `-0` is written as `0`. Reading anything but exactly 4 bytes fails.
   *
   * @example
   * ```ts
   * Serdes.Integer().serialize('t', -2); // <Buffer ff ff ff fe>
   * ```
   */
  Integer(): Serde<number> {
    return INTEGER;
  },

  /**
   * 64-bit integers as bigints, 8 bytes big-endian two's complement, byte-compatible with Kafka's `LongSerde`.
   *
   * Serializing a bigint outside [-2^63, 2^63 - 1] fails rather than wrapping. Reading anything but exactly 8 bytes
   * fails.
   *
   * @example
   * ```ts
   * Serdes.BigInt().serialize('t', 2n ** 40n); // <Buffer 00 00 01 00 00 00 00 00>
   * ```
   */
  BigInt(): Serde<bigint> {
    return BIGINT;
  },

  /**
   * Values as the UTF-8 text of `JSON.stringify`, read back with `JSON.parse`.
   *
   * JSON's limits apply: `-0` reads back as `0`, NaN and the infinities as `null`, `undefined` properties vanish,
   * Dates read back as ISO strings, `toJSON` is honoured. A top-level JSON `null` cannot be written (a `null` value
   * is a tombstone) and the bytes `null` read back as `null`. Cycles, bigints, functions and symbols fail to
   * serialize; text that is not JSON fails to deserialize. The type parameter is not checked at runtime.
   *
   * @example
   * ```ts
   * Serdes.Json<{ id: number }>().serialize('t', { id: 1 }); // bytes of '{"id":1}'
   * ```
   */
  Json<T = unknown>(): Serde<T> {
    return JSON_SERDE as Serde<T>;
  },

  /**
   * Values as plain MessagePack (via msgpackr, without its record extension), readable by any MessagePack library;
   * the default value serde.
   *
   * Objects are maps and read back as plain objects with string keys (a `Map` reads back as an object, a `__proto__`
   * key is renamed by msgpackr); `Uint8Array`/`Buffer` is `bin` and reads back as a `Buffer` copy; `Date` uses the
   * standard timestamp extension (-1) and keeps milliseconds; bigints in the int64/uint64 range are written as 64-bit
   * integers and read back as bigints; integer numbers are ints (or float64 when large), other numbers float64; `-0`
   * reads back as `0`; `undefined` properties are left out and other `undefined`s become `nil`. Not supported: typed
   * arrays other than `Uint8Array` (msgpackr 2 writes them wrongly), `Set`, class identity, cycles, and strings with
   * lone surrogates (written as invalid UTF-8). A top-level `nil` reads back as `null`, i.e. like a tombstone. Bytes
   * that are not exactly one MessagePack value fail to deserialize. Serialized bytes are a slice of a shared chunk of
   * at least 8 KiB: copy them before keeping many small ones for long.
   *
   * @example
   * ```ts
   * Serdes.MsgPack().serialize('t', { a: 1 }); // <Buffer 81 a1 61 01>
   * ```
   */
  MsgPack<T = unknown>(): Serde<T> {
    return MSGPACK as Serde<T>;
  },

  /**
   * Bytes as themselves, like Kafka's `ByteArraySerde`.
   *
   * No copy is made either way: the result shares memory with the argument, so do not mutate one while the other is
   * in use.
   *
   * @example
   * ```ts
   * const raw = Serdes.ByteArray().deserialize('t', record.value); // the same Buffer
   * ```
   */
  ByteArray(): Serde<Uint8Array> {
    return BYTE_ARRAY;
  },

  /**
   * Only `null`, like Kafka's `VoidSerde`: for keys of unkeyed topics.
   *
   * Serializing anything but `null` fails; deserializing any non-null bytes (even empty) fails.
   *
   * @example
   * ```ts
   * Serdes.Void().serialize('t', null); // null
   * ```
   */
  Void(): Serde<null> {
    return VOID;
  },
});
