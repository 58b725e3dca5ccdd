/**
 * A command line that cannot be run as given (unknown option, missing value): exit code 2 with the usage text.
 *
 * @example
 * ```ts
 * if (port === undefined) throw new UsageError('--port needs a number');
 * ```
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses a TCP port option (0 = any free port).
 *
 * @example
 * ```ts
 * const port = parsePort(values.port, '--port', 9092);
 * ```
 */
export function parsePort(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new UsageError(`${name} must be a port number (0-65535), got '${value}'`);
  return n;
}
