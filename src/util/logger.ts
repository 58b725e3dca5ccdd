import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The logger used when the caller injects none: pino at `warn` (or `TRIBUTARY_LOG_LEVEL`), writing JSON to stderr.
 * Library code never uses console; it takes a Logger in its options and falls back to this.
 */
export function defaultLogger(): Logger {
  return pino({ level: process.env['TRIBUTARY_LOG_LEVEL'] ?? 'warn', base: { lib: 'tributary' } }, pino.destination(2));
}

/** A logger that drops everything; for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
