import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BytesBTree } from './bytes-b-tree.js';
import { compareBytes, prefixEnd } from './compare-bytes.js';
import { keyPrefix } from './key-prefix-search.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface AnyNode {
  keys: Uint8Array[];
  prefixes: number[];
  children?: AnyNode[];
}

/** Checks that every node, inner or leaf, holds the prefix of each of its keys, in the same position. */
function checkPrefixes(node: AnyNode): void {
  expect(node.prefixes).toEqual(node.keys.map(keyPrefix));
  for (const child of node.children ?? []) checkPrefixes(child);
}

/** Walks the leaf chain both ways and checks order, size, the first/last pointers, and every node's prefixes. */
function checkLeaves(tree: BytesBTree<number>): string[] {
  checkPrefixes(tree.root as unknown as AnyNode);
  const forward: string[] = [];
  let previous: Uint8Array | null = null;
  for (let leaf: typeof tree.first | null = tree.first; leaf !== null; leaf = leaf.next) {
    for (const key of leaf.keys) {
      if (previous !== null) expect(Buffer.compare(previous, key)).toBeLessThan(0);
      previous = key;
      forward.push(hex(key));
    }
    if (leaf.next === null) expect(leaf).toBe(tree.last);
  }
  const backward: string[] = [];
  for (let leaf: typeof tree.last | null = tree.last; leaf !== null; leaf = leaf.prev) {
    for (let i = leaf.keys.length - 1; i >= 0; i--) backward.push(hex(leaf.keys[i]!));
  }
  expect(backward.reverse()).toEqual(forward);
  expect(forward.length).toBe(tree.size);
  return forward;
}

function scan(tree: BytesBTree<number>, from: Uint8Array | null, fi: boolean, to: Uint8Array | null, ti: boolean, reverse: boolean): string[] {
  const out: string[] = [];
  const cursor = tree.cursor(from, fi, to, ti, reverse);
  while (cursor.advance()) out.push(`${hex(cursor.key)}=${cursor.value}`);
  return out;
}

const key = fc.uint8Array({ maxLength: 3, max: 5 }).map((a) => Buffer.from(a.map((b) => [0, 1, 0x7f, 0x80, 0xfe, 0xff][b]!)));

describe('compareBytes', () => {
  it('orders as unsigned bytes, a prefix first, at any length (JS and native paths)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.uint8Array({ maxLength: 70 }), fc.uint8Array({ maxLength: 40 }), (a, b, common) => {
        const x = Buffer.concat([common, a]);
        const y = Buffer.concat([common, b]);
        expect(Math.sign(compareBytes(x, y))).toBe(Buffer.compare(x, y));
        expect(Math.sign(compareBytes(new Uint8Array(x), new Uint8Array(y)))).toBe(Buffer.compare(x, y));
      }),
    );
  });

  it('prefixEnd is the least key above every extension of the prefix, and leaves the prefix alone', () => {
    expect(prefixEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(prefixEnd(Buffer.from([0xff, 0xff]))).toBeNull();
    expect(prefixEnd(new Uint8Array(0))).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ maxLength: 4 }), (prefix, tail) => {
        const before = hex(prefix);
        const end = prefixEnd(Buffer.from(prefix));
        expect(hex(prefix)).toBe(before);
        const extended = Buffer.concat([prefix, tail]);
        if (end !== null) expect(compareBytes(extended, end)).toBeLessThan(0);
      }),
    );
  });
});

