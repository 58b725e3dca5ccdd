import { Kafka, Partitioners, logLevel, type Consumer as KafkaJsConsumer, type LogEntry, type Producer as KafkaJsProducer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isControlBatch, isTransactionalBatch } from '../../src/broker/record-batch.js';
import { inProcessClients } from '../../src/client/in-process/in-process-clients.js';
import { partitionForKey } from '../../src/client/murmur2.js';
import { batchHeaders, readTopic, startInteropBroker, waitUntil, type InteropBroker } from './interop-broker.js';

// Interop with kafkajs 2.2.4 (pure JS, non-flexible protocol versions) over TCP against tributary's broker.

let ib: InteropBroker;
/** kafkajs's warnings and errors of the running test, shown when an assertion fails (never on the console). */
let logs: string[] = [];

beforeAll(async () => {
  ib = await startInteropBroker();
});

afterAll(async () => {
  await ib?.close();
});

function kafka(clientId: string): Kafka {
  logs = [];
  return new Kafka({
    clientId,
    brokers: [ib.bootstrap],
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 500 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, label, log }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...rest } = log as LogEntry['log'] & { logger?: unknown };
        logs.push(`${label} [${namespace}] ${message} ${JSON.stringify(rest)}`);
      },
  });
}

const explain = (): string => `kafkajs logs:\n${logs.join('\n')}`;

/** Runs `body` with the given kafkajs clients and disconnects them all afterwards, whatever happened. */
async function using<T>(clients: readonly { disconnect(): Promise<void> }[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    await Promise.allSettled(clients.map((c) => c.disconnect()));
  }
}

describe('kafkajs admin', () => {
  it('createTopics, listTopics and fetchTopicMetadata', async () => {
    const admin = kafka('kjs-admin').admin();
    await using([admin], async () => {
      await admin.connect();
      expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin-a', numPartitions: 3 }, { topic: 'kjs-admin-b', numPartitions: 1 }] }), explain()).toBe(true);
      expect(ib.broker.describeTopic('kjs-admin-a').numPartitions).toBe(3);
      expect(ib.broker.describeTopic('kjs-admin-b').numPartitions).toBe(1);
      // Creating an existing topic again is not an error for kafkajs: it answers false (TOPIC_ALREADY_EXISTS).
      expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin-a', numPartitions: 3 }] })).toBe(false);

      const names = await admin.listTopics();
      expect(names).toEqual(expect.arrayContaining(['kjs-admin-a', 'kjs-admin-b']));

      const md = await admin.fetchTopicMetadata({ topics: ['kjs-admin-a'] });
      expect(md.topics.map((t) => t.name)).toEqual(['kjs-admin-a']);
      const parts = [...md.topics[0]!.partitions].sort((a, b) => a.partitionId - b.partitionId);
      expect(parts.map((p) => [p.partitionId, p.partitionErrorCode, p.leader, p.replicas, p.isr])).toEqual([
        [0, 0, 0, [0], [0]],
        [1, 0, 0, [0], [0]],
        [2, 0, 0, [0], [0]],
      ]);
    });
  });
});

