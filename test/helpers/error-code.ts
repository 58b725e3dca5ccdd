import { isStreamsError } from '../../src/errors.js';

/**
 * The StreamsError code a call throws or a promise rejects with; the error's text when it is no StreamsError, and
 * 'no error' when it succeeds: for `expect(await errorCodeOf(...)).toBe('ILLEGAL_STATE')`.
 *
 * @example
 * ```ts
 * expect(await errorCodeOf(() => consumer.seek(tp, -1))).toBe('OFFSET_OUT_OF_RANGE');
 * expect(await errorCodeOf(producer.commitTransaction())).toBe('ILLEGAL_STATE');
 * ```
 */
export async function errorCodeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e: unknown) {
    return isStreamsError(e) ? e.code : String(e);
  }
  return 'no error';
}
