import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { StreamsError } from '../src/errors.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { QueryableStoreTypes } from '../runtime/queryable-store-types.js';
import { Consumed } from '../dsl/options/consumed.js';
import { Materialized } from '../dsl/options/materialized.js';
import { Produced } from '../dsl/options/produced.js';
import { StreamsBuilder } from '../dsl/streams-builder.js';
import { readTable, waitUntil } from './helpers/word-count-topology.js';

const S = Serdes.String();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-global-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Orders `orderId -> sku` left-joined with the global products table `sku -> name` into `enriched`. */
function topology(storeType: 'in-memory' | 'sqlite' = 'in-memory') {
  const builder = new StreamsBuilder();
  const products = builder.globalTable('products', Consumed.with(S, S), Materialized.as<string, string>('products').withStoreType(storeType));
  builder
    .stream('orders', Consumed.with(S, S))
    .leftJoin(products, (_id, sku) => sku, (sku, name) => `${sku}:${name}`)
    .to('enriched', Produced.with(S, S));
  return builder.build();
}

function app(broker: Broker, stateDir: string, storeType: 'in-memory' | 'sqlite' = 'in-memory'): KafkaStreams {
  return new KafkaStreams(topology(storeType), {
    applicationId: 'global',
    broker,
    stateDir,
    commitIntervalMs: 50,
    pollMs: 20,
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 100,
    logger: silentLogger(),
  });
}

async function send(broker: Broker, topic: string, rows: readonly [string, string | null][]): Promise<void> {
  const p = inProcessClients(broker).producer();
  await p.send({ topic, messages: rows.map(([k, v]) => ({ key: S.serialize(topic, k), value: v === null ? null : S.serialize(topic, v) })) });
  await p.close();
}

const skus = (n: number, from = 0): [string, string][] => Array.from({ length: n }, (_, i) => [`sku-${from + i}`, `name-${from + i}`]);

describe('GlobalKTable in KafkaStreams', () => {
  it('every instance holds the whole table, restored before any order is processed; updates reach later orders', async () => {
    const broker = await Broker.open({ dataDir: path.join(root, 'shared-log'), logger: silentLogger(), groupMinSessionTimeoutMs: 100 });
    const admin = inProcessClients(broker).admin;
    await admin.createTopics([{ topic: 'products', numPartitions: 3 }, { topic: 'orders', numPartitions: 2 }]);
    await send(broker, 'products', skus(300));
    await send(broker, 'orders', Array.from({ length: 200 }, (_, i): [string, string] => [`o${i}`, `sku-${i}`]));
    const a = app(broker, path.join(root, 'a'));
    const b = app(broker, path.join(root, 'b'));
    await Promise.all([a.start(), b.start()]);
    try {
      for (const s of [a, b]) {
        const view = s.store('products', QueryableStoreTypes.keyValueStore<string, string>());
        expect(view.approximateNumEntries()).toBe(300);
        expect(view.get('sku-299')).toBe('name-299');
      }
      const clients = inProcessClients(broker);
      await waitUntil(async () => (await readTable(clients, 'enriched', S, S)).size === 200, 'all orders enriched');
      const enriched = await readTable(clients, 'enriched', S, S);
      // Orders waiting before the start all found their product: the table was complete before processing.
      for (let i = 0; i < 200; i++) expect(enriched.get(`o${i}`)).toBe(`sku-${i}:name-${i}`);

      await send(broker, 'products', [['sku-1', 'renamed'], ['sku-2', null]]);
      await waitUntil(
        () => [a, b].every((s) => s.store('products', QueryableStoreTypes.keyValueStore<string, string>()).get('sku-1') === 'renamed'),
        'the update reached both instances',
      );
      for (const s of [a, b]) expect(s.store('products', QueryableStoreTypes.keyValueStore<string, string>()).get('sku-2')).toBeNull();
      await send(broker, 'orders', [['late-1', 'sku-1'], ['late-2', 'sku-2']]);
      await waitUntil(async () => (await readTable(clients, 'enriched', S, S)).has('late-2'), 'late orders enriched');
      const after = await readTable(clients, 'enriched', S, S);
      expect(after.get('late-1')).toBe('sku-1:renamed');
      expect(after.get('late-2')).toBe('sku-2:null');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await broker.close();
    }
  });

  it('a persistent global store resumes from its checkpoint: a restart reads only what was added', async () => {
    const broker = await Broker.open({ dataDir: path.join(root, 'cp-log'), logger: silentLogger(), groupMinSessionTimeoutMs: 100 });
    await inProcessClients(broker).admin.createTopics([{ topic: 'products', numPartitions: 2 }, { topic: 'orders', numPartitions: 1 }]);
    await send(broker, 'products', skus(100));
    const restored: number[] = [];
    const run = async (): Promise<void> => {
      const s = app(broker, path.join(root, 'cp'), 'sqlite');
      let total = 0;
      s.setGlobalStateRestoreListener({ onRestoreEnd: (_tp, store, n) => void (store === 'products' && (total += n)) });
      await s.start();
      restored.push(total);
      expect(s.store('products', QueryableStoreTypes.keyValueStore<string, string>()).approximateNumEntries()).toBe(restored.length === 1 ? 100 : 110);
      await s.close();
    };
    try {
      await run();
      await send(broker, 'products', skus(10, 100));
      await run();
      expect(restored).toEqual([100, 10]);
    } finally {
      await broker.close();
    }
  });

  it('fails to start with a clear error when the global topic does not exist', async () => {
    const broker = await Broker.open({ dataDir: path.join(root, 'missing-log'), logger: silentLogger(), groupMinSessionTimeoutMs: 100 });
    await inProcessClients(broker).admin.createTopics([{ topic: 'orders', numPartitions: 1 }]);
    const s = app(broker, path.join(root, 'missing'));
    try {
      const error = await s.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StreamsError);
      expect((error as StreamsError).code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      expect((error as StreamsError).message).toMatch(/products/);
      expect(s.state).toBe('ERROR');
    } finally {
      await s.close();
      await broker.close();
    }
  });
});
