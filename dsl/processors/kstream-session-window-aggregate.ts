/**
 * `SessionWindowedKStream.aggregate` / `count` / `reduce`: sessionizes records per key in a session store, merging
 * the sessions a record bridges, and forwards every change or, with `EmitStrategy.onWindowClose()`, each session's
 * final aggregate once (Kafka Streams' `KStreamSessionWindowAggregate`, emit-on-close since 3.3).
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
import { DroppedRecords } from './dropped-records.js';
import type { DroppedRecordsMetric } from './kstream-window-aggregate.js';

interface Session<K, VA> {
  readonly key: Windowed<K>;
  readonly value: VA;
}

class KStreamSessionWindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>>, DroppedRecordsMetric {
  #store!: SessionStore<K, VA>;
  #context!: ProcessorContext<Windowed<K>, Change<VA>>;
  #observedStreamTimeMs = -1;
  readonly #dropped = new DroppedRecords('KSTREAM-AGGREGATE');
  /** On-window-close only: every session ending at or before this was forwarded (-1: none yet). */
  #emittedThroughEndMs = -1;

  constructor(
    private readonly storeName: string,
    private readonly windows: SessionWindows,
    private readonly initializer: Initializer<VA>,
    private readonly aggregator: Aggregator<K, V, VA>,
    private readonly merger: Merger<K, VA>,
    private readonly sendOldValues: boolean,
    private readonly emitsOnWindowClose: boolean,
    private readonly retentionMs: number,
  ) {}

  get droppedRecords(): number {
    return this.#dropped.count;
  }

  init(context: ProcessorContext<Windowed<K>, Change<VA>>): void {
    this.#context = context;
    this.#dropped.init(context);
    this.#store = context.getStateStore<SessionStore<K, VA>>(this.storeName);
    if (this.emitsOnWindowClose) this.#recoverEmitProgress();
    // After a restart: the task's stream time restored from the committed partition times, so a window closed
    // before the restart stays closed (a late record cannot produce a second, wrong final result).
    const restored = context.currentStreamTimeMs();
    if (restored > this.#observedStreamTimeMs) this.#observedStreamTimeMs = restored;
  }

  /**
   * After a restart, the sessions closed when the store was last written were already forwarded. Kafka Streams keeps
   * that progress in commit metadata; here it is recomputed from the store: a record that advances stream time always
   * ends its own session, so the largest session end is the stream time.
   */
  #recoverEmitProgress(): void {
    let maxEndMs = -1;
    const it = this.#store.fetch(null, null);
    try {
      for (const { key } of it) if (key.window.endMs > maxEndMs) maxEndMs = key.window.endMs;
    } finally {
      it.close();
    }
    if (maxEndMs < 0) return;
    this.#observedStreamTimeMs = maxEndMs;
    this.#emittedThroughEndMs = this.#emitThroughEndMs();
  }

  /**
   * The largest session end that is final at the current stream time: Kafka's rule, `end < stream time - grace -
   * gap` (the rule that drops records), or, if later, the store's expiry (`end <= stream time - retention`): the
   * store no longer returns such a session, so no record can merge with it any more. With the default retention
   * (gap + grace) that is one ms before Kafka's close (when suppress(untilWindowCloses) emits it too): the store
   * expires sessions exactly, so under Kafka's rule alone such a session would never be forwarded.
   */
  #emitThroughEndMs(): number {
    const { inactivityGapMs, graceMs } = this.windows;
    return Math.max(this.#observedStreamTimeMs - graceMs - inactivityGapMs - 1, this.#observedStreamTimeMs - this.retentionMs);
  }

  /**
   * Forwards, once, each session that became final since the last call, ordered by end, then start, then key bytes
   * (Kafka's time-ordered session store). Called before the record's writes, which never touch a final session
   * (the record would be dropped) but may expire old ones from the store.
   */
  #forwardClosedSessions(headers: Headers): void {
    const throughEndMs = this.#emitThroughEndMs();
    if (throughEndMs <= this.#emittedThroughEndMs) return;
    const fromEndMs = this.#emittedThroughEndMs + 1;
    this.#emittedThroughEndMs = throughEndMs;
    if (throughEndMs < 0) return;
    const closed: Session<K, VA>[] = [];
    // Sessions with end >= from and start <= through; those ending later are still open.
    const it = this.#store.findSessions(null, null, fromEndMs, throughEndMs);
    try {
      for (const session of it) if (session.key.window.endMs <= throughEndMs) closed.push(session);
    } finally {
      it.close();
    }
    // The store iterates by end segment, then key: a stable sort by (end, start) gives (end, start, key).
    if (closed.length > 1) closed.sort((a, b) => a.key.window.endMs - b.key.window.endMs || a.key.window.startMs - b.key.window.startMs);
    for (const { key, value } of closed) {
      this.#context.forward(new Record<Windowed<K>, Change<VA>>(key, { newValue: value, oldValue: null }, key.window.endMs, headers));
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
    if (this.emitsOnWindowClose) this.#forwardClosedSessions(record.headers);
    const { inactivityGapMs, graceMs } = this.windows;
    // Current Kafka Streams (3.3+): a session closes `gap + grace` after its end, since a record up to `gap` later
    // could still extend it.
    const closeTimeMs = this.#observedStreamTimeMs - graceMs - inactivityGapMs;
    let startMs = timestampMs;
    let endMs = timestampMs;
    let aggregate = this.initializer();
    let merged: Session<K, VA>[] | null = null;
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
    // On window close, a session already final (forwarded, or no longer returned by the store) cannot change either.
    if (endMs < closeTimeMs || (this.emitsOnWindowClose && endMs <= this.#emittedThroughEndMs)) {
      this.#dropped.record('expired window', timestampMs, { windowStartMs: startMs, windowEndMs: endMs, closeTimeMs });
      return;
    }
    if (merged !== null && (startMs !== timestampMs || endMs !== timestampMs)) {
      for (const session of merged) {
        this.#store.remove(session.key);
        if (!this.emitsOnWindowClose) this.#forward(session.key, null, session.value, record.headers);
      }
    }
    aggregate = this.aggregator(key, record.value, aggregate);
    const sessionKey: Windowed<K> = { key, window: sessionWindow(startMs, endMs) };
    this.#store.put(sessionKey, aggregate);
    if (!this.emitsOnWindowClose) this.#forward(sessionKey, aggregate, null, record.headers);
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
 * With `emitsOnWindowClose` (`EmitStrategy.onWindowClose()`) neither updates nor tombstones are forwarded; instead,
 * whenever stream time advances, every session that became final since is read from the store and forwarded once
 * (old value `null`, timestamped with its end, with the headers of the record that closed it), ordered by end, start,
 * key bytes. A session is final once `end < streamTime - gap - grace` (Kafka's rule) or once the store of retention
 * `retentionMs` (default `gap + grace`, the DSL's minimum; pass the store's real retention) stops returning it
 * (`end <= streamTime - retentionMs`), whichever comes first; a record whose session would end there is dropped
 * (counted). Merged-away sessions are never forwarded. As in Kafka,
 * a record later than a final session's close but within `gap` of its end may still merge it into a new, open
 * session (while the store returns it); both are then forwarded, each once. After a restart the progress is
 * recomputed from the store (its largest session end), so sessions forwarded before are not forwarded again.
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
  emitsOnWindowClose = false,
  retentionMs = windows.inactivityGapMs + windows.graceMs,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new KStreamSessionWindowAggregateProcessor(storeName, windows, initializer, aggregator, merger, sendOldValues, emitsOnWindowClose, retentionMs);
}
