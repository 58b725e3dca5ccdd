import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { saslAuthenticate, type KafkaSaslOptions } from '../../broker/security/sasl-client.js';
import { tlsClientOptions, type KafkaSslOptions } from '../../broker/security/tls.js';
import { StreamsError, toError } from '../../errors.js';
import { ApiKey, SUPPORTED_VERSIONS, type ApiKeyNumber } from '../../protocol/api-keys.js';
import { decodeResponse, encodeRequest, type RequestBodies, type ResponseBodies } from '../../protocol/codec.js';
import { errorFromKafkaCode, KafkaErrorCode } from '../../protocol/error-codes.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { systemTimers, type TimerHandle, type Timers } from '../../util/timers.js';

/**
 * A request body, or a function of the negotiated version that builds it (fields differ between versions).
 *
 * @example
 * ```ts
 * const body: RequestBodyInput<typeof ApiKey.Metadata> = (v) => ({ topics: v === 0 ? [] : null });
 * ```
 */
export type RequestBodyInput<K extends ApiKeyNumber> = RequestBodies[K] | ((version: number) => RequestBodies[K]);

/**
 * A decoded response and the version it was exchanged at.
 *
 * @example
 * ```ts
 * const { version, body }: KafkaResponse<typeof ApiKey.Metadata> = await conn.send(ApiKey.Metadata, { topics: null });
 * ```
 */
export interface KafkaResponse<K extends ApiKeyNumber> {
  readonly version: number;
  readonly body: ResponseBodies[K];
}

/**
 * How a client secures its connections: TLS (`ssl`), SASL (`sasl`), both (SASL_SSL) or neither (PLAINTEXT).
 *
 * @example
 * ```ts
 * const security: KafkaSecurityOptions = { ssl: { ca: 'ca.pem' }, sasl: { mechanism: 'scram-sha-512', username: 'app', password } };
 * ```
 */
export interface KafkaSecurityOptions {
  readonly ssl?: KafkaSslOptions | true;
  readonly sasl?: KafkaSaslOptions;
}

/**
 * Options of one {@link KafkaConnection}.
 *
 * @example
 * ```ts
 * const options: KafkaConnectionOptions = { host: '127.0.0.1', port: 9092, clientId: 'app', requestTimeoutMs: 10_000 };
 * ```
 */
export interface KafkaConnectionOptions extends KafkaSecurityOptions {
  readonly host: string;
  readonly port: number;
  /** Sent in every request header (Kafka's client.id); default null. */
  readonly clientId?: string | null;
  readonly logger?: Logger;
  /** Default for {@link KafkaConnection.send}'s timeout (Kafka's request.timeout.ms, 30000). */
  readonly requestTimeoutMs?: number;
  /** How long the TCP connect plus the TLS, ApiVersions and SASL handshakes may take (default 10000). */
  readonly connectTimeoutMs?: number;
  /** Largest response frame accepted; a bigger size prefix closes the connection as CORRUPT_MESSAGE (default 512 MiB). */
  readonly maxResponseBytes?: number;
  readonly timers?: Timers;
}

/**
 * Options of one request.
 *
 * @example
 * ```ts
 * await conn.send(ApiKey.Fetch, fetch, { timeoutMs: fetch.maxWaitMs + 30_000 });
 * ```
 */
export interface SendOptions {
  /** Overrides the connection's request timeout (a long-poll Fetch passes its maxWait plus a margin). */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly apiKey: ApiKeyNumber;
  readonly version: number;
  readonly resolve: (r: KafkaResponse<ApiKeyNumber>) => void;
  readonly reject: (e: StreamsError) => void;
  timer: TimerHandle | null;
}

const CLIENT_SOFTWARE_NAME = 'tributary';
const CLIENT_SOFTWARE_VERSION = '0.1.0';
const DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024;
const UNSUPPORTED_VERSION_CODE: number = KafkaErrorCode.UNSUPPORTED_VERSION;
const EMPTY = Buffer.alloc(0);

/**
 * One TCP connection to one Kafka broker: pipelined requests matched to responses by correlation id (Kafka answers
 * in request order), API versions negotiated once by ApiVersions at connect, per-request timeouts.
 *
 * Failure semantics, as Kafka's NetworkClient: when the socket errors or closes, every request in flight rejects
 * with NETWORK_FAILED (retriable) and the connection is dead (`isOpen` false; open a new one). A request that times
 * out rejects with TIMEOUT and closes the connection too, since a broker that does not answer in time cannot be
 * trusted with the requests queued behind it. A Produce with `acks: 0` gets no response: it resolves once written,
 * with an empty ProduceResponse.
 *
 * @example
 * ```ts
 * const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: 9092, clientId: 'tool' });
 * const { body } = await conn.send(ApiKey.Metadata, (v) => ({ topics: v === 0 ? [] : null }));
 * await conn.close();
 * ```
 */
