import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../broker/record-batch.js';
import { isStreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { MetadataResponse } from '../../protocol/messages.js';
import type { TimerHandle, Timers } from '../../util/timers.js';
import { KafkaConnection } from './connection.js';
import { FakeKafkaBroker, type FakeHandler } from './fake-kafka-broker.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Timers a test fires by hand: no real waiting for timeouts. */
class ManualTimers implements Timers {
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  #next = 0;
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle as number);
  }
  /** Fires the timers set for exactly `ms`. */
  fire(ms: number): void {
    for (const [id, t] of [...this.pending]) {
      if (t.ms !== ms) continue;
      this.pending.delete(id);
      t.fn();
    }
  }
}

function metadata(controllerId: number): MetadataResponse {
  return { throttleTimeMs: 0, brokers: [], clusterId: null, controllerId, topics: [] };
}

async function fake(handler: FakeHandler, options?: Parameters<typeof FakeKafkaBroker.listen>[1]): Promise<FakeKafkaBroker> {
  const f = await FakeKafkaBroker.listen(handler, options);
  cleanups.push(() => f.close());
  return f;
}

async function connect(f: FakeKafkaBroker, timers?: Timers): Promise<KafkaConnection> {
  const c = await KafkaConnection.connect({ host: '127.0.0.1', port: f.port, clientId: 'test', ...(timers ? { timers } : {}) });
  cleanups.push(() => c.close());
  return c;
}

const METADATA = { topics: null, allowAutoTopicCreation: false };

