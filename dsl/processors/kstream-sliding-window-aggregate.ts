/**
 * `TimeWindowedKStream.aggregate` / `count` / `reduce` over `SlidingWindows`: maintains the windows defined by record
 * timestamps in a timestamped window store, forwarding every update or, with `EmitStrategy.onWindowClose()`, each
 * window's final aggregate once (Kafka Streams' `KStreamSlidingWindowAggregate`, KIP-825 for emit-on-close).
 */
import { StreamsError } from '../../src/errors.js';
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import type { Headers } from '../../src/record.js';
import type { ValueAndTimestamp } from '../../src/state/key-value-store.js';
import type { TimestampedWindowStore } from '../../src/state/window-store.js';
import { timeWindow } from '../../src/state/windowed.js';
import type { Windowed } from '../../src/state/windowed.js';
import type { Change } from '../change.js';
import type { Aggregator, Initializer } from '../functions.js';
import type { SlidingWindows } from '../windows/sliding-windows.js';
import { DroppedRecords } from './dropped-records.js';
import { largestTimestampMs, type DroppedRecordsMetric } from './kstream-window-aggregate.js';

class KStreamSlidingWindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>>, DroppedRecordsMetric {
  #store!: TimestampedWindowStore<K, VA>;
  #context!: ProcessorContext<Windowed<K>, Change<VA>>;
  #observedStreamTimeMs = -1;
  readonly #diff: number;
  readonly #graceMs: number;
  readonly #dropped = new DroppedRecords('KSTREAM-AGGREGATE');
  /** On-window-close only: every window ending at or before this was forwarded (-1: none yet). */
  #emittedThroughEndMs = -1;
  // Per-record scratch, kept on the instance so a record costs no closures.
  #key!: K;
  #value!: V;
  #timestampMs = 0;
  #closeTimeMs = 0;
  #headers!: Headers;

  constructor(
    private readonly storeName: string,
    windows: SlidingWindows,
    private readonly initializer: Initializer<VA | null>,
    private readonly aggregator: Aggregator<K, V, VA>,
    private readonly sendOldValues: boolean,
    private readonly emitsOnWindowClose: boolean,
  ) {
    this.#diff = windows.timeDifferenceMs;
    this.#graceMs = windows.graceMs;
  }

  get droppedRecords(): number {
    return this.#dropped.count;
  }

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
   * After a restart, the windows closed when the store was last written were already forwarded. Kafka Streams keeps
   * that progress in commit metadata; here it is recomputed from the store, as for time windows: a record that
   * advances stream time always lands in its own left window, so the largest window timestamp is the stream time.
   */
  #recoverEmitProgress(): void {
    const maxTimestampMs = largestTimestampMs(this.#store);
    if (maxTimestampMs < 0) return;
    this.#observedStreamTimeMs = maxTimestampMs;
    this.#emittedThroughEndMs = maxTimestampMs - this.#graceMs - 1;
  }

