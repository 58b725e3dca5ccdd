/**
 * Interactive queries over HTTP: `/stores/:store/:key`, `/stores/:store?from=&to=` (range; all without bounds) and
 * `/stores/:store/:key/windows?from=&to=`, answered from the instance that owns the key. A key owned elsewhere is
 * forwarded to its owner; a range or full scan asks every instance holding the store and merges the answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isStreamsError } from '../../src/errors.js';
import type { Serializer } from '../../src/serdes/serde.js';
import { Serdes } from '../../src/serdes/serdes.js';
import { hostInfoString, type HostInfo } from '../host-info.js';
import type { KafkaStreams } from '../kafka-streams.js';
import { QueryableStoreTypes } from '../queryable-store-types.js';
import { HttpError, sendJson, sendText } from './http-response.js';
import { FORWARDED_HEADER, SERVED_BY_HEADER, type ForwardedAnswer, type IqForwarder } from './iq-forwarder.js';

/**
 * How the HTTP layer reads the keys of one store. Keys arrive as text (the `:key` path segment, `from`, `to`).
 *
 * @example
 * ```ts
 * const options: StoreQueryOptions = { keyParser: (s) => BigInt(s), keySerde: Serdes.BigInt() };
 * ```
 */
export interface StoreQueryOptions {
  /** Turns key text into the store's key type (default: the text itself, for string keys). Throwing answers 400. */
  readonly keyParser?: (text: string) => unknown;
  /**
   * Serializes keys as the topology does for the store's source topic, to find a key's partition and to order
   * merged ranges (default `Serdes.String()`).
   */
  readonly keySerde?: Serializer<unknown>;
}

/**
 * What the store routes need from the server: the instance, the forwarding pool, the topology's store names and
 * the per-store key options.
 *
 * @example
 * ```ts
 * const ctx: StoreRoutesContext = { streams, forwarder, storeNames: new Set(['counts']), globalStoreNames: new Set(), stores: {}, maxResults: 10_000 };
 * ```
 */
export interface StoreRoutesContext {
  readonly streams: KafkaStreams;
  readonly forwarder: IqForwarder;
  /** Every store of the topology, local and global. */
  readonly storeNames: ReadonlySet<string>;
  readonly globalStoreNames: ReadonlySet<string>;
  readonly stores: Readonly<Record<string, StoreQueryOptions>>;
  /** The most entries a range or scan answers (`limit` may ask for fewer). */
  readonly maxResults: number;
}

const STRING_SERDE = Serdes.String() as Serializer<unknown>;
const identity = (text: string): unknown => text;

/**
 * Answers a `/stores/...` request; `segments` are the path's raw (still percent-encoded) segments after `stores`.
 *
 * @throws HttpError for every answer that is not a 200 (the server turns it into `{ error, code }`).
 * @example
 * ```ts
 * await handleStoreRequest(context, req, res, url, ['counts', 'river']);
 * ```
 */
export async function handleStoreRequest(ctx: StoreRoutesContext, req: IncomingMessage, res: ServerResponse, url: URL, segments: readonly string[]): Promise<void> {
  const store = decodeSegment(segments[0] ?? '');
  if (!ctx.storeNames.has(store)) throw new HttpError(404, 'UNKNOWN_STORE', `no store named ${JSON.stringify(store)} in the topology`);
  const options = ctx.stores[store] ?? {};
  const isForwarded = req.headers[FORWARDED_HEADER] === '1';
  if (segments.length === 1) return scan(ctx, req, res, url, store, options, isForwarded);
  if (segments.length === 2) return getKey(ctx, req, res, store, parseKey(options, decodeSegment(segments[1]!), 'key'), isForwarded);
  if (segments.length === 3 && segments[2] === 'windows') {
    return fetchWindows(ctx, req, res, url, store, parseKey(options, decodeSegment(segments[1]!), 'key'), isForwarded);
  }
  throw new HttpError(404, 'NOT_FOUND', `no route for ${url.pathname}`);
}

async function getKey(ctx: StoreRoutesContext, req: IncomingMessage, res: ServerResponse, store: string, key: unknown, isForwarded: boolean): Promise<void> {
  requireRunning(ctx.streams);
  const owner = ownerOf(ctx, store, key);
  if (owner !== 'local') return forward(ctx, req, res, owner, isForwarded);
  const view = ctx.streams.store(store, QueryableStoreTypes.keyValueStore<unknown, unknown>());
  const value = storeCall(store, () => view.get(key));
  if (value === null) throw new HttpError(404, 'KEY_NOT_FOUND', `store ${store} has no value for that key`);
  sendJson(res, 200, { store, key, value }, servedBy(ctx));
}

