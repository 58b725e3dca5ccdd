import type { Metric, Sensor, StreamsMetrics } from '../src/processor/streams-metrics.js';
import { systemClock, type Clock } from '../src/util/clock.js';
import { MetricWindows } from './metrics/metric-windows.js';
import { TASK_METRICS_GROUP } from './metrics/task-metrics.js';

class Counter implements Sensor {
  total = 0;
  record(value = 1): void {
    this.total += value;
  }
}

/**
 * Lists built-in metrics into `out` at `nowMs` (the stream thread's, or the TopologyTestDriver's tasks'), using
 * `windows` for rates.
 *
 * @example
 * ```ts
 * registry.setCollector((out, nowMs, windows) => {
 *   for (const task of tasks) collectTaskMetrics(task, registry.threadId, windows, nowMs, out);
 * });
 * ```
 */
export type MetricsCollector = (out: Metric[], nowMs: number, windows: MetricWindows) => void;

/**
 * The metrics of one stream thread (or one TopologyTestDriver): the built-in metrics its collector lists (thread,
 * task, processor-node, topic, store and lag metrics, read from plain counters at listing time) followed by the
 * task-level sensors processors create. A task's sensors are removed when the task closes, as Kafka Streams removes
 * task metrics.
 *
 * @example
 * ```ts
 * const registry = new MetricsRegistry('word-count-StreamThread-1');
 * registry.forTask('0_0').taskSensor('dropped-records').record();
 * registry.metrics(); // [{ group: 'stream-task-metrics', name: 'dropped-records-total', tags: {...}, value: 1 }]
 * ```
 */
export class MetricsRegistry {
  readonly threadId: string;
  readonly #byTask = new Map<string, Map<string, Counter>>();
  readonly #clock: Clock;
  readonly #windows: MetricWindows;
  #collector: MetricsCollector | null = null;

  /** `sampleWindowMs`: the window of rates, windowed averages and maxima (default 10000). */
  constructor(threadId: string, options: { readonly clock?: Clock; readonly sampleWindowMs?: number } = {}) {
    this.threadId = threadId;
    this.#clock = options.clock ?? systemClock;
    this.#windows = new MetricWindows(options.sampleWindowMs ?? 10_000);
  }

  /** Sets (or clears) what lists the built-in metrics; the stream thread or the test driver sets it once. */
  setCollector(collector: MetricsCollector | null): void {
    this.#collector = collector;
  }

  /** The {@link StreamsMetrics} processors of task `taskId` see. */
  forTask(taskId: string): StreamsMetrics {
    return {
      taskSensor: (name: string): Sensor => {
        let sensors = this.#byTask.get(taskId);
        if (sensors === undefined) this.#byTask.set(taskId, (sensors = new Map()));
        let sensor = sensors.get(name);
        if (sensor === undefined) sensors.set(name, (sensor = new Counter()));
        return sensor;
      },
    };
  }

  /** Forgets the sensors of a closed task. */
  removeTask(taskId: string): void {
    this.#byTask.delete(taskId);
  }

  /** Every metric now: the collector's, then the task sensors sorted by task id then name. */
  metrics(): Metric[] {
    const out: Metric[] = [];
    const collector = this.#collector;
    if (collector !== null) {
      this.#windows.beginPass();
      try {
        collector(out, this.#clock.nowMs(), this.#windows);
      } finally {
        this.#windows.endPass();
      }
    }
    for (const taskId of [...this.#byTask.keys()].sort()) {
      const sensors = this.#byTask.get(taskId)!;
      for (const name of [...sensors.keys()].sort()) {
        out.push({ group: TASK_METRICS_GROUP, name: `${name}-total`, tags: { 'thread-id': this.threadId, 'task-id': taskId }, value: sensors.get(name)!.total });
      }
    }
    return out;
  }
}
