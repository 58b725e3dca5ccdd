import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import type { TopicPartition } from '../src/record.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { QueryableStoreTypes } from '../runtime/queryable-store-types.js';
import type { StateRestoreListener } from '../runtime/stream-thread.js';
import { expectedCounts, randomInts, readTable, waitUntil, wordCountTopology } from './helpers/word-count-topology.js';

const S = Serdes.String();
const PARTITIONS = 2;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-streams-restart-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Deterministic lines over a small vocabulary from a seeded generator, so a failure replays. */
function makeLines(n: number, seed: number): string[] {
  const words = ['river', 'delta', 'stream', 'brook', 'creek', 'lake', 'rain', 'snow', 'ice', 'mist'];
  const next = randomInts(seed);
  return Array.from({ length: n }, () => Array.from({ length: 1 + next(6) }, () => words[next(words.length)]).join(' '));
}

interface RestoreEvent {
  readonly kind: 'start' | 'batch' | 'end';
  readonly tp: TopicPartition;
  readonly store: string;
  readonly a: number;
  readonly b?: number;
}

function recordingListener(events: RestoreEvent[]): StateRestoreListener {
  return {
    onRestoreStart: (tp, store, startOffset, endOffset) => events.push({ kind: 'start', tp, store, a: startOffset, b: endOffset }),
    onBatchRestored: (tp, store, batchEndOffset, numRestored) => events.push({ kind: 'batch', tp, store, a: batchEndOffset, b: numRestored }),
    onRestoreEnd: (tp, store, totalRestored) => events.push({ kind: 'end', tp, store, a: totalRestored }),
  };
}

/** Runs one KafkaStreams generation: start, wait until the store holds `expected`, close (which commits). */
async function runUntil(broker: Broker, store: 'in-memory' | 'persistent', stateDir: string, expected: Map<string, bigint>, events: RestoreEvent[]): Promise<void> {
  const streams = new KafkaStreams(wordCountTopology({ store }), {
    applicationId: 'restart',
    broker,
    stateDir,
    commitIntervalMs: 100,
    pollMs: 20,
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 100,
    logger: silentLogger(),
  });
  streams.setGlobalStateRestoreListener(recordingListener(events));
  await streams.start();
  const matches = (): boolean => {
    if (streams.state !== 'RUNNING') return false;
    const view = streams.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>());
    let n = 0;
    for (const kv of view.all()) {
      if (expected.get(kv.key) !== kv.value) return false;
      n++;
    }
    return n === expected.size;
  };
  await waitUntil(matches, `the counts of ${store} to reach the expected table`);
  expect(await streams.close()).toBe(true);
  expect(streams.state).toBe('NOT_RUNNING');
}

async function produce(broker: Broker, lines: readonly string[], offset: number): Promise<void> {
  const p = inProcessClients(broker).producer();
  await p.send({ topic: 'lines', messages: lines.map((l, i) => ({ key: S.serialize('lines', `line-${offset + i}`), value: S.serialize('lines', l) })) });
  await p.close();
}

function changelogEnds(broker: Broker): number[] {
  return Array.from({ length: PARTITIONS }, (_, p) => broker.listOffset('restart-counts-changelog', p, 'latest'));
}

/** Per changelog partition: [start offset, end offset, sum of batch counts, total at the end]; checks the event order. */
function restoreSummary(events: readonly RestoreEvent[]): Map<number, [number, number, number, number]> {
  const out = new Map<number, [number, number, number, number]>();
  for (const e of events) {
    expect(e.store).toBe('counts');
    expect(e.tp.topic).toBe('restart-counts-changelog');
    const cur = out.get(e.tp.partition);
    if (e.kind === 'start') {
      expect(cur).toBeUndefined();
      out.set(e.tp.partition, [e.a, e.b!, 0, -1]);
    } else {
      expect(cur).toBeDefined();
      expect(cur![3]).toBe(-1); // nothing after the end
      if (e.kind === 'batch') {
        expect(e.a).toBeLessThanOrEqual(cur![1]);
        cur![2] += e.b!;
      } else cur![3] = e.a;
    }
  }
  for (const v of out.values()) expect(v[3]).toBe(v[2]);
  return out;
}

describe('a KafkaStreams app restarted on the same state directory and log keeps its counts', () => {
  for (const store of ['in-memory', 'persistent'] as const) {
    it(`${store} store`, async () => {
      const dataDir = path.join(root, `${store}-log`);
      const stateDir = path.join(root, `${store}-state`);
      const open = () => Broker.open({ dataDir, logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
      const first = makeLines(150, 7);
      const second = makeLines(120, 11);
      const third = makeLines(90, 13);

      // Generation 1: count, close.
      let broker = await open();
      broker.createTopic('lines', PARTITIONS);
      await produce(broker, first, 0);
      const events1: RestoreEvent[] = [];
      await runUntil(broker, store, stateDir, expectedCounts(first), events1);
      expect(events1).toEqual([]); // nothing to restore on the first start
      const ends1 = changelogEnds(broker);
      const checkpointFiles = Array.from({ length: PARTITIONS }, (_, p) => path.join(stateDir, 'restart', `1_${p}`, '.checkpoint'));
      const checkpoints1 = checkpointFiles.map((f) => (store === 'persistent' ? fs.readFileSync(f, 'utf8') : null));
      if (store === 'persistent') expect(checkpoints1.map((c) => JSON.parse(c!) as unknown)).toEqual(ends1.map((end) => ({ counts: end })));
      await broker.close();

      // Generation 2, after the log itself restarted: the state comes back, new lines add to it.
      broker = await open();
      await produce(broker, second, first.length);
      const events2: RestoreEvent[] = [];
      await runUntil(broker, store, stateDir, expectedCounts([...first, ...second]), events2);
      const restored2 = restoreSummary(events2);
      if (store === 'in-memory') {
        // Restored from the start of the changelog: every update of generation 1 (no caching, no compaction).
        expect([...restored2.entries()].sort()).toEqual(ends1.map((end, p) => [p, [0, end, end, end]]).filter(([, v]) => (v as number[])[1]! > 0));
        expect(ends1.reduce((a, b) => a + b, 0)).toBe(first.join(' ').split(' ').length);
      } else {
        // The checkpoint covers the whole changelog: nothing to replay.
        expect(restored2.size).toBe(0);
      }
      const ends2 = changelogEnds(broker);

      // Generation 3 on the same broker. For SQLite, put back generation 1's checkpoints: only the tail after them
      // (generation 2's updates) is replayed onto the database, which already holds them: still exact.
      if (store === 'persistent') checkpointFiles.forEach((f, p) => fs.writeFileSync(f, checkpoints1[p]!));
      await produce(broker, third, first.length + second.length);
      const events3: RestoreEvent[] = [];
      const all = [...first, ...second, ...third];
      await runUntil(broker, store, stateDir, expectedCounts(all), events3);
      const restored3 = [...restoreSummary(events3).entries()].sort();
      const expectedStart = store === 'persistent' ? ends1 : ends1.map(() => 0);
      expect(restored3).toEqual(ends2.map((end, p) => [p, [expectedStart[p]!, end, end - expectedStart[p]!, end - expectedStart[p]!]]).filter(([, v]) => (v as number[])[2]! > 0));

      // The output topic, read as a table, holds the exact counts too.
      expect(await readTable(inProcessClients(broker), 'counts', S, Serdes.BigInt())).toEqual(expectedCounts(all));
      await broker.close();
    });
  }
});