async function fetchWindows(ctx: StoreRoutesContext, req: IncomingMessage, res: ServerResponse, url: URL, store: string, key: unknown, isForwarded: boolean): Promise<void> {
  const from = parseTime(url.searchParams.get('from'), 'from', 0);
  const to = parseTime(url.searchParams.get('to'), 'to', Number.MAX_SAFE_INTEGER);
  if (from > to) throw new HttpError(400, 'BAD_REQUEST', `from (${from}) is after to (${to})`);
  requireRunning(ctx.streams);
  const owner = ownerOf(ctx, store, key);
  if (owner !== 'local') return forward(ctx, req, res, owner, isForwarded);
  const view = ctx.streams.store(store, QueryableStoreTypes.windowStore<unknown, unknown>());
  const results = storeCall(store, () => {
    const out: { windowStartMs: number; value: unknown }[] = [];
    const it = view.fetch(key, from, to);
    try {
      for (const { key: windowStartMs, value } of it) out.push({ windowStartMs, value });
    } finally {
      it.close();
    }
    return out;
  });
  sendJson(res, 200, { store, key, from, to, results }, servedBy(ctx));
}

async function scan(ctx: StoreRoutesContext, req: IncomingMessage, res: ServerResponse, url: URL, store: string, options: StoreQueryOptions, isForwarded: boolean): Promise<void> {
  const q = url.searchParams;
  const from = q.has('from') ? parseKey(options, q.get('from')!, 'from') : null;
  const to = q.has('to') ? parseKey(options, q.get('to')!, 'to') : null;
  const serde = options.keySerde ?? STRING_SERDE;
  if (from !== null && to !== null && Buffer.compare(keyBytes(serde, store, from), keyBytes(serde, store, to)) > 0) {
    throw new HttpError(400, 'BAD_REQUEST', `from ${JSON.stringify(q.get('from'))} is after to ${JSON.stringify(q.get('to'))}`);
  }
  const limit = parseLimit(q.get('limit'), ctx.maxResults);
  requireRunning(ctx.streams);
  const view = ctx.streams.store(store, QueryableStoreTypes.keyValueStore<unknown, unknown>());
  const parse = options.keyParser ?? identity;
  // Each local task's store is ordered on its own: keep the `limit` smallest keys across all of them (and the peers).
  const top = new SmallestKeys(limit);
  storeCall(store, () => {
    const it = from === null && to === null ? view.all() : view.range(from, to);
    try {
      for (let r = it.next(); !r.done; r = it.next()) top.add(r.value.key, r.value.value, sortBytes(serde, store, parse, r.value.key, false));
    } finally {
      it.close();
    }
  });
  let truncated = false;
  let instances = 1;
  const self = ctx.streams.applicationServer;
  if (!isForwarded && self !== null && !ctx.globalStoreNames.has(store)) {
    const peers = metadataOrUnavailable(() => ctx.streams.allMetadataForStore(store)).filter((m) => hostInfoString(m.hostInfo) !== self);
    const answers = await Promise.all(peers.map((m) => ctx.forwarder.get(m.hostInfo, pathAndQuery(req))));
    for (const answer of answers) {
      // One instance that cannot answer (rebalancing, failed) makes the whole answer incomplete: pass its error on.
      if (answer.status !== 200) return passThrough(res, answer);
      const body = parseAnswer(answer) as { results?: { key: unknown; value: unknown }[]; truncated?: boolean };
      for (const e of body.results ?? []) top.add(e.key, e.value, sortBytes(serde, store, parse, e.key, true));
      truncated ||= body.truncated === true;
    }
    instances += peers.length;
  }
  const results = top.sorted();
  truncated ||= top.hasDropped;
  sendJson(res, 200, { store, from, to, results, truncated, instances }, servedBy(ctx));
}

