// @ts-check
/**
 * The dashboard: draws the topology once (from api/topology), then polls api/status and api/metrics every second
 * and writes the live numbers into the page. URLs are relative, so the page also works behind a path prefix.
 */
import { fitGraph, renderGraph } from './graph.js';
import { layoutGraph } from './layout.js';
import { RateTracker, formatCount, formatDuration, formatRate, indexMetrics } from './live.js';

const POLL_MS = 1000;
const REQUEST_TIMEOUT_MS = 4000;
const MAX_ERRORS_SHOWN = 20;

/** @typedef {import('./layout.js').Graph} Graph */
/** @typedef {import('./graph.js').NodeView} NodeView */

/** @type {Map<string, NodeView>} */
let views = new Map();
/** @type {string | null} */
let applicationId = null;
const nodeRates = new RateTracker();
const taskRates = new RateTracker();
const topicRates = new RateTracker();
/** @type {Map<string, number>} */
let taskRate = new Map();

/** The element with data-testid `id` (the page's own markup: always there). */
function byTestId(/** @type {string} */ id) {
  return /** @type {HTMLElement} */ (document.querySelector(`[data-testid="${id}"]`));
}

/**
 * A new element with text and attributes.
 * @param {string} tag
 * @param {string} [text]
 * @param {Record<string, string>} [attributes]
 */
function el(tag, text, attributes = {}) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  return e;
}

/** GETs JSON from a path relative to the page; throws on a network error, a timeout or a non-2xx answer. */
async function getJson(/** @type {string} */ path) {
  const response = await fetch(path, { cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return /** @type {unknown} */ (await response.json());
}

/** The graph inside an api/topology answer: the graph itself, or its `graph` field. */
function graphOf(/** @type {unknown} */ body) {
  /** @param {unknown} x @returns {x is Graph} */
  const isGraph = (x) => x !== null && typeof x === 'object' && Array.isArray(/** @type {Graph} */ (x).subtopologies) && Array.isArray(/** @type {Graph} */ (x).edges);
  if (isGraph(body)) return body;
  const inner = body !== null && typeof body === 'object' ? /** @type {{ graph?: unknown }} */ (body).graph : undefined;
  return isGraph(inner) ? inner : null;
}

/** The describe() text inside an api/topology answer, if it carries one. */
function describeTextOf(/** @type {unknown} */ body) {
  if (body === null || typeof body !== 'object') return null;
  for (const key of ['description', 'describe', 'text']) {
    const v = /** @type {Record<string, unknown>} */ (body)[key];
    if (typeof v === 'string') return v;
  }
  return null;
}

async function loadTopology() {
  for (;;) {
    try {
      const body = await getJson('api/topology');
      const graph = graphOf(body);
      if (graph === null) throw new Error('api/topology answered no graph');
      const root = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (byTestId('topology-graph')));
      const layout = layoutGraph(graph);
      views = renderGraph(root, layout);
      const scroller = /** @type {HTMLElement} */ (root.parentElement);
      fitGraph(root, layout, scroller.clientWidth);
      new ResizeObserver(() => fitGraph(root, layout, scroller.clientWidth)).observe(scroller);
      const text = describeTextOf(body);
      byTestId('describe-text').textContent = text ?? '';
      byTestId('describe').hidden = text === null;
      byTestId('graph-message').textContent = '';
      return;
    } catch (e) {
      byTestId('graph-message').textContent = `Cannot load the topology (${e instanceof Error ? e.message : String(e)}); retrying…`;
      await new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS));
    }
  }
}

/** A readable string of a task's partitions: `topic-0, topic-1` from objects or strings. */
function partitionsText(/** @type {unknown} */ partitions) {
  if (!Array.isArray(partitions)) return '';
  return partitions
    .map((p) => {
      if (p !== null && typeof p === 'object') {
        const { topic, partition } = /** @type {{ topic?: unknown, partition?: unknown }} */ (p);
        return `${String(topic)}-${String(partition)}`;
      }
      return String(p);
    })
    .join(', ');
}

