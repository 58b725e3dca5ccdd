import type { Metric, Sensor, StreamsMetrics } from '../src/processor/streams-metrics.js';

/** Kafka Streams' group of task-level metrics. */
export const TASK_METRICS_GROUP = 'stream-task-metrics';

class Counter implements Sensor {
  total = 0;
  record(value = 1): void {
    this.total += value;
  }
}

/**
 * The metrics of one application instance (or one TopologyTestDriver): task-level sensors created by processors,
 * listed by {@link MetricsRegistry.metrics}. A task's sensors are removed when the task closes, as Kafka Streams
 * removes task metrics.
 *
 * @example
 * ```ts
 * const registry = new MetricsRegistry('word-count-StreamThread-1');
 * registry.forTask('0_0').taskSensor('dropped-records').record();
 * registry.metrics(); // [{ group: 'stream-task-metrics', name: 'dropped-records-total', tags: {...}, value: 1 }]
 * ```
 */
export class MetricsRegistry {
  readonly #threadId: string;
  readonly #byTask = new Map<string, Map<string, Counter>>();

  constructor(threadId: string) {
    this.#threadId = threadId;
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

  /** Every metric now, sorted by task id then name. */
  metrics(): Metric[] {
    const out: Metric[] = [];
    for (const taskId of [...this.#byTask.keys()].sort()) {
      const sensors = this.#byTask.get(taskId)!;
      for (const name of [...sensors.keys()].sort()) {
        out.push({ group: TASK_METRICS_GROUP, name: `${name}-total`, tags: { 'thread-id': this.#threadId, 'task-id': taskId }, value: sensors.get(name)!.total });
      }
    }
    return out;
  }
}
