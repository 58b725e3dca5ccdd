/**
 * A strict parser of Prometheus' text exposition format (version 0.0.4), for tests: it throws on anything a
 * Prometheus server would refuse or that the format forbids, rather than guessing.
 */

/** One sample line: metric name, labels, value. */
export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family: its TYPE, HELP and samples (in the order written). */
export interface PrometheusFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly help: string | null;
  readonly samples: PrometheusSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(lineNo: number, line: string, why: string): never {
  throw new Error(`prometheus text line ${lineNo}: ${why}: ${JSON.stringify(line)}`);
}

function parseValue(raw: string, lineNo: number, line: string): number {
  if (raw === 'NaN') return Number.NaN;
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) fail(lineNo, line, `bad value ${raw}`);
  return Number(raw);
}

/** Unescapes a HELP text: only `\\` and `\n` are escapes there. */
function unescapeHelp(raw: string, lineNo: number, line: string): string {
  return raw.replace(/\\(.?)/g, (_m, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    return fail(lineNo, line, `bad escape \\${c} in HELP`);
  });
}

/** Reads `{a="x",b="y"}` starting at `text[i] === '{'`; returns the labels and the index after `}`. */
function parseLabels(text: string, start: number, lineNo: number, line: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    if (text[i] === '}') return { labels, end: i + 1 };
    const eq = text.indexOf('=', i);
    if (eq < 0) fail(lineNo, line, 'label without =');
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith('__')) fail(lineNo, line, `bad label name ${name}`);
    if (name in labels) fail(lineNo, line, `label ${name} twice`);
    if (text[eq + 1] !== '"') fail(lineNo, line, 'label value not quoted');
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) fail(lineNo, line, 'unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const e = text[j + 1];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else fail(lineNo, line, `bad escape \\${String(e)} in a label value`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail(lineNo, line, 'expected , or } after a label');
  }
}

/**
 * Parses exposition text strictly: every line a HELP, a TYPE, another comment, or a sample; names and label names
 * valid; label values and HELP with only the allowed escapes; at most one HELP and one TYPE per family, both before
 * its samples; a family's samples together; no series twice; counters not negative; a final newline.
 *
 * @example
 * ```ts
 * const families = parsePrometheusText(toPrometheusText(streams.metrics()));
 * families.get('tributary_stream_task_metrics_process_total')!.samples.reduce((n, s) => n + s.value, 0);
 * ```
 */
export function parsePrometheusText(text: string): Map<string, PrometheusFamily> {
  const families = new Map<string, PrometheusFamily & { type: PrometheusFamily['type']; help: string | null }>();
  if (text === '') return families;
  if (!text.endsWith('\n')) throw new Error('prometheus text must end with a newline');
  const closed = new Set<string>();
  let current: string | null = null;
  const series = new Set<string>();
  const familyOf = (name: string, lineNo: number, line: string): PrometheusFamily & { type: PrometheusFamily['type']; help: string | null } => {
    if (current !== name) {
      if (current !== null) closed.add(current);
      if (closed.has(name)) fail(lineNo, line, `family ${name} is not contiguous`);
      current = name;
    }
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, type: 'untyped', help: null, samples: [] }));
    return f;
  };
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (m === null) return; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string | undefined];
      if (!METRIC_NAME.test(name)) fail(lineNo, line, `bad metric name ${name}`);
      const f = familyOf(name, lineNo, line);
      if (kind === 'HELP') {
        if (f.help !== null) fail(lineNo, line, 'second HELP');
        f.help = unescapeHelp(rest ?? '', lineNo, line);
      } else {
        if (f.samples.length > 0) fail(lineNo, line, 'TYPE after samples');
        if (f.type !== 'untyped' || rest === undefined || !TYPES.has(rest)) fail(lineNo, line, 'bad or second TYPE');
        f.type = rest as PrometheusFamily['type'];
      }
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) fail(lineNo, line, 'no metric name');
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) fail(lineNo, line, `bad metric name ${name}`);
    let labels: Record<string, string> = {};
    let i = nameEnd;
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i, lineNo, line));
    if (line[i] !== ' ') fail(lineNo, line, 'expected a space before the value');
    const parts = line.slice(i + 1).split(' ');
    if (parts.length > 2 || (parts.length === 2 && !/^-?\d+$/.test(parts[1]!))) fail(lineNo, line, 'bad value or timestamp');
    const value = parseValue(parts[0]!, lineNo, line);
    const f = familyOf(name, lineNo, line);
    if (f.type === 'counter' && value < 0) fail(lineNo, line, 'negative counter');
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    if (series.has(key)) fail(lineNo, line, 'series repeated');
    series.add(key);
    f.samples.push({ name, labels, value });
  });
  return families;
}

/**
 * The sum of a family's samples whose labels include `match` (0 when the family is missing).
 *
 * @example
 * ```ts
 * sumOf(families, 'tributary_stream_topic_metrics_records_consumed_total', { topic: 'lines' });
 * ```
 */
export function sumOf(families: ReadonlyMap<string, PrometheusFamily>, name: string, match: Readonly<Record<string, string | RegExp>> = {}): number {
  let n = 0;
  for (const s of families.get(name)?.samples ?? []) {
    const ok = Object.entries(match).every(([k, v]) => (typeof v === 'string' ? s.labels[k] === v : s.labels[k] !== undefined && v.test(s.labels[k])));
    if (ok) n += s.value;
  }
  return n;
}
