/**
 * The last errors an instance met, for /api/status and the dashboard: a fixed-size ring, oldest first when read.
 */

/**
 * One remembered error: when (`timeMs`, epoch ms), where it came from, its code and message.
 *
 * @example
 * ```ts
 * const e: RecentError = { timeMs: Date.now(), source: 'streams', code: 'PROCESSING_FAILED', message: 'boom' };
 * ```
 */
export interface RecentError {
  readonly timeMs: number;
  /** `streams`: the instance went to ERROR; `http`: a request failed on the server side. */
  readonly source: 'streams' | 'http';
  readonly code: string;
  readonly message: string;
}

/**
 * A ring buffer of the last `capacity` errors.
 *
 * @example
 * ```ts
 * const errors = new RecentErrors(20);
 * errors.add({ timeMs: 0, source: 'http', code: 'INTERNAL', message: 'boom' });
 * errors.list(); // [{ ... 'boom' }]
 * ```
 */
export class RecentErrors {
  readonly #ring: (RecentError | undefined)[];
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#ring = new Array<RecentError | undefined>(Math.max(1, capacity));
  }

  /** Remembers `e`, forgetting the oldest when full. */
  add(e: RecentError): void {
    this.#ring[this.#next] = e;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#size = Math.min(this.#size + 1, this.#ring.length);
  }

  /** The remembered errors, oldest first. */
  list(): RecentError[] {
    const out: RecentError[] = [];
    const n = this.#ring.length;
    for (let i = 0; i < this.#size; i++) out.push(this.#ring[(this.#next - this.#size + i + n) % n]!);
    return out;
  }
}
