import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey, SUPPORTED_VERSIONS } from '../../protocol/api-keys.js';
import { decodeResponse, encodeRequest } from '../../protocol/codec.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import type { FetchRequest, MetadataRequest, ProduceRequest } from '../../protocol/messages.js';
import { silentLogger } from '../../util/logger.js';
import { Broker } from '../broker.js';
import { encodeBatch } from '../record-batch.js';
import { builtInHandlers, KafkaServer, type KafkaServerOptions } from './kafka-server.js';
import { RawKafkaSocket } from './raw-kafka-socket.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(options: KafkaServerOptions = {}): Promise<{ broker: Broker; server: KafkaServer }> {
  const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0 });
  cleanups.push(() => broker.close());
  const server = await KafkaServer.listen(broker, { port: 0, logger: silentLogger(), ...options });
  cleanups.push(() => server.close());
  broker.createTopic('t', 1);
  return { broker, server };
}

async function connect(server: KafkaServer): Promise<RawKafkaSocket> {
  const c = await RawKafkaSocket.connect(server.address.port);
  cleanups.push(() => c.close());
  return c;
}

const METADATA: MetadataRequest = { topics: null };

function fetchRequest(offset: number, maxWaitMs: number): FetchRequest {
  return {
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1_048_576,
    isolationLevel: 0,
    topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1_048_576 }] }],
  };
}

function produceRequest(value: string, acks = -1, topic = 't'): ProduceRequest {
  const records = encodeBatch([{ key: null, value: Buffer.from(value), timestampMs: 1 }]);
  return { transactionalId: null, acks, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

/** A round trip on another connection: by then the server has handled whatever this test wrote before. */
async function settle(server: KafkaServer): Promise<void> {
  const probe = await RawKafkaSocket.connect(server.address.port);
  await probe.request(ApiKey.ApiVersions, 0, {});
  probe.close();
}

function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size);
  return b;
}

