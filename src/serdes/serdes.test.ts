import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { StreamsError } from '../errors.js';
import { deserializeAt, serdeFrom, serializeFor } from './serde.js';
import type { Deserializer, Serde, Serializer } from './serde.js';
import { Serdes } from './serdes.js';

const T = 'topic';

/** Serialize then deserialize, asserting the serializer produced bytes. */
function roundTrip<V>(serde: Serde<V>, value: V): V | null {
  const bytes = serde.serialize(T, value);
  expect(bytes).toBeInstanceOf(Uint8Array);
  return serde.deserialize(T, bytes);
}

function hex(bytes: Uint8Array | null): string {
  if (bytes === null) throw new Error('expected bytes, got null');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The same bytes as a plain (non-Buffer) Uint8Array view at a non-zero offset into a larger buffer. */
function offsetView(bytes: Uint8Array): Uint8Array {
  const backing = new Uint8Array(bytes.byteLength + 7).fill(0xee);
  backing.set(bytes, 3);
  return backing.subarray(3, 3 + bytes.byteLength);
}

function catchError(fn: () => unknown): StreamsError {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof StreamsError) return e;
    throw new Error(`expected a StreamsError, got ${String(e)}`);
  }
  throw new Error('expected a StreamsError, nothing was thrown');
}

function expectSerdeFailed(fn: () => unknown, ...inMessage: string[]): StreamsError {
  const e = catchError(fn);
  expect(e.code).toBe('SERDE_FAILED');
  for (const part of inMessage) expect(e.message).toContain(part);
  return e;
}

/** What UTF-8 encoding makes of a JS string: every lone surrogate becomes U+FFFD (independent oracle). */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * What JSON and MessagePack can represent of a value: -0 as 0, and bins (decoded as Buffers) as plain Uint8Arrays.
 */
function plain(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

const ALL: ReadonlyArray<Serde<unknown>> = [
  Serdes.String(),
  Serdes.Number(),
  Serdes.Integer(),
  Serdes.BigInt(),
  Serdes.Json(),
  Serdes.MsgPack(),
  Serdes.ByteArray(),
  Serdes.Void(),
] as ReadonlyArray<Serde<unknown>>;

describe('every serde', () => {
  it.each(ALL.map((s) => [s.name, s] as const))('%s maps null to null both ways (tombstones)', (_name, serde) => {
    expect(serde.serialize(T, null)).toBeNull();
    expect(serde.deserialize(T, null)).toBeNull();
    expect(serde.serialize(T, undefined)).toBeNull();
  });

  it('has distinct names and is frozen', () => {
    expect(new Set(ALL.map((s) => s.name)).size).toBe(ALL.length);
    for (const s of ALL) expect(Object.isFrozen(s)).toBe(true);
  });
});

describe('golden bytes, as Kafka’s Java serdes write them', () => {
  it('Number(1.5) is DoubleSerializer’s 3ff8000000000000', () => {
    expect(hex(Serdes.Number().serialize(T, 1.5))).toBe('3ff8000000000000');
  });
  it('Number(NaN) is doubleToLongBits’s canonical NaN, whatever NaN came in', () => {
    const payloadNaN = Serdes.Number().deserialize(T, Buffer.from('7ff0000000000001', 'hex'));
    expect(payloadNaN).toBeNaN();
    expect(hex(Serdes.Number().serialize(T, NaN))).toBe('7ff8000000000000');
    expect(hex(Serdes.Number().serialize(T, payloadNaN))).toBe('7ff8000000000000');
  });
  it('Integer(-2) is IntegerSerializer’s fffffffe', () => {
    expect(hex(Serdes.Integer().serialize(T, -2))).toBe('fffffffe');
  });
  it('BigInt(2n**40n) is LongSerializer’s 0000010000000000', () => {
    expect(hex(Serdes.BigInt().serialize(T, 2n ** 40n))).toBe('0000010000000000');
  });
  it("String('héllo') is StringSerializer’s UTF-8 68c3a96c6c6f", () => {
    expect(hex(Serdes.String().serialize(T, 'héllo'))).toBe('68c3a96c6c6f');
  });
  it('MsgPack writes plain maps (fixmap, no record extension) and the standard timestamp extension', () => {
    expect(hex(Serdes.MsgPack().serialize(T, { a: 1, b: [true, null] }))).toBe('82a16101a16292c3c0');
    // timestamp 32 (fixext 4, type -1): seconds since the epoch
    expect(hex(Serdes.MsgPack().serialize(T, new Date(1_000_000_000_000)))).toBe('d6ff3b9aca00');
  });
});

describe('String', () => {
  const serde = Serdes.String();

  test.prop([fc.string({ unit: 'binary' })])('round-trips every well-formed string', (s) => {
    const bytes = serde.serialize(T, s);
    expect(bytes?.byteLength).toBe(Buffer.byteLength(s, 'utf8'));
    expect(serde.deserialize(T, bytes)).toBe(s);
  });

  // Any UTF-16 code unit, so lone surrogates and valid pairs both occur.
  const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) });
  test.prop([codeUnits])('writes each lone surrogate as U+FFFD, so it reads back replaced', (s) => {
    expect(roundTrip(serde, s)).toBe(wellFormed(s));
  });

  it('writes a lone surrogate as the three bytes of U+FFFD', () => {
    expect(hex(serde.serialize(T, 'a\uD800b'))).toBe('61efbfbd62');
  });

  it('reads invalid UTF-8 as U+FFFD instead of failing', () => {
    expect(serde.deserialize(T, Buffer.from([0x61, 0xff, 0x62]))).toBe('a\uFFFDb');
  });

  test.prop([fc.string({ unit: 'binary' })])('reads a non-Buffer Uint8Array view', (s) => {
    expect(serde.deserialize(T, offsetView(Buffer.from(s, 'utf8')))).toBe(s);
  });

  it('refuses a non-string at runtime', () => {
    expectSerdeFailed(() => serde.serialize(T, 42 as unknown as string), 'String', 'number');
  });
});

