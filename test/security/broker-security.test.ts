import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore } from '../../src/broker/security/credential-store.js';
import { plainClientMessage } from '../../src/broker/security/sasl-plain.js';
import { handleMetadata } from '../../src/broker/server/data-handlers.js';
import { RawKafkaSocket } from '../../src/broker/server/raw-kafka-socket.js';
import { KafkaConnection } from '../../src/client/kafka/connection.js';
import { kafkaClients } from '../../src/client/kafka/kafka-clients.js';
import { isStreamsError } from '../../src/errors.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { KafkaErrorCode } from '../../src/protocol/error-codes.js';
import { makeTestCertificates, startSecureBroker, type SecureBroker, type TestCertificates } from './secure-broker.js';

// The broker's SASL/TLS behaviour seen from the wire and from tributary's own client: the pre-authentication gate,
// principals (SASL user, client certificate subject), users added while running, the client's SSL/SASL options.

let certs: TestCertificates;
let sb: SecureBroker;
/** Principal of every Metadata request the broker served. */
const principals: string[] = [];

beforeAll(async () => {
  certs = makeTestCertificates();
  sb = await startSecureBroker(certs, ['PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL'], { alice: 'alice-secret' }, {
    extraHandlers: {
      [ApiKey.Metadata]: (ctx, req) => {
        principals.push(ctx.principal);
        return handleMetadata(ctx, req);
      },
    },
  });
});

afterAll(async () => {
  await sb?.close();
  if (certs !== undefined) fs.rmSync(certs.dir, { recursive: true, force: true });
});

const METADATA = { topics: null, allowAutoTopicCreation: false } as const;

