import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { expectedCounts, readTable, waitUntil, wordCountTopology } from '../test/helpers/word-count-topology.js';
import { KafkaStreams } from './kafka-streams.js';
import { QueryableStoreTypes } from './queryable-store-types.js';

const S = Serdes.String();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-stream-thread-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let broker: Broker;
let streams: KafkaStreams | null = null;
beforeEach(async () => {
  broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
});
afterEach(async () => {
  await streams?.close({ timeoutMs: 5_000 });
  streams = null;
  await broker.close();
});

describe('StreamThread output between commits', () => {
  it('sends repartition records on when the thread runs out of input, so downstream tasks count them long before a commit', async () => {
    await broker.createTopic('lines', 2);
    const lines = ['the river runs', 'to the sea', 'The sea, the river'];
    streams = new KafkaStreams(wordCountTopology(), {
      applicationId: 'linger',
      broker,
      stateDir: path.join(root, 'linger'),
      // No commit (and so no flush at commit) during the test: only the collector's own flushes move records.
      commitIntervalMs: 3_600_000,
      pollMs: 20,
      logger: silentLogger(),
    });
    await streams.start();
    const p = inProcessClients(broker).producer();
    await p.send({ topic: 'lines', messages: lines.map((l, i) => ({ key: S.serialize('lines', `k${i}`), value: S.serialize('lines', l) })) });
    await p.close();
    const want = expectedCounts(lines);
    const s = streams;
    await waitUntil(() => {
      if (s.state !== 'RUNNING') return false;
      const store = s.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>());
      return [...want].every(([w, n]) => store.get(w) === n);
    }, 'every word counted');
    // Nothing was committed yet: the input offsets are still uncommitted.
    expect(broker.groups.fetchOffsets('linger', [{ topic: 'lines', partition: 0 }]).size).toBe(0);
    // Closing commits: the counts are then in the output topic.
    await s.close();
    streams = null;
    const out = await readTable(inProcessClients(broker), 'counts', S, Serdes.BigInt());
    expect(out).toEqual(want);
  });
});
