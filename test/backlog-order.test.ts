import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { Consumed } from '../dsl/options/consumed.js';
import { Produced } from '../dsl/options/produced.js';
import { StreamsBuilder } from '../dsl/streams-builder.js';
import { JoinWindows } from '../dsl/windows/join-windows.js';
import { readTable, waitUntil } from './helpers/word-count-topology.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const S = Serdes.String();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-backlog-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/**
 * A join started against a backlog: both topics are full before the application starts. Processing one side's
 * whole backlog first would push stream time past the other side's records, dropping them as late; Kafka Streams
 * (KIP-695) waits for an empty input partition that has records on the broker, and pauses a partition whose queue is
 * full so the other gets fetched. Regression test: the join lost most pairs when the consumer handed out one
 * partition's buffered records before the other's.
 */
describe('a stream-stream join over a backlog', () => {
  it('joins every pair, as if the records had arrived live in timestamp order', async () => {
    const broker = await Broker.open({ dataDir: path.join(root, 'log'), logger: silentLogger(), groupMinSessionTimeoutMs: 100 });
    const clients = inProcessClients(broker);
    await clients.admin.createTopics([
      { topic: 'left', numPartitions: 1 },
      { topic: 'right', numPartitions: 1 },
    ]);
    const N = 20_000;
    const p = clients.producer();
    for (const topic of ['left', 'right']) {
      await p.send({ topic, messages: Array.from({ length: N }, (_, i) => ({ key: S.serialize(topic, `k${i}`), value: S.serialize(topic, `${topic}${i}`), timestampMs: 1_000 + i * 10 })) });
    }
    await p.close();
    const builder = new StreamsBuilder();
    builder
      .stream('left', Consumed.with(S, S))
      .join(builder.stream('right', Consumed.with(S, S)), (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(5))
      .to('joined', Produced.with(S, S));
    const streams = new KafkaStreams(builder.build(), {
      applicationId: 'backlog',
      broker,
      stateDir: path.join(root, 'state'),
      commitIntervalMs: 100,
      pollMs: 20,
      sessionTimeoutMs: 1_000,
      heartbeatIntervalMs: 100,
      logger: silentLogger(),
    });
    await streams.start();
    try {
      await waitUntil(async () => (await readTable(clients, 'joined', S, S)).size === N, `all ${N} pairs`);
      expect(streams.metrics().find((m) => m.name === 'dropped-records-total')?.value ?? 0).toBe(0);
      const joined = await readTable(clients, 'joined', S, S);
      for (let i = 0; i < N; i += 997) expect(joined.get(`k${i}`)).toBe(`left${i}+right${i}`);
    } finally {
      await streams.close();
      await broker.close();
    }
  });
});
