/**
 * `tributary broker`: opens the included broker on a data directory and serves it over the Kafka wire protocol until
 * SIGTERM or SIGINT, then stops gracefully: no new connections, in-flight requests finish, the log is flushed and
 * its segments closed. A second signal during the stop exits at once (code 130). Once the data directory has ACLs
 * (`tributary acls add`), or with `--authorizer acl`, every request is authorized against them; `--quota` limits
 * principals' produce and fetch byte rates.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Broker, type FlushPolicy } from '../broker/broker.js';
import { KafkaServer, type KafkaServerOptions } from '../broker/server/kafka-server.js';
import { parseQuotaSpecs } from '../broker/security/quota.js';
import { isSaslMechanismName, type SaslMechanismName } from '../broker/security/sasl-mechanism.js';
import { parsePort, UsageError } from './usage-error.js';

function parseFlush(value: string | undefined): FlushPolicy | undefined {
  if (value === undefined) return undefined;
  if (value === 'always' || value === 'os') return value;
  const ms = Number(value);
  if (Number.isInteger(ms) && ms > 0) return { intervalMs: ms };
  throw new UsageError(`--flush must be 'always', 'os' or a number of milliseconds, got '${value}'`);
}

/** A broker option in milliseconds, as an object to spread (empty when not given). */
function optionalMs<K extends string>(value: string | undefined, name: string, key: K): { [P in K]?: number } {
  if (value === undefined) return {};
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0) throw new UsageError(`${name} must be a whole number of milliseconds, got '${value}'`);
  return { [key]: ms } as { [P in K]?: number };
}

/**
 * The authorization and quota options of the broker's flags: `--authorizer acl|none`, `--super-users` (Kafka's
 * `super.users`, `;`-separated or repeated), `--allow-everyone-if-no-acl-found`, `--quota` (repeated).
 */
