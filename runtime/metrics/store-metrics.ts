import type { Metric } from '../../src/processor/streams-metrics.js';
import type { StateStore } from '../../src/state/state-store.js';
import type { CacheStats } from '../../state-stores/cache-stats.js';
import type { MetricWindows } from './metric-windows.js';

/** Kafka Streams' group of per-store metrics. */
export const STATE_METRICS_GROUP = 'stream-state-metrics';

/** How often a persistent store's key count (an O(n) `count(*)` for SQLite) is recomputed for metrics. */
const PERSISTENT_SIZE_TTL_MS = 30_000;

/** What the metered layers (key-value, window, session) offer the metrics: call counters, engine label, cache. */
interface MeteredStore extends StateStore {
  readonly metricsScope: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly cacheStats?: CacheStats | null;
  approximateNumEntries?(): number;
}

/** The metered layers' counter names as Kafka Streams names the operations. */
const OPERATIONS: Readonly<Record<string, string>> = {
  gets: 'get',
  puts: 'put',
  putIfAbsents: 'put-if-absent',
  putAlls: 'put-all',
  deletes: 'delete',
  scans: 'range',
  fetches: 'fetch',
  removes: 'remove',
  flushes: 'flush',
};

function isMetered(store: StateStore): store is MeteredStore {
  const s = store as Partial<MeteredStore>;
  return typeof s.metricsScope === 'string' && typeof s.metrics === 'object' && s.metrics !== null;
}

/**
 * Appends the metrics of one task's store (group `stream-state-metrics`, tags `thread-id`, `task-id`, `store-type`
 * (the engine: `in-memory`, `sqlite`) and Kafka's `<store-type>-state-id` naming the store): `<op>-total` per
 * operation the metered layer counts (`get`, `put`, `put-if-absent`, `put-all`, `delete`, `range` (every scan),
 * `fetch`, `remove`, `flush`), `hit-ratio` of its cache over the metrics window (its lifetime ratio while the window
 * saw no read; absent without a cache), and `estimated-num-keys` for key-value stores (a persistent store's count is
 * refreshed every 30 s). Stores without a metered layer (custom ones) list nothing.
 *
 * @example
 * ```ts
 * for (const store of task.stateManager.stores.values()) collectStoreMetrics(store, threadId, task.id, windows, now, out);
 * ```
 */
export function collectStoreMetrics(store: StateStore, threadId: string, taskId: string, windows: MetricWindows, nowMs: number, originMs: number, out: Metric[]): void {
  if (!isMetered(store)) return;
  const scope = store.metricsScope;
  const tags = { 'thread-id': threadId, 'task-id': taskId, 'store-type': scope, [`${scope}-state-id`]: store.name };
  for (const [counter, value] of Object.entries(store.metrics)) {
    const op = OPERATIONS[counter];
    if (op !== undefined && typeof value === 'number') out.push({ group: STATE_METRICS_GROUP, name: `${op}-total`, tags, value });
  }
  const key = `${threadId}\u0000${taskId}\u0000${store.name}`;
  const cache = store.cacheStats ?? null;
  if (cache !== null) {
    const lookups = cache.hits + cache.misses;
    const d = windows.delta(`${key}\u0000hit-ratio`, nowMs, originMs, cache.hits, lookups, null);
    const value = d.db > 0 ? d.da / d.db : lookups > 0 ? cache.hits / lookups : 0;
    out.push({ group: STATE_METRICS_GROUP, name: 'hit-ratio', tags, value });
  }
  if (typeof store.approximateNumEntries === 'function' && store.isOpen) {
    const count = (): number => {
      try {
        return store.approximateNumEntries!();
      } catch {
        return -1; // closed meanwhile, or busy: not listed
      }
    };
    const value = windows.cached(`${key}\u0000size`, nowMs, store.persistent ? PERSISTENT_SIZE_TTL_MS : 0, count);
    if (value >= 0) out.push({ group: STATE_METRICS_GROUP, name: 'estimated-num-keys', tags, value });
  }
}
