import { StreamsError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import type { Timers } from '../../util/timers.js';
import { KafkaConnection, type KafkaSecurityOptions } from './connection.js';

/**
 * What every connection of a {@link ConnectionPool} is opened with.
 *
 * @example
 * ```ts
 * const settings: ConnectionPoolSettings = { clientId: 'app', logger, requestTimeoutMs: 30_000, connectTimeoutMs: 10_000, timers: systemTimers };
 * ```
 */
export interface ConnectionPoolSettings {
  readonly clientId: string;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly timers: Timers;
  /** TLS and SASL of every connection (none: plaintext). */
  readonly security?: KafkaSecurityOptions;
}

/**
 * One {@link KafkaConnection} per `host:port`, opened on demand: concurrent callers share one connect, a closed
 * connection is replaced by the next caller, and a bootstrap connection is reused once metadata names its broker
 * (same address).
 *
 * @example
 * ```ts
 * const pool = new ConnectionPool(settings);
 * const conn = await pool.get('127.0.0.1', 9092);
 * await pool.close();
 * ```
 */
export class ConnectionPool {
  readonly #settings: ConnectionPoolSettings;
  readonly #connecting = new Map<string, Promise<KafkaConnection>>();
  readonly #open = new Map<string, KafkaConnection>();
  #closed = false;

  constructor(settings: ConnectionPoolSettings) {
    this.#settings = settings;
  }

  /** An open connection to any address, if there is one (no connecting). */
  anyOpen(): KafkaConnection | null {
    for (const c of this.#open.values()) if (c.isOpen) return c;
    return null;
  }

  /** The connection to `host:port`, connecting if there is none open. NETWORK_FAILED when that fails; CLOSED after close(). */
  async get(host: string, port: number): Promise<KafkaConnection> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the Kafka client is closed');
    const address = `${host}:${port}`;
    const open = this.#open.get(address);
    if (open !== undefined && open.isOpen) return open;
    const pending = this.#connecting.get(address);
    if (pending !== undefined) return pending;
    const s = this.#settings;
    const entry = KafkaConnection.connect({
      host,
      port,
      clientId: s.clientId,
      logger: s.logger,
      requestTimeoutMs: s.requestTimeoutMs,
      connectTimeoutMs: s.connectTimeoutMs,
      timers: s.timers,
      ...s.security,
    }).then(
      async (conn) => {
        this.#connecting.delete(address);
        if (this.#closed) {
          await conn.close();
          throw new StreamsError('CLOSED', 'the Kafka client is closed');
        }
        this.#open.set(address, conn);
        conn.onClose(() => {
          if (this.#open.get(address) === conn) this.#open.delete(address);
        });
        return conn;
      },
      (e: unknown) => {
        this.#connecting.delete(address);
        throw e;
      },
    );
    this.#connecting.set(address, entry);
    return entry;
  }

  /** Closes every connection; later calls reject with CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(open.map((c) => c.close()));
  }
}
