/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core opens the page of a running word
 * count, checks that the topology is drawn in dataflow order and that the live numbers render and change while
 * input is produced, and saves a screenshot to test-artifacts/dashboard.png.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`). Without it the test fails, unless
 * TRIBUTARY_ALLOW_NO_BROWSER=1 is set, in which case it is skipped with a message saying so.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  Broker,
  KafkaStreams,
  Serdes,
  inProcessClients,
  silentLogger,
  type ProcessorNodeDescription,
  type Producer,
  type SinkNodeDescription,
  type SourceNodeDescription,
} from '../../src/index.js';
import { StreamsHttpServer } from '../../runtime/service/streams-http-server.js';
import { INPUT_TOPIC, OUTPUT_TOPIC, STORE, buildTopology, config } from './fixtures/word-count-app.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
const PARTITIONS = 2;
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** playwright-core, or a clear failure when it is not installed. */
async function loadPlaywright(): Promise<typeof import('playwright-core')> {
  try {
    return await import('playwright-core');
  } catch (e: unknown) {
    throw new Error(`the dashboard's browser test needs the devDependency playwright-core (npm install): ${String(e)}`, { cause: e });
  }
}

/** `value`, or a failure naming `what` when there is none. */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the word count's description has no ${what}`);
  return value;
}

/** Numbers of the page: the `data-value` of the element with test id `testId` (NaN while it shows none). */
async function valueOf(page: Page, testId: string): Promise<number> {
  const raw = await page.getByTestId(testId).getAttribute('data-value', { timeout: 2000 });
  return raw === null || raw === '' ? Number.NaN : Number(raw);
}

