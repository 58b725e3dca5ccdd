import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { LineSplitter, lineParser } from './produce-command.js';

function splitAll(chunks: readonly Buffer[]): string[] {
  const lines: string[] = [];
  const s = new LineSplitter();
  for (const c of chunks) s.push(c, (l) => lines.push(l.toString('latin1')));
  s.end((l) => lines.push(l.toString('latin1')));
  return lines;
}

describe('produce: lines to records', () => {
  it('splits at LF only, keeps CR and empty lines, and needs no final LF', () => {
    expect(splitAll([Buffer.from('a\r\n\nb')])).toEqual(['a\r', '', 'b']);
    expect(splitAll([Buffer.from('a\n')])).toEqual(['a']);
    expect(splitAll([])).toEqual([]);
  });

  test.prop([fc.array(fc.constantFrom('a', 'b', '\n', '\t', '\r'), { maxLength: 60 }), fc.array(fc.nat(60), { maxLength: 6 })])(
    'gives the same lines however the input is cut into chunks',
    (chars, cuts) => {
      const text = chars.join('');
      const points = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let at = 0;
      for (const p of [...points, text.length]) {
        chunks.push(Buffer.from(text.slice(at, p), 'latin1'));
        at = p;
      }
      const expected = text.split('\n');
      if (expected.at(-1) === '') expected.pop();
      expect(splitAll(chunks)).toEqual(expected);
    },
  );

  it('makes the whole line the value, or splits key and value at the first separator', () => {
    const plain = lineParser(null, null)(Buffer.from('k\tv'), 1);
    expect(plain.key).toBeNull();
    expect(plain.value!.toString()).toBe('k\tv');
    const keyed = lineParser(Buffer.from('\t'), null)(Buffer.from('k\tv\tw'), 1);
    expect([keyed.key!.toString(), keyed.value!.toString(), keyed.partition]).toEqual(['k', 'v\tw', undefined]);
    const multi = lineParser(Buffer.from('::'), null)(Buffer.from('::v'), 1);
    expect([multi.key!.toString(), multi.value!.toString()]).toEqual(['', 'v']);
    expect(() => lineParser(Buffer.from('\t'), null)(Buffer.from('no separator'), 7)).toThrow(/line 7 has no key separator/);
  });

  it('with --partitions-from-key takes the key as the partition number', () => {
    const parse = lineParser(Buffer.from('\t'), 3);
    expect(parse(Buffer.from('2\tv'), 1)).toMatchObject({ partition: 2 });
    for (const bad of ['3\tv', '-1\tv', 'x\tv', '\tv', '1.0\tv']) expect(() => parse(Buffer.from(bad), 4)).toThrow(/line 4/);
  });
});
