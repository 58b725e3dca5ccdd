import type { Metric } from '../../src/processor/streams-metrics.js';
import type { TopicPartition } from '../../src/record.js';
import type { StateStore } from '../../src/state/state-store.js';
import type { MetricWindows } from './metric-windows.js';
import { collectStoreMetrics } from './store-metrics.js';
import { WindowedStat } from './windowed-stat.js';

/** Kafka Streams' group of task-level metrics. */
export const TASK_METRICS_GROUP = 'stream-task-metrics';
/** Kafka Streams' group of processor-node metrics. */
export const NODE_METRICS_GROUP = 'stream-processor-node-metrics';
/** Kafka Streams' group of per-topic metrics of source and sink nodes (KIP-846). */
export const TOPIC_METRICS_GROUP = 'stream-topic-metrics';

/**
 * The counters of one task, written by the task (per process() call, not per record) and by the thread's restore;
 * read only when metrics are listed.
 *
 * @example
 * ```ts
 * const counters = new TaskCounters(clock.nowMs());
 * counters.processLatency.record(1.5, 300); // process() handled 300 records in 1.5 ms
 * ```
 */
export class TaskCounters {
  /** When the task was created: rates start from here. */
  readonly createdMs: number;
  /** Records taken off the task's queues (`count`; skipped ones included), and the time spent on them. */
  readonly processLatency = new WindowedStat();
  /** Stream time minus the timestamp of records older than stream time (`sum`, `max`; `count` unused). */
  readonly lateness = new WindowedStat();
  /** Changelog records restored into the task's stores. */
  restored = 0;
  /** Changelog records still to restore (0 once the task runs). */
  restoreRemaining = 0;

  constructor(createdMs: number) {
    this.createdMs = createdMs;
  }
}

/**
 * One node of a task as the metrics see it: its per-record counter and, for sinks, what it wrote.
 *
 * @example
 * ```ts
 * const node: NodeStats = { name: 'KSTREAM-SINK-0000000004', kind: 'sink', processed: 12, topic: 'out', producedByTopic: null };
 * ```
 */
export interface NodeStats {
  readonly name: string;
  readonly kind: 'source' | 'processor' | 'sink';
  /** Records the node processed (a sink: records it wrote); for a source, see {@link QueueStats}. */
  readonly processed: number;
  /** A sink's fixed topic, else null. */
  readonly topic: string | null;
  /** Records a sink with a TopicNameExtractor wrote, per topic; null for the others. */
  readonly producedByTopic: ReadonlyMap<string, number> | null;
}

/**
 * One input partition of a task: the source node reading it and the records that node forwarded from it.
 *
 * @example
 * ```ts
 * const q: QueueStats = { tp: { topic: 'lines', partition: 0 }, sourceName: 'KSTREAM-SOURCE-0000000000', consumed: 40 };
 * ```
 */
export interface QueueStats {
  readonly tp: TopicPartition;
  readonly sourceName: string;
  readonly consumed: number;
}

/**
 * What {@link collectTaskMetrics} reads of a task (StreamTask implements it).
 *
 * @example
 * ```ts
 * collectTaskMetrics(task, 'app-StreamThread-1', windows, clock.nowMs(), out);
 * ```
 */
export interface TaskMetricsSource {
  readonly id: string;
  readonly counters: TaskCounters;
  nodeStats(): Iterable<NodeStats>;
  queueStats(): Iterable<QueueStats>;
  readonly stores: ReadonlyMap<string, StateStore>;
}

/**
 * Appends the metrics of one task, with Kafka Streams' groups and names:
 * - `stream-task-metrics` (tags `thread-id`, `task-id`): `process-total` (records), `process-rate` (records/s over
 *   the metrics window), `process-latency-avg` / `-max` (ms per record, windowed), `record-lateness-avg` / `-max`
 *   (ms behind stream time), `restore-total` and `restore-remaining-records`;
 * - `stream-processor-node-metrics` (plus `processor-node-id`): `process-total` and `process-rate` of every node;
 * - `stream-topic-metrics` (plus `processor-node-id`, `topic`): `records-consumed-total` of source nodes and
 *   `records-produced-total` of sink nodes;
 * - `stream-state-metrics` of its stores (see {@link collectStoreMetrics}).
 *
 * @example
 * ```ts
 * const out: Metric[] = [];
 * collectTaskMetrics(task, 'test-driver', windows, clock.nowMs(), out);
 * out.find((m) => m.name === 'process-total')?.value; // records the task processed
 * ```
 */
export function collectTaskMetrics(task: TaskMetricsSource, threadId: string, windows: MetricWindows, nowMs: number, out: Metric[]): void {
  const c = task.counters;
  const origin = c.createdMs;
  const taskTags = { 'thread-id': threadId, 'task-id': task.id };
  const key = `${threadId}\u0000${task.id}`;
  const g = TASK_METRICS_GROUP;
  const processed = c.processLatency.count;
  const latency = windows.averageAndMax(`${key}\u0000process-latency`, nowMs, origin, c.processLatency);
  const lateness = windows.averageAndMax(`${key}\u0000record-lateness`, nowMs, origin, c.lateness, processed);
  out.push(
    { group: g, name: 'process-total', tags: taskTags, value: processed },
    { group: g, name: 'process-rate', tags: taskTags, value: windows.rate(`${key}\u0000process-rate`, nowMs, origin, processed) },
    { group: g, name: 'process-latency-avg', tags: taskTags, value: latency.avg },
    { group: g, name: 'process-latency-max', tags: taskTags, value: latency.max },
    { group: g, name: 'record-lateness-avg', tags: taskTags, value: lateness.avg },
    { group: g, name: 'record-lateness-max', tags: taskTags, value: lateness.max },
    { group: g, name: 'restore-total', tags: taskTags, value: c.restored },
    { group: g, name: 'restore-remaining-records', tags: taskTags, value: c.restoreRemaining },
  );
  const consumedBySource = new Map<string, Map<string, number>>();
  for (const q of task.queueStats()) {
    let byTopic = consumedBySource.get(q.sourceName);
    if (byTopic === undefined) consumedBySource.set(q.sourceName, (byTopic = new Map()));
    byTopic.set(q.tp.topic, (byTopic.get(q.tp.topic) ?? 0) + q.consumed);
  }
  for (const node of task.nodeStats()) {
    const nodeTags = { ...taskTags, 'processor-node-id': node.name };
    const consumed = consumedBySource.get(node.name);
    let total = node.processed;
    if (node.kind === 'source') {
      total = 0;
      for (const n of consumed?.values() ?? []) total += n;
    }
    out.push(
      { group: NODE_METRICS_GROUP, name: 'process-total', tags: nodeTags, value: total },
      { group: NODE_METRICS_GROUP, name: 'process-rate', tags: nodeTags, value: windows.rate(`${key}\u0000${node.name}`, nowMs, origin, total) },
    );
    if (consumed !== undefined) {
      for (const [topic, n] of consumed) out.push({ group: TOPIC_METRICS_GROUP, name: 'records-consumed-total', tags: { ...nodeTags, topic }, value: n });
    }
    if (node.kind === 'sink') {
      if (node.topic !== null) out.push({ group: TOPIC_METRICS_GROUP, name: 'records-produced-total', tags: { ...nodeTags, topic: node.topic }, value: node.processed });
      for (const [topic, n] of node.producedByTopic ?? []) out.push({ group: TOPIC_METRICS_GROUP, name: 'records-produced-total', tags: { ...nodeTags, topic }, value: n });
    }
  }
  for (const store of task.stores.values()) collectStoreMetrics(store, threadId, task.id, windows, nowMs, origin, out);
}
