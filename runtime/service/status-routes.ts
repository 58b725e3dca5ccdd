/**
 * The observability answers of the streams HTTP server: liveness, readiness, the status the dashboard polls, the
 * topology picture, and metrics as JSON and as Prometheus text.
 */
import type { Metric } from '../../src/processor/streams-metrics.js';
import type { TopologyDescription } from '../../src/topology/topology-description.js';
import type { KafkaStreams } from '../kafka-streams.js';
import type { LocalTaskMetadata } from '../streams-metadata.js';
import type { RecentError } from './recent-errors.js';
import { topologyGraph, type TopologyGraph } from './topology-graph.js';

/**
 * A status code and a JSON body, for the server to send.
 *
 * @example
 * ```ts
 * const answer: JsonAnswer = { status: 200, body: { status: 'UP', state: 'RUNNING' } };
 * ```
 */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * `/health` (liveness): 200 while the instance is alive, i.e. in any state but PENDING_ERROR, ERROR and NOT_RUNNING.
 *
 * @example
 * ```ts
 * health(streams); // { status: 200, body: { status: 'UP', state: 'RUNNING' } }
 * ```
 */
export function health(streams: KafkaStreams): JsonAnswer {
  const state = streams.state;
  const isDown = state === 'ERROR' || state === 'PENDING_ERROR' || state === 'NOT_RUNNING';
  if (!isDown) return { status: 200, body: { status: 'UP', state } };
  return { status: 503, body: { status: 'DOWN', state, ...(streams.error === null ? {} : { error: streams.error.message, code: streams.error.code }) } };
}

/**
 * `/ready` (readiness): 200 when RUNNING, which the runtime reaches only once every assigned task has restored its
 * stores; otherwise 503 with the reason.
 *
 * @example
 * ```ts
 * ready(streams); // { status: 503, body: { status: 'NOT_READY', state: 'REBALANCING', reason: '...' } }
 * ```
 */
export function ready(streams: KafkaStreams): JsonAnswer {
  const state = streams.state;
  if (state === 'RUNNING') return { status: 200, body: { status: 'READY', state, tasks: streams.localTasks().length } };
  const reason =
    state === 'CREATED' ? 'not started yet'
    : state === 'REBALANCING' ? 'tasks are being assigned or their stores restored'
    : state === 'PENDING_SHUTDOWN' || state === 'NOT_RUNNING' ? 'shutting down'
    : 'the instance failed';
  return { status: 503, body: { status: 'NOT_READY', state, reason } };
}

/**
 * The few numbers worth showing at a glance, summed over the instance (null when the metric is not reported).
 *
 * @example
 * ```ts
 * const key: KeyMetrics = { processTotal: 120, processRate: 40, recordsLag: 0, rebalancesTotal: 1, droppedRecordsTotal: 0 };
 * ```
 */
export interface KeyMetrics {
  readonly processTotal: number | null;
  readonly processRate: number | null;
  readonly recordsLag: number | null;
  readonly rebalancesTotal: number | null;
  readonly droppedRecordsTotal: number | null;
}

/**
 * The body of `/api/status`, polled by the dashboard every second.
 *
 * @example
 * ```ts
 * const s: StreamsStatus = await (await fetch('http://localhost:8080/api/status')).json();
 * ```
 */
export interface StreamsStatus {
  readonly state: string;
  readonly applicationId: string;
  readonly applicationServer: string | null;
  readonly tasks: readonly LocalTaskMetadata[];
  /** The last 20 errors, oldest first. */
  readonly errors: readonly RecentError[];
  /** Milliseconds since the HTTP server started. */
  readonly uptimeMs: number;
  readonly metrics: KeyMetrics;
}

/**
 * Builds the `/api/status` body.
 *
 * @example
 * ```ts
 * status(streams, errors.list(), clock.nowMs() - startedMs);
 * ```
 */
export function status(streams: KafkaStreams, errors: readonly RecentError[], uptimeMs: number): StreamsStatus {
  return {
    state: streams.state,
    applicationId: streams.applicationId,
    applicationServer: streams.applicationServer,
    tasks: streams.localTasks(),
    errors,
    uptimeMs,
    metrics: keyMetrics(streams.metrics()),
  };
}

/**
 * Sums the key metrics out of a metrics snapshot.
 *
 * @example
 * ```ts
 * keyMetrics([{ group: 'stream-thread-metrics', name: 'process-total', tags: {}, value: 3 }]).processTotal; // 3
 * ```
 */
export function keyMetrics(metrics: readonly Metric[]): KeyMetrics {
  const sum = (group: string, name: string): number | null => {
    let total: number | null = null;
    for (const m of metrics) if (m.group === group && m.name === name && Number.isFinite(m.value)) total = (total ?? 0) + m.value;
    return total;
  };
  return {
    processTotal: sum('stream-thread-metrics', 'process-total'),
    processRate: sum('stream-thread-metrics', 'process-rate'),
    recordsLag: sum('consumer-fetch-manager-metrics', 'records-lag'),
    rebalancesTotal: sum('stream-metrics', 'rebalances-total'),
    droppedRecordsTotal: sum('stream-task-metrics', 'dropped-records-total'),
  };
}

/**
 * The body of `/api/topology`: the graph the dashboard draws, Kafka's describe() text, and the Mermaid picture.
 *
 * @example
 * ```ts
 * topologyAnswer(streams.describe()).text; // 'Topologies:\n   Sub-topology: 0\n...'
 * ```
 */
export function topologyAnswer(description: TopologyDescription): { graph: TopologyGraph; text: string; mermaid: string } {
  return { graph: topologyGraph(description), text: description.toString(), mermaid: description.toMermaid() };
}

/**
 * Every store name of a description: the stores of its processors and its global stores.
 *
 * @example
 * ```ts
 * storeNamesOf(streams.describe()); // { all: Set { 'counts' }, global: Set {} }
 * ```
 */
export function storeNamesOf(description: TopologyDescription): { all: Set<string>; global: Set<string> } {
  const all = new Set<string>();
  const global = new Set<string>();
  for (const sub of description.subtopologies) for (const node of sub.nodes) if (node.kind === 'processor') for (const s of node.stores) all.add(s);
  for (const g of description.globalStores) {
    for (const s of g.processor.stores) {
      all.add(s);
      global.add(s);
    }
  }
  return { all, global };
}
