import type { Consumer } from '../../src/client/consumer.js';
import type { Metric } from '../../src/processor/streams-metrics.js';
import type { MetricWindows } from './metric-windows.js';
import { WindowedStat } from './windowed-stat.js';

/** Kafka Streams' group of thread-level metrics. */
export const THREAD_METRICS_GROUP = 'stream-thread-metrics';
/** Kafka's consumer group of fetch metrics, where `records-lag` lives. */
export const CONSUMER_FETCH_METRICS_GROUP = 'consumer-fetch-manager-metrics';

/**
 * The counters of one stream thread: plain fields the poll loop adds to once per poll, per process batch and per
 * commit (never per record); read only when metrics are listed. They only grow (closed tasks do not take theirs away).
 *
 * @example
 * ```ts
 * const counters = new ThreadCounters(clock.nowMs());
 * counters.commitLatency.record(3.2); // one commit took 3.2 ms
 * ```
 */
export class ThreadCounters {
  /** When the thread started: rates start from here. */
  startedMs: number;
  /** Polls (`count`) and the time they took, waiting included. */
  readonly pollLatency = new WindowedStat();
  /** Records polls returned. */
  recordsConsumed = 0;
  /** Records processed (`count`) and the time it took, per loop iteration across the thread's tasks. */
  readonly processLatency = new WindowedStat();
  /** Commits that committed offsets (`count`) and their duration. */
  readonly commitLatency = new WindowedStat();
  /** Records the thread's producer sent: output, repartition, changelog and dead-letter records. */
  recordsProduced = 0;
  /** Punctuators fired (wall-clock ones; stream-time ones fire inside processing). */
  punctuateTotal = 0;
  tasksCreated = 0;
  tasksClosed = 0;
  /** Partition assignments received (one per completed rebalance). */
  rebalances = 0;
  /** Changelog records restored, over the thread's life. */
  restoreRecords = 0;
  /** Changelog records still to restore for the task being restored now. */
  restoreRemaining = 0;

  constructor(startedMs: number) {
    this.startedMs = startedMs;
  }
}

/**
 * Appends a thread's metrics (group `stream-thread-metrics`, tag `thread-id`), with Kafka Streams' names: `poll-total`,
 * `poll-rate`, `poll-latency-avg/max`, `process-total` (records), `process-rate`, `process-latency-avg/max` (ms per
 * record: each loop iteration's processing time over its records), `commit-total`, `commit-rate`,
 * `commit-latency-avg/max`, `punctuate-total`, `task-created-total`, `task-closed-total`, and the records the thread
 * consumed and produced (`records-consumed-total/-rate`, `records-produced-total/-rate`). Rates are per second over
 * the metrics window; averages and maxima too (0 when nothing was recorded in it).
 *
 * @example
 * ```ts
 * collectThreadMetrics('app-StreamThread-1', counters, windows, clock.nowMs(), out);
 * ```
 */
export function collectThreadMetrics(threadId: string, c: ThreadCounters, windows: MetricWindows, nowMs: number, out: Metric[]): void {
  const tags = { 'thread-id': threadId };
  const g = THREAD_METRICS_GROUP;
  const origin = c.startedMs;
  const key = threadId;
  const push = (name: string, value: number): void => {
    out.push({ group: g, name, tags, value });
  };
  const counted = (name: string, total: number): void => {
    push(`${name}-total`, total);
    push(`${name}-rate`, windows.rate(`${key}\u0000${name}`, nowMs, origin, total));
  };
  const timed = (name: string, stat: WindowedStat): void => {
    counted(name, stat.count);
    const { avg, max } = windows.averageAndMax(`${key}\u0000${name}-latency`, nowMs, origin, stat);
    push(`${name}-latency-avg`, avg);
    push(`${name}-latency-max`, max);
  };
  timed('poll', c.pollLatency);
  timed('process', c.processLatency);
  timed('commit', c.commitLatency);
  counted('records-consumed', c.recordsConsumed);
  counted('records-produced', c.recordsProduced);
  push('punctuate-total', c.punctuateTotal);
  push('task-created-total', c.tasksCreated);
  push('task-closed-total', c.tasksClosed);
}

/**
 * Appends `records-lag` (group `consumer-fetch-manager-metrics`, tags `client-id`, `topic`, `partition`) for each
 * partition assigned to `consumer` whose lag it knows: the partition's end offset (high watermark, or last stable
 * offset under read_committed) as of the last fetch response, minus the consumer's position. Nothing is asked of the
 * broker; a consumer without `currentLag` lists nothing.
 *
 * @example
 * ```ts
 * collectLagMetrics('app-StreamThread-1-consumer', consumer, out);
 * ```
 */
export function collectLagMetrics(clientId: string, consumer: Consumer, out: Metric[]): void {
  if (consumer.currentLag === undefined) return;
  let assigned;
  try {
    assigned = consumer.assignment();
  } catch {
    return; // closed
  }
  for (const tp of assigned) {
    const lag = consumer.currentLag(tp);
    if (lag === null) continue;
    out.push({ group: CONSUMER_FETCH_METRICS_GROUP, name: 'records-lag', tags: { 'client-id': clientId, topic: tp.topic, partition: String(tp.partition) }, value: lag });
  }
}
