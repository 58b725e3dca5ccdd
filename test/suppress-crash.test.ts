import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { longSerde } from '../dsl/long-serde.js';
import {
  BROKER_OPTIONS,
  BUFFER_CHANGELOG,
  FINAL_TOPIC,
  GRACE_MS,
  INPUT_TOPIC,
  WINDOW_SIZE_MS,
  WINDOWED_SERDE,
} from './helpers/suppress-crash-child.js';
import { randomInts } from './helpers/word-count-topology.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '..', '..');
const CHILD = path.join(ROOT, 'test', 'helpers', 'suppress-crash-child.ts');
const S = Serdes.String();
const N = Serdes.Number();

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-suppress-crash-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Clicks on 4 pages with rising timestamps from `fromMs`, some out of order (within and beyond the grace period). */
function makeClicks(n: number, seed: number, fromMs: number): [string, number][] {
  const next = randomInts(seed);
  return Array.from({ length: n }, (_, i) => [`page-${next(4)}`, Math.max(0, fromMs + i - next(3) * next(4))]);
}

/** The documented rule, in `key@start` form: each window's count of accepted records and whether it has closed. */
function model(clicks: readonly [string, number][]): { final: Map<string, number>; open: Set<string> } {
  const counts = new Map<string, number>();
  let streamTime = -1;
  for (const [key, t] of clicks) {
    streamTime = Math.max(streamTime, t);
    const start = t - (t % WINDOW_SIZE_MS);
    if (start + WINDOW_SIZE_MS + GRACE_MS <= streamTime) continue; // late: dropped
    counts.set(`${key}@${start}`, (counts.get(`${key}@${start}`) ?? 0) + 1);
  }
  const isClosed = (id: string): boolean => Number(id.split('@')[1]) + WINDOW_SIZE_MS + GRACE_MS <= streamTime;
  return { final: new Map([...counts].filter(([id]) => isClosed(id))), open: new Set([...counts.keys()].filter((id) => !isClosed(id))) };
}

async function withBroker<T>(dataDir: string, f: (broker: Broker) => Promise<T>): Promise<T> {
  const broker = await Broker.open({ dataDir, logger: silentLogger(), ...BROKER_OPTIONS });
  try {
    return await f(broker);
  } finally {
    await broker.close();
  }
}

async function produce(broker: Broker, clicks: readonly [string, number][]): Promise<void> {
  const p = inProcessClients(broker).producer();
  await p.send({ topic: INPUT_TOPIC, messages: clicks.map(([k, t]) => ({ key: S.serialize(INPUT_TOPIC, k), value: N.serialize(INPUT_TOPIC, 1), timestampMs: t })) });
  await p.close();
}

/** Every record of a single-partition topic, read straight from the log, in offset order. */
async function readAll(broker: Broker, topic: string): Promise<{ key: Buffer | null; value: Buffer | null }[]> {
  const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
  const end = broker.listOffset(topic, 0, 'latest');
  const out: { key: Buffer | null; value: Buffer | null }[] = [];
  try {
    consumer.assign([{ topic, partition: 0 }]);
    while ((await consumer.position({ topic, partition: 0 })) < end) {
      for (const b of (await consumer.poll({ maxWaitMs: 50 })).batches) for (const r of b.records) out.push({ key: r.key, value: r.value });
    }
  } finally {
    await consumer.close();
  }
  return out;
}

/** The final results as `key@start=count`, every record (a stream, not a table: duplicates show). */
async function readFinal(broker: Broker): Promise<string[]> {
  return (await readAll(broker, FINAL_TOPIC)).map(({ key, value }) => {
    const w = WINDOWED_SERDE.deserialize(FINAL_TOPIC, key)!;
    return `${w.key}@${w.window.startMs}=${String(longSerde().deserialize(FINAL_TOPIC, value))}`;
  });
}

/**
 * Runs the child until it prints its status line; in mode `hold` then kills it with SIGKILL. Resolves with the
 * status line once the process is gone.
 */
function runChild(dataDir: string, stateDir: string, expected: number, mode: 'hold' | 'finish'): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, stateDir, String(expected), mode], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`suppress crash child (${mode}) did not catch up in time; stdout: ${out}; stderr:\n${err}`));
    }, 15_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (mode === 'hold' && !killed && out.includes('\n')) killed = child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const expectedEnd = mode === 'hold' ? signal === 'SIGKILL' && killed : code === 0;
      if (!expectedEnd) reject(new Error(`suppress crash child (${mode}) ended with code ${code}, signal ${signal}; stdout: ${out}; stderr:\n${err}`));
      else resolve(out.split('\n')[0]!);
    });
  });
}

describe('suppress(untilWindowCloses) across a SIGKILL', () => {
  it('killed while the buffer holds open windows: after recovery, exactly one final result per closed window, with its count', async () => {
    const dataDir = path.join(root, 'log');
    const stateDir = path.join(root, 'state');
    const first = makeClicks(300, 11, 0);
    // At most 6 ms out of order: no record of the second part falls into a window closed before the crash. (After a
    // restart the aggregation and suppress start their stream time afresh and would take such a record as on time.)
    const second = makeClicks(300, 13, 300);
    const afterFirst = model(first);
    const all = model([...first, ...second]);
    await withBroker(dataDir, async (broker) => {
      broker.createTopic(INPUT_TOPIC, 1);
      broker.createTopic(FINAL_TOPIC, 1);
      await produce(broker, first);
    });

    // The child processes and commits everything, prints `ready`, and is killed: no clean close, its lock left behind.
    const ready = await runChild(dataDir, stateDir, afterFirst.final.size, 'hold');
    expect(ready).toMatch(/^ready \d+ \d+$/);
    await withBroker(dataDir, async (broker) => {
      // At the kill: the final results of the windows closed so far, and the open windows' counts in the buffer.
      expect(await readFinal(broker)).toEqual(expect.arrayContaining([...afterFirst.final].map(([id, n]) => `${id}=${n}`)));
      expect((await readFinal(broker)).length).toBe(afterFirst.final.size);
      const buffered = new Map<string, boolean>();
      for (const { key, value } of await readAll(broker, BUFFER_CHANGELOG)) buffered.set(key!.toString('hex'), value !== null);
      const live = [...buffered.values()].filter(Boolean).length;
      expect(live).toBe(afterFirst.open.size);
      expect(live).toBeGreaterThan(0);
      await produce(broker, second);
    });

    // A new process on the same state directory (the dead one's lock is stale) restores the window store and the
    // buffer from their changelogs and processes the rest, which closes every window.
    const done = await runChild(dataDir, stateDir, all.final.size, 'finish');
    expect(done).toMatch(/^done \d+ \d+$/);
    expect(all.open.size).toBeGreaterThan(0); // the last windows stay open: nothing may be emitted for them
    await withBroker(dataDir, async (broker) => {
      const out = await readFinal(broker);
      // Exactly the expected (window, count) pairs, each once: no loss, no duplicate, nothing for open windows.
      expect(new Set(out)).toEqual(new Set([...all.final].map(([id, n]) => `${id}=${n}`)));
      expect(out.length).toBe(all.final.size);
    });
  }, 20_000);
});
