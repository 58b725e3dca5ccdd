/**
 * How a command reaches the log: `--broker HOST:PORT` (tributary's broker server or Apache Kafka, over the Kafka
 * protocol) or `--data-dir DIR` (the broker's directory opened in this process; refused while a broker runs on it).
 */
import * as path from 'node:path';
import type { Logger } from 'pino';
import { Broker } from '../broker/broker.js';
import { inProcessClients, type Clients } from '../client/in-process/in-process-clients.js';
import { kafkaClients } from '../client/kafka/kafka-clients.js';
import { isStreamsError, StreamsError } from '../errors.js';
import { silentLogger } from '../util/logger.js';
import { UsageError } from './usage-error.js';

/**
 * The environment variable read when neither `--broker` nor `--data-dir` is given (bootstrap servers, comma-separated).
 *
 * @example
 * ```ts
 * process.env[BROKER_ENV] = '127.0.0.1:9092'; // then `tributary topics list` needs no --broker
 * ```
 */
export const BROKER_ENV = 'TRIBUTARY_BROKER';

/**
 * Where the log is, as the command line said it.
 *
 * @example
 * ```ts
 * const target: LogTarget = { kind: 'network', bootstrapServers: ['127.0.0.1:9092'] };
 * ```
 */
export type LogTarget = { readonly kind: 'network'; readonly bootstrapServers: readonly string[] } | { readonly kind: 'embedded'; readonly dataDir: string };

/**
 * The `--broker` / `--data-dir` pair of a command as a {@link LogTarget}; `TRIBUTARY_BROKER` when both are absent.
 * Both at once, or neither (with `isRequired`), is a usage error; null when neither is given and none is required.
 *
 * @example
 * ```ts
 * const target = logTarget(values.broker, values['data-dir'], process.env, true);
 * ```
 */
export function logTarget(
  broker: string | undefined,
  dataDir: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  isRequired: boolean,
): LogTarget | null {
  if (broker !== undefined && dataDir !== undefined) throw new UsageError('give --broker or --data-dir, not both');
  const servers = broker ?? (dataDir === undefined ? env[BROKER_ENV] : undefined);
  if (servers !== undefined && servers !== '') {
    const list = servers.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (list.length === 0) throw new UsageError('--broker needs HOST:PORT');
    return { kind: 'network', bootstrapServers: list };
  }
  if (dataDir !== undefined && dataDir !== '') return { kind: 'embedded', dataDir: path.resolve(dataDir) };
  if (isRequired) throw new UsageError(`give --broker HOST:PORT (or set ${BROKER_ENV}) or --data-dir DIR`);
  return null;
}

/**
 * Clients over the log, and what to close when done.
 *
 * @example
 * ```ts
 * const log = await openLog(target, { clientId: 'tributary-cli' });
 * try { console.log(await log.clients.admin.listTopics()); } finally { await log.close(); }
 * ```
 */
export interface LogConnection {
  readonly clients: Clients;
  /** The embedded broker, for `--data-dir`; null over the network. */
  readonly broker: Broker | null;
  close(): Promise<void>;
}

/**
 * Opens clients over the target: Kafka-protocol clients for `network`, the broker opened on the directory for
 * `embedded`. A directory locked by a running broker fails with ILLEGAL_STATE and a hint to use `--broker`.
 *
 * @example
 * ```ts
 * const log = await openLog({ kind: 'embedded', dataDir: './data' }, { clientId: 'tributary-cli' });
 * ```
 */
export async function openLog(target: LogTarget, options: { readonly clientId: string; readonly logger?: Logger }): Promise<LogConnection> {
  const logger = options.logger ?? silentLogger();
  if (target.kind === 'network') {
    const clients = kafkaClients({ bootstrapServers: target.bootstrapServers, clientId: options.clientId, logger, retries: 5, connectTimeoutMs: 5_000 });
    return { clients, broker: null, close: () => clients.close() };
  }
  const broker = await openEmbeddedBroker(target.dataDir, logger);
  return { clients: inProcessClients(broker), broker, close: () => broker.close() };
}

/**
 * Opens the broker directory in this process. A short-lived command (the default) runs no background maintenance;
 * `tributary run` keeps it (retention, compaction). A directory another process holds gives a message naming it and
 * suggesting `--broker`.
 *
 * @example
 * ```ts
 * const broker = await openEmbeddedBroker('/var/lib/tributary', logger, { isLongLived: true });
 * ```
 */
export async function openEmbeddedBroker(dataDir: string, logger: Logger, options: { readonly isLongLived?: boolean } = {}): Promise<Broker> {
  try {
    return await Broker.open({ dataDir, logger, ...(options.isLongLived === true ? {} : { maintenanceIntervalMs: 0 }) });
  } catch (e: unknown) {
    if (isStreamsError(e, 'ILLEGAL_STATE') && /locked by running process/.test(e.message)) {
      throw new StreamsError('ILLEGAL_STATE', `${e.message}: a broker is running on it; reach it with --broker HOST:PORT instead of --data-dir`, { cause: e });
    }
    throw e;
  }
}
