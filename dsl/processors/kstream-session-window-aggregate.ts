/**
 * `SessionWindowedKStream.aggregate` / `count` / `reduce`: sessionizes records per key in a session store, merging
 * the sessions a record bridges (Kafka Streams' `KStreamSessionWindowAggregate`).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import type { Headers } from '../../src/record.js';
import type { SessionStore } from '../../src/state/session-store.js';
import { sessionWindow } from '../../src/state/windowed.js';
import type { Windowed } from '../../src/state/windowed.js';
import type { Change } from '../change.js';
import type { Aggregator, Initializer, Merger } from '../functions.js';
import type { SessionWindows } from '../windows/session-windows.js';
import type { DroppedRecordsMetric } from './kstream-window-aggregate.js';

class KStreamSessionWindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>>, DroppedRecordsMetric {
  #store!: SessionStore<K, VA>;
  #context!: ProcessorContext<Windowed<K>, Change<VA>>;
  #observedStreamTimeMs = -1;
  droppedRecords = 0;

  constructor(
    private readonly storeName: string,
    private readonly windows: SessionWindows,
    private readonly initializer: Initializer<VA>,
    private readonly aggregator: Aggregator<K, V, VA>,
    private readonly merger: Merger<K, VA>,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<Windowed<K>, Change<VA>>): void {
    this.#context = context;
    this.#store = context.getStateStore<SessionStore<K, VA>>(this.storeName);
  }

  process(record: Record<K, V>): void {
    const key = record.key;
    if (key === null || key === undefined || record.value === null || record.value === undefined) {
      this.droppedRecords++;
      return;
    }
    const timestampMs = record.timestampMs;
    if (timestampMs > this.#observedStreamTimeMs) this.#observedStreamTimeMs = timestampMs;
    const { inactivityGapMs, graceMs } = this.windows;
    // Current Kafka Streams (3.3+): a session closes `gap + grace` after its end, since a record up to `gap` later
    // could still extend it.
    const closeTimeMs = this.#observedStreamTimeMs - graceMs - inactivityGapMs;
    let startMs = timestampMs;
    let endMs = timestampMs;
    let aggregate = this.initializer();
    let merged: { key: Windowed<K>; value: VA }[] | null = null;
    const it = this.#store.findSessions(key, timestampMs - inactivityGapMs, timestampMs + inactivityGapMs);
    try {
      for (const session of it) {
        (merged ??= []).push(session);
        aggregate = this.merger(key, aggregate, session.value);
        if (session.key.window.startMs < startMs) startMs = session.key.window.startMs;
        if (session.key.window.endMs > endMs) endMs = session.key.window.endMs;
      }
    } finally {
      it.close();
    }
    if (endMs < closeTimeMs) {
      this.droppedRecords++;
      return;
    }
    if (merged !== null && (startMs !== timestampMs || endMs !== timestampMs)) {
      for (const session of merged) {
        this.#store.remove(session.key);
        this.#forward(session.key, null, session.value, record.headers);
      }
    }
    aggregate = this.aggregator(key, record.value, aggregate);
    const sessionKey: Windowed<K> = { key, window: sessionWindow(startMs, endMs) };
    this.#store.put(sessionKey, aggregate);
    this.#forward(sessionKey, aggregate, null, record.headers);
  }

  /** Forwards with the session end as timestamp, as Kafka Streams does. */
  #forward(sessionKey: Windowed<K>, newValue: VA | null, oldValue: VA | null, headers: Headers): void {
    const change: Change<VA> = { newValue, oldValue: this.sendOldValues ? oldValue : null };
    this.#context.forward(new Record(sessionKey, change, sessionKey.window.endMs, headers));
  }
}

/**
 * Aggregates records per key into sessions in the session store `storeName`. A record at t finds the key's sessions
 * within the inactivity gap (`findSessions(key, t - gap, t + gap)`), merges their aggregates into `initializer()`
 * with `merger`, and the merged window with `[t, t]`; if the merged session ends before `streamTime - gap - grace`,
 * the record is dropped (counted). Otherwise the absorbed sessions are removed and forwarded as tombstones
 * (`Change(null, old)`, old only with `sendOldValues`), the record is folded in with `aggregator`, and the new
 * session is stored and forwarded. Every output is timestamped with its session's end. Records with a null key or
 * value are dropped (counted).
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-AGGREGATE-0000000002', kstreamSessionWindowAggregate('sessions', SessionWindows.ofInactivityGapWithNoGrace(5_000), () => 0, (_k, _v, n) => n + 1, (_k, a, b) => a + b, false), 'src');
 * ```
 */
export function kstreamSessionWindowAggregate<K, V, VA>(
  storeName: string,
  windows: SessionWindows,
  initializer: Initializer<VA>,
  aggregator: Aggregator<K, V, VA>,
  merger: Merger<K, VA>,
  sendOldValues: boolean,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new KStreamSessionWindowAggregateProcessor(storeName, windows, initializer, aggregator, merger, sendOldValues);
}
