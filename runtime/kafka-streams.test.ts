import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { isStreamsError, StreamsError } from '../src/errors.js';
import { Serdes } from '../src/serdes/serdes.js';
import { Topology } from '../src/topology/topology.js';
import { silentLogger } from '../src/util/logger.js';
import { expectedCounts, waitUntil, wordCountTopology } from '../test/helpers/word-count-topology.js';
import { KafkaStreams, type KafkaStreamsState } from './kafka-streams.js';
import { QueryableStoreTypes } from './queryable-store-types.js';
import type { StreamsConfig } from './streams-config.js';

const S = Serdes.String();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-kafka-streams-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let broker: Broker;
let dirCount = 0;
const instances: KafkaStreams[] = [];

beforeEach(async () => {
  broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
});
afterEach(async () => {
  for (const s of instances.splice(0)) await s.close({ timeoutMs: 5_000 });
  await broker.close();
});

/** A KafkaStreams over the test broker with a fresh state directory and fast loop settings. */
function streamsFor(topology: Topology, config: Partial<StreamsConfig> = {}): KafkaStreams {
  const s = new KafkaStreams(topology, {
    applicationId: 'app',
    broker,
    stateDir: path.join(root, `state-${++dirCount}`),
    commitIntervalMs: 50,
    pollMs: 20,
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 100,
    logger: silentLogger(),
    ...config,
  });
  instances.push(s);
  return s;
}

async function produceLines(topic: string, lines: readonly string[]): Promise<void> {
  const p = inProcessClients(broker).producer();
  await p.send({ topic, messages: lines.map((l, i) => ({ key: S.serialize(topic, `k${i}`), value: S.serialize(topic, l) })) });
  await p.close();
}

async function startError(s: KafkaStreams): Promise<StreamsError> {
  try {
    await s.start();
  } catch (e: unknown) {
    if (e instanceof StreamsError) return e;
    throw e;
  }
  throw new Error('start() did not fail');
}

