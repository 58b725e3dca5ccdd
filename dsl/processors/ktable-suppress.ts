/**
 * `KTable.suppress`: holds each key's latest update in a {@link SuppressBuffer} and forwards it when its time comes
 * (Kafka Streams' `KTableSuppressProcessorSupplier` with `SuppressedInternal`).
 */
import { StreamsError } from '../../src/errors.js';
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import type { Windowed } from '../../src/state/windowed.js';
import type { Change } from '../change.js';
import type { BufferFullStrategy } from '../options/suppressed.js';
import type { BufferEviction, SuppressBuffer } from './suppress-buffer.js';

/**
 * The resolved settings of one suppression: the buffer time of a record is its window's end (`'window-end'`, for
 * `untilWindowCloses`) or its timestamp (`'record-time'`); an entry is emitted once its buffer time <= stream time -
 * `suppressDurationMs` (the window grace, or the time limit); tombstones are dropped when `safeToDropTombstones`.
 *
 * @example
 * ```ts
 * const settings: SuppressSettings = { timeDefinition: 'window-end', suppressDurationMs: 10_000, maxRecords: Infinity,
 *   maxBytes: Infinity, bufferFullStrategy: 'shut-down', safeToDropTombstones: true };
 * ```
 */
export interface SuppressSettings {
  readonly timeDefinition: 'window-end' | 'record-time';
  readonly suppressDurationMs: number;
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly bufferFullStrategy: BufferFullStrategy;
  readonly safeToDropTombstones: boolean;
}

class KTableSuppressProcessor<K, V> implements Processor<K, Change<V>, K, Change<V>> {
  #context!: ProcessorContext<K, Change<V>>;
  #buffer!: SuppressBuffer<K, V>;
  /** The largest record timestamp seen (Kafka's per-processor observed stream time). */
  #observedStreamTimeMs = -1;
  readonly #emit = (eviction: BufferEviction<K, V>): void => {
    const { change } = eviction;
    if (change.newValue === null && this.settings.safeToDropTombstones) return;
    const forwarded: Change<V> = this.sendOldValues || change.oldValue === null ? change : { newValue: change.newValue, oldValue: null };
    this.#context.forward(new Record(eviction.key, forwarded, eviction.timestampMs, eviction.headers));
  };

  constructor(
    private readonly storeName: string,
    private readonly settings: SuppressSettings,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.#context = context;
    this.#buffer = context.getStateStore<SuppressBuffer<K, V>>(this.storeName);
    // After a restart: the task's stream time restored from the committed partition times, so a window closed
    // before the restart stays closed (a late record cannot produce a second, wrong final result).
    const restored = context.currentStreamTimeMs();
    if (restored > this.#observedStreamTimeMs) this.#observedStreamTimeMs = restored;
  }

  process(record: Record<K, Change<V>>): void {
    const timestampMs = record.timestampMs;
    if (timestampMs > this.#observedStreamTimeMs) this.#observedStreamTimeMs = timestampMs;
    const { settings } = this;
    const bufferTimeMs = settings.timeDefinition === 'window-end' ? (record.key as Windowed<unknown>).window.endMs : timestampMs;
    this.#buffer.put(bufferTimeMs, record.key, record.value, timestampMs, record.headers);
    this.#enforceConstraints();
  }

  #enforceConstraints(): void {
    const buffer = this.#buffer;
    const { settings } = this;
    const expiryMs = this.#observedStreamTimeMs - settings.suppressDurationMs;
    if (buffer.minTimestampMs <= expiryMs) buffer.evictExpired(expiryMs, this.#emit);
    if (settings.maxRecords === Infinity && settings.maxBytes === Infinity) return;
    if (buffer.numRecords <= settings.maxRecords && buffer.bufferSizeBytes <= settings.maxBytes) return;
    if (settings.bufferFullStrategy === 'emit-early') {
      buffer.evictWhileOver(settings.maxRecords, settings.maxBytes, this.#emit);
      return;
    }
    throw new StreamsError(
      'PROCESSING_FAILED',
      `suppression buffer ${this.storeName} exceeded its max capacity: ${buffer.numRecords}/${settings.maxRecords} records and ` +
        `${buffer.bufferSizeBytes}/${settings.maxBytes} bytes`,
    );
  }
}

/**
 * Suppresses a table's updates through the buffer store `storeName`: each update of a key replaces the key's buffered
 * one; after each record, every entry whose buffer time <= observed stream time - `suppressDurationMs` is forwarded,
 * oldest first (with the timestamp and headers of its latest record); a tombstone is dropped instead when
 * `safeToDropTombstones`. Over its bounds the buffer emits its oldest entries early or throws
 * `StreamsError('PROCESSING_FAILED')` (the application stops in ERROR). The forwarded old value is the one before the
 * first buffered update, sent only with `sendOldValues`. Wall-clock time plays no part.
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-SUPPRESS-0000000003', ktableSuppress('KTABLE-SUPPRESS-STATE-STORE-0000000004', settings, false), 'KSTREAM-AGGREGATE-0000000002');
 * ```
 */
export function ktableSuppress<K, V>(storeName: string, settings: SuppressSettings, sendOldValues: boolean): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new KTableSuppressProcessor<K, V>(storeName, settings, sendOldValues);
}