export class KafkaConnection {
  readonly host: string;
  readonly port: number;
  readonly #socket: Socket;
  readonly #clientId: string | null;
  readonly #logger: Logger;
  readonly #timers: Timers;
  readonly #requestTimeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #pending = new Map<number, Pending>();
  /** Broker's [min, max] per api key, from ApiVersions. */
  #brokerVersions = new Map<number, readonly [number, number]>();
  #nextCorrelationId = 0;
  #closed = false;
  #closeError: StreamsError | null = null;
  readonly #closeListeners: ((error: StreamsError | null) => void)[] = [];
  // Incoming bytes not yet framed: chunks as received, total length, size of the frame being assembled (-1 unknown).
  #chunks: Buffer[] = [];
  #buffered = 0;
  #frameSize = -1;

  private constructor(socket: Socket, options: KafkaConnectionOptions) {
    this.host = options.host;
    this.port = options.port;
    this.#socket = socket;
    this.#clientId = options.clientId ?? null;
    this.#logger = options.logger ?? silentLogger();
    this.#timers = options.timers ?? systemTimers;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (e: Error) => this.#fail(new StreamsError('NETWORK_FAILED', `connection to ${this.address} failed: ${e.message}`, { cause: e })));
    socket.on('close', () => this.#fail(new StreamsError('NETWORK_FAILED', `connection to ${this.address} closed`)));
  }

  /**
   * Opens a connection (over TLS with `ssl`) and negotiates versions: ApiVersions v3 first, then (on
   * UNSUPPORTED_VERSION, whose answer is a v0 body) the highest version both sides know, down to v0. With `sasl` it
   * then authenticates (SaslHandshake v1, SaslAuthenticate exchanges) before anything else is sent. Rejects with
   * NETWORK_FAILED when the connect fails or takes longer than `connectTimeoutMs`; with AUTHENTICATION_FAILED (not
   * retriable) when the broker's certificate is not trusted, the mechanism is not enabled, or the credentials are
   * refused.
   *
   * @example
   * ```ts
   * const conn = await KafkaConnection.connect({ host: 'localhost', port: 9092 });
   * conn.versionFor(ApiKey.Produce); // e.g. 8
   * ```
   */
  static async connect(options: KafkaConnectionOptions): Promise<KafkaConnection> {
    const timers = options.timers ?? systemTimers;
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const address = `${options.host}:${options.port}`;
    const ssl = options.ssl;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = ssl === undefined ? netConnect({ host: options.host, port: options.port }) : tlsConnect(tlsClientOptions(options.host, options.port, ssl));
      const timer = timers.setTimeout(() => {
        s.destroy();
        reject(new StreamsError('NETWORK_FAILED', `connecting to ${address} timed out after ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      const onError = (e: Error): void => {
        timers.clearTimeout(timer);
        const code = (e as NodeJS.ErrnoException).code ?? '';
        // A certificate the client does not trust does not get better by retrying; a reset connection may.
        if (ssl !== undefined && /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|ERR_SSL|ERR_TLS/.test(code)) {
          reject(new StreamsError('AUTHENTICATION_FAILED', `TLS handshake with ${address} failed: ${e.message}`, { cause: e }));
        } else reject(new StreamsError('NETWORK_FAILED', `cannot connect to ${address}: ${e.message}`, { cause: e }));
      };
      s.once('error', onError);
      s.once(ssl === undefined ? 'connect' : 'secureConnect', () => {
        timers.clearTimeout(timer);
        s.off('error', onError);
        resolve(s);
      });
    });
    const conn = new KafkaConnection(socket, options);
    try {
      await conn.#negotiate(connectTimeoutMs);
      if (options.sasl !== undefined) {
        await saslAuthenticate(
          {
            address,
            brokerVersions: (apiKey) => conn.brokerVersions(apiKey),
            request: async (apiKey, version, body) => (await conn.#sendAt(apiKey, version, body, connectTimeoutMs)).body,
          },
          options.sasl,
        );
        conn.#logger.debug({ broker: address, mechanism: options.sasl.mechanism, user: options.sasl.username }, 'SASL authenticated');
      }
    } catch (e: unknown) {
      await conn.close();
      throw e;
    }
    return conn;
  }

  /** `host:port`, for messages. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** False once the socket closed, failed or was closed by {@link close}. */
  get isOpen(): boolean {
    return !this.#closed;
  }

  /** Number of requests sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * The version used for `apiKey`: min(our max, the broker's max). UNSUPPORTED_VERSION when the broker does not
   * list the key or the two ranges do not overlap.
   */
  versionFor(apiKey: ApiKeyNumber): number {
    const ours = SUPPORTED_VERSIONS.get(apiKey);
    const theirs = this.#brokerVersions.get(apiKey);
    if (ours === undefined) throw new StreamsError('UNSUPPORTED_VERSION', `api key ${apiKey} is not implemented by this client`);
    if (theirs === undefined) throw new StreamsError('UNSUPPORTED_VERSION', `broker ${this.address} does not support api key ${apiKey}`);
    const version = Math.min(ours[1], theirs[1]);
    if (version < ours[0] || version < theirs[0]) {
      throw new StreamsError(
        'UNSUPPORTED_VERSION',
        `api key ${apiKey}: this client speaks v${ours[0]}-${ours[1]}, broker ${this.address} v${theirs[0]}-${theirs[1]}`,
      );
    }
    return version;
  }

  /** Broker's advertised [min, max] for a key, or undefined when not listed. */
  brokerVersions(apiKey: number): readonly [number, number] | undefined {
    return this.#brokerVersions.get(apiKey);
  }

  /** Calls `listener` once when the connection closes (with the error that closed it, null for {@link close}). */
  onClose(listener: (error: StreamsError | null) => void): void {
    if (this.#closed) listener(this.#closeError);
    else this.#closeListeners.push(listener);
  }

  /**
   * Sends one request at the negotiated version and resolves with its decoded response. Requests pipeline: many
   * may be in flight, answered in order. Rejects with NETWORK_FAILED (connection lost), TIMEOUT, CLOSED,
   * UNSUPPORTED_VERSION, or CORRUPT_MESSAGE (undecodable response; the connection is closed). Error codes inside
   * the response body are the caller's to read.
   */
  send<K extends ApiKeyNumber>(apiKey: K, body: RequestBodyInput<K>, options: SendOptions = {}): Promise<KafkaResponse<K>> {
    let version: number;
    try {
      version = this.versionFor(apiKey);
    } catch (e: unknown) {
      return Promise.reject(e);
    }
    return this.#sendAt(apiKey, version, body, options.timeoutMs ?? this.#requestTimeoutMs);
  }

  /** Closes the socket; requests in flight reject with NETWORK_FAILED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#fail(null);
    await new Promise<void>((resolve) => {
      if (this.#socket.destroyed) resolve();
      else {
        this.#socket.once('close', () => resolve());
        this.#socket.end();
        // A peer that never acknowledges the FIN must not hold close() forever.
        this.#timers.setTimeout(() => this.#socket.destroy(), 1000);
      }
    });
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  async #negotiate(timeoutMs: number): Promise<void> {
    const ours = SUPPORTED_VERSIONS.get(ApiKey.ApiVersions) ?? [0, 3];
    let version = Math.min(3, ours[1]);
    for (;;) {
      const { body } = await this.#sendAt(ApiKey.ApiVersions, version, { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION }, timeoutMs);
      const versions = new Map<number, readonly [number, number]>();
      for (const k of body.apiKeys ?? []) versions.set(k.apiKey ?? -1, [k.minVersion ?? 0, k.maxVersion ?? -1]);
      if (body.errorCode === UNSUPPORTED_VERSION_CODE && version > 0) {
        // The broker answered with a v0 body; it may list what it speaks for ApiVersions itself (KIP-511).
        const theirs = versions.get(ApiKey.ApiVersions);
        const next = theirs !== undefined && theirs[1] < version ? Math.max(theirs[1], ours[0]) : 0;
        version = next < version ? next : 0;
        this.#logger.debug({ broker: this.address, version }, 'ApiVersions: retrying at a lower version');
        continue;
      }
      const err = errorFromKafkaCode(body.errorCode ?? 0, `ApiVersions from ${this.address}`);
      if (err !== null) throw err;
      this.#brokerVersions = versions;
      return;
    }
  }

  #sendAt<K extends ApiKeyNumber>(apiKey: K, version: number, input: RequestBodyInput<K>, timeoutMs: number): Promise<KafkaResponse<K>> {
    if (this.#closed) {
      return Promise.reject(this.#closeError ?? new StreamsError('CLOSED', `connection to ${this.address} is closed`));
    }
    let frame: Buffer[];
    const correlationId = this.#nextCorrelationId;
    this.#nextCorrelationId = (correlationId + 1) & 0x7fffffff;
    let body: RequestBodies[K];
    try {
      body = typeof input === 'function' ? (input as (v: number) => RequestBodies[K])(version) : input;
      frame = encodeRequest(apiKey, version, correlationId, this.#clientId, body);
    } catch (e: unknown) {
      return Promise.reject(e);
    }
    const noResponse = apiKey === ApiKey.Produce && (body as RequestBodies[typeof ApiKey.Produce]).acks === 0;
    // One TCP write for the header and the (referenced, not copied) record chunks.
    this.#socket.cork();
    for (let i = 0; i < frame.length; i++) this.#socket.write(frame[i]!);
    this.#socket.uncork();
    if (noResponse) {
      return Promise.resolve({ version, body: { responses: [], throttleTimeMs: 0 } as unknown as ResponseBodies[K] });
    }
    return new Promise<KafkaResponse<K>>((resolve, reject) => {
      const pending: Pending = { apiKey, version, resolve: resolve as (r: KafkaResponse<ApiKeyNumber>) => void, reject, timer: null };
      pending.timer = this.#timers.setTimeout(() => {
        pending.timer = null;
        this.#pending.delete(correlationId);
        reject(new StreamsError('TIMEOUT', `request (api key ${apiKey} v${version}) to ${this.address} got no response within ${timeoutMs} ms`));
        this.#fail(new StreamsError('NETWORK_FAILED', `connection to ${this.address} closed after a request timed out`));
      }, timeoutMs);
      this.#pending.set(correlationId, pending);
    });
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (!this.#closed) {
      if (this.#frameSize < 0) {
        if (this.#buffered < 4) return;
        const size = this.#peekInt32();
        if (size < 4 || size > this.#maxResponseBytes) {
          this.#fail(new StreamsError('CORRUPT_MESSAGE', `response frame of ${size} bytes from ${this.address} (limit ${this.#maxResponseBytes})`));
          return;
        }
        this.#frameSize = size;
        this.#take(4);
      }
      if (this.#buffered < this.#frameSize) return;
      const frame = this.#take(this.#frameSize);
      this.#frameSize = -1;
      this.#onFrame(frame);
    }
  }

  #peekInt32(): number {
    const first = this.#chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.#chunks, 4).readInt32BE(0);
  }

  /** Removes and returns the next `n` buffered bytes; a subarray (no copy) when they lie in one chunk. */
  #take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.#chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.#chunks[0]!;
        const k = Math.min(c.length, n - at);
        c.copy(out, at, 0, k);
        at += k;
        if (k === c.length) this.#chunks.shift();
        else this.#chunks[0] = c.subarray(k);
      }
    }
    this.#buffered -= n;
    return out;
  }

  #onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const pending = this.#pending.get(correlationId);
    if (pending === undefined) {
      this.#fail(new StreamsError('CORRUPT_MESSAGE', `response from ${this.address} with unknown correlation id ${correlationId}`));
      return;
    }
    this.#pending.delete(correlationId);
    if (pending.timer !== null) this.#timers.clearTimeout(pending.timer);
    let version = pending.version;
    // An ApiVersions request at a version the broker does not know is answered with a v0 body (KIP-511).
    if (pending.apiKey === ApiKey.ApiVersions && frame.length >= 6 && frame.readInt16BE(4) === UNSUPPORTED_VERSION_CODE) version = 0;
    let body: ResponseBodies[ApiKeyNumber];
    try {
      body = decodeResponse(pending.apiKey, version, frame).body;
    } catch (e: unknown) {
      const err = new StreamsError('CORRUPT_MESSAGE', `undecodable response (api key ${pending.apiKey} v${version}) from ${this.address}: ${toError(e).message}`, { cause: e });
      pending.reject(err);
      this.#fail(err);
      return;
    }
    pending.resolve({ version: pending.version, body });
  }

  /** Marks the connection dead, rejects everything in flight, tells the listeners; `null` for a deliberate close. */
  #fail(error: StreamsError | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    if (error !== null) this.#logger.debug({ broker: this.address, err: error.message }, 'connection closed');
    const inFlight = error ?? new StreamsError('NETWORK_FAILED', `connection to ${this.address} was closed with requests in flight`);
    for (const p of this.#pending.values()) {
      if (p.timer !== null) this.#timers.clearTimeout(p.timer);
      p.reject(inFlight.code === 'NETWORK_FAILED' ? inFlight : new StreamsError('NETWORK_FAILED', inFlight.message, { cause: inFlight }));
    }
    this.#pending.clear();
    this.#chunks = [];
    this.#buffered = 0;
    if (error !== null) this.#socket.destroy();
    for (const l of this.#closeListeners.splice(0)) l(error);
  }
}
