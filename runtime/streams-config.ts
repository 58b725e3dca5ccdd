import type { Logger } from 'pino';
import type { Broker } from '../src/broker/broker.js';
import type { Clients } from '../src/client/in-process/in-process-clients.js';
import type { KafkaSecurityOptions } from '../src/client/kafka/connection.js';
import { StreamsError } from '../src/errors.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { Clock } from '../src/util/clock.js';
import { hostInfoString, parseHostInfo } from './host-info.js';
import type { DeserializationHandler, ProcessingHandler, ProductionHandler } from './exception-handlers.js';

/**
 * Configuration of a {@link KafkaStreams} application, with Kafka Streams' meanings (camelCase, units in names).
 *
 * @example
 * ```ts
 * const config: StreamsConfig = { applicationId: 'word-count', stateDir: './state', commitIntervalMs: 1000 };
 * ```
 */
/** Kafka Streams' processing guarantees (`processing.guarantee`). */
export type ProcessingGuarantee = 'at_least_once' | 'exactly_once_v2';

export interface StreamsConfig {
  /** Names the consumer group and prefixes internal topics (`<applicationId>-<store>-changelog`). Required. */
  readonly applicationId: string;
  /**
   * The log to run over: an embedded broker (default: one opened under `<stateDir>/<applicationId>/log`), or the
   * bootstrap servers of a Kafka-protocol cluster (`'localhost:9092'` or a list; tributary's `tributary broker` or
   * Apache Kafka), reached through tributary's Kafka client. Nothing else in the app changes.
   */
  readonly broker?: Broker | string | readonly string[];
  /**
   * TLS and SASL for `broker: 'host:port'` (Kafka's security.protocol, ssl.* and sasl.*): `{ ssl: { ca } }` for SSL,
   * `{ sasl: { mechanism: 'scram-sha-512', username, password } }` for SASL_PLAINTEXT, both for SASL_SSL. Unused
   * with an embedded broker or `clients`.
   */
  readonly security?: KafkaSecurityOptions;
  /** Clients to reach the log; default: in-process clients of `broker`. */
  readonly clients?: Clients;
  /** Where stores keep files and checkpoints (default `<os tmpdir>/tributary-streams`). */
  readonly stateDir?: string;
  /** How often offsets are committed (Kafka Streams default 30000 ms). */
  readonly commitIntervalMs?: number;
  /** Total bytes of store write caches (default 10 MiB), shared evenly by the stores. 0 disables caching. */
  readonly cacheMaxBytes?: number;
  /** How often records below the committed offset are deleted from repartition topics (default 30000 ms). */
  readonly repartitionPurgeIntervalMs?: number;
  /**
   * 'at_least_once' (default): output and changelog records are written before the input offsets are committed, so
   * after a crash some results may be written twice. 'exactly_once_v2': each commit writes output, changelog records
   * and input offsets in one transaction, read back with `read_committed`; a crash neither loses nor duplicates.
   * Under exactly-once the default `commitIntervalMs` is 100.
   */
  readonly processingGuarantee?: ProcessingGuarantee;
  readonly defaultKeySerde?: Serde<unknown>;
  /** Serde for values with none given (default `Serdes.MsgPack()`); keys default to `Serdes.ByteArray()`, as Kafka. */
  readonly defaultValueSerde?: Serde<unknown>;
  /**
   * How long a task with some empty input partitions waits for new data before processing the others (default 0).
   * With 0 or more, a task never processes past an empty partition that has records on the broker not fetched yet
   * (Kafka Streams' KIP-695), so backlogs are joined and merged in timestamp order; -1 does not wait at all.
   */
  readonly maxTaskIdleMs?: number;
  /** Records one poll returns at most (default 1000). */
  readonly maxPollRecords?: number;
  /** How long one poll waits for data (default 100 ms). */
  readonly pollMs?: number;
  /**
   * Kafka Streams' task.timeout.ms (default 300000): how long the brokers may stay unreachable (polls failing with
   * retriable errors such as NETWORK_FAILED, NOT_COORDINATOR) before the thread gives up and the app goes to ERROR.
   * Meanwhile it retries with backoff, so a broker restart does not stop the app. 0 fails at the first such error.
   */
  readonly taskTimeoutMs?: number;
  /**
   * Kafka Streams' producer linger.ms (default 100): the longest output records wait in the record collector before
   * they are sent, when no commit and no idle loop sends them first. Lower it for end-to-end latency (each flush is
   * a produce request); it does not change what is committed when.
   */
  readonly lingerMs?: number;
  readonly deserializationExceptionHandler?: DeserializationHandler;
  readonly processingExceptionHandler?: ProcessingHandler;
  readonly productionExceptionHandler?: ProductionHandler;
  /**
   * Error routing. `deadLetterQueueTopic`: records a handler answered 'continue' for (deserialization or processing
   * errors) are written there, raw key and value as read, with headers naming the source topic, partition, offset and
   * the error (Kafka's KIP-1034 header names); under exactly-once inside the same transaction. Created (1 partition)
   * at start if missing.
   */
  readonly errors?: { readonly deadLetterQueueTopic?: string };
  /** Where to start reading input topics without committed offsets (default 'earliest', as Kafka Streams). */
  readonly autoOffsetReset?: 'earliest' | 'latest';
  /** How often `streams.metrics$` emits a snapshot of the metrics (default 1000 ms). */
  readonly metricsIntervalMs?: number;
  /**
   * The window of `-rate` metrics and of windowed averages and maxima (latencies, lateness, cache hit ratio), in ms
   * (Kafka's metrics.sample.window.ms; default 10000). Totals are not windowed.
   */
  readonly metricsSampleWindowMs?: number;
  /**
   * The level of the instance's logs (pino levels). Applies to the instance's own child logger, also when a `logger`
   * is injected; without one, the default logger's level comes from here, else from `TRIBUTARY_LOG_LEVEL`, else 'warn'.
   */
  readonly logLevel?: LogLevel;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /**
   * This instance's interactive-query endpoint, `'host:port'` (Kafka's application.server): sent to the group so
   * every instance knows which instance holds which partitions (`queryMetadataForKey`, HTTP forwarding). Default none.
   */
  readonly applicationServer?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** The config with defaults applied. */
export interface ResolvedStreamsConfig {
  readonly applicationId: string;
  readonly stateDir: string;
  readonly processingGuarantee: ProcessingGuarantee;
  readonly deadLetterQueueTopic: string | null;
  readonly commitIntervalMs: number;
  readonly repartitionPurgeIntervalMs: number;
  readonly cacheMaxBytes: number;
  readonly defaultKeySerde: Serde<unknown>;
  readonly defaultValueSerde: Serde<unknown>;
  readonly maxTaskIdleMs: number;
  readonly maxPollRecords: number;
  readonly pollMs: number;
  readonly taskTimeoutMs: number;
  readonly lingerMs: number;
  readonly deserializationExceptionHandler: DeserializationHandler;
  readonly processingExceptionHandler: ProcessingHandler;
  readonly productionExceptionHandler: ProductionHandler;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly metricsIntervalMs: number;
  readonly metricsSampleWindowMs: number;
  /** null: the logger's own level. */
  readonly logLevel: LogLevel | null;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly applicationServer: string | null;
}

const APP_ID = /^[a-zA-Z0-9._-]{1,200}$/;

/**
 * pino's log levels, from the most to the least severe, and 'silent'.
 *
 * @example
 * ```ts
 * const config: StreamsConfig = { applicationId: 'app', logLevel: 'info' };
 * ```
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevelOf(level: string | undefined): LogLevel | null {
  if (level === undefined) return null;
  if (!LOG_LEVELS.includes(level)) throw new StreamsError('INVALID_CONFIG', `logLevel must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  return level as LogLevel;
}

function positive(name: string, v: number | undefined, dflt: number): number {
  const n = nonNegative(name, v, dflt);
  if (n < 1) throw new StreamsError('INVALID_CONFIG', `${name} must be >= 1, got ${n}`);
  return n;
}

function nonNegative(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0) throw new StreamsError('INVALID_CONFIG', `${name} must be a number >= 0, got ${String(v)}`);
  return v;
}

/**
 * Validates a config and fills in defaults; a bad value is INVALID_CONFIG naming the key.
 *
 * @example
 * ```ts
 * resolveStreamsConfig({ applicationId: 'app' }, '/tmp/state').commitIntervalMs; // 30000
 * ```
 */
export function resolveStreamsConfig(config: StreamsConfig, defaultStateDir: string): ResolvedStreamsConfig {
  if (typeof config.applicationId !== 'string' || !APP_ID.test(config.applicationId)) {
    throw new StreamsError('INVALID_CONFIG', `applicationId must be 1..200 characters of [a-zA-Z0-9._-], got ${JSON.stringify(config.applicationId)}`);
  }
  const g = config.processingGuarantee ?? 'at_least_once';
  if (g !== 'at_least_once' && g !== 'exactly_once_v2') {
    throw new StreamsError('INVALID_CONFIG', `processingGuarantee must be 'at_least_once' or 'exactly_once_v2', got ${JSON.stringify(g)}`);
  }
  const dlq = config.errors?.deadLetterQueueTopic ?? null;
  if (dlq !== null && (typeof dlq !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(dlq))) {
    throw new StreamsError('INVALID_CONFIG', `errors.deadLetterQueueTopic must be a topic name, got ${JSON.stringify(dlq)}`);
  }
  const maxPollRecords = nonNegative('maxPollRecords', config.maxPollRecords, 1000);
  if (maxPollRecords < 1) throw new StreamsError('INVALID_CONFIG', 'maxPollRecords must be >= 1');
  return {
    applicationId: config.applicationId,
    stateDir: config.stateDir ?? defaultStateDir,
    processingGuarantee: g,
    deadLetterQueueTopic: dlq,
    // As Kafka Streams: 100 ms under exactly-once (a transaction per commit), 30 s otherwise.
    commitIntervalMs: nonNegative('commitIntervalMs', config.commitIntervalMs, g === 'exactly_once_v2' ? 100 : 30_000),
    repartitionPurgeIntervalMs: nonNegative('repartitionPurgeIntervalMs', config.repartitionPurgeIntervalMs, 30_000),
    cacheMaxBytes: nonNegative('cacheMaxBytes', config.cacheMaxBytes, 10 * 1024 * 1024),
    defaultKeySerde: config.defaultKeySerde ?? (Serdes.ByteArray() as Serde<unknown>),
    // MsgPack is the default value serde (DESIGN.md): any JS value round-trips; keys default to raw bytes as Kafka's.
    defaultValueSerde: config.defaultValueSerde ?? (Serdes.MsgPack() as Serde<unknown>),
    maxTaskIdleMs: config.maxTaskIdleMs === -1 ? -1 : nonNegative('maxTaskIdleMs', config.maxTaskIdleMs, 0),
    maxPollRecords,
    pollMs: nonNegative('pollMs', config.pollMs, 100),
    taskTimeoutMs: nonNegative('taskTimeoutMs', config.taskTimeoutMs, 300_000),
    lingerMs: nonNegative('lingerMs', config.lingerMs, 100),
    deserializationExceptionHandler: config.deserializationExceptionHandler ?? 'fail',
    processingExceptionHandler: config.processingExceptionHandler ?? 'fail',
    productionExceptionHandler: config.productionExceptionHandler ?? 'fail',
    autoOffsetReset: config.autoOffsetReset ?? 'earliest',
    metricsIntervalMs: positive('metricsIntervalMs', config.metricsIntervalMs, 1_000),
    metricsSampleWindowMs: positive('metricsSampleWindowMs', config.metricsSampleWindowMs, 10_000),
    logLevel: logLevelOf(config.logLevel),
    sessionTimeoutMs: nonNegative('sessionTimeoutMs', config.sessionTimeoutMs, 45_000),
    heartbeatIntervalMs: nonNegative('heartbeatIntervalMs', config.heartbeatIntervalMs, 3_000),
    applicationServer: config.applicationServer === undefined ? null : hostInfoString(parseHostInfo(config.applicationServer)),
  };
}
