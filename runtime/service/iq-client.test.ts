import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InteractiveQueryClient, InteractiveQueryError } from './iq-client.js';

/** A stub server answering from a script: each request gets the next scripted answer; the paths asked are kept. */
async function stub(answers: { status: number; body: unknown; headers?: Record<string, string> }[]): Promise<{ base: string; paths: string[]; close: () => Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    const a = answers.shift() ?? { status: 500, body: { error: 'script ran out', code: 'INTERNAL' } };
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/`,
    paths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function client(answers: Parameters<typeof stub>[0]): Promise<{ iq: InteractiveQueryClient; paths: string[] }> {
  const s = await stub(answers);
  closers.push(s.close);
  return { iq: new InteractiveQueryClient(s.base, { retries: 2, maxRetryWaitMs: 5, timeoutMs: 2_000 }), paths: s.paths };
}

describe('InteractiveQueryClient', () => {
  it('builds the store paths (keys percent-encoded) and decodes values', async () => {
    const { iq, paths } = await client([
      { status: 200, body: { store: 'counts', key: 'a/b c', value: '12' } },
      { status: 200, body: { results: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] } },
      { status: 200, body: { results: [{ key: 'x', value: '3' }] } },
      { status: 200, body: { results: [{ windowStartMs: 60_000, value: 4 }] } },
      { status: 200, body: { results: [] } },
    ]);
    expect(await iq.get<string, bigint>('counts', 'a/b c', { value: (v) => BigInt(v as string) })).toBe(12n);
    expect(await iq.range<string, bigint>('counts', 'a', 'b', { value: (v) => BigInt(v as string) })).toEqual([
      { key: 'a', value: 1n },
      { key: 'b', value: 2n },
    ]);
    expect(await iq.all<string, string>('counts', { limit: 5 })).toEqual([{ key: 'x', value: '3' }]);
    expect(await iq.windows<string, number>('per-minute', 'home', 0, 120_000)).toEqual([{ windowStartMs: 60_000, value: 4 }]);
    expect(await iq.range<number, unknown>('by-id', 5, null)).toEqual([]);
    expect(paths).toEqual([
      '/stores/counts/a%2Fb%20c',
      '/stores/counts?from=a&to=b',
      '/stores/counts?limit=5',
      '/stores/per-minute/home/windows?from=0&to=120000',
      '/stores/by-id?from=5',
    ]);
  });

  it('gives null for a missing key and retries 503 answers', async () => {
    const { iq, paths } = await client([
      { status: 404, body: { error: 'no value', code: 'KEY_NOT_FOUND' } },
      { status: 503, body: { error: 'rebalancing', code: 'REBALANCE_IN_PROGRESS' }, headers: { 'retry-after': '1' } },
      { status: 503, body: { error: 'rebalancing', code: 'REBALANCE_IN_PROGRESS' }, headers: { 'retry-after': '1' } },
      { status: 200, body: { value: 'v' } },
    ]);
    expect(await iq.get('counts', 'missing')).toBeNull();
    expect(await iq.get('counts', 'k')).toBe('v');
    expect(paths).toHaveLength(4);
  });

  it('throws InteractiveQueryError with the status, the server code and a StreamsError code', async () => {
    const { iq } = await client([
      { status: 404, body: { error: 'no store named countz', code: 'UNKNOWN_STORE' } },
      { status: 400, body: { error: 'from is after to', code: 'BAD_REQUEST' } },
      ...Array.from({ length: 3 }, () => ({ status: 503, body: { error: 'rebalancing', code: 'REBALANCE_IN_PROGRESS' } })),
      { status: 502, body: 'not json' },
    ]);
    const failures: unknown[] = [];
    for (const call of [() => iq.get('countz', 'k'), () => iq.range('counts', 'z', 'a'), () => iq.get('counts', 'k'), () => iq.all('counts')]) {
      failures.push(await call().catch((e: unknown) => e));
    }
    expect(failures.every((e) => e instanceof InteractiveQueryError)).toBe(true);
    expect(failures.map((e) => { const q = e as InteractiveQueryError; return [q.code, q.status, q.serverCode, q.retriable]; })).toEqual([
      ['INVALID_REQUEST', 404, 'UNKNOWN_STORE', false],
      ['INVALID_REQUEST', 400, 'BAD_REQUEST', false],
      ['REBALANCE_IN_PROGRESS', 503, 'REBALANCE_IN_PROGRESS', true],
      ['UNKNOWN_SERVER_ERROR', 502, '', false],
    ]);
    expect((failures[0] as Error).message).toContain('no store named countz');
  });

  it('reports an unreachable server as NETWORK_FAILED', async () => {
    const s = await stub([]);
    await s.close();
    const iq = new InteractiveQueryClient(s.base, { retries: 0 });
    await expect(iq.get('counts', 'k')).rejects.toMatchObject({ code: 'NETWORK_FAILED', status: 0, retriable: true });
  });
});
