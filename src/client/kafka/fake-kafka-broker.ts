import * as net from 'node:net';
import { ApiKey, SUPPORTED_VERSIONS, type ApiKeyNumber } from '../../protocol/api-keys.js';
import { decodeRequestBody, decodeRequestHeader, encodeResponse, type RequestBodies, type ResponseBodies } from '../../protocol/codec.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';

/**
 * One request a {@link FakeKafkaBroker} received.
 *
 * @example
 * ```ts
 * const [first]: FakeRequest[] = fake.requestsOf(ApiKey.Produce);
 * ```
 */
export interface FakeRequest<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly body: RequestBodies[K];
  /** Which accepted connection (0, 1, ...) it came on. */
  readonly connection: number;
}

/**
 * What a handler answers: a response body, no response at all, or a closed connection.
 *
 * @example
 * ```ts
 * const answer: FakeAnswer = { body: { throttleTimeMs: 0, errorCode: 0 } };
 * ```
 */
export type FakeAnswer = { readonly body: unknown } | 'no-response' | 'close';

/**
 * Answers one request; ApiVersions is answered by the fake itself unless the handler returns an answer for it.
 *
 * @example
 * ```ts
 * const handler: FakeHandler = (r) => (r.apiKey === ApiKey.Produce ? 'no-response' : undefined);
 * ```
 */
export type FakeHandler = (request: FakeRequest) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>;

/**
 * Options of a {@link FakeKafkaBroker}.
 *
 * @example
 * ```ts
 * const fake = await FakeKafkaBroker.listen(handler, { versions: new Map([[ApiKey.ApiVersions, [0, 2]]]) });
 * ```
 */
export interface FakeKafkaBrokerOptions {
  /** Advertised [min, max] per key (default SUPPORTED_VERSIONS); ApiVersions above its max is refused with a v0 body. */
  readonly versions?: ReadonlyMap<number, readonly [number, number]>;
  /** Whether the refusal of a too-new ApiVersions lists the keys (KIP-511) or nothing (old brokers). Default true. */
  readonly listKeysOnRefusal?: boolean;
}

/**
 * A scriptable Kafka broker for client tests: decodes requests with the codec, asks a handler for each answer,
 * encodes it at the request's version, and writes answers in request order per connection (as Kafka does), so
 * tests can check framing, pipelining, version negotiation, timeouts and error handling without a real broker.
 *
 * @example
 * ```ts
 * const fake = await FakeKafkaBroker.listen((r) => (r.apiKey === ApiKey.Metadata ? { body: metadata } : undefined));
 * const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: fake.port });
 * ```
 */
export class FakeKafkaBroker {
  readonly port: number;
  readonly requests: FakeRequest[] = [];
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  handler: FakeHandler;

  private constructor(server: net.Server, port: number, handler: FakeHandler, options: FakeKafkaBrokerOptions) {
    this.#server = server;
    this.port = port;
    this.handler = handler;
    const versions = options.versions ?? SUPPORTED_VERSIONS;
    const listKeys = options.listKeysOnRefusal ?? true;
    let nextConnection = 0;
    server.on('connection', (socket) => {
      const connection = nextConnection++;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      let buffered = Buffer.alloc(0);
      let chain: Promise<void> = Promise.resolve();
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
          buffered = buffered.subarray(4 + frame.length);
          const h = decodeRequestHeader(frame);
          const apiKey = h.apiKey as ApiKeyNumber;
          const range = versions.get(ApiKey.ApiVersions) ?? [0, 3];
          if (apiKey === ApiKey.ApiVersions && h.apiVersion > range[1]) {
            const apiKeys = listKeys ? [{ apiKey: ApiKey.ApiVersions, minVersion: range[0], maxVersion: range[1] }] : [];
            chain = chain.then(() => write(socket, encodeResponse(ApiKey.ApiVersions, 0, h.correlationId, { errorCode: KafkaErrorCode.UNSUPPORTED_VERSION, apiKeys })));
            this.requests.push({ apiKey, apiVersion: h.apiVersion, correlationId: h.correlationId, body: {} as RequestBodies[ApiKeyNumber], connection });
            continue;
          }
          const body = decodeRequestBody(apiKey, h.apiVersion, frame, h.bodyOffset);
          const request: FakeRequest = { apiKey, apiVersion: h.apiVersion, correlationId: h.correlationId, body, connection };
          this.requests.push(request);
          const answer = Promise.resolve(this.handler(request));
          chain = chain.then(async () => {
            let a = await answer;
            if (a === undefined && apiKey === ApiKey.ApiVersions) {
              a = { body: { errorCode: 0, apiKeys: [...versions].map(([k, [min, max]]) => ({ apiKey: k, minVersion: min, maxVersion: max })), throttleTimeMs: 0 } };
            }
            if (a === undefined || a === 'no-response') return;
            if (a === 'close') {
              socket.destroy();
              return;
            }
            write(socket, encodeResponse(apiKey, h.apiVersion, h.correlationId, a.body as ResponseBodies[ApiKeyNumber]));
          });
        }
      });
    });
  }

  /** Starts a fake on a free loopback port. */
  static async listen(handler: FakeHandler, options: FakeKafkaBrokerOptions = {}): Promise<FakeKafkaBroker> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeKafkaBroker(server, (server.address() as net.AddressInfo).port, handler, options);
  }

  /** Requests of one API, in arrival order. */
  requestsOf<K extends ApiKeyNumber>(apiKey: K): FakeRequest<K>[] {
    return this.requests.filter((r): r is FakeRequest<K> => r.apiKey === apiKey);
  }

  /** Writes raw bytes to every open connection (for malformed-frame tests). */
  writeRaw(bytes: Buffer): void {
    for (const s of this.#sockets) s.write(bytes);
  }

  /** Drops every connection at once, as a crashed broker would, and stops listening. */
  async kill(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await this.close();
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function write(socket: net.Socket, chunks: readonly Buffer[]): void {
  if (!socket.destroyed) for (const c of chunks) socket.write(c);
}
