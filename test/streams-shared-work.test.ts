import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { ReadOnlyKeyValueStore } from '../src/state/key-value-store.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { QueryableStoreTypes } from '../runtime/queryable-store-types.js';
import { expectedCounts, randomInts, readTable, waitUntil, wordCountTopology, type WordCountOptions } from './helpers/word-count-topology.js';

const S = Serdes.String();
const PARTITIONS = 8;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-streams-shared-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const VOCABULARY = Array.from({ length: 40 }, (_, i) => `w${i.toString(36)}x${(i * 7) % 11}`);

/** Deterministic lines from a seeded generator, so a failure replays. */
function makeLines(n: number, seed: number): string[] {
  const next = randomInts(seed);
  return Array.from({ length: n }, () => Array.from({ length: 1 + next(5) }, () => VOCABULARY[next(VOCABULARY.length)]).join(' '));
}

/** The store's entries on one instance, or null while it cannot be queried. */
function localTable(s: KafkaStreams): Map<string, bigint> | null {
  if (s.state !== 'RUNNING') return null;
  const view: ReadOnlyKeyValueStore<string, bigint> = s.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>());
  return new Map([...view.all()].map((kv) => [kv.key, kv.value]));
}

describe('two KafkaStreams instances with one applicationId share 8 partitions', () => {
  const cases: { name: string; topology: WordCountOptions }[] = [
    { name: 'in-memory store with caching', topology: { store: 'in-memory', caching: true } },
    { name: 'SQLite store', topology: { store: 'persistent' } },
  ];
  for (const c of cases) {
    it(`${c.name}: both hold half the tasks; when one closes mid-stream the other takes all and ends exact`, async () => {
      const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
      const clients = inProcessClients(broker);
      broker.createTopic('lines', PARTITIONS);
      const make = (n: number): KafkaStreams =>
        new KafkaStreams(wordCountTopology(c.topology), {
          applicationId: 'shared',
          broker,
          stateDir: path.join(root, `${c.topology.store}-${n}`),
          commitIntervalMs: 100,
          pollMs: 20,
          sessionTimeoutMs: 500,
          heartbeatIntervalMs: 50,
          logger: silentLogger(),
        });
      const a = make(1);
      const b = make(2);
      const restoredByB: { partition: number; total: number; afterAClosed: boolean }[] = [];
      let isAClosed = false;
      b.setGlobalStateRestoreListener({
        onRestoreEnd: (tp, store, total) => {
          expect([tp.topic, store]).toEqual(['shared-counts-changelog', 'counts']);
          restoredByB.push({ partition: tp.partition, total, afterAClosed: isAClosed });
        },
      });
      const producer = clients.producer();
      let produced: string[] = [];
      const produce = async (lines: readonly string[]): Promise<void> => {
        await producer.send({ topic: 'lines', messages: lines.map((l, i) => ({ key: S.serialize('lines', `line-${produced.length + i}`), value: S.serialize('lines', l) })) });
        produced = [...produced, ...lines];
      };
      try {
        // `a` runs alone first and owns every task; `b` joins (scale-out) and must get half of the stateful tasks too.
        await a.start();
        await produce(makeLines(100, 3));
        await waitUntil(() => localTable(a)?.size === expectedCounts(produced).size, '`a` to count the first lines');
        await b.start();
        await produce(makeLines(100, 4));

        // Both running: each holds part of the store (disjoint keys), together the exact counts.
        const expected1 = expectedCounts(produced);
        await waitUntil(() => {
          const ta = localTable(a);
          const tb = localTable(b);
          if (ta === null || tb === null || ta.size === 0 || tb.size === 0) return false;
          if ([...ta.keys()].some((k) => tb.has(k))) return false;
          const union = new Map([...ta, ...tb]);
          return union.size === expected1.size && [...expected1].every(([k, v]) => union.get(k) === v);
        }, 'both instances to hold half the counts');

        // Produce continuously; close `a` in the middle of it.
        const lines = makeLines(300, 5);
        for (let i = 0; i < lines.length; i += 10) {
          await produce(lines.slice(i, i + 10));
          if (i === 100) {
            expect(await a.close({ timeoutMs: 10_000 })).toBe(true);
            expect(a.state).toBe('NOT_RUNNING');
            isAClosed = true;
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }

        // `b` takes every task over (restoring `a`'s stores from the changelogs) and ends with the exact counts.
        const expected = expectedCounts(produced);
        await waitUntil(() => {
          const tb = localTable(b);
          return tb !== null && tb.size === expected.size && [...expected].every(([k, v]) => tb.get(k) === v);
        }, 'the remaining instance to hold every exact count');
        expect(b.state).toBe('RUNNING');
        // `b` restored the half it got when joining, and the other half when `a` left.
        const before = new Set(restoredByB.filter((r) => !r.afterAClosed).map((r) => r.partition));
        const after = new Set(restoredByB.filter((r) => r.afterAClosed).map((r) => r.partition));
        expect(before.size).toBe(PARTITIONS / 2);
        expect(new Set([...before, ...after]).size).toBe(PARTITIONS);
        expect(restoredByB.every((r) => r.total > 0)).toBe(true);
        await b.close();
        // The output topic read as a table (duplicates allowed, last value wins) holds the same counts.
        expect(await readTable(clients, 'counts', S, Serdes.BigInt())).toEqual(expected);
      } finally {
        await a.close({ timeoutMs: 5_000 });
        await b.close({ timeoutMs: 5_000 });
        await producer.close();
        await broker.close();
      }
    });
  }
});
