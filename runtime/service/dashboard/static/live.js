// @ts-check
/**
 * The live numbers: what the page reads out of /api/metrics (Kafka Streams' metric groups and names, see
 * runtime/service/streams-http-server.ts) and the rates it derives from two successive polls. Every lookup is
 * tolerant: a metric that is missing gives no value, never an error.
 */

/** @typedef {{ group: string, name: string, tags: Record<string, string>, value: number }} Metric */
/**
 * @typedef {{
 *   nodeTotals: Map<string, number>,
 *   taskTotals: Map<string, number>,
 *   topicProduced: Map<string, number>,
 *   lag: { topic: string, partition: number, lag: number }[],
 *   storeSizes: Map<string, number>,
 *   hitRatios: Map<string, number>,
 * }} MetricsIndex
 */

/** The store a `stream-state-metrics` metric belongs to: Kafka tags it `<store-type>-state-id`. */
function storeName(/** @type {Record<string, string>} */ tags) {
  if (typeof tags['store'] === 'string') return tags['store'];
  if (typeof tags['store-name'] === 'string') return tags['store-name'];
  for (const [k, v] of Object.entries(tags)) if (k === 'state-id' || k.endsWith('-state-id')) return v;
  return undefined;
}

/** Adds `value` to the entry `key` of `map`. */
function add(/** @type {Map<string, number>} */ map, /** @type {string} */ key, /** @type {number} */ value) {
  map.set(key, (map.get(key) ?? 0) + value);
}

/**
 * Sums what the page shows out of a metrics list: per processor node and per task the `process-total` (summed
 * over tasks), per topic the `records-produced-total` of the sinks writing it, per input partition the `records-lag` (the largest reported, when several consumers report one),
 * per store the `estimated-num-keys` (summed over tasks) and the mean `hit-ratio`.
 * @param {unknown} metrics
 * @returns {MetricsIndex}
 */
export function indexMetrics(metrics) {
  /** @type {MetricsIndex} */
  const out = { nodeTotals: new Map(), taskTotals: new Map(), topicProduced: new Map(), lag: [], storeSizes: new Map(), hitRatios: new Map() };
  if (!Array.isArray(metrics)) return out;
  /** @type {Map<string, { topic: string, partition: number, lag: number }>} */
  const lag = new Map();
  /** @type {Map<string, number[]>} */
  const ratios = new Map();
  for (const m of /** @type {unknown[]} */ (metrics)) {
    if (m === null || typeof m !== 'object') continue;
    const { group, name, tags, value } = /** @type {Partial<Metric>} */ (m);
    if (typeof value !== 'number' || !Number.isFinite(value) || tags === null || typeof tags !== 'object') continue;
    if (group === 'stream-processor-node-metrics' && name === 'process-total') {
      const node = tags['processor-node-id'];
      if (node !== undefined) add(out.nodeTotals, node, value);
    } else if (group === 'stream-task-metrics' && name === 'process-total') {
      const task = tags['task-id'];
      if (task !== undefined) add(out.taskTotals, task, value);
    } else if (group === 'stream-topic-metrics' && name === 'records-produced-total') {
      const topic = tags['topic'];
      if (topic !== undefined) add(out.topicProduced, topic, value);
    } else if (group === 'consumer-fetch-manager-metrics' && name === 'records-lag') {
      const topic = tags['topic'];
      const partition = Number(tags['partition']);
      if (topic === undefined || !Number.isInteger(partition)) continue;
      const key = `${topic}\u0000${partition}`;
      const seen = lag.get(key);
      if (seen === undefined) lag.set(key, { topic, partition, lag: value });
      else seen.lag = Math.max(seen.lag, value);
    } else if (group === 'stream-state-metrics') {
      const store = storeName(tags);
      if (store === undefined) continue;
      if (name === 'estimated-num-keys') add(out.storeSizes, store, value);
      else if (name === 'hit-ratio') {
        const list = ratios.get(store);
        if (list === undefined) ratios.set(store, [value]);
        else list.push(value);
      }
    }
  }
  out.lag = [...lag.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  for (const [store, list] of ratios) out.hitRatios.set(store, list.reduce((a, b) => a + b, 0) / list.length);
  return out;
}

/**
 * Per-second rates of growing totals, from the difference between two samples. A key first seen has no rate yet;
 * a total that went down (a task moved away and came back) counts from its new value.
 */
export class RateTracker {
  /** @type {Map<string, number>} */
  #last = new Map();
  /** @type {number | null} */
  #lastMs = null;
  /** @type {Map<string, number>} */
  #rates = new Map();

  /**
   * Takes the totals sampled at `nowMs` and returns the rates since the previous sample (records per second).
   * @param {Map<string, number>} totals
   * @param {number} nowMs
   * @returns {Map<string, number>}
   */
  update(totals, nowMs) {
    const seconds = this.#lastMs === null ? 0 : (nowMs - this.#lastMs) / 1000;
    /** @type {Map<string, number>} */
    const rates = new Map();
    for (const [key, total] of totals) {
      const before = this.#last.get(key);
      if (before !== undefined && seconds > 0) rates.set(key, Math.max(0, total - before) / seconds);
      else if (before !== undefined) {
        const kept = this.#rates.get(key);
        if (kept !== undefined) rates.set(key, kept);
      }
    }
    if (seconds > 0 || this.#lastMs === null) {
      this.#last = new Map(totals);
      this.#lastMs = nowMs;
    }
    this.#rates = rates;
    return rates;
  }
}

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** A rate for display: `—` when unknown, one decimal under 10, compact from a million. */
export function formatRate(/** @type {number | undefined} */ rate) {
  if (rate === undefined || !Number.isFinite(rate)) return '—';
  if (rate < 10) return oneDecimal.format(rate);
  return rate >= 1e6 ? compact.format(rate) : whole.format(rate);
}

/** A count for display: `—` when unknown, digits grouped, compact from ten million. */
export function formatCount(/** @type {number | undefined} */ n) {
  if (n === undefined || !Number.isFinite(n)) return '—';
  return Math.abs(n) >= 1e7 ? compact.format(n) : whole.format(n);
}

/** A duration for display: `3h 05m`, `4m 09s`, `12s`. */
export function formatDuration(/** @type {number | undefined} */ ms) {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  if (s >= 86400) return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${s}s`;
}