describe('KafkaStreams lifecycle', () => {
  it('goes CREATED -> REBALANCING -> RUNNING -> PENDING_SHUTDOWN -> NOT_RUNNING, on state$ and to the state listener', async () => {
    await broker.createTopic('lines', 2);
    const s = streamsFor(wordCountTopology());
    const observed: KafkaStreamsState[] = [];
    let completed = false;
    s.state$.subscribe({ next: (st) => observed.push(st), complete: () => (completed = true) });
    const listened: string[] = [];
    s.setStateListener((to, from) => listened.push(`${from}->${to}`));
    expect(s.state).toBe('CREATED');
    await s.start();
    await waitUntil(() => s.state === 'RUNNING', 'RUNNING');
    expect(await s.close()).toBe(true);
    expect(s.state).toBe('NOT_RUNNING');
    expect(completed).toBe(true);
    // A rebalance may repeat REBALANCING/RUNNING; the path starts and ends as the table says.
    const collapsed = observed.filter((st, i) => st !== observed[i - 1]);
    expect(collapsed.slice(0, 3)).toEqual(['CREATED', 'REBALANCING', 'RUNNING']);
    expect(collapsed.slice(-2)).toEqual(['PENDING_SHUTDOWN', 'NOT_RUNNING']);
    expect(listened.slice(0, 2)).toEqual(['CREATED->REBALANCING', 'REBALANCING->RUNNING']);
    expect(listened.slice(-2)).toEqual(['RUNNING->PENDING_SHUTDOWN', 'PENDING_SHUTDOWN->NOT_RUNNING']);
    expect(listened.length).toBe(observed.length - 1);
    expect(await s.close()).toBe(true); // idempotent
  });

  it('counts words and answers interactive queries while running', async () => {
    broker.createTopic('lines', 2);
    const lines = ['a b c', 'a b', 'a'];
    await produceLines('lines', lines);
    const s = streamsFor(wordCountTopology());
    await s.start();
    await waitUntil(() => s.state === 'RUNNING' && s.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>()).get('a') === 3n, 'a counted 3 times');
    const view = s.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>());
    const all = [...view.all()].map((kv) => [kv.key, kv.value] as const);
    expect(new Map(all)).toEqual(expectedCounts(lines));
    expect(view.approximateNumEntries()).toBe(3);
    expect(() => s.store('nope', QueryableStoreTypes.keyValueStore())).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }) as Error);
    await s.close();
    expect(() => s.store('counts', QueryableStoreTypes.keyValueStore())).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }) as Error);
  });

  it('start() twice is ILLEGAL_STATE; listeners can only be set before start()', async () => {
    broker.createTopic('lines', 1);
    const s = streamsFor(wordCountTopology());
    await s.start();
    const e = await startError(s);
    expect(e.code).toBe('ILLEGAL_STATE');
    expect(() => s.setStateListener(() => {})).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }) as Error);
    expect(() => s.setGlobalStateRestoreListener({})).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }) as Error);
    await s.close();
    expect((await startError(s)).code).toBe('ILLEGAL_STATE');
  });

  it('a missing source topic fails start() with an error naming it and moves to ERROR', async () => {
    const s = streamsFor(wordCountTopology({ inputTopic: 'no-such-topic' }));
    const e = await startError(s);
    expect(e.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(e.topic).toBe('no-such-topic');
    expect(e.message).toContain('no-such-topic');
    expect(s.state).toBe('ERROR');
    expect(s.error).toBe(e);
    expect(await s.close()).toBe(true);
    expect(s.state).toBe('NOT_RUNNING');
  });

  it('co-partitioned sources with different partition counts are TOPOLOGY_INVALID at start', async () => {
    broker.createTopic('left', 2);
    broker.createTopic('right', 3);
    const t = new Topology()
      .addSource('L', 'left', { keySerde: S, valueSerde: S })
      .addSource('R', 'right', { keySerde: S, valueSerde: S })
      .addProcessor('merge', () => ({ process() {} }), 'L', 'R');
    const s = streamsFor(t);
    const e = await startError(s);
    expect(e.code).toBe('TOPOLOGY_INVALID');
    expect(e.message).toContain('left=2');
    expect(e.message).toContain('right=3');
    expect(s.state).toBe('ERROR');
  });

  it('two instances on the same state directory in one process: the second is ILLEGAL_STATE; the lock is released on close', async () => {
    broker.createTopic('lines', 1);
    const stateDir = path.join(root, 'shared-dir');
    const a = streamsFor(wordCountTopology(), { stateDir });
    const b = streamsFor(wordCountTopology(), { stateDir });
    await a.start();
    const e = await startError(b);
    expect(e.code).toBe('ILLEGAL_STATE');
    expect(e.message).toContain(path.join(stateDir, 'app'));
    expect(b.state).toBe('ERROR');
    await a.close();
    const c = streamsFor(wordCountTopology(), { stateDir });
    await c.start();
    await waitUntil(() => c.state === 'RUNNING', 'the third instance running');
  });

  it('an invalid config is INVALID_CONFIG naming the key', () => {
    const t = wordCountTopology();
    for (const applicationId of ['', 'has space', 'slash/no', 'x'.repeat(201)]) {
      expect(() => new KafkaStreams(t, { applicationId })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('applicationId') }) as Error);
    }
    expect(() => new KafkaStreams(t, { applicationId: 'ok', commitIntervalMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('commitIntervalMs') }) as Error);
    expect(() => new KafkaStreams(t, { applicationId: 'ok', maxPollRecords: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('maxPollRecords') }) as Error);
    expect(() => new KafkaStreams(t, { applicationId: 'ok', processingGuarantee: 'exactly_once' as 'at_least_once' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('processingGuarantee') }) as Error,
    );
  });

  it('creates internal topics at start: a compacted changelog with one partition per task, and the repartition and output topics', async () => {
    broker.createTopic('lines', 3);
    const s = streamsFor(wordCountTopology(), { applicationId: 'wc-app' });
    await s.start();
    const changelog = broker.describeTopic('wc-app-counts-changelog');
    expect(changelog.numPartitions).toBe(3);
    expect(changelog.config['cleanup.policy']).toBe('compact');
    expect(broker.describeTopic('wc-words-repartition').numPartitions).toBe(3);
    expect(broker.describeTopic('wc-words-repartition').config['cleanup.policy']).toBe('delete');
    expect(broker.describeTopic('counts').numPartitions).toBe(3);
    await waitUntil(() => s.state === 'RUNNING', 'RUNNING');
    await s.close();
    // A second start finds the topics in place.
    const again = streamsFor(wordCountTopology(), { applicationId: 'wc-app' });
    await again.start();
    await waitUntil(() => again.state === 'RUNNING', 'RUNNING again');
  });

  it('a changelog topic with the wrong partition count is TOPOLOGY_INVALID', async () => {
    broker.createTopic('lines', 2);
    broker.createTopic('app-counts-changelog', 5, { 'cleanup.policy': 'compact' });
    const e = await startError(streamsFor(wordCountTopology()));
    expect(e.code).toBe('TOPOLOGY_INVALID');
    expect(e.message).toContain('app-counts-changelog');
  });

  it('close() while start() is under way stops the start: no thread joins the group, the lock is free', async () => {
    broker.createTopic('lines', 2);
    const stateDir = path.join(root, 'closed-while-starting');
    const s = streamsFor(wordCountTopology(), { stateDir });
    const started = s.start();
    expect(await s.close()).toBe(true);
    await started;
    expect(s.state).toBe('NOT_RUNNING');
    await new Promise((resolve) => setTimeout(resolve, 150)); // time for a stray thread to join, were there one
    expect(broker.groups.describeGroup('app').members).toEqual([]);
    const again = streamsFor(wordCountTopology(), { stateDir });
    await again.start();
    await waitUntil(() => again.state === 'RUNNING', 'a new instance on the same directory running');
  });

  it('a second start() while the first is under way is ILLEGAL_STATE and leaves the first intact', async () => {
    broker.createTopic('lines', 1);
    await produceLines('lines', ['x y']);
    const s = streamsFor(wordCountTopology());
    const first = s.start();
    const e = await startError(s);
    expect(e.code).toBe('ILLEGAL_STATE');
    await first;
    await waitUntil(() => s.state === 'RUNNING' && s.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>()).get('y') === 1n, 'the first start to run');
  });

  it('close() before start() ends in NOT_RUNNING', async () => {
    const s = streamsFor(wordCountTopology());
    expect(await s.close()).toBe(true);
    expect(s.state).toBe('NOT_RUNNING');
    expect(isStreamsError(await startError(s), 'ILLEGAL_STATE')).toBe(true);
  });
});
