import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../broker/broker.js';
import { KafkaServer } from '../../broker/server/kafka-server.js';
import { silentLogger } from '../../util/logger.js';
import type { Admin } from '../admin.js';
import type { Consumer } from '../consumer.js';
import { inProcessClients, type Clients } from '../in-process/in-process-clients.js';
import { kafkaClients } from './kafka-clients.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openBroker(): Promise<Broker> {
  const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupInitialRebalanceDelayMs: 0 });
  cleanups.push(() => broker.close());
  return broker;
}

/** The same group scenarios run against the in-process admin and the Kafka-protocol one (over a real socket). */
const sides: readonly [string, (broker: Broker) => Promise<Clients>][] = [
  ['in-process', async (broker) => inProcessClients(broker)],
  [
    'kafka protocol',
    async (broker) => {
      const server = await KafkaServer.listen(broker, { port: 0, logger: silentLogger() });
      cleanups.push(() => server.close());
      const clients = kafkaClients({ bootstrapServers: [`127.0.0.1:${server.address.port}`], clientId: 'admin-test', logger: silentLogger(), retryBackoffMs: 5, maxRetryBackoffMs: 20 });
      cleanups.push(() => clients.close());
      return clients;
    },
  ],
];

/** A member of group `g` that polls until it holds every partition of `lines` and has read `records`, then commits. */
async function activeMember(clients: Clients, partitions: number, records: number): Promise<Consumer> {
  const consumer = clients.consumer({ groupId: 'g', clientId: 'member-1', autoOffsetReset: 'earliest' });
  consumer.subscribe(['lines']);
  let read = 0;
  for (let polls = 0; consumer.assignment().length < partitions || read < records; polls++) {
    if (polls > 500) throw new Error(`the consumer did not get its assignment and read ${records} records`);
    read += (await consumer.poll({ maxWaitMs: 20 })).count;
  }
  await consumer.commit();
  return consumer;
}

describe.each(sides)('Admin group operations (%s)', (_name, connect) => {
  it('lists and describes groups, lists and alters their offsets, and refuses to alter a group with members', async () => {
    const broker = await openBroker();
    const clients = await connect(broker);
    const admin: Admin = clients.admin;
    await admin.createTopics([{ topic: 'lines', numPartitions: 2 }]);
    const producer = clients.producer();
    await producer.send({ topic: 'lines', messages: [0, 0, 0, 1, 1].map((partition, i) => ({ key: null, value: Buffer.from(`v${i}`), partition })) });
    await producer.close();

    const consumer = await activeMember(clients, 2, 5);
    expect(await admin.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Stable' }]);

    const [g, nobody] = await admin.describeGroups(['g', 'nobody']);
    expect(g).toMatchObject({ groupId: 'g', state: 'Stable', protocolType: 'consumer' });
    expect(g!.protocol).not.toBe('');
    expect(g!.members).toHaveLength(1);
    expect(g!.members[0]).toMatchObject({ clientId: 'member-1', groupInstanceId: null });
    expect([...g!.members[0]!.assignment].sort((a, b) => a.partition - b.partition)).toEqual([
      { topic: 'lines', partition: 0 },
      { topic: 'lines', partition: 1 },
    ]);
    expect(nobody).toEqual({ groupId: 'nobody', state: 'Dead', protocolType: '', protocol: '', members: [] });

    expect(await admin.listConsumerGroupOffsets('g')).toEqual([
      { topic: 'lines', partition: 0, offset: 3, metadata: '' },
      { topic: 'lines', partition: 1, offset: 2, metadata: '' },
    ]);
    expect(await admin.listConsumerGroupOffsets('nobody')).toEqual([]);

    // As Kafka: offsets of a group with members cannot be altered from outside.
    await expect(admin.alterConsumerGroupOffsets('g', [{ topic: 'lines', partition: 0, offset: 0 }])).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });

    await consumer.close();
    const [empty] = await admin.describeGroups(['g']);
    expect(empty).toMatchObject({ state: 'Empty', members: [] });
    await admin.alterConsumerGroupOffsets('g', [
      { topic: 'lines', partition: 0, offset: 0 },
      { topic: 'lines', partition: 1, offset: 1, metadata: 'reset' },
    ]);
    expect(await admin.listConsumerGroupOffsets('g')).toEqual([
      { topic: 'lines', partition: 0, offset: 0, metadata: '' },
      { topic: 'lines', partition: 1, offset: 1, metadata: 'reset' },
    ]);
    expect(await admin.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Empty' }]);

    await expect(admin.alterConsumerGroupOffsets('g', [{ topic: 'missing', partition: 0, offset: 0 }])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.alterConsumerGroupOffsets('g', [{ topic: 'lines', partition: 2, offset: 0 }])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    // A new group can be given offsets before it ever runs (the reset tool does that).
    await admin.alterConsumerGroupOffsets('fresh', [{ topic: 'lines', partition: 1, offset: 2 }]);
    expect(await admin.listConsumerGroupOffsets('fresh')).toEqual([{ topic: 'lines', partition: 1, offset: 2, metadata: '' }]);
    expect((await admin.listGroups()).map((x) => x.groupId)).toEqual(['fresh', 'g']);
  });
});
