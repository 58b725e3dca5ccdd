import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaStreams, Materialized, Serdes, StreamsBuilder, kafkaClients, silentLogger, type Topology } from '../../src/index.js';
import type { AclBinding } from '../../src/broker/security/acl.js';
import { AclAuthorizer } from '../../src/broker/security/authorizer.js';
import type { KafkaSecurityOptions } from '../../src/client/kafka/connection.js';
import { readTopic, waitUntil } from '../interop/interop-broker.js';
import { makeTestCertificates, startSecureBroker, type SecureBroker, type TestCertificates } from './secure-broker.js';

// A tributary app (word count, exactly-once) running against a broker that only has a SASL_SSL listener: it
// authenticates with SCRAM-SHA-512 over TLS for every connection it opens (admin, producers, consumers, group and
// transaction coordinators) and ends with exact counts. The broker authorizes every request with ACLs that allow the
// app's user exactly what a Kafka Streams app needs: Read on its input topic, Write on its output topic, everything
// on its internal topics (prefix `<applicationId>-`: changelog and repartition topics it creates, reads, writes and
// purges), Read on its group and Write on its transactional ids (prefix `<applicationId>-`). Topics are created and
// the input written by an admin (a super user); the app's user cannot even see any other topic.

const APP_ID = 'wc-secure';
// Not under the application id's prefix, so that the prefixed ACL of the internal topics does not cover them.
const INPUT = 'secure-lines';
const OUTPUT = 'secure-counts';
const OTHER = 'secure-other';
const STORE = 'counts';
const APP_USER = 'wc-app';
const APP_PASSWORD = 'wc-app-Secret-91';
const ADMIN_USER = 'admin';
const ADMIN_PASSWORD = 'admin-Secret-17';

const app = (operation: AclBinding['operation'], resourceType: AclBinding['resourceType'], resourceName: string, patternType: AclBinding['patternType'] = 'Literal'): AclBinding => ({
  principal: `User:${APP_USER}`,
  host: '*',
  operation,
  permission: 'Allow',
  resourceType,
  resourceName,
  patternType,
});

/**
 * Exactly what the word count needs. DescribeConfigs on the input and output topics is tributary's own need (Kafka
 * Streams has none): its network Admin.describeTopics, which the runtime calls for partition counts, also fetches
 * the topics' configs.
 */
const APP_ACLS: readonly AclBinding[] = [
  app('Read', 'Topic', INPUT),
  app('DescribeConfigs', 'Topic', INPUT),
  app('Write', 'Topic', OUTPUT),
  app('DescribeConfigs', 'Topic', OUTPUT),
  app('All', 'Topic', `${APP_ID}-`, 'Prefixed'),
  app('Read', 'Group', APP_ID),
  app('Write', 'TransactionalId', `${APP_ID}-`, 'Prefixed'),
];

let certs: TestCertificates;
let sb: SecureBroker;
let stateDir: string;

beforeAll(async () => {
  certs = makeTestCertificates();
  sb = await startSecureBroker(certs, ['SASL_SSL'], { [APP_USER]: APP_PASSWORD, [ADMIN_USER]: ADMIN_PASSWORD }, { authorizer: new AclAuthorizer(APP_ACLS, { superUsers: [`User:${ADMIN_USER}`] }) });
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-secure-app-'));
});

afterAll(async () => {
  await sb?.close();
  if (certs !== undefined) fs.rmSync(certs.dir, { recursive: true, force: true });
  if (stateDir !== undefined) fs.rmSync(stateDir, { recursive: true, force: true });
});

function security(password = APP_PASSWORD, username = APP_USER): KafkaSecurityOptions {
  return { ssl: { ca: certs.caCert }, sasl: { mechanism: 'scram-sha-512', username, password } };
}

function wordCount(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>(INPUT)
    .flatMapValues((line) => line.split(/\W+/).filter(Boolean).map((w) => w.toLowerCase()))
    .groupBy((_key, word) => word)
    .count(Materialized.as(STORE))
    .toStream()
    .to(OUTPUT);
  return builder.build();
}

