/**
 * bench/helpers/rss-sampler.ts — peak resident set size, sampled on a timer, for the whole run and per phase.
 */

/**
 * Samples `process.memoryUsage().rss` every `intervalMs` (and whenever `sample()` is called), keeping the peak of
 * the whole run and of the current phase (`startPhase()` resets the latter). A sampler only sees what is resident
 * at its ticks, so call `sample()` at the end of a phase too. `stop()` clears the timer so the process can exit.
 *
 * @example
 * ```ts
 * const rss = new RssSampler(50);
 * rss.startPhase();
 * await run();
 * rss.sample();
 * console.log(mib(rss.phasePeakBytes), mib(rss.peakBytes));
 * rss.stop();
 * ```
 */
export class RssSampler {
  #peak = 0;
  #phasePeak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 50) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.sample();
  }

  /** Takes one sample now. */
  sample(): void {
    const rss = process.memoryUsage().rss;
    if (rss > this.#peak) this.#peak = rss;
    if (rss > this.#phasePeak) this.#phasePeak = rss;
  }

  /** Starts a new phase: its peak starts from the current RSS. */
  startPhase(): void {
    this.#phasePeak = 0;
    this.sample();
  }

  /** The highest RSS seen since the sampler was created. */
  get peakBytes(): number {
    return this.#peak;
  }

  /** The highest RSS seen since the last `startPhase()`. */
  get phasePeakBytes(): number {
    return this.#phasePeak;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
