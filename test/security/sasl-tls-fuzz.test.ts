import * as fs from 'node:fs';
import * as net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawKafkaSocket } from '../../src/broker/server/raw-kafka-socket.js';
import { KafkaConnection } from '../../src/client/kafka/connection.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeRequest } from '../../src/protocol/codec.js';
import { KafkaErrorCode } from '../../src/protocol/error-codes.js';
import { makeTestCertificates, startSecureBroker, type SecureBroker, type TestCertificates } from './secure-broker.js';

// Fuzzing the SASL and TLS paths: random and malformed SaslAuthenticate payloads, random frames before
// authentication, garbage on the TLS port. The broker answers or closes only the offending connection, keeps
// serving an authenticated connection opened before, and never sends a stack trace or a credential.

const PASSWORD = 'alice-Secret-7f3a';
let certs: TestCertificates;
let sb: SecureBroker;
/** Opened before the fuzzing, used after it: it must have been served throughout. */
let bystander: KafkaConnection;

beforeAll(async () => {
  certs = makeTestCertificates();
  sb = await startSecureBroker(certs, ['SASL_PLAINTEXT', 'SSL'], { alice: PASSWORD }, { sasl: { failedAuthenticationDelayMs: 0 } });
  bystander = await KafkaConnection.connect({ host: '127.0.0.1', port: sb.port('SASL_PLAINTEXT'), sasl: { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD } });
});

afterAll(async () => {
  await bystander?.close();
  await sb?.close();
  if (certs !== undefined) fs.rmSync(certs.dir, { recursive: true, force: true });
});

/** What must never reach a client: stack frames, source locations, error class dumps, the password, key material. */
const LEAK = /\n\s+at |\.ts:\d|\.js:\d|node:internal|Error:|StreamsError|storedKey|serverKey|alice-Secret/;

function expectNoLeak(bytes: Buffer): void {
  const text = bytes.toString('latin1');
  expect(text).not.toMatch(LEAK);
}

/** Everything the server sends on `socket` until it closes (or `ms` pass, then we close). */
function received(socket: net.Socket, ms = 3_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.on('error', () => {});
  });
}

async function stillServing(): Promise<void> {
  const { body } = await bystander.send(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false });
  expect(body.brokers.length).toBe(1);
  const fresh = await KafkaConnection.connect({ host: '127.0.0.1', port: sb.port('SASL_PLAINTEXT'), sasl: { mechanism: 'plain', username: 'alice', password: PASSWORD } });
  await fresh.close();
}

/** Payloads that look like SCRAM or PLAIN messages, broken in various ways, and plain random bytes. */
const payloadArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.string({ maxLength: 120 }).map((s) => Buffer.from(s)),
  fc.tuple(fc.constantFrom('n,,n=', 'y,,n=', 'p=x,,n=', 'n,a=', 'c=biws,r=', '\0', 'v=', 'e='), fc.string({ maxLength: 60 }), fc.constantFrom('', ',r=', ',p=', '\0', ',r=abc,p=AAAA')).map(
    ([a, b, c]) => Buffer.from(a + b + c),
  ),
  fc.constantFrom(Buffer.from('\0alice\0wrong'), Buffer.from('\0alice\0'), Buffer.from('n,,n=alice,r=abc'), Buffer.from('n,,n=nobody,r=abc')),
);

