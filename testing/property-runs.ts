/**
 * The environment variable that raises the number of runs of every law and property using {@link propertyRuns}.
 *
 * @example
 * ```ts
 * process.env[PROPERTY_RUNS_ENV] = '500'; // as `TRIBUTARY_PROPERTY_RUNS=500 npm test`
 * ```
 */
export const PROPERTY_RUNS_ENV = 'TRIBUTARY_PROPERTY_RUNS';

/**
 * The number of runs of a property: `base`, raised by the `TRIBUTARY_PROPERTY_RUNS` environment variable when it is
 * set to a larger number (for broker runs, which take ~100 ms each, to a quarter of it). Default suites stay fast;
 * `TRIBUTARY_PROPERTY_RUNS=500 npm test` searches harder.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arbStream({ keys: ['a'], values: [1] }), check), { numRuns: propertyRuns(25) });
 * ```
 */
export function propertyRuns(base: number, mode: 'driver' | 'broker' = 'driver'): number {
  const raw = process.env[PROPERTY_RUNS_ENV];
  const env = raw === undefined ? NaN : Number(raw);
  if (!Number.isSafeInteger(env) || env <= 0) return base;
  return Math.max(base, mode === 'broker' ? Math.ceil(env / 4) : env);
}
