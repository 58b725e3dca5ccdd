/**
 * `TimeWindowedKStream.aggregate` / `count` / `reduce` over `TimeWindows`: folds each record into every window it
 * falls in, in a timestamped window store, and forwards each window's new aggregate (Kafka Streams'
 * `KStreamWindowAggregate`).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import type { TimestampedWindowStore } from '../../src/state/window-store.js';
import { timeWindow } from '../../src/state/windowed.js';
import type { Windowed } from '../../src/state/windowed.js';
import type { Change } from '../change.js';
import type { Aggregator, Initializer } from '../functions.js';
import { DroppedRecords } from './dropped-records.js';
import type { TimeWindows } from '../windows/time-windows.js';

/**
 * What every windowed aggregation processor exposes: the records it dropped (null key or value, or too late for all
 * their windows given stream time and grace): Kafka Streams' `dropped-records` sensor.
 *
 * @example
 * ```ts
 * const processor = kstreamWindowAggregate('w', windows, init, agg, false)() as Processor<string, number, Windowed<string>, Change<number>> & DroppedRecordsMetric;
 * processor.droppedRecords; // 0
 * ```
 */
export interface DroppedRecordsMetric {
  readonly droppedRecords: number;
}

/**
 * The largest record timestamp in a timestamped window store (-1 when empty): the stream time a windowed
 * aggregation had observed when it last wrote, from which emit-on-close progress is recovered after a restart.
 *
 * @example
 * ```ts
 * const observedMs = largestTimestampMs(context.getStateStore<TimestampedWindowStore<string, number>>('counts'));
 * ```
 */
export function largestTimestampMs(store: TimestampedWindowStore<unknown, unknown>): number {
  let maxTimestampMs = -1;
  const it = store.all();
  try {
    for (const { value } of it) if (value.timestampMs > maxTimestampMs) maxTimestampMs = value.timestampMs;
  } finally {
    it.close();
  }
  return maxTimestampMs;
}

class KStreamWindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>>, DroppedRecordsMetric {
  #store!: TimestampedWindowStore<K, VA>;
  #context!: ProcessorContext<Windowed<K>, Change<VA>>;
  /** The largest timestamp this processor has seen (Kafka's per-processor observed stream time). */
  #observedStreamTimeMs = -1;
  readonly #dropped = new DroppedRecords('KSTREAM-AGGREGATE');

  get droppedRecords(): number {
    return this.#dropped.count;
  }

  constructor(
    private readonly storeName: string,
    private readonly windows: TimeWindows,
    private readonly initializer: Initializer<VA | null>,
    private readonly aggregator: Aggregator<K, V, VA>,
    private readonly sendOldValues: boolean,
    private readonly emitsOnWindowClose: boolean,
  ) {}

  /** The close time up to which final results were forwarded (on-window-close only; -1: none yet). */
  #lastEmitCloseTimeMs = -1;