  /**
   * Forwards, once, each window that closed since the last call. A sliding window includes its end, so it is closed
   * once `end < close time` (Kafka: window end + grace < stream time), the same rule that drops updates to it: no
   * record can change a window after it was forwarded. Called before the record's writes, which only touch open
   * windows and may expire old ones from the store. Order: by window start, then key bytes (Kafka's time-ordered
   * window store).
   */
  #forwardClosedWindows(headers: Headers): void {
    const throughEndMs = this.#closeTimeMs - 1;
    if (throughEndMs <= this.#emittedThroughEndMs) return;
    const fromStartMs = Math.max(0, this.#emittedThroughEndMs + 1 - this.#diff);
    const toStartMs = throughEndMs - this.#diff;
    this.#emittedThroughEndMs = throughEndMs;
    if (toStartMs < fromStartMs) return;
    const closed: { key: Windowed<K>; value: ValueAndTimestamp<VA> }[] = [];
    const it = this.#store.fetchAll(fromStartMs, toStartMs);
    try {
      for (const entry of it) closed.push(entry);
    } finally {
      it.close();
    }
    // The store iterates by segment, then key: a stable sort by start gives (start, key).
    if (closed.length > 1) closed.sort((a, b) => a.key.window.startMs - b.key.window.startMs);
    for (const { key, value } of closed) {
      this.#context.forward(new Record<Windowed<K>, Change<VA>>(key, { newValue: value.value, oldValue: null }, value.timestampMs, headers));
    }
  }

  process(record: Record<K, V>): void {
    const key = record.key;
    if (key === null || key === undefined || record.value === null || record.value === undefined) {
      this.#dropped.record('null key or value', record.timestampMs);
      return;
    }
    const t = record.timestampMs;
    if (t > this.#observedStreamTimeMs) this.#observedStreamTimeMs = t;
    this.#closeTimeMs = this.#observedStreamTimeMs - this.#graceMs;
    if (this.emitsOnWindowClose) this.#forwardClosedWindows(record.headers);
    // Every window this record could touch (its left window ends at t, its right one at t + 1 + diff) is closed.
    if (t + 1 + this.#diff <= this.#closeTimeMs) {
      this.#dropped.record('expired window', t, { windowStartMs: t - this.#diff, windowEndMs: t, closeTimeMs: this.#closeTimeMs });
      return;
    }
    this.#key = key;
    this.#value = record.value;
    this.#timestampMs = t;
    this.#headers = record.headers;
    if (t < this.#diff) this.#processEarly();
    else this.#processInOrder();
  }

  #processInOrder(): void {
    const t = this.#timestampMs;
    const diff = this.#diff;
    const starts = new Set<number>();
    let leftAgg: ValueAndTimestamp<VA> | null = null;
    let rightAgg: ValueAndTimestamp<VA> | null = null;
    let hasLeft = false;
    let hasRight = false;
    let previousTimestampMs: number | null = null;
    // +1 on the upper bound catches this record's right window, if it exists.
    const it = this.#store.fetch(this.#key, Math.max(0, t - 2 * diff), t + 1);
    try {
      for (const { key: startMs, value } of it) {
        starts.add(startMs);
        const endMs = startMs + diff;
        if (endMs < t) {
          leftAgg = value;
          previousTimestampMs = value.timestampMs;
        } else if (endMs === t) {
          hasLeft = true;
          if (value.timestampMs < t) previousTimestampMs = value.timestampMs;
          this.#update(startMs, value);
        } else if (startMs <= t) {
          rightAgg = value;
          this.#update(startMs, value);
        } else if (startMs === t + 1) {
          hasRight = true;
        } else {
          throw new StreamsError('ILLEGAL_STATE', `unexpected sliding window [${startMs}, ${endMs}] for a record at ${t}`);
        }
      }
    } finally {
      it.close();
    }
    // The previous record's right window, if this record falls in it and it does not exist yet.
    if (previousTimestampMs !== null) {
      const previousRightStartMs = previousTimestampMs + 1;
      if (!starts.has(previousRightStartMs) && previousRightStartMs + diff >= t) this.#update(previousRightStartMs, null);
    }
    if (!hasLeft) {
      // The left window holds the records of the window ending just before it, if the previous record is within reach.
      const inherited = previousTimestampMs !== null && t - diff <= previousTimestampMs && leftAgg !== null ? leftAgg.value : null;
      this.#update(t - diff, { value: inherited ?? (this.initializer() as VA), timestampMs: t });
    }
    if (!hasRight && rightAgg !== null && rightAgg.timestampMs > t) this.#createRight(rightAgg);
  }

  #processEarly(): void {
    const t = this.#timestampMs;
    // All records below `diff` share the window [0, diff].
    let combined: ValueAndTimestamp<VA> | null = null;
    let rightAgg: ValueAndTimestamp<VA> | null = null;
    let hasRight = false;
    const starts = new Set<number>();
    let previousTimestampMs: number | null = null;
    const it = this.#store.fetch(this.#key, 0, t + 1);
    try {
      for (const { key: startMs, value } of it) {
        starts.add(startMs);
        if (startMs === 0) {
          combined = value;
          if (value.timestampMs < t) previousTimestampMs = value.timestampMs;
        } else if (startMs <= t) {
          rightAgg = value;
          this.#update(startMs, value);
        } else if (startMs === t + 1) {
          hasRight = true;
        } else {
          throw new StreamsError('ILLEGAL_STATE', `unexpected sliding window starting at ${startMs} for an early record at ${t}`);
        }
      }
    } finally {
      it.close();
    }
    if (rightAgg === null && combined !== null && combined.timestampMs > t) rightAgg = combined;
    if (!hasRight && rightAgg !== null && rightAgg.timestampMs > t) this.#createRight(rightAgg);
    if (previousTimestampMs !== null && !starts.has(previousTimestampMs + 1)) this.#update(previousTimestampMs + 1, null);
    if (combined === null) this.#update(0, { value: this.initializer() as VA, timestampMs: t });
    else this.#update(0, combined);
  }

  /** Creates this record's right window with the aggregate of the records after it (this record is not in it). */
  #createRight(aggregate: ValueAndTimestamp<VA>): void {
    const startMs = this.#timestampMs + 1;
    this.#store.put(this.#key, aggregate, startMs);
    if (this.emitsOnWindowClose) return;
    this.#context.forward(
      new Record<Windowed<K>, Change<VA>>(
        { key: this.#key, window: timeWindow(startMs, startMs + this.#diff) },
        { newValue: aggregate.value, oldValue: null },
        aggregate.timestampMs,
        this.#headers,
      ),
    );
  }

