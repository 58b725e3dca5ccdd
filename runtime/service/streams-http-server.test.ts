import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { inProcessClients } from '../../src/client/in-process/in-process-clients.js';
import type { Processor } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { KeyValueStore } from '../../src/state/key-value-store.js';
import type { WindowStore } from '../../src/state/window-store.js';
import { Topology } from '../../src/topology/topology.js';
import { silentLogger } from '../../src/util/logger.js';
import { Stores } from '../../state-stores/stores.js';
import { waitUntil } from '../../test/helpers/word-count-topology.js';
import { KafkaStreams } from '../kafka-streams.js';
import { SERVED_BY_HEADER } from './iq-forwarder.js';
import type { StreamsStatus } from './status-routes.js';
import { StreamsHttpServer, type StreamsHttpServerOptions } from './streams-http-server.js';

const S = Serdes.String();
const MINUTE = 60_000;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-http-server-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Counts clicks per page in total (`totals`, key-value) and per minute (`per-minute`, window); throws on page 'boom'. */
class ClickCounter implements Processor<string, string, never, never> {
  #totals!: KeyValueStore<string, bigint>;
  #perMinute!: WindowStore<string, bigint>;
  init(context: ProcessorContext<never, never>): void {
    this.#totals = context.getStateStore<KeyValueStore<string, bigint>>('totals');
    this.#perMinute = context.getStateStore<WindowStore<string, bigint>>('per-minute');
  }
  process(record: Record<string, string>): void {
    if (record.key === 'boom') throw new Error('the page exploded');
    this.#totals.put(record.key, (this.#totals.get(record.key) ?? 0n) + 1n);
    const start = record.timestampMs - (record.timestampMs % MINUTE);
    this.#perMinute.put(record.key, (this.#perMinute.fetch(record.key, start) ?? 0n) + 1n, start);
  }
}

function clicksTopology(): Topology {
  return new Topology()
    .addSource('Clicks', ['clicks'], { keySerde: S, valueSerde: S })
    .addProcessor('Count', () => new ClickCounter(), 'Clicks')
    .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('totals'), S, Serdes.BigInt()), 'Count')
    .addStateStore(Stores.windowStoreBuilder(Stores.inMemoryWindowStore('per-minute', 60 * MINUTE, MINUTE, false), S, Serdes.BigInt()), 'Count');
}

