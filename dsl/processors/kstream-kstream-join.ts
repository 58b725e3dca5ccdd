/**
 * The KSTREAM-JOINTHIS / JOINOTHER (OUTERTHIS / OUTEROTHER) processors of a windowed stream-stream join: each record
 * of one side joins the other side's records within the join window, found in the other side's window store (Kafka
 * Streams' `KStreamKStreamJoin`, with KIP-633's grace and the shared outer-join store that holds left/outer results
 * back until the window closes, so no spurious `null`-joined result is ever emitted for a record that joins later).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { DroppedRecords } from './dropped-records.js';
import type { Record } from '../../src/processor/record.js';
import type { KeyValueStore } from '../../src/state/key-value-store.js';
import type { WindowStore } from '../../src/state/window-store.js';
import type { ValueJoiner } from '../functions.js';
import type { JoinWindows } from '../windows/join-windows.js';
import type { LeftOrRightValue, TimestampedKeyAndJoinSide } from './stream-join-stores.js';

/** Stream time shared by the two sides of one join in one task, and the oldest timestamp the outer store may hold. */
interface TimeTracker {
  streamTimeMs: number;
  /** A lower bound of the outer store's timestamps (`-Infinity`: unknown, e.g. after a restart; scan once). */
  minTimeMs: number;
  users: number;
}

/**
 * One time tracker per task for the two processors of a join (Kafka Streams' `TimeTrackerSupplier`): the sides see
 * each other's stream time, so an expired record of either side is emitted whichever side advances time.
 *
 * @example
 * ```ts
 * const trackers = new JoinTimeTrackers();
 * topology.addProcessor('KSTREAM-JOINTHIS-0000000004', kstreamKStreamJoin({ ..., trackers }), 'KSTREAM-WINDOWED-0000000002');
 * ```
 */
export class JoinTimeTrackers {
  readonly #byTask = new Map<string, TimeTracker>();

  /** The task's tracker (created on first use). */
  acquire(taskId: string): TimeTracker {
    let tracker = this.#byTask.get(taskId);
    if (tracker === undefined) {
      tracker = { streamTimeMs: -1, minTimeMs: Number.NEGATIVE_INFINITY, users: 0 };
      this.#byTask.set(taskId, tracker);
    }
    tracker.users++;
    return tracker;
  }

  /** Drops the task's tracker once both processors closed. */
  release(taskId: string): void {
    const tracker = this.#byTask.get(taskId);
    if (tracker !== undefined && --tracker.users <= 0) this.#byTask.delete(taskId);
  }
}

/**
 * How one side of a stream-stream join processes its records.
 *
 * @example
 * ```ts
 * const settings: StreamJoinSideSettings = { otherStoreName: 'KSTREAM-JOINOTHER-0000000005-store', outerStoreName: null,
 *   windows: JoinWindows.ofTimeDifferenceWithNoGrace(10), isLeftSide: true, isOuter: false, joiner: (a, b) => [a, b], trackers };
 * ```
 */
export interface StreamJoinSideSettings {
  readonly otherStoreName: string;
  /** The shared outer-join store (left and outer joins), or null (inner joins). */
  readonly outerStoreName: string | null;
  readonly windows: JoinWindows;
  /** True for the processor fed by this (the left) stream. */
  readonly isLeftSide: boolean;
  /** True when this side's records without a partner are emitted with `null` (left side of left/outer, right side of outer). */
  readonly isOuter: boolean;
  /** `(thisSideValue, otherSideValue) => result`: the right side gets the user joiner with its arguments swapped. */
  readonly joiner: ValueJoiner<unknown, unknown, unknown>;
  readonly trackers: JoinTimeTrackers;
}

type OuterStore = KeyValueStore<TimestampedKeyAndJoinSide<unknown>, readonly LeftOrRightValue[]>;

class KStreamKStreamJoinProcessor implements Processor<unknown, unknown, unknown, unknown> {
  #context!: ProcessorContext<unknown, unknown>;
  #otherStore!: WindowStore<unknown, unknown>;
  #outerStore: OuterStore | null = null;
  #tracker!: TimeTracker;
  /** How far back / forward this side looks in the other side's store. */
  readonly #beforeMs: number;
  readonly #afterMs: number;
  /** The records dropped: null value, null key in an inner join, or later than the window's grace. */
  readonly #dropped = new DroppedRecords('KSTREAM-JOIN');

  get droppedRecords(): number {
    return this.#dropped.count;
  }

  constructor(private readonly s: StreamJoinSideSettings) {
    this.#beforeMs = s.isLeftSide ? s.windows.beforeMs : s.windows.afterMs;
    this.#afterMs = s.isLeftSide ? s.windows.afterMs : s.windows.beforeMs;
  }

  init(context: ProcessorContext<unknown, unknown>): void {
    this.#context = context;
    this.#dropped.init(context);
    this.#otherStore = context.getStateStore<WindowStore<unknown, unknown>>(this.s.otherStoreName);
    if (this.s.outerStoreName !== null) this.#outerStore = context.getStateStore<OuterStore>(this.s.outerStoreName);
    this.#tracker = this.s.trackers.acquire(context.taskId);
  }

