/**
 * Captures real Kafka clients' request frames, and tributary's response frames, as golden fixtures for the codec
 * (src/protocol/golden.test.ts). Run by hand, not in CI:
 *
 *   npx tsx test/interop/capture.ts [outDir]     (default outDir: src/protocol/__fixtures__)
 *
 * It starts a broker in a temporary directory with its KafkaServer, puts a frame-level TCP proxy in front of it, and
 * drives kcat and kafkajs through the proxy in named scenarios (the names, topics, groups and transactional ids are
 * the ones golden.test.ts checks). The proxy records each request frame and its response frame (the bytes after
 * the 4-byte size prefix, exactly as sent) and rewrites the port in Metadata and FindCoordinator responses so the
 * clients stay on the proxy (the recorded response is the server's original). It writes one JSON file per client.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { inProcessClients } from '../../src/client/in-process/in-process-clients.js';
import { ApiKey, apiName } from '../../src/protocol/api-keys.js';
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeResponse } from '../../src/protocol/codec.js';
import type { FindCoordinatorResponse, MetadataResponse } from '../../src/protocol/messages.js';
import { startInteropBroker } from './interop-broker.js';
import { requireKcat, runKcatOk } from './kcat.js';

/** One request and its response, as the fixture files hold them. */
interface Exchange {
  readonly scenario: string;
  readonly api: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The request frame after its size prefix, hex. */
  readonly request: string;
  /** The response frame after its size prefix, hex; null for a request without response (Produce acks=0). */
  readonly response: string | null;
}

interface Pending {
  readonly scenario: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly request: Buffer;
}

/** Splits a byte stream into size-prefixed frames. */
class FrameSplitter {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Buffer[] = [];
    while (this.#buf.length >= 4) {
      const size = this.#buf.readInt32BE(0);
      if (this.#buf.length < 4 + size) break;
      out.push(this.#buf.subarray(4, 4 + size));
      this.#buf = this.#buf.subarray(4 + size);
    }
    return out;
  }
}

function sizePrefixed(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
}

/** A TCP proxy that records every exchange under the current scenario name. */
class CaptureProxy {
  scenario = 'setup';
  readonly exchanges: Exchange[] = [];
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  private constructor(
    readonly upstreamPort: number,
    server: net.Server,
  ) {
    this.#server = server;
  }

