/**
 * How a command reaches the log: `--broker HOST:PORT` (tributary's broker server or Apache Kafka, over the Kafka
 * protocol) or `--data-dir DIR` (the broker's directory opened in this process; refused while a broker runs on it).
 */
import * as path from 'node:path';
import type { Logger } from 'pino';
import { Broker } from '../broker/broker.js';
import { inProcessClients, type Clients } from '../client/in-process/in-process-clients.js';
import type { KafkaSecurityOptions } from '../client/kafka/connection.js';
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
export type LogTarget =
  | { readonly kind: 'network'; readonly bootstrapServers: readonly string[]; readonly security?: KafkaSecurityOptions }
  | { readonly kind: 'embedded'; readonly dataDir: string };

/**
 * The command-line options that secure a `--broker` connection (Kafka's client settings of the same names), for a
 * command's parseArgs options. Each falls back to an environment variable (see {@link SECURITY_ENV}), which keeps
 * the password out of `ps` listings.
 *
 * @example
 * ```ts
 * parseCommandArgs(args, { ...LOG_OPTIONS, ...SECURITY_OPTIONS });
 * ```
 */
export const SECURITY_OPTIONS = {
  'security-protocol': { type: 'string' },
  'sasl-mechanism': { type: 'string' },
  'sasl-username': { type: 'string' },
  'sasl-password': { type: 'string' },
  'ssl-ca': { type: 'string' },
} as const;

/**
 * The environment variables behind {@link SECURITY_OPTIONS}, by option.
 *
 * @example
 * ```ts
 * // TRIBUTARY_SECURITY_PROTOCOL=SASL_SSL TRIBUTARY_SASL_MECHANISM=SCRAM-SHA-512 TRIBUTARY_SASL_USERNAME=alice
 * // TRIBUTARY_SASL_PASSWORD=... TRIBUTARY_SSL_CA=ca.pem tributary topics list --broker broker:9093
 * ```
 */
export const SECURITY_ENV = {
  'security-protocol': 'TRIBUTARY_SECURITY_PROTOCOL',
  'sasl-mechanism': 'TRIBUTARY_SASL_MECHANISM',
  'sasl-username': 'TRIBUTARY_SASL_USERNAME',
  'sasl-password': 'TRIBUTARY_SASL_PASSWORD',
  'ssl-ca': 'TRIBUTARY_SSL_CA',
} as const;

/**
 * Values of {@link SECURITY_OPTIONS} as parseArgs returns them.
 *
 * @example
 * ```ts
 * const flags: SecurityFlags = { 'security-protocol': 'SASL_SSL', 'sasl-mechanism': 'SCRAM-SHA-512' };
 * ```
 */
export type SecurityFlags = { readonly [K in keyof typeof SECURITY_OPTIONS]?: string | undefined };

/**
 * The client security the flags (else the environment) ask for: none for PLAINTEXT (the default), TLS for SSL, SASL
 * for SASL_PLAINTEXT, both for SASL_SSL. A usage error for an unknown protocol or mechanism, SASL without a user
 * name or password, or SASL/TLS options with a protocol that does not use them.
 *
 * @example
 * ```ts
 * securityOptions({ 'security-protocol': 'SASL_SSL', 'sasl-mechanism': 'SCRAM-SHA-512', 'sasl-username': 'alice' }, process.env);
 * ```
 */
export function securityOptions(flags: SecurityFlags, env: Readonly<Record<string, string | undefined>>): KafkaSecurityOptions {
  const get = (k: keyof typeof SECURITY_OPTIONS): string | undefined => {
    const v = flags[k] ?? env[SECURITY_ENV[k]];
    return v === '' ? undefined : v;
  };
  const protocol = (get('security-protocol') ?? 'PLAINTEXT').toUpperCase();
  if (protocol !== 'PLAINTEXT' && protocol !== 'SSL' && protocol !== 'SASL_PLAINTEXT' && protocol !== 'SASL_SSL') {
    throw new UsageError(`--security-protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got '${protocol}'`);
  }
  const isTls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const isSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const ca = get('ssl-ca');
  if (!isTls && ca !== undefined) throw new UsageError(`--ssl-ca needs --security-protocol SSL or SASL_SSL (it is ${protocol})`);
  const mechanism = get('sasl-mechanism');
  const username = get('sasl-username');
  const password = get('sasl-password');
  if (!isSasl) {
    if (mechanism !== undefined || username !== undefined || password !== undefined) throw new UsageError(`--sasl-* options need --security-protocol SASL_PLAINTEXT or SASL_SSL (it is ${protocol})`);
    return isTls ? { ssl: ca === undefined ? true : { ca } } : {};
  }
  const m = (mechanism ?? 'SCRAM-SHA-512').toLowerCase();
  if (m !== 'plain' && m !== 'scram-sha-256' && m !== 'scram-sha-512') throw new UsageError(`--sasl-mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got '${mechanism ?? ''}'`);
  if (username === undefined || password === undefined) {
    throw new UsageError(`${protocol} needs --sasl-username and --sasl-password (or ${SECURITY_ENV['sasl-username']} and ${SECURITY_ENV['sasl-password']})`);
  }
  const sasl = { mechanism: m, username, password } as const;
  return isTls ? { ssl: ca === undefined ? true : { ca }, sasl } : { sasl };
}

/**
 * The `--broker` / `--data-dir` pair of a command as a {@link LogTarget}; `TRIBUTARY_BROKER` when both are absent.
 * Both at once, or neither (with `isRequired`), is a usage error; null when neither is given and none is required.
 * A network target carries the security the {@link SECURITY_OPTIONS} flags (else their environment variables) ask for.
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
  flags: SecurityFlags = {},
): LogTarget | null {
  if (broker !== undefined && dataDir !== undefined) throw new UsageError('give --broker or --data-dir, not both');
  const servers = broker ?? (dataDir === undefined ? env[BROKER_ENV] : undefined);
  if (servers !== undefined && servers !== '') {
    const list = servers.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (list.length === 0) throw new UsageError('--broker needs HOST:PORT');
    const security = securityOptions(flags, env);
    return { kind: 'network', bootstrapServers: list, ...(security.ssl === undefined && security.sasl === undefined ? {} : { security }) };
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
    const clients = kafkaClients({ bootstrapServers: target.bootstrapServers, clientId: options.clientId, logger, retries: 5, connectTimeoutMs: 5_000, ...target.security });
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
