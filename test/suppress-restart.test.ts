import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { longSerde } from '../dsl/long-serde.js';
import { Consumed } from '../dsl/options/consumed.js';
import { Produced } from '../dsl/options/produced.js';
import { BufferConfig, Suppressed } from '../dsl/options/suppressed.js';
import { StreamsBuilder } from '../dsl/streams-builder.js';
import { WindowedSerdes } from '../dsl/windowed-serdes.js';
import { TimeWindows } from '../dsl/windows/time-windows.js';
import { randomInts, waitUntil } from './helpers/word-count-topology.js';

const S = Serdes.String();
const N = Serdes.Number();
const SIZE = 10;
const GRACE = 5;
const WINDOWED = WindowedSerdes.timeWindowedSerdeFrom(S, SIZE);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-suppress-restart-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function topology() {
  const builder = new StreamsBuilder();
  builder
    .stream('clicks', Consumed.with(S, N))
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(SIZE, GRACE))
    .count()
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream()
    .to('final', Produced.with(WINDOWED, longSerde()));
  return builder.build();
}

/** Clicks on 4 pages with rising timestamps, some out of order (within and beyond the grace period). */
function makeClicks(n: number, seed: number, fromMs: number): [string, number][] {
  const next = randomInts(seed);
  return Array.from({ length: n }, (_, i) => [`page-${next(4)}`, Math.max(0, fromMs + i - next(3) * next(4))]);
}

/** The final counts by the documented rule, in `key@start` form: windows closed by the end of `clicks`. */
function expectedFinal(clicks: readonly [string, number][]): Map<string, number> {
  const counts = new Map<string, number>();
  let streamTime = -1;
  for (const [key, t] of clicks) {
    streamTime = Math.max(streamTime, t);
    const start = t - (t % SIZE);
    if (start + SIZE + GRACE <= streamTime) continue;
    counts.set(`${key}@${start}`, (counts.get(`${key}@${start}`) ?? 0) + 1);
  }
  return new Map([...counts].filter(([id]) => Number(id.split('@')[1]) + SIZE + GRACE <= streamTime));
}

async function produce(broker: Broker, clicks: readonly [string, number][]): Promise<void> {
  const p = inProcessClients(broker).producer();
  await p.send({ topic: 'clicks', messages: clicks.map(([k, t]) => ({ key: S.serialize('clicks', k), value: N.serialize('clicks', 1), timestampMs: t })) });
  await p.close();
}

/** Every record of `final` (not a table: duplicates must show). */
async function readFinal(broker: Broker): Promise<string[]> {
  const clients = inProcessClients(broker);
  const end = broker.listOffset('final', 0, 'latest');
  const consumer = clients.consumer({ autoOffsetReset: 'earliest' });
  const out: string[] = [];
  try {
    consumer.assign([{ topic: 'final', partition: 0 }]);
    while ((await consumer.position({ topic: 'final', partition: 0 })) < end) {
      const polled = await consumer.poll({ maxWaitMs: 50 });
      for (const b of polled.batches) {
        for (const r of b.records) {
          const w = WINDOWED.deserialize('final', r.key, r.headers)!;
          out.push(`${w.key}@${w.window.startMs}=${String(longSerde().deserialize('final', r.value, r.headers))}`);
        }
      }
    }
  } finally {
    await consumer.close();
  }
  return out;
}

async function runGeneration(broker: Broker, stateDir: string, expectedOutputs: number): Promise<void> {
  const streams = new KafkaStreams(topology(), {
    applicationId: 'suppress',
    broker,
    stateDir,
    commitIntervalMs: 50,
    pollMs: 10,
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 100,
    logger: silentLogger(),
  });
  await streams.start();
  await waitUntil(() => streams.state === 'RUNNING' && broker.listOffset('final', 0, 'latest') >= expectedOutputs, `${expectedOutputs} final results`);
  expect(await streams.close()).toBe(true);
}

describe('suppress(untilWindowCloses) across a restart', () => {
  it('close mid-stream and reopen on a fresh state directory: the same final results, no loss, no duplicates', async () => {
    const dataDir = path.join(root, 'log');
    const broker = await Broker.open({ dataDir, logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
    try {
      broker.createTopic('clicks', 1);
      broker.createTopic('final', 1);
      const first = makeClicks(200, 3, 0);
      const second = makeClicks(200, 5, 200);
      await produce(broker, first);
      const afterFirst = expectedFinal(first);
      // Generation 1 stops while the buffer holds the open windows' counts (logged to the buffer's changelog).
      await runGeneration(broker, path.join(root, 'state-1'), afterFirst.size);
      expect(broker.listOffset('suppress-KTABLE-SUPPRESS-STATE-STORE-0000000004-changelog', 0, 'latest')).toBeGreaterThan(0);
      await produce(broker, second);
      const all = expectedFinal([...first, ...second]);
      // Generation 2 restores the window store and the buffer from their changelogs (nothing on disk).
      await runGeneration(broker, path.join(root, 'state-2'), all.size);
      const out = await readFinal(broker);
      expect(out.length).toBe(all.size);
      expect(new Set(out)).toEqual(new Set([...all].map(([id, n]) => `${id}=${n}`)));
    } finally {
      await broker.close();
    }
  }, 30_000);
});
