/** What each built-in metric means, by `<group>/<name>` (or `*\/<name>` for a name every group means alike). */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'stream-metrics/state': 'The instance state: CREATED=0, REBALANCING=1, RUNNING=2, PENDING_SHUTDOWN=3, NOT_RUNNING=4, ERROR=5, PENDING_ERROR=6.',
  'stream-metrics/alive-stream-threads': 'Stream threads running.',
  'stream-metrics/rebalances-total': 'Partition assignments received (completed rebalances).',
  'stream-metrics/restore-records-total': 'Changelog records restored into stores.',
  'stream-metrics/restore-remaining-records': 'Changelog records still to restore before the restoring task runs.',
  'stream-thread-metrics/poll-total': 'Polls of the consumer.',
  'stream-thread-metrics/poll-rate': 'Polls per second.',
  'stream-thread-metrics/poll-latency-avg': 'Average poll time in ms, waiting included.',
  'stream-thread-metrics/poll-latency-max': 'Longest poll in ms, waiting included.',
  'stream-thread-metrics/process-total': 'Records processed.',
  'stream-thread-metrics/process-rate': 'Records processed per second.',
  'stream-thread-metrics/process-latency-avg': 'Average processing time per record in ms.',
  'stream-thread-metrics/process-latency-max': 'Largest per-record processing time of one loop iteration, in ms.',
  'stream-thread-metrics/commit-total': 'Commits.',
  'stream-thread-metrics/commit-rate': 'Commits per second.',
  'stream-thread-metrics/commit-latency-avg': 'Average commit time in ms (flushing stores and output, committing offsets).',
  'stream-thread-metrics/commit-latency-max': 'Longest commit in ms.',
  'stream-thread-metrics/records-consumed-total': 'Records polls returned.',
  'stream-thread-metrics/records-consumed-rate': 'Records consumed per second.',
  'stream-thread-metrics/records-produced-total': 'Records sent: output, repartition, changelog and dead-letter records.',
  'stream-thread-metrics/records-produced-rate': 'Records sent per second.',
  'stream-thread-metrics/punctuate-total': 'Wall-clock punctuations fired.',
  'stream-thread-metrics/task-created-total': 'Tasks created.',
  'stream-thread-metrics/task-closed-total': 'Tasks closed.',
  'stream-task-metrics/process-total': 'Records the task processed.',
  'stream-task-metrics/process-rate': 'Records the task processed per second.',
  'stream-task-metrics/process-latency-avg': 'Average processing time per record in ms.',
  'stream-task-metrics/process-latency-max': 'Largest per-record processing time of one batch, in ms.',
  'stream-task-metrics/record-lateness-avg': 'Average ms by which records arrived behind stream time.',
  'stream-task-metrics/record-lateness-max': 'Most ms a record arrived behind stream time.',
  'stream-task-metrics/dropped-records-total': 'Records dropped: too late for their window, or without a needed key or value.',
  'stream-task-metrics/restore-total': 'Changelog records restored into the task stores.',
  'stream-task-metrics/restore-remaining-records': 'Changelog records the task still has to restore.',
  'stream-processor-node-metrics/process-total': 'Records the processor node processed.',
  'stream-processor-node-metrics/process-rate': 'Records the processor node processed per second.',
  'stream-topic-metrics/records-consumed-total': 'Records a source node read from the topic.',
  'stream-topic-metrics/records-produced-total': 'Records a sink node wrote to the topic.',
  'stream-state-metrics/hit-ratio': 'Share of the store cache point reads answered from the cache.',
  'stream-state-metrics/estimated-num-keys': 'Approximate number of keys in the store.',
  'consumer-fetch-manager-metrics/records-lag': 'Records of the partition after the consumer position (end offset of the last fetch minus position).',
};

/**
 * A one-line description of a metric (Prometheus' HELP text): the built-in metrics' meaning, otherwise a generic
 * text naming the group and metric (store operations, processors' own sensors).
 *
 * @example
 * ```ts
 * describeMetric('stream-thread-metrics', 'process-rate'); // 'Records processed per second.'
 * ```
 */
export function describeMetric(group: string, name: string): string {
  const known = DESCRIPTIONS[`${group}/${name}`];
  if (known !== undefined) return known;
  if (group === 'stream-state-metrics' && name.endsWith('-total')) return `Calls of the store operation ${name.slice(0, -'-total'.length)}.`;
  return `${name} (${group})`;
}