describe('Number', () => {
  const serde = Serdes.Number();

  test.prop([fc.double()])('round-trips every double exactly, including NaN, -0 and the infinities', (x) => {
    expect(Object.is(roundTrip(serde, x), x)).toBe(true);
  });

  it.each([NaN, -0, 0, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE])('round-trips %d', (x) => {
    expect(Object.is(roundTrip(serde, x), x)).toBe(true);
  });

  test.prop([fc.uint8Array({ minLength: 8, maxLength: 8 })])('reads any 8 bytes, as plain Uint8Array too', (bytes) => {
    const x = serde.deserialize(T, offsetView(bytes));
    const back = serde.serialize(T, x);
    if (Number.isNaN(x)) expect(hex(back)).toBe('7ff8000000000000');
    else expect(hex(back)).toBe(Buffer.from(bytes).toString('hex'));
  });

  test.prop([fc.uint8Array({ maxLength: 20 }).filter((b) => b.byteLength !== 8)])('refuses any other length', (bytes) => {
    expectSerdeFailed(() => serde.deserialize(T, bytes), 'Number', `${bytes.byteLength} bytes`);
  });

  it('refuses a non-number at runtime', () => {
    expectSerdeFailed(() => serde.serialize(T, '1.5' as unknown as number), 'Number');
  });
});

describe('Integer', () => {
  const serde = Serdes.Integer();
  const MIN = -(2 ** 31);
  const MAX = 2 ** 31 - 1;

  test.prop([fc.integer({ min: MIN, max: MAX })])('round-trips every int32', (n) => {
    const bytes = serde.serialize(T, n);
    expect(bytes?.byteLength).toBe(4);
    expect(serde.deserialize(T, bytes)).toBe(n);
    expect(serde.deserialize(T, offsetView(bytes!))).toBe(n);
  });

  it('round-trips the bounds with their two’s-complement bytes', () => {
    expect(hex(serde.serialize(T, MIN))).toBe('80000000');
    expect(hex(serde.serialize(T, MAX))).toBe('7fffffff');
    expect(serde.deserialize(T, Buffer.from('80000000', 'hex'))).toBe(MIN);
    expect(serde.deserialize(T, Buffer.from('7fffffff', 'hex'))).toBe(MAX);
  });

  it('writes -0 as 0', () => {
    expect(hex(serde.serialize(T, -0))).toBe('00000000');
  });

  const notInt32 = fc.oneof(
    fc.double().filter((x) => !Number.isInteger(x) || x < MIN || x > MAX),
    fc.constantFrom(MAX + 1, MIN - 1, 1.5, NaN, Infinity, -Infinity, 2 ** 53),
  );
  test.prop([notInt32])('refuses every number that is not an int32 instead of truncating it', (x) => {
    expectSerdeFailed(() => serde.serialize(T, x), 'Integer', 'int32');
  });

  test.prop([fc.uint8Array({ maxLength: 12 }).filter((b) => b.byteLength !== 4)])('refuses any length but 4', (bytes) => {
    expectSerdeFailed(() => serde.deserialize(T, bytes), 'Integer', `${bytes.byteLength} bytes`);
  });
});

