import * as net from 'node:net';
import type { ApiKeyNumber } from '../../protocol/api-keys.js';
import { decodeResponse, encodeRequest, type RequestBodies, type ResponseBodies } from '../../protocol/codec.js';

interface Pending {
  readonly apiKey: ApiKeyNumber;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (e: Error) => void;
}

/**
 * A bare Kafka-protocol connection for tests of the server: requests are encoded with the codec and written as
 * they are (pipelined, or as raw bytes), responses are matched to requests in order and decoded. It checks that
 * every response carries the correlation id of the oldest request awaiting one, so a test sees any reordering.
 *
 * @example
 * ```ts
 * const c = await RawKafkaSocket.connect(server.address.port);
 * const md = await c.request(ApiKey.Metadata, 8, { topics: null, allowAutoTopicCreation: false });
 * c.close();
 * ```
 */
export class RawKafkaSocket {
  readonly socket: net.Socket;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  /** Correlation ids of the responses received so far, in arrival order. */
  readonly received: number[] = [];
  #nextCorrelationId = 1;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #pending: Pending[] = [];
  #isClosed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#isClosed = true;
        for (const p of this.#pending.splice(0)) p.reject(new Error(`connection closed before the response to ${p.correlationId}`));
        resolve();
      });
    });
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  /** Connects to a server on this machine. */
  static connect(port: number, host = '127.0.0.1'): Promise<RawKafkaSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RawKafkaSocket(socket));
      });
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Sends a request and resolves with its decoded response (rejects if the connection closes first). */
  request<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, body: RequestBodies[K]): Promise<ResponseBodies[K]> {
    const correlationId = this.#nextCorrelationId++;
    const response = this.expect(apiKey, apiVersion, correlationId);
    this.writeChunks(encodeRequest(apiKey, apiVersion, correlationId, 'raw-test', body));
    return response;
  }

  /** Sends a request that gets no response (Produce with acks=0); returns its correlation id. */
  send<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, body: RequestBodies[K]): number {
    const correlationId = this.#nextCorrelationId++;
    this.writeChunks(encodeRequest(apiKey, apiVersion, correlationId, 'raw-test', body));
    return correlationId;
  }

  /** Registers the next response expected on the wire, decoded as `apiKey` at `apiVersion`. */
  expect<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, correlationId: number): Promise<ResponseBodies[K]> {
    return new Promise((resolve, reject) => {
      if (this.#isClosed) reject(new Error('connection closed'));
      else this.#pending.push({ apiKey, apiVersion, correlationId, resolve: resolve as (b: unknown) => void, reject });
    });
  }

  /** A fresh correlation id, for hand-made frames. */
  nextCorrelationId(): number {
    return this.#nextCorrelationId++;
  }

  writeChunks(chunks: readonly Buffer[]): void {
    for (const c of chunks) this.socket.write(c);
  }

  close(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 4) {
      const size = this.#buffer.readInt32BE(0);
      if (this.#buffer.length < 4 + size) return;
      const frame = this.#buffer.subarray(4, 4 + size);
      this.#buffer = this.#buffer.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      this.received.push(correlationId);
      const p = this.#pending.shift();
      if (p === undefined) continue;
      if (p.correlationId !== correlationId) {
        p.reject(new Error(`expected the response to ${p.correlationId}, got ${correlationId}`));
        continue;
      }
      try {
        p.resolve(decodeResponse(p.apiKey, p.apiVersion, frame).body);
      } catch (e: unknown) {
        p.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }
}