  /**
   * Folds the record into the window at `startMs` (current content `current`, `null`: a new window from the
   * initializer) unless the window is closed.
   */
  #update(startMs: number, current: ValueAndTimestamp<VA> | null): void {
    const endMs = startMs + this.#diff;
    // Sliding windows include their end: current Kafka Streams keeps a window open while `end >= close time`.
    if (endMs < this.#closeTimeMs) {
      this.#dropped.record('expired window', this.#timestampMs, { windowStartMs: startMs, windowEndMs: endMs, closeTimeMs: this.#closeTimeMs });
      return;
    }
    const t = this.#timestampMs;
    const oldValue = current === null ? (this.initializer() as VA | null) : current.value;
    const next = this.aggregator(this.#key, this.#value, oldValue as VA);
    const newTimestampMs = current === null ? t : Math.max(t, current.timestampMs);
    this.#store.put(this.#key, { value: next, timestampMs: newTimestampMs }, startMs);
    if (this.emitsOnWindowClose) return;
    this.#context.forward(
      new Record<Windowed<K>, Change<VA>>(
        { key: this.#key, window: timeWindow(startMs, endMs) },
        { newValue: next, oldValue: this.sendOldValues ? oldValue : null },
        newTimestampMs,
        this.#headers,
      ),
    );
  }
}

/**
 * Aggregates records per key in sliding windows (`[start, start + timeDifferenceMs]`, both inclusive) kept in the
 * timestamped window store `storeName`, as Kafka Streams computes them: a record updates the existing windows that
 * contain it, creates its own left window `[t - diff, t]` (seeded with the aggregate of the records before it that
 * are within `diff`), the previous record's right window if this record falls in it, and its own right window
 * `[t + 1, t + 1 + diff]` when later records (out of order) exist; records below `diff` share `[0, diff]`. Each
 * window update is forwarded as `Change(new, old)` (old only with `sendOldValues`), timestamped with the window's
 * largest record timestamp. Updates of windows closed by stream time and grace are dropped (counted), as are records
 * with a null key or value. `initializer` returning `null` marks a reduce (`aggregator` then sees `null` first).
 *
 * With `emitsOnWindowClose` (`EmitStrategy.onWindowClose()`, KIP-825) no update is forwarded; instead, whenever the
 * close time (observed stream time - grace) advances, every window that closed since (`end < close time`, the rule
 * that drops updates) is read from the store and forwarded once with its final aggregate (old value `null`, the
 * window's largest record timestamp, the headers of the record that closed it), ordered by window start then key
 * bytes. After a restart the progress is recomputed from the store (its largest record timestamp), so windows
 * forwarded before are not forwarded again. Kafka throttles these emissions by wall-clock time; here they happen
 * on every advance of the close time.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-AGGREGATE-0000000002', kstreamSlidingWindowAggregate('w', SlidingWindows.ofTimeDifferenceWithNoGrace(10), COUNT.initializer, COUNT.aggregator, false), 'src');
 * ```
 */
export function kstreamSlidingWindowAggregate<K, V, VA>(
  storeName: string,
  windows: SlidingWindows,
  initializer: Initializer<VA | null>,
  aggregator: Aggregator<K, V, VA>,
  sendOldValues: boolean,
  emitsOnWindowClose = false,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new KStreamSlidingWindowAggregateProcessor(storeName, windows, initializer, aggregator, sendOldValues, emitsOnWindowClose);
}
