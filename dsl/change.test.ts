import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Serdes } from '../src/serdes/serdes.js';
import { changeSerde } from './change.js';
import { longSerde } from './long-serde.js';

const hex = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString('hex'));

describe('changeSerde (Kafka ChangedSerializer format)', () => {
  const serde = changeSerde(Serdes.String());

  it('writes Kafka 3.5+ bytes: value + flag, or uint32 length + new + old + 2', () => {
    expect(hex(serde.serialize('t', { newValue: 'ab', oldValue: null }))).toBe('616201');
    expect(hex(serde.serialize('t', { newValue: null, oldValue: 'ab' }))).toBe('616200');
    expect(hex(serde.serialize('t', { newValue: 'a', oldValue: 'bc' }))).toBe('00000001' + '61' + '6263' + '02');
    expect(serde.serialize('t', null)).toBeNull();
    expect(() => serde.serialize('t', { newValue: null, oldValue: null })).toThrow(expect.objectContaining({ code: 'SERDE_FAILED' }));
    expect(() => serde.deserialize('t', Buffer.from([0x61, 0x07]))).toThrow(expect.objectContaining({ code: 'SERDE_FAILED' }));
  });

  it('round-trips every change with at least one value', () => {
    const value = fc.option(fc.string(), { nil: null });
    fc.assert(
      fc.property(value, value, (newValue, oldValue) => {
        fc.pre(newValue !== null || oldValue !== null);
        expect(serde.deserialize('t', serde.serialize('t', { newValue, oldValue }))).toEqual({ newValue, oldValue });
      }),
    );
  });
});

describe('longSerde (Kafka LongSerde bytes for numbers)', () => {
  it('writes 8-byte big-endian two\'s complement and round-trips safe integers', () => {
    expect(hex(longSerde().serialize('t', 3))).toBe('0000000000000003');
    expect(hex(longSerde().serialize('t', -1))).toBe('ffffffffffffffff');
    expect(hex(longSerde().serialize('t', 2 ** 40))).toBe(hex(Serdes.BigInt().serialize('t', 2n ** 40n)));
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(longSerde().deserialize('t', longSerde().serialize('t', n))).toBe(n);
        expect(hex(longSerde().serialize('t', n))).toBe(hex(Serdes.BigInt().serialize('t', BigInt(n))));
      }),
    );
  });

  it('refuses numbers it cannot write exactly and int64s beyond 2^53', () => {
    expect(() => longSerde().serialize('t', 1.5)).toThrow(expect.objectContaining({ code: 'SERDE_FAILED' }));
    expect(() => longSerde().deserialize('t', Serdes.BigInt().serialize('t', 2n ** 60n))).toThrow(expect.objectContaining({ code: 'SERDE_FAILED' }));
    expect(() => longSerde().deserialize('t', Buffer.alloc(4))).toThrow(expect.objectContaining({ code: 'SERDE_FAILED' }));
  });
});
