/**
 * Laws every topology should obey, as fast-check properties ({@link lawProperties}) and as one-line assertions
 * ({@link laws}) that throw a {@link LawViolation} with the shrunk counterexample and the topology's describe().
 */
import fc from 'fast-check';
import { StreamsError } from '../src/errors.js';
import { arbCommitSchedule, arbCrashPoints, arbInstanceChanges, arbPartitioning } from './arbitraries.js';
import { finalTable, outputDifferences, runDifferences, storeTable, tableDifferences, type OutputView } from './compare-runs.js';
import {
  LawViolation,
  type ArbitraryInputs,
  type BatchLawOptions,
  type LawOptions,
  type ModelLawOptions,
  type ModelResult,
  type RebalanceLawOptions,
  type RestartLawOptions,
} from './law-options.js';
import { propertyRuns } from './property-runs.js';
import type { RunEvent, RunOptions, TopologyFactory } from './run-options.js';
import { fedRecords, runTopology } from './run-topology.js';
import { SINGLE_PARTITION, type CommitSchedule, type FedRecord, type OutputRecord, type Partitioning, type TestRecord, type TopologyInputs } from './test-records.js';

/** Records per input topic, as the properties draw them (serdes are added from the options). */
type DrawnRecords = { readonly [topic: string]: readonly TestRecord<unknown, unknown>[] };

/**
 * A model of a topology: a pure function of the fed records (in feed order, each with its topic and partition).
 *
 * @example
 * ```ts
 * const model: TopologyModel = (fed) => ({ outputs: { out: new Map(fed.map((r) => [r.key, r.value])) } });
 * ```
 */
export type TopologyModel = (fed: readonly FedRecord[]) => ModelResult;

function arbInputs(inputs: ArbitraryInputs): fc.Arbitrary<DrawnRecords> {
  const topics = Object.keys(inputs);
  if (topics.length === 0) throw new StreamsError('INVALID_CONFIG', 'a law needs at least one input topic');
  return fc.record(Object.fromEntries(topics.map((t) => [t, inputs[t]!.records])) as { [topic: string]: fc.Arbitrary<readonly TestRecord<unknown, unknown>[]> });
}

function withSerdes(inputs: ArbitraryInputs, drawn: DrawnRecords): TopologyInputs {
  const out: { [topic: string]: TopologyInputs[string] } = {};
  for (const [t, spec] of Object.entries(inputs)) out[t] = { keySerde: spec.keySerde, valueSerde: spec.valueSerde, records: drawn[t] ?? [] };
  return out;
}

