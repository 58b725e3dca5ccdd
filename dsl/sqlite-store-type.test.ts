import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { StateStore, StateStoreContext } from '../src/state/state-store.js';
import type { Topology } from '../src/topology/topology.js';
import { silentLogger } from '../src/util/logger.js';
import { SqliteKeyValueStore } from '../state-stores/sqlite-key-value-store.js';
import { readTable, waitUntil } from '../test/helpers/word-count-topology.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Grouped } from './options/grouped.js';
import { Materialized } from './options/materialized.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';
import type { TopologyConfig } from './topology-config.js';

const S = Serdes.String();
const APP = 'sqlite-count';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sqlite-store-type-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const splitWords = (line: string): string[] => line.toLowerCase().split(/\W+/).filter(Boolean);

/** How the count's store engine is chosen. */
type Variant = 'in-memory' | 'materialized-sqlite' | 'build-sqlite';

/** Word count whose store is in memory, SQLite by `Materialized.withStoreType`, or SQLite by `build({ dslStoreType })`. */
function wordCount(variant: Variant): Topology {
  const builder = new StreamsBuilder();
  const materialized = Materialized.as<string, number>('counts');
  builder
    .stream('lines', Consumed.with(S, S))
    .flatMapValues(splitWords)
    .groupBy((_key, word) => word, Grouped.with(S, S))
    .count(variant === 'materialized-sqlite' ? materialized.withStoreType('sqlite') : materialized)
    .toStream()
    .to('word-counts', Produced.with(S, longSerde()));
  const config: TopologyConfig = { applicationId: APP, ...(variant === 'build-sqlite' ? { dslStoreType: 'sqlite' as const } : {}) };
  return builder.build(config);
}

function reference(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of lines) for (const w of splitWords(line)) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** The SQLite engines opened while a test runs: store name and database file. */
let opened: { name: string; filename: string | undefined }[] = [];
const originalInit = SqliteKeyValueStore.prototype.init;
beforeEach(() => {
  opened = [];
  SqliteKeyValueStore.prototype.init = function (this: SqliteKeyValueStore, context: StateStoreContext, root: StateStore): void {
    originalInit.call(this, context, root);
    opened.push({ name: this.name, filename: this.filename });
  };
});
afterEach(() => {
  SqliteKeyValueStore.prototype.init = originalInit;
});

/** Every record written to `word-counts` and the store's final contents, after piping `lines` through the driver. */
function runOnDriver(variant: Variant, lines: readonly string[]): { out: { key: string | null; value: number | null }[]; store: Map<string, number> } {
  const driver = new TopologyTestDriver(wordCount(variant), { applicationId: APP });
  try {
    const input = driver.createInputTopic('lines', S, S, { partitions: 2 });
    lines.forEach((line, i) => input.pipeInput(`k${i}`, line, 1_000 + i));
    const out = driver.createOutputTopic('word-counts', S, longSerde()).readKeyValuesToList();
    const store = new Map<string, number>();
    for (const kv of driver.getKeyValueStore<string, number>('counts').all()) store.set(kv.key, kv.value);
    return { out, store };
  } finally {
    driver.close();
  }
}

describe("DSL store type 'sqlite' on the TopologyTestDriver", () => {
  it.each<Variant>(['materialized-sqlite', 'build-sqlite'])('%s: opens SQLite engines in memory (no state directory)', (variant) => {
    const { store } = runOnDriver(variant, ['a b a']);
    expect(store).toEqual(new Map([['a', 2], ['b', 1]]));
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.every((o) => o.name === 'counts' && o.filename === ':memory:')).toBe(true);
  });

  it('the default engine is in memory: no SQLite store is opened', () => {
    runOnDriver('in-memory', ['a b a']);
    expect(opened).toEqual([]);
  });

  test.prop([fc.array(fc.array(fc.constantFrom('red', 'green', 'blue', 'x', 'y'), { maxLength: 6 }).map((ws) => ws.join(' ')), { maxLength: 20 })], {
    numRuns: 15,
  })('counts exactly as the in-memory store does, record for record', (lines) => {
    const memory = runOnDriver('in-memory', lines);
    expect(memory.store).toEqual(reference(lines));
    for (const variant of ['materialized-sqlite', 'build-sqlite'] as const) {
      const sqlite = runOnDriver(variant, lines);
      expect(sqlite.out).toEqual(memory.out);
      expect(sqlite.store).toEqual(memory.store);
    }
  });
});

describe("DSL store type 'sqlite' in KafkaStreams with a state directory", () => {
  it.each<Variant>(['materialized-sqlite', 'build-sqlite'])('%s: counts like the model and keeps a .sqlite file per task', async (variant) => {
    const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
    const clients = inProcessClients(broker);
    await clients.admin.createTopics([{ topic: 'lines', numPartitions: 2 }]);
    const lines = ['the quick fox', 'the lazy dog', 'The end', 'quick quick'];
    const producer = clients.producer();
    await producer.send({ topic: 'lines', messages: lines.map((l, i) => ({ key: S.serialize('lines', `k${i}`), value: S.serialize('lines', l) })) });
    await producer.close();
    const stateDir = path.join(root, variant);
    const streams = new KafkaStreams(wordCount(variant), {
      applicationId: APP,
      broker,
      stateDir,
      commitIntervalMs: 20,
      pollMs: 10,
      logger: silentLogger(),
    });
    try {
      await streams.start();
      const expected = reference(lines);
      const counts = async (): Promise<Map<string, number>> => readTable(clients, 'word-counts', S, longSerde()) as Promise<Map<string, number>>;
      await waitUntil(async () => JSON.stringify([...(await counts())].sort()) === JSON.stringify([...expected].sort()), 'the final counts', 15_000);
      expect(await counts()).toEqual(expected);
    } finally {
      await streams.close({ timeoutMs: 5_000 });
      await broker.close();
    }
    // The store's engine is SQLite on disk: <stateDir>/<applicationId>/<taskId>/counts.sqlite, for each task.
    const appDir = path.join(stateDir, APP);
    const files = opened.map((o) => o.filename!);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(path.basename(f)).toBe('counts.sqlite');
      expect(path.dirname(path.dirname(f))).toBe(appDir);
      expect(path.basename(path.dirname(f))).toMatch(/^\d+_\d+$/);
      expect(fs.existsSync(f)).toBe(true);
    }
  });
});
