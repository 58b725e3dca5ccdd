import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Metric } from '../../src/processor/streams-metrics.js';
import { parsePrometheusText } from '../../test/helpers/prometheus-text.js';
import { prometheusName, toPrometheusText } from './prometheus.js';

const m = (group: string, name: string, tags: Record<string, string>, value: number): Metric => ({ group, name, tags, value });

describe('toPrometheusText', () => {
  it('writes one HELP and TYPE per family, counters for -total and gauges otherwise, samples grouped by family', () => {
    const text = toPrometheusText([
      m('stream-task-metrics', 'process-total', { 'thread-id': 't', 'task-id': '0_0' }, 3),
      m('stream-task-metrics', 'process-rate', { 'thread-id': 't', 'task-id': '0_0' }, 1.5),
      m('stream-task-metrics', 'process-total', { 'thread-id': 't', 'task-id': '0_1' }, 4),
    ]);
    expect(text).toBe(
      [
        '# HELP tributary_stream_task_metrics_process_total Records the task processed.',
        '# TYPE tributary_stream_task_metrics_process_total counter',
        'tributary_stream_task_metrics_process_total{task_id="0_0",thread_id="t"} 3',
        'tributary_stream_task_metrics_process_total{task_id="0_1",thread_id="t"} 4',
        '# HELP tributary_stream_task_metrics_process_rate Records the task processed per second.',
        '# TYPE tributary_stream_task_metrics_process_rate gauge',
        'tributary_stream_task_metrics_process_rate{task_id="0_0",thread_id="t"} 1.5',
        '',
      ].join('\n'),
    );
    expect(parsePrometheusText(text).get('tributary_stream_task_metrics_process_total')!.type).toBe('counter');
  });

  it('escapes label values, sanitises names and label names, writes special values, drops a repeated series', () => {
    const text = toPrometheusText([
      m('my group', 'odd.name-total', { 'a-b': 'quote " back \\ nl \n end', '0x': 'v', __r: 'w' }, 1),
      m('my group', 'odd.name-total', { 'a-b': 'quote " back \\ nl \n end', '0x': 'v', __r: 'w' }, 2),
      m('g', 'nan', {}, Number.NaN),
      m('g', 'inf', {}, Infinity),
      m('g', 'neg', { x: '' }, -Infinity),
    ]);
    const families = parsePrometheusText(text);
    const odd = families.get('tributary_my_group_odd_name_total')!;
    expect(odd.samples).toEqual([{ name: 'tributary_my_group_odd_name_total', labels: { a_b: 'quote " back \\ nl \n end', _0x: 'v', tag__r: 'w' }, value: 1 }]);
    expect(families.get('tributary_g_nan')!.samples[0]!.value).toBeNaN();
    expect(families.get('tributary_g_inf')!.samples[0]!.value).toBe(Infinity);
    expect(families.get('tributary_g_neg')!.samples[0]).toMatchObject({ labels: { x: '' }, value: -Infinity });
    expect(text).toContain('a_b="quote \\" back \\\\ nl \\n end"');
    expect(toPrometheusText([])).toBe('');
  });

  it('the strict parser refuses what Prometheus refuses', () => {
    const bad = [
      'x 1', // no final newline
      'x{a="1"} 1\ny 2\nx{a="2"} 3\n', // family not contiguous
      '# TYPE x counter\n# TYPE x gauge\nx 1\n', // two TYPEs
      'x{a="\\q"} 1\n', // bad escape
      'x{__a="1"} 1\n', // reserved label name
      '# TYPE x counter\nx -1\n', // negative counter
      'x 1\nx 2\n', // repeated series
      'x one\n', // bad value
    ];
    for (const text of bad) expect(() => parsePrometheusText(text), text).toThrow();
  });

  test.prop([
    fc.array(
      fc.record({
        group: fc.constantFrom('stream-task-metrics', 'stream-thread-metrics', 'a.b c'),
        name: fc.constantFrom('process-total', 'process-rate', 'x-y'),
        tags: fc.dictionary(fc.constantFrom('thread-id', 'task-id', 'topic', 'p'), fc.string({ unit: 'binary', maxLength: 8 })),
        value: fc.oneof(fc.nat(), fc.double({ noNaN: true, min: 0 })),
      }),
      { maxLength: 30 },
    ),
  ])('any metrics parse back strictly, each first series with its value', (metrics) => {
    const families = parsePrometheusText(toPrometheusText(metrics));
    const seen = new Set<string>();
    for (const metric of metrics) {
      const name = prometheusName(metric.group, metric.name);
      const labels = Object.fromEntries(Object.entries(metric.tags).map(([k, v]) => [k.replace(/[^a-zA-Z0-9_]/g, '_'), v]));
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const sample = families.get(name)!.samples.find((s) => JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
      expect(sample?.value).toBe(metric.value);
    }
    expect([...families.values()].reduce((n, f) => n + f.samples.length, 0)).toBe(seen.size);
  });
});