describe('kafkajs producer, read by tributary', () => {
  it('plain: keys in murmur2 partitions, values, headers and timestamps exactly', async () => {
    ib.broker.createTopic('kjs-plain', 3);
    const producer = kafka('kjs-plain').producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const messages = Array.from({ length: 30 }, (_, i) => ({
      key: `k${i}`,
      value: `v${i}`,
      timestamp: String(1_700_000_000_000 + i),
      headers: { origin: 'kafkajs', n: String(i) },
    }));
    await using([producer], async () => {
      await producer.connect();
      const meta = await producer.send({ topic: 'kjs-plain', messages: messages.slice(0, 15) });
      expect(meta.every((m) => m.errorCode === 0)).toBe(true);
      await producer.send({ topic: 'kjs-plain', messages: messages.slice(15), acks: 1 });
    });
    const records = await readTopic(ib.broker, 'kjs-plain');
    expect(records.length).toBe(messages.length);
    for (let p = 0; p < 3; p++) {
      const expected = messages.filter((m) => partitionForKey(Buffer.from(m.key), 3) === p);
      expect(records.filter((r) => r.partition === p).map((r) => [r.offset, r.key, r.value, r.timestampMs, r.headers])).toEqual(
        expected.map((m, i) => [i, m.key, m.value, Number(m.timestamp), [['origin', 'kafkajs'], ['n', m.headers.n]]]),
      );
      for (const h of await batchHeaders(ib.broker, 'kjs-plain', p)) expect(h.producerId).toBe(-1);
    }
  });

  it('idempotent (maxInFlightRequests 1): one producer id, gap-free sequences', async () => {
    ib.broker.createTopic('kjs-idem', 2);
    const producer = kafka('kjs-idem').producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    const values = Array.from({ length: 40 }, (_, i) => `idem-${i}`);
    await using([producer], async () => {
      await producer.connect();
      for (let i = 0; i < values.length; i += 10) {
        await producer.send({ topic: 'kjs-idem', messages: values.slice(i, i + 10).map((v, j) => ({ key: null, value: v, partition: (i + j) % 2 })) });
      }
    });
    const records = await readTopic(ib.broker, 'kjs-idem');
    for (let p = 0; p < 2; p++) {
      expect(records.filter((r) => r.partition === p).map((r) => r.value)).toEqual(values.filter((_, i) => i % 2 === p));
    }
    const producerIds = new Set<number>();
    for (let p = 0; p < 2; p++) {
      let nextSequence = 0;
      for (const h of await batchHeaders(ib.broker, 'kjs-idem', p)) {
        producerIds.add(h.producerId);
        expect(h.producerEpoch).toBe(0);
        expect(h.baseSequence).toBe(nextSequence);
        nextSequence += h.recordCount;
      }
      expect(nextSequence).toBe(values.length / 2);
    }
    expect(producerIds.size).toBe(1);
    expect([...producerIds][0]).toBeGreaterThanOrEqual(0);
  });

  it('transactional: a committed transaction (with sendOffsets) is visible, an aborted one never is', async () => {
    ib.broker.createTopic('kjs-tx', 2);
    ib.broker.createTopic('kjs-tx-in', 1);
    const producer = kafka('kjs-tx').producer({ transactionalId: 'kjs-tx-1', idempotent: true, maxInFlightRequests: 1 });
    await using([producer], async () => {
      await producer.connect();
      const committed = await producer.transaction();
      await committed.send({ topic: 'kjs-tx', messages: [{ value: 'c1', partition: 0 }, { value: 'c2', partition: 1 }] });
      await committed.sendOffsets({ consumerGroupId: 'kjs-tx-group', topics: [{ topic: 'kjs-tx-in', partitions: [{ partition: 0, offset: '7' }] }] });
      await committed.commit();

      const aborted = await producer.transaction();
      await aborted.send({ topic: 'kjs-tx', messages: [{ value: 'a1', partition: 0 }, { value: 'a2', partition: 1 }] });
      await aborted.sendOffsets({ consumerGroupId: 'kjs-tx-group-aborted', topics: [{ topic: 'kjs-tx-in', partitions: [{ partition: 0, offset: '9' }] }] });
      await aborted.abort();

      const last = await producer.transaction();
      await last.send({ topic: 'kjs-tx', messages: [{ value: 'c3', partition: 0 }] });
      await last.commit();
    });

    const rc = await readTopic(ib.broker, 'kjs-tx', 'read_committed');
    expect(rc.map((r) => [r.partition, r.value])).toEqual([[0, 'c1'], [0, 'c3'], [1, 'c2']]);
    const ru = await readTopic(ib.broker, 'kjs-tx', 'read_uncommitted');
    expect(ru.map((r) => [r.partition, r.value])).toEqual([[0, 'c1'], [0, 'a1'], [0, 'c3'], [1, 'c2'], [1, 'a2']]);
    for (let p = 0; p < 2; p++) {
      const headers = await batchHeaders(ib.broker, 'kjs-tx', p);
      expect(headers.every((h) => isTransactionalBatch(h.attributes))).toBe(true);
      expect(headers.filter((h) => isControlBatch(h.attributes)).length).toBe(p === 0 ? 3 : 2);
    }

    const committedOffset = async (groupId: string): Promise<number | null> => {
      const c = inProcessClients(ib.broker).consumer({ groupId });
      try {
        const [info] = await c.committed([{ topic: 'kjs-tx-in', partition: 0 }]);
        return info?.offset ?? null;
      } finally {
        await c.close();
      }
    };
    expect(await committedOffset('kjs-tx-group')).toBe(7);
    expect(await committedOffset('kjs-tx-group-aborted')).toBe(null);
  });
});

