import type { Metric } from '../../src/processor/streams-metrics.js';
import { describeMetric } from './metric-descriptions.js';

/** Prometheus' content type of the text exposition format this module writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly lines: string[];
  readonly seen: Set<string>;
}

/**
 * A Prometheus metric name for a metric: `tributary_<group>_<name>` with every character outside `[a-zA-Z0-9_]`
 * replaced by `_`.
 *
 * @example
 * ```ts
 * prometheusName('stream-thread-metrics', 'process-total'); // 'tributary_stream_thread_metrics_process_total'
 * ```
 */
export function prometheusName(group: string, name: string): string {
  return `tributary_${group}_${name}`.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** A valid label name for a tag: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`. */
function labelName(tag: string): string {
  let n = tag.replace(/[^a-zA-Z0-9_]/g, '_');
  if (n === '' || /^[0-9]/.test(n)) n = `_${n}`;
  if (n.startsWith('__')) n = `tag${n}`;
  return n;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Object.is(v, -0) ? '0' : String(v);
}

/**
 * The Prometheus text exposition (format 0.0.4) of `metrics`, e.g. for a `/metrics` endpoint: one family per
 * metric name (`tributary_<group>_<name>`, sanitised) with a `# HELP` and a `# TYPE` line, `counter` for `-total`
 * metrics and `gauge` for the others; tags become labels (names sanitised to `[a-zA-Z0-9_]`, values escaped). The
 * samples of a family are written together, in the order met; a second sample with the same name and labels is
 * dropped (the exposition must not repeat a series). Ends with a newline.
 *
 * @example
 * ```ts
 * toPrometheusText([{ group: 'stream-task-metrics', name: 'process-total', tags: { 'task-id': '0_1' }, value: 42 }]);
 * // # HELP tributary_stream_task_metrics_process_total Records the task processed.
 * // # TYPE tributary_stream_task_metrics_process_total counter
 * // tributary_stream_task_metrics_process_total{task_id="0_1"} 42
 * ```
 */
export function toPrometheusText(metrics: readonly Metric[]): string {
  const families = new Map<string, Family>();
  for (const m of metrics) {
    const name = prometheusName(m.group, m.name);
    const type = m.name.endsWith('-total') ? 'counter' : 'gauge';
    let family = families.get(name);
    if (family === undefined) families.set(name, (family = { name, type, help: describeMetric(m.group, m.name), lines: [], seen: new Set() }));
    else if (family.type !== type) continue; // a name sanitised into another family's of a different type
    const labels: string[] = [];
    const used = new Set<string>();
    for (const tag of Object.keys(m.tags).sort()) {
      const label = labelName(tag);
      if (used.has(label)) continue; // two tags that sanitise alike: the first wins
      used.add(label);
      labels.push(`${label}="${escapeLabelValue(m.tags[tag]!)}"`);
    }
    const series = labels.length === 0 ? name : `${name}{${labels.join(',')}}`;
    if (family.seen.has(series)) continue;
    family.seen.add(series);
    family.lines.push(`${series} ${formatValue(m.value)}`);
  }
  const out: string[] = [];
  for (const f of families.values()) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const line of f.lines) out.push(line);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
