import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { KafkaServer } from '../../src/broker/server/kafka-server.js';
import { inProcessClients } from '../../src/client/in-process/in-process-clients.js';
import { Serdes } from '../../src/serdes/serdes.js';
import { silentLogger } from '../../src/util/logger.js';
import { KafkaStreams } from '../../runtime/kafka-streams.js';
import { InteractiveQueryClient } from '../../runtime/service/iq-client.js';
import { FORWARDED_HEADER, SERVED_BY_HEADER } from '../../runtime/service/iq-forwarder.js';
import { StreamsHttpServer } from '../../runtime/service/streams-http-server.js';
import { expectedCounts, waitUntil, wordCountTopology } from '../helpers/word-count-topology.js';

const S = Serdes.String();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-iq-forwarding-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A port free now (the OS hands out a fresh one per listen on 0; the tiny race with other processes is acceptable). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function get(base: string, p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; servedBy: string | null; headers: Headers }> {
  const res = await fetch(base + p, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, servedBy: res.headers.get(SERVED_BY_HEADER), headers: res.headers };
}

const LINES = [
  'the river runs to the sea',
  'a river of words flows on',
  'words words everywhere and not a drop to drink',
  'the quick brown fox jumps over the lazy dog',
  'sea salt and river stones',
  'every word is counted once per line it appears in',
];

