import * as net from 'node:net';
import type * as tls from 'node:tls';
import { StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { Logger } from '../../util/logger.js';
import type { Broker } from '../broker.js';
import { openAuthorizer, type AuthorizationOptions } from '../security/authorizer-setup.js';
import { QuotaManager, type QuotaConfig } from '../security/quota.js';
import { coordinatorHandlers } from './coordinator-handlers.js';
import { dataHandlers, handleSaslApiVersions } from './data-handlers.js';
import { deleteRecordsHandlers } from './delete-records-handler.js';
import type { HandlerTable } from './handler.js';
import { KafkaConnection, type ConnectionSettings } from './kafka-connection.js';
import {
  advertisedAddress,
  bindListeners,
  isSaslProtocol,
  isTlsProtocol,
  parseAdvertisedListeners,
  parseListeners,
  type BoundListener,
  type Listener,
  type SecurityProtocol,
} from '../security/listeners.js';
import { saslServerConfig, type SaslListenerOptions, type SaslServerConfig } from '../security/sasl-authenticator.js';
import { tlsPrincipal, tlsServerOptions, type TlsServerOptions } from '../security/tls.js';

/**
 * Options of {@link KafkaServer.listen} (and `Broker.listen`). Names follow Kafka's broker settings where one exists.
 *
 * @example
 * ```ts
 * const server = await KafkaServer.listen(broker, { host: '0.0.0.0', port: 9092, advertisedHost: 'broker.local' });
 * ```
 */
export interface KafkaServerOptions extends AuthorizationOptions {
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
  /**
   * Kafka's listeners: `PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL://host:port` entries (at most one per protocol; port 0
   * picks a free one; an empty host binds every interface), each its own server socket. Instead of `host` / `port`,
   * which stand for one PLAINTEXT listener. Metadata and FindCoordinator answer with the address of the listener the
   * request came through.
   */
  readonly listeners?: readonly string[];
  /** Kafka's advertised.listeners: `PROTOCOL://host:port` per listener that advertises another address than its own. */
  readonly advertisedListeners?: readonly string[];
  /** Certificate, key and optional client CA of the SSL and SASL_SSL listeners (required when there is one). */
  readonly tls?: TlsServerOptions;
  /** Mechanisms, users and failure delay of the SASL_PLAINTEXT and SASL_SSL listeners (defaults: see its fields). */
  readonly sasl?: SaslListenerOptions;
  /** Default: the broker's logger. */
  readonly logger?: Logger;
  /**
   * Byte-rate quotas by principal (Kafka's `producer_byte_rate` / `consumer_byte_rate`; `User:<default>` for every
   * principal without its own): a Produce or Fetch that brings the rate over its quota is answered with
   * `throttleTimeMs` and its connection reads nothing more for that long.
   */
  readonly quotas?: QuotaConfig;
  /** Kafka's quota.window.size.seconds, in ms: one sample of the measured rates; default 1000. */
  readonly quotaWindowSizeMs?: number;
  /** Kafka's quota.window.num: samples in the measured rates; default 11. */
  readonly quotaWindowNum?: number;
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
  /** The first listener's bound address. */
  readonly address: ServerAddress;
  /** Every listener, in the order given, with its bound and advertised addresses. */
  readonly listeners: readonly BoundListener[];
  readonly #servers: readonly net.Server[];
  readonly #settings: ConnectionSettings;
  readonly #connections = new Set<KafkaConnection>();
  /** Every accepted TCP socket (TLS ones from before their handshake), dropped at the end of a close that timed out. */
  readonly #sockets = new Set<net.Socket>();
  readonly #perIp = new Map<string, number>();
  readonly #maxConnectionsPerIp: number;
  readonly #shutdownTimeoutMs: number;
  #closing: Promise<void> | null = null;
  #closeSecurity: () => void = () => {};

  private constructor(serving: readonly ServingListener[], settings: ConnectionSettings, options: KafkaServerOptions) {
    this.#servers = serving.map((l) => l.server);
    this.listeners = serving.map((l) => l.listener);
    this.address = { host: serving[0]!.listener.host, port: serving[0]!.listener.port };
    this.#settings = settings;
    this.#maxConnectionsPerIp = options.maxConnectionsPerIp ?? 1000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;
    for (const l of serving) {
      l.server.on('connection', (socket: net.Socket) => this.#accept(socket, l));
      if (isTlsProtocol(l.listener.protocol)) {
        // On an SSL listener a verified client certificate is the principal; on SASL_SSL, SASL decides.
        const isSsl = l.listener.protocol === 'SSL';
        l.server.on('secureConnection', (socket: tls.TLSSocket) => {
          if (this.#closing !== null) socket.destroy();
          else this.#open(socket, l.settings, isSsl ? tlsPrincipal(socket) : null);
        });
        l.server.on('tlsClientError', (e: Error, socket: tls.TLSSocket) =>
          settings.logger.info({ peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, listener: l.listener.protocol, err: e.message }, 'TLS handshake failed'),
        );
      }
      l.server.on('error', (e) => settings.logger.error({ err: e, listener: l.listener.protocol }, 'kafka server error'));
    }
  }

  /**
   * Binds and starts serving `broker`. Resolves once listening; rejects if the address cannot be bound. Closing the
   * server does not close the broker.
   */
  static async listen(broker: Broker, options: KafkaServerOptions = {}): Promise<KafkaServer> {
    const listeners = listenersOf(options);
    const advertised = parseAdvertisedListeners(options.advertisedListeners ?? [], listeners);
    const tlsOptions = listeners.some((l) => isTlsProtocol(l.protocol)) ? tlsServerOptions(requireTls(options.tls)) : null;
    const sasl = listeners.some((l) => isSaslProtocol(l.protocol)) ? saslServerConfig(broker.dataDir, options.sasl) : null;
    const servers = await bindListeners(listeners, tlsOptions);
    const ports = servers.map((x) => (x.address() as net.AddressInfo).port);
    const first = advertisedAddress(listeners[0]!, ports[0]!, advertised, options);
    const logger = options.logger ?? broker.logger;
    let security: ReturnType<typeof openAuthorizer>;
    let quotas: QuotaManager | undefined;
    try {
      security = openAuthorizer(broker, options, logger);
      quotas = options.quotas === undefined ? undefined : new QuotaManager(options.quotas, { clock: broker.clock, ...quotaWindow(options) });
    } catch (e: unknown) {
      for (const x of servers) x.close();
      throw e;
    }
    const settings: ConnectionSettings = {
      broker,
      handlers: { ...builtInHandlers, ...options.extraHandlers },
      logger,
      nodeId: options.nodeId ?? 0,
      advertisedHost: first.host,
      advertisedPort: first.port,
      maxRequestBytes: options.maxRequestBytes ?? 104_857_600,
      maxInFlight: options.maxInFlightPerConnection ?? 100,
      writeHighWaterBytes: WRITE_HIGH_WATER_BYTES,
      maxIdleMs: options.connectionsMaxIdleMs ?? 600_000,
      authorizer: security.authorizer,
      quotas,
    };
    const serving = listeners.map((l, i) => servingListener(servers[i]!, l, ports[i]!, settings, advertised, options, sasl));
    const s = new KafkaServer(serving, settings, options);
    s.#closeSecurity = security.close;
    for (const { listener: l } of serving) {
      logger.info({ listener: l.protocol, host: l.host, port: l.port, advertised: `${l.advertisedHost}:${l.advertisedPort}`, nodeId: settings.nodeId }, 'kafka server listening');
    }
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
      this.#closeSecurity();
      const closed = this.#servers.map((server) => new Promise<void>((done) => server.close(() => done())));
      for (const c of this.#connections) c.beginClose();
      const timer = setTimeout(() => {
        if (this.#connections.size > 0) this.#settings.logger.warn({ connections: this.#connections.size }, 'kafka server close timed out; dropping connections');
        for (const c of this.#connections) c.destroy();
        for (const socket of this.#sockets) socket.destroy();
      }, this.#shutdownTimeoutMs);
      timer.unref();
      void Promise.all(closed).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.#closing;
  }

  /** A TCP connection arrived (a TLS one before its handshake): count it against its address; serve a plaintext one. */
  #accept(socket: net.Socket, listener: ServingListener): void {
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
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      const n = (this.#perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.#perIp.delete(ip);
      else this.#perIp.set(ip, n);
    });
    if (!isTlsProtocol(listener.listener.protocol)) this.#open(socket, listener.settings, null);
  }

  /** Serves a connection (a TLS one once its handshake is done), with a principal known from TLS or null. */
  #open(socket: net.Socket, settings: ConnectionSettings, principal: string | null): void {
    const conn: KafkaConnection = new KafkaConnection(socket, settings, () => this.#connections.delete(conn));
    if (principal !== null) conn.principal = principal;
    this.#connections.add(conn);
  }
}

/** One bound listener with the connection settings of its connections. */
interface ServingListener {
  readonly server: net.Server;
  readonly listener: BoundListener;
  readonly settings: ConnectionSettings;
}

/** The listeners the options ask for: `listeners`, or one PLAINTEXT listener on `host` / `port`. */
function listenersOf(options: KafkaServerOptions): Listener[] {
  if (options.listeners === undefined) return [{ protocol: 'PLAINTEXT', host: options.host ?? '127.0.0.1', port: options.port ?? 9092 }];
  if (options.host !== undefined || options.port !== undefined) throw new StreamsError('INVALID_CONFIG', 'give listeners or host/port, not both');
  const listeners = parseListeners(options.listeners);
  if (options.advertisedPort !== undefined && listeners.length > 1) throw new StreamsError('INVALID_CONFIG', 'advertisedPort is ambiguous with several listeners; use advertisedListeners');
  return listeners;
}

function requireTls(options: TlsServerOptions | undefined): TlsServerOptions {
  if (options === undefined) throw new StreamsError('INVALID_CONFIG', 'an SSL or SASL_SSL listener needs tls options (cert and key)');
  return options;
}

function servingListener(
  server: net.Server,
  listener: Listener,
  port: number,
  base: ConnectionSettings,
  advertised: ReadonlyMap<SecurityProtocol, { readonly host: string; readonly port: number }>,
  options: KafkaServerOptions,
  sasl: SaslServerConfig | null,
): ServingListener {
  const address = advertisedAddress(listener, port, advertised, options);
  const isSasl = isSaslProtocol(listener.protocol);
  const settings: ConnectionSettings = {
    ...base,
    advertisedHost: address.host,
    advertisedPort: address.port,
    ...(isSasl && sasl !== null ? { sasl, handlers: { ...base.handlers, [ApiKey.ApiVersions]: handleSaslApiVersions } } : {}),
  };
  return { server, listener: { protocol: listener.protocol, host: listener.host, port, advertisedHost: address.host, advertisedPort: address.port }, settings };
}

function quotaWindow(options: KafkaServerOptions): { windowSizeMs?: number; windowNum?: number } {
  return {
    ...(options.quotaWindowSizeMs === undefined ? {} : { windowSizeMs: options.quotaWindowSizeMs }),
    ...(options.quotaWindowNum === undefined ? {} : { windowNum: options.quotaWindowNum }),
  };
}