describe('BytesBTree', () => {
  it.each([3, 4, 8, 64])('agrees with a sorted model under random set/delete (node size %i)', (nodeSize) => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { maxLength: 600 }),
        (ops) => {
          const tree = new BytesBTree<number>(nodeSize);
          const model = new Map<string, number>();
          ops.forEach(([isSet, n], i) => {
            const k = Buffer.alloc(2);
            k.writeUInt16BE(n * 97 % 401);
            const kh = hex(k);
            if (isSet) {
              expect(tree.set(k, i)).toBe(model.get(kh));
              model.set(kh, i);
            } else {
              expect(tree.delete(k)).toBe(model.get(kh));
              model.delete(kh);
            }
          });
          const sorted = [...model.keys()].sort();
          expect(checkLeaves(tree)).toEqual(sorted);
          for (const [kh, v] of model) expect(tree.get(Buffer.from(kh, 'hex'))).toBe(v);
          expect(scan(tree, null, true, null, true, true)).toEqual(sorted.map((kh) => `${kh}=${model.get(kh)}`).reverse());
        },
      ),
      { numRuns: 60 },
    );
  });

  it.each([3, 64])('agrees with a sorted model for keys of any length that share prefixes (node size %i)', (nodeSize) => {
    // Lengths 0..7 over bytes at the padding and sign edges: many keys tie on their first four bytes.
    const varied = fc.array(fc.constantFrom(0x00, 0x01, 0x80, 0xff), { maxLength: 7 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), varied), { maxLength: 300 }), (ops) => {
        const tree = new BytesBTree<number>(nodeSize);
        const model = new Map<string, number>();
        ops.forEach(([isSet, k], i) => {
          const kh = hex(k);
          if (isSet) {
            expect(tree.set(k, i)).toBe(model.get(kh));
            model.set(kh, i);
          } else {
            expect(tree.delete(Buffer.from(k))).toBe(model.get(kh));
            model.delete(kh);
          }
        });
        const sorted = [...model.keys()].map((kh) => Buffer.from(kh, 'hex')).sort(Buffer.compare).map(hex);
        expect(checkLeaves(tree)).toEqual(sorted);
        for (const [kh, v] of model) expect(tree.get(Buffer.from(kh, 'hex'))).toBe(v);
        for (const [, k] of ops) expect(tree.get(k)).toBe(model.get(hex(k)));
      }),
      { numRuns: 100 },
    );
  });

  it('scans any bounds, inclusive or exclusive, both directions', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { selector: hex, maxLength: 60 }),
        fc.option(key, { nil: null }),
        fc.boolean(),
        fc.option(key, { nil: null }),
        fc.boolean(),
        fc.boolean(),
        (keys, from, fi, to, ti, reverse) => {
          const tree = new BytesBTree<number>(4);
          keys.forEach((k, i) => tree.set(k, i));
          const expected = keys
            .map((k, i) => ({ k, i }))
            .filter(({ k }) => from === null || Buffer.compare(k, from) > 0 || (fi && Buffer.compare(k, from) === 0))
            .filter(({ k }) => to === null || Buffer.compare(k, to) < 0 || (ti && Buffer.compare(k, to) === 0))
            .sort((a, b) => Buffer.compare(a.k, b.k))
            .map(({ k, i }) => `${hex(k)}=${i}`);
          if (reverse) expect(scan(tree, from, fi, to, ti, true)).toEqual(expected.reverse());
          else expect(scan(tree, from, fi, to, ti, false)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('cursors stay correct while the tree changes under them: each surviving key once, in order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 500 })), { maxLength: 300 }),
        fc.boolean(),
        (initial, changes, reverse) => {
          const tree = new BytesBTree<number>(4);
          const k = (n: number): Buffer => {
            const b = Buffer.alloc(2);
            b.writeUInt16BE(n);
            return b;
          };
          for (const n of initial) tree.set(k(n), n);
          const cursor = tree.cursor(null, true, null, true, reverse);
          const seen: number[] = [];
          const touched = new Set<number>();
          let c = 0;
          while (cursor.advance()) {
            seen.push(Buffer.from(cursor.key).readUInt16BE(0));
            // Between steps, add and delete keys anywhere.
            for (let j = 0; j < 2 && c < changes.length; j++, c++) {
              const [add, n] = changes[c]!;
              touched.add(n);
              if (add) tree.set(k(n), n);
              else tree.delete(k(n));
            }
          }
          const ordered = [...seen].sort((a, b) => (reverse ? b - a : a - b));
          expect(seen).toEqual(ordered);
          expect(new Set(seen).size).toBe(seen.length);
          // Keys present from start to end and never touched were all seen.
          for (const n of initial) if (!touched.has(n)) expect(seen).toContain(n);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each(['ascending', 'descending', 'middle-out'])('empties leaves at either end and in the middle (%s deletes)', (order) => {
    const tree = new BytesBTree<number>(4);
    const k = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
    const n = 300;
    for (let i = 0; i < n; i++) tree.set(k(i), i);
    const victims = Array.from({ length: n }, (_, i) => i);
    if (order === 'descending') victims.reverse();
    if (order === 'middle-out') victims.sort((a, b) => Math.abs(a - n / 2) - Math.abs(b - n / 2));
    const alive = new Set(victims);
    for (const v of victims) {
      expect(tree.delete(k(v))).toBe(v);
      alive.delete(v);
      // Re-inserting a deleted key lands in order and can be deleted again.
      tree.set(k(v), -1);
      expect(tree.delete(k(v))).toBe(-1);
      for (const probe of [0, v, n - 1, (v * 7) % n]) expect(tree.get(k(probe))).toBe(alive.has(probe) ? probe : undefined);
      if (v % 37 === 0) expect(checkLeaves(tree)).toEqual([...alive].sort((a, b) => a - b).map((i) => hex(k(i))));
    }
    expect(tree.size).toBe(0);
  });

  it('rebuilds after mass deletes and keeps working', () => {
    const tree = new BytesBTree<number>(8);
    const k = (n: number): Buffer => Buffer.from(n.toString(16).padStart(6, '0'), 'hex');
    for (let n = 0; n < 5000; n++) tree.set(k(n), n);
    for (let n = 0; n < 5000; n++) if (n % 10 !== 0) tree.delete(k(n));
    expect(tree.size).toBe(500);
    const keys = checkLeaves(tree);
    expect(keys).toEqual(Array.from({ length: 500 }, (_, i) => hex(k(i * 10))));
    tree.set(k(5), 5);
    expect(tree.get(k(5))).toBe(5);
    expect(tree.get(k(6))).toBeUndefined();
    for (let n = 0; n < 5000; n += 10) tree.delete(k(n));
    tree.delete(k(5));
    expect(tree.size).toBe(0);
    expect(checkLeaves(tree)).toEqual([]);
    expect(scan(tree, null, true, null, true, false)).toEqual([]);
  });
});
