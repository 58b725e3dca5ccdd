import * as net from 'node:net';
import * as os from 'node:os';
import type { Logger } from '../../util/logger.js';
import type { Broker } from '../broker.js';
import { coordinatorHandlers } from './coordinator-handlers.js';
import { dataHandlers } from './data-handlers.js';
import { deleteRecordsHandlers } from './delete-records-handler.js';
import type { HandlerTable } from './handler.js';
import { KafkaConnection, type ConnectionSettings } from './kafka-connection.js';

/**
 * Options of {@link KafkaServer.listen} (and `Broker.listen`). Names follow Kafka's broker settings where one exists.
 *
 * @example
 * ```ts
 * const server = await KafkaServer.listen(broker, { host: '0.0.0.0', port: 9092, advertisedHost: 'broker.local' });
 * ```
 */
export interface KafkaServerOptions {
  /** Address to bind; default `127.0.0.1` (loopback only). */
  readonly host?: string;
  /** Port to bind; default 9092; 0 picks a free port (read it from `server.address`). */
  readonly port?: number;
  /** Host clients are told to connect to (Metadata, FindCoordinator); default `host`, or the machine's name for a wildcard bind. */
  readonly advertisedHost?: string;
  /** Port clients are told to connect to; default the bound port. */
  readonly advertisedPort?: number;
  /** This node's id (Kafka's node.id); default 0. */
  readonly nodeId?: number;
  /** Kafka's socket.request.max.bytes: a larger (or negative) request size closes the connection; default 104857600. */
  readonly maxRequestBytes?: number;
  /** Kafka's max.connections.per.ip: connections beyond it are closed at once; default 1000. */
  readonly maxConnectionsPerIp?: number;
  /** Requests one connection may have in flight before its socket is paused; default 100. */
  readonly maxInFlightPerConnection?: number;
  /** Kafka's connections.max.idle.ms: a connection with nothing in flight that sends nothing this long is closed; default 600000, 0 never. */
  readonly connectionsMaxIdleMs?: number;
  /** How long {@link KafkaServer.close} lets in-flight requests finish before it drops connections; default 5000. */
  readonly shutdownTimeoutMs?: number;
  /** More handlers (they win over the built-in ones for the same key). */
  readonly extraHandlers?: HandlerTable;
  /** Default: the broker's logger. */
  readonly logger?: Logger;
}

/**
 * Where a {@link KafkaServer} listens (the bound port, also when 0 asked for a free one).
 *
 * @example
 * ```ts
 * const { host, port } = server.address; // { host: '127.0.0.1', port: 41237 }
 * ```
 */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Every API the server serves out of the box: the data plane, the group and transaction coordinators and
 * DeleteRecords; one handler for each key of SUPPORTED_VERSIONS (what ApiVersions advertises).
 *
 * @example
 * ```ts
 * const server = await KafkaServer.listen(broker, { extraHandlers: { [ApiKey.SaslHandshake]: sasl } });
 * ```
 */
export const builtInHandlers: HandlerTable = { ...dataHandlers, ...coordinatorHandlers, ...deleteRecordsHandlers };

/** Reading pauses while a connection has more than this queued for the socket (a client that does not read). */
const WRITE_HIGH_WATER_BYTES = 4 * 1024 * 1024;

/**
 * tributary's broker on the network: a TCP server speaking the Kafka wire protocol, so kcat, kafkajs, librdkafka and
 * tributary's own network client reach the {@link Broker}. One node: it is the controller, every partition's leader
 * and every group's and transaction's coordinator. Per connection, requests are pipelined and responses leave in
 * request order (a parked Fetch or JoinGroup delays the responses after it, as in Kafka); connections never wait on
 * each other. Bad input closes only the connection that sent it.
 *
 * @example
 * ```ts
 * const broker = await Broker.open({ dataDir: './data' });
 * const server = await KafkaServer.listen(broker, { port: 9092 });
 * // kcat -b 127.0.0.1:9092 -L
 * await server.close();
 * await broker.close();
 * ```
 */
export class KafkaServer {
  readonly address: ServerAddress;
  readonly #server: net.Server;
  readonly #settings: ConnectionSettings;
  readonly #connections = new Set<KafkaConnection>();
  readonly #perIp = new Map<string, number>();
  readonly #maxConnectionsPerIp: number;
  readonly #shutdownTimeoutMs: number;
  #closing: Promise<void> | null = null;

  private constructor(server: net.Server, address: ServerAddress, settings: ConnectionSettings, options: KafkaServerOptions) {
    this.#server = server;
    this.address = address;
    this.#settings = settings;
    this.#maxConnectionsPerIp = options.maxConnectionsPerIp ?? 1000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;
    server.on('connection', (socket) => this.#accept(socket));
    server.on('error', (e) => settings.logger.error({ err: e }, 'kafka server error'));
  }

  /**
   * Binds and starts serving `broker`. Resolves once listening; rejects if the address cannot be bound. Closing the
   * server does not close the broker.
   */
  static async listen(broker: Broker, options: KafkaServerOptions = {}): Promise<KafkaServer> {
    const host = options.host ?? '127.0.0.1';
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 9092, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as net.AddressInfo;
    const logger = options.logger ?? broker.logger;
    const settings: ConnectionSettings = {
      broker,
      handlers: { ...builtInHandlers, ...options.extraHandlers },
      logger,
      nodeId: options.nodeId ?? 0,
      advertisedHost: options.advertisedHost ?? (isWildcard(host) ? os.hostname() : host),
      advertisedPort: options.advertisedPort ?? bound.port,
      maxRequestBytes: options.maxRequestBytes ?? 104_857_600,
      maxInFlight: options.maxInFlightPerConnection ?? 100,
      writeHighWaterBytes: WRITE_HIGH_WATER_BYTES,
      maxIdleMs: options.connectionsMaxIdleMs ?? 600_000,
    };
    const s = new KafkaServer(server, { host, port: bound.port }, settings, options);
    logger.info({ host, port: bound.port, advertised: `${settings.advertisedHost}:${settings.advertisedPort}`, nodeId: settings.nodeId }, 'kafka server listening');
    return s;
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Graceful stop: accept no more connections, read no more requests, wake parked long polls so they answer with what
   * they have, let responses in flight be written, then close every connection (those still busy after
   * `shutdownTimeoutMs` are dropped). Does not close the broker.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const c of this.#connections) c.beginClose();
      const timer = setTimeout(() => {
        if (this.#connections.size > 0) this.#settings.logger.warn({ connections: this.#connections.size }, 'kafka server close timed out; dropping connections');
        for (const c of this.#connections) c.destroy();
      }, this.#shutdownTimeoutMs);
      timer.unref();
      this.#server.once('close', () => clearTimeout(timer));
    });
    return this.#closing;
  }

  #accept(socket: net.Socket): void {
    const ip = socket.remoteAddress;
    if (this.#closing !== null || ip === undefined) {
      socket.destroy();
      return;
    }
    const count = this.#perIp.get(ip) ?? 0;
    if (count >= this.#maxConnectionsPerIp) {
      this.#settings.logger.warn({ ip, maxConnectionsPerIp: this.#maxConnectionsPerIp }, 'too many kafka connections from one address; refusing');
      socket.destroy();
      return;
    }
    this.#perIp.set(ip, count + 1);
    const conn: KafkaConnection = new KafkaConnection(socket, this.#settings, () => {
      this.#connections.delete(conn);
      const n = (this.#perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.#perIp.delete(ip);
      else this.#perIp.set(ip, n);
    });
    this.#connections.add(conn);
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