async function saslPlain(raw: RawKafkaSocket, user: string, password: string): Promise<number> {
  expect((await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
  return (await raw.request(ApiKey.SaslAuthenticate, 1, { authBytes: plainClientMessage(user, password) })).errorCode;
}

describe('the pre-authentication gate', () => {
  it('a SASL listener advertises the SASL APIs; a plaintext one does not', async () => {
    const sasl = await RawKafkaSocket.connect(sb.port('SASL_PLAINTEXT'));
    const plain = await RawKafkaSocket.connect(sb.port('PLAINTEXT'));
    try {
      const keys = (await sasl.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).apiKeys;
      expect(keys.find((k) => k.apiKey === ApiKey.SaslHandshake)).toMatchObject({ minVersion: 0, maxVersion: 1 });
      expect(keys.find((k) => k.apiKey === ApiKey.SaslAuthenticate)).toMatchObject({ minVersion: 0, maxVersion: 2 });
      const plainKeys = (await plain.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).apiKeys;
      expect(plainKeys.some((k) => k.apiKey === ApiKey.SaslHandshake || k.apiKey === ApiKey.SaslAuthenticate)).toBe(false);
      expect(plainKeys.length).toBe(keys.length - 2);
    } finally {
      sasl.close();
      plain.close();
    }
  });

  it('a Metadata request before authentication closes the connection without an answer', async () => {
    const raw = await RawKafkaSocket.connect(sb.port('SASL_PLAINTEXT'));
    await expect(raw.request(ApiKey.Metadata, 8, METADATA)).rejects.toThrow(/closed/);
    await raw.closed;
    expect(raw.received).toEqual([]);
  });

  it('so does one pipelined behind a SaslAuthenticate still in progress, and a frame over 512 KiB before authentication', async () => {
    const raw = await RawKafkaSocket.connect(sb.port('SASL_PLAINTEXT'));
    await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    raw.socket.cork(); // both frames in one segment, so the Metadata arrives while PBKDF2 still runs
    const auth = raw.request(ApiKey.SaslAuthenticate, 1, { authBytes: plainClientMessage('alice', 'alice-secret') });
    const md = raw.request(ApiKey.Metadata, 8, METADATA);
    raw.socket.uncork();
    await expect(md).rejects.toThrow(/closed/);
    await auth.catch(() => {});
    await raw.closed;

    const big = await RawKafkaSocket.connect(sb.port('SASL_PLAINTEXT'));
    const header = Buffer.alloc(4);
    header.writeInt32BE(600 * 1024);
    big.socket.write(header);
    await big.closed;
  });

  it('after authentication everything passes, as User:<name>, and Metadata advertises the SASL listener', async () => {
    const raw = await RawKafkaSocket.connect(sb.port('SASL_PLAINTEXT'));
    try {
      expect(await saslPlain(raw, 'alice', 'alice-secret')).toBe(0);
      principals.length = 0;
      const md = await raw.request(ApiKey.Metadata, 8, METADATA);
      expect(md.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: sb.port('SASL_PLAINTEXT'), rack: null }]);
      expect(principals).toEqual(['User:alice']);
      // A second authentication is refused (ILLEGAL_SASL_STATE), the connection stays usable.
      expect((await raw.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(KafkaErrorCode.ILLEGAL_SASL_STATE);
      expect((await raw.request(ApiKey.Metadata, 8, METADATA)).brokers.length).toBe(1);
    } finally {
      raw.close();
    }
  });

  it('a wrong password: SASL_AUTHENTICATION_FAILED after the delay, then the connection closes', async () => {
    const raw = await RawKafkaSocket.connect(sb.port('SASL_PLAINTEXT'));
    const started = Date.now();
    expect(await saslPlain(raw, 'alice', 'nope')).toBe(KafkaErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15); // startSecureBroker sets a 20 ms delay
    await raw.closed;
  });

  it('users added while the broker runs can authenticate at once; removed ones cannot', async () => {
    const cli = CredentialStore.forDataDir(sb.dataDir);
    await cli.addUser('bob', 'bob-secret', { mechanisms: ['SCRAM-SHA-512'] });
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: sb.port('SASL_PLAINTEXT'), sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' } });
    await conn.close();
    cli.removeUser('bob');
    const err = await KafkaConnection.connect({ host: '127.0.0.1', port: sb.port('SASL_PLAINTEXT'), sasl: { mechanism: 'plain', username: 'bob', password: 'bob-secret' } }).catch((e: unknown) => e);
    expect(isStreamsError(err, 'AUTHENTICATION_FAILED')).toBe(true);
  });
});

describe("tributary's client over SASL_SSL", () => {
  const ssl = (): { ca: string } => ({ ca: certs.caCert });

  it('produces and consumes with SCRAM-SHA-512 over TLS', async () => {
    sb.broker.createTopic('trib-sasl-ssl', 2);
    const clients = kafkaClients({
      bootstrapServers: [sb.bootstrap('SASL_SSL')],
      clientId: 'trib',
      ssl: ssl(),
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' },
    });
    try {
      principals.length = 0;
      const producer = clients.producer();
      await producer.send({ topic: 'trib-sasl-ssl', messages: Array.from({ length: 10 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })) });
      await producer.close();
      const consumer = clients.consumer({ autoOffsetReset: 'earliest' });
      consumer.assign([{ topic: 'trib-sasl-ssl', partition: 0 }, { topic: 'trib-sasl-ssl', partition: 1 }]);
      const seen: string[] = [];
      for (let i = 0; i < 50 && seen.length < 10; i++) {
        const polled = await consumer.poll({ maxWaitMs: 100 });
        for (const b of polled.batches) for (const r of b.records) seen.push(`${r.key?.toString()}:${r.value?.toString()}`);
      }
      await consumer.close();
      expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}:v${i}`).sort());
      expect(principals.length).toBeGreaterThan(0);
      expect(new Set(principals)).toEqual(new Set(['User:alice']));
    } finally {
      await clients.close();
    }
  });

  it('fails fast and for good (AUTHENTICATION_FAILED) with a wrong password, an untrusted broker certificate, or no SASL on the port', async () => {
    const base = { host: '127.0.0.1', connectTimeoutMs: 5_000 } as const;
    const cases = [
      { ...base, port: sb.port('SASL_SSL'), ssl: ssl(), sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'wrong' } },
      { ...base, port: sb.port('SASL_SSL'), ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' } },
      { ...base, port: sb.port('PLAINTEXT'), sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } },
    ] as const;
    for (const options of cases) {
      const err = await KafkaConnection.connect(options).catch((e: unknown) => e);
      expect(isStreamsError(err, 'AUTHENTICATION_FAILED'), String(err)).toBe(true);
      expect((err as Error).message).not.toContain('alice-secret');
    }
    expect(String(await KafkaConnection.connect(cases[0]).catch((e: unknown) => e))).toMatch(/invalid credentials/);
  });
});

describe('TLS client certificates (SSL listener with a CA)', () => {
  let mtls: SecureBroker;
  beforeAll(async () => {
    mtls = await startSecureBroker(certs, ['SSL'], {}, {
      tls: { cert: certs.brokerCert, key: certs.brokerKey, ca: certs.caCert },
      extraHandlers: {
        [ApiKey.Metadata]: (ctx, req) => {
          principals.push(ctx.principal);
          return handleMetadata(ctx, req);
        },
      },
    });
  });
  afterAll(async () => mtls?.close());

  it("the certificate's subject, as Kafka formats it, is the principal", async () => {
    principals.length = 0;
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: mtls.port('SSL'), ssl: { ca: certs.caCert, cert: certs.aliceCert, key: certs.aliceKey } });
    try {
      await conn.send(ApiKey.Metadata, METADATA);
    } finally {
      await conn.close();
    }
    expect(principals).toEqual(['User:CN=alice,OU=eng,O=Acme\\, Inc.,C=US']);
  });

  it('a client without a certificate, or with one the CA did not sign, is refused in the handshake', async () => {
    for (const ssl of [{ ca: certs.caCert }, { ca: certs.caCert, cert: certs.strangerCert, key: certs.strangerKey }]) {
      const err = await KafkaConnection.connect({ host: '127.0.0.1', port: mtls.port('SSL'), ssl, connectTimeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(err, JSON.stringify(ssl)).toBeInstanceOf(Error);
    }
    expect(mtls.server.connectionCount).toBe(0);
  });
});
