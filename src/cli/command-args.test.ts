import { describe, expect, it } from 'vitest';
import { formatTable, onePositional, parseCommandArgs, unescapeSeparator, wholeNumber } from './command-args.js';
import { logTarget } from './log-connection.js';
import { UsageError } from './usage-error.js';

describe('command arguments', () => {
  it('turns parseArgs errors into usage errors', () => {
    expect(() => parseCommandArgs(['--nope'], { yes: { type: 'boolean' } })).toThrow(UsageError);
    expect(() => parseCommandArgs(['--group'], { group: { type: 'string' } })).toThrow(UsageError);
    expect(parseCommandArgs(['t', '--yes'], { yes: { type: 'boolean' } })).toMatchObject({ values: { yes: true }, positionals: ['t'] });
  });

  it('reads whole numbers within bounds', () => {
    expect(wholeNumber(undefined, '--n', 7, 1)).toBe(7);
    expect(wholeNumber('12', '--n', 7, 1)).toBe(12);
    for (const bad of ['0', '1.5', 'x', '', '1e3', '101']) expect(() => wholeNumber(bad, '--n', 7, 1, 100)).toThrow(UsageError);
  });

  it('unescapes separators as typed in a shell', () => {
    expect(unescapeSeparator('\\t', '--s')).toBe('\t');
    expect(unescapeSeparator('::', '--s')).toBe('::');
    expect(unescapeSeparator('\\\\', '--s')).toBe('\\');
    expect(unescapeSeparator('a\\nb', '--s')).toBe('a\nb');
    expect(() => unescapeSeparator('', '--s')).toThrow(UsageError);
  });

  it('needs exactly one positional', () => {
    expect(onePositional(['t'], 'produce', 'TOPIC')).toBe('t');
    expect(() => onePositional([], 'produce', 'TOPIC')).toThrow('produce needs TOPIC');
    expect(() => onePositional(['a', 'b'], 'produce', 'TOPIC')).toThrow(UsageError);
  });

  it('pads table columns to the widest cell, without trailing spaces', () => {
    expect(formatTable([['GROUP', 'STATE'], ['word-count', 'Stable'], ['g', '']])).toBe('GROUP       STATE\nword-count  Stable\ng\n');
  });

  it('takes the log from --broker, --data-dir or TRIBUTARY_BROKER', () => {
    expect(logTarget('a:1, b:2', undefined, {}, true)).toEqual({ kind: 'network', bootstrapServers: ['a:1', 'b:2'] });
    expect(logTarget(undefined, 'rel/dir', {}, true)).toMatchObject({ kind: 'embedded' });
    expect((logTarget(undefined, '/data', { TRIBUTARY_BROKER: 'x:1' }, true) as { dataDir: string }).dataDir).toBe('/data');
    expect(logTarget(undefined, undefined, { TRIBUTARY_BROKER: 'x:1' }, true)).toEqual({ kind: 'network', bootstrapServers: ['x:1'] });
    expect(logTarget(undefined, undefined, {}, false)).toBeNull();
    expect(() => logTarget(undefined, undefined, {}, true)).toThrow(UsageError);
    expect(() => logTarget('a:1', '/data', {}, true)).toThrow('not both');
  });
});
