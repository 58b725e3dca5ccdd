import * as fs from 'node:fs';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AclBinding } from '../../src/broker/security/acl.js';
import { AclAuthorizer } from '../../src/broker/security/authorizer.js';
import { readTopic, waitUntil } from '../interop/interop-broker.js';
import { requireKcat, runKcat, runKcatOk } from '../interop/kcat.js';
import { makeTestCertificates, startSecureBroker, type SecureBroker, type TestCertificates } from './secure-broker.js';

// kcat (librdkafka 2.0.2) and kafkajs 2.2.4 authenticated with SASL PLAIN as alice, whose ACLs allow one topic and
// one group and nothing else: the allowed topic works end to end; the other is refused with Kafka's error codes and
// is not even listed in Metadata; bob, with no ACL, sees nothing.

const ALLOWED = 'acl-allowed';
const DENIED = 'acl-denied';
const GROUP = 'acl-group';

let certs: TestCertificates;
let sb: SecureBroker;
let kcatMissing: Error | null = null;

const allow = (operation: AclBinding['operation'], resourceType: AclBinding['resourceType'], resourceName: string): AclBinding => ({
  principal: 'User:alice',
  host: '*',
  operation,
  permission: 'Allow',
  resourceType,
  resourceName,
  patternType: 'Literal',
});

beforeAll(async () => {
  try {
    requireKcat();
  } catch (e: unknown) {
    kcatMissing = e instanceof Error ? e : new Error(String(e));
  }
  certs = makeTestCertificates();
  const authorizer = new AclAuthorizer([allow('Read', 'Topic', ALLOWED), allow('Write', 'Topic', ALLOWED), allow('Read', 'Group', GROUP)], { superUsers: ['User:admin'] });
  sb = await startSecureBroker(certs, ['SASL_PLAINTEXT'], { alice: 'alice-secret', bob: 'bob-secret' }, { authorizer });
  sb.broker.createTopic(ALLOWED, 2);
  sb.broker.createTopic(DENIED, 1);
});

afterAll(async () => {
  await sb?.close();
  if (certs !== undefined) fs.rmSync(certs.dir, { recursive: true, force: true });
});

function kcat(user: string, ...args: string[]): string[] {
  if (kcatMissing !== null) throw kcatMissing;
  return [
    '-b', sb.bootstrap('SASL_PLAINTEXT'), '-m', '10', '-X', 'socket.timeout.ms=10000',
    '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${user}`, '-X', `sasl.password=${user}-secret`,
    ...args,
  ];
}

interface KcatMetadata {
  readonly topics: readonly { readonly topic: string; readonly error?: string; readonly partitions: readonly unknown[] }[];
}

