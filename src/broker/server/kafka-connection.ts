import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { toError } from '../../errors.js';
import { ApiKey, SUPPORTED_VERSIONS, apiName, type ApiKeyNumber } from '../../protocol/api-keys.js';
import { decodeRequestBody, decodeRequestHeader, encodeResponse, type ResponseBodies } from '../../protocol/codec.js';
import type { ProduceResponse } from '../../protocol/messages.js';
import type { Logger } from '../../util/logger.js';
import type { Broker } from '../broker.js';
import type { Authorizer } from '../security/authorizer.js';
import type { QuotaManager } from '../security/quota.js';
import { SaslAuthenticator, type SaslServerConfig } from '../security/sasl-authenticator.js';
import { SASL_VERSIONS } from '../security/sasl-mechanism.js';
import { apiVersionsBody } from './data-handlers.js';
import type { ApiHandler, HandlerTable, RequestContext } from './handler.js';

/**
 * What a connection shares with its server (one object for every connection of a server).
 *
 * @example
 * ```ts
 * const settings: ConnectionSettings = { broker, handlers, logger, nodeId: 0, advertisedHost: '127.0.0.1', advertisedPort: 9092, maxRequestBytes: 104_857_600, maxInFlight: 100, writeHighWaterBytes: 4 << 20 };
 * ```
 */
export interface ConnectionSettings {
  readonly broker: Broker;
  readonly handlers: HandlerTable;
  readonly logger: Logger;
  readonly nodeId: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  readonly maxRequestBytes: number;
  /** Requests read but not yet answered, beyond which the socket is paused. */
  readonly maxInFlight: number;
  /** Bytes queued in the socket's write buffer beyond which reading pauses until it drains. */
  readonly writeHighWaterBytes: number;
  /** Kafka's connections.max.idle.ms: a connection with nothing in flight and no bytes for this long is closed. */
  readonly maxIdleMs?: number;
  /** On a SASL listener: how connections authenticate; until they do, only ApiVersions and SASL requests pass. */
  readonly sasl?: SaslServerConfig;
  /** Authorizes requests (RequestContext.authorizer); absent: everything allowed. */
  readonly authorizer?: Authorizer | undefined;
  /** Byte-rate quotas (RequestContext.quotas); absent: none. */
  readonly quotas?: QuotaManager | undefined;
}

/** One request between its frame being read and its response being written: responses leave in this order. */
interface Slot {
  readonly apiKey: ApiKeyNumber;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** Produce with acks=0: Kafka sends no response. */
  readonly isSilent: boolean;
  /** The encoded response once the handler is done (empty for a silent one); null while pending. */
  chunks: Buffer[] | null;
}

const NO_CHUNKS: Buffer[] = [];
/** The request header's fixed part: api key, api version, correlation id. */
const FIXED_HEADER_BYTES = 8;

/**
 * One client connection of {@link KafkaServer}: size-prefixed framing (size checked before any buffering), request
 * dispatch to the handler table, and responses written in request order although handlers finish in any order.
 * Requests are pipelined up to `maxInFlight`; beyond it, or while the socket's write buffer is over its high-water
 * mark, reading pauses. Bad input (oversize or negative size, unknown API key, undecodable frame, unsupported
 * version other than ApiVersions, a handler that throws) closes this connection only, with a log line.
 *
 * @example
 * ```ts
 * const conn: KafkaConnection = new KafkaConnection(socket, settings, () => connections.delete(conn));
 * connections.add(conn);
 * ```
 */
export class KafkaConnection {
  readonly peer: string;
  /** The authenticated principal (Kafka's `User:ANONYMOUS` until a security layer says otherwise). */
  principal = 'User:ANONYMOUS';
  /** SASL state on a SASL listener, else null. */
  readonly #sasl: SaslAuthenticator | null;
  readonly #socket: Socket;
  readonly #settings: ConnectionSettings;
  readonly #abort = new AbortController();
  readonly #queue: Slot[] = [];
  /** Size prefix bytes of the next frame when a read ended inside them. */
  readonly #sizeBytes = Buffer.alloc(4);
  #sizeHave = 0;
  /**
   * A frame spread over several reads, copied into one buffer that grows with what arrived (doubling up to the
   * frame's size), so memory follows the bytes really received, not the size a client claims.
   */
  #parts: Buffer | null = null;
  #partsHave = 0;
  #partSize = 0;
  /** Bytes read but not parsed while the connection is blocked (too many in flight, or the writer is behind). */
  #backlog: Buffer | null = null;
  #isPaused = false;
  /** Throttled by a quota: no request is read until the mute timer fires (KIP-219). */
  #isMuted = false;
  #muteTimer: NodeJS.Timeout | null = null;
  #mutedUntilMs = 0;
  /** RequestContext.throttle, one function per connection. */
  readonly #throttle = (ms: number): void => this.#mute(ms);
  #isClosing = false;
  #isDestroyed = false;
  readonly #onClosed: () => void;

