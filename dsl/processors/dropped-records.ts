/**
 * How DSL processors account for records they drop: Kafka Streams' task-level `dropped-records` sensor and a debug
 * log line naming the record and why.
 */
import type { ProcessingContext } from '../../src/processor/processor-context.js';
import type { Sensor } from '../../src/processor/streams-metrics.js';

/**
 * Counts the records one processor dropped, records each into its task's `dropped-records` sensor (listed by
 * `KafkaStreams.metrics()` / `TopologyTestDriver.metrics()` as `dropped-records-total`) and logs it at debug level
 * with the record's topic, partition, offset and timestamp.
 *
 * @example
 * ```ts
 * init(context) { this.#dropped.init(context); }
 * process(record) { if (tooLate) return this.#dropped.record('expired window', record.timestampMs, { windowStartMs }); }
 * ```
 */
export class DroppedRecords {
  /** Records this processor dropped. */
  count = 0;
  #sensor: Sensor | null = null;
  #context: ProcessingContext | null = null;

  constructor(private readonly processorName: string) {}

  /** Binds to the task's sensor and logger (from the processor's `init`). */
  init(context: ProcessingContext): void {
    this.#context = context;
    this.#sensor = context.metrics.taskSensor('dropped-records');
  }

  /** Counts one dropped record (or one expired window of a record), with why. */
  record(reason: string, timestampMs: number, details?: Readonly<Record<string, number | string>>): void {
    this.count++;
    this.#sensor?.record();
    const context = this.#context;
    if (context === null || !context.logger.isLevelEnabled('debug')) return;
    const meta = context.recordMetadata();
    context.logger.debug(
      { processor: this.processorName, reason, topic: meta?.topic, partition: meta?.partition, offset: meta?.offset, timestampMs, streamTimeMs: context.currentStreamTimeMs(), ...details },
      `Skipping record: ${reason}`,
    );
  }
}
