/**
 * Comparing what runs produced: records and tables are compared by value (a canonical text of keys and values), so
 * object keys such as `Windowed<K>` and bigint or byte values compare as a test expects.
 */
import type { OutputRecord, TestRecord, TopologyRun } from './test-records.js';

/**
 * How two runs' outputs are compared: `'sequence'` every record in order per partition (and its partition and
 * timestamp); `'multiset'` every key/value pair, in any order, as often as it was written; `'table'` only the last
 * value per key (a null value deletes the key), the final contents a table over the topic would hold.
 *
 * @example
 * ```ts
 * const view: OutputView = 'table';
 * ```
 */
export type OutputView = 'sequence' | 'multiset' | 'table';

/**
 * A stable text for any value a serde returns: equal values give equal text (object keys sorted; bigint, bytes,
 * Map, Set, Date, -0 and NaN kept apart from look-alikes).
 *
 * @example
 * ```ts
 * canonical({ b: 1n, a: [1, 'x'] }); // '{"a":[1,"x"],"b":1n}'
 * ```
 */
export function canonical(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Uint8Array) return `bytes(${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')})`;
      if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
      if (value instanceof Date) return `Date(${value.getTime()})`;
      if (value instanceof Map) return `Map{${[...value].map(([k, v]) => `${canonical(k)}=>${canonical(v)}`).sort().join(',')}}`;
      if (value instanceof Set) return `Set{${[...value].map(canonical).sort().join(',')}}`;
      const o = value as { readonly [k: string]: unknown };
      return `{${Object.keys(o)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
        .join(',')}}`;
    }
    default:
      return String(value);
  }
}

/**
 * The last value per key of `records` (a null value deletes its key), keyed by the key's canonical text.
 *
 * @example
 * ```ts
 * finalTable([{ key: 'a', value: 1, timestampMs: 0 }, { key: 'a', value: 2, timestampMs: 1 }]).get('"a"'); // { key: 'a', value: 2 }
 * ```
 */
export function finalTable(records: Iterable<TestRecord<unknown, unknown>>): Map<string, { readonly key: unknown; readonly value: unknown }> {
  const table = new Map<string, { readonly key: unknown; readonly value: unknown }>();
  for (const r of records) {
    const k = canonical(r.key);
    if (r.value === null) table.delete(k);
    else table.set(k, { key: r.key, value: r.value });
  }
  return table;
}

const MAX_LISTED = 8;

function listed(items: readonly string[]): string {
  const head = items.slice(0, MAX_LISTED).join('; ');
  return items.length > MAX_LISTED ? `${head}; ... (${items.length - MAX_LISTED} more)` : head;
}

/**
 * The differences between two tables (`key -> value`), as readable lines; empty when they are equal.
 *
 * @example
 * ```ts
 * tableDifferences('word-counts', expected, actual); // ['word-counts: key "a": expected 2, got 3']
 * ```
 */
export function tableDifferences(
  label: string,
  expected: ReadonlyMap<string, { readonly key: unknown; readonly value: unknown }>,
  actual: ReadonlyMap<string, { readonly key: unknown; readonly value: unknown }>,
): string[] {
  const out: string[] = [];
  for (const [k, e] of expected) {
    const a = actual.get(k);
    if (a === undefined) out.push(`key ${k}: expected ${canonical(e.value)}, missing`);
    else if (canonical(a.value) !== canonical(e.value)) out.push(`key ${k}: expected ${canonical(e.value)}, got ${canonical(a.value)}`);
  }
  for (const [k, a] of actual) if (!expected.has(k)) out.push(`key ${k}: expected no row, got ${canonical(a.value)}`);
  return out.length === 0 ? [] : [`${label} (final table, ${out.length} difference(s)): ${listed(out)}`];
}

function multisetDifferences(label: string, expected: readonly TestRecord<unknown, unknown>[], actual: readonly TestRecord<unknown, unknown>[]): string[] {
  const counts = new Map<string, number>();
  for (const r of expected) {
    const k = `${canonical(r.key)} -> ${canonical(r.value)}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const r of actual) {
    const k = `${canonical(r.key)} -> ${canonical(r.value)}`;
    counts.set(k, (counts.get(k) ?? 0) - 1);
  }
  const out: string[] = [];
  for (const [k, n] of counts) {
    if (n > 0) out.push(`${k} missing ${n}x`);
    else if (n < 0) out.push(`${k} extra ${-n}x`);
  }
  return out.length === 0 ? [] : [`${label} (records as a multiset, ${out.length} difference(s)): ${listed(out)}`];
}

function recordText(r: OutputRecord): string {
  return `p${r.partition} ${canonical(r.key)} -> ${canonical(r.value)} @${r.timestampMs}`;
}

function sequenceDifferences(label: string, expected: readonly OutputRecord[], actual: readonly OutputRecord[]): string[] {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    const et = e === undefined ? 'nothing' : recordText(e);
    const at = a === undefined ? 'nothing' : recordText(a);
    if (et !== at) return [`${label} (sequence): ${expected.length} vs ${actual.length} records; first difference at #${i}: expected ${et}, got ${at}`];
  }
  return [];
}

/**
 * The differences between an output topic's records in two runs under `view`; empty when they agree.
 *
 * @example
 * ```ts
 * outputDifferences('word-counts', baseline, other, 'table');
 * ```
 */
export function outputDifferences(label: string, expected: readonly OutputRecord[], actual: readonly OutputRecord[], view: OutputView): string[] {
  switch (view) {
    case 'sequence':
      return sequenceDifferences(label, expected, actual);
    case 'multiset':
      return multisetDifferences(label, expected, actual);
    case 'table':
      return tableDifferences(label, finalTable(expected), finalTable(actual));
  }
}

/**
 * A store's contents (`key -> value`) keyed by canonical key text, ready for {@link tableDifferences}.
 *
 * @example
 * ```ts
 * storeTable(run.stores.get('counts')!);
 * ```
 */
export function storeTable(contents: ReadonlyMap<unknown, unknown>): Map<string, { readonly key: unknown; readonly value: unknown }> {
  const table = new Map<string, { readonly key: unknown; readonly value: unknown }>();
  for (const [key, value] of contents) table.set(canonical(key), { key, value });
  return table;
}

/**
 * Every difference between two runs: each output topic under `view`, each store as a table. Empty when the runs agree.
 *
 * @example
 * ```ts
 * const diffs = runDifferences(uninterrupted, restarted, 'table');
 * if (diffs.length > 0) throw new Error(diffs.join('\n'));
 * ```
 */
export function runDifferences(expected: TopologyRun, actual: TopologyRun, view: OutputView): string[] {
  const out: string[] = [];
  const topics = new Set([...expected.outputs.keys(), ...actual.outputs.keys()]);
  for (const t of topics) out.push(...outputDifferences(`output topic '${t}'`, expected.outputs.get(t) ?? [], actual.outputs.get(t) ?? [], view));
  const stores = new Set([...expected.stores.keys(), ...actual.stores.keys()]);
  for (const s of stores) out.push(...tableDifferences(`store '${s}'`, storeTable(expected.stores.get(s) ?? new Map()), storeTable(actual.stores.get(s) ?? new Map())));
  return out;
}