describe('kcat with ACLs', () => {
  it('lists only the topic alice may describe; bob sees none', async () => {
    const alice = JSON.parse(await runKcatOk(kcat('alice', '-L', '-J'))) as KcatMetadata;
    expect(alice.topics.map((t) => t.topic)).toEqual([ALLOWED]);
    const bob = JSON.parse(await runKcatOk(kcat('bob', '-L', '-J'))) as KcatMetadata;
    expect(bob.topics).toEqual([]);
  });

  it('answers a named denied topic and a missing one alike: Topic authorization failed', async () => {
    for (const topic of [DENIED, 'acl-no-such-topic']) {
      const md = JSON.parse(await runKcatOk(kcat('alice', '-L', '-J', '-t', topic))) as KcatMetadata;
      expect(md.topics).toHaveLength(1);
      expect(md.topics[0]).toMatchObject({ topic, error: 'Broker: Topic authorization failed', partitions: [] });
    }
    expect(sb.broker.hasTopic('acl-no-such-topic')).toBe(false);
  });

  it('produces to and consumes the allowed topic', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `k${i}:v${i}`);
    await runKcatOk(kcat('alice', '-P', '-t', ALLOWED, '-K:'), { stdin: lines.join('\n') + '\n' });
    expect((await readTopic(sb.broker, ALLOWED)).map((r) => `${r.key}:${r.value}`).sort()).toEqual([...lines].sort());
    const consumed = await runKcatOk(kcat('alice', '-C', '-t', ALLOWED, '-o', 'beginning', '-e', '-f', '%k:%s\n'));
    expect(consumed.trim().split('\n').sort()).toEqual([...lines].sort());
  });

  it('is refused producing to the denied topic, which stays empty', async () => {
    const r = await runKcat(kcat('alice', '-P', '-t', DENIED), { stdin: 'nope\n' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/authorization failed/i);
    expect(sb.broker.partitionLog(DENIED, 0).highWatermark).toBe(0);
  });

  it('is refused joining a group it may not read: Group authorization failed', async () => {
    const r = await runKcat(kcat('alice', '-G', 'acl-other-group', '-e', ALLOWED), { timeoutMs: 15_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FindCoordinator response error: Broker: Group authorization failed/);
  });

  it('is refused consuming the denied topic', async () => {
    const r = await runKcat(kcat('alice', '-C', '-t', DENIED, '-o', 'beginning', '-e'), { timeoutMs: 15_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/authorization failed/i);
  });
});

/** The Kafka error name of a kafkajs error (KafkaJSNonRetriableError wraps the protocol error as its cause). */
function kafkaJsErrorType(e: unknown): string | undefined {
  const err = e as { type?: string; cause?: { type?: string } } | null;
  return err?.type ?? err?.cause?.type;
}

describe('kafkajs with ACLs', () => {
  const kafka = (user: string): Kafka =>
    new Kafka({
      clientId: `acl-${user}`,
      brokers: [sb.bootstrap('SASL_PLAINTEXT')],
      sasl: { mechanism: 'plain', username: user, password: `${user}-secret` },
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 200 },
      logLevel: logLevel.NOTHING,
    });

  it('admin: listTopics and fetchTopicMetadata show only the allowed topic', async () => {
    const admin = kafka('alice').admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual([ALLOWED]);
      expect((await admin.fetchTopicMetadata()).topics.map((t) => t.name)).toEqual([ALLOWED]);
    } finally {
      await admin.disconnect();
    }
  });

  it('producer: sends to the allowed topic; the denied one fails with TOPIC_AUTHORIZATION_FAILED', async () => {
    const producer = kafka('alice').producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({ topic: ALLOWED, messages: [{ key: 'kjs', value: 'allowed' }] });
      const failure = await producer.send({ topic: DENIED, messages: [{ value: 'nope' }] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(kafkaJsErrorType(failure)).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await producer.disconnect();
    }
    expect((await readTopic(sb.broker, ALLOWED)).some((r) => r.value === 'allowed')).toBe(true);
    expect(sb.broker.partitionLog(DENIED, 0).highWatermark).toBe(0);
  });

  it('consumer: joins the allowed group and reads the allowed topic', async () => {
    const consumer = kafka('alice').consumer({ groupId: GROUP, sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100, retry: { retries: 2 } });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: ALLOWED, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
      await waitUntil('20 records consumed', () => seen.length >= 20, 15_000);
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toContain('v0');
    // The commit went to the allowed group.
    expect(sb.broker.groups.fetchOffsets(GROUP).size).toBeGreaterThan(0);
  });

  it('consumer: a group alice may not read is refused (kafkajs reports the failed FindCoordinator as not found)', async () => {
    const consumer = kafka('alice').consumer({ groupId: 'acl-other-group', retry: { retries: 0 } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: ALLOWED, fromBeginning: true });
      const crashed = new Promise<unknown>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)));
      void consumer.run({ eachMessage: async () => {} }).catch((e: unknown) => e);
      expect((await crashed as Error).name).toBe('KafkaJSGroupCoordinatorNotFound');
    } finally {
      await consumer.disconnect();
    }
    expect(sb.broker.groups.listGroups().map((g) => g.groupId)).not.toContain('acl-other-group');
  });
});