function runOptions(options: LawOptions, mode: 'driver' | 'broker', partitioning: Partitioning): RunOptions {
  return {
    outputs: options.outputs,
    mode,
    partitioning,
    ...(options.stores === undefined ? {} : { stores: options.stores }),
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
}

/** Throws the differences found, with the topology's describe() so the failure shows what ran. */
function fail(law: string, factory: TopologyFactory, what: string, differences: readonly string[]): never {
  let describe: string;
  try {
    describe = factory().describe().toString();
  } catch (e: unknown) {
    describe = `(describe() failed: ${e instanceof Error ? e.message : String(e)})`;
  }
  const e = new Error(`${law}: ${what}\n${differences.map((d) => `  - ${d}`).join('\n')}\nTopology:\n${describe}`);
  // fast-check prints the stack in its report; this one would only point into the kit.
  e.stack = `Error: ${e.message}`;
  throw e;
}

function check(law: string, factory: TopologyFactory, what: string, differences: readonly string[]): void {
  if (differences.length > 0) fail(law, factory, what, differences);
}

function brokerOnly(law: string, options: LawOptions): void {
  if (options.mode === 'driver') throw new StreamsError('INVALID_CONFIG', `${law} runs over the broker: the TopologyTestDriver cannot close and reopen an application on the same state`);
}

function determinism(factory: TopologyFactory, options: LawOptions): fc.IAsyncPropertyWithHooks<[DrawnRecords, Partitioning]> {
  const mode = options.mode ?? 'driver';
  return fc.asyncProperty(arbInputs(options.inputs), options.partitioning ?? arbPartitioning(), async (drawn, partitioning) => {
    const inputs = withSerdes(options.inputs, drawn);
    const first = await runTopology(factory, inputs, runOptions(options, mode, partitioning));
    const second = await runTopology(factory, inputs, runOptions(options, mode, partitioning));
    check('determinism', factory, 'two runs of the same input differ', runDifferences(first, second, options.view ?? 'sequence'));
  });
}

function partitionIndependence(factory: TopologyFactory, options: LawOptions): fc.IAsyncPropertyWithHooks<[DrawnRecords, Partitioning]> {
  const mode = options.mode ?? 'driver';
  return fc.asyncProperty(arbInputs(options.inputs), options.partitioning ?? arbPartitioning({ minPartitions: 2 }), async (drawn, partitioning) => {
    const inputs = withSerdes(options.inputs, drawn);
    const single = await runTopology(factory, inputs, runOptions(options, mode, SINGLE_PARTITION));
    const spread = await runTopology(factory, inputs, runOptions(options, mode, partitioning));
    check(
      'partitionIndependence',
      factory,
      `one partition and ${partitioning.partitions} partition(s) (${partitioning.salt === null ? "Kafka's partitioner" : `key spread ${partitioning.salt}`}) end differently`,
      runDifferences(single, spread, options.view ?? 'table'),
    );
  });
}

function batchIndependence(factory: TopologyFactory, options: BatchLawOptions): fc.IAsyncPropertyWithHooks<[DrawnRecords, Partitioning, CommitSchedule]> {
  const mode = options.mode ?? 'driver';
  const partitioning = options.partitioning ?? fc.constant(SINGLE_PARTITION);
  return fc.asyncProperty(arbInputs(options.inputs), partitioning, options.commitSchedule ?? arbCommitSchedule(), async (drawn, p, schedule) => {
    const inputs = withSerdes(options.inputs, drawn);
    const oneByOne = await runTopology(factory, inputs, runOptions(options, mode, p));
    const batched = await runTopology(factory, inputs, { ...runOptions(options, mode, p), commitSchedule: schedule });
    check('batchIndependence', factory, 'record-at-a-time and batched processing end differently', runDifferences(oneByOne, batched, options.view ?? 'table'));
  });
}

function restartEquivalence(factory: TopologyFactory, options: RestartLawOptions): fc.IAsyncPropertyWithHooks<[DrawnRecords, Partitioning, readonly number[]]> {
  brokerOnly('restartEquivalence', options);
  const partitioning = options.partitioning ?? arbPartitioning({ maxPartitions: 3, spread: false });
  return fc.asyncProperty(arbInputs(options.inputs), partitioning, options.crashPoints ?? arbCrashPoints(), async (drawn, p, points) => {
    const inputs = withSerdes(options.inputs, drawn);
    const base: RunOptions = {
      ...runOptions(options, 'broker', p),
      instances: options.instances ?? 1,
      ...(options.guarantee === undefined ? {} : { guarantee: options.guarantee }),
    };
    const uninterrupted = await runTopology(factory, inputs, base);
    const restarted = await runTopology(factory, inputs, { ...base, restartAt: points });
    check('restartEquivalence', factory, 'a run closed and reopened ends differently from an uninterrupted one', runDifferences(uninterrupted, restarted, options.view ?? 'table'));
  });
}

function rebalanceEquivalence(factory: TopologyFactory, options: RebalanceLawOptions): fc.IAsyncPropertyWithHooks<[DrawnRecords, Partitioning, readonly RunEvent[]]> {
  brokerOnly('rebalanceEquivalence', options);
  const partitioning = options.partitioning ?? arbPartitioning({ minPartitions: 2, maxPartitions: 4, spread: false });
  return fc.asyncProperty(arbInputs(options.inputs), partitioning, options.changes ?? arbInstanceChanges(), async (drawn, p, changes) => {
    const inputs = withSerdes(options.inputs, drawn);
    const base: RunOptions = { ...runOptions(options, 'broker', p), instances: options.instances ?? 1 };
    const steady = await runTopology(factory, inputs, base);
    const rebalanced = await runTopology(factory, inputs, { ...base, events: changes });
    check('rebalanceEquivalence', factory, 'adding or removing instances mid-way changes the final results', runDifferences(steady, rebalanced, options.view ?? 'table'));
  });
}

function modelDifferences(expected: ModelResult, outputs: ReadonlyMap<string, readonly OutputRecord[]>, stores: ReadonlyMap<string, ReadonlyMap<unknown, unknown>>, ordered: boolean): string[] {
  const out: string[] = [];
  for (const [topic, want] of Object.entries(expected.outputs ?? {})) {
    const got = outputs.get(topic);
    if (got === undefined) {
      out.push(`output topic '${topic}' is not read by the run: add it to the law's outputs`);
      continue;
    }
    const label = `output topic '${topic}'`;
    if (want instanceof Map) out.push(...tableDifferences(label, storeTable(want), finalTable(got)));
    else {
      const records = (want as readonly { key: unknown; value: unknown }[]).map((r): OutputRecord => ({ key: r.key, value: r.value, timestampMs: 0, partition: 0 }));
      const actual = got.map((r): OutputRecord => ({ key: r.key, value: r.value, timestampMs: 0, partition: 0 }));
      const view: OutputView = ordered ? 'sequence' : 'multiset';
      out.push(...outputDifferences(label, records, actual, view));
    }
  }
  for (const [name, want] of Object.entries(expected.stores ?? {})) {
    const got = stores.get(name);
    if (got === undefined) out.push(`store '${name}' is not read by the run: add it to the law's stores`);
    else out.push(...tableDifferences(`store '${name}'`, storeTable(want), storeTable(got)));
  }
  return out;
}

function matchesModel(factory: TopologyFactory, model: TopologyModel, options: ModelLawOptions): fc.IAsyncPropertyWithHooks<[DrawnRecords, Partitioning]> {
  const mode = options.mode ?? 'driver';
  return fc.asyncProperty(arbInputs(options.inputs), options.partitioning ?? fc.constant(SINGLE_PARTITION), async (drawn, p) => {
    const inputs = withSerdes(options.inputs, drawn);
    const run = await runTopology(factory, inputs, runOptions(options, mode, p));
    const fed = fedRecords(factory, inputs, { partitioning: p, ...(options.config === undefined ? {} : { config: options.config }) });
    check('matchesModel', factory, 'the output differs from the model', modelDifferences(model(fed), run.outputs, run.stores, options.ordered === true));
  });
}

/**
 * The laws as fast-check properties, for `fc.assert` or `fc.check` with parameters of your own. A failing run
 * throws an Error naming the law, the differences and the topology's describe().
 *
 * @example
 * ```ts
 * await fc.assert(lawProperties.partitionIndependence(wordCount, { inputs, outputs }), { numRuns: 50 });
 * ```
 */
export const lawProperties = Object.freeze({ determinism, partitionIndependence, batchIndependence, restartEquivalence, rebalanceEquivalence, matchesModel });

const DEFAULT_RUNS = { driver: 25, broker: 6 } as const;

async function assertLaw<Ts extends unknown[]>(law: string, factory: TopologyFactory, property: fc.IAsyncPropertyWithHooks<Ts>, options: LawOptions, mode: 'driver' | 'broker'): Promise<void> {
  const details = await fc.check(property, {
    numRuns: propertyRuns(options.numRuns ?? DEFAULT_RUNS[mode], mode),
    includeErrorInReport: true,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.endOnFailure === undefined ? {} : { endOnFailure: options.endOnFailure }),
  });
  if (!details.failed) return;
  const report = fc.defaultReportMessage(details);
  const hasDescribe = details.errorInstance instanceof Error && details.errorInstance.message.includes('\nTopology:\n');
  let describe = '';
  if (!hasDescribe) {
    try {
      describe = `\nTopology:\n${factory().describe().toString()}`;
    } catch {
      describe = '';
    }
  }
  throw new LawViolation(`law ${law} does not hold.\n${report}${describe}`, law, details.counterexample, details.seed, details.counterexamplePath ?? '', { cause: details.errorInstance });
}

