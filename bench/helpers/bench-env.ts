/**
 * bench/helpers/bench-env.ts — the environment variables every benchmark reads.
 */

/** What a benchmark run was asked for. */
export interface BenchEnv {
  /** BENCH_SCALE: a fraction (or multiple) of the full-size workload; default 1. */
  readonly scale: number;
  /** BENCH_ONLY: one variant to run (e.g. 'memory' or 'sqlite'); '' runs them all. */
  readonly only: string;
  /** BENCH_COMMIT_MS: commitIntervalMs for the app; undefined when unset. */
  readonly commitMs: number | undefined;
}

/**
 * Reads BENCH_SCALE, BENCH_ONLY and BENCH_COMMIT_MS, refusing values that are not positive numbers.
 *
 * @example
 * ```ts
 * const { scale, only } = benchEnv(); // BENCH_SCALE=0.1 npm run bench:wordcount -> scale 0.1
 * ```
 */
export function benchEnv(): BenchEnv {
  const num = (name: string): number | undefined => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number >= 0, got ${JSON.stringify(raw)}`);
    return n;
  };
  return { scale: num('BENCH_SCALE') ?? 1, only: process.env['BENCH_ONLY'] ?? '', commitMs: num('BENCH_COMMIT_MS') };
}
