import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BytesHashIndex, hashBytes } from './bytes-hash-index.js';
import type { HashIndexed } from './bytes-hash-index.js';

class Entry implements HashIndexed<Entry> {
  hash = 0;
  hashNext: Entry | null = null;
  constructor(
    readonly key: Uint8Array,
    readonly value: number,
  ) {}
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
// Few distinct bytes and short keys, so keys repeat, share prefixes, and many land in one bucket of a small table.
const key = fc.array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff), { maxLength: 6 }).map((a) => Uint8Array.from(a));

describe('hashBytes', () => {
  it('depends on the bytes only (Buffer, plain array, offset view alike) and on the seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer(), (bytes, seed) => {
        const backing = new Uint8Array(bytes.length + 5);
        backing.set(bytes, 3);
        const h = hashBytes(bytes, seed);
        expect(hashBytes(Buffer.from(bytes), seed)).toBe(h);
        expect(hashBytes(backing.subarray(3, 3 + bytes.length), seed)).toBe(h);
        expect(h | 0).toBe(h);
      }),
    );
    expect(hashBytes(Buffer.from('word'), 1)).not.toBe(hashBytes(Buffer.from('word'), 2));
  });

  it('spreads similar keys over the buckets', () => {
    // 16 Ki sequential ids into 16 Ki buckets: a good hash leaves about 1/e of the buckets empty and no long chain.
    const buckets = new Uint32Array(1 << 14);
    for (let i = 0; i < buckets.length; i++) buckets[hashBytes(Buffer.from(`user-${i}`), 12345) & (buckets.length - 1)]!++;
    const empty = buckets.filter((n) => n === 0).length / buckets.length;
    expect(empty).toBeGreaterThan(0.3);
    expect(empty).toBeLessThan(0.44);
    expect(Math.max(...buckets)).toBeLessThan(12);
  });
});

describe('BytesHashIndex', () => {
  it('agrees with a Map model under random add/remove/get, through growth, clear and the flooding fallback', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('add', 'remove', 'get', 'clear'), key), { maxLength: 400 }),
        fc.integer(),
        fc.constantFrom(1, 2, 32),
        (ops, seed, maxChain) => {
          const index = new BytesHashIndex<Entry>(seed, maxChain);
          const model = new Map<string, Entry>();
          ops.forEach(([op, k], i) => {
            const kh = hex(k);
            if (op === 'add') {
              const old = model.get(kh);
              if (old !== undefined) expect(index.remove(old)).toBe(true);
              const entry = new Entry(Uint8Array.from(k), i);
              index.add(entry);
              model.set(kh, entry);
            } else if (op === 'remove') {
              const entry = model.get(kh);
              // An entry never added (or already removed) is not found by identity.
              expect(index.remove(entry ?? new Entry(k, -1))).toBe(entry !== undefined);
              model.delete(kh);
            } else if (op === 'clear' && i % 7 === 0) {
              index.clear();
              model.clear();
            }
            // A fresh array with the same bytes finds the same entry.
            expect(index.get(Uint8Array.from(k))).toBe(model.get(kh));
            expect(index.size).toBe(model.size);
          });
          for (const [kh, entry] of model) expect(index.get(Buffer.from(kh, 'hex'))).toBe(entry);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('finds thousands of keys after growing, and none it never had', () => {
    const index = new BytesHashIndex<Entry>(7);
    const k = (n: number): Buffer => Buffer.from(`key-${n}`);
    for (let n = 0; n < 5000; n++) index.add(new Entry(k(n), n));
    expect(index.size).toBe(5000);
    for (let n = 0; n < 5000; n++) expect(index.get(k(n))?.value).toBe(n);
    expect(index.get(k(5000))).toBeUndefined();
    expect(index.get(new Uint8Array(0))).toBeUndefined();
  });

  it('does not trust the remembered lookup when the caller rewrote the array in between', () => {
    const index = new BytesHashIndex<Entry>(3);
    const a = new Entry(Buffer.from('aa'), 1);
    const b = new Entry(Buffer.from('bb'), 2);
    index.add(a);
    index.add(b);
    const scratch = Buffer.from('aa');
    expect(index.get(scratch)).toBe(a);
    scratch.write('bb');
    expect(index.get(scratch)).toBe(b);
    scratch.write('cc');
    expect(index.get(scratch)).toBeUndefined();
  });

  it('forgets a removed entry even when it was the last one found', () => {
    const index = new BytesHashIndex<Entry>(3);
    const a = new Entry(Buffer.from('aa'), 1);
    index.add(a);
    const probe = Buffer.from('aa');
    expect(index.get(probe)).toBe(a);
    expect(index.remove(a)).toBe(true);
    expect(index.get(probe)).toBeUndefined();
    index.add(a);
    expect(index.get(probe)).toBe(a);
    index.clear();
    expect(index.get(probe)).toBeUndefined();
    expect(index.size).toBe(0);
  });

  it('falls back to a Map when keys made to collide pile up in one bucket, and keeps working', () => {
    const seed = 99;
    // Keys sharing the low 6 bits of their hash stay in one bucket while the table grows to 64 buckets.
    const colliding: Buffer[] = [];
    for (let n = 0; colliding.length < 40; n++) {
      const k = Buffer.from(`k${n}`);
      if ((hashBytes(k, seed) & 63) === 5) colliding.push(k);
    }
    const index = new BytesHashIndex<Entry>(seed);
    const entries = colliding.map((k, i) => new Entry(k, i));
    entries.slice(0, 32).forEach((e) => index.add(e));
    expect(index.isFlooded).toBe(false);
    entries.slice(32).forEach((e) => index.add(e));
    expect(index.isFlooded).toBe(true);
    expect(index.size).toBe(40);
    for (const e of entries) expect(index.get(Buffer.from(e.key))).toBe(e);
    expect(index.get(Buffer.from('k-absent'))).toBeUndefined();
    expect(index.remove(entries[3]!)).toBe(true);
    expect(index.remove(entries[3]!)).toBe(false);
    expect(index.get(Buffer.from(entries[3]!.key))).toBeUndefined();
    expect(index.size).toBe(39);
    index.clear();
    expect([index.isFlooded, index.size]).toEqual([false, 0]);
    index.add(entries[0]!);
    expect(index.get(Buffer.from(entries[0]!.key))).toBe(entries[0]);
  });

  it('never falls back for ordinary keys', () => {
    const index = new BytesHashIndex<Entry>();
    for (let n = 0; n < 50_000; n++) index.add(new Entry(Buffer.from(`user-${n}`), n));
    for (let n = 0; n < 50_000; n += 2) index.remove(index.get(Buffer.from(`user-${n}`))!);
    expect([index.isFlooded, index.size]).toEqual([false, 25_000]);
    // Churn on one key (as a cache evicting and reloading it) does not count as a long chain.
    const hot = new Entry(Buffer.from('hot'), 0);
    for (let i = 0; i < 1000; i++) {
      index.add(hot);
      index.remove(hot);
    }
    expect(index.isFlooded).toBe(false);
  });
});
