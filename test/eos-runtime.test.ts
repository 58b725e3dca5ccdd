import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients, type Clients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { waitUntil } from './helpers/word-count-topology.js';
import { longSerde } from '../dsl/long-serde.js';
import { Consumed } from '../dsl/options/consumed.js';
import { Grouped } from '../dsl/options/grouped.js';
import { Materialized } from '../dsl/options/materialized.js';
import { Produced } from '../dsl/options/produced.js';
import { StreamsBuilder } from '../dsl/streams-builder.js';

const S = Serdes.String();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-eos-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function counts(clients: Clients, isolationLevel: 'read_committed' | 'read_uncommitted'): Promise<{ n: number; last: Map<string, bigint> }> {
  const end = (await clients.admin.listOffsets([{ topic: 'counts', partition: 0, spec: 'latest' }]))[0]!.offset;
  const c = clients.consumer({ autoOffsetReset: 'earliest', isolationLevel });
  c.assign([{ topic: 'counts', partition: 0 }]);
  const last = new Map<string, bigint>();
  let n = 0;
  try {
    for (let idle = 0; (await c.position({ topic: 'counts', partition: 0 })) < end && idle < 20; ) {
      const polled = await c.poll({ maxWaitMs: 20 });
      if (polled.count === 0) idle++;
      for (const b of polled.batches) {
        for (const r of b.records) {
          n++;
          last.set(S.deserialize('counts', r.key)!, r.value!.readBigInt64BE(0));
        }
      }
    }
  } finally {
    await c.close();
  }
  return { n, last };
}

/** Word count whose output step throws on the word `poison` when `failOnPoison` (after the count store was updated). */
function app(broker: Broker, failOnPoison: boolean): KafkaStreams {
  const builder = new StreamsBuilder();
  builder
    .stream('lines', Consumed.with(S, S))
    .flatMapValues((line) => line.split(' '))
    .groupBy((_k, w) => w, Grouped.with(S, S))
    .count(Materialized.as<string, number>('counts').withStoreType('sqlite').withCachingDisabled())
    .toStream()
    .mapValues((n, word) => {
      if (failOnPoison && word === 'poison') throw new Error('poison word');
      return n;
    })
    .to('counts', Produced.with(S, longSerde()));
  return new KafkaStreams(builder.build(), {
    applicationId: 'eos',
    broker,
    stateDir: path.join(root, 'state'),
    processingGuarantee: 'exactly_once_v2',
    commitIntervalMs: 200,
    pollMs: 20,
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 100,
    logger: silentLogger(),
  });
}

describe('exactly_once_v2 in the runtime', () => {
  it('a failure aborts the open transaction: nothing of it is visible, state rolls back, and a restart counts exactly once', async () => {
    const broker = await Broker.open({ dataDir: path.join(root, 'log'), logger: silentLogger(), groupMinSessionTimeoutMs: 100 });
    const clients = inProcessClients(broker);
    await clients.admin.createTopics([{ topic: 'lines', numPartitions: 1 }, { topic: 'counts', numPartitions: 1 }]);
    const p = clients.producer();
    const produce = (lines: string[]) => p.send({ topic: 'lines', messages: lines.map((l) => ({ key: null, value: S.serialize('lines', l) })) });
    try {
      const failing = app(broker, true);
      await failing.start();
      await produce(['a b a', 'c a']);
      await waitUntil(async () => (await counts(clients, 'read_committed')).last.get('a') === 3n, 'the first counts committed');
      // 'a' becomes 4 in the store (and is sent) in the same transaction in which 'poison' fails.
      await produce(['a poison']);
      await waitUntil(() => failing.state === 'ERROR', 'the app to fail on the poison word');
      await failing.close();
      expect((await counts(clients, 'read_committed')).last).toEqual(new Map([['a', 3n], ['b', 1n], ['c', 1n]]));
      // A restart resumes from the last commit with the store rolled back (rebuilt from the committed changelog):
      // 'a' is counted once more, not twice.
      const fixed = app(broker, false);
      await fixed.start();
      const want = new Map([['a', 4n], ['b', 1n], ['c', 1n], ['poison', 1n]]);
      await waitUntil(async () => {
        const { last } = await counts(clients, 'read_committed');
        return [...want].every(([w, n]) => last.get(w) === n);
      }, 'the committed counts');
      await fixed.close();
      expect((await counts(clients, 'read_committed')).last).toEqual(want);
      await p.close();
    } finally {
      await broker.close();
    }
  });
});