function securityOptions(values: {
  authorizer?: string | undefined;
  'super-users'?: string[] | undefined;
  'allow-everyone-if-no-acl-found'?: boolean | undefined;
  quota?: string[] | undefined;
}): Pick<KafkaServerOptions, 'authorizer' | 'superUsers' | 'allowEveryoneIfNoAclFound' | 'quotas'> {
  const authorizer = values.authorizer;
  if (authorizer !== undefined && authorizer !== 'acl' && authorizer !== 'none') throw new UsageError(`--authorizer must be 'acl' or 'none', got '${authorizer}'`);
  const superUsers = (values['super-users'] ?? []).flatMap((s) => s.split(';')).map((s) => s.trim()).filter((s) => s !== '');
  for (const u of superUsers) if (!/^User:.+/.test(u)) throw new UsageError(`--super-users takes principals like User:admin, got '${u}'`);
  let quotas: KafkaServerOptions['quotas'];
  try {
    quotas = values.quota === undefined ? undefined : parseQuotaSpecs(values.quota);
  } catch (e: unknown) {
    throw new UsageError(`--quota: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    ...(authorizer === undefined ? {} : { authorizer }),
    ...(superUsers.length === 0 ? {} : { superUsers }),
    ...(values['allow-everyone-if-no-acl-found'] === true ? { allowEveryoneIfNoAclFound: true } : {}),
    ...(quotas === undefined ? {} : { quotas }),
  };
}

/**
 * Where and how the broker listens: `--listeners` (Kafka's listeners, comma-separated `PROTOCOL://host:port`) with
 * `--advertised-listeners`, TLS material for SSL / SASL_SSL listeners and the SASL mechanisms for SASL ones; or the
 * one PLAINTEXT listener of `--host` / `--port` / `--advertised-*`.
 */
function listenerOptions(values: {
  host?: string | undefined;
  port?: string | undefined;
  'advertised-host'?: string | undefined;
  'advertised-port'?: string | undefined;
  listeners?: string | undefined;
  'advertised-listeners'?: string | undefined;
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'tls-ca'?: string | undefined;
  'sasl-mechanisms'?: string | undefined;
  'failed-authentication-delay-ms'?: string | undefined;
}): Pick<KafkaServerOptions, 'host' | 'port' | 'advertisedHost' | 'advertisedPort' | 'listeners' | 'advertisedListeners' | 'tls' | 'sasl'> {
  const list = (v: string | undefined): string[] | undefined => v?.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const listeners = list(values.listeners);
  if (listeners !== undefined && (values.host !== undefined || values.port !== undefined || values['advertised-port'] !== undefined)) {
    throw new UsageError('give --listeners or --host/--port/--advertised-port, not both');
  }
  if (values['advertised-listeners'] !== undefined && listeners === undefined) throw new UsageError('--advertised-listeners needs --listeners');
  const isTls = listeners?.some((l) => /^(SSL|SASL_SSL):/.test(l)) ?? false;
  const isSasl = listeners?.some((l) => /^SASL_/.test(l)) ?? false;
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if (isTls && (cert === undefined || key === undefined)) throw new UsageError('an SSL or SASL_SSL listener needs --tls-cert and --tls-key');
  if (!isTls && (cert !== undefined || key !== undefined || values['tls-ca'] !== undefined)) throw new UsageError('--tls-* options need an SSL or SASL_SSL listener in --listeners');
  if (!isSasl && (values['sasl-mechanisms'] !== undefined || values['failed-authentication-delay-ms'] !== undefined)) {
    throw new UsageError('--sasl-mechanisms and --failed-authentication-delay-ms need a SASL_PLAINTEXT or SASL_SSL listener in --listeners');
  }
  const mechanisms = list(values['sasl-mechanisms'])?.map((m) => m.toUpperCase());
  for (const m of mechanisms ?? []) if (!isSaslMechanismName(m)) throw new UsageError(`--sasl-mechanisms: unknown mechanism '${m}' (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`);
  const port = parsePort(values.port, '--port', 9092);
  const advertisedListeners = list(values['advertised-listeners']);
  return {
    ...(listeners === undefined ? { host: values.host ?? '127.0.0.1', port } : { listeners }),
    ...(advertisedListeners === undefined ? {} : { advertisedListeners }),
    ...(values['advertised-host'] === undefined ? {} : { advertisedHost: values['advertised-host'] }),
    ...(values['advertised-port'] === undefined ? {} : { advertisedPort: parsePort(values['advertised-port'], '--advertised-port', port) }),
    ...(isTls ? { tls: { cert: cert!, key: key!, ...(values['tls-ca'] === undefined ? {} : { ca: values['tls-ca'] }) } } : {}),
    ...(isSasl
      ? {
          sasl: {
            ...(mechanisms === undefined ? {} : { mechanisms: mechanisms as SaslMechanismName[] }),
            ...optionalMs(values['failed-authentication-delay-ms'], '--failed-authentication-delay-ms', 'failedAuthenticationDelayMs'),
          },
        }
      : {}),
  };
}

/**
 * Runs the broker command; resolves with the exit code once the broker has stopped.
 *
 * @example
 * ```ts
 * await runBrokerCommand(['--data-dir', './data', '--port', '9092']);
 * ```
 */
export async function runBrokerCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'advertised-host': { type: 'string' },
      'advertised-port': { type: 'string' },
      flush: { type: 'string' },
      'group-min-session-timeout-ms': { type: 'string' },
      'group-initial-rebalance-delay-ms': { type: 'string' },
      'transaction-abort-timed-out-interval-ms': { type: 'string' },
      'log-level': { type: 'string' },
      listeners: { type: 'string' },
      'advertised-listeners': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-ca': { type: 'string' },
      'sasl-mechanisms': { type: 'string' },
      'failed-authentication-delay-ms': { type: 'string' },
      authorizer: { type: 'string' },
      'super-users': { type: 'string', multiple: true },
      'allow-everyone-if-no-acl-found': { type: 'boolean' },
      quota: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const dataDir = values['data-dir'];
  if (dataDir === undefined || dataDir === '') throw new UsageError('broker needs --data-dir DIR');
  const listening = listenerOptions(values);
  const logger = pino({ level: values['log-level'] ?? process.env['TRIBUTARY_LOG_LEVEL'] ?? 'info', base: { lib: 'tributary', role: 'broker' } }, pino.destination(2));
  const flush = parseFlush(values.flush);
  const security = securityOptions(values);
  const broker = await Broker.open({
    dataDir,
    logger,
    ...(flush === undefined ? {} : { flush }),
    ...optionalMs(values['group-min-session-timeout-ms'], '--group-min-session-timeout-ms', 'groupMinSessionTimeoutMs'),
    ...optionalMs(values['group-initial-rebalance-delay-ms'], '--group-initial-rebalance-delay-ms', 'groupInitialRebalanceDelayMs'),
    ...optionalMs(values['transaction-abort-timed-out-interval-ms'], '--transaction-abort-timed-out-interval-ms', 'transactionAbortTimedOutIntervalMs'),
  });
  let server: KafkaServer;
  try {
    server = await KafkaServer.listen(broker, {
      logger,
      ...security,
      ...listening,
    });
  } catch (e: unknown) {
    await broker.close();
    throw e;
  }
  const { host: address, port: boundPort } = server.address;
  logger.info({ host: address, port: boundPort, dataDir }, 'broker listening');
  // One line on stdout for scripts and tests that start the broker on port 0.
  process.stdout.write(`tributary broker listening on ${address}:${boundPort}\n`);
  if (listening.listeners !== undefined) for (const l of server.listeners) process.stdout.write(`tributary broker listener ${l.protocol}://${l.host}:${l.port}\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without a graceful stop');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, 'stopping: no new connections, finishing in-flight requests');
      void (async () => {
        let code = 0;
        try {
          await server.close();
          await broker.close();
          logger.info('broker stopped');
        } catch (e: unknown) {
          logger.error({ err: e }, 'broker stop failed');
          code = 1;
        }
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        logger.flush();
        resolve(code);
      })();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
