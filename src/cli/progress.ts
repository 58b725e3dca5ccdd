/**
 * Progress of a long command step (bulk produce, reset): a bar or counter redrawn in place on a terminal, a log line
 * every few seconds otherwise (a pipe, a file, a CI log).
 */
import { systemClock, type Clock } from '../util/clock.js';
import { systemTimers, type TimerHandle, type Timers } from '../util/timers.js';

/**
 * Where progress goes: a writable text stream, told whether it is a terminal (a bar) or not (log lines).
 *
 * @example
 * ```ts
 * const sink: ProgressSink = process.stderr;
 * ```
 */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Options of a {@link Progress}.
 *
 * @example
 * ```ts
 * const options: ProgressOptions = { label: 'produce lines', unit: 'records', sink: process.stderr };
 * ```
 */
export interface ProgressOptions {
  /** What is being done, first on each line. */
  readonly label: string;
  /** What is counted (plural): `records`, `topics`. */
  readonly unit: string;
  /** The count when done, if known: shows a bar and a percentage. */
  readonly total?: number;
  readonly sink: ProgressSink;
  /** Between redraws on a terminal (default 200 ms) or log lines otherwise (default 2000 ms). */
  readonly intervalMs?: number;
  readonly clock?: Clock;
  readonly timers?: Timers;
}

const BAR_WIDTH = 24;

/**
 * One progress line: label, bar and percentage when the total is known, count, rate.
 *
 * @example
 * ```ts
 * progressLine({ label: 'produce', unit: 'records', done: 500, total: 1000, ratePerSec: 250 });
 * // 'produce [############------------]  50% 500/1000 records, 250 records/s'
 * ```
 */
export function progressLine(p: { readonly label: string; readonly unit: string; readonly done: number; readonly total?: number | undefined; readonly ratePerSec: number }): string {
  const rate = `${formatCount(Math.round(p.ratePerSec))} ${p.unit}/s`;
  if (p.total === undefined || p.total <= 0) return `${p.label}: ${formatCount(p.done)} ${p.unit}, ${rate}`;
  const fraction = Math.min(1, p.done / p.total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  return `${p.label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent}% ${formatCount(p.done)}/${formatCount(p.total)} ${p.unit}, ${rate}`;
}

/**
 * A whole number with thousands separators (`1,234,567`), the same whatever the locale.
 *
 * @example
 * ```ts
 * formatCount(1234567); // '1,234,567'
 * ```
 */
export function formatCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Counts work done and shows it. `start()` begins periodic output (a timer that does not keep the process alive);
 * `add()` counts; `finish()` stops, clears the terminal line, and returns the summary `{ done, elapsedMs, ratePerSec }`.
 * The rate shown is over the last interval; the summary's is over the whole run.
 *
 * @example
 * ```ts
 * const progress = new Progress({ label: 'produce lines', unit: 'records', sink: process.stderr }).start();
 * progress.add(batch.length);
 * const { done, ratePerSec } = progress.finish();
 * ```
 */
export class Progress {
  readonly #options: ProgressOptions;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #isTTY: boolean;
  readonly #intervalMs: number;
  readonly #startMs: number;
  #done = 0;
  #lastDone = 0;
  #lastMs: number;
  #timer: TimerHandle | null = null;
  #isRunning = false;
  #hasDrawn = false;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#isTTY = options.sink.isTTY === true;
    this.#intervalMs = options.intervalMs ?? (this.#isTTY ? 200 : 2_000);
    this.#startMs = this.#lastMs = this.#clock.nowMs();
  }

  /** Starts periodic output; returns this. */
  start(): this {
    if (!this.#isRunning) {
      this.#isRunning = true;
      this.#arm();
    }
    return this;
  }

  #arm(): void {
    // Not keep-alive: progress never holds the process open.
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = null;
      if (!this.#isRunning) return;
      this.tick();
      this.#arm();
    }, this.#intervalMs);
  }

  /** Counts `n` more units done. */
  add(n: number): void {
    this.#done += n;
  }

  /** Units done so far. */
  get done(): number {
    return this.#done;
  }

  /** Shows the progress now (what the timer calls): redraws the terminal line, or writes one log line. */
  tick(): void {
    const now = this.#clock.nowMs();
    const elapsedMs = now - this.#lastMs;
    const ratePerSec = elapsedMs > 0 ? ((this.#done - this.#lastDone) * 1000) / elapsedMs : 0;
    this.#lastDone = this.#done;
    this.#lastMs = now;
    const line = progressLine({ label: this.#options.label, unit: this.#options.unit, done: this.#done, total: this.#options.total, ratePerSec });
    if (this.#isTTY) {
      // Carriage return and erase-line: the bar is redrawn in place.
      this.#options.sink.write(`\r\x1b[2K${line}`);
      this.#hasDrawn = true;
    } else {
      this.#options.sink.write(`${line}\n`);
    }
  }

  /** Stops periodic output and clears the terminal line; the totals of the whole run. */
  finish(): { readonly done: number; readonly elapsedMs: number; readonly ratePerSec: number } {
    this.#isRunning = false;
    if (this.#timer !== null) this.#timers.clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#hasDrawn) this.#options.sink.write('\r\x1b[2K');
    this.#hasDrawn = false;
    const elapsedMs = this.#clock.nowMs() - this.#startMs;
    return { done: this.#done, elapsedMs, ratePerSec: elapsedMs > 0 ? (this.#done * 1000) / elapsedMs : 0 };
  }
}