/**
 * The laws, each one call in a test. Each draws inputs from `options.inputs`, runs the topology as the law says
 * and compares; on failure it throws a {@link LawViolation} with the shrunk counterexample, the seed and path to
 * replay it, the differences and the topology's describe().
 *
 * - `determinism`: two runs of the same input give the same records, in the same order (driver by default).
 * - `partitionIndependence`: one partition and 2..4 partitions (Kafka's partitioner, or another key spread) end with
 *   the same final tables and stores; for keyed aggregations and joins.
 * - `batchIndependence`: processing record at a time and in batches with other commit intervals and cache sizes
 *   ends with the same final tables (with caching, fewer intermediate records; the last value per key is the same).
 * - `restartEquivalence`: closing and reopening at arbitrary points gives the same final tables as an uninterrupted
 *   run (broker). With exactly_once_v2 (coming with transactions), the same with crashes: see RestartLawOptions.
 * - `matchesModel(factory, model, options)`: the outputs equal a pure model of the fed records.
 * - `rebalanceEquivalence`: instances joining or leaving mid-way do not change the final tables (broker).
 *
 * @example
 * ```ts
 * await laws.partitionIndependence(wordCount, {
 *   inputs: { 'text-lines': { keySerde: Serdes.String(), valueSerde: Serdes.String(), records: arbStream({ keys: [null], values: ['a b', 'b c'] }) } },
 *   outputs: { 'word-counts': { keySerde: Serdes.String(), valueSerde: Serdes.Number() } },
 *   stores: ['counts'],
 * });
 * ```
 */
export const laws = Object.freeze({
  determinism: (factory: TopologyFactory, options: LawOptions): Promise<void> =>
    assertLaw('determinism', factory, determinism(factory, options), options, options.mode ?? 'driver'),
  partitionIndependence: (factory: TopologyFactory, options: LawOptions): Promise<void> =>
    assertLaw('partitionIndependence', factory, partitionIndependence(factory, options), options, options.mode ?? 'driver'),
  batchIndependence: (factory: TopologyFactory, options: BatchLawOptions): Promise<void> =>
    assertLaw('batchIndependence', factory, batchIndependence(factory, options), options, options.mode ?? 'driver'),
  restartEquivalence: (factory: TopologyFactory, options: RestartLawOptions): Promise<void> =>
    assertLaw('restartEquivalence', factory, restartEquivalence(factory, options), options, 'broker'),
  rebalanceEquivalence: (factory: TopologyFactory, options: RebalanceLawOptions): Promise<void> =>
    assertLaw('rebalanceEquivalence', factory, rebalanceEquivalence(factory, options), options, 'broker'),
  matchesModel: (factory: TopologyFactory, model: TopologyModel, options: ModelLawOptions): Promise<void> =>
    assertLaw('matchesModel', factory, matchesModel(factory, model, options), options, options.mode ?? 'driver'),
});
