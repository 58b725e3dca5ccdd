/**
 * The window vocabulary shared by window stores, session stores and the windowed DSL: a {@link Window} (a time
 * interval), its two kinds ({@link TimeWindow}, {@link SessionWindow}) and {@link Windowed}, a key paired with one.
 */
import { StreamsError } from '../errors.js';

/**
 * A time interval of a windowed aggregation, in milliseconds since the epoch.
 *
 * @example
 * ```ts
 * const w: Window = { startMs: 60_000, endMs: 120_000 };
 * ```
 */
export interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * A window of a time-windowed aggregation (tumbling, hopping, sliding): `[startMs, endMs)` with `startMs < endMs`
 * for tumbling/hopping windows as in Kafka Streams (sliding windows use both bounds inclusive; the DSL says so).
 *
 * @example
 * ```ts
 * const w = timeWindow(0, 60_000); // { kind: 'time', startMs: 0, endMs: 60000 }
 * ```
 */
export interface TimeWindow extends Window {
  readonly kind: 'time';
}

/**
 * The window of a session: from its first to its last record's timestamp, both inclusive; `startMs === endMs` for
 * a session of one record.
 *
 * @example
 * ```ts
 * const w = sessionWindow(1_000, 1_000); // a one-record session
 * ```
 */
export interface SessionWindow extends Window {
  readonly kind: 'session';
}

/**
 * A key of a windowed aggregation: the record key and the window it was aggregated in. Windowed KTables and the
 * window and session stores' range queries use it as their key.
 *
 * Two windowed keys are the same when their keys are equal and their windows have the same start and end
 * (see {@link windowedEquals}); the window's `kind` is informative.
 *
 * @example
 * ```ts
 * const k: Windowed<string> = { key: 'page-1', window: timeWindow(60_000, 120_000) };
 * ```
 */
export interface Windowed<K> {
  readonly key: K;
  readonly window: Window;
}

function checkBounds(kind: string, startMs: number, endMs: number): void {
  if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(endMs)) {
    throw new StreamsError('ILLEGAL_STATE', `a ${kind} window needs safe-integer bounds, got [${startMs}, ${endMs}]`);
  }
}

/**
 * A frozen {@link TimeWindow}; throws `StreamsError('ILLEGAL_STATE')` unless both bounds are safe integers and
 * `startMs <= endMs` (Kafka Streams' TimeWindow requires `start < end`; equal bounds are allowed here for sliding
 * windows of a zero time difference).
 *
 * @example
 * ```ts
 * timeWindow(0, 60_000).endMs; // 60000
 * ```
 */
export function timeWindow(startMs: number, endMs: number): TimeWindow {
  checkBounds('time', startMs, endMs);
  if (startMs > endMs) throw new StreamsError('ILLEGAL_STATE', `a time window must not end (${endMs}) before it starts (${startMs})`);
  return Object.freeze({ kind: 'time', startMs, endMs });
}

/**
 * A frozen {@link SessionWindow}; throws `StreamsError('ILLEGAL_STATE')` unless both bounds are safe integers and
 * `startMs <= endMs`.
 *
 * @example
 * ```ts
 * sessionWindow(1_000, 5_000).startMs; // 1000
 * ```
 */
export function sessionWindow(startMs: number, endMs: number): SessionWindow {
  checkBounds('session', startMs, endMs);
  if (startMs > endMs) throw new StreamsError('ILLEGAL_STATE', `a session must not end (${endMs}) before it starts (${startMs})`);
  return Object.freeze({ kind: 'session', startMs, endMs });
}

/**
 * True when two windowed keys have equal keys (by `keyEquals`, default `Object.is`) and windows with the same bounds.
 *
 * @example
 * ```ts
 * windowedEquals({ key: 'a', window: timeWindow(0, 10) }, { key: 'a', window: timeWindow(0, 10) }); // true
 * ```
 */
export function windowedEquals<K>(
  a: Windowed<K>,
  b: Windowed<K>,
  keyEquals: (x: K, y: K) => boolean = Object.is,
): boolean {
  return a.window.startMs === b.window.startMs && a.window.endMs === b.window.endMs && keyEquals(a.key, b.key);
}
