import { describe, expect, expectTypeOf, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { NO_HEADERS } from '../record.js';
import type { Header, Headers } from '../record.js';
import { toFixedKeyRecord } from './fixed-key-record.js';
import type { FixedKeyRecord } from './fixed-key-record.js';
import type { FixedKeyProcessor, Processor, ProcessorSupplier } from './processor.js';
import type { FixedKeyProcessorContext, ProcessorContext } from './processor-context.js';
import { Record } from './record.js';

const header = (key: string, value: string | null): Header => ({ key, value: value === null ? null : Buffer.from(value) });
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.bigInt());
const anyHeaders: fc.Arbitrary<Header[]> = fc.array(
  fc.record({ key: fc.string(), value: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }) }),
  { maxLength: 4 },
);

describe('Record', () => {
  test.prop([anyValue, anyValue, fc.integer({ min: 0 }), anyHeaders, anyValue, anyValue, fc.integer({ min: 0 }), anyHeaders])(
    'every with... returns a new record with one field changed and leaves the receiver as it was',
    (key, value, ts, headers, key2, value2, ts2, headers2) => {
      const r = new Record(key, value, ts, headers);
      const before = { key: r.key, value: r.value, timestampMs: r.timestampMs, headers: r.headers };
      const derived = [r.withKey(key2), r.withValue(value2), r.withTimestamp(ts2), r.withHeaders(headers2)];
      expect(derived.map((d) => [d.key, d.value, d.timestampMs, d.headers])).toEqual([
        [key2, value, ts, r.headers],
        [key, value2, ts, r.headers],
        [key, value, ts2, r.headers],
        [key, value, ts, headers2],
      ]);
      for (const d of derived) {
        expect(d).toBeInstanceOf(Record);
        expect(d).not.toBe(r);
      }
      expect({ key: r.key, value: r.value, timestampMs: r.timestampMs, headers: r.headers }).toEqual(before);
    },
  );

  it('copies and freezes headers it is given, so later changes to the caller array do not show', () => {
    const given = [header('a', '1')];
    const r = new Record('k', 'v', 0, given);
    given.push(header('b', '2'));
    expect(r.headers.map((h) => h.key)).toEqual(['a']);
    expect(Object.isFrozen(r.headers)).toBe(true);
    expect(() => (r.headers as Header[]).push(header('c', '3'))).toThrow(TypeError);
  });

  it('shares frozen headers between derived records instead of copying them again', () => {
    const r = new Record('k', 'v', 0, [header('a', '1')]);
    expect(r.withValue(1).headers).toBe(r.headers);
    expect(r.withKey(2).withTimestamp(5).headers).toBe(r.headers);
    const frozen: Headers = Object.freeze([header('x', null)]);
    expect(new Record('k', 'v', 0, frozen).headers).toBe(frozen);
  });

  it('uses the shared empty header list when none (or an empty one) is given', () => {
    expect(new Record('k', 'v', 0).headers).toBe(NO_HEADERS);
    expect(new Record('k', 'v', 0, []).headers).toBe(NO_HEADERS);
  });

  it('compares by content in tests (fields are own properties)', () => {
    expect(new Record('a', 1, 5)).toEqual(new Record('a', 1, 5));
    expect(new Record('a', 1, 5)).not.toEqual(new Record('a', 2, 5));
    expect(String(new Record('a', 1, 5))).toBe('Record(key=a, value=1, timestampMs=5)');
  });

  it('changes the key and value types with withKey and withValue (type test)', () => {
    const r = new Record('alice', 3, 1_000);
    expectTypeOf(r).toEqualTypeOf<Record<string, number>>();
    expectTypeOf(r.withKey(42)).toEqualTypeOf<Record<number, number>>();
    expectTypeOf(r.withValue({ n: 1 })).toEqualTypeOf<Record<string, { n: number }>>();
    expectTypeOf(r.withKey(null).withValue('x')).toEqualTypeOf<Record<null, string>>();
    expectTypeOf(r.withTimestamp(1)).toEqualTypeOf<Record<string, number>>();
    expectTypeOf(r.withHeaders([])).toEqualTypeOf<Record<string, number>>();
    // Fields are readonly: the compiler rejects assignments (never called: the object itself is not frozen).
    const assign = (): void => {
      // @ts-expect-error key is readonly
      r.key = 'bob';
      // @ts-expect-error value is readonly
      r.value = 4;
    };
    expect(typeof assign).toBe('function');
  });
});

describe('FixedKeyRecord', () => {
  it('is the same object as the record it views, without withKey', () => {
    const r = new Record('k', 'v', 7);
    const fixed = toFixedKeyRecord(r);
    expect(fixed).toBe(r);
    expect(fixed.withValue(3).value).toBe(3);
    expect(fixed.withValue(3).key).toBe('k');
    expectTypeOf(fixed.withValue(3)).toEqualTypeOf<FixedKeyRecord<string, number>>();
    expectTypeOf(fixed).not.toHaveProperty('withKey');
    // User code cannot pass off a Record (whose key it may have changed) as a fixed-key record.
    expectTypeOf<Record<string, string>>().not.toExtend<FixedKeyRecord<string, string>>();
  });
});

describe('Processor API types', () => {
  it('lets a terminal processor (default never outputs) forward nothing, and typed processors forward their types', () => {
    const terminal: Processor<string, number> = {
      init(context) {
        // @ts-expect-error a ProcessorContext<never, never> cannot forward a record
        context.forward(new Record('k', 1, 0));
      },
      process() {},
    };
    const forwarded: Record<string, number>[] = [];
    const context = { forward: (r: Record<string, number>) => forwarded.push(r) } as unknown as ProcessorContext<string, number>;
    const supplier: ProcessorSupplier<string, string, string, number> = () => {
      let ctx: ProcessorContext<string, number>;
      return {
        init: (c) => {
          ctx = c;
        },
        process: (record) => ctx.forward(record.withValue(record.value.length)),
      };
    };
    const p = supplier();
    p.init?.(context);
    p.process(new Record('k', 'hello', 1));
    expect(forwarded).toEqual([new Record('k', 5, 1)]);
    expect(supplier()).not.toBe(p);
    expect(terminal.close).toBeUndefined();
  });

  it('types a fixed-key processor so it can only forward fixed-key records', () => {
    const out: unknown[] = [];
    const context = { forward: (r: unknown) => out.push(r) } as unknown as FixedKeyProcessorContext<string, number>;
    const length: FixedKeyProcessor<string, string, number> = {
      process(record) {
        context.forward(record.withValue(record.value.length));
        // @ts-expect-error a plain Record (possibly re-keyed) is not a FixedKeyRecord
        context.forward(new Record('other', 1, 0));
      },
    };
    length.process(toFixedKeyRecord(new Record('k', 'abc', 0)));
    expect(out[0]).toEqual(new Record('k', 3, 0));
  });
});
