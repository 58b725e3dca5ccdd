import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { InProcessConsumer } from '../src/client/in-process/in-process-consumer.js';
import { InProcessProducer } from '../src/client/in-process/in-process-producer.js';
import { isStreamsError } from '../src/errors.js';
import { topicPartitionKey, type TopicPartition } from '../src/record.js';
import { silentLogger } from '../src/util/logger.js';

const TOPIC = 'orders';
const GROUP = 'billing';
const PARTITIONS = 12;
const ALL: readonly TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition }));
const SESSION_TIMEOUT_MS = 300;
const HEARTBEAT_INTERVAL_MS = 50;
/** Errors a member may see around a rebalance; it polls again (and rejoins) after them. */
const REBALANCE_CODES = ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID'] as const;

const tmpRoots: string[] = [];
afterAll(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

function openBroker(dataDir: string, offsetsTopicPartitions?: number): Promise<Broker> {
  return Broker.open({
    dataDir,
    logger: silentLogger(),
    maintenanceIntervalMs: 0,
    groupMinSessionTimeoutMs: 100,
    ...(offsetsTopicPartitions === undefined ? {} : { offsetsTopicPartitions }),
  });
}

function newConsumer(broker: Broker, clientId: string): InProcessConsumer {
  return new InProcessConsumer(broker, {
    groupId: GROUP,
    clientId,
    autoOffsetReset: 'earliest',
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    maxPollRecords: 10,
  });
}

/** Every record produced, by `topic-partition` then offset: its value. */
type Produced = Map<string, Map<number, string>>;

async function produce(producer: InProcessProducer, produced: Produced, from: number, count: number): Promise<void> {
  const messages = [];
  for (let i = from; i < from + count; i++) messages.push({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), partition: i % PARTITIONS });
  const metas = await producer.send({ topic: TOPIC, messages });
  for (const m of metas) {
    // Records of one partition keep their order within a send, so the n-th of them got baseOffset + n.
    const values = messages.filter((msg) => msg.partition === m.partition).map((msg) => msg.value.toString());
    expect(values.length).toBe(m.recordCount);
    let byOffset = produced.get(topicPartitionKey(TOPIC, m.partition));
    if (byOffset === undefined) produced.set(topicPartitionKey(TOPIC, m.partition), (byOffset = new Map()));
    values.forEach((v, i) => byOffset.set(m.baseOffset + i, v));
  }
}

interface Delivery {
  readonly member: string;
  readonly tp: string;
  readonly offset: number;
  readonly value: string;
}

type Fate = 'survive' | 'leave' | 'crash';

/** One consumer of the group, run as its own poll / process / commit loop. */
class Member {
  consumed = 0;
  status: 'running' | 'left' | 'crashed' | 'stopped' = 'running';
  readonly consumer: InProcessConsumer;
  /** The highest offset this member committed per partition (what it acknowledged as processed). */
  readonly committedByMe = new Map<string, number>();
  #loop: Promise<void> | null = null;
  #stop = false;