/** Produces lines into the input topic every 50 ms until stopped; `stop` resolves to the count of lines produced. */
function keepProducing(producer: Producer): { stop: () => Promise<number> } {
  const strings = Serdes.String();
  let isStopped = false;
  let lines = 0;
  let failure: unknown = null;
  const loop = (async () => {
    while (!isStopped) {
      const messages = Array.from({ length: 40 }, (_, i) => ({ key: null, value: strings.serialize(INPUT_TOPIC, `the river ${lines + i} joins the sea at dawn ${(lines + i) % 97}`) }));
      await producer.send({ topic: INPUT_TOPIC, messages });
      lines += messages.length;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })().catch((e: unknown) => {
    failure = e;
  });
  return {
    stop: async () => {
      isStopped = true;
      await loop;
      if (failure !== null) throw failure;
      return lines;
    },
  };
}

describe('the dashboard in chromium', () => {
  it('draws the word count and shows live numbers that change as records flow', async (ctx) => {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env['TRIBUTARY_ALLOW_NO_BROWSER'] === '1') {
        ctx.skip(`skipped: ${CHROMIUM} is absent and TRIBUTARY_ALLOW_NO_BROWSER=1 (install chromium to run the dashboard's browser test)`);
      }
      throw new Error(
        `the dashboard's browser test needs Debian chromium at ${CHROMIUM} (apt-get install -y chromium); ` +
          'where it cannot be installed, set TRIBUTARY_ALLOW_NO_BROWSER=1 to skip this test',
      );
    }
    const { chromium } = await loadPlaywright();

    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-dashboard-'));
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
      cleanups.push(() => broker.close());
      const clients = inProcessClients(broker);
      await clients.admin.createTopics([
        { topic: INPUT_TOPIC, numPartitions: PARTITIONS },
        { topic: OUTPUT_TOPIC, numPartitions: PARTITIONS },
      ]);
      const streams = new KafkaStreams(buildTopology(), { ...config, broker, stateDir, logger: silentLogger() });
      cleanups.push(() => streams.close({ timeoutMs: 10_000 }));
      const description = streams.describe();
      // The server starts first, as a service does (to report readiness while it restores): the page opens on an
      // instance that has no tasks and no metrics yet.
      const server = await StreamsHttpServer.start(streams, { host: '127.0.0.1', port: 0, logger: silentLogger() });
      cleanups.push(() => server.close());

      const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
      cleanups.push(() => browser.close());
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') pageErrors.push(m.text());
      });
      await page.goto(`http://127.0.0.1:${server.address.port}/`);

      // The graph: the input topic, its source, the count processor with its store, the repartition topic.
      const nodes = description.subtopologies.flatMap((s) => s.nodes);
      const source = required(nodes.find((n): n is SourceNodeDescription => n.kind === 'source' && n.topics?.includes(INPUT_TOPIC) === true), 'the source');
      const count = required(nodes.find((n): n is ProcessorNodeDescription => n.kind === 'processor' && n.stores.includes(STORE)), 'the count');
      const repartition = required(nodes.find((n): n is SinkNodeDescription => n.kind === 'sink' && n.topic !== OUTPUT_TOPIC), 'the repartition sink');
      const repartitionTopic = required(repartition.topic ?? undefined, 'the repartition topic');
      await expect.poll(() => page.getByTestId('topology-graph').locator('[data-node-id]').count()).toBeGreaterThan(0);
      // Every node of the description, every topic and the store is drawn (measured at once: the page may reflow).
      const drawn = await page.getByTestId('topology-graph').locator('[data-node-id]').evaluateAll((els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { id: e.getAttribute('data-node-id') ?? '', testId: e.getAttribute('data-testid') ?? '', x: r.x, y: r.y, w: r.width, h: r.height };
        }),
      );
      expect(drawn.map((d) => d.id).sort()).toEqual(
        [...nodes.map((n) => `node:${n.name}`), `store:${STORE}`, ...[INPUT_TOPIC, OUTPUT_TOPIC, repartitionTopic].map((t) => `topic:${t}`)].sort(),
      );
      const box = (testId: string): (typeof drawn)[number] => {
        const found = drawn.find((d) => d.testId === testId);
        if (found === undefined) throw new Error(`${testId} is not drawn`);
        return found;
      };
      const inputBox = box(`topic-${INPUT_TOPIC}`);
      const sourceBox = box(`node-${source.name}`);
      const countBox = box(`node-${count.name}`);
      const storeBox = box(`store-${STORE}`);
      const repartitionBox = box(`topic-${repartitionTopic}`);
      // Dataflow runs down the page: topic above its source, the count's sub-topology below the repartition topic.
      expect(inputBox.y + inputBox.h).toBeLessThanOrEqual(sourceBox.y);
      expect(sourceBox.y + sourceBox.h).toBeLessThanOrEqual(repartitionBox.y);
      expect(repartitionBox.y + repartitionBox.h).toBeLessThanOrEqual(countBox.y);
      // The store beside its processor, and no two nodes overlapping.
      expect(storeBox.x).toBeGreaterThanOrEqual(countBox.x + countBox.w);
      expect(Math.abs(storeBox.y - countBox.y)).toBeLessThan(1);
      for (const a of drawn) {
        for (const b of drawn) {
          if (a.id < b.id) expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `${a.id} overlaps ${b.id}`).toBe(true);
        }
      }

      // Graceful without metrics: nothing is known yet, so the values say so, and the page keeps polling.
      await expect.poll(() => page.getByTestId('polls').getAttribute('data-count')).not.toBe('0');
      expect(await page.getByTestId('state').textContent()).toBe('CREATED');
      expect(await page.getByTestId(`throughput-${count.name}`).textContent()).toBe('—');
      expect(await page.getByTestId(`store-size-${STORE}`).textContent()).toBe('—');
      expect(await page.getByTestId('tasks-body').textContent()).toBe('no tasks assigned');
      expect(await page.getByTestId('connection').getAttribute('data-ok')).toBe('true');

      await streams.start();
      await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 15_000 }).toBe('RUNNING');

      // Live numbers: records flow; the count's processed total grows between two reads and its rate shows.
      const producer = clients.producer();
      cleanups.push(() => producer.close());
      const flow = keepProducing(producer);
      cleanups.push(() => flow.stop());
      const processed = `processed-${count.name}`;
      await expect.poll(() => valueOf(page, processed), { timeout: 15_000 }).toBeGreaterThan(0);
      const firstRead = await valueOf(page, processed);
      await expect.poll(() => valueOf(page, processed), { timeout: 10_000 }).toBeGreaterThan(firstRead);
      await expect.poll(() => valueOf(page, `throughput-${count.name}`), { timeout: 10_000 }).toBeGreaterThan(0);
      await expect.poll(() => valueOf(page, `throughput-${source.name}`), { timeout: 10_000 }).toBeGreaterThan(0);
      await expect.poll(() => valueOf(page, 'throughput-total'), { timeout: 10_000 }).toBeGreaterThan(0);
      await expect.poll(() => valueOf(page, `store-size-${STORE}`), { timeout: 10_000 }).toBeGreaterThan(0);
      for (let p = 0; p < PARTITIONS; p++) await expect.poll(() => valueOf(page, `lag-${INPUT_TOPIC}-${p}`), { timeout: 10_000 }).toBeGreaterThanOrEqual(0);
      expect(await valueOf(page, `topic-lag-${INPUT_TOPIC}`)).toBeGreaterThanOrEqual(0);
      for (const sub of description.subtopologies) {
        for (let p = 0; p < PARTITIONS; p++) await page.getByTestId(`task-${sub.id}_${p}`).waitFor({ state: 'attached', timeout: 10_000 });
      }
      expect(await page.getByTestId('connection').getAttribute('data-ok')).toBe('true');

      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
      expect(await flow.stop()).toBeGreaterThan(0);
      expect(pageErrors).toEqual([]);
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  }, 60_000);
});
