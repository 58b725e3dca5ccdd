import type { Metric } from '../../src/processor/streams-metrics.js';
import type { ThreadCounters } from './thread-metrics.js';

/** Kafka Streams' group of client-level (instance) metrics. */
export const CLIENT_METRICS_GROUP = 'stream-metrics';

/**
 * The `state` gauge's value of each KafkaStreams state: Kafka Streams' order (CREATED=0 ... NOT_RUNNING=4, ERROR=5);
 * PENDING_ERROR, a passing state, is 6.
 *
 * @example
 * ```ts
 * STATE_GAUGE_VALUES['RUNNING']; // 2
 * ```
 */
export const STATE_GAUGE_VALUES: Readonly<Record<string, number>> = Object.freeze({
  CREATED: 0,
  REBALANCING: 1,
  RUNNING: 2,
  PENDING_SHUTDOWN: 3,
  NOT_RUNNING: 4,
  ERROR: 5,
  PENDING_ERROR: 6,
});

/**
 * Appends the instance's metrics (group `stream-metrics`, tag `client-id`): `state` (see {@link STATE_GAUGE_VALUES}),
 * `alive-stream-threads`, `rebalances-total` (assignments received), `restore-records-total` (changelog records
 * restored) and `restore-remaining-records` (still to restore for the task restoring now; 0 when every assigned task
 * is restored). `thread` is null before the stream thread exists.
 *
 * @example
 * ```ts
 * collectClientMetrics('word-count', 'RUNNING', true, thread.counters, out);
 * ```
 */
export function collectClientMetrics(clientId: string, state: string, isThreadAlive: boolean, thread: ThreadCounters | null, out: Metric[]): void {
  const tags = { 'client-id': clientId };
  const g = CLIENT_METRICS_GROUP;
  out.push(
    { group: g, name: 'state', tags, value: STATE_GAUGE_VALUES[state] ?? -1 },
    { group: g, name: 'alive-stream-threads', tags, value: isThreadAlive ? 1 : 0 },
    { group: g, name: 'rebalances-total', tags, value: thread?.rebalances ?? 0 },
    { group: g, name: 'restore-records-total', tags, value: thread?.restoreRecords ?? 0 },
    { group: g, name: 'restore-remaining-records', tags, value: thread?.restoreRemaining ?? 0 },
  );
}