  static async start(upstreamPort: number): Promise<CaptureProxy> {
    const server = net.createServer();
    const proxy = new CaptureProxy(upstreamPort, server);
    server.on('connection', (client) => proxy.#connect(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  #connect(client: net.Socket): void {
    const upstream = net.connect(this.upstreamPort, '127.0.0.1');
    this.#sockets.add(client).add(upstream);
    const pending: Pending[] = [];
    const fromClient = new FrameSplitter();
    const fromServer = new FrameSplitter();
    client.on('data', (chunk) => {
      for (const frame of fromClient.push(chunk)) {
        const apiKey = frame.readInt16BE(0);
        const apiVersion = frame.readInt16BE(2);
        const correlationId = frame.readInt32BE(4);
        const clientIdLength = frame.readInt16BE(8);
        const clientId = clientIdLength < 0 ? null : frame.toString('utf8', 10, 10 + clientIdLength);
        const p: Pending = { scenario: this.scenario, apiKey, apiVersion, correlationId, clientId, request: Buffer.from(frame) };
        if (isSilentProduce(frame, apiKey, apiVersion)) this.#record(p, null);
        else pending.push(p);
        upstream.write(sizePrefixed(frame));
      }
    });
    upstream.on('data', (chunk) => {
      for (const frame of fromServer.push(chunk)) {
        const p = pending.shift();
        if (p === undefined || p.correlationId !== frame.readInt32BE(0)) throw new Error(`response out of order on a captured connection (${p?.correlationId} vs ${frame.readInt32BE(0)})`);
        this.#record(p, Buffer.from(frame));
        client.write(sizePrefixed(this.#rewritePorts(p, frame)));
      }
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  #record(p: Pending, response: Buffer | null): void {
    this.exchanges.push({
      scenario: p.scenario,
      api: apiName(p.apiKey),
      apiKey: p.apiKey,
      apiVersion: p.apiVersion,
      correlationId: p.correlationId,
      clientId: p.clientId,
      request: p.request.toString('hex'),
      response: response === null ? null : response.toString('hex'),
    });
  }

  /** Metadata and FindCoordinator name the server's port: point them at the proxy. */
  #rewritePorts(p: Pending, frame: Buffer): Buffer {
    if (p.apiKey === ApiKey.Metadata) {
      const { correlationId, body } = decodeResponse(ApiKey.Metadata, p.apiVersion, frame);
      const rewritten: MetadataResponse = { ...body, brokers: (body.brokers ?? []).map((b) => ({ ...b, port: this.port })) };
      return Buffer.concat(encodeResponse(ApiKey.Metadata, p.apiVersion, correlationId, rewritten)).subarray(4);
    }
    if (p.apiKey === ApiKey.FindCoordinator) {
      const { correlationId, body } = decodeResponse(ApiKey.FindCoordinator, p.apiVersion, frame);
      const rewritten: FindCoordinatorResponse = {
        ...body,
        port: this.port,
        ...(body.coordinators == null ? {} : { coordinators: body.coordinators.map((c) => ({ ...c, port: this.port })) }),
      };
      return Buffer.concat(encodeResponse(ApiKey.FindCoordinator, p.apiVersion, correlationId, rewritten)).subarray(4);
    }
    return frame;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function isSilentProduce(frame: Buffer, apiKey: number, apiVersion: number): boolean {
  if (apiKey !== ApiKey.Produce) return false;
  const h = decodeRequestHeader(frame);
  return decodeRequestBody(ApiKey.Produce, apiVersion, frame, h.bodyOffset).acks === 0;
}

/** What makes two requests of one API worth keeping both: transactional or not, group or transaction, commit or abort. */
function variantOf(e: Exchange): string {
  const frame = Buffer.from(e.request, 'hex');
  const offset = decodeRequestHeader(frame).bodyOffset;
  switch (e.apiKey) {
    case ApiKey.InitProducerId:
      return decodeRequestBody(ApiKey.InitProducerId, e.apiVersion, frame, offset).transactionalId === null ? 'idempotent' : 'transactional';
    case ApiKey.FindCoordinator:
      return `key-type-${decodeRequestBody(ApiKey.FindCoordinator, e.apiVersion, frame, offset).keyType ?? 0}`;
    case ApiKey.EndTxn:
      return decodeRequestBody(ApiKey.EndTxn, e.apiVersion, frame, offset).committed === true ? 'commit' : 'abort';
    default:
      return '';
  }
}

/**
 * The exchanges worth keeping: per (scenario, API, version, variant) the first one, except for Fetch, where the one
 * with the largest response (records in it) is kept.
 */
function select(exchanges: readonly Exchange[]): Exchange[] {
  const chosen = new Map<string, Exchange>();
  for (const e of exchanges) {
    const id = `${e.scenario}/${e.apiKey}/${e.apiVersion}/${variantOf(e)}`;
    const prev = chosen.get(id);
    if (prev === undefined || (e.apiKey === ApiKey.Fetch && (e.response?.length ?? 0) > (prev.response?.length ?? 0))) chosen.set(id, e);
  }
  return [...chosen.values()];
}

const KCAT_CLIENT_ID = 'golden-kcat';
const KAFKAJS_CLIENT_ID = 'golden-kafkajs';

async function captureKcat(proxy: CaptureProxy, seed: (topic: string) => Promise<void>): Promise<void> {
  const base = ['-b', `127.0.0.1:${proxy.port}`, '-X', `client.id=${KCAT_CLIENT_ID}`, '-m', '10'];
  const lines = 'k1:v1\nk2:v2\nk3:v3\n';
  proxy.scenario = 'list';
  await runKcatOk([...base, '-L']);
  proxy.scenario = 'produce-plain';
  await runKcatOk([...base, '-P', '-t', 'golden-kcat-plain', '-K:', '-H', 'h=1'], { stdin: lines });
  proxy.scenario = 'produce-idempotent';
  await runKcatOk([...base, '-P', '-t', 'golden-kcat-idempotent', '-K:', '-X', 'enable.idempotence=true'], { stdin: lines });
  proxy.scenario = 'produce-transactional';
  await runKcatOk([...base, '-P', '-t', 'golden-kcat-transactional', '-K:', '-X', 'transactional.id=golden-kcat-tx'], { stdin: lines });
  proxy.scenario = 'consume';
  await runKcatOk([...base, '-C', '-t', 'golden-kcat-plain', '-e', '-o', 'beginning']);
  proxy.scenario = 'group';
  await seed('golden-kcat-group');
  const member = spawn('kcat', [...base, '-u', '-G', 'golden-kcat-group', '-X', 'auto.offset.reset=earliest', '-X', 'heartbeat.interval.ms=100', '-X', 'auto.commit.interval.ms=200', 'golden-kcat-group'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  member.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 15_000;
  while (out.split('\n').length < 4 && Date.now() < deadline) await sleep(50);
  await sleep(1_000); // heartbeats and an auto-commit
  const exited = new Promise((resolve) => member.on('close', resolve));
  member.kill('SIGTERM'); // kcat commits and leaves the group on SIGTERM
  await exited;
}

async function captureKafkajs(proxy: CaptureProxy, seed: (topic: string) => Promise<void>): Promise<void> {
  const kafka = new Kafka({ clientId: KAFKAJS_CLIENT_ID, brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING });
  const messages = [
    { key: 'k1', value: 'v1', headers: { h: '1' } },
    { key: 'k2', value: 'v2' },
    { key: 'k3', value: 'v3' },
  ];
  proxy.scenario = 'admin';
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'golden-kafkajs-plain', numPartitions: 2 }, { topic: 'golden-kafkajs-doomed', numPartitions: 1 }] });
  await admin.listTopics();
  await admin.fetchTopicMetadata({ topics: ['golden-kafkajs-plain'] });
  await admin.deleteTopics({ topics: ['golden-kafkajs-doomed'] });

  proxy.scenario = 'produce-plain';
  const plain = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await plain.connect();
  await plain.send({ topic: 'golden-kafkajs-plain', messages });
  await plain.disconnect();

  proxy.scenario = 'produce-idempotent';
  const idem = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await idem.connect();
  await idem.send({ topic: 'golden-kafkajs-idempotent', messages });
  await idem.disconnect();

  proxy.scenario = 'produce-transactional';
  const tx = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, transactionalId: 'golden-kafkajs-tx', idempotent: true, maxInFlightRequests: 1 });
  await tx.connect();
  const committed = await tx.transaction();
  await committed.send({ topic: 'golden-kafkajs-transactional', messages });
  await committed.sendOffsets({ consumerGroupId: 'golden-kafkajs-group', topics: [{ topic: 'golden-kafkajs-plain', partitions: [{ partition: 0, offset: '1' }] }] });
  await committed.commit();
  const aborted = await tx.transaction();
  await aborted.send({ topic: 'golden-kafkajs-transactional', messages: [{ value: 'aborted' }] });
  await aborted.abort();
  await tx.disconnect();

  proxy.scenario = 'group';
  await seed('golden-kafkajs-group');
  const consumer = kafka.consumer({ groupId: 'golden-kafkajs-group', heartbeatInterval: 100, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: ['golden-kafkajs-group'], fromBeginning: true });
  let consumed = 0;
  await consumer.run({ eachMessage: async () => void consumed++ });
  const deadline = Date.now() + 15_000;
  while (consumed < 3 && Date.now() < deadline) await sleep(50);
  await sleep(500); // heartbeats and the commit
  await consumer.disconnect();

  proxy.scenario = 'admin-groups';
  await admin.listGroups();
  await admin.describeGroups(['golden-kafkajs-group']);
  await admin.fetchOffsets({ groupId: 'golden-kafkajs-group', topics: ['golden-kafkajs-group'] });
  await admin.describeConfigs({ resources: [{ type: 2, name: 'golden-kafkajs-plain' }], includeSynonyms: false });
  await admin.disconnect();
}

async function main(): Promise<void> {
  requireKcat();
  const outDir = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../../src/protocol/__fixtures__'));
  const ib = await startInteropBroker();
  const proxy = await CaptureProxy.start(ib.port);
  const producer = inProcessClients(ib.broker).producer();
  const seed = async (topic: string): Promise<void> => {
    if (!ib.broker.hasTopic(topic)) ib.broker.createTopic(topic, 2);
    await producer.send({ topic, messages: ['s1', 's2', 's3'].map((v, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(v) })) });
  };
  try {
    for (const t of ['golden-kcat-plain', 'golden-kcat-idempotent', 'golden-kcat-transactional', 'golden-kafkajs-idempotent', 'golden-kafkajs-transactional']) ib.broker.createTopic(t, 2);
    await captureKcat(proxy, seed);
    await sleep(200);
    await captureKafkajs(proxy, seed);
    await sleep(200);
  } finally {
    await proxy.close();
    await producer.close();
    await ib.close();
  }
  fs.mkdirSync(outDir, { recursive: true });
  const files: [string, string, string][] = [
    ['kcat.json', KCAT_CLIENT_ID, 'kcat 1.7.1 (librdkafka 2.0.2)'],
    ['kafkajs.json', KAFKAJS_CLIENT_ID, 'kafkajs 2.2.4'],
  ];
  for (const [file, clientId, client] of files) {
    const exchanges = select(proxy.exchanges.filter((e) => e.clientId === clientId));
    const doc = { client, capturedAt: new Date().toISOString().slice(0, 10), exchanges };
    fs.writeFileSync(path.join(outDir, file), `${JSON.stringify(doc, null, 1)}\n`);
    const summary = [...new Set(exchanges.map((e) => `${e.api} v${e.apiVersion}`))].sort().join(', ');
    process.stdout.write(`${file}: ${exchanges.length} exchanges (${summary})\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
