import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BehaviorSubject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/util/logger.js';
import { wordCountTopology } from '../../test/helpers/word-count-topology.js';
import type { HostInfo } from '../host-info.js';
import type { KafkaStreams, KafkaStreamsState } from '../kafka-streams.js';
import type { KeyQueryMetadata, StreamsMetadata } from '../streams-metadata.js';
import { FORWARDED_HEADER } from './iq-forwarder.js';
import type { StreamsStatus } from './status-routes.js';
import { StreamsHttpServer } from './streams-http-server.js';

const emptyIterator = () => ({ next: () => ({ done: true, value: undefined }), close: () => undefined });

/**
 * A stand-in for KafkaStreams with the members the server uses, so states and owners that are hard to reach with a
 * real group (mid-rebalance, owner unknown or unreachable) can be set directly.
 */
class FakeStreams {
  state: KafkaStreamsState = 'RUNNING';
  readonly state$ = new BehaviorSubject<KafkaStreamsState>('RUNNING');
  readonly error = null;
  readonly applicationId = 'fake';
  readonly applicationServer = '127.0.0.1:1';
  owner: HostInfo | null = { host: '127.0.0.1', port: 1 };
  peers: StreamsMetadata[] = [];
  describe = () => wordCountTopology().describe();
  queryMetadataForKey = (): KeyQueryMetadata => ({ activeHost: this.owner, standbyHosts: [], partition: 3 });
  allMetadataForStore = (): StreamsMetadata[] => [{ hostInfo: { host: '127.0.0.1', port: 1 }, stateStoreNames: ['counts'], topicPartitions: [] }, ...this.peers];
  store = () => ({ get: () => 5n, all: emptyIterator, range: emptyIterator });
  localTasks = () => [];
  metrics = () => [];
}

/** A server that answers every request with one canned answer. */
async function cannedServer(status: number, body: unknown, headers: Record<string, string> = {}): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function serve(fake: FakeStreams): Promise<string> {
  const server = await StreamsHttpServer.start(fake as unknown as KafkaStreams, { host: '127.0.0.1', port: 0, logger: silentLogger(), forwardTimeoutMs: 2_000 });
  closers.push(() => server.close());
  return `http://127.0.0.1:${server.address.port}`;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after') };
}

describe('store routes: ownership and forwarding edge cases', () => {
  it('answers 503 with Retry-After while rebalancing or while no instance is known to own the key', async () => {
    const fake = new FakeStreams();
    const base = await serve(fake);
    expect(await get(`${base}/stores/counts/river`)).toMatchObject({ status: 200, body: { value: '5' } });
    fake.state = 'REBALANCING';
    expect(await get(`${base}/stores/counts/river`)).toEqual({ status: 503, body: { error: 'the instance is rebalancing; retry shortly', code: 'REBALANCE_IN_PROGRESS' }, retryAfter: '1' });
    expect(await get(`${base}/stores/counts`)).toMatchObject({ status: 503, retryAfter: '1' });
    fake.state = 'RUNNING';
    fake.owner = null;
    expect(await get(`${base}/stores/counts/river`)).toMatchObject({ status: 503, body: { code: 'OWNER_UNKNOWN' }, retryAfter: '1' });
    fake.state = 'PENDING_SHUTDOWN';
    expect(await get(`${base}/stores/counts/river`)).toMatchObject({ status: 503, body: { code: 'NOT_RUNNING' }, retryAfter: null });
  });

  it("passes the owner's answer on, errors included, and never forwards a forwarded request", async () => {
    const owner = await cannedServer(503, { error: 'the instance is rebalancing; retry shortly', code: 'REBALANCE_IN_PROGRESS' }, { 'retry-after': '1' });
    closers.push(owner.close);
    const fake = new FakeStreams();
    fake.owner = { host: '127.0.0.1', port: owner.port };
    const base = await serve(fake);
    expect(await get(`${base}/stores/counts/river`)).toMatchObject({ status: 503, body: { code: 'REBALANCE_IN_PROGRESS' }, retryAfter: '1' });
    expect(await get(`${base}/stores/counts/river`, { [FORWARDED_HEADER]: '1' })).toMatchObject({ status: 503, body: { error: 'not the owner', code: 'NOT_OWNER' } });
    // A scan that cannot reach every instance is not answered half.
    fake.peers = [{ hostInfo: { host: '127.0.0.1', port: owner.port }, stateStoreNames: ['counts'], topicPartitions: [] }];
    expect(await get(`${base}/stores/counts`)).toMatchObject({ status: 503, body: { code: 'REBALANCE_IN_PROGRESS' } });
  });

  it('an unreachable owner is 502 FORWARD_FAILED and shows in the recent errors', async () => {
    const gone = await cannedServer(200, {});
    await gone.close();
    const fake = new FakeStreams();
    fake.owner = { host: '127.0.0.1', port: gone.port };
    const base = await serve(fake);
    const answer = await get(`${base}/stores/counts/river`);
    expect(answer).toMatchObject({ status: 502, body: { code: 'FORWARD_FAILED' } });
    expect(answer.body['error']).toContain(`127.0.0.1:${gone.port}`);
    const status = (await get(`${base}/api/status`)).body as unknown as StreamsStatus;
    expect(status.errors).toHaveLength(1);
    expect(status.errors[0]).toMatchObject({ source: 'http', code: 'FORWARD_FAILED' });
  });
});
