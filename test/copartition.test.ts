import { describe, expect, it } from 'vitest';
import { Broker, Consumed, inProcessClients, KafkaStreams, Serdes, silentLogger, StreamsBuilder, TopologyTestDriver } from '../src/index.js';
import { waitUntil } from './helpers/word-count-topology.js';

const S = Serdes.String();

/** A key-changed stream (2 partitions) joined to a table (4 partitions): the repartition must get 4. */
function topology() {
  const builder = new StreamsBuilder();
  const users = builder.table('users', Consumed.with(S, S));
  builder
    .stream('clicks', Consumed.with(S, S))
    .selectKey((_k, v) => v)
    .join(users, (click, user) => `${click}:${user}`)
    .to('enriched');
  return builder.build();
}

describe('co-partitioning of a repartitioned stream joined to a table', () => {
  it('KafkaStreams sizes the repartition topic like the table topic and joins', async () => {
    const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100 });
    const { admin, producer } = inProcessClients(broker);
    await admin.createTopics([
      { topic: 'clicks', numPartitions: 2 },
      { topic: 'users', numPartitions: 4 },
    ]);
    await producer().send({ topic: 'users', messages: ['u1', 'u2', 'u3'].map((u) => ({ key: S.serialize('users', u), value: S.serialize('users', u.toUpperCase()) })) });
    const streams = new KafkaStreams(topology(), { applicationId: 'copart', broker, stateDir: `/tmp/tributary-copart-${process.pid}`, commitIntervalMs: 20, logger: silentLogger(), defaultKeySerde: S, defaultValueSerde: S });
    await streams.start();
    await waitUntil(() => streams.state === 'RUNNING', 'RUNNING');
    const repartition = (await admin.listTopics()).filter((t) => t.startsWith('copart-') && t.endsWith('-repartition'));
    expect(repartition).toHaveLength(1);
    const [d] = await admin.describeTopics(repartition);
    expect(d!.partitions).toHaveLength(4);
    await producer().send({ topic: 'clicks', messages: ['u1', 'u3'].map((u) => ({ key: S.serialize('clicks', 'c'), value: S.serialize('clicks', u) })) });
    const read = async (): Promise<string[]> => {
      const c = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
      const [e] = await admin.describeTopics(['enriched']);
      c.assign(e!.partitions.map(({ partition }) => ({ topic: 'enriched', partition })));
      const out: string[] = [];
      for (;;) {
        const r = await c.poll({ maxWaitMs: 0 });
        if (r.count === 0) break;
        for (const b of r.batches) for (const rec of b.records) out.push(S.deserialize('enriched', rec.value)!);
      }
      await c.close();
      return out.sort();
    };
    await waitUntil(async () => (await read()).length === 2, 'two enriched clicks');
    expect(await read()).toEqual(['u1:U1', 'u3:U3']);
    await streams.close();
    await broker.close();
  });

  it('the TopologyTestDriver applies the same rule', () => {
    const driver = new TopologyTestDriver(topology(), { applicationId: 'copart', defaultKeySerde: S, defaultValueSerde: S });
    driver.createInputTopic('clicks', S, S, { partitions: 2 });
    const users = driver.createInputTopic('users', S, S, { partitions: 4 });
    users.pipeInput('u1', 'U1');
    const out = driver.createOutputTopic('enriched', S, S);
    driver.createInputTopic('clicks', S, S, { partitions: 2 }).pipeInput('c', 'u1');
    expect(out.readValuesToList()).toEqual(['u1:U1']);
    driver.close();
  });
});