  constructor(
    readonly name: string,
    broker: Broker,
    readonly fate: Fate,
    readonly eventAfterRecords: number,
    readonly run: GroupRun,
  ) {
    this.consumer = newConsumer(broker, name);
    // Commit what was processed before the partitions go, as a Kafka app does in onPartitionsRevoked.
    this.consumer.subscribe([TOPIC], { onPartitionsRevoked: async () => this.commit() });
  }

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#loop;
    if (this.status === 'running') this.status = 'stopped';
  }

  get loop(): Promise<void> | null {
    return this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stop) {
      let polled;
      try {
        polled = await this.consumer.poll({ maxWaitMs: 50 });
      } catch (e: unknown) {
        if (REBALANCE_CODES.some((c) => isStreamsError(e, c))) continue;
        throw e;
      }
      for (const b of polled.batches) {
        for (const r of b.records) {
          this.run.deliveries.push({ member: this.name, tp: topicPartitionKey(b.topic, b.partition), offset: r.offset, value: r.value!.toString() });
          this.consumed++;
        }
      }
      if (this.fate === 'crash' && this.consumed >= this.eventAfterRecords) {
        // Dies after processing a poll, before committing it: those records must be delivered again to someone.
        this.consumer.simulateCrash();
        this.status = 'crashed';
        return;
      }
      await sleep(polled.count > 0 ? 3 : 0); // processing time, so the run spreads over rebalances
      await this.commit();
      if (this.fate === 'leave' && this.consumed >= this.eventAfterRecords) {
        await this.consumer.close();
        this.status = 'left';
        return;
      }
    }
  }

  /** Commits the positions of everything processed, then records what the group now holds. */
  async commit(): Promise<void> {
    const owned = this.consumer.assignment();
    try {
      await this.consumer.commit();
    } catch (e: unknown) {
      if (REBALANCE_CODES.some((c) => isStreamsError(e, c))) {
        this.run.failedCommits.push({ member: this.name, code: (e as { code: string }).code });
        return;
      }
      throw e;
    }
    const mine = await this.consumer.committed(owned);
    for (const c of mine) if (c !== null) this.committedByMe.set(topicPartitionKey(c.topic, c.partition), c.offset);
    this.run.observeCommits();
  }
}

/** Shared state of one group run: every delivery, every commit observed, in the order they happened. */
class GroupRun {
  readonly deliveries: Delivery[] = [];
  readonly failedCommits: { member: string; code: string }[] = [];
  /** Per partition, each committed offset observed after a commit, in order. */
  readonly observed = new Map<string, number[]>();

  constructor(readonly broker: Broker) {}

