/**
 * Stream-stream joins (inner, left, outer) in a KafkaStreams app over an on-disk broker, closed and reopened (app
 * and broker) in the middle of the input: under at_least_once with clean closes, every output topic must hold
 * exactly the reference model's results as a multiset: all pairs of records of a key within the window, plus (left,
 * outer) every record that never found a partner, emitted once its window closed. Nothing lost, nothing twice.
 *
 * Each stream is in timestamp order and the grace period covers the whole input, so what is emitted does not depend
 * on how the runtime interleaves the two streams' partitions (a backlog may reach a task one partition after the
 * other): no record is ever late, and a record emitted as non-joined on arrival (its window already behind stream
 * time, as Kafka Streams does) has met every partner it has. Other non-joined records are held in the outer-join
 * store, across the restarts, until a last record per partition moves stream time past every window.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import type { ProducerRecord } from '../src/record.js';
import { topicPartitionKey } from '../src/record.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { Topology } from '../src/topology/topology.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { Consumed } from '../dsl/options/consumed.js';
import type { DslStoreType } from '../dsl/options/materialized.js';
import { Produced } from '../dsl/options/produced.js';
import { StreamJoined } from '../dsl/options/stream-joined.js';
import { StreamsBuilder } from '../dsl/streams-builder.js';
import { JoinWindows } from '../dsl/windows/join-windows.js';
import { randomInts, waitUntil } from './helpers/word-count-topology.js';

const S = Serdes.String();
const PARTITIONS = 2;
const KEYS = 6;
const WINDOW_MS = 3;
/** Event times of the input lie in [0, SPAN_MS); the grace period is longer, so no record is ever dropped as late. */
const SPAN_MS = 400;
const GRACE_MS = 10_000;
/** The timestamp of the last records, which close every window. */
const FLUSH_MS = 100_000;
const VARIANTS = ['inner', 'left', 'outer'] as const;
type Variant = (typeof VARIANTS)[number];
const APP = 'join-restart';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-stream-join-restart-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const show = (l: string | null, r: string | null): string => `${l}+${r}`;

/** One app with the three joins of `left` and `right`, each writing to `<variant>-out`. */
function topology(storeType: DslStoreType): Topology {
  const builder = new StreamsBuilder();
  const left = builder.stream('left', Consumed.with(S, S));
  const right = builder.stream('right', Consumed.with(S, S));
  const windows = JoinWindows.ofTimeDifferenceAndGrace(WINDOW_MS, GRACE_MS);
  const joined = StreamJoined.with(S, S, S);
  left.join(right, show, windows, joined).to('inner-out', Produced.with(S, S));
  left.leftJoin(right, show, windows, joined).to('left-out', Produced.with(S, S));
  left.outerJoin(right, show, windows, joined).to('outer-out', Produced.with(S, S));
  return builder.build({ dslStoreType: storeType });
}

interface Input {
  readonly key: string;
  readonly value: string;
  readonly timestampMs: number;
}

/** `n` records of one side in timestamp order (values `<prefix><i>`), keys and times drawn from `seed`. */
function makeSide(prefix: 'L' | 'R', n: number, seed: number): Input[] {
  const next = randomInts(seed);
  const times = Array.from({ length: n }, () => next(SPAN_MS)).sort((a, b) => a - b);
  return times.map((timestampMs, i) => ({ key: `k${next(KEYS)}`, value: `${prefix}${i}`, timestampMs }));
}

/** The reference: each variant's results as sorted `key|value|timestamp` lines. */
function model(left: readonly Input[], right: readonly Input[]): Record<Variant, string[]> {
  const pairs: string[] = [];
  const leftAlone: string[] = [];
  const rightJoined = new Set<Input>();
  for (const l of left) {
    let isJoined = false;
    for (const r of right) {
      if (r.key !== l.key || Math.abs(r.timestampMs - l.timestampMs) > WINDOW_MS) continue;
      isJoined = true;
      rightJoined.add(r);
      pairs.push(`${l.key}|${show(l.value, r.value)}|${Math.max(l.timestampMs, r.timestampMs)}`);
    }
    if (!isJoined) leftAlone.push(`${l.key}|${show(l.value, null)}|${l.timestampMs}`);
  }
  const rightAlone = right.filter((r) => !rightJoined.has(r)).map((r) => `${r.key}|${show(null, r.value)}|${r.timestampMs}`);
  return { inner: [...pairs].sort(), left: [...pairs, ...leftAlone].sort(), outer: [...pairs, ...leftAlone, ...rightAlone].sort() };
}