interface Harness {
  readonly broker: Broker;
  readonly streams: KafkaStreams;
  readonly server: StreamsHttpServer;
  readonly base: string;
  click(page: string, timestampMs: number): Promise<void>;
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

/** A port free now (the OS hands out a fresh one per listen on 0; the tiny race with other processes is acceptable). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

let n = 0;
async function harness(applicationServer: 'self' | 'none', serverOptions: Partial<StreamsHttpServerOptions> = {}): Promise<Harness> {
  const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
  open.push(() => broker.close());
  broker.createTopic('clicks', 2);
  let server: StreamsHttpServer | null = null;
  let streams: KafkaStreams | null = null;
  const config = { applicationId: `http-${++n}`, broker, stateDir: path.join(root, String(n)), commitIntervalMs: 50, pollMs: 20, sessionTimeoutMs: 500, heartbeatIntervalMs: 50, logger: silentLogger() };
  if (applicationServer === 'none') {
    streams = new KafkaStreams(clicksTopology(), config);
    server = await StreamsHttpServer.start(streams, { host: '127.0.0.1', port: 0, logger: silentLogger(), ...serverOptions });
  } else {
    const port = await freePort();
    streams = new KafkaStreams(clicksTopology(), { ...config, applicationServer: `127.0.0.1:${port}` });
    server = await StreamsHttpServer.start(streams, { host: '127.0.0.1', port, logger: silentLogger(), ...serverOptions });
  }
  const s = streams;
  const srv = server;
  open.push(async () => {
    await srv.close();
    await s.close({ timeoutMs: 5_000 });
  });
  const producer = inProcessClients(broker).producer();
  return {
    broker,
    streams: s,
    server: srv,
    base: `http://127.0.0.1:${srv.address.port}`,
    click: async (page, timestampMs) => {
      await producer.send({ topic: 'clicks', messages: [{ key: S.serialize('clicks', page), value: S.serialize('clicks', 'x'), timestampMs }] });
    },
  };
}

async function get(base: string, p: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; text: string; headers: Headers }> {
  const res = await fetch(base + p, init);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    // not JSON
  }
  return { status: res.status, body, text, headers: res.headers };
}

async function running(h: Harness, totalClicks: number): Promise<void> {
  await waitUntil(async () => {
    if (h.streams.state !== 'RUNNING') return false;
    const all = await get(h.base, '/stores/totals');
    if (all.status !== 200) return false;
    return (all.body as { results: { value: string }[] }).results.reduce((s, e) => s + Number(e.value), 0) === totalClicks;
  }, 'the clicks to be counted');
}

describe('StreamsHttpServer on one instance', () => {
  it('health and readiness follow the lifecycle: 503 before RUNNING, 200 after, health 503 once closed', async () => {
    const h = await harness('self');
    expect(await get(h.base, '/health')).toMatchObject({ status: 200, body: { status: 'UP', state: 'CREATED' } });
    const before = await get(h.base, '/ready');
    expect(before).toMatchObject({ status: 503, body: { status: 'NOT_READY', state: 'CREATED', reason: 'not started yet' } });
    expect(before.headers.get('retry-after')).toBe('1');
    await h.streams.start();
    await waitUntil(() => h.streams.state === 'RUNNING', 'RUNNING');
    expect(await get(h.base, '/ready')).toMatchObject({ status: 200, body: { status: 'READY', state: 'RUNNING', tasks: 2 } });
    expect((await get(h.base, '/health')).status).toBe(200);
    await h.streams.close();
    expect(await get(h.base, '/health')).toMatchObject({ status: 503, body: { status: 'DOWN', state: 'NOT_RUNNING' } });
    expect(await get(h.base, '/ready')).toMatchObject({ status: 503, body: { state: 'NOT_RUNNING', reason: 'shutting down' } });
  });

  it('answers key, range, scan and window queries as JSON (bigint as strings), owned locally', async () => {
    const h = await harness('self');
    await h.streams.start();
    const clicks: [string, number][] = [['home', 0], ['home', 10_000], ['about', 20_000], ['home', MINUTE + 1], ['blog/2024 post', 5], ['zoo', 3 * MINUTE]];
    for (const [page, ts] of clicks) await h.click(page, ts);
    await running(h, clicks.length);

    const home = await get(h.base, '/stores/totals/home');
    expect(home).toMatchObject({ status: 200, body: { store: 'totals', key: 'home', value: '3' } });
    expect(home.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(home.headers.get(SERVED_BY_HEADER)).toBe(h.streams.applicationServer);
    expect((await get(h.base, `/stores/totals/${encodeURIComponent('blog/2024 post')}`)).body).toMatchObject({ key: 'blog/2024 post', value: '1' });
    expect(await get(h.base, '/stores/totals/nothing')).toMatchObject({ status: 404, body: { code: 'KEY_NOT_FOUND' } });

    const all = (await get(h.base, '/stores/totals')).body as { results: unknown[]; truncated: boolean; instances: number };
    expect(all).toMatchObject({ truncated: false, instances: 1 });
    expect(all.results).toEqual([
      { key: 'about', value: '1' },
      { key: 'blog/2024 post', value: '1' },
      { key: 'home', value: '3' },
      { key: 'zoo', value: '1' },
    ]);
    expect(((await get(h.base, '/stores/totals?from=b&to=i')).body as { results: { key: string }[] }).results.map((e) => e.key)).toEqual(['blog/2024 post', 'home']);
    expect(((await get(h.base, '/stores/totals?from=c')).body as { results: { key: string }[] }).results.map((e) => e.key)).toEqual(['home', 'zoo']);
    const limited = (await get(h.base, '/stores/totals?limit=2')).body as { results: { key: string }[]; truncated: boolean };
    expect([limited.results.map((e) => e.key), limited.truncated]).toEqual([['about', 'blog/2024 post'], true]);

    const windows = await get(h.base, '/stores/per-minute/home/windows?from=0&to=600000');
    expect(windows).toMatchObject({ status: 200, body: { store: 'per-minute', key: 'home', results: [{ windowStartMs: 0, value: '2' }, { windowStartMs: MINUTE, value: '1' }] } });
    expect((await get(h.base, `/stores/per-minute/home/windows?from=${MINUTE}`)).body).toMatchObject({ results: [{ windowStartMs: MINUTE, value: '1' }] });
    const head = await fetch(`${h.base}/stores/totals/home`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
  });

  it('refuses what it cannot answer with { error, code }: unknown store 404, bad ranges 400, wrong shape 400, POST 405', async () => {
    const h = await harness('self');
    await h.streams.start();
    await h.click('home', 0);
    await running(h, 1);
    const cases: [string, number, string][] = [
      ['/stores/nope/home', 404, 'UNKNOWN_STORE'],
      ['/stores/nope', 404, 'UNKNOWN_STORE'],
      ['/nowhere', 404, 'NOT_FOUND'],
      ['/stores/totals/home/elsewhere', 404, 'NOT_FOUND'],
      ['/stores/totals?from=z&to=a', 400, 'BAD_REQUEST'],
      ['/stores/totals?limit=0', 400, 'BAD_REQUEST'],
      ['/stores/totals?limit=ten', 400, 'BAD_REQUEST'],
      ['/stores/per-minute/home/windows?from=5&to=1', 400, 'BAD_REQUEST'],
      ['/stores/per-minute/home/windows?from=yesterday', 400, 'BAD_REQUEST'],
      ['/stores/totals/%E0%A4%A', 400, 'BAD_REQUEST'],
      ['/stores/per-minute/home', 400, 'WRONG_STORE_TYPE'],
      ['/stores/totals/home/windows', 400, 'WRONG_STORE_TYPE'],
    ];
    for (const [p, status, code] of cases) {
      const a = await get(h.base, p);
      expect([p, a.status, (a.body as { code: string }).code]).toEqual([p, status, code]);
      expect(typeof (a.body as { error: unknown }).error).toBe('string');
    }
    const post = await get(h.base, '/stores/totals/home', { method: 'POST' });
    expect([post.status, (post.body as { code: string }).code, post.headers.get('allow')]).toEqual([405, 'METHOD_NOT_ALLOWED', 'GET, HEAD']);
  });

  it('parses keys with a per-store keyParser', async () => {
    const h = await harness('self', { stores: { totals: { keyParser: (s) => s.toLowerCase() } } });
    await h.streams.start();
    await h.click('home', 0);
    await running(h, 1);
    expect((await get(h.base, '/stores/totals/HOME')).body).toMatchObject({ key: 'home', value: '1' });
  });

  it('serves /api/status, /api/metrics, /api/topology and the dashboard', async () => {
    const h = await harness('self');
    await h.streams.start();
    await h.click('home', 0);
    await running(h, 1);
    const status = (await get(h.base, '/api/status')).body as StreamsStatus;
    expect([status.state, status.applicationId, status.applicationServer, status.errors]).toEqual(['RUNNING', h.streams.applicationId, h.streams.applicationServer, []]);
    expect(typeof status.uptimeMs).toBe('number');
    expect(Object.keys(status.metrics).sort()).toEqual(['droppedRecordsTotal', 'processRate', 'processTotal', 'rebalancesTotal', 'recordsLag']);
    expect(status.metrics.processTotal).toBe(1);
    const tasks = status.tasks;
    expect(tasks.map((t) => t.taskId).sort()).toEqual(['0_0', '0_1']);
    expect(tasks.every((t) => t.state === 'RUNNING' && t.partitions.length === 1 && t.partitions[0]!.topic === 'clicks')).toBe(true);
    expect([...tasks[0]!.stores].sort()).toEqual(['per-minute', 'totals']);

    const metrics = await get(h.base, '/api/metrics');
    expect(metrics.status).toBe(200);
    expect(Array.isArray(metrics.body)).toBe(true);
    for (const m of metrics.body as { group: unknown; name: unknown; tags: unknown; value: unknown }[]) {
      expect([typeof m.group, typeof m.name, typeof m.tags, typeof m.value]).toEqual(['string', 'string', 'object', 'number']);
    }

    const topology = (await get(h.base, '/api/topology')).body as { graph: { subtopologies: { nodes: { id: string; kind: string }[] }[] }; text: string; mermaid: string };
    expect(topology.text).toBe(h.streams.describe().toString());
    expect(topology.mermaid).toBe(h.streams.describe().toMermaid());
    expect(topology.graph.subtopologies[0]!.nodes.map((x) => x.kind).sort()).toEqual(['processor', 'source', 'store', 'store']);

    const page = await get(h.base, '/');
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.text).toContain('<html');
    expect((await get(h.base, '/assets/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await get(h.base, '/assets/nope.js')).status).toBe(404);
  });

  it('serves /metrics as Prometheus text 0.0.4', async () => {
    const h = await harness('self');
    await h.streams.start();
    await h.click('home', 0);
    await running(h, 1);
    const res = await get(h.base, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    // Every line is a comment or `name{labels} value`.
    const lines = res.text.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^(# (HELP|TYPE) .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfNa]+)$/);
  });

  it('without an applicationServer, answers from its own state; an instance failure shows in /health and /api/status errors', async () => {
    const h = await harness('none');
    await h.streams.start();
    await h.click('home', 0);
    await running(h, 1);
    const home = await get(h.base, '/stores/totals/home');
    expect([home.status, home.headers.get(SERVED_BY_HEADER)]).toEqual([200, null]);
    expect(((await get(h.base, '/api/status')).body as { applicationServer: unknown }).applicationServer).toBeNull();

    await h.click('boom', 1);
    await waitUntil(() => h.streams.state === 'ERROR', 'the instance to fail');
    expect(await get(h.base, '/health')).toMatchObject({ status: 503, body: { status: 'DOWN', state: 'ERROR', code: 'PROCESSING_FAILED' } });
    const errors = ((await get(h.base, '/api/status')).body as { errors: { source: string; code: string; message: string; timeMs: number }[] }).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ source: 'streams', code: 'PROCESSING_FAILED' });
    expect(errors[0]!.message).toContain('the page exploded');
    expect(await get(h.base, '/stores/totals/home')).toMatchObject({ status: 503, body: { code: 'NOT_RUNNING' } });
  });
});
