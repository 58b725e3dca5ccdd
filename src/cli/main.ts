/**
 * The `tributary` command line (`npx tributary <command>`). Each command is a module with a `run(args)` returning an
 * exit code; this file only dispatches and turns errors into messages and exit codes (2: bad usage, 1: failure).
 */
import { isStreamsError } from '../errors.js';
import { asUsageError } from './command-args.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: tributary <command> [options]

commands:
  broker --data-dir DIR [--host 127.0.0.1] [--port 9092] [--advertised-host H] [--advertised-port P]
         [--flush always|os|MS] [--group-min-session-timeout-ms MS] [--group-initial-rebalance-delay-ms MS]
         [--transaction-abort-timed-out-interval-ms MS] [--log-level info]
         [--authorizer acl|none] [--super-users 'User:admin;User:ops'] [--allow-everyone-if-no-acl-found]
         [--quota User:alice=producer_byte_rate=1048576,consumer_byte_rate=2097152 ...] (User:<default>=... for all)
         [--listeners PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093 [--advertised-listeners P://HOST:PORT,...]]
         [--tls-cert PEM --tls-key PEM [--tls-ca PEM]] (--tls-ca: client certificates required, subject = principal)
         [--sasl-mechanisms PLAIN,SCRAM-SHA-256,SCRAM-SHA-512] [--failed-authentication-delay-ms 100]
         run tributary's broker as a Kafka-protocol server (SIGTERM/SIGINT stop it gracefully)
  run APP.ts [--broker HOST:PORT | --data-dir DIR] [--http-port PORT] [--http-host H] [--state-dir DIR]
         [--application-id ID] [--application-server HOST:PORT] [--shutdown-timeout-ms 30000] [--log-level info]
         run the application module APP.ts (exports topology or buildTopology(), and config) until SIGTERM/SIGINT;
         exit 0 after a graceful stop, 1 on ERROR or a stop that timed out, 130 on a second signal
  describe APP.ts [--mermaid]
         print the topology as Kafka Streams' describe() text (and as a Mermaid flowchart)
  topics list [--include-internal]
  topics create NAME [--partitions 1] [--config KEY=VALUE ...] [--if-not-exists]
  topics describe NAME...
  topics delete NAME...
  produce TOPIC [--key-separator SEP] [--partitions-from-key] [--batch-size 5000]
         send stdin's lines as records (KEY<SEP>VALUE with --key-separator, e.g. '\\t'; with
         --partitions-from-key the key is also the partition number); progress on stderr
  consume TOPIC [--from-beginning] [--group G] [--max-messages N] [--timeout-ms MS]
         [--isolation-level read_committed|read_uncommitted] [--print-key] [--key-separator SEP]
         print values (KEY<TAB>VALUE with --print-key) until N records, MS without one, or SIGINT/SIGTERM
  groups list
  groups describe GROUP
         state, members, and per partition the committed offset, log end offset and lag
  acls add|remove|list --data-dir DIR [--allow|--deny] [--principal User:NAME ...] [--host IP]
         [--operation Read|Write|Create|Delete|Describe|Alter|DescribeConfigs|AlterConfigs|IdempotentWrite|All ...]
         [--topic T ...] [--group G ...] [--transactional-id X ...] [--cluster] [--prefixed]
         the broker's ACLs (a running broker re-reads them); the first add turns its authorizer on: deny unless allowed
  users add NAME --password-stdin|--password P [--mechanism SCRAM-SHA-256|SCRAM-SHA-512 ...] [--iterations 4096] --data-dir DIR
  users remove NAME --data-dir DIR
  users list --data-dir DIR
         the broker's SASL users (salted SCRAM credentials; PLAIN checks against them); a running broker re-reads
         them at the next authentication
  reset APP --input-topics A,B [--state-dir DIR] [--yes]
         application reset: input offsets to earliest, internal topics deleted, local state wiped;
         without --yes a dry run (exit 2)

  Every command but broker, run, describe, acls and users needs --broker HOST:PORT (or TRIBUTARY_BROKER) or --data-dir DIR
  (the broker's directory opened in this process; not while a broker runs on it). A secured --broker (also for run) is
  reached with --security-protocol SSL|SASL_PLAINTEXT|SASL_SSL, --ssl-ca PEM, --sasl-mechanism (default SCRAM-SHA-512),
  --sasl-username, --sasl-password, or their variables TRIBUTARY_SECURITY_PROTOCOL, TRIBUTARY_SSL_CA,
  TRIBUTARY_SASL_MECHANISM, TRIBUTARY_SASL_USERNAME, TRIBUTARY_SASL_PASSWORD (better than a password on the command line).
exit codes: 0 done, 1 failed, 2 bad usage (or a reset dry run), 130 forced stop
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
  if (command !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    switch (command) {
      case 'broker':
        // Commands load on demand: `--help` does not open a broker's dependencies.
        return await (await import('./broker-command.js')).runBrokerCommand(rest);
      case 'run':
        return await (await import('./run-command.js')).runRunCommand(rest);
      case 'describe':
        return await (await import('./describe-command.js')).runDescribeCommand(rest);
      case 'topics':
        return await (await import('./topics-command.js')).runTopicsCommand(rest);
      case 'produce':
        return await (await import('./produce-command.js')).runProduceCommand(rest);
      case 'consume':
        return await (await import('./consume-command.js')).runConsumeCommand(rest);
      case 'groups':
        return await (await import('./groups-command.js')).runGroupsCommand(rest);
      case 'acls':
        return await (await import('./acls-command.js')).runAclsCommand(rest);
      case 'users':
        return await (await import('./users-command.js')).runUsersCommand(rest);
      case 'reset':
        return await (await import('./reset-command.js')).runResetCommand(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (thrown: unknown) {
    const e = asUsageError(thrown);
    if (e instanceof UsageError) {
      process.stderr.write(`tributary: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    const message = isStreamsError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
    process.stderr.write(`tributary: ${message}\n`);
    return 1;
  }
}
