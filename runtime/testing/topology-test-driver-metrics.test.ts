import { describe, expect, it } from 'vitest';
import type { Metric } from '../../src/processor/streams-metrics.js';
import { Serdes } from '../../src/serdes/serdes.js';
import { parsePrometheusText, sumOf } from '../../test/helpers/prometheus-text.js';
import { splitWords, wordCountTopology } from '../../test/helpers/word-count-topology.js';
import { toPrometheusText } from '../metrics/prometheus.js';
import { TopologyTestDriver } from './topology-test-driver.js';

const S = Serdes.String();

/** The value of the one metric matching group, name and tags (fails if none or several). */
function valueOf(metrics: readonly Metric[], group: string, name: string, tags: Record<string, string> = {}): number {
  const found = metrics.filter((m) => m.group === group && m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v));
  expect(found, `${group} ${name} ${JSON.stringify(tags)}`).toHaveLength(1);
  return found[0]!.value;
}

describe('TopologyTestDriver metrics', () => {
  it('lists task, node, topic and store metrics whose counters match what was processed', () => {
    const driver = new TopologyTestDriver(wordCountTopology({ caching: true }));
    const input = driver.createInputTopic('lines', S, S);
    const lines = ['a b c', 'a b', 'a', 'b d'];
    lines.forEach((l, i) => input.pipeInput(`k${i}`, l, 100));
    const words = lines.flatMap(splitWords).length;
    const distinct = new Set(lines.flatMap(splitWords)).size;
    const metrics = driver.metrics();
    const task = 'stream-task-metrics';
    const node = 'stream-processor-node-metrics';
    expect(valueOf(metrics, task, 'process-total', { 'task-id': '0_0' })).toBe(lines.length);
    expect(valueOf(metrics, task, 'process-total', { 'task-id': '1_0' })).toBe(words);
    expect(valueOf(metrics, node, 'process-total', { 'processor-node-id': 'Source' })).toBe(lines.length);
    expect(valueOf(metrics, node, 'process-total', { 'processor-node-id': 'Split' })).toBe(lines.length);
    for (const n of ['ToRepartition', 'Words', 'Count', 'Out']) expect(valueOf(metrics, node, 'process-total', { 'processor-node-id': n }), n).toBe(words);
    expect(valueOf(metrics, 'stream-topic-metrics', 'records-consumed-total', { 'processor-node-id': 'Source', topic: 'lines' })).toBe(lines.length);
    expect(valueOf(metrics, 'stream-topic-metrics', 'records-consumed-total', { 'processor-node-id': 'Words', topic: 'wc-words-repartition' })).toBe(words);
    expect(valueOf(metrics, 'stream-topic-metrics', 'records-produced-total', { 'processor-node-id': 'ToRepartition', topic: 'wc-words-repartition' })).toBe(words);
    expect(valueOf(metrics, 'stream-topic-metrics', 'records-produced-total', { 'processor-node-id': 'Out', topic: 'counts' })).toBe(words);

    const store = { 'thread-id': 'test-driver', 'task-id': '1_0', 'store-type': 'in-memory', 'in-memory-state-id': 'counts' };
    const state = 'stream-state-metrics';
    expect(metrics.find((m) => m.group === state && m.name === 'get-total')!.tags).toEqual(store);
    expect(valueOf(metrics, state, 'get-total', store)).toBe(words);
    expect(valueOf(metrics, state, 'put-total', store)).toBe(words);
    expect(valueOf(metrics, state, 'estimated-num-keys', store)).toBe(distinct);
    // Each word misses the cache once (its first get), then hits: the counts stay cached after flushes.
    expect(valueOf(metrics, state, 'hit-ratio', store)).toBe((words - distinct) / words);

    // The same numbers through the Prometheus text.
    const families = parsePrometheusText(toPrometheusText(metrics));
    expect(sumOf(families, 'tributary_stream_task_metrics_process_total', { task_id: /^1_/ })).toBe(words);
    expect(sumOf(families, 'tributary_stream_state_metrics_estimated_num_keys', { in_memory_state_id: 'counts' })).toBe(distinct);
    driver.close();
  });

  it('rates follow the virtual clock; record lateness is stream time minus the timestamp of late records', () => {
    const driver = new TopologyTestDriver(wordCountTopology(), { initialWallClockTimeMs: 1_000 });
    const input = driver.createInputTopic('lines', S, S);
    input.pipeInput('k', 'a', 100);
    input.pipeInput('k', 'b', 40); // 60 ms late
    input.pipeInput('k', 'c', 90); // 10 ms late
    input.pipeInput('k', 'd', 100);
    const rate = (): number => valueOf(driver.metrics(), 'stream-task-metrics', 'process-rate', { 'task-id': '0_0' });
    expect(rate()).toBe(0); // no virtual time has passed since the tasks were created
    driver.advanceWallClockTime(2_000);
    input.pipeInput('k', 'e', 100);
    input.pipeInput('k', 'f', 100);
    expect(rate()).toBe(3); // 6 records in 2 s (still the first window: since the task was created)
    const metrics = driver.metrics();
    expect(valueOf(metrics, 'stream-task-metrics', 'record-lateness-max', { 'task-id': '0_0' })).toBe(60);
    expect(valueOf(metrics, 'stream-task-metrics', 'record-lateness-avg', { 'task-id': '0_0' })).toBeCloseTo(70 / 6, 10);
    expect(valueOf(metrics, 'stream-task-metrics', 'process-latency-avg', { 'task-id': '0_0' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(metrics, 'stream-processor-node-metrics', 'process-rate', { 'task-id': '1_0', 'processor-node-id': 'Count' })).toBe(3);
    driver.close();
  });
});