/** Starts a kafkajs consumer of `topic` from the beginning that appends every message's partition and value. */
async function startConsumer(
  consumer: KafkaJsConsumer,
  topic: string,
  out: { partition: number; value: string }[],
  assignment?: { current: number[] | null },
): Promise<void> {
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    if (assignment !== undefined) assignment.current = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  consumer.on(consumer.events.CRASH, (e) => logs.push(`consumer crashed: ${String(e.payload.error)}`));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      out.push({ partition, value: message.value?.toString() ?? '<null>' });
    },
  });
}

const FAST_GROUP = { sessionTimeout: 6_000, rebalanceTimeout: 5_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 } as const;

describe('kafkajs consumer', () => {
  it('a group of two members splits the partitions and consumes every record once', async () => {
    const topic = 'kjs-group';
    const partitions = 4;
    ib.broker.createTopic(topic, partitions);
    const client = kafka('kjs-group');
    const consumers = [client.consumer({ groupId: 'kjs-g', ...FAST_GROUP }), client.consumer({ groupId: 'kjs-g', ...FAST_GROUP })];
    const producer: KafkaJsProducer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await using([...consumers, producer], async () => {
      const got = consumers.map(() => [] as { partition: number; value: string }[]);
      const assignments = consumers.map(() => ({ current: null as number[] | null }));
      await Promise.all(consumers.map((c, i) => startConsumer(c, topic, got[i]!, assignments[i])));
      await waitUntil(
        'both kafkajs members to hold disjoint, non-empty assignments covering every partition',
        () => {
          const [a, b] = assignments.map((x) => x.current);
          return a != null && b != null && a.length > 0 && b.length > 0 && [...a, ...b].sort().join() === '0,1,2,3';
        },
        20_000,
        () => `assignments ${JSON.stringify(assignments)}\n${explain()}`,
      );

      await producer.connect();
      const values = Array.from({ length: 80 }, (_, i) => `g${i}`);
      await producer.send({ topic, messages: values.map((v, i) => ({ value: v, partition: i % partitions })) });
      await waitUntil(`all ${values.length} records consumed`, () => got[0]!.length + got[1]!.length >= values.length, 15_000, explain);
      expect([...got[0]!, ...got[1]!].map((r) => r.value).sort()).toEqual([...values].sort());
      for (let i = 0; i < 2; i++) {
        const seen = new Set(got[i]!.map((r) => r.partition));
        expect(seen.size).toBeGreaterThan(0);
        expect([...seen].sort()).toEqual(assignments[i]!.current);
      }
    });
  });

  it('read_committed (kafkajs default) never sees aborted records; read_uncommitted does', async () => {
    const topic = 'kjs-rc';
    ib.broker.createTopic(topic, 1);
    const client = kafka('kjs-rc');
    const tx = client.producer({ transactionalId: 'kjs-rc-tx', idempotent: true, maxInFlightRequests: 1 });
    const plain = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const committedReader = client.consumer({ groupId: 'kjs-rc-committed', ...FAST_GROUP });
    const uncommittedReader = client.consumer({ groupId: 'kjs-rc-uncommitted', readUncommitted: true, ...FAST_GROUP });
    await using([tx, plain, committedReader, uncommittedReader], async () => {
      await Promise.all([tx.connect(), plain.connect()]);
      const send = (values: string[]) => ({ topic, messages: values.map((value) => ({ value })) });
      let t = await tx.transaction();
      await t.send(send(['c1', 'c2']));
      await t.commit();
      t = await tx.transaction();
      await t.send(send(['a1', 'a2']));
      await plain.send(send(['p1']));
      await t.send(send(['a3']));
      await t.abort();
      t = await tx.transaction();
      await t.send(send(['c3']));
      await t.commit();
      await plain.send(send(['end']));

      const committed: { partition: number; value: string }[] = [];
      const uncommitted: { partition: number; value: string }[] = [];
      await startConsumer(committedReader, topic, committed);
      await startConsumer(uncommittedReader, topic, uncommitted);
      const sawEnd = (xs: { value: string }[]) => () => xs.some((x) => x.value === 'end');
      await waitUntil('the read_committed consumer to reach the last record', sawEnd(committed), 15_000, explain);
      await waitUntil('the read_uncommitted consumer to reach the last record', sawEnd(uncommitted), 15_000, explain);
      expect(committed.map((r) => r.value)).toEqual(['c1', 'c2', 'p1', 'c3', 'end']);
      expect(uncommitted.map((r) => r.value)).toEqual(['c1', 'c2', 'a1', 'a2', 'p1', 'a3', 'c3', 'end']);
    });
  });
});
