import { describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { expectedCounts, readTable, waitUntil, wordCountTopology } from './helpers/word-count-topology.js';

const S = Serdes.String();

async function run(purgeIntervalMs: number): Promise<{ logStart: number; end: number }> {
  const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100 });
  const { admin, producer } = inProcessClients(broker);
  await admin.createTopics([{ topic: 'lines', numPartitions: 1 }]);
  const lines = Array.from({ length: 200 }, (_, i) => `river delta ${i % 7}`);
  await producer().send({ topic: 'lines', messages: lines.map((l) => ({ key: null, value: S.serialize('lines', l) })) });
  const streams = new KafkaStreams(wordCountTopology(), {
    applicationId: `purge-${purgeIntervalMs}`,
    broker,
    stateDir: (await import('node:os')).tmpdir() + `/tributary-purge-${process.pid}-${purgeIntervalMs}`,
    commitIntervalMs: 20,
    repartitionPurgeIntervalMs: purgeIntervalMs,
    logger: silentLogger(),
  });
  await streams.start();
  const want = expectedCounts(lines);
  await waitUntil(async () => {
    const t = await readTable(inProcessClients(broker), 'counts', S, Serdes.BigInt());
    return [...want].every(([k, v]) => t.get(k) === v);
  }, 'all counts');
  // One more commit after the last records were processed: the purge happens after a commit.
  await new Promise((r) => setTimeout(r, 100));
  await streams.close();
  const log = broker.partitionLog('wc-words-repartition', 0);
  const out = { logStart: log.logStartOffset, end: log.logEndOffset };
  await broker.close();
  return out;
}

describe('repartition topics', () => {
  it('are purged below the committed offset when the purge interval has passed', async () => {
    const r = await run(0);
    expect(r.end).toBe(600);
    expect(r.logStart).toBe(600);
  });

  it('are left alone until the purge interval has passed', async () => {
    const r = await run(3_600_000);
    expect(r.end).toBe(600);
    expect(r.logStart).toBe(0);
  });
});