describe('BigInt', () => {
  const serde = Serdes.BigInt();
  const MIN = -(2n ** 63n);
  const MAX = 2n ** 63n - 1n;

  test.prop([fc.bigInt({ min: MIN, max: MAX })])('round-trips every int64', (n) => {
    expect(roundTrip(serde, n)).toBe(n);
    expect(serde.deserialize(T, offsetView(serde.serialize(T, n)!))).toBe(n);
  });

  it('round-trips the bounds with their two’s-complement bytes', () => {
    expect(hex(serde.serialize(T, MIN))).toBe('8000000000000000');
    expect(hex(serde.serialize(T, MAX))).toBe('7fffffffffffffff');
    expect(roundTrip(serde, MIN)).toBe(MIN);
    expect(roundTrip(serde, MAX)).toBe(MAX);
  });

  const outOfRange = fc.oneof(fc.bigInt({ min: MAX + 1n, max: 2n ** 80n }), fc.bigInt({ min: -(2n ** 80n), max: MIN - 1n }));
  test.prop([outOfRange])('refuses bigints outside int64 instead of wrapping', (n) => {
    expectSerdeFailed(() => serde.serialize(T, n), 'BigInt', `${n}n`);
  });

  it('refuses a number at runtime', () => {
    expectSerdeFailed(() => serde.serialize(T, 1 as unknown as bigint), 'BigInt', 'number');
  });

  test.prop([fc.uint8Array({ maxLength: 20 }).filter((b) => b.byteLength !== 8)])('refuses any length but 8', (bytes) => {
    expectSerdeFailed(() => serde.deserialize(T, bytes), 'BigInt', `${bytes.byteLength} bytes`);
  });
});

