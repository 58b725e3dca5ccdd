/**
 * What the example programs share as command-line tools: failing with an exit code, a seeded PRNG, a sleep, and
 * running `main` (exit codes, a reader that stops early). Not part of the package: plain script plumbing.
 */

/**
 * Ends the run with a message on stderr and an exit code (2: bad arguments, 1: anything else).
 *
 * @example
 * ```ts
 * throw new Failure('--seed must be a whole number', 2);
 * ```
 */
export class Failure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * Throws a {@link Failure}.
 *
 * @example
 * ```ts
 * if (!ok) fail(`${dir} already holds a run of this example`);
 * ```
 */
export function fail(message: string, exitCode = 1): never {
  throw new Failure(message, exitCode);
}

/**
 * mulberry32: a small seeded PRNG in [0, 1), so every run with the same seed sees the same data.
 *
 * @example
 * ```ts
 * const rnd = prng(1); rnd(); // 0.627...
 * ```
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * ```ts
 * await sleep(20);
 * ```
 */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a program's `main` with its arguments: a {@link Failure} prints its message and exits with its code, any
 * other error its stack with 1; a reader that stops early (`| head`) ends the program quietly with 0.
 *
 * @example
 * ```ts
 * await runMain('word-count', main);
 * ```
 */
export async function runMain(name: string, main: (argv: readonly string[]) => Promise<void>): Promise<void> {
  // A reader that stops early has what it wanted: not an error of this program.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  try {
    await main(process.argv.slice(2));
  } catch (e: unknown) {
    process.stderr.write(`${name}: ${e instanceof Failure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = e instanceof Failure ? e.exitCode : 1;
  }
}
