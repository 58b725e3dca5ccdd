/**
 * Per-principal byte-rate quotas, as Kafka's ClientQuotaManager for `producer_byte_rate` / `consumer_byte_rate`:
 * bytes are counted in a rate over a window of samples, and a request that brings the rate over the quota gets a
 * throttle time, the delay after which the rate is back at the quota.
 */
import { StreamsError } from '../../errors.js';
import type { Clock } from '../../util/clock.js';

/**
 * One principal's byte rates in bytes per second; an absent rate is unlimited.
 *
 * @example
 * ```ts
 * const quota: ByteRateQuota = { producerByteRate: 1_048_576, consumerByteRate: 2_097_152 };
 * ```
 */
export interface ByteRateQuota {
  readonly producerByteRate?: number;
  readonly consumerByteRate?: number;
}

/**
 * Quotas by principal (`User:alice`); the key {@link DEFAULT_QUOTA_KEY} (`User:<default>`, Kafka's default user
 * entity) applies to every principal without its own entry.
 *
 * @example
 * ```ts
 * const quotas: QuotaConfig = { 'User:alice': { producerByteRate: 1_048_576 }, 'User:<default>': { producerByteRate: 10_485_760 } };
 * ```
 */
export type QuotaConfig = Readonly<Record<string, ByteRateQuota>>;

/**
 * The key of the default quota in a {@link QuotaConfig}.
 *
 * @example
 * ```ts
 * const quotas: QuotaConfig = { [DEFAULT_QUOTA_KEY]: { consumerByteRate: 5_000_000 } };
 * ```
 */
export const DEFAULT_QUOTA_KEY = 'User:<default>';

/**
 * Which rate a request counts against: Produce request bytes against `producerByteRate`, Fetch response bytes
 * against `consumerByteRate`.
 *
 * @example
 * ```ts
 * const kind: QuotaKind = 'produce';
 * ```
 */
export type QuotaKind = 'produce' | 'fetch';

/**
 * How rates are measured: `windowNum` samples of `windowSizeMs` each (Kafka's quota.window.num, default 11, and
 * quota.window.size.seconds, default 1).
 *
 * @example
 * ```ts
 * new QuotaManager(quotas, { clock, windowNum: 11, windowSizeMs: 1000 });
 * ```
 */
export interface QuotaManagerOptions {
  readonly clock: Clock;
  readonly windowNum?: number;
  readonly windowSizeMs?: number;
}

/** One principal's rate for one kind: samples in a ring, each the bytes counted in one window. */
class Rate {
  readonly starts: number[];
  readonly bytes: number[];
  current = 0;

  constructor(n: number, nowMs: number) {
    this.starts = new Array<number>(n).fill(-Infinity);
    this.bytes = new Array<number>(n).fill(0);
    this.starts[0] = nowMs;
  }
}

/**
 * Measures bytes per principal and answers throttle times. Without a quota for the principal (nor a default) nothing
 * is measured and the throttle time is 0.
 *
 * The rate is Kafka's: the bytes of the samples not older than `windowNum * windowSizeMs`, over the time they span
 * (at least `windowNum - 1` windows, as Kafka's Rate.windowSize, so a first burst is not measured over a few
 * milliseconds). When it exceeds the quota, the throttle time is how long to wait for the rate to fall back to the
 * quota: `(rate - quota) / quota * span` once the samples span the window, as Kafka's; while they span less (the
 * first second), the time until they span `bytes / quota`, which Kafka underestimates there. It is capped at the
 * whole window, so one huge request does not mute a connection for minutes.
 *
 * @example
 * ```ts
 * const quotas = new QuotaManager({ 'User:alice': { producerByteRate: 1_000_000 } }, { clock });
 * const throttleTimeMs = quotas.record('User:alice', 'produce', requestBytes);
 * ```
 */
export class QuotaManager {
  readonly #quotas: QuotaConfig;
  readonly #clock: Clock;
  readonly #windowNum: number;
  readonly #windowSizeMs: number;
  readonly #rates = new Map<string, Rate>();

