/** The life cycle every bundled engine follows, and the check at the top of each of its calls. */
import { StreamsError } from '../src/errors.js';

/**
 * Where an engine is in its life: built, initialised (open), or closed for good.
 *
 * @example
 * ```ts
 * let state: EngineState = 'created';
 * ```
 */
export type EngineState = 'created' | 'open' | 'closed';

/**
 * Throws unless a store is open: `StreamsError('ILLEGAL_STATE')` before `init`, `StreamsError('CLOSED')` after
 * `close`.
 *
 * @example
 * ```ts
 * assertOpen(this.#state, this.name); // at the top of every engine call
 * ```
 */
export function assertOpen(state: EngineState, name: string): void {
  if (state === 'open') return;
  if (state === 'closed') throw new StreamsError('CLOSED', `state store "${name}" is closed`);
  throw new StreamsError('ILLEGAL_STATE', `state store "${name}" has not been initialised (call init first)`);
}

/**
 * Throws `StreamsError('ILLEGAL_STATE')` unless a store is still in its `created` state (a store is initialised once).
 *
 * @example
 * ```ts
 * assertCreated(this.#state, this.name); // at the top of init
 * ```
 */
export function assertCreated(state: EngineState, name: string): void {
  if (state !== 'created') throw new StreamsError('ILLEGAL_STATE', `state store "${name}" is already ${state === 'open' ? 'open' : 'closed'}`);
}
