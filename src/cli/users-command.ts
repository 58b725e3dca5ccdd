/**
 * `tributary users add NAME | remove NAME | list --data-dir DIR`: the SASL users of a broker, kept as salted,
 * iterated SCRAM credentials in `DIR/security/credentials.json`. It works whether or not a broker runs on DIR: a
 * running broker re-reads the file when it changes, at the next authentication.
 */
import { CredentialStore } from '../broker/security/credential-store.js';
import { isScramMechanism, SCRAM_MECHANISMS, type ScramMechanism } from '../broker/security/scram.js';
import { StreamsError } from '../errors.js';
import { onePositional, parseCommandArgs, wholeNumber, formatTable } from './command-args.js';
import { UsageError } from './usage-error.js';

const OPTIONS = {
  'data-dir': { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  mechanism: { type: 'string', multiple: true },
  iterations: { type: 'string' },
} as const;

/**
 * Where the command reads and writes: output, and stdin for `--password-stdin`.
 *
 * @example
 * ```ts
 * const io: UsersCommandIo = { stdout: process.stdout, stdin: process.stdin };
 * ```
 */
export interface UsersCommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stdin: AsyncIterable<Buffer | string>;
}

/**
 * Runs `tributary users <action>`; resolves with the exit code (1 when `remove` names no such user).
 *
 * @example
 * ```ts
 * // printf 'secret\n' | tributary users add alice --password-stdin --data-dir ./data
 * await runUsersCommand(['add', 'alice', '--password-stdin', '--data-dir', './data']);
 * ```
 */
export async function runUsersCommand(args: readonly string[], io: UsersCommandIo = { stdout: process.stdout, stdin: process.stdin }): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const [action, ...names] = positionals;
  if (action !== 'add' && action !== 'remove' && action !== 'list') {
    throw new UsageError(action === undefined ? 'users needs an action: add, remove or list' : `unknown users action '${action}' (add, remove, list)`);
  }
  const dataDir = values['data-dir'];
  if (dataDir === undefined || dataDir === '') throw new UsageError(`users ${action} needs --data-dir DIR (the broker's data directory)`);
  if (action !== 'add' && (values.password !== undefined || values['password-stdin'] !== undefined || values.mechanism !== undefined || values.iterations !== undefined)) {
    throw new UsageError('--password, --password-stdin, --mechanism and --iterations go with users add');
  }
  const store = CredentialStore.forDataDir(dataDir);
  switch (action) {
    case 'list': {
      if (names.length > 0) throw new UsageError(`users list takes no arguments, got ${names.join(' ')}`);
      const rows = store.users().map((u) => [u.name, u.credentials.map((c) => `${c.mechanism}(iterations=${c.iterations})`).join(',')]);
      io.stdout.write(formatTable([['USER', 'MECHANISMS'], ...rows]));
      return 0;
    }
    case 'remove': {
      const name = onePositional(names, 'users remove', 'user NAME');
      if (!store.removeUser(name)) {
        process.stderr.write(`tributary: no user ${JSON.stringify(name)} in ${store.file}\n`);
        return 1;
      }
      io.stdout.write(`Removed user ${name}.\n`);
      return 0;
    }
    case 'add': {
      const name = onePositional(names, 'users add', 'user NAME');
      const password = await passwordOf(values.password, values['password-stdin'] === true, io.stdin);
      const mechanisms = mechanismsOf(values.mechanism);
      const iterations = wholeNumber(values.iterations, '--iterations', 4096, 4096, 10_000_000);
      await store.addUser(name, password, { mechanisms, iterations });
      io.stdout.write(`Added user ${name} (${mechanisms.join(', ')}, ${iterations} iterations).\n`);
      return 0;
    }
  }
}

/** `--password P` or `--password-stdin` (its first line), exactly one of them. */
async function passwordOf(given: string | undefined, fromStdin: boolean, stdin: AsyncIterable<Buffer | string>): Promise<string> {
  if ((given === undefined) === !fromStdin) throw new UsageError('users add needs --password P or --password-stdin (one of them)');
  if (given !== undefined) return given;
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new StreamsError('INVALID_CONFIG', 'no password on stdin (the first line is the password)');
  return line;
}

/** `--mechanism` values (repeatable); default both SCRAM mechanisms. */
function mechanismsOf(values: readonly string[] | undefined): ScramMechanism[] {
  if (values === undefined) return [...SCRAM_MECHANISMS];
  const out: ScramMechanism[] = [];
  for (const v of values.flatMap((x) => x.split(','))) {
    const m = v.trim().toUpperCase();
    if (!isScramMechanism(m)) throw new UsageError(`--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got '${v}'`);
    if (!out.includes(m)) out.push(m);
  }
  return out;
}
