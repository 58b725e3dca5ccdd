import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../broker/broker.js';
import { KafkaServer } from '../broker/server/kafka-server.js';
import { silentLogger } from '../util/logger.js';
import type { Consumer } from './consumer.js';
import { inProcessClients } from './in-process/in-process-clients.js';
import { KafkaCluster } from './kafka/cluster.js';
import { KafkaConsumer } from './kafka/kafka-consumer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openBroker(): Promise<Broker> {
  const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0 });
  cleanups.push(() => broker.close());
  broker.createTopic('t', 2);
  return broker;
}

async function produce(broker: Broker, partition: number, n: number): Promise<void> {
  const p = inProcessClients(broker).producer();
  await p.send({ topic: 't', messages: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), partition })) });
  await p.close();
}

/** Polls until `n` records came back in total. */
async function pollRecords(consumer: Consumer, n: number, maxRecords: number): Promise<number> {
  let got = 0;
  for (let i = 0; i < 100 && got < n; i++) got += (await consumer.poll({ maxRecords, maxWaitMs: 50 })).count;
  return got;
}

const consumers: [string, (broker: Broker) => Promise<Consumer>][] = [
  ['in-process', async (broker) => inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' })],
  [
    'kafka protocol',
    async (broker) => {
      const server = await KafkaServer.listen(broker, { port: 0, logger: silentLogger() });
      cleanups.push(() => server.close());
      const cluster = new KafkaCluster({ bootstrapServers: [`127.0.0.1:${server.address.port}`], logger: silentLogger() });
      cleanups.push(() => cluster.close());
      const consumer = new KafkaConsumer(cluster, { autoOffsetReset: 'earliest' });
      cleanups.push(() => consumer.close());
      return consumer;
    },
  ],
];

describe.each(consumers)('currentLag (%s consumer)', (_name, open) => {
  it('is the last fetch answer end offset minus the position, without asking the broker', async () => {
    const broker = await openBroker();
    await produce(broker, 0, 10);
    const consumer = await open(broker);
    const tp0 = { topic: 't', partition: 0 };
    expect(consumer.currentLag!(tp0)).toBeNull(); // not assigned
    consumer.assign([tp0, { topic: 't', partition: 1 }]);
    expect(consumer.currentLag!(tp0)).toBeNull(); // not fetched yet
    expect(await pollRecords(consumer, 3, 3)).toBe(3);
    expect(consumer.currentLag!(tp0)).toBe(7);
    expect(await pollRecords(consumer, 7, 100)).toBe(7);
    expect(consumer.currentLag!(tp0)).toBe(0);
    await produce(broker, 0, 5);
    // Known only from the next fetch answer, as Kafka's consumer.
    expect(await pollRecords(consumer, 2, 2)).toBe(2);
    expect(consumer.currentLag!(tp0)).toBe(3);
    // An empty partition that was fetched: lag 0.
    expect(consumer.currentLag!({ topic: 't', partition: 1 })).toBe(0);
  });
});
