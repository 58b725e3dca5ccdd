/**
 * `tributary run` end to end: a word-count module runs in a child process against a `tributary broker` child while
 * input keeps arriving; SIGTERM mid-stream stops it gracefully (exit 0 within the shutdown timeout); a restart on the
 * same state directory resumes from the committed offsets; the final counts equal the reference (nothing lost, and
 * after clean stops nothing counted twice). With --http-port the instance answers /health meanwhile.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClients } from '../../src/client/kafka/kafka-clients.js';
import type { TopicPartition } from '../../src/record.js';
import { silentLogger } from '../../src/util/logger.js';
import { CliProcess, startBroker, tempDir } from './cli-harness.js';
import { config, INPUT, OUTPUT, words } from './fixtures/word-count-app.js';

const APP = 'test/cli/fixtures/word-count-app.ts';
const APPLICATION_ID = config.applicationId!;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const PARTITIONS = 2;

let broker: Awaited<ReturnType<typeof startBroker>>;
let root: string;
let cleanup: () => void;
let clients: ReturnType<typeof kafkaClients>;

beforeAll(async () => {
  [root, cleanup] = tempDir('cli-run');
  broker = await startBroker(path.join(root, 'broker'));
  clients = kafkaClients({ bootstrapServers: [broker.address], clientId: 'run-test', logger: silentLogger() });
});

afterAll(async () => {
  await clients?.close();
  expect(await broker?.process.stop('SIGTERM')).toBe(0);
  cleanup();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const VOCABULARY = ['river', 'sea', 'stream', 'tributary', 'flows', 'the', 'to', 'delta', 'rain', 'spring'];

/** Line `i` of the input: a few words from the vocabulary, chosen by `i`. */
function line(i: number): string {
  return Array.from({ length: 1 + (i % 5) }, (_, j) => VOCABULARY[(i * 7 + j * 3) % VOCABULARY.length]!.toUpperCase()).join(' ');
}

async function produceLines(from: number, to: number): Promise<void> {
  const producer = clients.producer();
  try {
    await producer.send({ topic: INPUT, messages: Array.from({ length: to - from }, (_, k) => ({ key: null, value: Buffer.from(line(from + k)) })) });
  } finally {
    await producer.close();
  }
}

/** Committed offsets of the application's group on `topic`, per partition (0 where none). */
async function committed(topic: string): Promise<number[]> {
  const offsets = await clients.admin.listConsumerGroupOffsets(APPLICATION_ID);
  return Array.from({ length: PARTITIONS }, (_, p) => offsets.find((o) => o.topic === topic && o.partition === p)?.offset ?? 0);
}

async function ends(topic: string): Promise<number[]> {
  const tps: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
  return (await clients.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })))).map((o) => o.offset);
}

/** Waits until the group has committed the whole input, then the whole repartition topic (see examples/word-count.ts). */
async function waitUntilProcessed(app: CliProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const topic of [INPUT, `${APPLICATION_ID}-counts-repartition`]) {
    for (;;) {
      const [c, e] = await Promise.all([committed(topic), ends(topic)]);
      if (c.every((x, i) => x >= e[i]!)) break;
      if (Date.now() > deadline) throw new Error(`${topic}: committed ${c.join(',')} of ${e.join(',')}; app stdout:\n${app.lines.join('\n')}\nstderr:\n${app.stderr}`);
      await sleep(50);
    }
  }
}

/** The last value of every key of the output topic: the published counts. */
async function publishedCounts(): Promise<Map<string, number>> {
  const tps: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: OUTPUT, partition }));
  const end = await ends(OUTPUT);
  const reader = clients.consumer({ autoOffsetReset: 'earliest' });
  reader.assign(tps);
  const counts = new Map<string, number>();
  try {
    for (let polls = 0; (await Promise.all(tps.map((tp) => reader.position(tp)))).some((p, i) => p < end[i]!); polls++) {
      if (polls > 2000) throw new Error('could not read the output to its end');
      for (const b of (await reader.poll({ maxWaitMs: 50 })).batches) for (const r of b.records) counts.set(r.key!.toString(), Number(r.value!.toString()));
    }
  } finally {
    await reader.close();
  }
  return counts;
}

function startApp(): CliProcess {
  return new CliProcess(['run', APP, '--broker', broker.address, '--state-dir', path.join(root, 'state'), '--http-port', '0', '--shutdown-timeout-ms', String(SHUTDOWN_TIMEOUT_MS), '--log-level', 'warn']);
}

describe('tributary run', () => {
  it('stops on SIGTERM mid-stream with exit 0, resumes on restart, and ends with the reference counts', async () => {
    await clients.admin.createTopics([
      { topic: INPUT, numPartitions: PARTITIONS },
      { topic: OUTPUT, numPartitions: PARTITIONS },
    ]);
    const TOTAL = 6000;
    await produceLines(0, 2000);

    const first = startApp();
    const httpLine = await first.waitFor('tributary run: http listening on ', 60_000);
    await first.waitFor(`${APPLICATION_ID} REBALANCING -> RUNNING`, 60_000);
    const port = Number(httpLine.slice(httpLine.lastIndexOf(':') + 1));
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    // Input keeps arriving while the application runs; SIGTERM comes once it has committed some, mid-stream.
    let produced = 2000;
    const producing = (async () => {
      for (; produced < TOTAL; produced += 200) {
        await produceLines(produced, produced + 200);
        await sleep(40);
      }
    })();
    for (let c = await committed(INPUT); c[0]! + c[1]! === 0; c = await committed(INPUT)) await sleep(20);
    const producedAtStop = produced;
    const stoppedAt = Date.now();
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(producedAtStop).toBeLessThan(TOTAL);
    expect(first.lines).toContain(`tributary run: ${APPLICATION_ID} PENDING_SHUTDOWN -> NOT_RUNNING`);
    expect(first.lines.at(-1)).toBe(`tributary run: ${APPLICATION_ID} stopped (exit code 0)`);
    await producing;

    const second = startApp();
    await second.waitFor(`${APPLICATION_ID} REBALANCING -> RUNNING`, 60_000);
    await waitUntilProcessed(second, 60_000);
    expect(await second.stop('SIGTERM')).toBe(0);

    const reference = new Map<string, number>();
    for (let i = 0; i < TOTAL; i++) for (const w of words(line(i))) reference.set(w, (reference.get(w) ?? 0) + 1);
    const published = await publishedCounts();
    expect(Object.fromEntries([...published].sort())).toEqual(Object.fromEntries([...reference].sort()));
  });
});
