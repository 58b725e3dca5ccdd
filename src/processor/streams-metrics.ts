/**
 * What processors see of the runtime's metrics (Kafka Streams' `StreamsMetrics`): counters scoped to the task running
 * them, which `KafkaStreams.metrics()` and `TopologyTestDriver.metrics()` list.
 */

/**
 * One metric as listed by `metrics()`: Kafka's metric group, name and tags, and its current value.
 *
 * @example
 * ```ts
 * const dropped = streams.metrics().filter((m) => m.name === 'dropped-records-total');
 * const total = dropped.reduce((n, m) => n + m.value, 0);
 * ```
 */
export interface Metric {
  /** Kafka's metric group, e.g. `stream-task-metrics`. */
  readonly group: string;
  /** e.g. `dropped-records-total`. */
  readonly name: string;
  /** e.g. `{ 'thread-id': 'word-count-StreamThread-1', 'task-id': '0_1' }`. */
  readonly tags: Readonly<Record<string, string>>;
  /** The value now. */
  readonly value: number;
}

/**
 * A counter a processor records into: `record()` adds 1 (or `value`) to the `<name>-total` metric.
 *
 * @example
 * ```ts
 * this.dropped = context.metrics.taskSensor('dropped-records');
 * this.dropped.record();
 * ```
 */
export interface Sensor {
  /** Adds `value` (default 1). */
  record(value?: number): void;
  /** The total recorded so far. */
  readonly total: number;
}

/**
 * The metrics of the task running a processor.
 *
 * @example
 * ```ts
 * init(context: ProcessorContext<string, number>) {
 *   this.skipped = context.metrics.taskSensor('dropped-records');
 * }
 * ```
 */
export interface StreamsMetrics {
  /**
   * The sensor `name` of this task: metric `<name>-total` in group `stream-task-metrics` tagged with the thread and
   * task ids. Every call with the same name returns the same sensor (processors of one task share it, as Kafka
   * Streams' task-level `dropped-records` sensor is shared).
   */
  taskSensor(name: string): Sensor;
}