  constructor(socket: Socket, settings: ConnectionSettings, onClosed: () => void) {
    this.#socket = socket;
    this.#settings = settings;
    this.#onClosed = onClosed;
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.#sasl =
      settings.sasl === undefined
        ? null
        : new SaslAuthenticator(settings.sasl, {
            peer: this.peer,
            logger: settings.logger,
            onAuthenticated: (principal) => (this.principal = principal),
            onFailed: () => this.beginClose(),
          });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const maxIdleMs = settings.maxIdleMs ?? 600_000;
    if (maxIdleMs > 0) {
      socket.setTimeout(maxIdleMs);
      socket.on('timeout', () => {
        if (this.#queue.length > 0) return; // a parked long poll or a slow handler is not idleness
        settings.logger.info({ peer: this.peer, maxIdleMs }, 'kafka connection idle; closing it');
        this.destroy();
      });
    }
    // Each parked request listens for the abort; up to maxInFlight of them is no leak.
    setMaxListeners(2 * settings.maxInFlight + 10, this.#abort.signal);
    socket.on('data', (chunk: Buffer) => this.#consume(chunk));
    socket.on('drain', () => this.#pump());
    socket.on('error', (e: Error) => settings.logger.debug({ peer: this.peer, err: e }, 'kafka connection error'));
    socket.on('close', () => {
      this.#isDestroyed = true;
      this.#abort.abort();
      this.#clearMute();
      this.#queue.length = 0;
      this.#backlog = null;
      this.#parts = null;
      this.#onClosed();
    });
  }

  /** Requests read whose responses are not written yet. */
  get inFlight(): number {
    return this.#queue.length;
  }

  /**
   * Graceful close: read no more requests, wake parked long polls (their `signal` aborts, so they answer with what
   * they have), and end the socket once every response in flight is written.
   */
  beginClose(): void {
    if (this.#isClosing || this.#isDestroyed) return;
    this.#isClosing = true;
    this.#backlog = null;
    this.#socket.pause();
    this.#abort.abort();
    this.#endIfIdle();
  }

  /** Closes at once, dropping responses in flight. */
  destroy(): void {
    if (this.#isDestroyed) return;
    this.#isDestroyed = true;
    this.#abort.abort();
    this.#socket.destroy();
  }

  // ---- reading --------------------------------------------------------------------------------------------------

  /**
   * Reading pauses while too many requests are in flight, while the socket's writer is behind, or while a Fetch is in
   * flight: a Fetch may hold up to fetch.max.bytes of log data, so a client cannot pipeline many of them (Kafka reads
   * one request at a time per connection; responses are in order anyway, so later requests lose nothing by waiting).
   */
  #isBlocked(): boolean {
    return this.#isMuted || this.#fetchesInFlight > 0 || this.#queue.length >= this.#settings.maxInFlight || this.#socket.writableLength > this.#settings.writeHighWaterBytes;
  }

  #fetchesInFlight = 0;

  /** Parses frames out of `chunk`; stops (keeping the rest as backlog, socket paused) when the connection is blocked. */
  #consume(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      if (this.#isDestroyed || this.#isClosing) return;
      if (this.#parts !== null) {
        // Inside a frame that spans reads: copy into its buffer, grown as bytes arrive.
        const take = Math.min(len - pos, this.#partSize - this.#partsHave);
        const need = this.#partsHave + take;
        if (need > this.#parts.length) {
          const grown = Buffer.allocUnsafe(Math.min(this.#partSize, Math.max(need, 2 * this.#parts.length)));
          this.#parts.copy(grown, 0, 0, this.#partsHave);
          this.#parts = grown;
        }
        chunk.copy(this.#parts, this.#partsHave, pos, pos + take);
        this.#partsHave = need;
        pos += take;
        if (this.#partsHave < this.#partSize) return;
        const frame = this.#parts;
        this.#parts = null;
        this.#handleFrame(frame);
        continue;
      }
      if (this.#sizeHave === 0 && this.#isBlocked()) {
        this.#backlog = pos === 0 ? chunk : chunk.subarray(pos);
        this.#pause();
        return;
      }
      let size: number;
      if (this.#sizeHave === 0 && len - pos >= 4) {
        size = chunk.readInt32BE(pos);
        pos += 4;
      } else {
        while (this.#sizeHave < 4 && pos < len) this.#sizeBytes[this.#sizeHave++] = chunk[pos++]!;
        if (this.#sizeHave < 4) return;
        this.#sizeHave = 0;
        size = this.#sizeBytes.readInt32BE(0);
      }
      // Checked before anything is buffered: a client cannot make the broker hold more than the limit.
      // Before SASL authentication the limit is Kafka's sasl.server.max.receive.size: strangers get little memory.
      const maxRequestBytes = this.#sasl !== null && !this.#sasl.isAuthenticated ? Math.min(SASL_MAX_RECEIVE_BYTES, this.#settings.maxRequestBytes) : this.#settings.maxRequestBytes;
      if (size < 0 || size > maxRequestBytes) {
        this.#settings.logger.warn({ peer: this.peer, size, maxRequestBytes }, 'kafka request size out of range; closing the connection');
        this.destroy();
        return;
      }
      if (len - pos >= size) {
        const frame = chunk.subarray(pos, pos + size);
        pos += size;
        this.#handleFrame(frame);
      } else {
        this.#parts = Buffer.allocUnsafe(Math.min(size, Math.max(64 * 1024, len - pos)));
        this.#partsHave = 0;
        this.#partSize = size;
      }
    }
  }

  /**
   * Reads nothing more for `ms` (longer if already muted longer). Responses still go out: the one that carries the
   * throttle time is sent at once, as Kafka does since 2.0 (KIP-219), and clients that honour it wait as well.
   */
  #mute(ms: number): void {
    if (this.#isDestroyed || this.#isClosing || !(ms > 0)) return;
    const until = Date.now() + ms;
    if (this.#isMuted && until <= this.#mutedUntilMs) return;
    this.#isMuted = true;
    this.#mutedUntilMs = until;
    if (this.#muteTimer !== null) clearTimeout(this.#muteTimer);
    this.#muteTimer = setTimeout(() => {
      this.#muteTimer = null;
      this.#isMuted = false;
      this.#pump();
    }, ms);
    this.#muteTimer.unref();
  }

  #clearMute(): void {
    if (this.#muteTimer !== null) clearTimeout(this.#muteTimer);
    this.#muteTimer = null;
    this.#isMuted = false;
  }

  #pause(): void {
    if (this.#isPaused) return;
    this.#isPaused = true;
    this.#socket.pause();
  }

  /** After a response was written or the writer drained: parse the backlog, then read again if unblocked. */
  #pump(): void {
    if (this.#isDestroyed || this.#isClosing || this.#isBlocked()) return;
    const backlog = this.#backlog;
    if (backlog !== null) {
      this.#backlog = null;
      this.#consume(backlog);
      if (this.#backlog !== null) return;
    }
    if (this.#isPaused) {
      this.#isPaused = false;
      this.#socket.resume();
    }
  }

  // ---- dispatch -------------------------------------------------------------------------------------------------

  #handleFrame(frame: Buffer): void {
    const s = this.#settings;
    if (frame.length < FIXED_HEADER_BYTES) {
      s.logger.warn({ peer: this.peer, size: frame.length }, 'kafka request shorter than a request header; closing the connection');
      this.destroy();
      return;
    }
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const sasl = this.#sasl;
    if (sasl !== null && !sasl.permits(apiKey)) {
      // Kafka's SaslServerAuthenticator: anything but ApiVersions and the SASL requests before authentication disconnects.
      s.logger.warn({ peer: this.peer, api: apiName(apiKey) }, 'kafka request before SASL authentication; closing the connection');
      this.destroy();
      return;
    }
    const handler = (sasl?.handler(apiKey) ?? s.handlers[apiKey as ApiKeyNumber]) as ApiHandler<ApiKeyNumber> | undefined;
    const range = SUPPORTED_VERSIONS.get(apiKey) ?? (sasl === null ? undefined : SASL_VERSIONS.get(apiKey));
    if (handler === undefined || range === undefined) {
      s.logger.warn({ peer: this.peer, apiKey, apiVersion }, 'unknown kafka api key; closing the connection');
      this.destroy();
      return;
    }
    if (apiVersion < range[0] || apiVersion > range[1]) {
      if (apiKey === ApiKey.ApiVersions) {
        // KIP-511: a v0 body with UNSUPPORTED_VERSION and our versions, so the client can pick one and retry.
        const slot: Slot = { apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId, isSilent: false, chunks: null };
        this.#queue.push(slot);
        this.#complete(slot, apiVersionsBody(UNSUPPORTED_VERSION_CODE, sasl !== null));
        return;
      }
      s.logger.warn({ peer: this.peer, api: apiName(apiKey), apiVersion, supported: range }, 'unsupported kafka api version; closing the connection');
      this.destroy();
      return;
    }
    let clientId: string | null;
    let body: unknown;
    try {
      const header = decodeRequestHeader(frame);
      clientId = header.clientId;
      body = decodeRequestBody(apiKey as ApiKeyNumber, apiVersion, frame, header.bodyOffset);
    } catch (e: unknown) {
      s.logger.warn({ peer: this.peer, api: apiName(apiKey), apiVersion, err: toError(e) }, 'malformed kafka request; closing the connection');
      this.destroy();
      return;
    }
    const isSilent = apiKey === ApiKey.Produce && (body as { acks: number }).acks === 0;
    const slot: Slot = { apiKey: apiKey as ApiKeyNumber, apiVersion, correlationId, isSilent, chunks: null };
    this.#queue.push(slot);
    const ctx: RequestContext = {
      broker: s.broker,
      apiVersion,
      clientId,
      peer: this.peer,
      logger: s.logger,
      nodeId: s.nodeId,
      advertisedHost: s.advertisedHost,
      advertisedPort: s.advertisedPort,
      signal: this.#abort.signal,
      principal: this.principal,
      authorizer: s.authorizer,
      quotas: s.quotas,
      throttle: this.#throttle,
    };
    let result: unknown;
    try {
      result = handler(ctx, body as never);
    } catch (e: unknown) {
      this.#fail(slot, e);
      return;
    }
    if (isPromiseLike(result)) {
      const isFetch = apiKey === ApiKey.Fetch;
      if (isFetch) this.#fetchesInFlight++;
      result.then(
        (r) => {
          if (isFetch) this.#fetchesInFlight--;
          this.#complete(slot, r as ResponseBodies[ApiKeyNumber]);
        },
        (e: unknown) => this.#fail(slot, e),
      );
    } else this.#complete(slot, result as ResponseBodies[ApiKeyNumber]);
  }

  #complete(slot: Slot, response: ResponseBodies[ApiKeyNumber]): void {
    if (this.#isDestroyed) return;
    if (slot.isSilent) {
      // acks=0 gets no response; Kafka closes the connection on an error so the producer notices and refreshes.
      const failed = firstProduceError(response as ProduceResponse);
      if (failed !== null) {
        this.#settings.logger.info({ peer: this.peer, ...failed }, 'acks=0 produce failed; closing the connection');
        this.destroy();
        return;
      }
      slot.chunks = NO_CHUNKS;
    } else {
      try {
        slot.chunks = encodeResponse(slot.apiKey, slot.apiVersion, slot.correlationId, response);
      } catch (e: unknown) {
        this.#fail(slot, e);
        return;
      }
    }
    this.#flush();
  }

  #fail(slot: Slot, e: unknown): void {
    if (this.#isDestroyed) return;
    this.#settings.logger.error(
      { peer: this.peer, api: apiName(slot.apiKey), apiVersion: slot.apiVersion, correlationId: slot.correlationId, err: toError(e) },
      'kafka request handler failed; closing the connection',
    );
    this.destroy();
  }

  /** Writes every finished response at the head of the queue, in one corked batch. */
  #flush(): void {
    const q = this.#queue;
    if (q.length === 0 || q[0]!.chunks === null) return;
    const socket = this.#socket;
    socket.cork();
    let n = 0;
    while (n < q.length) {
      const chunks = q[n]!.chunks;
      if (chunks === null) break;
      for (let i = 0; i < chunks.length; i++) socket.write(chunks[i]!);
      n++;
    }
    q.splice(0, n);
    socket.uncork();
    if (this.#isClosing) this.#endIfIdle();
    else this.#pump();
  }

  #endIfIdle(): void {
    if (this.#queue.length > 0 || this.#isDestroyed) return;
    const socket = this.#socket;
    socket.end(() => socket.destroy());
  }
}

const UNSUPPORTED_VERSION_CODE = 35;
/** Kafka's sasl.server.max.receive.size default. */
const SASL_MAX_RECEIVE_BYTES = 524_288;

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

function firstProduceError(r: ProduceResponse): { topic: string; partition: number; errorCode: number } | null {
  for (const t of r.responses) {
    for (const p of t.partitionResponses) if (p.errorCode !== 0) return { topic: t.name, partition: p.index, errorCode: p.errorCode };
  }
  return null;
}