  init(context: ProcessorContext<Windowed<K>, Change<VA>>): void {
    this.#context = context;
    this.#dropped.init(context);
    this.#store = context.getStateStore<TimestampedWindowStore<K, VA>>(this.storeName);
    if (this.emitsOnWindowClose) this.#recoverEmitProgress();
    // After a restart: the task's stream time restored from the committed partition times, so a window closed
    // before the restart stays closed (a late record cannot produce a second, wrong final result).
    const restored = context.currentStreamTimeMs();
    if (restored > this.#observedStreamTimeMs) this.#observedStreamTimeMs = restored;
  }

  /**
   * After a restart, windows that were closed when the store was last written were already forwarded. Kafka Streams
   * keeps that progress in commit metadata; here it is recomputed from the store: its largest record timestamp is
   * the stream time this processor had observed (records that changed nothing cannot have advanced it).
   */
  #recoverEmitProgress(): void {
    const maxTimestampMs = largestTimestampMs(this.#store);
    if (maxTimestampMs < 0) return;
    this.#observedStreamTimeMs = maxTimestampMs;
    this.#lastEmitCloseTimeMs = maxTimestampMs - this.windows.graceMs;
  }

  /** Forwards, once, each window that closed since the last call: starts in (lastClose - size, close - size]. */
  #forwardClosedWindows(): void {
    const closeTimeMs = this.#observedStreamTimeMs - this.windows.graceMs;
    if (closeTimeMs <= this.#lastEmitCloseTimeMs) return;
    const { sizeMs } = this.windows;
    const toMs = closeTimeMs - sizeMs;
    const fromMs = this.#lastEmitCloseTimeMs < 0 ? 0 : this.#lastEmitCloseTimeMs - sizeMs + 1;
    this.#lastEmitCloseTimeMs = closeTimeMs;
    if (toMs < fromMs || toMs < 0) return;
    const it = this.#store.fetchAll(Math.max(0, fromMs), toMs);
    try {
      for (const { key, value } of it) {
        this.#context.forward(new Record<Windowed<K>, Change<VA>>(key, { newValue: value.value, oldValue: null }, value.timestampMs));
      }
    } finally {
      it.close();
    }
  }

  process(record: Record<K, V>): void {
    const key = record.key;
    if (key === null || key === undefined || record.value === null || record.value === undefined) {
      this.#dropped.record('null key or value', record.timestampMs);
      return;
    }
    const timestampMs = record.timestampMs;
    if (timestampMs > this.#observedStreamTimeMs) this.#observedStreamTimeMs = timestampMs;
    // Before the writes: this record only touches open windows, and a closed one may expire from the store on a put.
    if (this.emitsOnWindowClose) this.#forwardClosedWindows();
    const { sizeMs, advanceMs, graceMs } = this.windows;
    const closeTimeMs = this.#observedStreamTimeMs - graceMs;
    // Iterate starts without allocating the window list (windowsFor semantics).
    for (let startMs = this.windows.firstWindowStartMs(timestampMs); startMs <= timestampMs; startMs += advanceMs) {
      const endMs = startMs + sizeMs;
      // Kafka: a window is closed once `end + grace <= observed stream time`.
      if (endMs <= closeTimeMs) {
        this.#dropped.record('expired window', timestampMs, { windowStartMs: startMs, windowEndMs: endMs, closeTimeMs });
        continue;
      }
      const old = this.#store.fetch(key, startMs);
      let newTimestampMs = timestampMs;
      let oldValue: VA | null;
      if (old === null) oldValue = this.initializer();
      else {
        oldValue = old.value;
        if (old.timestampMs > newTimestampMs) newTimestampMs = old.timestampMs;
      }
      // A reduce's initializer gives null: its aggregator then takes the first value as is.
      const next = this.aggregator(key, record.value, oldValue as VA);
      this.#store.put(key, { value: next, timestampMs: newTimestampMs }, startMs);
      if (this.emitsOnWindowClose) continue;
      const change: Change<VA> = { newValue: next, oldValue: this.sendOldValues ? oldValue : null };
      this.#context.forward(new Record<Windowed<K>, Change<VA>>({ key, window: timeWindow(startMs, endMs) }, change, newTimestampMs, record.headers));
    }
  }
}

/**
 * Aggregates records per key and time window into the timestamped window store `storeName`: for each window of
 * `windows.windowsFor(timestamp)` still open (`end + grace > observed stream time`), a window's first record starts
 * from `initializer()` (a reduce's returns `null`, and its aggregator takes the first value as is), later ones are folded with
 * `aggregator(key, value, aggregate)`; the result (timestamped with the window's largest record timestamp) is stored
 * and forwarded as `Change(new, old)` keyed by `Windowed<K>` (old only with `sendOldValues`; for a new window the old
 * value is the initializer's, as in Kafka Streams). Records with a null key or value, and each closed window a record
 * falls into, count as dropped. With `emitsOnWindowClose` (`EmitStrategy.onWindowClose()`) updates are not forwarded;
 * instead, whenever the close time (observed stream time - grace) advances, every window that closed since is read
 * from the store and forwarded once with its final aggregate (old value `null`), in the store's order.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-AGGREGATE-0000000002', kstreamWindowAggregate('counts', TimeWindows.ofSizeWithNoGrace(60_000), COUNT.initializer, COUNT.aggregator, false), 'src');
 * ```
 */
export function kstreamWindowAggregate<K, V, VA>(
  storeName: string,
  windows: TimeWindows,
  initializer: Initializer<VA | null>,
  aggregator: Aggregator<K, V, VA>,
  sendOldValues: boolean,
  emitsOnWindowClose = false,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new KStreamWindowAggregateProcessor(storeName, windows, initializer, aggregator, sendOldValues, emitsOnWindowClose);
}
