/**
 * Scheduled callbacks: a processor asks its context to call a {@link Punctuator} every so often, on stream time or on
 * wall-clock time, and gets a {@link Cancellable} back.
 */

/**
 * Which clock drives a punctuation.
 *
 * - `'STREAM_TIME'`: the task's stream time (the highest record timestamp it has seen). Fires only as records arrive;
 *   if stream time jumps over several intervals, the punctuator fires once, with the new stream time.
 * - `'WALL_CLOCK_TIME'`: the runtime's clock (the injected `Clock`; virtual in the TopologyTestDriver). Fires even
 *   when no records arrive, checked between batches, so not more precisely than the poll loop allows.
 *
 * @example
 * ```ts
 * context.schedule(60_000, 'WALL_CLOCK_TIME', (nowMs) => this.flushOlderThan(nowMs - 60_000));
 * ```
 */
export type PunctuationType = 'STREAM_TIME' | 'WALL_CLOCK_TIME';

/**
 * A scheduled callback. `timestampMs` is the stream time or the wall-clock time (by the punctuation's type) at which
 * it fires. It runs synchronously in the task, like `process`, and may forward records (they carry no source record
 * metadata) and use the processor's stores.
 *
 * @example
 * ```ts
 * const emitAll: Punctuator = (timestampMs) => {
 *   for (const [k, v] of store.all()) context.forward(new Record(k, v, timestampMs));
 * };
 * ```
 */
export type Punctuator = (timestampMs: number) => void;

/**
 * A handle on a scheduled punctuation. `cancel()` stops future calls; it is idempotent and may be called from inside
 * the punctuator itself.
 *
 * @example
 * ```ts
 * const handle = context.schedule(1_000, 'STREAM_TIME', tick);
 * handle.cancel();
 * ```
 */
export interface Cancellable {
  cancel(): void;
}