describe('KafkaConnection', () => {
  it('negotiates versions with ApiVersions v3: min(ours, theirs), refusing keys without overlap', async () => {
    const versions = new Map<number, readonly [number, number]>([
      [ApiKey.ApiVersions, [0, 3]],
      [ApiKey.Metadata, [4, 12]],
      [ApiKey.Produce, [3, 7]],
      [ApiKey.Fetch, [12, 16]],
    ]);
    const f = await fake(() => undefined, { versions });
    const c = await connect(f);
    expect(f.requestsOf(ApiKey.ApiVersions).map((r) => r.apiVersion)).toEqual([3]);
    expect(c.versionFor(ApiKey.Metadata)).toBe(8); // ours max 8, theirs 12
    expect(c.versionFor(ApiKey.Produce)).toBe(7); // theirs max 7
    expect(() => c.versionFor(ApiKey.Fetch)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' })); // ours 4-11, theirs 12-16
    expect(() => c.versionFor(ApiKey.JoinGroup)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' })); // not listed
    await expect(c.send(ApiKey.Fetch, {} as never)).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
  });

  it('falls back when the broker refuses ApiVersions v3: to its listed max, or to v0', async () => {
    const old = await fake(() => undefined, { versions: new Map([[ApiKey.ApiVersions, [0, 2]], [ApiKey.Metadata, [0, 5]]]) });
    const c = await connect(old);
    expect(old.requestsOf(ApiKey.ApiVersions).map((r) => r.apiVersion)).toEqual([3, 2]);
    expect(c.versionFor(ApiKey.Metadata)).toBe(5);

    const older = await fake(() => undefined, { versions: new Map([[ApiKey.ApiVersions, [0, 1]], [ApiKey.Metadata, [0, 1]]]), listKeysOnRefusal: false });
    const d = await connect(older);
    expect(older.requestsOf(ApiKey.ApiVersions).map((r) => r.apiVersion)).toEqual([3, 0]);
    expect(d.versionFor(ApiKey.Metadata)).toBe(1);
  });

  it('pipelines requests and matches responses by correlation id', async () => {
    const n = 20;
    let release!: () => void;
    const allIn = new Promise<void>((resolve) => (release = resolve));
    const f = await fake(async (r) => {
      if (r.apiKey !== ApiKey.Metadata) return undefined;
      // Hold every answer until all requests are in: they must have been written without waiting.
      if (f.requestsOf(ApiKey.Metadata).length === n) release();
      await allIn;
      return { body: metadata(r.correlationId * 10) };
    });
    const c = await connect(f);
    const replies = await Promise.all(Array.from({ length: n }, () => c.send(ApiKey.Metadata, METADATA)));
    const ids = f.requestsOf(ApiKey.Metadata).map((r) => r.correlationId);
    expect(new Set(ids).size).toBe(n);
    expect(replies.map((r) => r.body.controllerId)).toEqual(ids.map((id) => id * 10));
    expect(replies.every((r) => r.version === 8)).toBe(true);
    expect(c.inFlight).toBe(0);
  });

  it('a request without an answer times out (TIMEOUT), closing the connection: the others fail NETWORK_FAILED', async () => {
    const timers = new ManualTimers();
    const f = await fake((r) => (r.apiKey === ApiKey.Metadata ? 'no-response' : undefined));
    const c = await connect(f, timers);
    const slow = c.send(ApiKey.Metadata, METADATA, { timeoutMs: 100 });
    const other = c.send(ApiKey.Metadata, METADATA, { timeoutMs: 5000 });
    const closed = new Promise((resolve) => c.onClose(resolve));
    timers.fire(100);
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT', retriable: true });
    await expect(other).rejects.toMatchObject({ code: 'NETWORK_FAILED', retriable: true });
    expect(await closed).toMatchObject({ code: 'NETWORK_FAILED' });
    expect(c.isOpen).toBe(false);
    await expect(c.send(ApiKey.Metadata, METADATA)).rejects.toMatchObject({ code: 'NETWORK_FAILED' });
  });

  it('requests in flight fail with NETWORK_FAILED when the broker dies', async () => {
    const f = await fake((r) => (r.apiKey === ApiKey.Metadata ? 'no-response' : undefined));
    const c = await connect(f);
    const inFlight = [c.send(ApiKey.Metadata, METADATA), c.send(ApiKey.Metadata, METADATA)];
    while (f.requestsOf(ApiKey.Metadata).length < 2) await new Promise((r) => setImmediate(r));
    await f.kill();
    for (const p of inFlight) await expect(p).rejects.toMatchObject({ code: 'NETWORK_FAILED', retriable: true });
    expect(c.isOpen).toBe(false);
    await expect(KafkaConnection.connect({ host: '127.0.0.1', port: f.port })).rejects.toMatchObject({ code: 'NETWORK_FAILED' });
  });

  it('a connect that does not complete in time fails NETWORK_FAILED', async () => {
    // A server that accepts but never answers ApiVersions.
    const server = net.createServer((s) => s.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sockets: net.Socket[] = [];
    server.on('connection', (s) => sockets.push(s));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }));
    const timers = new ManualTimers();
    const p = KafkaConnection.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, connectTimeoutMs: 250, timers });
    while (![...timers.pending.values()].some((t) => t.ms === 250 && sockets.length > 0)) await new Promise((r) => setImmediate(r));
    timers.fire(250);
    const e = await p.catch((x: unknown) => x);
    expect(isStreamsError(e) && (e.code === 'TIMEOUT' || e.code === 'NETWORK_FAILED')).toBe(true);
  });

  it('closes on a response frame whose size is out of bounds (CORRUPT_MESSAGE), failing what is in flight', async () => {
    const f = await fake((r) => (r.apiKey === ApiKey.Metadata ? 'no-response' : undefined));
    const c = await connect(f);
    const pending = c.send(ApiKey.Metadata, METADATA);
    const closed = new Promise((resolve) => c.onClose(resolve));
    while (f.requestsOf(ApiKey.Metadata).length < 1) await new Promise((r) => setImmediate(r));
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(0x7fffffff);
    f.writeRaw(huge);
    await expect(pending).rejects.toMatchObject({ code: 'NETWORK_FAILED' });
    expect(await closed).toMatchObject({ code: 'CORRUPT_MESSAGE' });
  });

  it('a response split across many TCP chunks, and several in one chunk, decode the same', async () => {
    const f = await fake((r) => (r.apiKey === ApiKey.Metadata ? 'no-response' : undefined));
    const c = await connect(f);
    const p1 = c.send(ApiKey.Metadata, METADATA);
    const p2 = c.send(ApiKey.Metadata, METADATA);
    while (f.requestsOf(ApiKey.Metadata).length < 2) await new Promise((r) => setImmediate(r));
    const [a, b] = f.requestsOf(ApiKey.Metadata);
    const { encodeResponse } = await import('../../protocol/codec.js');
    const frames = Buffer.concat([...encodeResponse(ApiKey.Metadata, 8, a!.correlationId, metadata(1)), ...encodeResponse(ApiKey.Metadata, 8, b!.correlationId, metadata(2))]);
    for (let i = 0; i < frames.length; i += 3) f.writeRaw(frames.subarray(i, i + 3));
    expect((await p1).body.controllerId).toBe(1);
    expect((await p2).body.controllerId).toBe(2);
  });

  it('a Produce with acks 0 resolves once written (no response comes)', async () => {
    const f = await fake((r) => (r.apiKey === ApiKey.Produce ? 'no-response' : undefined));
    const c = await connect(f);
    const records = encodeBatch([{ key: null, value: Buffer.from('x'), timestampMs: 1 }]);
    const r = await c.send(ApiKey.Produce, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] });
    expect(r.body.responses).toEqual([]);
    expect(c.inFlight).toBe(0);
    while (f.requestsOf(ApiKey.Produce).length < 1) await new Promise((res) => setImmediate(res));
    expect(f.requestsOf(ApiKey.Produce)[0]!.body.topicData[0]!.partitionData[0]!.records).toEqual(records);
  });
});
