/**
 * `Suppressed` and `BufferConfig`: how `KTable.suppress` holds back a table's updates (Kafka Streams' `Suppressed`,
 * `Suppressed.BufferConfig`, KIP-328).
 */
import { StreamsError } from '../../src/errors.js';
import type { ChangelogConfig } from '../../src/state/store-builder.js';
import type { Windowed } from '../../src/state/windowed.js';
import { validateName } from './named.js';

/**
 * What a suppression buffer does when it is over its bounds: `'emit-early'` forwards its oldest entries (by buffer
 * time) until it fits again; `'shut-down'` fails the task with `StreamsError('PROCESSING_FAILED')`, so the
 * application stops in ERROR instead of emitting a non-final result.
 *
 * @example `const strategy: BufferFullStrategy = BufferConfig.maxRecords(10).bufferFullStrategy; // 'emit-early'`
 */
export type BufferFullStrategy = 'emit-early' | 'shut-down';

function checkBound(n: number, what: string): number {
  if (typeof n !== 'number' || Number.isNaN(n) || n < 0) throw new StreamsError('INVALID_CONFIG', `${what} must be a number >= 0, got ${String(n)}`);
  return n;
}

/**
 * The bounds of a suppression buffer: at most `maxRecords` keys and `maxBytes` bytes (serialized key + buffered
 * value + 8), `Infinity` for no bound, and what to do when over them. The buffer is a store with a changelog
 * (`<applicationId>-<storeName>-changelog`) unless logging is disabled, so its content survives a restart.
 *
 * Immutable: every `with...`/`...WhenFull` returns a new config. `unbounded()` and any `shutDownWhenFull()` config
 * are {@link StrictBufferConfig}s, the only kind `Suppressed.untilWindowCloses` accepts (a final result must never be
 * emitted early).
 *
 * @example
 * ```ts
 * BufferConfig.maxRecords(1_000).emitEarlyWhenFull();
 * BufferConfig.maxBytes(1 << 20).shutDownWhenFull();
 * BufferConfig.unbounded();
 * ```
 */
export class BufferConfig {
  private constructor(
    readonly maxRecords: number,
    readonly maxBytes: number,
    readonly bufferFullStrategy: BufferFullStrategy,
    readonly isLoggingEnabled: boolean,
    readonly logConfig: ChangelogConfig,
  ) {
    Object.freeze(this);
  }

  /**
   * No bounds (and shut down if ever full, which cannot happen): the buffer grows with the number of open keys.
   *
   * @example `Suppressed.untilWindowCloses(BufferConfig.unbounded())`
   */
  static unbounded(): StrictBufferConfig {
    return new BufferConfig(Infinity, Infinity, 'shut-down', true, {}) as StrictBufferConfig;
  }

  /**
   * At most `n` records, emitting early when full (Kafka's default for a bounded buffer).
   *
   * @example `Suppressed.untilTimeLimit(60_000, BufferConfig.maxRecords(100))`
   */
  static maxRecords(n: number): BufferConfig {
    return new BufferConfig(checkBound(n, 'maxRecords'), Infinity, 'emit-early', true, {});
  }

  /**
   * At most `n` bytes, emitting early when full.
   *
   * @example `Suppressed.untilTimeLimit(60_000, BufferConfig.maxBytes(1 << 20))`
   */
  static maxBytes(n: number): BufferConfig {
    return new BufferConfig(Infinity, checkBound(n, 'maxBytes'), 'emit-early', true, {});
  }

  /**
   * A copy bounded to `n` records.
   *
   * @example `BufferConfig.maxBytes(1 << 20).withMaxRecords(1_000)`
   */
  withMaxRecords(n: number): this {
    return new BufferConfig(checkBound(n, 'maxRecords'), this.maxBytes, this.bufferFullStrategy, this.isLoggingEnabled, this.logConfig) as this;
  }

  /**
   * A copy bounded to `n` bytes.
   *
   * @example `BufferConfig.maxRecords(1_000).withMaxBytes(1 << 20)`
   */
  withMaxBytes(n: number): this {
    return new BufferConfig(this.maxRecords, checkBound(n, 'maxBytes'), this.bufferFullStrategy, this.isLoggingEnabled, this.logConfig) as this;
  }

  /**
   * A copy without bounds (strict: it never emits early).
   *
   * @example `BufferConfig.maxRecords(10).withNoBound().maxRecords; // Infinity`
   */
  withNoBound(): StrictBufferConfig {
    return new BufferConfig(Infinity, Infinity, 'shut-down', this.isLoggingEnabled, this.logConfig) as StrictBufferConfig;
  }

  /**
   * A copy that forwards its oldest entries early when over its bounds (results are then not final).
   *
   * @example `BufferConfig.maxRecords(10).emitEarlyWhenFull().bufferFullStrategy; // 'emit-early'`
   */
  emitEarlyWhenFull(): BufferConfig {
    return new BufferConfig(this.maxRecords, this.maxBytes, 'emit-early', this.isLoggingEnabled, this.logConfig);
  }

  /**
   * A copy that fails the task (`PROCESSING_FAILED`, the application goes to ERROR) when over its bounds.
   *
   * @example `Suppressed.untilWindowCloses(BufferConfig.maxRecords(10_000).shutDownWhenFull())`
   */
  shutDownWhenFull(): StrictBufferConfig {
    return new BufferConfig(this.maxRecords, this.maxBytes, 'shut-down', this.isLoggingEnabled, this.logConfig) as StrictBufferConfig;
  }

