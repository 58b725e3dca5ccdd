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
import { StreamsBuilder } from '../dsl/streams-builder.js';
import { Consumed } from '../dsl/options/consumed.js';
import { Materialized } from '../dsl/options/materialized.js';
import { waitUntil } from './helpers/word-count-topology.js';

const S = Serdes.String();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-source-changelog-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function topology() {
  const builder = new StreamsBuilder();
  builder.table('users', Consumed.with(S, S), Materialized.as<string, string>('users-store')).toStream().to('users-out');
  return builder.build({ optimization: 'all' });
}

describe("a source table under optimization 'all'", () => {
  it('uses its input topic as its changelog: no -changelog topic, and a new instance restores from the input topic', async () => {
    const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100 });
    const { admin, producer } = inProcessClients(broker);
    await admin.createTopics([{ topic: 'users', numPartitions: 2 }]);
    const users = Array.from({ length: 40 }, (_, i) => [`user-${i}`, `name-${i}`] as const);
    await producer().send({ topic: 'users', messages: users.map(([k, v]) => ({ key: S.serialize('users', k), value: S.serialize('users', v) })) });

    const config = { applicationId: 'users-app', broker, commitIntervalMs: 20, logger: silentLogger(), sessionTimeoutMs: 200, heartbeatIntervalMs: 20 };
    const first = new KafkaStreams(topology(), { ...config, stateDir: path.join(root, 'a') });
    await first.start();
    const size = (s: KafkaStreams) => [...s.store('users-store', QueryableStoreTypes.keyValueStore<string, unknown>()).all()].length;
    await waitUntil(() => first.state === 'RUNNING' && size(first) === users.length, 'the first instance to load every user');
    await first.close();
    expect(await admin.listTopics({ includeInternal: true })).not.toContain('users-app-users-store-changelog');

    const restored: { tp: TopicPartition; total: number }[] = [];
    const second = new KafkaStreams(topology(), { ...config, stateDir: path.join(root, 'b') });
    second.setGlobalStateRestoreListener({ onRestoreEnd: (tp, _store, total) => restored.push({ tp, total }) });
    await second.start();
    await waitUntil(() => second.state === 'RUNNING', 'the second instance to run');
    // Restored from the input topic, before any new record: every user is there.
    expect(restored.every((r) => r.tp.topic === 'users')).toBe(true);
    expect(restored.reduce((n, r) => n + r.total, 0)).toBe(users.length);
    expect(size(second)).toBe(users.length);
    expect(second.store('users-store', QueryableStoreTypes.keyValueStore<string, string>()).get('user-7')).toBe('name-7');
    await second.close();
    await broker.close();
  });
});

describe('interactive queries over a DSL (timestamped) store', () => {
  it('keyValueStore() returns plain values; timestampedKeyValueStore() returns { value, timestampMs }', async () => {
    const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100 });
    const { admin, producer } = inProcessClients(broker);
    await admin.createTopics([{ topic: 'users', numPartitions: 1 }]);
    await producer().send({ topic: 'users', messages: [{ key: S.serialize('users', 'u1'), value: S.serialize('users', 'Ann'), timestampMs: 1234 }] });
    const streams = new KafkaStreams(topology(), { applicationId: 'iq-app', broker, stateDir: path.join(root, 'iq'), commitIntervalMs: 20, logger: silentLogger() });
    await streams.start();
    await waitUntil(() => streams.state === 'RUNNING' && streams.store('users-store', QueryableStoreTypes.keyValueStore<string, string>()).get('u1') !== null, 'u1 loaded');
    expect(streams.store('users-store', QueryableStoreTypes.keyValueStore<string, string>()).get('u1')).toBe('Ann');
    expect([...streams.store('users-store', QueryableStoreTypes.keyValueStore<string, string>()).all()]).toEqual([{ key: 'u1', value: 'Ann' }]);
    expect(streams.store('users-store', QueryableStoreTypes.timestampedKeyValueStore<string, string>()).get('u1')).toEqual({ value: 'Ann', timestampMs: 1234 });
    await streams.close();
    await broker.close();
  });
});