/** @param {Record<string, unknown>} status */
function showStatus(status) {
  const state = typeof status['state'] === 'string' ? status['state'] : 'UNKNOWN';
  const stateEl = byTestId('state');
  stateEl.textContent = state;
  stateEl.dataset['state'] = state;
  if (applicationId !== null && byTestId('application-id').textContent !== applicationId) {
    byTestId('application-id').textContent = applicationId;
    document.title = `${applicationId} · tributary`;
  }
  const server = status['applicationServer'];
  byTestId('application-server').textContent = typeof server === 'string' && server !== '' ? server : '';
  byTestId('uptime').textContent = typeof status['uptimeMs'] === 'number' ? `up ${formatDuration(status['uptimeMs'])}` : '';

  // Key metrics the server sums (null or absent when not reported).
  const key = status['metrics'] !== null && typeof status['metrics'] === 'object' ? /** @type {Record<string, unknown>} */ (status['metrics']) : {};
  const parts = [];
  if (typeof key['droppedRecordsTotal'] === 'number') parts.push(`dropped ${formatCount(key['droppedRecordsTotal'])}`);
  if (typeof key['rebalancesTotal'] === 'number') parts.push(`rebalances ${formatCount(key['rebalancesTotal'])}`);
  byTestId('key-metrics').textContent = parts.join(' · ');

  const tasks = Array.isArray(status['tasks']) ? /** @type {unknown[]} */ (status['tasks']) : [];
  byTestId('task-count').textContent = String(tasks.length);
  const rows = tasks.map((t) => {
    const task = t !== null && typeof t === 'object' ? /** @type {Record<string, unknown>} */ (t) : {};
    const id = String(task['taskId'] ?? task['id'] ?? '?');
    const row = el('tr', undefined, { 'data-testid': `task-${id}` });
    row.append(
      el('td', id),
      el('td', typeof task['state'] === 'string' ? task['state'] : ''),
      el('td', partitionsText(task['partitions'])),
      el('td', formatRate(taskRate.get(id)), { class: 'num', 'data-testid': `task-rate-${id}` }),
    );
    return row;
  });
  if (rows.length === 0) rows.push(emptyRow(4, 'no tasks assigned'));
  byTestId('tasks-body').replaceChildren(...rows);

  const errors = Array.isArray(status['errors']) ? /** @type {unknown[]} */ (status['errors']).slice(-MAX_ERRORS_SHOWN).reverse() : [];
  byTestId('error-count').textContent = String(errors.length);
  const items = errors.map((e) => {
    const item = el('li', undefined, { 'data-testid': 'error' });
    if (e === null || typeof e !== 'object') {
      item.append(el('span', String(e), { class: 'message' }));
      return item;
    }
    const error = /** @type {Record<string, unknown>} */ (e);
    const at = error['timeMs'] ?? error['timestampMs'] ?? error['timestamp'] ?? error['time'] ?? error['atMs'];
    const when = typeof at === 'number' ? new Date(at) : typeof at === 'string' ? new Date(at) : null;
    if (when !== null && !Number.isNaN(when.getTime())) item.append(el('time', when.toLocaleTimeString(), { datetime: when.toISOString() }));
    if (typeof error['source'] === 'string') item.append(el('span', error['source'], { class: 'source' }));
    if (typeof error['code'] === 'string') item.append(el('code', error['code']));
    const message = error['message'] ?? error['error'] ?? JSON.stringify(error);
    item.append(el('span', String(message), { class: 'message' }));
    return item;
  });
  byTestId('errors').replaceChildren(...(items.length === 0 ? [el('li', 'none', { class: 'empty' })] : items));
}

/** A table row saying there is nothing to show. */
function emptyRow(/** @type {number} */ columns, /** @type {string} */ text) {
  const row = el('tr', undefined, { class: 'empty' });
  row.append(el('td', text, { colspan: String(columns) }));
  return row;
}

/** Whether topic name `metricTopic` (as the consumer sees it) is the topic drawn as `label`. */
function isTopic(/** @type {string} */ metricTopic, /** @type {string} */ label) {
  // describe() prints internal topics without the `<applicationId>-` prefix they have in the log, as Kafka does.
  return metricTopic === label || (applicationId !== null && metricTopic === `${applicationId}-${label}`);
}

