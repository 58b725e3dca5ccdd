/**
 * `tributary run app.ts`: runs an application module (see app-module.ts) as a long-lived service. Starts
 * KafkaStreams (over `--broker`, an embedded broker on `--data-dir`, or what the module's config says), logs state
 * changes, serves HTTP with `--http-port` (health, readiness, metrics, interactive queries, the dashboard).
 *
 * Exit codes: 0 after SIGTERM/SIGINT and a close within `--shutdown-timeout-ms` (default 30000); 1 when the close
 * timed out, when the application reached ERROR (closed first; a supervisor restarts the process, this command never
 * restarts anything itself) or could not start; 130 on a second signal during the close (no graceful stop).
 */
import { pino, type Logger } from 'pino';
import { KafkaStreams, type KafkaStreamsState } from '../../runtime/kafka-streams.js';
import { StreamsHttpServer } from '../../runtime/service/streams-http-server.js';
import type { StreamsConfig } from '../../runtime/streams-config.js';
import type { Broker } from '../broker/broker.js';
import { toError } from '../errors.js';
import { loadAppModule } from './app-module.js';
import { LOG_OPTIONS, onePositional, parseCommandArgs, wholeNumber } from './command-args.js';
import { logTarget, openEmbeddedBroker, SECURITY_ENV } from './log-connection.js';
import { parsePort, UsageError } from './usage-error.js';

const OPTIONS = {
  ...LOG_OPTIONS,
  'http-port': { type: 'string' },
  'http-host': { type: 'string' },
  'state-dir': { type: 'string' },
  'application-id': { type: 'string' },
  'application-server': { type: 'string' },
  'shutdown-timeout-ms': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

/**
 * Exit code when a second signal arrives during the graceful stop (no graceful stop), as a shell reports SIGINT.
 *
 * @example
 * ```ts
 * if (code === FORCED_EXIT_CODE) log.warn('the application was stopped without committing');
 * ```
 */
export const FORCED_EXIT_CODE = 130;
/** After the command resolves, the process is made to exit this long later if something still holds it open. */
const EXIT_GRACE_MS = 3_000;

/**
 * Runs `tributary run`; resolves with the exit code once the application has stopped (see the file comment).
 *
 * @example
 * ```ts
 * process.exitCode = await runRunCommand(['app.ts', '--broker', '127.0.0.1:9092', '--http-port', '8080']);
 * ```
 */
export async function runRunCommand(args: readonly string[], out: { write(text: string): unknown } = process.stdout): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const file = onePositional(positionals, 'run', 'app module (app.ts)');
  const httpPort = values['http-port'] === undefined ? null : parsePort(values['http-port'], '--http-port', 0);
  const shutdownTimeoutMs = wholeNumber(values['shutdown-timeout-ms'], '--shutdown-timeout-ms', 30_000, 0);
  // TRIBUTARY_BROKER does not choose run's log (an app without --broker runs embedded); the security variables apply.
  const securityEnv = Object.fromEntries(Object.values(SECURITY_ENV).map((k) => [k, process.env[k]]));
  const target = logTarget(values.broker, values['data-dir'], securityEnv, false, values);
  const logger = pino({ level: values['log-level'] ?? process.env['TRIBUTARY_LOG_LEVEL'] ?? 'info', base: { lib: 'tributary', role: 'app' } }, pino.destination(2));

  const app = await loadAppModule(file);
  const overrides: Partial<StreamsConfig> = {
    ...(values['application-id'] === undefined ? {} : { applicationId: values['application-id'] }),
    ...(values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] }),
    ...(values['application-server'] === undefined ? {} : { applicationServer: values['application-server'] }),
    ...(target?.kind === 'network' ? { broker: target.bootstrapServers, ...(target.security === undefined ? {} : { security: target.security }) } : {}),
  };
  const merged: Partial<StreamsConfig> = { logger, ...app.config, ...overrides };
  if (typeof merged.applicationId !== 'string') throw new UsageError(`${file} exports no config.applicationId: give --application-id`);
  const topology = await app.topology(merged);

  let broker: Broker | null = null;
  if (target?.kind === 'embedded') broker = await openEmbeddedBroker(target.dataDir, logger, { isLongLived: true });
  let streams: KafkaStreams;
  try {
    streams = new KafkaStreams(topology, { ...merged, ...(broker === null ? {} : { broker }) } as StreamsConfig);
  } catch (e: unknown) {
    await broker?.close();
    throw e;
  }
  const applicationId = merged.applicationId;
  let previous: KafkaStreamsState = streams.state;
  const stateLines = streams.state$.subscribe((state) => {
    if (state === previous) return;
    // One line per change on stdout, for people and scripts; the logger has the details.
    out.write(`tributary run: ${applicationId} ${previous} -> ${state}\n`);
    previous = state;
  });

  let server: StreamsHttpServer | null = null;
  const stop = async (timeoutMs: number): Promise<boolean> => {
    let isClean = await streams.close({ timeoutMs }).catch((e: unknown) => {
      logger.error({ err: toError(e) }, 'closing the application failed');
      return false;
    });
    await server?.close().catch((e: unknown) => logger.warn({ err: toError(e) }, 'closing the HTTP server failed'));
    if (isClean && broker !== null) {
      isClean = await broker.close().then(
        () => true,
        (e: unknown) => (logger.error({ err: toError(e) }, 'closing the broker failed'), false),
      );
    }
    stateLines.unsubscribe();
    return isClean;
  };

  // Signals and ERROR are watched from here on, so a SIGTERM during the start stops it gracefully too.
  let isStopping = false;
  let finish!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => {
    finish = (code: number): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      errors.unsubscribe();
      resolve(code);
    };
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (isStopping) {
      logger.warn({ signal }, 'second signal: exiting without a graceful stop');
      logger.flush();
      process.exit(FORCED_EXIT_CODE);
    }
    isStopping = true;
    logger.info({ signal, timeoutMs: shutdownTimeoutMs }, 'stopping: finishing polled records, committing, leaving the group');
    void stop(shutdownTimeoutMs).then((isClean) => {
      if (!isClean) logger.error({ timeoutMs: shutdownTimeoutMs }, 'the application did not stop within the shutdown timeout');
      finish(isClean ? 0 : 1);
    });
  };
  const errors = streams.state$.subscribe((state) => {
    if (state !== 'ERROR' || isStopping) return;
    isStopping = true;
    logger.error({ err: streams.error }, 'the application failed (state ERROR); exiting with code 1 for a supervisor to restart it');
    void stop(shutdownTimeoutMs).then(() => finish(1));
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    if (httpPort !== null) {
      server = await StreamsHttpServer.start(streams, { port: httpPort, logger, ...(values['http-host'] === undefined ? {} : { host: values['http-host'] }) });
      const { host, port } = server.address;
      out.write(`tributary run: http listening on ${host.includes(':') ? `[${host}]` : host}:${port}\n`);
    }
    await streams.start();
  } catch (e: unknown) {
    // A failed start moved the instance to ERROR (being closed above); anything else is closed here.
    if (!isStopping) {
      isStopping = true;
      void stop(shutdownTimeoutMs).then(() => finish(1));
    }
    await stopped;
    throw e;
  }
  if (!isStopping) logger.info({ applicationId, file: app.file }, 'application started');
  const code = await stopped;
  out.write(`tributary run: ${applicationId} stopped (exit code ${code})\n`);
  logger.flush();
  // A close that timed out leaves work running; nothing may keep the process from exiting with its code.
  setTimeout(() => process.exit(code), code === 0 ? EXIT_GRACE_MS : 0).unref();
  return code;
}