describe('interactive queries across two instances (forwarding to the owner)', () => {
  it.each(['in-process', 'network'] as const)('over the %s broker: every word is readable from both servers; the non-owner forwards; ranges gather from both', async (kind) => {
    const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
    broker.createTopic('lines', 4);
    const kafkaServer = kind === 'network' ? await KafkaServer.listen(broker, { port: 0, logger: silentLogger() }) : null;
    const target = kafkaServer === null ? broker : `${kafkaServer.address.host}:${kafkaServer.address.port}`;
    const ports = [await freePort(), await freePort()];
    const endpoints = ports.map((p) => `127.0.0.1:${p}`);
    const instances = ports.map(
      (port, i) =>
        new KafkaStreams(wordCountTopology(), {
          applicationId: `iq-forwarding-${kind}`,
          broker: target,
          stateDir: path.join(root, `${kind}-${i}`),
          applicationServer: `127.0.0.1:${port}`,
          commitIntervalMs: 50,
          pollMs: 20,
          sessionTimeoutMs: 500,
          heartbeatIntervalMs: 50,
          logger: silentLogger(),
        }),
    );
    const servers: StreamsHttpServer[] = [];
    try {
      for (let i = 0; i < 2; i++) servers.push(await StreamsHttpServer.start(instances[i]!, { host: '127.0.0.1', port: ports[i]!, logger: silentLogger() }));
      const bases = servers.map((s) => `http://127.0.0.1:${s.address.port}`);
      expect(servers.map((s) => s.address.port)).toEqual(ports);

      // Before start: alive but not ready, and queries are refused with Retry-After.
      expect((await get(bases[0]!, '/health')).status).toBe(200);
      const notReady = await get(bases[0]!, '/ready');
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({ status: 'NOT_READY', state: 'CREATED' });
      const early = await get(bases[0]!, '/stores/counts/river');
      expect([early.status, early.body['code'], early.headers.get('retry-after')]).toEqual([503, 'NOT_RUNNING', '1']);

      for (const s of instances) await s.start();
      const producer = inProcessClients(broker).producer();
      await producer.send({ topic: 'lines', messages: LINES.map((l, i) => ({ key: S.serialize('lines', `l${i}`), value: S.serialize('lines', l) })) });
      const expected = expectedCounts(LINES);

      // Both RUNNING with tasks of the store; each knows both endpoints (the partitions-by-host map the group leader
      // hands out in the assignment user data); then the union of their stores is complete.
      const isRunningWithStore = (s: KafkaStreams): boolean => s.state === 'RUNNING' && s.localTasks().some((t) => t.stores.includes('counts'));
      await waitUntil(() => instances.every(isRunningWithStore), 'both instances running with tasks of the store');
      await waitUntil(
        () => instances.every((s) => isRunningWithStore(s) && s.allMetadataForStore('counts').length === 2),
        'every instance to know both endpoints (the group protocol must carry the streams assignor user data)',
        5_000,
      );
      expect(new Set(instances[1]!.allMetadataForStore('counts').map((m) => `${m.hostInfo.host}:${m.hostInfo.port}`))).toEqual(new Set(endpoints));
      const clients = bases.map((b) => new InteractiveQueryClient(b, { retries: 0 }));
      await waitUntil(async () => {
        if (!instances.every(isRunningWithStore)) return false;
        try {
          const all = await clients[0]!.all<string, string>('counts');
          return all.length === expected.size && all.every((e) => BigInt(e.value) === expected.get(e.key));
        } catch {
          return false; // a 503 while the group settles
        }
      }, 'both instances running with every count');

      // Each server answers every word, with the owner's value; the owner is the same whichever server is asked.
      const forwardedBy = [0, 0];
      for (const [word, count] of expected) {
        const answers = await Promise.all(bases.map((b) => get(b, `/stores/counts/${encodeURIComponent(word)}`)));
        for (let i = 0; i < 2; i++) {
          expect(answers[i]!.status).toBe(200);
          expect(answers[i]!.body).toEqual({ store: 'counts', key: word, value: count.toString() });
          if (answers[i]!.servedBy !== endpoints[i]) forwardedBy[i]!++;
        }
        expect(answers[0]!.servedBy).toBe(answers[1]!.servedBy);
        expect(endpoints).toContain(answers[0]!.servedBy);
        // queryMetadataForKey agrees with the server that answered.
        const meta = instances[0]!.queryMetadataForKey('counts', word, S);
        expect(`${meta.activeHost?.host}:${meta.activeHost?.port}`).toBe(answers[0]!.servedBy);
      }
      // Both instances own some words, so each server forwarded some and answered some itself.
      expect(forwardedBy[0]).toBeGreaterThan(0);
      expect(forwardedBy[1]).toBeGreaterThan(0);
      expect(forwardedBy[0]! + forwardedBy[1]!).toBe(expected.size);

      // A forwarded request that reaches a non-owner is refused, never forwarded again.
      const word = [...expected.keys()].find((w) => instances[0]!.queryMetadataForKey('counts', w, S).activeHost?.port === ports[1])!;
      const refused = await get(bases[0]!, `/stores/counts/${word}`, { [FORWARDED_HEADER]: '1' });
      expect([refused.status, refused.body]).toEqual([503, { error: 'not the owner', code: 'NOT_OWNER' }]);

      // Ranges and scans gather from both instances, in key order.
      const sorted = [...expected.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const b of bases) {
        const all = await get(b, '/stores/counts');
        expect(all.status).toBe(200);
        expect((all.body['results'] as { key: string }[]).map((e) => e.key)).toEqual(sorted);
        expect(all.body['instances']).toBe(2);
        const range = await get(b, '/stores/counts?from=d&to=s');
        expect((range.body['results'] as { key: string }[]).map((e) => e.key)).toEqual(sorted.filter((k) => k >= 'd' && k <= 's'));
      }
      // A forwarded scan answers from the receiver's own state only.
      const partial = await get(bases[1]!, '/stores/counts', { [FORWARDED_HEADER]: '1' });
      expect((partial.body['results'] as unknown[]).length).toBeLessThan(expected.size);

      // The typed client, through either server.
      for (const client of clients) {
        expect(await client.get<string, bigint>('counts', 'river', { value: (v) => BigInt(v as string) })).toBe(3n);
        expect(await client.get<string, string>('counts', 'no-such-word')).toBeNull();
        const range = await client.range<string, bigint>('counts', 'w', null, { value: (v) => BigInt(v as string) });
        expect(range).toEqual(sorted.filter((k) => k >= 'w').map((k) => ({ key: k, value: expected.get(k) })));
        expect(await client.all<string, string>('counts', { limit: 3 })).toHaveLength(3);
      }
      const ready = await Promise.all(bases.map((b) => get(b, '/ready')));
      expect(ready.map((r) => r.status)).toEqual([200, 200]);
    } finally {
      for (const s of servers) await s.close();
      for (const s of instances) await s.close({ timeoutMs: 5_000 });
      await kafkaServer?.close();
      await broker.close();
    }
  });
});
