/**
 * bench/helpers/network-kcat.ts — the network benchmark's records (N x 100 bytes, deterministic), written to a file
 * as kcat reads them (one record a line), and kcat runs timed from spawn to exit.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { trackChild } from './network-broker.js';

/** Bytes of every record's value. */
export const RECORD_BYTES = 100;

const FILLER = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN');
/** Records' bytes are copied from here, 1000 at a time (one copy instead of one per record), then numbered. */
const TEMPLATE_RECORDS = 1000;
const TEMPLATE = Buffer.alloc(TEMPLATE_RECORDS * RECORD_BYTES);
for (let i = 0; i < TEMPLATE_RECORDS; i++) {
  TEMPLATE.fill(48, i * RECORD_BYTES, i * RECORD_BYTES + 10);
  FILLER.copy(TEMPLATE, i * RECORD_BYTES + 10, 0, RECORD_BYTES - 10);
}

/** Writes `index` (mod 1e10) as 10 decimal digits at `buf[offset]`. */
function writeIndex(buf: Buffer, offset: number, index: number): void {
  let n = index % 1e10;
  for (let d = 9; d >= 0; d--) {
    const q = Math.floor(n / 10);
    buf[offset + d] = 48 + n - q * 10;
    n = q;
  }
}

/**
 * Writes records `first .. first+count-1` back to back from `buf[0]`: record i is its index as 10 decimal digits
 * (mod 1e10), then 90 filler letters. The same index always gives the same 100 bytes, in the file kcat reads and
 * in tributary's client rows.
 *
 * @example
 * ```ts
 * const b = Buffer.allocUnsafe(1000 * RECORD_BYTES);
 * fillRecords(b, 42_000, 1000); // b starts with '0000042000abcdef...'
 * ```
 */
export function fillRecords(buf: Buffer, first: number, count: number): void {
  for (let done = 0; done < count; done += TEMPLATE_RECORDS) TEMPLATE.copy(buf, done * RECORD_BYTES, 0, Math.min(TEMPLATE_RECORDS, count - done) * RECORD_BYTES);
  for (let i = 0; i < count; i++) writeIndex(buf, i * RECORD_BYTES, first + i);
}

/**
 * Writes records `0..n-1` to `file`, each followed by '\n' (kcat -l's delimiter), in 1 MiB writes, and fsyncs at
 * the end: the raw disk baseline (the same bytes a broker must store, with no framing, no protocol, no index).
 * Returns the wall-clock seconds, fsync included; making the bytes costs little (one buffer, only the 10 digits of
 * each line rewritten per write).
 *
 * @example
 * ```ts
 * const seconds = writeRecordsFile('/tmp/records.txt', 5_000_000);
 * ```
 */
export function writeRecordsFile(file: string, n: number): number {
  const line = RECORD_BYTES + 1;
  const perChunk = Math.floor((1 << 20) / line);
  const chunk = Buffer.alloc(perChunk * line, 10);
  for (let j = 0; j < perChunk; j++) TEMPLATE.copy(chunk, j * line, 0, RECORD_BYTES);
  const t0 = performance.now();
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < n; i += perChunk) {
      const count = Math.min(perChunk, n - i);
      for (let j = 0; j < count; j++) writeIndex(chunk, j * line, i + j);
      fs.writeSync(fd, chunk, 0, count * line);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return (performance.now() - t0) / 1000;
}

/** What one timed command printed and how long it ran. */
export interface TimedRun {
  readonly seconds: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command args` (no shell), timed from spawn to exit; throws with its stderr on a non-zero exit or after
 * `timeoutMs`. `stdout: 'ignore'` sends the output to /dev/null.
 *
 * @example
 * ```ts
 * const r = await timedRun('kcat', ['-P', '-b', '127.0.0.1:9092', '-t', 'bench', '-l', '/tmp/records.txt']);
 * ```
 */
export function timedRun(command: string, args: readonly string[], timeoutMs = 600_000, stdout: 'pipe' | 'ignore' = 'pipe'): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', stdout, 'pipe'] });
    trackChild(child);
    let out = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      if (code === 0) resolve({ seconds, stdout: out, stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
}

/**
 * `kcat -P` of every line of `file` into `topic`, with extra `-X key=value` settings and other kcat options (`-z
 * lz4`); librdkafka flushes (every record acknowledged, acks=all by default) before kcat exits, so the exit is the
 * end of the produce.
 *
 * @example
 * ```ts
 * const r = await kcatProduce('127.0.0.1:9092', 'bench', '/tmp/records.txt', ['linger.ms=20'], ['-z', 'zstd']);
 * ```
 */
export function kcatProduce(bootstrap: string, topic: string, file: string, settings: readonly string[] = [], options: readonly string[] = []): Promise<TimedRun> {
  return timedRun('kcat', ['-P', '-b', bootstrap, '-t', topic, '-l', ...options, ...settings.flatMap((s) => ['-X', s]), file]);
}

/**
 * `kcat -C -e -o beginning` of `topic`, its output to /dev/null (piping kcat's output anywhere, even into `wc -l`,
 * makes kcat itself 2-5x slower: it writes each record with its own write). The count is what kcat reports on
 * stderr when it reaches the end: the sum over partitions of "Reached end of topic T [p] at offset X" (the topics
 * here start at offset 0, so that is how many records it read).
 *
 * @example
 * ```ts
 * const { count, seconds } = await kcatConsume('127.0.0.1:9092', 'bench');
 * ```
 */
export async function kcatConsume(bootstrap: string, topic: string, settings: readonly string[] = []): Promise<TimedRun & { readonly count: number }> {
  const r = await timedRun('kcat', ['-C', '-b', bootstrap, '-t', topic, '-e', '-o', 'beginning', ...settings.flatMap((s) => ['-X', s])], 600_000, 'ignore');
  let count = 0;
  for (const m of r.stderr.matchAll(/Reached end of topic \S+ \[\d+\] at offset (\d+)/g)) count += Number(m[1]);
  return { ...r, count };
}

/**
 * `kcat -V`'s first line (kcat and librdkafka versions), or 'kcat not found'.
 *
 * @example
 * ```ts
 * console.log(await kcatVersion()); // 'Version 1.7.1 (JSON, ..., librdkafka 2.0.2 ...)'
 * ```
 */
export async function kcatVersion(): Promise<string> {
  try {
    const r = await timedRun('kcat', ['-V'], 10_000);
    return /librdkafka [\d.]+/.exec(r.stdout)?.[0] ?? r.stdout.split('\n')[0] ?? '';
  } catch {
    return 'kcat not found';
  }
}
