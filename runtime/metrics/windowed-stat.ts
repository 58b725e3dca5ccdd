/**
 * A latency (or lateness) accumulator the hot path records into with plain field writes: a count, a sum and the
 * largest value per unit since {@link MetricWindows} last took a sample of it.
 *
 * `record(value, n)` is meant for batches: `value` is the batch's total (e.g. the milliseconds a poll loop spent
 * processing `n` records), so the average is `sum / count` per unit and `max` is the largest per-unit value of one
 * batch, as Kafka Streams records process latency per loop iteration.
 *
 * @example
 * ```ts
 * const latency = new WindowedStat();
 * latency.record(2.5, 100); // 100 records in 2.5 ms: 0.025 ms each
 * latency.count; // 100
 * latency.max;   // 0.025
 * ```
 */
export class WindowedStat {
  /** Units recorded since creation (records, commits, polls). */
  count = 0;
  /** Sum of the recorded values since creation. */
  sum = 0;
  /** The largest per-unit value since the last sample {@link MetricWindows} took (it resets this). */
  max = 0;

  /** Adds a batch: `value` over `n` units (n >= 1). */
  record(value: number, n = 1): void {
    this.count += n;
    this.sum += value;
    const per = value / n;
    if (per > this.max) this.max = per;
  }
}
