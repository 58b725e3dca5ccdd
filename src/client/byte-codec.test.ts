import { expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { isStreamsError } from '../errors.js';
import { ByteReader, ByteWriter } from './byte-codec.js';

const fields = fc.tuple(
  fc.integer({ min: -0x8000, max: 0x7fff }),
  fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  fc.string({ maxLength: 300 }),
  fc.option(fc.string({ maxLength: 20 }), { nil: null }),
  fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
);

function write([i16, i32, s, ns, b]: [number, number, string, string | null, Uint8Array | null]): Uint8Array {
  const w = new ByteWriter();
  w.int16(i16);
  w.int32(i32);
  w.string(s);
  w.nullableString(ns);
  w.bytes(b);
  return w.finish();
}

test.prop([fields])('what ByteWriter writes ByteReader reads back', (values) => {
  const [i16, i32, s, ns, b] = values;
  const r = new ByteReader(write(values), 'test');
  expect([r.int16(), r.int32(), r.string(), r.nullableString(), r.bytes()]).toEqual([i16, i32, s, ns, b === null ? null : new Uint8Array(b)]);
});

test.prop([fields, fc.nat()])('every truncation is CORRUPT_RECORD naming the payload', (values, cut) => {
  const bytes = write(values);
  const r = new ByteReader(bytes.subarray(0, cut % bytes.length), 'test payload');
  let error: unknown;
  try {
    r.int16();
    r.int32();
    r.string();
    r.nullableString();
    r.bytes();
  } catch (e: unknown) {
    error = e;
  }
  expect(isStreamsError(error, 'CORRUPT_RECORD') && error.message.startsWith('test payload: ')).toBe(true);
});
