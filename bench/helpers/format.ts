/**
 * bench/helpers/format.ts — how the benchmarks print rates and sizes, and measure CPU time.
 */
import * as fs from 'node:fs';

/**
 * A count or rate with a k / M suffix and a few significant digits.
 *
 * @example
 * ```ts
 * fmt(1_234_567); // '1.23 M'
 * fmt(12_345);    // '12.3 k'
 * ```
 */
export function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

/**
 * Bytes as whole MiB.
 *
 * @example
 * ```ts
 * mib(3 * 1048576); // '3 MiB'
 * ```
 */
export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MiB`;
}

/**
 * CPU time (user + system, all threads of the process) since `since`, in seconds.
 *
 * @example
 * ```ts
 * const c = process.cpuUsage();
 * work();
 * cpuSecondsSince(c); // e.g. 0.42
 * ```
 */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/**
 * CPU seconds (user + system) the main JavaScript thread has used so far, read from /proc (Linux; null elsewhere).
 * Unlike process.cpuUsage it leaves out GC helper and I/O threads, and unlike wall time it does not count the
 * time other processes on a busy machine took: the steadiest figure for comparing two versions of the hot path.
 *
 * @example
 * ```ts
 * const c0 = mainThreadCpuSeconds();
 * work();
 * const c1 = mainThreadCpuSeconds();
 * if (c0 !== null && c1 !== null) console.log(c1 - c0);
 * ```
 */
export function mainThreadCpuSeconds(): number | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15 (clock ticks, 100 Hz).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