  constructor(quotas: QuotaConfig, options: QuotaManagerOptions) {
    for (const [principal, q] of Object.entries(quotas)) {
      for (const [name, rate] of Object.entries(q)) {
        if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate))) {
          throw new StreamsError('INVALID_CONFIG', `quota ${name} of ${principal} must be a positive number of bytes per second, got ${String(rate)}`);
        }
      }
    }
    this.#quotas = quotas;
    this.#clock = options.clock;
    this.#windowNum = Math.max(2, options.windowNum ?? 11);
    this.#windowSizeMs = Math.max(1, options.windowSizeMs ?? 1000);
  }

  /** The byte rate limiting `principal` for `kind`, or undefined (unlimited). */
  quotaOf(principal: string, kind: QuotaKind): number | undefined {
    const q = this.#quotas[principal] ?? this.#quotas[DEFAULT_QUOTA_KEY];
    if (q === undefined) return undefined;
    return kind === 'produce' ? q.producerByteRate : q.consumerByteRate;
  }

  /**
   * Counts `bytes` for `principal` and returns how long its connection should be muted (ms, 0 when within quota).
   */
  record(principal: string, kind: QuotaKind, bytes: number): number {
    const quota = this.quotaOf(principal, kind);
    if (quota === undefined) return 0;
    const nowMs = this.#clock.nowMs();
    const key = kind === 'produce' ? `p:${principal}` : `f:${principal}`;
    let rate = this.#rates.get(key);
    if (rate === undefined) this.#rates.set(key, (rate = new Rate(this.#windowNum, nowMs)));
    this.#advance(rate, nowMs);
    rate.bytes[rate.current]! += bytes;
    const { total, elapsedMs } = this.#measure(rate, nowMs);
    const perMs = quota / 1000;
    const spanMs = Math.max(elapsedMs, (this.#windowNum - 1) * this.#windowSizeMs);
    if (total / spanMs <= perMs) return 0;
    // The wait after which total / span is back at the quota: Kafka's (rate - quota) / quota * span once the samples
    // span the window; before that (span still the minimum) the time until the elapsed span is long enough.
    const throttleMs = total / perMs - elapsedMs;
    return Math.min(Math.ceil(throttleMs), this.#windowNum * this.#windowSizeMs);
  }

  /** Moves to a new sample when the current one is full, clearing samples that left the window. */
  #advance(rate: Rate, nowMs: number): void {
    const start = rate.starts[rate.current]!;
    if (nowMs - start < this.#windowSizeMs) return;
    // Skipped windows count as empty: start the new sample at the window boundary nowMs falls in.
    const next = (rate.current + 1) % this.#windowNum;
    rate.current = next;
    rate.starts[next] = start + Math.floor((nowMs - start) / this.#windowSizeMs) * this.#windowSizeMs;
    rate.bytes[next] = 0;
  }

  #measure(rate: Rate, nowMs: number): { total: number; elapsedMs: number } {
    const horizon = nowMs - this.#windowNum * this.#windowSizeMs;
    let total = 0;
    let oldest = nowMs;
    for (let i = 0; i < this.#windowNum; i++) {
      const start = rate.starts[i]!;
      if (start <= horizon) {
        rate.bytes[i] = 0;
        continue;
      }
      total += rate.bytes[i]!;
      if (start < oldest) oldest = start;
    }
    return { total, elapsedMs: nowMs - oldest };
  }
}

const RATE_KEYS: Readonly<Record<string, keyof ByteRateQuota>> = { producer_byte_rate: 'producerByteRate', consumer_byte_rate: 'consumerByteRate' };

/**
 * Parses quota specs as the broker's `--quota` flag takes them, Kafka's kafka-configs names:
 * `PRINCIPAL=producer_byte_rate=N,consumer_byte_rate=M` (the principal may itself hold `=` and `,`, as a certificate
 * subject does: it ends where the first rate begins). Several specs for one principal merge. Throws INVALID_CONFIG.
 *
 * @example
 * ```ts
 * parseQuotaSpecs(['User:alice=producer_byte_rate=1048576', 'User:<default>=consumer_byte_rate=5000000']);
 * // { 'User:alice': { producerByteRate: 1048576 }, 'User:<default>': { consumerByteRate: 5000000 } }
 * ```
 */
export function parseQuotaSpecs(specs: readonly string[]): QuotaConfig {
  const out: Record<string, ByteRateQuota> = {};
  for (const spec of specs) {
    const m = /=(producer_byte_rate|consumer_byte_rate)=/.exec(spec);
    if (m === null || m.index === 0) {
      throw new StreamsError('INVALID_CONFIG', `quota '${spec}' must be PRINCIPAL=producer_byte_rate=N[,consumer_byte_rate=M], e.g. User:alice=producer_byte_rate=1048576`);
    }
    const principal = spec.slice(0, m.index);
    const rates: { -readonly [K in keyof ByteRateQuota]: ByteRateQuota[K] } = { ...out[principal] };
    for (const part of spec.slice(m.index + 1).split(',')) {
      const [name, value, ...extra] = part.split('=');
      const key = RATE_KEYS[name ?? ''];
      const n = Number(value);
      if (key === undefined || extra.length > 0 || value === undefined || !/^\d+$/.test(value) || !(n > 0)) {
        throw new StreamsError('INVALID_CONFIG', `quota '${spec}': '${part}' must be producer_byte_rate=N or consumer_byte_rate=N with N > 0 bytes per second`);
      }
      rates[key] = n;
    }
    out[principal] = rates;
  }
  return out;
}