describe('Json', () => {
  const serde = Serdes.Json();

  // A top-level JSON null is a tombstone, so it is not in the domain of non-null round-trips.
  test.prop([fc.jsonValue().filter((v) => v !== null)])('round-trips JSON values (-0 reads back as 0)', (v) => {
    expect(roundTrip(serde, v)).toEqual(plain(v));
  });

  it('reads -0 back as 0 and drops undefined properties, as JSON does', () => {
    expect(Object.is(roundTrip(serde, -0), 0)).toBe(true);
    expect(roundTrip(serde, { a: undefined, b: [-0] })).toStrictEqual({ b: [0] });
  });

  test.prop([fc.jsonValue().filter((v) => v !== null)])('writes exactly the UTF-8 of JSON.stringify', (v) => {
    expect(hex(serde.serialize(T, v))).toBe(Buffer.from(JSON.stringify(v), 'utf8').toString('hex'));
  });

  it('reads a non-Buffer Uint8Array view', () => {
    expect(serde.deserialize(T, offsetView(Buffer.from('{"a":[1,"é"]}')))).toEqual({ a: [1, 'é'] });
  });

  it.each(['', '{', 'undefined', '{"a":1}x', "{'a':1}"])('refuses malformed text %j naming serde and byte length', (text) => {
    const bytes = Buffer.from(text, 'utf8');
    const e = expectSerdeFailed(() => serde.deserialize(T, bytes), 'Json', `${bytes.byteLength} bytes`);
    expect(e.cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses values without a JSON form', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expectSerdeFailed(() => serde.serialize(T, cyclic), 'Json');
    expectSerdeFailed(() => serde.serialize(T, 1n), 'Json');
    expectSerdeFailed(() => serde.serialize(T, () => 1), 'Json', 'function');
    expectSerdeFailed(() => serde.serialize(T, Symbol('s')), 'Json', 'symbol');
  });
});

describe('MsgPack', () => {
  const serde = Serdes.MsgPack();

  // Keys: msgpackr renames '__proto__' (prototype-pollution guard), so it is outside the supported domain.
  const key = fc.string({ unit: 'binary', maxLength: 8 }).filter((k) => k !== '__proto__');
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    fc.string({ unit: 'binary' }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.uint8Array({ maxLength: 16 }),
    fc.date({ noInvalidDate: true }),
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 5 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  }));

  test.prop([value.filter((v) => v !== null)])('round-trips nested objects, arrays, bins, dates and bigints', (v) => {
    expect(plain(roundTrip(serde, v))).toEqual(plain(v));
  });

  it('reads -0 back as 0, drops undefined properties and writes other undefineds as nil', () => {
    expect(Object.is(roundTrip(serde, -0), 0)).toBe(true);
    expect(roundTrip(serde, { a: undefined, b: 1 })).toStrictEqual({ b: 1 });
    expect(roundTrip(serde, [undefined, 1])).toStrictEqual([null, 1]);
  });

  it('decodes bin as a Buffer copy that does not alias the input bytes', () => {
    const bytes = Buffer.from(serde.serialize(T, { bin: Uint8Array.of(1, 2, 3) })!);
    const decoded = serde.deserialize(T, bytes) as { bin: Buffer };
    bytes.fill(0);
    expect([...decoded.bin]).toEqual([1, 2, 3]);
  });

  it('returns results that later serializations do not overwrite', () => {
    const first = serde.serialize(T, { n: 1 })!;
    const copy = Buffer.from(first);
    for (let i = 0; i < 2000; i++) serde.serialize(T, { n: i, s: 'x'.repeat(i % 50) });
    expect(Buffer.from(first).equals(copy)).toBe(true);
  });

  it('reads a non-Buffer Uint8Array view', () => {
    expect(serde.deserialize(T, offsetView(Buffer.from('81a16101', 'hex')))).toEqual({ a: 1 });
  });

  it.each([
    ['empty', ''],
    ['truncated array', '92'],
    ['truncated string', 'a5616263'],
    ['trailing bytes', '0102'],
    ['never-used byte', 'c1'],
  ])('refuses %s bytes naming serde and byte length', (_what, h) => {
    const bytes = Buffer.from(h, 'hex');
    expectSerdeFailed(() => serde.deserialize(T, bytes), 'MsgPack', `${bytes.byteLength} bytes`);
  });

  it('refuses values it cannot write, and keeps working afterwards', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expectSerdeFailed(() => serde.serialize(T, cyclic), 'MsgPack');
    expectSerdeFailed(() => serde.serialize(T, { s: Symbol('s') }), 'MsgPack');
    expectSerdeFailed(() => serde.serialize(T, 2n ** 64n), 'MsgPack');
    expect(roundTrip(serde, { ok: [1, 'two'] })).toEqual({ ok: [1, 'two'] });
  });
});

describe('ByteArray', () => {
  const serde = Serdes.ByteArray();

  test.prop([fc.uint8Array()])('is the identity both ways, without copying', (bytes) => {
    expect(serde.serialize(T, bytes)).toBe(bytes);
    expect(serde.deserialize(T, bytes)).toBe(bytes);
  });

  it('refuses a non-Uint8Array at runtime', () => {
    expectSerdeFailed(() => serde.serialize(T, 'abc' as unknown as Uint8Array), 'ByteArray', 'string');
  });
});

describe('Void', () => {
  const serde = Serdes.Void();

  test.prop([fc.anything().filter((v) => v !== null && v !== undefined)])('refuses to serialize anything but null', (v) => {
    expectSerdeFailed(() => serde.serialize(T, v as unknown as null), 'Void');
  });

  test.prop([fc.uint8Array()])('refuses to deserialize any non-null bytes, even empty ones', (bytes) => {
    expectSerdeFailed(() => serde.deserialize(T, bytes), 'Void', `${bytes.byteLength} bytes`);
  });
});

