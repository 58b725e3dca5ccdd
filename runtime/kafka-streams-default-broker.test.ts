import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { expectedCounts, readTable, waitUntil, wordCountTopology } from '../test/helpers/word-count-topology.js';
import { KafkaStreams } from './kafka-streams.js';
import { QueryableStoreTypes } from './queryable-store-types.js';

const S = Serdes.String();
const APP = 'default-broker-app';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-default-broker-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const LINES = ['a b c', 'a b', 'a'];

/** Whether `dir` holds partition directories `<topic>-<n>`, each with a segment file. */
function hasSegments(dir: string, topic: string): boolean {
  const partitions = fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith(`${topic}-`) && /^\d+$/.test(d.slice(topic.length + 1))) : [];
  return partitions.length > 0 && partitions.every((p) => fs.readdirSync(path.join(dir, p)).some((f) => /^\d{20}\.log$/.test(f)));
}

/** Opens a broker on `logDir` just long enough to create the input topic and write the lines to it. */
async function seedLog(logDir: string): Promise<void> {
  const broker = await Broker.open({ dataDir: logDir, logger: silentLogger(), maintenanceIntervalMs: 0 });
  const { admin, producer } = inProcessClients(broker);
  await admin.createTopics([{ topic: 'lines', numPartitions: 2 }]);
  const p = producer();
  await p.send({ topic: 'lines', messages: LINES.map((l, i) => ({ key: S.serialize('lines', `k${i}`), value: S.serialize('lines', l) })) });
  await p.close();
  await broker.close();
}

describe('KafkaStreams without a broker option', () => {
  it('opens its own broker under <stateDir>/<applicationId>/log, runs on it, and closes it', async () => {
    const stateDir = path.join(root, 'own');
    const logDir = path.join(stateDir, APP, 'log');
    await seedLog(logDir);
    const streams = new KafkaStreams(wordCountTopology(), { applicationId: APP, stateDir, commitIntervalMs: 20, pollMs: 10, logger: silentLogger() });
    try {
      await streams.start();
      await waitUntil(
        () => streams.state === 'RUNNING' && streams.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>()).get('a') === 3n,
        'the lines of the log directory counted',
      );
      // The broker is open on that directory: nobody else may open it meanwhile.
      await expect(Broker.open({ dataDir: logDir, logger: silentLogger() })).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
      // Internal and output topics were created in the log directory, with segment files.
      await waitUntil(() => hasSegments(logDir, `${APP}-counts-changelog`) && hasSegments(logDir, 'counts'), 'changelog and output on disk');
      expect(hasSegments(logDir, 'lines')).toBe(true);
      expect(hasSegments(logDir, 'wc-words-repartition')).toBe(true);
      expect(fs.readdirSync(logDir).some((d) => d.startsWith('__consumer_offsets-'))).toBe(true);
    } finally {
      await streams.close({ timeoutMs: 5_000 });
    }

    // Closing released the broker: the log reopens, with the results written by the application in it.
    const broker = await Broker.open({ dataDir: logDir, logger: silentLogger(), maintenanceIntervalMs: 0 });
    try {
      const clients = inProcessClients(broker);
      expect(await readTable(clients, 'counts', S, Serdes.BigInt())).toEqual(expectedCounts(LINES));
      expect(await readTable(clients, `${APP}-counts-changelog`, S, Serdes.BigInt())).toEqual(expectedCounts(LINES));
    } finally {
      await broker.close();
    }
  });

  it('opens no broker of its own when given clients', async () => {
    const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
    const clients = inProcessClients(broker);
    await clients.admin.createTopics([{ topic: 'lines', numPartitions: 1 }]);
    const stateDir = path.join(root, 'with-clients');
    const streams = new KafkaStreams(wordCountTopology(), { applicationId: APP, stateDir, clients, commitIntervalMs: 20, pollMs: 10, logger: silentLogger() });
    try {
      await streams.start();
      await waitUntil(() => streams.state === 'RUNNING', 'RUNNING');
      expect(await clients.admin.listTopics({ includeInternal: true })).toContain(`${APP}-counts-changelog`);
      expect(fs.existsSync(path.join(stateDir, APP))).toBe(true);
      expect(fs.existsSync(path.join(stateDir, APP, 'log'))).toBe(false);
    } finally {
      await streams.close({ timeoutMs: 5_000 });
      await broker.close();
    }
  });
});
