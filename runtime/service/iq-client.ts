/**
 * A typed client for the interactive queries a {@link StreamsHttpServer} serves, for TypeScript callers.
 */
import { StreamsError, type StreamsErrorCode } from '../../src/errors.js';
import type { KeyValue } from '../../src/state/key-value-store.js';

/**
 * Options of {@link InteractiveQueryClient}.
 *
 * @example
 * ```ts
 * const options: InteractiveQueryClientOptions = { timeoutMs: 2_000, retries: 10 };
 * ```
 */
export interface InteractiveQueryClientOptions {
  /** Per request (default 10000 ms). */
  readonly timeoutMs?: number;
  /** How often a 503 answer (rebalancing, owner unknown) is retried after its `Retry-After` (default 5). */
  readonly retries?: number;
  /** The longest wait between retries, whatever `Retry-After` says (default 1000 ms). */
  readonly maxRetryWaitMs?: number;
}

/**
 * How the JSON of keys and values turns into the caller's types. Values travel as JSON with bigint as decimal
 * strings: pass `{ value: (v) => BigInt(v as string) }` for bigint counts. Default: the JSON as it is.
 *
 * @example
 * ```ts
 * const decode: Decoders<string, bigint> = { value: (v) => BigInt(v as string) };
 * ```
 */
export interface Decoders<K, V> {
  readonly key?: (json: unknown) => K;
  readonly value?: (json: unknown) => V;
}

/**
 * One window of a window-store fetch: its start time and value.
 *
 * @example
 * ```ts
 * const w: WindowValue<number> = { windowStartMs: 60_000, value: 3 };
 * ```
 */
export interface WindowValue<V> {
  readonly windowStartMs: number;
  readonly value: V;
}

/**
 * The error of a failed query: a {@link StreamsError} (`INVALID_REQUEST` for 4xx answers, `REBALANCE_IN_PROGRESS` /
 * `NOT_LEADER_OR_FOLLOWER` / `ILLEGAL_STATE` for 503s that outlived the retries, `TIMEOUT`, `NETWORK_FAILED`,
 * `UNKNOWN_SERVER_ERROR`) with the HTTP status and the server's own code.
 *
 * @example
 * ```ts
 * try { await iq.get('countz', 'x'); } catch (e) { if (e instanceof InteractiveQueryError && e.serverCode === 'UNKNOWN_STORE') ... }
 * ```
 */
export class InteractiveQueryError extends StreamsError {
  constructor(
    code: StreamsErrorCode,
    message: string,
    /** The HTTP status, or 0 when no answer came. */
    readonly status: number,
    /** The server's `code` (`UNKNOWN_STORE`, `BAD_REQUEST`, ...), or '' when no answer came. */
    readonly serverCode: string,
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? {} : { cause });
    this.name = 'InteractiveQueryError';
  }
}

/**
 * Queries the stores of a streams application over HTTP. Any instance's server will do: keys owned by another
 * instance are forwarded there, ranges and scans are gathered from all of them. Answers 503 (rebalancing) are
 * retried after `Retry-After`.
 *
 * @example
 * ```ts
 * const iq = new InteractiveQueryClient('http://localhost:8080');
 * const river = await iq.get<string, bigint>('counts', 'river', { value: (v) => BigInt(v as string) }); // 12n or null
 * const aToM = await iq.range<string, string>('counts', 'a', 'm');  // [{ key: 'a', value: '3' }, ...]
 * const windows = await iq.windows<string, number>('per-minute', 'page-1', 0, Date.now());
 * ```
 */
export class InteractiveQueryClient {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #maxRetryWaitMs: number;

