/**
 * The options of `runTopology` and the small rules both of its modes share.
 */
import type { Logger } from 'pino';
import { StreamsError } from '../src/errors.js';
import type { Topology } from '../src/topology/topology.js';
import type { StreamsConfig } from '../runtime/streams-config.js';
import type { CommitSchedule, FedRecord, Partitioning, StoreSpec, TopologyOutputs } from './test-records.js';

/**
 * Builds a fresh topology. Every application instance (and every restart) gets its own, as separate processes
 * would: state kept outside stores does not survive.
 *
 * @example
 * ```ts
 * const factory: TopologyFactory = () => { const b = new StreamsBuilder(); ...; return b.build(); };
 * ```
 */
export type TopologyFactory = () => Topology;

/**
 * A change of the application's instances at a point in the input: after the first `atRecord` fed records are
 * processed, close every instance and start them again on the same state (`'restart'`), start one more
 * (`'addInstance'`), or close one (`'removeInstance'`, never the last).
 *
 * @example
 * ```ts
 * const events: RunEvent[] = [{ atRecord: 5, kind: 'restart' }, { atRecord: 9, kind: 'addInstance' }];
 * ```
 */
export interface RunEvent {
  readonly atRecord: number;
  readonly kind: 'restart' | 'addInstance' | 'removeInstance';
}

/**
 * Options of {@link runTopology}.
 *
 * `guarantee` is the processing guarantee of broker runs. Only `'at_least_once'` exists today; when the runtime
 * gains `'exactly_once_v2'` it is passed on unchanged, and restarts then may crash the instances instead of closing them.
 *
 * @example
 * ```ts
 * const options: RunOptions = { mode: 'broker', partitioning: { partitions: 3, salt: null }, instances: 2, outputs, stores: ['counts'] };
 * ```
 */
export interface RunOptions {
  /** The output topics to read back, with their serdes. */
  readonly outputs: TopologyOutputs;
  /** Stores whose final contents to read (default none). */
  readonly stores?: readonly StoreSpec[];
  /** 'driver' (default): the TopologyTestDriver, synchronous, virtual time. 'broker': KafkaStreams over an in-memory broker. */
  readonly mode?: 'driver' | 'broker';
  /** Partitions of the input topics and how keys spread over them (default one partition). */
  readonly partitioning?: Partitioning;
  /** Batches, polls and commits (default: every record alone, committed after it). */
  readonly commitSchedule?: CommitSchedule;
  /** Application instances at the start (broker only, default 1). */
  readonly instances?: number;
  /** Shorthand for restart events: indices into the fed input (taken modulo its length + 1). Broker only. */
  readonly restartAt?: readonly number[];
  /** Restarts and instance changes during the run (broker only). */
  readonly events?: readonly RunEvent[];
  /** Processing guarantee of broker runs (default and, for now, only: 'at_least_once'). */
  readonly guarantee?: 'at_least_once';
  /** More application config (serdes, cacheMaxBytes, maxTaskIdleMs, ...); applicationId defaults to 'topology-under-test'. */
  readonly config?: Partial<Omit<StreamsConfig, 'broker' | 'clients' | 'stateDir' | 'logger' | 'clock'>>;
  /** How long a broker run may wait for the application to settle after each step (default 15 s). */
  readonly settleTimeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * The application id of runs that do not set one (internal topics are named after it).
 *
 * @example
 * ```ts
 * `${DEFAULT_APPLICATION_ID}-counts-changelog`; // the changelog of store 'counts' in a run
 * ```
 */
export const DEFAULT_APPLICATION_ID = 'topology-under-test';

/**
 * The run's events in input order: `restartAt` points (modulo input length + 1) merged with `events`.
 *
 * @example
 * ```ts
 * runEvents({ restartAt: [7] }, 5); // [{ atRecord: 1, kind: 'restart' }]
 * ```
 */
export function runEvents(options: Pick<RunOptions, 'restartAt' | 'events'>, fedCount: number): RunEvent[] {
  const events: RunEvent[] = [...(options.restartAt ?? []).map((i) => ({ atRecord: i, kind: 'restart' as const })), ...(options.events ?? [])];
  return events
    .map((e) => {
      if (!Number.isSafeInteger(e.atRecord) || e.atRecord < 0) throw new StreamsError('INVALID_CONFIG', `an event's atRecord must be an integer >= 0, got ${e.atRecord}`);
      return { atRecord: e.atRecord % (fedCount + 1), kind: e.kind };
    })
    .sort((a, b) => a.atRecord - b.atRecord);
}

/**
 * The batch sizes of a schedule, validated (default: one record per batch).
 *
 * @example
 * ```ts
 * batchSizes(undefined); // [1]
 * ```
 */
export function batchSizes(schedule: CommitSchedule | undefined): readonly number[] {
  const sizes = schedule?.batchSizes ?? [1];
  if (sizes.length === 0 || sizes.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new StreamsError('INVALID_CONFIG', `batchSizes must be a non-empty list of integers >= 1, got [${sizes.join(', ')}]`);
  }
  return sizes;
}

/**
 * Rejects event times a producer would refuse (INVALID_CONFIG); a generator bug should not look like a topology bug.
 *
 * @example
 * ```ts
 * checkTimestamp({ topic: 't', key: null, value: 'x', timestampMs: -1, partition: 0 }); // throws
 * ```
 */
export function checkTimestamp(r: FedRecord): void {
  if (!Number.isSafeInteger(r.timestampMs) || r.timestampMs < 0) {
    throw new StreamsError('INVALID_CONFIG', `record timestamps must be integers >= 0; ${r.topic} has ${r.timestampMs}`, { topic: r.topic });
  }
}