const LINES = ['the stream joins the river', 'the river reaches the sea', 'a tributary joins the stream', 'Sea, river, stream!'];

function expectedCounts(): Map<string, bigint> {
  const counts = new Map<string, bigint>();
  for (const line of LINES) for (const w of line.split(/\W+/).filter(Boolean)) counts.set(w.toLowerCase(), (counts.get(w.toLowerCase()) ?? 0n) + 1n);
  return counts;
}

describe('a tributary app against a SASL_SSL broker', () => {
  it('counts words exactly-once, every connection authenticated with SCRAM-SHA-512 over TLS', async () => {
    const bootstrap = sb.bootstrap('SASL_SSL');
    const clients = kafkaClients({ bootstrapServers: [bootstrap], clientId: 'wc-setup', ...security(ADMIN_PASSWORD, ADMIN_USER) });
    try {
      await clients.admin.createTopics([
        { topic: INPUT, numPartitions: 2 },
        { topic: OUTPUT, numPartitions: 2 },
        { topic: OTHER, numPartitions: 1 },
      ]);
      const producer = clients.producer();
      await producer.send({ topic: INPUT, messages: LINES.map((line) => ({ key: null, value: Buffer.from(line) })) });
      await producer.close();
    } finally {
      await clients.close();
    }

    const streams = new KafkaStreams(wordCount(), {
      applicationId: APP_ID,
      broker: bootstrap,
      security: security(),
      stateDir,
      processingGuarantee: 'exactly_once_v2',
      commitIntervalMs: 100,
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.String(),
      logger: silentLogger(),
    });
    try {
      await streams.start();
      const expected = expectedCounts();
      let last = new Map<string, bigint>();
      await waitUntil(
        'the committed counts to match',
        () => {
          void readTopic(sb.broker, OUTPUT, 'read_committed').then((records) => {
            const m = new Map<string, bigint>();
            for (const r of records) if (r.key !== null && r.value !== null) m.set(r.key, Buffer.from(r.value, 'latin1').readBigInt64BE(0));
            last = m;
          });
          return last.size === expected.size && [...expected].every(([w, n]) => last.get(w) === n);
        },
        30_000,
        () => `state ${streams.state}, error ${streams.error?.message ?? 'none'}, counts ${JSON.stringify([...last].map(([k, v]) => [k, String(v)]))}`,
      );
      expect(streams.state).toBe('RUNNING');
    } finally {
      await streams.close();
    }

    // The app's user sees its own topics only, and is refused the others.
    const appClients = kafkaClients({ bootstrapServers: [bootstrap], clientId: 'wc-check', ...security() });
    try {
      const visible = await appClients.admin.listTopics({ includeInternal: true });
      expect(visible).toContain(INPUT);
      expect(visible).toContain(OUTPUT);
      expect(visible).not.toContain(OTHER);
      expect(visible.every((t) => t === INPUT || t === OUTPUT || t.startsWith(`${APP_ID}-`))).toBe(true);
      const producer = appClients.producer();
      try {
        const refused = await producer.send({ topic: OTHER, messages: [{ key: null, value: Buffer.from('x') }] }).then(
          () => null,
          (e: unknown) => e as Error,
        );
        expect(refused?.message).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
      } finally {
        await producer.close();
      }
    } finally {
      await appClients.close();
    }
    expect(sb.broker.partitionLog(OTHER, 0).highWatermark).toBe(0);
  });

  it('with a wrong password the app does not reach RUNNING and says why', async () => {
    const streams = new KafkaStreams(wordCount(), {
      applicationId: `${APP_ID}-wrong`,
      broker: sb.bootstrap('SASL_SSL'),
      security: security('not-it'),
      stateDir,
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.String(),
      logger: silentLogger(),
    });
    try {
      const started = await streams.start().then(
        () => null,
        (e: unknown) => e as Error,
      );
      const error = started ?? streams.error;
      expect(streams.state).not.toBe('RUNNING');
      expect(String(error?.message)).toMatch(/SASL SCRAM-SHA-512 authentication .* failed/);
      expect(String(error?.message)).not.toContain('not-it');
    } finally {
      await streams.close();
    }
  });
});