  constructor(baseUrl: string, options: InteractiveQueryClientOptions = {}) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retries = options.retries ?? 5;
    this.#maxRetryWaitMs = options.maxRetryWaitMs ?? 1_000;
  }

  /** The value of `key` in `store`, or null when the store holds none. */
  async get<K, V>(store: string, key: K, decode: Decoders<K, V> = {}): Promise<V | null> {
    const body = await this.#request(`/stores/${enc(store)}/${enc(keyText(key))}`, true);
    if (body === null) return null;
    return decodeWith(decode.value, (body as { value: unknown }).value);
  }

  /** The entries with keys from `from` to `to` (both inclusive; null is open), from every instance, in key order. */
  async range<K, V>(store: string, from: K | null, to: K | null, decode: Decoders<K, V> & { readonly limit?: number } = {}): Promise<KeyValue<K, V>[]> {
    const q = new URLSearchParams();
    if (from !== null) q.set('from', keyText(from));
    if (to !== null) q.set('to', keyText(to));
    if (decode.limit !== undefined) q.set('limit', String(decode.limit));
    return this.#entries(store, q, decode);
  }

  /** Every entry of `store`, from every instance, in key order (up to the server's `maxResults`). */
  async all<K, V>(store: string, decode: Decoders<K, V> & { readonly limit?: number } = {}): Promise<KeyValue<K, V>[]> {
    const q = new URLSearchParams();
    if (decode.limit !== undefined) q.set('limit', String(decode.limit));
    return this.#entries(store, q, decode);
  }

  /** The windows of `key` in a window store whose start lies in [fromMs, toMs], in start order. */
  async windows<K, V>(store: string, key: K, fromMs: number, toMs: number, decode: Pick<Decoders<K, V>, 'value'> = {}): Promise<WindowValue<V>[]> {
    const q = new URLSearchParams({ from: String(fromMs), to: String(toMs) });
    const body = (await this.#request(`/stores/${enc(store)}/${enc(keyText(key))}/windows?${q}`, false)) as { results: { windowStartMs: number; value: unknown }[] };
    return body.results.map((w) => ({ windowStartMs: w.windowStartMs, value: decodeWith(decode.value, w.value) }));
  }

  async #entries<K, V>(store: string, q: URLSearchParams, decode: Decoders<K, V>): Promise<KeyValue<K, V>[]> {
    const query = q.size === 0 ? '' : `?${q}`;
    const body = (await this.#request(`/stores/${enc(store)}${query}`, false)) as { results: { key: unknown; value: unknown }[] };
    return body.results.map((e) => ({ key: decodeWith(decode.key, e.key), value: decodeWith(decode.value, e.value) }));
  }

  /** GETs a path; retries 503s; a 404 KEY_NOT_FOUND is null when `isKeyLookup`. */
  async #request(path: string, isKeyLookup: boolean): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      let text: string;
      try {
        res = await fetch(this.#base + path, { signal: AbortSignal.timeout(this.#timeoutMs), headers: { accept: 'application/json' } });
        text = await res.text();
      } catch (e: unknown) {
        const isTimeout = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
        throw new InteractiveQueryError(isTimeout ? 'TIMEOUT' : 'NETWORK_FAILED', `GET ${path}: ${e instanceof Error ? e.message : String(e)}`, 0, '', e);
      }
      let body: unknown = null;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        // not JSON: reported below by status
      }
      if (res.status === 200) return body;
      const err = (body ?? {}) as { error?: unknown; code?: unknown };
      const serverCode = typeof err.code === 'string' ? err.code : '';
      if (res.status === 404 && isKeyLookup && serverCode === 'KEY_NOT_FOUND') return null;
      if (res.status === 503 && attempt < this.#retries) {
        const afterS = Number(res.headers.get('retry-after') ?? '1');
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.#maxRetryWaitMs, Number.isFinite(afterS) ? afterS * 1000 : 1000)));
        continue;
      }
      const message = `GET ${path}: ${res.status} ${serverCode} ${typeof err.error === 'string' ? err.error : text.slice(0, 200)}`.trim();
      throw new InteractiveQueryError(codeFor(res.status, serverCode), message, res.status, serverCode);
    }
  }
}

function codeFor(status: number, serverCode: string): StreamsErrorCode {
  if (status === 503) {
    if (serverCode === 'REBALANCE_IN_PROGRESS') return 'REBALANCE_IN_PROGRESS';
    if (serverCode === 'NOT_OWNER' || serverCode === 'OWNER_UNKNOWN') return 'NOT_LEADER_OR_FOLLOWER';
    return 'ILLEGAL_STATE';
  }
  if (status >= 400 && status < 500) return 'INVALID_REQUEST';
  return 'UNKNOWN_SERVER_ERROR';
}

function keyText(key: unknown): string {
  return typeof key === 'string' ? key : typeof key === 'object' && key !== null ? JSON.stringify(key) : String(key);
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function decodeWith<T>(f: ((json: unknown) => T) | undefined, json: unknown): T {
  return f === undefined ? (json as T) : f(json);
}
