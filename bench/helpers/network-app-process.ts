/**
 * bench/helpers/network-app-process.ts — starting bench/helpers/network-app.ts as its own OS process and following
 * the lines it prints (`ready`, `processed`, `closed {json}`).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { AppStats } from './network-app.js';
import { REPO_ROOT, exited, trackChild } from './network-broker.js';

/** A running app process. */
export interface AppProcess {
  readonly pid: number;
  /** Resolves with the time (performance.now() of this process) the app printed a line starting with `prefix`. */
  line(prefix: string): Promise<number>;
  /** The stats on the app's `closed` line, once it printed it. */
  stats(): Promise<AppStats>;
  /** SIGTERM (the app closes cleanly, committing); resolves with the exit code. SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Resolves with the exit code when the process exits. */
  readonly exit: Promise<number | null>;
}

/**
 * Starts `node --import tsx bench/helpers/network-app.ts ...args` (under `--cpu-prof --cpu-prof-dir cpuProfDir`
 * when given). Every `line(prefix)` rejects if the process exits before printing it (with the tail of its stderr).
 *
 * @example
 * ```ts
 * const app = startAppProcess(['passthrough', String(port), stateDir, '5']);
 * await app.line('ready');
 * await app.stop();
 * ```
 */
export function startAppProcess(args: readonly string[], cpuProfDir?: string): AppProcess {
  const prof = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', path.join(REPO_ROOT, 'bench', 'helpers', 'network-app.ts'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start the app process');
  trackChild(child);
  const seen = new Map<string, { at: number; text: string }>();
  const waiters: { prefix: string; resolve: (line: { at: number; text: string }) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  child.stdout.on('data', (c: Buffer) => {
    const at = performance.now();
    buffered += c.toString('utf8');
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const word = text.split(' ', 1)[0]!;
      if (!seen.has(word)) seen.set(word, { at, text });
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (text.startsWith(waiters[i]!.prefix)) waiters.splice(i, 1)[0]!.resolve({ at, text });
      }
    }
  });
  const exit = exited(child);
  void exit.then((code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`the app process exited (${String(code)}) before printing '${w.prefix}': ${stderr}`));
  });
  const lineOf = (prefix: string): Promise<{ at: number; text: string }> => {
    const s = seen.get(prefix);
    if (s !== undefined) return Promise.resolve(s);
    if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`the app process exited before printing '${prefix}': ${stderr}`));
    return new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
  };
  let stopped: Promise<number | null> | null = null;
  return {
    pid: child.pid,
    line: async (prefix) => (await lineOf(prefix)).at,
    stats: async () => JSON.parse((await lineOf('closed')).text.slice('closed '.length)) as AppStats,
    stop: (timeoutMs = 60_000) => {
      if (stopped !== null) return stopped;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      stopped = exit.finally(() => clearTimeout(timer));
      return stopped;
    },
    exit,
  };
}
