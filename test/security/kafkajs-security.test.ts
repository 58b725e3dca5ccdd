import * as fs from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic, waitUntil } from '../interop/interop-broker.js';
import { makeTestCertificates, startSecureBroker, type SecureBroker, type TestCertificates } from './secure-broker.js';

// kafkajs 2.2.4 against tributary's broker over SSL, SASL_PLAINTEXT (PLAIN) and SASL_SSL (SCRAM-SHA-512).

let certs: TestCertificates;
let sb: SecureBroker;
let logs: string[] = [];

beforeAll(async () => {
  certs = makeTestCertificates();
  sb = await startSecureBroker(certs, ['SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], { alice: 'alice-secret' });
});

afterAll(async () => {
  await sb?.close();
  if (certs !== undefined) fs.rmSync(certs.dir, { recursive: true, force: true });
});

type Mode = 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

function kafka(mode: Mode, clientId: string, password = 'alice-secret'): Kafka {
  logs = [];
  const ssl = { ca: [fs.readFileSync(certs.caCert)], servername: 'localhost' };
  const security: Record<Mode, Pick<KafkaConfig, 'ssl' | 'sasl'>> = {
    SSL: { ssl },
    SASL_PLAINTEXT: { sasl: { mechanism: 'plain', username: 'alice', password } },
    SASL_SSL: { ssl, sasl: { mechanism: 'scram-sha-512', username: 'alice', password } },
  };
  return new Kafka({
    clientId,
    brokers: [sb.bootstrap(mode)],
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 300 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, label, log }: LogEntry) =>
        void logs.push(`${label} [${namespace}] ${log.message}`),
    ...security[mode],
  });
}

describe.each<Mode>(['SSL', 'SASL_PLAINTEXT', 'SASL_SSL'])('kafkajs over %s', (mode) => {
  it('produces, and a group consumer reads the same records back', async () => {
    const topic = `kjs-${mode.toLowerCase()}`;
    const client = kafka(mode, `kjs-${mode}`);
    const admin = client.admin();
    const producer = client.producer();
    const consumer = client.consumer({ groupId: `g-${mode}`, sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    try {
      await admin.connect();
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(true);
      await producer.connect();
      const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
      await producer.send({ topic, messages });
      const stored = await readTopic(sb.broker, topic);
      expect(stored.map((r) => `${r.key}:${r.value}`).sort()).toEqual(messages.map((m) => `${m.key}:${m.value}`).sort());

      const seen: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(`${message.key?.toString()}:${message.value?.toString()}`) });
      await waitUntil('the consumer read every record', () => seen.length >= messages.length, 20_000, () => logs.join('\n'));
      expect(seen.sort()).toEqual(messages.map((m) => `${m.key}:${m.value}`).sort());
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
    }
  });
});

describe('kafkajs with a wrong password', () => {
  it.each<Mode>(['SASL_PLAINTEXT', 'SASL_SSL'])('is refused over %s, and the error does not say whether the user exists', async (mode) => {
    const errors: string[] = [];
    for (const user of ['alice', 'nobody']) {
      const client = new Kafka({
        clientId: 'kjs-wrong',
        brokers: [sb.bootstrap(mode)],
        connectionTimeout: 3_000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
        ...(mode === 'SASL_SSL' ? { ssl: { ca: [fs.readFileSync(certs.caCert)], servername: 'localhost' } } : {}),
        sasl: mode === 'SASL_SSL' ? { mechanism: 'scram-sha-512', username: user, password: 'wrong' } : { mechanism: 'plain', username: user, password: 'wrong' },
      });
      const admin = client.admin();
      const err = await admin.connect().then(
        () => null,
        (e: unknown) => e as Error,
      );
      await admin.disconnect();
      expect(err, `${user} must be refused`).not.toBeNull();
      expect(err!.name).toBe('KafkaJSSASLAuthenticationError');
      errors.push(err!.message.replace(user, 'USER'));
    }
    expect(errors[0]).toBe(errors[1]);
    expect(errors[0]).toMatch(/Authentication failed/);
    expect(errors[0]).not.toMatch(/exist|unknown|wrong/i);
  });
});