describe('fuzzing SaslAuthenticate', () => {
  it('random and malformed payloads get SASL errors without leaks, and the broker keeps serving', async () => {
    const codes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'),
        fc.integer({ min: 0, max: 2 }),
        fc.array(payloadArb, { minLength: 1, maxLength: 3 }),
        async (mechanism, version, payloads) => {
          const raw = await RawKafkaSocket.connect(sb.port('SASL_PLAINTEXT'));
          const all = received(raw.socket);
          try {
            expect((await raw.request(ApiKey.SaslHandshake, 1, { mechanism })).errorCode).toBe(0);
            for (const authBytes of payloads) {
              const r = await raw.request(ApiKey.SaslAuthenticate, version, { authBytes }).catch(() => null);
              if (r === null) break; // closed after a failure
              expect([KafkaErrorCode.NONE, KafkaErrorCode.SASL_AUTHENTICATION_FAILED, KafkaErrorCode.ILLEGAL_SASL_STATE]).toContain(r.errorCode);
              codes.set(r.errorCode, (codes.get(r.errorCode) ?? 0) + 1);
              expect(r.errorMessage ?? '').not.toMatch(LEAK);
              if (r.errorCode !== 0) break;
            }
          } finally {
            raw.close();
          }
          expectNoLeak(await all);
        },
      ),
      { numRuns: 150 },
    );
    // The fuzzing reached both the failures and the SCRAM challenges (not just closed connections).
    expect(codes.get(KafkaErrorCode.SASL_AUTHENTICATION_FAILED) ?? 0).toBeGreaterThan(50);
    expect(codes.get(KafkaErrorCode.NONE) ?? 0).toBeGreaterThan(5);
    await stillServing();
  });

  it('random frames before authentication close only their connection, without leaks', async () => {
    const frameArb = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      // A well-framed request header with a random API key and version and a random body.
      fc.tuple(fc.integer({ min: -1, max: 70 }), fc.integer({ min: -1, max: 20 }), fc.uint8Array({ maxLength: 100 })).map(([key, version, body]) => {
        const frame = Buffer.alloc(12 + body.length);
        frame.writeInt32BE(8 + body.length, 0);
        frame.writeInt16BE(key, 4);
        frame.writeInt16BE(version, 6);
        frame.writeInt32BE(7, 8);
        Buffer.from(body).copy(frame, 12);
        return frame;
      }),
      // Valid SASL requests in the wrong order, or a valid Metadata before authentication.
      fc.constantFrom(
        Buffer.concat(encodeRequest(ApiKey.SaslAuthenticate, 1, 1, 'fuzz', { authBytes: Buffer.from('\0alice\0x') })),
        Buffer.concat(encodeRequest(ApiKey.Metadata, 8, 1, 'fuzz', { topics: null, allowAutoTopicCreation: false })),
        Buffer.concat(encodeRequest(ApiKey.SaslHandshake, 0, 1, 'fuzz', { mechanism: 'PLAIN' })),
        Buffer.concat(encodeRequest(ApiKey.SaslHandshake, 1, 1, 'fuzz', { mechanism: 'GSSAPI' })),
      ),
    );
    await fc.assert(
      fc.asyncProperty(frameArb, async (frame) => {
        const socket = net.connect(sb.port('SASL_PLAINTEXT'), '127.0.0.1');
        const all = received(socket, 1_000);
        socket.on('connect', () => socket.end(frame));
        const bytes = await all;
        expectNoLeak(bytes);
      }),
      { numRuns: 150 },
    );
    await stillServing();
  });
});

describe('fuzzing the TLS port', () => {
  it('garbage instead of a TLS handshake is dropped without leaks; TLS clients and others are still served', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 400 }).map((a) => Buffer.from(a)),
          // Something that starts like a TLS record and then goes wrong.
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01]), Buffer.from(a)])),
          fc.constantFrom(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.concat(encodeRequest(ApiKey.ApiVersions, 3, 1, 'plain', {}))),
        ),
        async (garbage) => {
          const socket = net.connect(sb.port('SSL'), '127.0.0.1');
          const all = received(socket, 1_000);
          socket.on('connect', () => socket.end(garbage));
          expectNoLeak(await all);
        },
      ),
      { numRuns: 100 },
    );
    const tlsClient = await KafkaConnection.connect({ host: '127.0.0.1', port: sb.port('SSL'), ssl: { ca: certs.caCert } });
    expect((await tlsClient.send(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false })).body.brokers[0]!.port).toBe(sb.port('SSL'));
    await tlsClient.close();
    await stillServing();
    expect(sb.server.connectionCount).toBe(1); // the bystander only: nothing from the fuzzing lingers
  });
});
