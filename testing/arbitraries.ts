/**
 * fast-check arbitraries for testing topologies: timestamped keyed records and streams of them with controlled
 * disorder and lateness, partitionings, commit schedules, crash points and instance changes.
 */
import fc from 'fast-check';
import type { RunEvent } from './run-options.js';
import type { CommitSchedule, Partitioning, TestRecord } from './test-records.js';

/** An arbitrary, or a list of constants to pick from. */
type Source<T> = fc.Arbitrary<T> | readonly T[];

function arb<T>(source: Source<T>): fc.Arbitrary<T> {
  if (source instanceof fc.Arbitrary) return source;
  if (source.length === 0) throw new RangeError('a list of constants to pick from needs at least one element');
  return fc.constantFrom(...source);
}

/**
 * Options of {@link arbRecord}.
 *
 * @example
 * ```ts
 * const options: RecordOptions<string, number> = { key: ['a', 'b'], value: fc.integer(), timestamp: fc.nat(1_000) };
 * ```
 */
export interface RecordOptions<K, V> {
  readonly key: Source<K | null>;
  readonly value: Source<V | null>;
  /** Event times (default: 0 .. 1 000 000 ms). */
  readonly timestamp?: fc.Arbitrary<number>;
}

/**
 * One record with a key, a value and an event time, each drawn independently.
 *
 * @example
 * ```ts
 * fc.sample(arbRecord({ key: ['a', 'b', null], value: fc.string() }), 1);
 * // [{ key: 'b', value: 'x', timestampMs: 48_211 }]
 * ```
 */
export function arbRecord<K, V>(options: RecordOptions<K, V>): fc.Arbitrary<TestRecord<K, V>> {
  return fc.record({ key: arb(options.key), value: arb(options.value), timestampMs: options.timestamp ?? fc.nat(1_000_000) });
}

/**
 * Options of {@link arbStream}.
 *
 * @example
 * ```ts
 * const options: StreamOptions<string, string> = { keys: ['a', 'b'], values: ['x', 'y'], maxLength: 30, lateMs: 5_000 };
 * ```
 */
export interface StreamOptions<K, V> {
  /** Keys to draw from (include `null` for keyless records). */
  readonly keys: Source<K | null>;
  readonly values: Source<V>;
  readonly minLength?: number;
  /** At most this many records (default 20). */
  readonly maxLength?: number;
  /** Event time of the first record (default 0). */
  readonly startMs?: number;
  /** An in-order record is at most this far after the previous stream time (default 1 000 ms). */
  readonly maxStepMs?: number;
  /** Some records are behind stream time (the largest event time so far) by 0 .. outOfOrderMs (default 0: none). */
  readonly outOfOrderMs?: number;
  /** Some records are later still: outOfOrderMs + 1 .. outOfOrderMs + lateMs behind stream time (default 0: none). */
  readonly lateMs?: number;
  /** Share of records whose value is null (tombstones), 0 .. 1 (default 0). */
  readonly tombstones?: number;
}

type Kind = 'in-order' | 'out-of-order' | 'late';

/**
 * A stream of records in append order whose event times mostly rise: each record is in order (up to `maxStepMs`
 * after stream time), out of order (up to `outOfOrderMs` behind stream time) or late (a further `lateMs` behind),
 * never below 0. Shrinks towards fewer records, in-order times, smaller steps, earlier keys and values.
 *
 * @example
 * ```ts
 * const clicks = arbStream({ keys: ['/', '/docs'], values: fc.nat(20), maxLength: 40, outOfOrderMs: 2_000, lateMs: 60_000 });
 * ```
 */
export function arbStream<K, V>(options: StreamOptions<K, V>): fc.Arbitrary<TestRecord<K, V>[]> {
  const outOfOrderMs = options.outOfOrderMs ?? 0;
  const lateMs = options.lateMs ?? 0;
  const maxStepMs = options.maxStepMs ?? 1_000;
  const tombstonePercent = Math.round((options.tombstones ?? 0) * 100);
  if (![outOfOrderMs, lateMs, maxStepMs].every((n) => Number.isSafeInteger(n) && n >= 0)) throw new RangeError('maxStepMs, outOfOrderMs and lateMs must be integers >= 0');
  if (tombstonePercent < 0 || tombstonePercent > 100) throw new RangeError('tombstones is a share between 0 and 1');
  const kinds: Kind[] = ['in-order'];
  if (outOfOrderMs > 0) kinds.push('out-of-order');
  if (lateMs > 0) kinds.push('late');
  const step = fc.record({
    key: arb(options.keys),
    value: arb(options.values),
    // Shrinks to 100 (never a tombstone).
    tombstoneRoll: tombstonePercent === 0 ? fc.constant(100) : fc.integer({ min: 0, max: 99 }).map((n) => 99 - n),
    // In-order records are the common case; constantFrom shrinks to the first.
    kind: fc.oneof({ weight: 6, arbitrary: fc.constant<Kind>('in-order') }, { weight: kinds.length > 1 ? 2 : 0, arbitrary: fc.constantFrom(...kinds) }),
    stepMs: fc.nat(maxStepMs),
    behindMs: fc.nat(Math.max(outOfOrderMs, lateMs)),
  });
  const length = { minLength: options.minLength ?? 0, maxLength: options.maxLength ?? 20 };
  const startMs = options.startMs ?? 0;
  return fc.array(step, length).map((steps) => {
    let streamTimeMs = -1;
    return steps.map((s, i): TestRecord<K, V> => {
      let t: number;
      if (s.kind === 'in-order' || streamTimeMs < 0) t = i === 0 ? startMs + s.stepMs : streamTimeMs + s.stepMs;
      else if (s.kind === 'out-of-order') t = streamTimeMs - (s.behindMs % (outOfOrderMs + 1));
      else t = streamTimeMs - outOfOrderMs - 1 - (s.behindMs % lateMs);
      t = Math.max(0, t);
      if (t > streamTimeMs) streamTimeMs = t;
      return { key: s.key, value: s.tombstoneRoll < tombstonePercent ? null : s.value, timestampMs: t };
    });
  });
}

