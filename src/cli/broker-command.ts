/**
 * `tributary broker`: opens the included broker on a data directory and serves it over the Kafka wire protocol until
 * SIGTERM or SIGINT, then stops gracefully: no new connections, in-flight requests finish, the log is flushed and
 * its segments closed. A second signal during the stop exits at once (code 130).
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Broker, type FlushPolicy } from '../broker/broker.js';
import { KafkaServer } from '../broker/server/kafka-server.js';
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
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      'advertised-host': { type: 'string' },
      'advertised-port': { type: 'string' },
      flush: { type: 'string' },
      'group-min-session-timeout-ms': { type: 'string' },
      'group-initial-rebalance-delay-ms': { type: 'string' },
      'transaction-abort-timed-out-interval-ms': { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const dataDir = values['data-dir'];
  if (dataDir === undefined || dataDir === '') throw new UsageError('broker needs --data-dir DIR');
  const port = parsePort(values.port, '--port', 9092);
  const host = values.host ?? '127.0.0.1';
  const logger = pino({ level: values['log-level'] ?? process.env['TRIBUTARY_LOG_LEVEL'] ?? 'info', base: { lib: 'tributary', role: 'broker' } }, pino.destination(2));
  const flush = parseFlush(values.flush);
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
      host,
      port,
      logger,
      ...(values['advertised-host'] === undefined ? {} : { advertisedHost: values['advertised-host'] }),
      ...(values['advertised-port'] === undefined ? {} : { advertisedPort: parsePort(values['advertised-port'], '--advertised-port', port) }),
    });
  } catch (e: unknown) {
    await broker.close();
    throw e;
  }
  const { host: address, port: boundPort } = server.address;
  logger.info({ host: address, port: boundPort, dataDir }, 'broker listening');
  // One line on stdout for scripts and tests that start the broker on port 0.
  process.stdout.write(`tributary broker listening on ${address}:${boundPort}\n`);

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
