/**
 * The `tributary` command line (`npx tributary <command>`). Each command is a module with a `run(args)` returning an
 * exit code; this file only dispatches and turns errors into messages and exit codes (2: bad usage, 1: failure).
 */
import { isStreamsError } from '../errors.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: tributary <command> [options]

commands:
  broker --data-dir DIR [--host 127.0.0.1] [--port 9092] [--advertised-host H] [--advertised-port P]
         [--flush always|os|MS] [--group-min-session-timeout-ms MS] [--group-initial-rebalance-delay-ms MS]
         [--transaction-abort-timed-out-interval-ms MS] [--log-level info]
         run tributary's broker as a Kafka-protocol server (SIGTERM/SIGINT stop it gracefully)
`;

/**
 * Runs the CLI with the arguments after the program name; resolves with the process exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['broker', '--data-dir', './data', '--port', '9092']);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'broker':
        // Commands load on demand: `--help` does not open a broker's dependencies.
        return await (await import('./broker-command.js')).runBrokerCommand(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e: unknown) {
    if (e instanceof UsageError) {
      process.stderr.write(`tributary: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    const message = isStreamsError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
    process.stderr.write(`tributary: ${message}\n`);
    return 1;
  }
}