function openBroker(dataDir: string): Promise<Broker> {
  return Broker.open({ dataDir, logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
}

function createTopics(broker: Broker): void {
  for (const t of ['left', 'right', ...VARIANTS.map((v) => `${v}-out`)]) broker.createTopic(t, PARTITIONS);
}

async function produce(broker: Broker, topic: 'left' | 'right', records: readonly Input[]): Promise<void> {
  if (records.length === 0) return;
  const p = inProcessClients(broker).producer();
  await p.send({ topic, messages: records.map((r) => ({ key: S.serialize(topic, r.key), value: S.serialize(topic, r.value), timestampMs: r.timestampMs })) });
  await p.close();
}

/** One left record per partition, later than every window's close: each task emits its held non-joined results. */
async function produceFlush(broker: Broker): Promise<void> {
  const messages: ProducerRecord[] = Array.from({ length: PARTITIONS }, (_, partition) => ({
    key: S.serialize('left', `flush-${partition}`),
    value: S.serialize('left', 'flush'),
    timestampMs: FLUSH_MS,
    partition,
  }));
  const p = inProcessClients(broker).producer();
  await p.send({ topic: 'left', messages });
  await p.close();
}

/** How many input records the app has committed (summed over both inputs' partitions). */
function committedInputs(broker: Broker): number {
  const tps = ['left', 'right'].flatMap((topic) => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
  const committed = broker.groups.fetchOffsets(APP, tps);
  let n = 0;
  for (const tp of tps) n += committed.get(topicPartitionKey(tp.topic, tp.partition))?.offset ?? 0;
  return n;
}

function inputEnd(broker: Broker): number {
  let n = 0;
  for (const topic of ['left', 'right']) for (let p = 0; p < PARTITIONS; p++) n += broker.listOffset(topic, p, 'latest');
  return n;
}

/** Every record of a variant's output topic (duplicates show), as sorted `key|value|timestamp` lines. */
async function readOutput(broker: Broker, variant: Variant): Promise<string[]> {
  const topic = `${variant}-out`;
  const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
  const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
  const out: string[] = [];
  try {
    consumer.assign(partitions);
    const isDone = async (): Promise<boolean> => {
      for (const tp of partitions) if ((await consumer.position(tp)) < broker.listOffset(topic, tp.partition, 'latest')) return false;
      return true;
    };
    while (!(await isDone())) {
      const polled = await consumer.poll({ maxWaitMs: 50 });
      for (const b of polled.batches) for (const r of b.records) out.push(`${S.deserialize(topic, r.key)}|${S.deserialize(topic, r.value)}|${r.timestampMs}`);
    }
  } finally {
    await consumer.close();
  }
  return out.sort();
}

function startApp(broker: Broker, storeType: DslStoreType, stateDir: string): KafkaStreams {
  return new KafkaStreams(topology(storeType), {
    applicationId: APP,
    broker,
    stateDir,
    commitIntervalMs: 50,
    pollMs: 10,
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 100,
    logger: silentLogger(),
  });
}

/** Starts the app, waits until `until()` holds (default: every input record committed), closes it cleanly. */
async function runGeneration(broker: Broker, storeType: DslStoreType, stateDir: string, until?: () => boolean): Promise<void> {
  const streams = startApp(broker, storeType, stateDir);
  await streams.start();
  const done = until ?? (() => committedInputs(broker) >= inputEnd(broker));
  await waitUntil(() => streams.state === 'ERROR' || done(), 'the join app to reach its stopping point');
  expect(streams.error).toBeNull();
  expect(await streams.close()).toBe(true);
}

/** The last generation: process everything, then the flush records, then close. */
async function finish(broker: Broker, storeType: DslStoreType, stateDir: string): Promise<void> {
  const streams = startApp(broker, storeType, stateDir);
  await streams.start();
  const isCommitted = (): boolean => streams.state === 'ERROR' || committedInputs(broker) >= inputEnd(broker);
  await waitUntil(isCommitted, 'every input record to be committed');
  await produceFlush(broker);
  await waitUntil(isCommitted, 'the flush records to be committed');
  expect(streams.error).toBeNull();
  expect(await streams.close()).toBe(true);
}

async function expectModel(broker: Broker, expected: Record<Variant, string[]>): Promise<void> {
  for (const variant of VARIANTS) expect({ variant, out: await readOutput(broker, variant) }).toEqual({ variant, out: expected[variant] });
}

/** End offsets summed over the outer-join stores' changelogs: what a restart finds held. */
function outerStoreChangelogRecords(broker: Broker): number {
  let n = 0;
  for (const { name } of broker.listTopics()) {
    if (!name.startsWith(`${APP}-`) || !name.includes('OUTERSHARED') || !name.endsWith('-changelog')) continue;
    for (let p = 0; p < PARTITIONS; p++) n += broker.listOffset(name, p, 'latest');
  }
  return n;
}

describe('stream-stream joins across restarts of the app and the broker (at_least_once, clean close)', () => {
  for (const storeType of ['in-memory', 'sqlite'] as const) {
    it(`${storeType} stores: closed and reopened mid-stream, the output equals the reference join's`, async () => {
      const dataDir = path.join(root, `${storeType}-log`);
      const stateDir = path.join(root, `${storeType}-state`);
      const left = makeSide('L', 240, 11);
      const right = makeSide('R', 240, 12);
      const expected = model(left, right);
      // The input mixes joined and non-joined records of both sides.
      expect(expected.inner.length).toBeGreaterThan(50);
      expect(expected.outer.length - expected.left.length).toBeGreaterThan(50);
      expect(expected.left.length - expected.inner.length).toBeGreaterThan(50);

      let broker = await openBroker(dataDir);
      try {
        createTopics(broker);
        await produce(broker, 'left', left.slice(0, 150));
        await produce(broker, 'right', right.slice(0, 130));
        await runGeneration(broker, storeType, stateDir);
        // The restart falls in the middle: pairs already out, unjoined records held in the outer-join stores.
        expect(broker.listOffset('inner-out', 0, 'latest') + broker.listOffset('inner-out', 1, 'latest')).toBeGreaterThan(0);
        expect(outerStoreChangelogRecords(broker)).toBeGreaterThan(0);
        await broker.close();

        broker = await openBroker(dataDir);
        await produce(broker, 'left', left.slice(150));
        await produce(broker, 'right', right.slice(130));
        await finish(broker, storeType, stateDir);
        await expectModel(broker, expected);
      } finally {
        await broker.close();
      }
    }, 20_000);
  }

  it('closed at random points (seeded) while input arrives, sometimes with the broker and on a fresh state directory: nothing lost or duplicated', async () => {
    for (const seed of [3, 4]) {
      const next = randomInts(seed);
      const storeType: DslStoreType = seed % 2 === 0 ? 'sqlite' : 'in-memory';
      const dataDir = path.join(root, `random-${seed}-log`);
      const left = makeSide('L', 150, seed * 10 + 1);
      const right = makeSide('R', 150, seed * 10 + 2);
      let broker = await openBroker(dataDir);
      try {
        createTopics(broker);
        let stateDir = path.join(root, `random-${seed}-state-0`);
        const sent = { left: 0, right: 0 };
        for (let generation = 1; sent.left < left.length || sent.right < right.length; generation++) {
          const streams = startApp(broker, storeType, stateDir);
          await streams.start();
          if (next(4) > 0) await waitUntil(() => streams.state === 'RUNNING', 'the join app to run');
          // A random number of small slices of either side while the app runs, then close at once: mid-processing.
          for (let slices = 1 + next(4); slices > 0; slices--) {
            const side = next(2) === 0 ? 'left' : 'right';
            const records = side === 'left' ? left : right;
            const to = Math.min(records.length, sent[side] + 10 + next(40));
            await produce(broker, side, records.slice(sent[side], to));
            sent[side] = to;
          }
          expect(await streams.close()).toBe(true);
          expect(streams.error).toBeNull();
          if (next(3) === 0) {
            await broker.close();
            broker = await openBroker(dataDir);
          }
          // A fresh state directory: the stores come back from their changelogs only.
          if (next(3) === 0) stateDir = path.join(root, `random-${seed}-state-${generation}`);
        }
        await finish(broker, storeType, stateDir);
        await expectModel(broker, model(left, right));
      } finally {
        await broker.close();
      }
    }
  }, 30_000);
});