/**
 * Partitionings of the input topics: 1 .. `maxPartitions` partitions and, with `spread` (default true), a
 * key -> partition mapping other than Kafka's default partitioner half of the time.
 *
 * Keep `spread: false` for topologies that join an input topic with a stream repartitioned by the runtime (which
 * uses Kafka's partitioner): another mapping of the input would not be co-partitioned with it, in Kafka too.
 *
 * @example
 * ```ts
 * fc.sample(arbPartitioning({ maxPartitions: 4 }), 2); // [{ partitions: 3, salt: null }, { partitions: 2, salt: -81 }]
 * ```
 */
export function arbPartitioning(options: { readonly minPartitions?: number; readonly maxPartitions?: number; readonly spread?: boolean } = {}): fc.Arbitrary<Partitioning> {
  const partitions = fc.integer({ min: options.minPartitions ?? 1, max: options.maxPartitions ?? 4 });
  const salt = options.spread === false ? fc.constant(null) : fc.option(fc.integer(), { nil: null, freq: 2 });
  return fc.record({ partitions, salt });
}

/**
 * Commit schedules: batch sizes (a cycle of 1 .. `maxBatch`), max poll records, commit intervals (broker runs) and
 * cache sizes (off, tiny so it evicts, or the default).
 *
 * @example
 * ```ts
 * fc.sample(arbCommitSchedule(), 1); // [{ batchSizes: [3, 1], maxPollRecords: 7, commitIntervalMs: 40, cacheMaxBytes: 0 }]
 * ```
 */
export function arbCommitSchedule(options: { readonly maxBatch?: number; readonly maxCommitIntervalMs?: number } = {}): fc.Arbitrary<CommitSchedule> {
  return fc
    .record({
      batchSizes: fc.array(fc.integer({ min: 1, max: options.maxBatch ?? 8 }), { minLength: 1, maxLength: 4 }),
      maxPollRecords: fc.integer({ min: 1, max: 50 }),
      commitIntervalMs: fc.nat(options.maxCommitIntervalMs ?? 50),
      cacheMaxBytes: fc.constantFrom<number | undefined>(undefined, 0, 512),
    })
    .map(({ cacheMaxBytes, ...rest }) => (cacheMaxBytes === undefined ? rest : { ...rest, cacheMaxBytes }));
}

/**
 * Points in the input where the application is closed and reopened (or, with exactly-once, crashed): 1 ..
 * `maxPoints` indices, each taken modulo the input length + 1 by the runner (0 is before the first record).
 *
 * @example
 * ```ts
 * await runTopology(factory, inputs, { mode: 'broker', restartAt: fc.sample(arbCrashPoints(), 1)[0]!, outputs });
 * ```
 */
export function arbCrashPoints(options: { readonly maxPoints?: number } = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.nat(1_000), { minLength: 1, maxLength: options.maxPoints ?? 3 });
}

/**
 * Instance changes for rebalancing runs: 1 .. `maxChanges` points where an instance joins or leaves (the runner
 * never removes the last one). Points are taken modulo the input length + 1.
 *
 * @example
 * ```ts
 * fc.sample(arbInstanceChanges(), 1); // [[{ atRecord: 12, kind: 'addInstance' }]]
 * ```
 */
export function arbInstanceChanges(options: { readonly maxChanges?: number } = {}): fc.Arbitrary<RunEvent[]> {
  const change = fc.record({ atRecord: fc.nat(1_000), kind: fc.constantFrom<RunEvent['kind']>('addInstance', 'removeInstance') });
  return fc.array(change, { minLength: 1, maxLength: options.maxChanges ?? 3 });
}