/** 'local' when this instance answers for the key (global store, no endpoints configured, or it owns the key). */
function ownerOf(ctx: StoreRoutesContext, store: string, key: unknown): 'local' | HostInfo {
  const self = ctx.streams.applicationServer;
  if (self === null || ctx.globalStoreNames.has(store)) return 'local';
  const serde = ctx.stores[store]?.keySerde ?? STRING_SERDE;
  let meta;
  try {
    meta = ctx.streams.queryMetadataForKey(store, key, serde);
  } catch (e: unknown) {
    if (isStreamsError(e, 'ILLEGAL_STATE')) throw notRunning(ctx.streams.state);
    throw new HttpError(400, 'BAD_REQUEST', `cannot place the key: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (meta.activeHost === null) throw new HttpError(503, 'OWNER_UNKNOWN', `no instance is known to hold partition ${meta.partition} of store ${store} now`, 1);
  return hostInfoString(meta.activeHost) === self ? 'local' : meta.activeHost;
}

async function forward(ctx: StoreRoutesContext, req: IncomingMessage, res: ServerResponse, owner: HostInfo, isForwarded: boolean): Promise<void> {
  // Forward once only: two instances with different views of the assignment must not bounce a request forever.
  if (isForwarded) throw new HttpError(503, 'NOT_OWNER', 'not the owner', 1);
  passThrough(res, await ctx.forwarder.get(owner, pathAndQuery(req)));
}

function passThrough(res: ServerResponse, answer: ForwardedAnswer): void {
  const { 'content-type': contentType = 'application/json; charset=utf-8', ...headers } = answer.headers;
  sendText(res, answer.status, answer.body, contentType, headers);
}

function parseAnswer(answer: ForwardedAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(502, 'FORWARD_FAILED', 'another instance answered something that is not JSON');
  }
}

function requireRunning(streams: KafkaStreams): void {
  if (streams.state !== 'RUNNING') throw notRunning(streams.state);
}

function notRunning(state: string): HttpError {
  if (state === 'REBALANCING') return new HttpError(503, 'REBALANCE_IN_PROGRESS', 'the instance is rebalancing; retry shortly', 1);
  return new HttpError(503, 'NOT_RUNNING', `the instance is ${state}`, state === 'CREATED' ? 1 : undefined);
}

function metadataOrUnavailable<T>(f: () => T): T {
  try {
    return f();
  } catch (e: unknown) {
    if (isStreamsError(e, 'ILLEGAL_STATE')) throw new HttpError(503, 'REBALANCE_IN_PROGRESS', e.message, 1);
    throw e;
  }
}

/** Runs a store call; a store of the other shape (ILLEGAL_STATE "is not a ... store") answers 400. */
function storeCall<T>(store: string, f: () => T): T {
  try {
    return f();
  } catch (e: unknown) {
    if (isStreamsError(e, 'ILLEGAL_STATE') && / is not a .*store/.test(e.message)) throw new HttpError(400, 'WRONG_STORE_TYPE', e.message);
    if (isStreamsError(e, 'ILLEGAL_STATE')) throw new HttpError(503, 'REBALANCE_IN_PROGRESS', `store ${store}: ${e.message}`, 1);
    throw e;
  }
}

/** The `limit` entries with the smallest sort bytes seen so far; memory stays within twice the limit. */
class SmallestKeys {
  readonly #limit: number;
  #entries: { key: unknown; value: unknown; bytes: Buffer }[] = [];
  #hasDropped = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** True when some entry was left out. */
  get hasDropped(): boolean {
    return this.#hasDropped;
  }

  add(key: unknown, value: unknown, bytes: Buffer): void {
    this.#entries.push({ key, value, bytes });
    if (this.#entries.length >= 2 * this.#limit) this.#trim();
  }

  sorted(): { key: unknown; value: unknown }[] {
    this.#trim();
    return this.#entries.map(({ key, value }) => ({ key, value }));
  }

  #trim(): void {
    this.#entries.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    if (this.#entries.length > this.#limit) {
      this.#entries.length = this.#limit;
      this.#hasDropped = true;
    }
  }
}

function keyBytes(serde: Serializer<unknown>, store: string, key: unknown): Buffer {
  let bytes: Uint8Array | null;
  try {
    bytes = serde.serialize(store, key);
  } catch (e: unknown) {
    throw new HttpError(400, 'BAD_REQUEST', `cannot serialize the key: ${e instanceof Error ? e.message : String(e)}`);
  }
  return bytes === null ? Buffer.alloc(0) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The bytes a merged range is ordered by: the serialized key, as every store orders its keys. A key from another
 * instance arrives as JSON, so it is parsed back first; a key that will not round-trip sorts by its JSON text.
 */
function sortBytes(serde: Serializer<unknown>, store: string, parse: (text: string) => unknown, key: unknown, isRemote: boolean): Buffer {
  try {
    const typed = isRemote ? parse(typeof key === 'string' ? key : JSON.stringify(key)) : key;
    const bytes = serde.serialize(store, typed);
    if (bytes !== null) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch {
    // fall through to the JSON text
  }
  return Buffer.from(JSON.stringify(key) ?? '', 'utf8');
}

function servedBy(ctx: StoreRoutesContext): Record<string, string> {
  const self = ctx.streams.applicationServer;
  return self === null ? {} : { [SERVED_BY_HEADER]: self };
}

function pathAndQuery(req: IncomingMessage): string {
  return req.url ?? '/';
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', `bad percent-encoding in ${JSON.stringify(segment)}`);
  }
}

function parseKey(options: StoreQueryOptions, text: string, what: string): unknown {
  let key: unknown;
  try {
    key = (options.keyParser ?? identity)(text);
  } catch (e: unknown) {
    throw new HttpError(400, 'BAD_REQUEST', `bad ${what} ${JSON.stringify(text)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (key === null || key === undefined || (typeof key === 'number' && Number.isNaN(key))) {
    throw new HttpError(400, 'BAD_REQUEST', `bad ${what} ${JSON.stringify(text)}`);
  }
  return key;
}

function parseTime(text: string | null, what: string, dflt: number): number {
  if (text === null) return dflt;
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n)) throw new HttpError(400, 'BAD_REQUEST', `${what} must be an integer of milliseconds, got ${JSON.stringify(text)}`);
  return n;
}

function parseLimit(text: string | null, max: number): number {
  if (text === null) return max;
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new HttpError(400, 'BAD_REQUEST', `limit must be a positive integer, got ${JSON.stringify(text)}`);
  return Math.min(n, max);
}
