/**
 * `tributary/testing`: property-based testing of topologies with fast-check. Arbitraries of timestamped keyed
 * records with controlled disorder and lateness, a runner over the TopologyTestDriver or the embedded broker (N
 * partitions, several instances, commit schedules, restarts), and laws every topology should obey, each one call
 * in a test that fails with a shrunk counterexample and the topology's describe(). Guide: docs/testing.md.
 *
 * Exported by name, in sections; nothing else is API.
 */

/* Records and runs */
export { feedOrder, partitionOf, SINGLE_PARTITION } from './test-records.js';
export type {
  TestRecord,
  TopicSerdes,
  InputTopic,
  TopologyInputs,
  TopologyOutputs,
  StoreSpec,
  FedRecord,
  OutputRecord,
  Partitioning,
  CommitSchedule,
  TopologyRun,
} from './test-records.js';

/* Arbitraries */
export { arbRecord, arbStream, arbPartitioning, arbCommitSchedule, arbCrashPoints, arbInstanceChanges } from './arbitraries.js';
export type { RecordOptions, StreamOptions } from './arbitraries.js';

/* Runner */
export { runTopology, fedRecords } from './run-topology.js';
export { DEFAULT_APPLICATION_ID } from './run-options.js';
export type { TopologyFactory, RunEvent, RunOptions } from './run-options.js';

/* Comparing runs */
export { canonical, finalTable, runDifferences } from './compare-runs.js';
export type { OutputView } from './compare-runs.js';

/* Laws */
export { laws, lawProperties } from './laws.js';
export type { TopologyModel } from './laws.js';
export { LawViolation } from './law-options.js';
export type {
  ArbitraryInputTopic,
  ArbitraryInputs,
  LawOptions,
  BatchLawOptions,
  RestartLawOptions,
  RebalanceLawOptions,
  ModelLawOptions,
  ModelRecord,
  ModelResult,
} from './law-options.js';
export { propertyRuns, PROPERTY_RUNS_ENV } from './property-runs.js';
