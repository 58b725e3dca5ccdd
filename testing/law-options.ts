/**
 * The options every law takes, and the error a broken law throws.
 */
import type fc from 'fast-check';
import type { Logger } from 'pino';
import type { OutputView } from './compare-runs.js';
import type { CommitSchedule, Partitioning, StoreSpec, TestRecord, TopicSerdes, TopologyOutputs } from './test-records.js';
import type { RunEvent, RunOptions } from './run-options.js';

/**
 * One input topic of a law: its serdes and an arbitrary of its records (for instance {@link arbStream}).
 *
 * @example
 * ```ts
 * const lines: ArbitraryInputTopic<string, string> = { keySerde: Serdes.String(), valueSerde: Serdes.String(), records: arbStream({ keys: [null], values: ['a b', 'b'] }) };
 * ```
 */
export interface ArbitraryInputTopic<K, V> extends TopicSerdes<K, V> {
  readonly records: fc.Arbitrary<readonly TestRecord<K, V>[]>;
}

/**
 * The input topics of a law, by name.
 *
 * @example
 * ```ts
 * const inputs: ArbitraryInputs = { 'text-lines': { keySerde: Serdes.String(), valueSerde: Serdes.String(), records: arbStream(...) } };
 * ```
 */
export type ArbitraryInputs = { readonly [topic: string]: ArbitraryInputTopic<unknown, unknown> };

/**
 * Options every law takes: what to feed, what to read back, where to run, how hard to search.
 *
 * @example
 * ```ts
 * const options: LawOptions = { inputs, outputs: { 'word-counts': { keySerde: Serdes.String(), valueSerde: Serdes.Number() } }, stores: ['counts'], numRuns: 20 };
 * ```
 */
export interface LawOptions {
  readonly inputs: ArbitraryInputs;
  readonly outputs: TopologyOutputs;
  /** Stores whose final contents must agree too (compared as tables). */
  readonly stores?: readonly StoreSpec[];
  /** Where runs happen; each law has its default (restart and rebalance laws always use the broker). */
  readonly mode?: 'driver' | 'broker';
  /** Partitionings of the input topics to draw from (each law has its default; partitionIndependence varies it). */
  readonly partitioning?: fc.Arbitrary<Partitioning>;
  /** How output topics are compared; each law has its default ('table' for the equivalence laws). */
  readonly view?: OutputView;
  /** More application config, as in {@link RunOptions}. */
  readonly config?: RunOptions['config'];
  /** Runs to try (defaults are small; see propertyRuns and TRIBUTARY_PROPERTY_RUNS). */
  readonly numRuns?: number;
  /** Replays a failure: the seed and path fast-check printed. */
  readonly seed?: number;
  readonly path?: string;
  /** Stop at the first failure without shrinking (for slow broker runs). */
  readonly endOnFailure?: boolean;
  readonly logger?: Logger;
}

/**
 * Options of the batch-independence law.
 *
 * @example
 * ```ts
 * const options: BatchLawOptions = { ...base, commitSchedule: arbCommitSchedule({ maxBatch: 4 }) };
 * ```
 */
export interface BatchLawOptions extends LawOptions {
  /** Schedules to compare with record-at-a-time processing (default {@link arbCommitSchedule}). */
  readonly commitSchedule?: fc.Arbitrary<CommitSchedule>;
}

/**
 * Options of the restart-equivalence law.
 *
 * `guarantee` selects the processing guarantee. Only `'at_least_once'` exists today, under which a restart is a
 * clean close and reopen; when the runtime offers `'exactly_once_v2'` this option will select it and restarts will
 * become crashes at the same points, the committed output compared with an uninterrupted run's.
 *
 * @example
 * ```ts
 * const options: RestartLawOptions = { ...base, crashPoints: arbCrashPoints({ maxPoints: 2 }), instances: 2 };
 * ```
 */
export interface RestartLawOptions extends LawOptions {
  readonly crashPoints?: fc.Arbitrary<readonly number[]>;
  /** Application instances (default 1). */
  readonly instances?: number;
  readonly guarantee?: 'at_least_once';
}

/**
 * Options of the rebalance-equivalence law.
 *
 * @example
 * ```ts
 * const options: RebalanceLawOptions = { ...base, instances: 2, changes: arbInstanceChanges({ maxChanges: 2 }) };
 * ```
 */
export interface RebalanceLawOptions extends LawOptions {
  readonly changes?: fc.Arbitrary<readonly RunEvent[]>;
  /** Instances at the start (default 1). */
  readonly instances?: number;
}

/**
 * A record a model expects in an output topic (compared by key and value).
 *
 * @example
 * ```ts
 * const r: ModelRecord = { key: 'a', value: 1 };
 * ```
 */
export interface ModelRecord {
  readonly key: unknown;
  readonly value: unknown;
}

/**
 * What a model says a topology produces: per output topic either a Map (the final table: last value per key) or a
 * list of records (every record, compared as a multiset, or in order with `ordered`); per store its final contents.
 *
 * @example
 * ```ts
 * const expected: ModelResult = { outputs: { 'word-counts': new Map([['a', 2]]) }, stores: { counts: new Map([['a', 2]]) } };
 * ```
 */
export interface ModelResult {
  readonly outputs?: { readonly [topic: string]: ReadonlyMap<unknown, unknown> | readonly ModelRecord[] };
  readonly stores?: { readonly [store: string]: ReadonlyMap<unknown, unknown> };
}

/**
 * Options of the model law.
 *
 * @example
 * ```ts
 * const options: ModelLawOptions = { ...base, ordered: true };
 * ```
 */
export interface ModelLawOptions extends LawOptions {
  /** Compare record lists in order (within the whole topic; use one partition) instead of as multisets. */
  readonly ordered?: boolean;
}

/**
 * Thrown by a law that does not hold: the message has fast-check's report (seed, path, the shrunk counterexample,
 * the differences found) and the topology's `describe()` text.
 *
 * @example
 * ```ts
 * try { await laws.determinism(factory, options); } catch (e) { if (e instanceof LawViolation) log.error(e.counterexample); }
 * ```
 */
export class LawViolation extends Error {
  constructor(
    message: string,
    readonly law: string,
    readonly counterexample: unknown,
    readonly seed: number,
    readonly path: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LawViolation';
  }
}