  close(): void {
    this.s.trackers.release(this.#context.taskId);
  }

  process(record: Record<unknown, unknown>): void {
    const { key, value } = record;
    if (value === null || value === undefined) {
      this.#dropped.record('null value', record.timestampMs);
      return;
    }
    const tracker = this.#tracker;
    const timestampMs = record.timestampMs;
    if (timestampMs > tracker.streamTimeMs) tracker.streamTimeMs = timestampMs;
    if (key === null || key === undefined) {
      // KIP-962: an outer side keeps a keyless record as a non-joined result at once (it can never join).
      if (this.s.isOuter) this.#context.forward(record.withValue(this.s.joiner(value, null)));
      else this.#dropped.record('null key', timestampMs);
      return;
    }
    const { graceMs } = this.s.windows;
    if (timestampMs + this.#afterMs + graceMs < tracker.streamTimeMs) {
      // Its window closed more than the grace period ago: too late to join or to be reported as non-joined.
      this.#dropped.record('expired window', timestampMs, { streamTimeMs: tracker.streamTimeMs });
      return;
    }
    const outerStore = this.#outerStore;
    if (outerStore !== null && timestampMs === tracker.streamTimeMs) this.#emitNonJoinedOuterRecords(outerStore, record);

    const timeFromMs = Math.max(0, timestampMs - this.#beforeMs);
    const timeToMs = Math.max(0, timestampMs + this.#afterMs);
    let needsOuterJoin = this.s.isOuter;
    const it = this.#otherStore.fetch(key, timeFromMs, timeToMs);
    try {
      for (const other of it) {
        needsOuterJoin = false;
        // The partner found a match: it must never be emitted as non-joined.
        if (outerStore !== null) outerStore.delete({ timestampMs: other.key, isLeftSide: !this.s.isLeftSide, key });
        this.#context.forward(record.withValue(this.s.joiner(value, other.value)).withTimestamp(Math.max(timestampMs, other.key)));
      }
    } finally {
      it.close();
    }
    if (!needsOuterJoin) return;
    if (outerStore === null || timeToMs < tracker.streamTimeMs) {
      // No later record of the other side can fall in this window any more: the result is final now.
      this.#context.forward(record.withValue(this.s.joiner(value, null)));
      return;
    }
    const outerKey: TimestampedKeyAndJoinSide<unknown> = { timestampMs, isLeftSide: this.s.isLeftSide, key };
    const held = outerStore.get(outerKey);
    const entry: LeftOrRightValue = { isLeftSide: this.s.isLeftSide, value };
    outerStore.put(outerKey, held === null ? [entry] : [...held, entry]);
    if (timestampMs < tracker.minTimeMs) tracker.minTimeMs = timestampMs;
  }

  /** Forwards (with a `null` partner) and deletes every held record whose window closed, oldest first. */
  #emitNonJoinedOuterRecords(store: OuterStore, record: Record<unknown, unknown>): void {
    const tracker = this.#tracker;
    const { windows } = this.s;
    const streamTimeMs = tracker.streamTimeMs;
    // Nothing held can have closed yet: skip the scan (the hot path of a join with few non-joined records).
    if (tracker.minTimeMs + Math.min(windows.afterMs, windows.beforeMs) + windows.graceMs >= streamTimeMs) return;
    const closedKeys: TimestampedKeyAndJoinSide<unknown>[] = [];
    let minOpenMs = Number.POSITIVE_INFINITY;
    let isLeftOpen = false;
    let isRightOpen = false;
    const it = store.all();
    try {
      for (const { key: held, value: values } of it) {
        if (isLeftOpen && isRightOpen) break;
        // A left record's window reaches `afterMs` forward, a right record's `beforeMs` (the window mirrored).
        const isOpen = held.timestampMs + (held.isLeftSide ? windows.afterMs : windows.beforeMs) + windows.graceMs >= streamTimeMs;
        if (isOpen) {
          if (held.isLeftSide) isLeftOpen = true;
          else isRightOpen = true;
          if (held.timestampMs < minOpenMs) minOpenMs = held.timestampMs;
          continue;
        }
        for (const v of values) {
          const joined = v.isLeftSide ? this.#userJoin(v.value, null) : this.#userJoin(null, v.value);
          this.#context.forward(record.withKey(held.key).withValue(joined).withTimestamp(held.timestampMs));
        }
        closedKeys.push(held);
      }
    } finally {
      it.close();
    }
    for (const k of closedKeys) store.delete(k);
    tracker.minTimeMs = minOpenMs;
  }

  /** The user's `joiner(left, right)`, whichever side calls it (this processor's joiner takes its own side first). */
  #userJoin(leftValue: unknown, rightValue: unknown): unknown {
    return this.s.isLeftSide ? this.s.joiner(leftValue, rightValue) : this.s.joiner(rightValue, leftValue);
  }
}

/**
 * One side of a windowed stream-stream join: for a record at `t` with a non-null key and value, forwards
 * `joiner(value, other)` for every record of the other side in `[t - before, t + after]` (mirrored for the other
 * side), timestamped `max(t, otherT)`. On a left/outer side a record without a partner is put in the shared outer
 * store and forwarded as `joiner(value, null)` only once stream time (shared by both sides) passes `t + after +
 * grace`, unless a partner arrives first; a record whose window already closed when it arrives is forwarded so at
 * once. Records later than the grace period are dropped; a null-key record is dropped (inner side) or forwarded
 * non-joined at once (outer side, KIP-962).
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-JOINTHIS-0000000004', kstreamKStreamJoin(settings), 'KSTREAM-WINDOWED-0000000002');
 * ```
 */
export function kstreamKStreamJoin(settings: StreamJoinSideSettings): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return () => new KStreamKStreamJoinProcessor(settings);
}