describe('deserializeAt', () => {
  const at = { topic: 'orders', partition: 3, offset: 42 };

  it('names topic, partition and offset, keeping the deserializer’s error as cause', () => {
    const bytes = Buffer.from([1, 2, 3]);
    const e = expectSerdeFailed(() => deserializeAt(Serdes.Number(), bytes, at), 'orders-3@42', '3 bytes', 'Number');
    expect(e.topic).toBe('orders');
    expect(e.partition).toBe(3);
    expect(e.offset).toBe(42);
    expect(e.cause).toBeInstanceOf(StreamsError);
    expect((e.cause as StreamsError).code).toBe('SERDE_FAILED');
  });

  it('wraps a foreign error thrown by a hand-written deserializer', () => {
    const boom = new TypeError('boom');
    const failing: Deserializer<string> = {
      deserialize: () => {
        throw boom;
      },
    };
    const e = expectSerdeFailed(() => deserializeAt(failing, Buffer.from('x'), at), 'orders-3@42', 'boom');
    expect(e.cause).toBe(boom);
  });

  it('passes values, headers and nulls through', () => {
    const headers = [{ key: 'h', value: Buffer.from('v') }];
    let seen: unknown;
    const spy: Deserializer<string> = {
      deserialize: (_topic, data, h) => {
        seen = h;
        return data === null ? null : 'ok';
      },
    };
    expect(deserializeAt(spy, Buffer.from('x'), at, headers)).toBe('ok');
    expect(seen).toBe(headers);
    expect(deserializeAt(Serdes.Json(), null, at)).toBeNull();
    expect(deserializeAt(Serdes.Json(), Buffer.from('[1]'), at)).toEqual([1]);
  });
});

describe('serializeFor', () => {
  it('names the topic and keeps the serializer’s error as cause', () => {
    const e = expectSerdeFailed(() => serializeFor(Serdes.Integer(), 1.5, 'counts'), 'counts', 'Integer');
    expect(e.topic).toBe('counts');
    expect(e.cause).toBeInstanceOf(StreamsError);
  });

  it('wraps a foreign error thrown by a hand-written serializer', () => {
    const boom = new RangeError('boom');
    const failing: Serializer<string> = {
      serialize: () => {
        throw boom;
      },
    };
    const e = expectSerdeFailed(() => serializeFor(failing, 'x', 'out'), 'out', 'boom');
    expect(e.cause).toBe(boom);
  });

  it('passes bytes and nulls through', () => {
    expect(hex(serializeFor(Serdes.Integer(), 7, 'counts'))).toBe('00000007');
    expect(serializeFor(Serdes.Integer(), null, 'counts')).toBeNull();
  });
});

describe('serdeFrom', () => {
  const upper = serdeFrom<string>(
    (s) => Buffer.from(s.toUpperCase(), 'utf8'),
    (b) => Buffer.from(b).toString('utf8').toLowerCase(),
    'Upper',
  );

  test.prop([fc.string({ unit: 'grapheme-ascii' })])('composes the two functions', (s) => {
    expect(roundTrip(upper, s)).toBe(s.toLowerCase());
  });

  it('keeps null away from the functions', () => {
    const never = serdeFrom<string>(
      () => {
        throw new Error('called');
      },
      () => {
        throw new Error('called');
      },
    );
    expect(never.serialize(T, null)).toBeNull();
    expect(never.deserialize(T, null)).toBeNull();
    expect(never.name).toBe('Custom');
  });

  it('wraps the functions’ errors as SERDE_FAILED naming the serde, topic and byte length', () => {
    const boom = new Error('bad point');
    const failing = serdeFrom<string>(
      () => {
        throw boom;
      },
      () => {
        throw boom;
      },
      'Point',
    );
    expect(expectSerdeFailed(() => failing.serialize(T, 'x'), 'Point', T, 'bad point').cause).toBe(boom);
    expect(expectSerdeFailed(() => failing.deserialize(T, Buffer.alloc(5)), 'Point', '5 bytes').cause).toBe(boom);
  });
});

