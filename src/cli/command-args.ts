/**
 * What the commands share to read their arguments: node:util's parseArgs with its errors turned into usage errors,
 * the `--broker` / `--data-dir` options, whole numbers, escaped separators, and table output.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SECURITY_OPTIONS } from './log-connection.js';
import { UsageError } from './usage-error.js';

/**
 * The options every command that reaches the log takes (see log-connection.ts).
 *
 * @example
 * ```ts
 * parseCommandArgs(args, { ...LOG_OPTIONS, partitions: { type: 'string' } });
 * ```
 */
export const LOG_OPTIONS = {
  broker: { type: 'string' },
  'data-dir': { type: 'string' },
  // How to secure a --broker connection (each falls back to its TRIBUTARY_* environment variable).
  ...SECURITY_OPTIONS,
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs in strict mode with positionals allowed: an unknown option or a missing value becomes a
 * {@link UsageError} (exit code 2 with the usage text).
 *
 * @example
 * ```ts
 * const { values, positionals } = parseCommandArgs(args, { 'from-beginning': { type: 'boolean' } });
 * ```
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (e: unknown) {
    throw asUsageError(e);
  }
}

/**
 * node:util's parseArgs errors (`ERR_PARSE_ARGS_*`) as a {@link UsageError}; any other error as is.
 *
 * @example
 * ```ts
 * catch (e: unknown) { throw asUsageError(e); }
 * ```
 */
export function asUsageError(e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return new UsageError((e as Error).message);
  return e;
}

/**
 * A whole-number option within [min, max]; `fallback` when absent.
 *
 * @example
 * ```ts
 * const partitions = wholeNumber(values.partitions, '--partitions', 1, 1, 100_000);
 * ```
 */
export function wholeNumber(value: string | undefined, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got '${value}'`);
  return n;
}

/**
 * A separator as typed on a command line: `\t`, `\n`, `\r` and `\\` are unescaped (so `--key-separator '\t'` means
 * a tab); anything else is taken literally. An empty separator is a usage error.
 *
 * @example
 * ```ts
 * unescapeSeparator('\\t'); // '\t'
 * ```
 */
export function unescapeSeparator(value: string, name: string): string {
  const s = value.replace(/\\([tnr\\])/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
  if (s === '') throw new UsageError(`${name} must not be empty`);
  return s;
}

/**
 * The exactly-one positional argument a command needs (a topic, a group, a module), else a usage error.
 *
 * @example
 * ```ts
 * const topic = onePositional(positionals, 'produce', 'TOPIC');
 * ```
 */
export function onePositional(positionals: readonly string[], command: string, what: string): string {
  if (positionals.length !== 1 || positionals[0] === '') {
    throw new UsageError(positionals.length === 0 ? `${command} needs ${what}` : `${command} takes one ${what}, got ${positionals.length} arguments: ${positionals.join(' ')}`);
  }
  return positionals[0]!;
}

/**
 * Rows as a text table: columns padded to their widest cell, two spaces apart, no trailing spaces; one line each.
 *
 * @example
 * ```ts
 * formatTable([['GROUP', 'STATE'], ['word-count', 'Stable']]); // 'GROUP       STATE\nword-count  Stable\n'
 * ```
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  let out = '';
  for (const row of rows) out += row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd() + '\n';
  return out;
}