describe('KafkaServer', () => {
  it('has a handler for every API that ApiVersions advertises', () => {
    const missing = [...SUPPORTED_VERSIONS.keys()].filter((k) => (builtInHandlers as Record<number, unknown>)[k] === undefined);
    expect(missing).toEqual([]);
  });

  it('answers pipelined requests in request order even when a parked fetch finishes last', async () => {
    const { server } = await start();
    const c = await connect(server);
    const fetched = c.request(ApiKey.Fetch, 11, fetchRequest(0, 20_000));
    const metadata = c.request(ApiKey.Metadata, 1, METADATA);
    const versions = c.request(ApiKey.ApiVersions, 2, {});
    await settle(server);
    expect(c.received).toEqual([]); // metadata and versions are done, but wait behind the parked fetch
    const producer = await connect(server);
    await producer.request(ApiKey.Produce, 7, produceRequest('wake'));
    const [f, m, v] = await Promise.all([fetched, metadata, versions]);
    expect(f.responses[0]!.partitions[0]!.highWatermark).toBe(1);
    expect(m.topics!.length).toBeGreaterThan(0);
    expect(v.errorCode).toBe(0);
    expect(c.received).toEqual([1, 2, 3]);
  });

  it('parses frames split across writes and several frames in one write', async () => {
    const { server } = await start();
    const c = await connect(server);
    const frames = [1, 2, 3].map((id) => Buffer.concat(encodeRequest(ApiKey.ApiVersions, 1, id, 'split', {})));
    const responses = [1, 2, 3].map((id) => c.expect(ApiKey.ApiVersions, 1, id));
    const all = Buffer.concat([...frames, Buffer.concat(encodeRequest(ApiKey.Produce, 7, 4, 'split', produceRequest('bytewise')))]);
    const produced = c.expect(ApiKey.Produce, 7, 4);
    // The first frames in one write, the produce one byte at a time.
    c.socket.write(all.subarray(0, frames[0]!.length * 3 + 2));
    for (let i = frames[0]!.length * 3 + 2; i < all.length; i++) c.socket.write(all.subarray(i, i + 1));
    expect((await Promise.all(responses)).map((r) => r.errorCode)).toEqual([0, 0, 0]);
    expect((await produced).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  });

  it('closes a connection whose request size is too large or negative, and only that one', async () => {
    const { server } = await start({ maxRequestBytes: 1024 });
    const ok = await connect(server);
    const big = await connect(server);
    const negative = await connect(server);
    big.socket.write(sizePrefix(1025));
    negative.socket.write(sizePrefix(-5));
    await Promise.all([big.closed, negative.closed]);
    expect((await ok.request(ApiKey.ApiVersions, 2, {})).errorCode).toBe(0);
    expect(ok.isClosed).toBe(false);
  });

  it('closes the connection on garbage, a truncated body, or an unknown api key', async () => {
    const { server } = await start();
    const garbage = await connect(server);
    garbage.socket.write(Buffer.concat([sizePrefix(3), Buffer.from([1, 2, 3])]));
    const truncated = await connect(server);
    const frame = Buffer.concat(encodeRequest(ApiKey.Metadata, 1, 1, 'x', { topics: [{ name: 'abc' }] }));
    truncated.socket.write(Buffer.concat([sizePrefix(frame.length - 4 - 2), frame.subarray(4, frame.length - 2)]));
    const unknown = await connect(server);
    const unknownFrame = Buffer.concat(encodeRequest(ApiKey.ApiVersions, 0, 1, 'x', {}));
    unknownFrame.writeInt16BE(99, 4); // api key 99
    unknown.socket.write(unknownFrame);
    await Promise.all([garbage.closed, truncated.closed, unknown.closed]);
    const ok = await connect(server);
    expect((await ok.request(ApiKey.ApiVersions, 0, {})).errorCode).toBe(0);
  });

  it('answers ApiVersions at an unsupported version with a v0 body: UNSUPPORTED_VERSION and the full list', async () => {
    const { server } = await start();
    const c = await connect(server);
    const frame = Buffer.concat(encodeRequest(ApiKey.ApiVersions, 0, 42, 'x', {}));
    frame.writeInt16BE(99, 6); // api version 99
    const answer = c.expect(ApiKey.ApiVersions, 0, 42);
    c.socket.write(frame);
    const res = await answer;
    expect(res.errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION);
    expect(res.apiKeys).toHaveLength(SUPPORTED_VERSIONS.size);
    expect((await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })).errorCode).toBe(0);
  });

  it('closes the connection for another API at an unsupported version', async () => {
    const { server } = await start();
    const c = await connect(server);
    c.writeChunks(encodeRequest(ApiKey.Metadata, 9, 1, 'x', METADATA)); // Metadata 9 is flexible: not advertised
    await c.closed;
  });

  it('sends no response to acks=0, and closes the connection when such a produce fails', async () => {
    const { broker, server } = await start();
    const c = await connect(server);
    c.send(ApiKey.Produce, 7, produceRequest('fire-and-forget', 0));
    const md = await c.request(ApiKey.Metadata, 1, METADATA);
    expect(md.topics!.length).toBeGreaterThan(0);
    expect(c.received).toEqual([2]);
    expect(broker.partitionLog('t', 0).highWatermark).toBe(1);
    c.send(ApiKey.Produce, 7, produceRequest('lost', 0, 'missing-topic'));
    await c.closed;
  });

  it('closes the connection when a handler throws, and keeps serving others', async () => {
    const { server } = await start({
      extraHandlers: {
        [ApiKey.ListGroups]: () => {
          throw new Error('boom');
        },
      },
    });
    const c = await connect(server);
    await expect(c.request(ApiKey.ListGroups, 2, {})).rejects.toThrow(/closed/);
    const ok = await connect(server);
    expect((await ok.request(ApiKey.ApiVersions, 0, {})).errorCode).toBe(0);
  });

  it('caps requests in flight per connection: later requests are not even read until earlier ones finish', async () => {
    let handled = 0;
    const { server } = await start({
      maxInFlightPerConnection: 2,
      extraHandlers: {
        [ApiKey.ListGroups]: () => {
          handled++;
          return { throttleTimeMs: 0, errorCode: 0, groups: [] };
        },
      },
    });
    const c = await connect(server);
    const parked = [c.request(ApiKey.Fetch, 11, fetchRequest(0, 20_000)), c.request(ApiKey.Fetch, 11, fetchRequest(0, 20_000))];
    const later = Array.from({ length: 20 }, () => c.request(ApiKey.ListGroups, 2, {}));
    await settle(server);
    expect(handled).toBe(0);
    const producer = await connect(server);
    await producer.request(ApiKey.Produce, 7, produceRequest('go'));
    await Promise.all([...parked, ...later]);
    expect(handled).toBe(20);
    expect(c.received).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
  });

  it('reads no further request while a Fetch is in flight (a client cannot pipeline many large fetches)', async () => {
    let fetches = 0;
    const fetch = builtInHandlers[ApiKey.Fetch]!;
    const { server } = await start({
      extraHandlers: {
        [ApiKey.Fetch]: (ctx, req) => {
          fetches++;
          return fetch(ctx, req);
        },
      },
    });
    const c = await connect(server);
    const parked = [1, 2, 3].map(() => c.request(ApiKey.Fetch, 11, fetchRequest(0, 20_000)));
    await settle(server);
    expect(fetches).toBe(1);
    const producer = await connect(server);
    await producer.request(ApiKey.Produce, 7, produceRequest('go'));
    await Promise.all(parked);
    expect(fetches).toBe(3);
  });

  it('closes a connection idle for connectionsMaxIdleMs, but not one whose long poll is parked', async () => {
    const { server } = await start({ connectionsMaxIdleMs: 150 });
    const idle = await connect(server);
    const polling = await connect(server);
    const parked = polling.request(ApiKey.Fetch, 11, fetchRequest(0, 600));
    await idle.closed;
    expect(polling.isClosed).toBe(false);
    expect((await parked).responses[0]!.partitions[0]!.errorCode).toBe(0);
  });

  it('refuses DeleteRecords on the coordinators\' internal topics (INVALID_TOPIC_EXCEPTION)', async () => {
    const { broker, server } = await start();
    const c = await connect(server);
    const res = await c.request(ApiKey.DeleteRecords, 1, {
      topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, offset: -1 }] }, { name: 't', partitions: [{ partitionIndex: 0, offset: 0 }] }],
      timeoutMs: 1_000,
    });
    expect(res.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([KafkaErrorCode.INVALID_TOPIC_EXCEPTION, 0]);
    // Only the coordinators' topics are internal: a user's `__` topic is an ordinary one.
    broker.createTopic('__heartbeat', 1);
    expect(broker.describeTopic('__heartbeat').isInternal).toBe(false);
    expect(broker.describeTopic('__consumer_offsets').isInternal).toBe(true);
  });

  it('refuses connections beyond the per-address limit', async () => {
    const { server } = await start({ maxConnectionsPerIp: 2 });
    const a = await connect(server);
    await connect(server);
    const third = await connect(server);
    await third.closed;
    await a.request(ApiKey.ApiVersions, 0, {});
    expect(server.connectionCount).toBe(2);
    a.close();
    await a.closed;
    while (server.connectionCount > 1) await new Promise((r) => setTimeout(r, 5));
    const again = await connect(server);
    expect((await again.request(ApiKey.ApiVersions, 0, {})).errorCode).toBe(0);
  });

  it('closes gracefully: a parked fetch is answered, then the connection ends; the broker stays open', async () => {
    const { broker, server } = await start();
    const c = await connect(server);
    const parked = c.request(ApiKey.Fetch, 11, fetchRequest(0, 60_000));
    await settle(server);
    const started = Date.now();
    await server.close();
    const f = await parked;
    expect(f.responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(f.responses[0]!.partitions[0]!.records?.length ?? 0).toBe(0);
    await c.closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.connectionCount).toBe(0);
    expect(broker.isClosed).toBe(false);
    await expect(RawKafkaSocket.connect(server.address.port)).rejects.toThrow();
  });

  it('is reachable through Broker.listen with advertised host and port in Metadata', async () => {
    const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0 });
    cleanups.push(() => broker.close());
    const server = await broker.listen({ port: 0, advertisedHost: 'kafka.example', advertisedPort: 19092, nodeId: 3, logger: silentLogger() });
    cleanups.push(() => server.close());
    const c = await connect(server);
    const md = await c.request(ApiKey.Metadata, 8, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(md.brokers).toEqual([{ nodeId: 3, host: 'kafka.example', port: 19092, rack: null }]);
    expect(md.controllerId).toBe(3);
  });

  it('a raw socket sees the response frame bytes of a v0 ApiVersions exactly as Kafka lays them out', async () => {
    const { server } = await start();
    const socket = net.connect(server.address.port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    const data = new Promise<Buffer>((resolve) => socket.once('data', (b: Buffer) => resolve(b)));
    socket.write(Buffer.concat(encodeRequest(ApiKey.ApiVersions, 0, 7, null, {})));
    const bytes = await data;
    const size = bytes.readInt32BE(0);
    expect(bytes.length).toBe(4 + size);
    // int32 correlation id, int16 error, int32 count, then (int16 key, int16 min, int16 max) per API.
    expect(size).toBe(4 + 2 + 4 + 6 * SUPPORTED_VERSIONS.size);
    expect(decodeResponse(ApiKey.ApiVersions, 0, bytes.subarray(4)).correlationId).toBe(7);
  });
});
