/**
 * Forwards an interactive query to the instance that owns the key (node:http, keep-alive), marking it with
 * `x-tributary-forwarded: 1` so the receiver answers from its own state and never forwards again.
 */
import * as http from 'node:http';
import type { HostInfo } from '../host-info.js';
import { HttpError } from './http-response.js';

/**
 * The header marking a forwarded request; its receiver answers from its own state and never forwards again.
 *
 * @example
 * ```ts
 * const isForwarded = req.headers[FORWARDED_HEADER] === '1';
 * ```
 */
export const FORWARDED_HEADER = 'x-tributary-forwarded';
/**
 * The response header naming the instance (its `applicationServer`) whose state answered; a forwarding instance
 * passes the owner's on.
 *
 * @example
 * ```ts
 * const owner = response.headers.get(SERVED_BY_HEADER); // '10.0.0.2:8080'
 * ```
 */
export const SERVED_BY_HEADER = 'x-tributary-served-by';

/**
 * The owner's answer, passed on as it came: status, body and the headers that matter to the client.
 *
 * @example
 * ```ts
 * const answer: ForwardedAnswer = { status: 200, body: Buffer.from('{}'), headers: { 'content-type': 'application/json' } };
 * ```
 */
export interface ForwardedAnswer {
  readonly status: number;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** Answers larger than this are refused rather than buffered (a range over a huge store should be paged). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
const PASSED_HEADERS = ['content-type', 'retry-after', SERVED_BY_HEADER] as const;

/**
 * Sends GET requests to other instances over pooled keep-alive connections. Failures to connect, time-outs and
 * oversized answers become `HttpError(502, 'FORWARD_FAILED')`.
 *
 * @example
 * ```ts
 * const forwarder = new IqForwarder(5_000);
 * const answer = await forwarder.get({ host: '10.0.0.2', port: 8080 }, '/stores/counts/river');
 * forwarder.close();
 * ```
 */
export class IqForwarder {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** GETs `pathAndQuery` from `target` with the forwarded mark. */
  get(target: HostInfo, pathAndQuery: string): Promise<ForwardedAnswer> {
    const host = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
    return new Promise<ForwardedAnswer>((resolve, reject) => {
      const fail = (why: string): void => reject(new HttpError(502, 'FORWARD_FAILED', `forwarding to ${target.host}:${target.port} failed: ${why}`));
      const req = http.request(
        { host, port: target.port, path: pathAndQuery, method: 'GET', agent: this.#agent, headers: { [FORWARDED_HEADER]: '1', accept: 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              req.destroy();
              fail(`answer larger than ${MAX_ANSWER_BYTES} bytes`);
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', (e) => fail(e.message));
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const name of PASSED_HEADERS) {
              const v = res.headers[name];
              if (typeof v === 'string') headers[name] = v;
            }
            resolve({ status: res.statusCode ?? 502, body: Buffer.concat(chunks), headers });
          });
        },
      );
      req.setTimeout(this.#timeoutMs, () => {
        req.destroy();
        fail(`no answer within ${this.#timeoutMs} ms`);
      });
      req.on('error', (e) => fail(e.message));
      req.end();
    });
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#agent.destroy();
  }
}
