import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { waitUntil } from './interop-broker.js';

/**
 * What a finished kcat run left.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runKcat(['-b', bootstrap, '-L']);
 * ```
 */
export interface KcatResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const INSTALL_HINT = 'install it with `apt-get install -y kcat` (Debian/Ubuntu; .ci/run does this in CI)';

/**
 * The `kcat -V` banner. Throws (so the calling test fails, never skips) when kcat is not on the PATH: CI installs
 * it, and the interop tests are the proof that real Kafka clients work.
 *
 * @example
 * ```ts
 * requireKcat(); // 'kcat - Apache Kafka producer and consumer tool ... librdkafka 2.0.2 ...'
 * ```
 */
export function requireKcat(): string {
  const r = spawnSync('kcat', ['-V'], { encoding: 'utf8', timeout: 5_000 });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new Error(`kcat is needed by the interop tests but ${code === 'ENOENT' ? 'is not installed' : `did not run (${r.error.message})`}: ${INSTALL_HINT}`);
  }
  if (r.status !== 0) throw new Error(`kcat -V exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Why kcat cannot run here, or null when it can: for a test file's `beforeAll`, so that every kcat test then fails
 * with this error (CI installs kcat: a missing one is an error, not a skip) while the file's other tests still run.
 *
 * @example
 * ```ts
 * beforeAll(() => { kcatMissing = kcatMissingError(); });
 * ```
 */
export function kcatMissingError(): Error | null {
  try {
    requireKcat();
    return null;
  } catch (e: unknown) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * kcat's arguments against `bootstrap`, with short librdkafka timeouts so a protocol mistake fails fast:
 * `-b bootstrap -m 10 -X socket.timeout.ms=10000 ...args` (security settings go in `args`).
 *
 * @example
 * ```ts
 * await runKcatOk(kcatArgs(ib.bootstrap, '-L', '-J'));
 * ```
 */
export function kcatArgs(bootstrap: string, ...args: string[]): string[] {
  return ['-b', bootstrap, '-m', '10', '-X', 'socket.timeout.ms=10000', ...args];
}

/**
 * Runs kcat to completion with `stdin` fed to it, killing it (SIGKILL) after `timeoutMs`: a kcat that hangs on a
 * protocol mistake makes the test fail in seconds with its output, instead of hanging the suite.
 *
 * @example
 * ```ts
 * const r = await runKcat(['-b', ib.bootstrap, '-P', '-t', 'lines', '-K:'], { stdin: 'k1:v1\nk2:v2\n' });
 * ```
 */
export function runKcat(args: readonly string[], options: { readonly stdin?: string; readonly timeoutMs?: number } = {}): Promise<KcatResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let isTimedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      isTimedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`kcat ${args.join(' ')} could not start (${e.message}): ${INSTALL_HINT}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (isTimedOut) reject(new Error(`kcat ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      else resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // kcat may exit before reading all input; its exit code tells.
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * {@link runKcat}, then fails (with kcat's output) unless kcat exited with 0; returns its stdout.
 *
 * @example
 * ```ts
 * const metadata = JSON.parse(await runKcatOk(['-b', bootstrap, '-L', '-J']));
 * ```
 */
export async function runKcatOk(args: readonly string[], options: { readonly stdin?: string; readonly timeoutMs?: number } = {}): Promise<string> {
  const r = await runKcat(args, options);
  if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited with ${r.code ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

/**
 * A long-running kcat (a `-G` group member): its output as lines while it runs, stopped by the test.
 *
 * @example
 * ```ts
 * const member = KcatProcess.start(['-b', ib.bootstrap, '-G', 'g', '-u', 'lines']);
 * await member.waitForStderr(/assigned:/, 10_000);
 * await member.stop();
 * ```
 */
export class KcatProcess {
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #stdoutRest = '';
  #stderrRest = '';
  #exitCode: number | null = null;
  #hasExited = false;

  private constructor(readonly args: readonly string[]) {
    this.#child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      const parts = (this.#stdoutRest + s).split('\n');
      this.#stdoutRest = parts.pop() ?? '';
      this.stdoutLines.push(...parts);
    });
    this.#child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      const parts = (this.#stderrRest + s).split('\n');
      this.#stderrRest = parts.pop() ?? '';
      this.stderrLines.push(...parts);
    });
    this.#exited = new Promise((resolve) => {
      this.#child.on('error', (e) => {
        this.stderrLines.push(`could not start kcat: ${e.message}`);
        this.#hasExited = true;
        resolve();
      });
      this.#child.on('close', (code) => {
        this.#exitCode = code;
        this.#hasExited = true;
        resolve();
      });
    });
  }

  /** Spawns `kcat args` (stdin closed). */
  static start(args: readonly string[]): KcatProcess {
    return new KcatProcess(args);
  }

  get hasExited(): boolean {
    return this.#hasExited;
  }

  /** Its exit code once it has exited (null before, or when a signal ended it). */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** Output so far, for failure messages. */
  describe(): string {
    return `kcat ${this.args.join(' ')}${this.#hasExited ? ` (exited with ${this.exitCode})` : ''}\nstdout:\n${this.stdoutLines.join('\n')}\nstderr:\n${this.stderrLines.join('\n')}`;
  }

  /** Waits until a stderr line matches (kcat reports rebalances there). */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<void> {
    return waitUntil(`kcat stderr to match ${pattern}`, () => this.stderrLines.some((l) => pattern.test(l)) || this.#hasExited, timeoutMs, () => this.describe()).then(() => {
      if (!this.stderrLines.some((l) => pattern.test(l))) throw new Error(`kcat exited before printing ${pattern}\n${this.describe()}`);
    });
  }

  /** SIGTERM (kcat leaves its group and exits), then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.#hasExited) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
