/**
 * bench/helpers/network-broker.ts — tributary's broker in its own OS process, started through the CLI
 * (`node bin/tributary.js broker --data-dir DIR --port 0`), with its peak RSS read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/helpers/ is two levels below it). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const live = new Set<ChildProcess>();

/**
 * Remembers `child` until it exits, so {@link killChildren} can stop it when the benchmark is interrupted.
 *
 * @example
 * ```ts
 * trackChild(spawn(process.execPath, ['app.js']));
 * ```
 */
export function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * Sends SIGTERM to every tracked process still running (on Ctrl-C of the benchmark) and resolves once they have
 * exited, or after `timeoutMs`.
 *
 * @example
 * ```ts
 * process.once('SIGINT', () => void killChildren().then(() => process.exit(130)));
 * ```
 */
export async function killChildren(timeoutMs = 10_000): Promise<void> {
  const children = [...live];
  for (const child of children) child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(children.map(exited)), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

/** How to start a broker process. */
export interface BrokerProcessOptions {
  readonly dataDir: string;
  /** When set, the broker runs under `node --cpu-prof --cpu-prof-dir DIR` and writes a .cpuprofile there on exit. */
  readonly cpuProfDir?: string;
  /** More CLI options (e.g. `['--flush', 'always']`, or `--tls-cert C --tls-key K` with TLS listeners). */
  readonly extraArgs?: readonly string[];
  /**
   * Kafka listeners (`--listeners`, e.g. `['PLAINTEXT://127.0.0.1:0', 'SSL://127.0.0.1:0']`) instead of the one
   * PLAINTEXT listener of `--port 0`; the first one is {@link BrokerProcess.bootstrap}.
   */
  readonly listeners?: readonly string[];
}

/** A running broker process. */
export interface BrokerProcess {
  readonly pid: number;
  readonly port: number;
  /** `127.0.0.1:PORT`, for kcat's `-b` and `kafkaClients({ bootstrapServers })` (the first listener's). */
  readonly bootstrap: string;
  /** `127.0.0.1:PORT` of the listener with that security protocol (`'SSL'`, `'SASL_SSL'`, ...); throws if none. */
  bootstrapOf(protocol: string): string;
  /** The process's peak RSS in bytes since it started or since the last {@link resetPeak} (VmHWM), 0 if unknown. */
  peakRssBytes(): number;
  /** Starts a new phase: resets VmHWM to the current RSS (Linux `clear_refs` 5); false where that is not possible. */
  resetPeak(): boolean;
  /** SIGTERM, then waits for the graceful stop (SIGKILL after `timeoutMs`); resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Reads a field of /proc/PID/status in bytes (`VmHWM`, `VmRSS`), 0 where there is none.
 *
 * @example
 * ```ts
 * procStatusBytes(process.pid, 'VmHWM'); // e.g. 134217728
 * ```
 */
export function procStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Resolves with the process's exit code once it has exited (at once when it already has).
 *
 * @example
 * ```ts
 * child.kill('SIGTERM');
 * const code = await exited(child);
 * ```
 */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Starts `node bin/tributary.js broker` on an ephemeral loopback port and resolves once it printed its
 * `tributary broker listening on HOST:PORT` line (and, with `listeners`, its line for each listener). Logs at level
 * warn go to this process's stderr.
 *
 * @example
 * ```ts
 * const b = await startBrokerProcess({ dataDir: '/tmp/x/broker' });
 * // ... kcat -b b.bootstrap ...
 * console.log(mib(b.peakRssBytes()));
 * await b.stop();
 * ```
 */
export async function startBrokerProcess(options: BrokerProcessOptions): Promise<BrokerProcess> {
  const nodeArgs = options.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir];
  const listenerArgs = options.listeners === undefined ? ['--port', '0'] : ['--listeners', options.listeners.join(',')];
  const wanted = options.listeners?.length ?? 0;
  const args = [...nodeArgs, path.join(REPO_ROOT, 'bin', 'tributary.js'), 'broker', '--data-dir', options.dataDir, ...listenerArgs, '--log-level', 'warn', ...(options.extraArgs ?? [])];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the broker process');
  trackChild(child);
  // With --listeners the broker prints one `tributary broker listener PROTOCOL://HOST:PORT` line per listener after
  // its `listening on` line.
  const byProtocol = new Map<string, number>();
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const m = /tributary broker listening on [^\s:]+:(\d+)/.exec(out);
      const listenerLines = [...out.matchAll(/tributary broker listener (\w+):\/\/[^\s:]+:(\d+)\n/g)];
      if (m !== null && listenerLines.length >= wanted) {
        for (const l of listenerLines) byProtocol.set(l[1]!, Number(l[2]));
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the broker process exited (${String(code)}) before listening: ${out}`)));
  });
  let stopped: Promise<number | null> | null = null;
  return {
    pid,
    port,
    bootstrap: `127.0.0.1:${port}`,
    bootstrapOf: (protocol) => {
      const p = options.listeners === undefined && protocol === 'PLAINTEXT' ? port : byProtocol.get(protocol);
      if (p === undefined) throw new Error(`the broker process has no ${protocol} listener`);
      return `127.0.0.1:${p}`;
    },
    peakRssBytes: () => procStatusBytes(pid, 'VmHWM'),
    resetPeak: () => {
      try {
        fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    stop: (timeoutMs = 30_000) => {
      if (stopped !== null) return stopped;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      stopped = exited(child).finally(() => clearTimeout(timer));
      return stopped;
    },
  };
}
