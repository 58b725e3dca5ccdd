import { describe, expect, it } from 'vitest';
import { Broker, Consumed, inProcessClients, KafkaStreams, Produced, Serdes, silentLogger, StreamsBuilder, TopologyTestDriver } from '../src/index.js';
import { waitUntil } from './helpers/word-count-topology.js';

const S = Serdes.String();

function topology() {
  const builder = new StreamsBuilder();
  builder.stream<string, string>(/orders-.*/, Consumed.with(S, S)).mapValues((v) => v.toUpperCase()).to('all-orders', Produced.with(S, S));
  return builder.build();
}

describe('stream(RegExp)', () => {
  it('the TopologyTestDriver reads every input topic the pattern matches (whole name only)', () => {
    const driver = new TopologyTestDriver(topology());
    const eu = driver.createInputTopic('orders-eu', S, S);
    const us = driver.createInputTopic('orders-us', S, S);
    driver.createInputTopic('my-orders-x', S, S);
    eu.pipeInput('1', 'a', 1);
    us.pipeInput('2', 'b', 2);
    expect(driver.createOutputTopic('all-orders', S, S).readValuesToList()).toEqual(['A', 'B']);
    expect(() => driver.createInputTopic('my-orders-x', S, S).pipeInput('3', 'c')).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }) as Error);
    driver.close();
  });

  it('KafkaStreams subscribes to the topics matching at start', async () => {
    const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100 });
    const { admin, producer } = inProcessClients(broker);
    await admin.createTopics(['orders-eu', 'orders-us', 'returns'].map((topic) => ({ topic, numPartitions: 1 })));
    const p = producer();
    for (const [topic, v] of [['orders-eu', 'a'], ['orders-us', 'b'], ['returns', 'x']] as const) {
      await p.send({ topic, messages: [{ key: S.serialize(topic, 'k'), value: S.serialize(topic, v) }] });
    }
    const streams = new KafkaStreams(topology(), { applicationId: 'patterns', broker, stateDir: `/tmp/tributary-patterns-${process.pid}`, commitIntervalMs: 20, logger: silentLogger() });
    await streams.start();
    const read = async (): Promise<string[]> => {
      if (!broker.hasTopic('all-orders')) return [];
      const c = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
      c.assign([{ topic: 'all-orders', partition: 0 }]);
      const out: string[] = [];
      for (;;) {
        const r = await c.poll({ maxWaitMs: 0 });
        if (r.count === 0) break;
        for (const b of r.batches) for (const rec of b.records) out.push(S.deserialize('all-orders', rec.value)!);
      }
      await c.close();
      return out.sort();
    };
    await waitUntil(async () => (await read()).length === 2, 'both orders');
    expect(await read()).toEqual(['A', 'B']);
    await streams.close();
    await broker.close();
  });
});
