/**
 * JSON answers of the streams HTTP server: the value encoding (bigint as a decimal string, bytes as base64), the
 * error shape `{ error, code }`, and the error type routes throw to produce it.
 */
import type { ServerResponse } from 'node:http';

/**
 * The `code` of an error answer: what went wrong, stable for clients (the `error` text is for people).
 *
 * | code                    | status | when                                                                       |
 * | ----------------------- | ------ | -------------------------------------------------------------------------- |
 * | `NOT_FOUND`             | 404    | no route for the path                                                      |
 * | `UNKNOWN_STORE`         | 404    | the topology has no store of that name                                     |
 * | `KEY_NOT_FOUND`         | 404    | the owning instance has no value for the key                               |
 * | `BAD_REQUEST`           | 400    | a key, range or time bound that cannot be parsed, or `from` after `to`     |
 * | `WRONG_STORE_TYPE`      | 400    | a key-value query on a window store or the reverse                         |
 * | `METHOD_NOT_ALLOWED`    | 405    | anything but GET or HEAD                                                   |
 * | `REBALANCE_IN_PROGRESS` | 503    | the instance is rebalancing (with `Retry-After`)                           |
 * | `NOT_RUNNING`           | 503    | the instance is not running (created, shutting down, failed)              |
 * | `OWNER_UNKNOWN`         | 503    | no instance is known to hold the key's partition now (with `Retry-After`) |
 * | `NOT_OWNER`             | 503    | a forwarded request reached an instance that does not hold the key        |
 * | `FORWARD_FAILED`        | 502    | the owning instance could not be reached or answered garbage              |
 * | `INTERNAL`              | 500    | anything unexpected (logged)                                              |
 *
 * @example
 * ```ts
 * const code: HttpErrorCode = 'UNKNOWN_STORE';
 * ```
 */
export type HttpErrorCode =
  | 'NOT_FOUND'
  | 'UNKNOWN_STORE'
  | 'KEY_NOT_FOUND'
  | 'BAD_REQUEST'
  | 'WRONG_STORE_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'REBALANCE_IN_PROGRESS'
  | 'NOT_RUNNING'
  | 'OWNER_UNKNOWN'
  | 'NOT_OWNER'
  | 'FORWARD_FAILED'
  | 'INTERNAL';

/**
 * An error a route throws to answer with `status` and `{ error: message, code }`; `retryAfterS` adds `Retry-After`.
 *
 * @example
 * ```ts
 * throw new HttpError(404, 'UNKNOWN_STORE', 'no store named countz');
 * ```
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The replacer of {@link toJson}: bigint as a decimal string, Uint8Array/Buffer as base64. */
function replacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  // JSON.stringify calls Buffer's toJSON before the replacer sees it; read the holder's raw value instead.
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  return value;
}

/**
 * JSON text of a value as the server sends it: bigint becomes a decimal string (`12n` -> `"12"`), bytes become
 * base64 strings, everything else as `JSON.stringify` does.
 *
 * @example
 * ```ts
 * toJson({ key: 'river', value: 12n }); // '{"key":"river","value":"12"}'
 * ```
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer) ?? 'null';
}

/**
 * Writes a JSON answer (`application/json; charset=utf-8`); for HEAD requests only the headers.
 *
 * @example
 * ```ts
 * sendJson(res, 200, { status: 'UP' });
 * ```
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  sendText(res, status, toJson(body), 'application/json; charset=utf-8', headers);
}

/**
 * Writes a text answer with its content type and length; for HEAD requests only the headers.
 *
 * @example
 * ```ts
 * sendText(res, 200, 'ok', 'text/plain; charset=utf-8');
 * ```
 */
export function sendText(res: ServerResponse, status: number, body: string | Buffer, contentType: string, headers: Readonly<Record<string, string>> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': String(bytes.length), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

/**
 * Writes the answer of an {@link HttpError}: `{ error, code }` with its status and `Retry-After` when set.
 *
 * @example
 * ```ts
 * sendError(res, new HttpError(400, 'BAD_REQUEST', 'from is after to'));
 * ```
 */
export function sendError(res: ServerResponse, e: HttpError, headers: Readonly<Record<string, string>> = {}): void {
  const extra = e.retryAfterS === undefined ? headers : { ...headers, 'retry-after': String(e.retryAfterS) };
  sendJson(res, e.status, { error: e.message, code: e.code }, extra);
}