/** @param {unknown} metrics @param {number} nowMs */
function showMetrics(metrics, nowMs) {
  const index = indexMetrics(metrics);
  const rates = nodeRates.update(index.nodeTotals, nowMs);
  taskRate = taskRates.update(index.taskTotals, nowMs);
  const producedRates = topicRates.update(index.topicProduced, nowMs);
  let inputRate = 0;
  let hasInputRate = false;
  for (const view of views.values()) {
    const { node, role, group, primary, secondary } = view;
    if (node.kind === 'store') {
      setValue(primary, index.storeSizes.get(node.label), formatCount);
    } else if (node.kind === 'topic' && role === 'output') {
      const names = [...producedRates.keys()].filter((t) => isTopic(t, node.label));
      setValue(primary, names.length === 0 ? undefined : names.reduce((n, t) => n + (producedRates.get(t) ?? 0), 0), formatRate);
    } else if (node.kind === 'topic') {
      const partitions = index.lag.filter((l) => isTopic(l.topic, node.label));
      setValue(primary, partitions.length === 0 ? undefined : partitions.reduce((n, l) => n + l.lag, 0), formatCount);
    } else {
      const rate = rates.get(node.label);
      setValue(primary, rate, formatRate);
      if (secondary !== null) setValue(secondary, index.nodeTotals.get(node.label), formatCount);
      group.classList.toggle('active', rate !== undefined && rate > 0);
      if (node.kind === 'source' && role === 'input' && rate !== undefined) {
        inputRate += rate;
        hasInputRate = true;
      }
    }
  }
  setValue(byTestId('throughput-total'), hasInputRate ? inputRate : undefined, formatRate);

  const lagRows = index.lag.map((l) => {
    const row = el('tr');
    row.append(el('td', l.topic), el('td', String(l.partition), { class: 'num' }), el('td', formatCount(l.lag), { class: 'num', 'data-testid': `lag-${l.topic}-${l.partition}`, 'data-value': String(l.lag) }));
    return row;
  });
  byTestId('lag-body').replaceChildren(...(lagRows.length === 0 ? [emptyRow(3, 'no lag metrics')] : lagRows));

  const storeNames = [...new Set([...index.storeSizes.keys(), ...index.hitRatios.keys()])].sort();
  const storeRows = storeNames.map((name) => {
    const row = el('tr', undefined, { 'data-testid': `store-row-${name}` });
    const ratio = index.hitRatios.get(name);
    row.append(el('td', name), el('td', formatCount(index.storeSizes.get(name)), { class: 'num' }), el('td', ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)} %`, { class: 'num' }));
    return row;
  });
  byTestId('stores-body').replaceChildren(...(storeRows.length === 0 ? [emptyRow(3, 'no store metrics')] : storeRows));
}

/**
 * Writes a number into an element as text (formatted) and as `data-value` (raw, empty when unknown).
 * @param {Element} target
 * @param {number | undefined} value
 * @param {(n: number | undefined) => string} format
 */
function setValue(target, value, format) {
  target.textContent = format(value);
  target.setAttribute('data-value', value === undefined ? '' : String(value));
}

async function poll() {
  const started = performance.now();
  const [status, metrics] = await Promise.allSettled([getJson('api/status'), getJson('api/metrics')]);
  const now = performance.now();
  const failures = [];
  const statusBody = status.status === 'fulfilled' && status.value !== null && typeof status.value === 'object' ? /** @type {Record<string, unknown>} */ (status.value) : null;
  if (statusBody !== null && typeof statusBody['applicationId'] === 'string') applicationId = statusBody['applicationId'];
  // Metrics first: the task table shows the task rates they give.
  if (metrics.status === 'fulfilled') showMetrics(metrics.value, now);
  else failures.push(String(metrics.reason));
  if (statusBody !== null) showStatus(statusBody);
  else failures.push(status.status === 'rejected' ? String(status.reason) : 'api/status: not an object');

  const connection = byTestId('connection');
  connection.dataset['ok'] = String(failures.length === 0);
  connection.textContent = failures.length === 0 ? `updated ${new Date().toLocaleTimeString()}` : `no answer: ${failures.join('; ')}`;
  const polls = Number(byTestId('polls').dataset['count'] ?? '0') + 1;
  byTestId('polls').dataset['count'] = String(polls);
  setTimeout(poll, Math.max(0, POLL_MS - (performance.now() - started)));
}

void loadTopology();
void poll();