  observeCommits(): void {
    for (const [tp, c] of this.broker.groups.fetchOffsets(GROUP, ALL)) {
      let list = this.observed.get(tp);
      if (list === undefined) this.observed.set(tp, (list = []));
      list.push(c.offset);
    }
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('a consumer group of three, end to end', () => {
  it('shares 12 partitions through a leave and a crash, commits monotonically, and resumes after a restart', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-group-'));
    tmpRoots.push(root);
    const dataDir = path.join(root, 'data');
    let broker = await openBroker(dataDir);
    broker.createTopic(TOPIC, PARTITIONS);
    let producer = new InProcessProducer(broker);
    const produced: Produced = new Map();
    await produce(producer, produced, 0, 1200);

    const run = new GroupRun(broker);
    const survivor = new Member('survivor', broker, 'survive', Infinity, run);
    const leaver = new Member('leaver', broker, 'leave', 300, run);
    const crasher = new Member('crasher', broker, 'crash', 300, run);
    const members = [survivor, leaver, crasher];
    for (const m of members) m.start();

    // More records arrive while the group consumes.
    let next = 1200;
    for (let i = 0; i < 40; i++) {
      await produce(producer, produced, next, 24);
      next += 24;
      await sleep(15);
    }
    const total = next;
    const highWatermarks = (): number[] => ALL.map((tp) => broker.listOffset(tp.topic, tp.partition, 'latest'));
    await waitFor('the leave and the crash', () => leaver.status === 'left' && crasher.status === 'crashed');
    await waitFor('the survivor to own every partition and commit everything', () => {
      const committed = broker.groups.fetchOffsets(GROUP, ALL);
      const ends = highWatermarks();
      return survivor.consumer.assignment().length === PARTITIONS && ALL.every((tp, i) => committed.get(topicPartitionKey(tp.topic, tp.partition))?.offset === ends[i]);
    });
    await survivor.stop();
    for (const m of members) await m.loop; // a loop that threw fails the test here

    // The leave and the crash really happened midway, with work on both sides of them.
    expect(leaver.consumed).toBeGreaterThanOrEqual(300);
    expect(crasher.consumed).toBeGreaterThanOrEqual(300);
    expect(survivor.consumed).toBeGreaterThan(0);
    expect(survivor.consumer.assignment().map((tp) => tp.partition).sort((a, b) => a - b)).toEqual(ALL.map((tp) => tp.partition));

    // Every record was consumed, with the value produced at its offset.
    const seen = new Map<string, Delivery[]>();
    for (const d of run.deliveries) {
      expect(produced.get(d.tp)?.get(d.offset)).toBe(d.value);
      const k = `${d.tp}@${d.offset}`;
      seen.set(k, [...(seen.get(k) ?? []), d]);
    }
    let count = 0;
    for (const [tp, byOffset] of produced) for (const offset of byOffset.keys()) if (seen.has(`${tp}@${offset}`)) count++;
    expect(count).toBe(total);

    // At least once: a record is delivered again only when the member that had it died or left before committing it.
    let redelivered = 0;
    for (const list of seen.values()) {
      for (const d of list.slice(0, -1)) {
        redelivered++;
        const first = members.find((m) => m.name === d.member)!;
        expect(first.status === 'crashed' || first.status === 'left').toBe(true);
        expect(first.committedByMe.get(d.tp) ?? 0).toBeLessThanOrEqual(d.offset);
      }
    }
    // The crasher died holding a processed, uncommitted poll: someone got those records again.
    expect(redelivered).toBeGreaterThan(0);

    // Committed offsets never went backwards, as observed after every commit.
    for (const [, offsets] of run.observed) {
      for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThanOrEqual(offsets[i - 1]!);
    }
    expect(run.observed.size).toBe(PARTITIONS);

    // Restart: the commits come back from __consumer_offsets; a new member resumes exactly after them.
    const before = broker.groups.fetchOffsets(GROUP, ALL);
    await survivor.consumer.close();
    await produce(producer, produced, next, 48);
    await producer.close();
    await broker.close();
    broker = await openBroker(dataDir);
    producer = new InProcessProducer(broker);
    const after = broker.groups.fetchOffsets(GROUP, ALL);
    expect([...after.entries()].map(([k, c]) => [k, c.offset])).toEqual([...before.entries()].map(([k, c]) => [k, c.offset]));

    const resumed = newConsumer(broker, 'resumed');
    resumed.subscribe([TOPIC]);
    const again: Delivery[] = [];
    const deadline = Date.now() + 10_000;
    while (again.length < 48 && Date.now() < deadline) {
      const polled = await resumed.poll({ maxWaitMs: 50 });
      for (const b of polled.batches) {
        for (const r of b.records) again.push({ member: 'resumed', tp: topicPartitionKey(b.topic, b.partition), offset: r.offset, value: r.value!.toString() });
      }
    }
    for (let i = 0; i < 3; i++) expect((await resumed.poll({ maxWaitMs: 20 })).count).toBe(0);
    expect(again.map((d) => d.value).sort()).toEqual(Array.from({ length: 48 }, (_, i) => `v${next + i}`).sort());
    for (const d of again) expect(d.offset).toBeGreaterThanOrEqual(before.get(d.tp)!.offset);
    await resumed.close();
    await producer.close();
    await broker.close();
  });

  it('keeps the newest commit across restarts even when offsetsTopicPartitions changes', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-group-'));
    tmpRoots.push(root);
    const dataDir = path.join(root, 'data');
    const commitAndRestart = async (offset: number, offsetsTopicPartitions: number): Promise<number | undefined> => {
      let broker = await openBroker(dataDir, offsetsTopicPartitions);
      if (!broker.hasTopic(TOPIC)) broker.createTopic(TOPIC, PARTITIONS);
      await broker.groups.commitOffsets({ groupId: GROUP, generationId: -1, offsets: [{ topic: TOPIC, partition: 0, offset }] });
      await broker.close();
      broker = await openBroker(dataDir, offsetsTopicPartitions);
      const got = broker.groups.fetchOffsets(GROUP, [ALL[0]!]).get(topicPartitionKey(TOPIC, 0))?.offset;
      await broker.close();
      return got;
    };
    // __consumer_offsets keeps the partition count it was created with, as in Kafka; later options do not move a
    // group's commits to another partition, where an older commit could shadow a newer one at load.
    expect(await commitAndRestart(5, 4)).toBe(5);
    expect(await commitAndRestart(7, 8)).toBe(7);
    expect(await commitAndRestart(9, 1)).toBe(9);
  });
});
