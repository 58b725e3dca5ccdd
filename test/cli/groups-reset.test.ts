/**
 * `tributary groups describe` and `tributary reset` end to end against a `tributary broker` child, with the word
 * count running in this process: lag shows new input and drops to 0 once the application has processed it; the
 * reset tool's dry run changes nothing, it refuses while the application runs, and its real run makes the next run
 * reprocess everything from scratch (the published counts equal the reference, not twice it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaStreams } from '../../runtime/kafka-streams.js';
import { kafkaClients } from '../../src/client/kafka/kafka-clients.js';
import type { TopicPartition } from '../../src/record.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli, startBroker, tempDir } from './cli-harness.js';
import { buildTopology, config, INPUT, OUTPUT, words } from './fixtures/word-count-app.js';

const APPLICATION_ID = config.applicationId!;
const REPARTITION = `${APPLICATION_ID}-counts-repartition`;
const CHANGELOG = `${APPLICATION_ID}-counts-changelog`;
const PARTITIONS = 2;

let broker: Awaited<ReturnType<typeof startBroker>>;
let root: string;
let stateDir: string;
let cleanup: () => void;
let clients: ReturnType<typeof kafkaClients>;

beforeAll(async () => {
  [root, cleanup] = tempDir('cli-groups');
  stateDir = path.join(root, 'state');
  broker = await startBroker(path.join(root, 'broker'));
  clients = kafkaClients({ bootstrapServers: [broker.address], clientId: 'groups-test', logger: silentLogger() });
});

afterAll(async () => {
  await clients?.close();
  expect(await broker?.process.stop('SIGTERM')).toBe(0);
  cleanup();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const line = (i: number): string => ['a river', 'the sea the sea', 'rain', 'a stream to a river'][i % 4]!;

async function produceLines(from: number, to: number): Promise<void> {
  const producer = clients.producer();
  await producer.send({ topic: INPUT, messages: Array.from({ length: to - from }, (_, k) => ({ key: Buffer.from(`k${from + k}`), value: Buffer.from(line(from + k)) })) });
  await producer.close();
}

async function startApp(): Promise<KafkaStreams> {
  const streams = new KafkaStreams(buildTopology(), { ...config, applicationId: APPLICATION_ID, broker: broker.address, stateDir, logger: silentLogger() });
  await streams.start();
  return streams;
}

async function waitUntilProcessed(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const topic of [INPUT, REPARTITION]) {
    const tps: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
    for (;;) {
      const [offsets, ends] = await Promise.all([clients.admin.listConsumerGroupOffsets(APPLICATION_ID), clients.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })))]);
      if (ends.every((e) => (offsets.find((o) => o.topic === topic && o.partition === e.partition)?.offset ?? 0) >= e.offset)) break;
      if (Date.now() > deadline) throw new Error(`${topic} not processed in time`);
      await sleep(30);
    }
  }
}

/** The rows of `groups describe` for the input topic: partition -> [current offset, log end offset, lag]. */
function inputRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`${APPLICATION_ID}  ${INPUT}`))
    .map((l) => l.split(/\s+/).slice(2, 6));
}

async function publishedCounts(): Promise<Map<string, number>> {
  const tps: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: OUTPUT, partition }));
  const ends = await clients.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
  const reader = clients.consumer({ autoOffsetReset: 'earliest' });
  reader.assign(tps);
  const counts = new Map<string, number>();
  while ((await Promise.all(tps.map((tp) => reader.position(tp)))).some((p, i) => p < ends[i]!.offset)) {
    for (const b of (await reader.poll({ maxWaitMs: 50 })).batches) for (const r of b.records) counts.set(r.key!.toString(), Number(r.value!.toString()));
  }
  await reader.close();
  return counts;
}

describe('tributary groups describe and reset', () => {
  it('shows lag until the application has processed the input; resets the application for a full reprocessing', async () => {
    const b = ['--broker', broker.address];
    await clients.admin.createTopics([
      { topic: INPUT, numPartitions: PARTITIONS },
      { topic: OUTPUT, numPartitions: PARTITIONS },
    ]);
    await produceLines(0, 200);
    let streams = await startApp();
    await waitUntilProcessed();
    await streams.close();

    // 40 more lines while the application is down: the group's lag.
    await produceLines(200, 240);
    const lagging = await runCli(['groups', 'describe', APPLICATION_ID, ...b]);
    expect(lagging.code).toBe(0);
    expect(lagging.stdout).toContain(`Consumer group '${APPLICATION_ID}' has no active members (state Empty).`);
    const rows = inputRows(lagging.stdout);
    expect(rows).toHaveLength(PARTITIONS);
    expect(rows.reduce((n, r) => n + Number(r[3]), 0)).toBe(40);
    for (const [, current, end, lag] of rows) expect(Number(end) - Number(current)).toBe(Number(lag));
    // Nothing new reached the repartition topic while the application was down: all the lag is input.
    expect(lagging.stdout).toMatch(/TOTAL-LAG 40\n$/);

    streams = await startApp();
    await waitUntilProcessed();
    const [caughtUp, refused] = await Promise.all([
      runCli(['groups', 'describe', APPLICATION_ID, ...b]),
      runCli(['reset', APPLICATION_ID, '--input-topics', INPUT, '--state-dir', stateDir, '--yes', ...b]),
    ]);
    expect(caughtUp.stdout).toMatch(new RegExp(`Consumer group '${APPLICATION_ID}' is Stable with 1 member`));
    expect(inputRows(caughtUp.stdout).map((r) => r[3])).toEqual(['0', '0']);
    expect(caughtUp.stdout).toMatch(/TOTAL-LAG 0\n$/);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('stop every instance of the application before resetting it');
    await streams.close();

    const before = await clients.admin.listConsumerGroupOffsets(APPLICATION_ID);
    const dry = await runCli(['reset', APPLICATION_ID, '--input-topics', INPUT, '--state-dir', stateDir, ...b]);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toContain(`   ${CHANGELOG}\n   ${REPARTITION}\n`);
    expect(dry.stdout).toContain(`local state to wipe: ${path.join(stateDir, APPLICATION_ID)}`);
    expect(await clients.admin.listConsumerGroupOffsets(APPLICATION_ID)).toEqual(before);
    expect(await clients.admin.listTopics()).toEqual(expect.arrayContaining([CHANGELOG, REPARTITION]));

    const done = await runCli(['reset', APPLICATION_ID, '--input-topics', INPUT, '--state-dir', stateDir, '--yes', ...b]);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`Reset of application '${APPLICATION_ID}' done`);
    expect((await clients.admin.listTopics()).sort()).toEqual([INPUT, OUTPUT].sort());
    expect(fs.existsSync(path.join(stateDir, APPLICATION_ID))).toBe(false);
    const afterReset = await runCli(['groups', 'describe', APPLICATION_ID, ...b]);
    expect(inputRows(afterReset.stdout).reduce((n, r) => n + Number(r[3]), 0)).toBe(240);

    // The next run counts everything again from empty stores: the published counts are the reference, not doubled.
    streams = await startApp();
    await waitUntilProcessed();
    await streams.close();
    const reference = new Map<string, number>();
    for (let i = 0; i < 240; i++) for (const w of words(line(i))) reference.set(w, (reference.get(w) ?? 0) + 1);
    expect(Object.fromEntries([...(await publishedCounts())].sort())).toEqual(Object.fromEntries([...reference].sort()));
  });
});