describe('String and BigInt fast paths write and read the same bytes as the general paths', () => {
  const strings = Serdes.String();
  const bigints = Serdes.BigInt();
  // Short strings (the JS paths) and a little longer (the native ones), mixing ASCII with 2-, 3- and 4-byte
  // characters and lone surrogates, so the switch from one path to the other happens at every position.
  const unit = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('a', 'Z', '0', ' ', '\u0000', '\u007f') },
    { weight: 1, arbitrary: fc.constantFrom('\u0080', 'é', '\u07ff', '\u0800', '€', '\uffff', '😀', '\uD800', '\uDFFF') },
  );
  const mixed = fc.array(unit, { maxLength: 24 }).map((units) => units.join(''));
  const encoder = new TextEncoder();

  test.prop([mixed])('String writes the UTF-8 of TextEncoder (lone surrogates as EF BF BD) into a Buffer of its own', (s) => {
    const bytes = strings.serialize(T, s)!;
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(hex(bytes)).toBe(Buffer.from(encoder.encode(s)).toString('hex'));
    expect(bytes.byteLength).toBe(Buffer.byteLength(s, 'utf8'));
    expect(strings.deserialize(T, bytes)).toBe(wellFormed(s));
  });

  it('String returns fresh bytes each time: a later serialization does not overwrite an earlier one', () => {
    const first = strings.serialize(T, 'first')!;
    const second = strings.serialize(T, 'other')!;
    const third = strings.serialize(T, 'firsté')!;
    expect(Buffer.from(first).toString()).toBe('first');
    expect(Buffer.from(second).toString()).toBe('other');
    expect(Buffer.from(third).toString()).toBe('firsté');
  });

  it('String handles every length across the short/long boundaries, with a non-ASCII char at every position', () => {
    const ascii = 'abcdefghijklmnopqrstuvwxyz0123456789';
    for (let length = 0; length <= ascii.length; length++) {
      const variants = [ascii.slice(0, length)];
      for (let at = 0; at < length; at++) variants.push(`${ascii.slice(0, at)}é${ascii.slice(at + 1, length)}`);
      for (const s of variants) {
        const bytes = strings.serialize(T, s)!;
        expect(hex(bytes)).toBe(Buffer.from(s, 'utf8').toString('hex'));
        expect(strings.deserialize(T, bytes)).toBe(s);
        expect(strings.deserialize(T, offsetView(bytes))).toBe(s);
      }
    }
  });

  it('String writes and reads the empty string as zero bytes', () => {
    expect(strings.serialize(T, '')!.byteLength).toBe(0);
    expect(strings.deserialize(T, new Uint8Array(0))).toBe('');
  });

  // Mostly ASCII bytes with a few high ones, lengths across the short/long boundary.
  const byte = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 0x7f }) }, { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) });
  test.prop([fc.array(byte, { maxLength: 20 })])('String reads any bytes as Buffer#toString does, from plain views too', (b) => {
    const bytes = Uint8Array.from(b);
    const expected = Buffer.from(bytes).toString('utf8');
    expect(strings.deserialize(T, bytes)).toBe(expected);
    expect(strings.deserialize(T, offsetView(bytes))).toBe(expected);
  });

  // Around the edges of the safe-integer fast path (|n| < 2^53) and of the 32-bit halves.
  const edges = [0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 52n, 2n ** 53n, 2n ** 54n, 2n ** 62n, 2n ** 63n - 1n];
  const nearEdge = fc
    .tuple(fc.constantFrom(...edges), fc.integer({ min: -3, max: 3 }), fc.boolean())
    .map(([edge, delta, negative]) => (negative ? -edge : edge) + BigInt(delta))
    .filter((n) => n >= -(2n ** 63n) && n <= 2n ** 63n - 1n);
  test.prop([fc.oneof(nearEdge, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))])(
    'BigInt writes writeBigInt64BE’s bytes and reads them back, near 2^53 and beyond, negative too',
    (n) => {
      const expected = Buffer.alloc(8);
      expected.writeBigInt64BE(n, 0);
      const bytes = bigints.serialize(T, n)!;
      expect(hex(bytes)).toBe(expected.toString('hex'));
      expect(bigints.deserialize(T, bytes)).toBe(n);
      expect(bigints.deserialize(T, offsetView(bytes))).toBe(n);
    },
  );

  // High words at the edges of [-2^21, 2^21) and anywhere, with any low word.
  const highWord = fc.oneof(fc.integer({ min: -0x20_0002, max: -0x1f_fffe }), fc.integer({ min: 0x1f_fffe, max: 0x20_0001 }), fc.integer());
  test.prop([highWord, fc.integer({ min: 0, max: 0xffff_ffff })])('BigInt reads any 8 bytes as readBigInt64BE does', (high, low) => {
    const bytes = Buffer.alloc(8);
    bytes.writeInt32BE(high, 0);
    bytes.writeUInt32BE(low, 4);
    expect(bigints.deserialize(T, bytes)).toBe(bytes.readBigInt64BE(0));
    expect(bigints.deserialize(T, offsetView(bytes))).toBe(bytes.readBigInt64BE(0));
  });
});
