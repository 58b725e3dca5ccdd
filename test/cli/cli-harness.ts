/**
 * Runs the `tributary` command line in child processes for the end-to-end CLI tests: one-shot commands with their
 * output and exit code, long-running ones (`broker`, `run`) with their output lines awaited, and a broker started on
 * a free port.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'tributary.js');

/** The environment of every child: no inherited NODE_OPTIONS (vitest's), no TRIBUTARY_BROKER. */
function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env['NODE_OPTIONS'];
  delete env['TRIBUTARY_BROKER'];
  return env;
}

/** What a finished command did. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `tributary ...args` to completion, with `input` on stdin; rejects if it runs longer than `timeoutMs`.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runCli(['topics', 'list', '--broker', broker.address]);
 * ```
 */
export function runCli(args: readonly string[], options: { readonly input?: string; readonly timeoutMs?: number; readonly cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: childEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tributary ${args.join(' ')} ran over ${options.timeoutMs ?? 30_000} ms; stderr:\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A long-running `tributary` child (broker, run): its stdout lines can be awaited, its stderr is kept for messages.
 *
 * @example
 * ```ts
 * const app = new CliProcess(['run', 'app.ts', '--broker', address]);
 * await app.waitFor('-> RUNNING', 30_000);
 * expect(await app.stop('SIGTERM')).toBe(0);
 * ```
 */
export class CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly lines: string[] = [];
  #partial = '';
  #stderr = '';
  #waiters: { text: string; resolve: (line: string) => void }[] = [];
  #isExited = false;

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv() });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.#partial += chunk;
      let nl: number;
      while ((nl = this.#partial.indexOf('\n')) >= 0) {
        const line = this.#partial.slice(0, nl);
        this.#partial = this.#partial.slice(nl + 1);
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => (line.includes(w.text) ? (w.resolve(line), false) : true));
      }
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr = (this.#stderr + chunk).slice(-50_000)));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code) => {
        this.#isExited = true;
        resolve(code);
      }),
    );
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with the first stdout line (past or future) containing `text`. */
  waitFor(text: string, timeoutMs: number): Promise<string> {
    const seen = this.lines.find((l) => l.includes(text));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line with "${text}" within ${timeoutMs} ms; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.#stderr}`)), timeoutMs);
      this.#waiters.push({ text, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before printing "${text}"; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.#stderr}`));
      });
    });
  }

  /** Sends `signal` (unless already exited) and resolves with the exit code. */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (!this.#isExited) this.child.kill(signal);
    return this.exited;
  }
}

/**
 * A `tributary broker` child on a free port with a fresh data directory; `address` is its `host:port`.
 *
 * @example
 * ```ts
 * const broker = await startBroker(tempDir());
 * await runCli(['topics', 'list', '--broker', broker.address]);
 * await broker.process.stop('SIGTERM');
 * ```
 */
export async function startBroker(dataDir: string): Promise<{ readonly process: CliProcess; readonly address: string; readonly dataDir: string }> {
  const p = new CliProcess(['broker', '--data-dir', dataDir, '--port', '0', '--group-initial-rebalance-delay-ms', '0', '--group-min-session-timeout-ms', '100', '--log-level', 'warn']);
  const line = await p.waitFor('tributary broker listening on ', 30_000);
  return { process: p, address: line.slice('tributary broker listening on '.length).trim(), dataDir };
}

/**
 * A fresh temporary directory, removed by the returned cleanup.
 *
 * @example
 * ```ts
 * const [dir, cleanup] = tempDir('cli-topics');
 * ```
 */
export function tempDir(prefix: string): [string, () => void] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-${prefix}-`));
  return [dir, () => fs.rmSync(dir, { recursive: true, force: true })];
}