  /**
   * A copy whose buffer keeps no changelog (its content is lost on a restart).
   *
   * @example `BufferConfig.unbounded().withLoggingDisabled()`
   */
  withLoggingDisabled(): this {
    return new BufferConfig(this.maxRecords, this.maxBytes, this.bufferFullStrategy, false, {}) as this;
  }

  /**
   * A copy whose buffer's changelog topic gets these extra topic configs.
   *
   * @example `BufferConfig.unbounded().withLoggingEnabled({ 'min.insync.replicas': '1' })`
   */
  withLoggingEnabled(config: ChangelogConfig = {}): this {
    return new BufferConfig(this.maxRecords, this.maxBytes, this.bufferFullStrategy, true, Object.freeze({ ...config })) as this;
  }
}

/**
 * A {@link BufferConfig} that never emits early (`shut-down` when full).
 *
 * @example `const strict: StrictBufferConfig = BufferConfig.unbounded();`
 */
export type StrictBufferConfig = BufferConfig & { readonly bufferFullStrategy: 'shut-down' };

/**
 * How a suppression picks the moment to emit a key's latest update: `'window-close'` when stream time reaches the
 * window's end plus the grace period of the upstream windowed aggregation (tombstones are dropped: a final result is
 * never a deletion), `'time-limit'` when stream time reaches the key's latest record timestamp plus `timeToWaitMs`.
 *
 * @example `Suppressed.untilTimeLimit(1_000, BufferConfig.unbounded()).kind; // 'time-limit'`
 */
export type SuppressionKind = 'window-close' | 'time-limit';

/**
 * A suppression for `KTable.suppress` (Kafka Streams' `Suppressed`): updates of a key are buffered and only the
 * latest one is forwarded, when its time comes (see {@link SuppressionKind}), so downstream sees fewer, or final,
 * updates. Time is stream time (the largest record timestamp the suppression has seen), never wall-clock time: with
 * no new records nothing is emitted.
 *
 * Naming as Kafka Streams: processor `KTABLE-SUPPRESS-<n>` and buffer store `KTABLE-SUPPRESS-STATE-STORE-<n+1>`, or
 * `<name>` and `<name>-store` with `withName`.
 *
 * @example
 * ```ts
 * builder.stream<string, string>('clicks').groupByKey()
 *   .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000)).count()
 *   .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
 *   .toStream().to('final-counts');
 * // Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])
 * ```
 */
export class Suppressed<K> {
  /** Phantom: makes `Suppressed<Windowed<unknown>>` unusable on a table without windowed keys. */
  declare private readonly _keyType?: (key: K) => void;

  private constructor(
    readonly kind: SuppressionKind,
    readonly timeToWaitMs: number,
    readonly bufferConfig: BufferConfig,
    readonly name: string | undefined,
  ) {
    Object.freeze(this);
  }

  /**
   * Emits exactly one result per window, its final one, once the window closes (stream time >= window end + grace of
   * the windowed aggregation upstream), and nothing for open windows. Only for windowed tables (build fails with
   * `TOPOLOGY_INVALID` otherwise); takes only a strict buffer config.
   *
   * @example `counts.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))`
   */
  static untilWindowCloses(bufferConfig: StrictBufferConfig): Suppressed<Windowed<unknown>> {
    if (!(bufferConfig instanceof BufferConfig) || bufferConfig.bufferFullStrategy !== 'shut-down') {
      throw new StreamsError('INVALID_CONFIG', 'Suppressed.untilWindowCloses needs a strict BufferConfig (unbounded() or shutDownWhenFull())');
    }
    return new Suppressed<Windowed<unknown>>('window-close', 0, bufferConfig, undefined);
  }

  /**
   * Emits a key's latest update once stream time reaches its record timestamp plus `timeToWaitMs` (a rate limit:
   * later updates of the key within that time replace it), or earlier when the buffer is full and emits early.
   *
   * @example `table.suppress(Suppressed.untilTimeLimit(5_000, BufferConfig.maxRecords(1_000).emitEarlyWhenFull()))`
   */
  static untilTimeLimit(timeToWaitMs: number, bufferConfig: BufferConfig): Suppressed<unknown> {
    if (typeof timeToWaitMs !== 'number' || !Number.isFinite(timeToWaitMs) || timeToWaitMs < 0) {
      throw new StreamsError('INVALID_CONFIG', `timeToWaitMs must be a finite number >= 0, got ${String(timeToWaitMs)}`);
    }
    if (!(bufferConfig instanceof BufferConfig)) throw new StreamsError('INVALID_CONFIG', 'Suppressed.untilTimeLimit needs a BufferConfig');
    return new Suppressed<unknown>('time-limit', timeToWaitMs, bufferConfig, undefined);
  }

  /**
   * A copy naming the processor `name` and its buffer store `<name>-store`.
   *
   * @example `Suppressed.untilWindowCloses(BufferConfig.unbounded()).withName('final-counts')`
   */
  withName(name: string): Suppressed<K> {
    return new Suppressed<K>(this.kind, this.timeToWaitMs, this.bufferConfig, validateName(name));
  }
}
