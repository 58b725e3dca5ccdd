import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root: where the crash harnesses start their processes.
 *
 * @example
 * ```ts
 * const CHILD = path.join(ROOT, 'test', 'crash', 'eos-child.ts');
 * ```
 */
export const ROOT = path.resolve(fileURLToPath(import.meta.url), '..', '..', '..');

/**
 * How a {@link LineProcess} ended: its exit code, or the signal that ended it.
 *
 * @example
 * ```ts
 * const { code, signal } = await child.exited; // { code: null, signal: 'SIGKILL' } after a kill
 * ```
 */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A Node process the crash harnesses drive by lines: `node ...args` in the repository root (without the parent's
 * NODE_OPTIONS), its stdout read as lines (each given to `onLine`, and to whoever {@link waitFor}s it), commands
 * written to its stdin, the last 20 kB of its stderr kept for failure messages.
 *
 * @example
 * ```ts
 * const child = new LineProcess('child', ['--import', 'tsx', 'test/crash/eos-child.ts', dir], (line) => seen.push(line));
 * await child.waitFor('ready', 60_000);
 * child.send('drain');
 * await child.kill('SIGKILL');
 * ```
 */
export class LineProcess {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<ProcessExit>;
  isExited = false;
  readonly #name: string;
  #out = '';
  #err = '';
  #waiters: { prefix: string; resolve: (line: string) => void }[] = [];

  /** `name` says what it is in failure messages ('child', 'process'). */
  constructor(name: string, args: readonly string[], onLine?: (line: string) => void) {
    this.#name = name;
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    this.proc = spawn(process.execPath, args, { cwd: ROOT, env });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stderr.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => {
      this.#out += chunk;
      let nl: number;
      while ((nl = this.#out.indexOf('\n')) >= 0) {
        const line = this.#out.slice(0, nl);
        this.#out = this.#out.slice(nl + 1);
        onLine?.(line);
        this.#waiters = this.#waiters.filter((w) => (line.startsWith(w.prefix) ? (w.resolve(line), false) : true));
      }
    });
    this.proc.stderr.on('data', (chunk: string) => (this.#err = (this.#err + chunk).slice(-20_000)));
    this.proc.stdin.on('error', () => undefined); // writes to a killed process
    this.exited = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => {
        this.isExited = true;
        resolve({ code, signal });
      }),
    );
  }

  /** The last 20 kB of its stderr. */
  get stderr(): string {
    return this.#err;
  }

  /** Resolves with the first stdout line from now on that starts with `prefix`; rejects after `timeoutMs` or when it exits first. */
  waitFor(prefix: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.#name} did not print "${prefix}" within ${timeoutMs} ms; stderr:\n${this.#err}`)), timeoutMs);
      this.#waiters.push({ prefix, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${this.#name} exited (code ${code}, signal ${signal}) before printing "${prefix}"; stderr:\n${this.#err}`));
      });
    });
  }

  /** Writes a command line to its stdin, unless it has exited. */
  send(line: string): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.stdin.write(`${line}\n`);
  }

  /** Sends `signal` (unless it has exited) and resolves with its exit code once it is gone. */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (!this.isExited) this.proc.kill(signal);
    return (await this.exited).code;
  }
}
