import * as os from 'node:os';
import * as path from 'node:path';
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import { Broker } from '../src/broker/broker.js';
import { DirectoryLock } from '../src/broker/directory-lock.js';
import { inProcessClients, type Clients } from '../src/client/in-process/in-process-clients.js';
import { kafkaClients } from '../src/client/kafka/kafka-clients.js';
import { StreamsError, toError } from '../src/errors.js';
import type { BuiltTopology } from '../src/topology/built-topology.js';
import type { Topology } from '../src/topology/topology.js';
import { systemClock, type Clock } from '../src/util/clock.js';
import { defaultLogger } from '../src/util/logger.js';
import { compositeReadOnlyStore, type QueryableStoreType } from './queryable-store-types.js';
import { changelogTopics, planPartitions, resolvePatterns, runningTopology } from './running-topology.js';
import type { Metric } from '../src/processor/streams-metrics.js';
import { GlobalStreamThread } from './global-stream-thread.js';
import { MetricsRegistry } from './metrics-registry.js';
import { StreamThread, type StateRestoreListener } from './stream-thread.js';
import { resolveStreamsConfig, type ResolvedStreamsConfig, type StreamsConfig } from './streams-config.js';

/** The lifecycle of a {@link KafkaStreams} instance, with Kafka Streams' states. */
export type KafkaStreamsState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'PENDING_ERROR' | 'ERROR';

const TRANSITIONS: Record<KafkaStreamsState, readonly KafkaStreamsState[]> = {
  CREATED: ['REBALANCING', 'PENDING_SHUTDOWN', 'PENDING_ERROR'],
  REBALANCING: ['RUNNING', 'REBALANCING', 'PENDING_SHUTDOWN', 'PENDING_ERROR'],
  RUNNING: ['REBALANCING', 'PENDING_SHUTDOWN', 'PENDING_ERROR'],
  PENDING_SHUTDOWN: ['NOT_RUNNING'],
  NOT_RUNNING: [],
  PENDING_ERROR: ['ERROR'],
  ERROR: ['PENDING_SHUTDOWN'],
};

/** Called on every state change. */
export type StateListener = (newState: KafkaStreamsState, oldState: KafkaStreamsState) => void;

/**
 * Runs a {@link Topology} over the log: the Kafka Streams client. Instances with the same `applicationId` form one
 * consumer group and share the tasks (sub-topology x partition); when one closes or dies, the others take its
 * tasks over and restore their stores from the changelog topics. At-least-once: output and changelog records are
 * written before input offsets are committed.
 *
 * Internal topics are created at start: `<applicationId>-<store>-changelog` (compacted, one partition per task),
 * and any missing repartition or output topic with the partition count of the sub-topology writing it.
 *
 * @example
 * ```ts
 * const streams = new KafkaStreams(topology, { applicationId: 'word-count', broker });
 * streams.state$.subscribe((s) => log.info(s));
 * await streams.start();
 * // ...
 * await streams.close();
 * ```
 */
export class KafkaStreams {
  #topology: BuiltTopology;
  #sourceChangelogTopics: ReadonlyMap<string, string> = new Map();
  #requestedPartitions: ReadonlyMap<string, { readonly numberOfPartitions: number | undefined }> = new Map();
  readonly #config: ResolvedStreamsConfig;
  readonly #userConfig: StreamsConfig;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #state = new BehaviorSubject<KafkaStreamsState>('CREATED');
  #listener: StateListener | null = null;
  #restoreListener: StateRestoreListener | null = null;
  #broker: Broker | null = null;
  #ownsBroker = false;
  /** Kafka-protocol clients this instance opened for `broker: 'host:port'`; closed with it. */
  #remoteClients: ReturnType<typeof kafkaClients> | null = null;
  #clients: Clients | null = null;
  #thread: StreamThread | null = null;
  #globalThread: GlobalStreamThread | null = null;
  readonly #metrics: MetricsRegistry;
  readonly #globalMetrics: MetricsRegistry;
  #lock: DirectoryLock | null = null;
  #error: StreamsError | null = null;
  #isStarting = false;

  constructor(topology: Topology | BuiltTopology, config: StreamsConfig) {
    this.#userConfig = config;
    this.#config = resolveStreamsConfig(config, path.join(os.tmpdir(), 'tributary-streams'));
    const running = runningTopology(topology, { ...config, applicationId: this.#config.applicationId });
    this.#topology = running.built;
    this.#sourceChangelogTopics = running.sourceChangelogTopics;
    this.#requestedPartitions = running.repartitionTopics;
    this.#logger = (config.logger ?? defaultLogger()).child({ applicationId: this.#config.applicationId });
    this.#clock = config.clock ?? systemClock;
    this.#metrics = new MetricsRegistry(`${this.#config.applicationId}-StreamThread-1`);
    this.#globalMetrics = new MetricsRegistry(`${this.#config.applicationId}-GlobalStreamThread`);
  }

  /**
   * The instance's metrics now: task-level sensors such as `dropped-records-total` (group `stream-task-metrics`,
   * tagged `thread-id` and `task-id`; records dropped as too late for their window, or without a key or value where
   * one is needed). A closed task's metrics disappear, as in Kafka Streams.
   *
   * @example
   * ```ts
   * const dropped = streams.metrics().filter((m) => m.name === 'dropped-records-total').reduce((n, m) => n + m.value, 0);
   * ```
   */
  metrics(): Metric[] {
    return [...this.#globalMetrics.metrics(), ...this.#metrics.metrics()];
  }

  /** The current state. */
  get state(): KafkaStreamsState {
    return this.#state.value;
  }

  /** The state as an Observable: emits the current state on subscribe, then every change; completes at NOT_RUNNING. */
  get state$(): Observable<KafkaStreamsState> {
    return this.#state.asObservable();
  }

  /** The error that moved the app to ERROR, if any. */
  get error(): StreamsError | null {
    return this.#error;
  }

  setStateListener(listener: StateListener): void {
    if (this.state !== 'CREATED') throw new StreamsError('ILLEGAL_STATE', 'setStateListener must be called before start()');
    this.#listener = listener;
  }

  setGlobalStateRestoreListener(listener: StateRestoreListener): void {
    if (this.state !== 'CREATED') throw new StreamsError('ILLEGAL_STATE', 'setGlobalStateRestoreListener must be called before start()');
    this.#restoreListener = listener;
  }

  #transition(to: KafkaStreamsState): boolean {
    const from = this.#state.value;
    if (from === to) return false;
    if (!TRANSITIONS[from].includes(to)) {
      if (from === 'PENDING_SHUTDOWN' || from === 'NOT_RUNNING' || from === 'PENDING_ERROR' || from === 'ERROR') return false;
      throw new StreamsError('ILLEGAL_STATE', `illegal state transition ${from} -> ${to}`);
    }
    this.#state.next(to);
    this.#logger.info({ from, to }, 'state transition');
    try {
      this.#listener?.(to, from);
    } catch (e: unknown) {
      this.#logger.warn({ err: e }, 'the state listener threw');
    }
    return true;
  }

  /**
   * Starts processing: opens the broker if none was given, locks the state directory, creates internal topics,
   * validates co-partitioning, joins the group. Resolves once the processing loop runs (state REBALANCING, then
   * RUNNING when tasks are assigned and restored). When close() runs meanwhile, resolves without starting the loop.
   */
  async start(): Promise<void> {
    if (this.state !== 'CREATED' || this.#isStarting) {
      throw new StreamsError('ILLEGAL_STATE', `start() in state ${this.state}${this.#isStarting ? ' (already starting)' : ''}; a KafkaStreams instance starts once`);
    }
    this.#isStarting = true;
    const appDir = path.join(this.#config.stateDir, this.#config.applicationId);
    // close() may run while start() awaits: then stop, and start no thread that nobody would close.
    const isClosed = (): boolean => this.state === 'PENDING_SHUTDOWN' || this.state === 'NOT_RUNNING';
    try {
      this.#lock = DirectoryLock.acquire(ensureDir(appDir));
      const target = this.#userConfig.broker;
      this.#broker = target instanceof Broker ? target : null;
      if (this.#userConfig.clients === undefined && (typeof target === 'string' || Array.isArray(target))) {
        const servers = typeof target === 'string' ? target.split(',').map((s) => s.trim()) : (target as readonly string[]);
        const remote = kafkaClients({ bootstrapServers: servers, clientId: this.#config.applicationId, logger: this.#logger });
        this.#remoteClients = remote;
      } else if (this.#broker === null && this.#userConfig.clients === undefined) {
        this.#broker = await Broker.open({ dataDir: path.join(appDir, 'log'), logger: this.#logger, clock: this.#clock });
        this.#ownsBroker = true;
        if (isClosed()) return await this.#releaseResources();
      }
      const clients = this.#userConfig.clients ?? this.#remoteClients ?? inProcessClients(this.#broker!);
      this.#clients = clients;
      const topics = await clients.admin.listTopics({ includeInternal: true });
      this.#topology = resolvePatterns(this.#topology, topics);
      const counts = await this.#prepareTopics(clients, topics);
      if (isClosed()) return await this.#releaseResources();
      this.#transition('REBALANCING');
      if (this.#topology.globalStores.length > 0) {
        // As Kafka Streams: global stores are fully restored before any task processes a record.
        const global = new GlobalStreamThread({
          topology: this.#topology,
          config: this.#config,
          clients,
          logger: this.#logger,
          clock: this.#clock,
          stateDir: appDir,
          restoreListener: () => this.#restoreListener,
          metrics: this.#globalMetrics,
          onFailure: (e) => {
            this.#fail(e);
            void this.#thread?.close().catch((err: unknown) => this.#logger.warn({ err }, 'closing the stream thread after a global failure failed'));
          },
        });
        this.#globalThread = global;
        await global.start();
        if (isClosed()) return;
      }
      const thread = new StreamThread({
        topology: this.#topology,
        config: this.#config,
        clients,
        logger: this.#logger,
        clock: this.#clock,
        stateDir: appDir,
        partitionCounts: counts,
        sourceChangelogTopics: this.#sourceChangelogTopics,
        metrics: this.#metrics,
        ...(this.#config.processingGuarantee === 'exactly_once_v2' ? { transactionalId: `${this.#config.applicationId}-${processId(appDir)}-1` } : {}),
        ...(this.#globalThread === null ? {} : { globalStores: this.#globalThread.stores }),
        onRebalance: (phase) => this.#transition(phase === 'start' ? 'REBALANCING' : 'RUNNING'),
        restoreListener: () => this.#restoreListener,
      });
      this.#thread = thread;
      thread.start().catch((e: unknown) => this.#fail(e));
    } catch (e: unknown) {
      await this.#releaseResources();
      if (isClosed()) return;
      this.#fail(e);
      throw this.#error;
    }
  }

  #fail(e: unknown): void {
    this.#error = e instanceof StreamsError ? e : new StreamsError('PROCESSING_FAILED', toError(e).message, { cause: e });
    if (this.#transition('PENDING_ERROR')) this.#transition('ERROR');
  }

  /** Creates internal and missing output topics; validates that co-partitioned sources agree. Returns partition counts. */
  async #prepareTopics(clients: Clients, topics: readonly string[]): Promise<Map<string, number>> {
    const admin = clients.admin;
    const existing = new Set(topics);
    const counts = new Map<string, number>();
    const describe = async (topics: string[]): Promise<void> => {
      const known = topics.filter((t) => existing.has(t) && !counts.has(t));
      if (known.length === 0) return;
      for (const d of await admin.describeTopics(known)) counts.set(d.name, d.partitions.length);
    };
    const subs = this.#topology.subtopologies;
    await describe(subs.flatMap((s) => [...s.sourceTopics, ...s.sinkTopics]));
    const plan = planPartitions(subs, counts, this.#requestedPartitions);
    for (const [t, n] of plan.topicPartitions) {
      if (existing.has(t)) continue;
      await admin.createTopics([{ topic: t, numPartitions: n }]);
      existing.add(t);
      this.#logger.info({ topic: t, partitions: n }, 'created a missing output/repartition topic');
    }
    for (const [t, n] of plan.topicPartitions) counts.set(t, n);
    const dlq = this.#config.deadLetterQueueTopic;
    if (dlq !== null && !existing.has(dlq)) {
      await admin.createTopics([{ topic: dlq, numPartitions: 1 }]).catch((e: unknown) => {
        if (!(e instanceof StreamsError && e.code === 'TOPIC_ALREADY_EXISTS')) throw e;
      });
      existing.add(dlq);
      this.#logger.info({ topic: dlq }, 'created the dead-letter queue topic');
    }
    for (const { topic, numPartitions: n, configs } of changelogTopics(this.#topology, this.#config.applicationId, plan.subtopologyPartitions)) {
      await admin.createTopics([{ topic, numPartitions: n, configs }]).catch(async (e: unknown) => {
        if (e instanceof StreamsError && e.code === 'TOPIC_ALREADY_EXISTS') {
          const [d] = await admin.describeTopics([topic]);
          if (d!.partitions.length !== n) {
            throw new StreamsError('TOPOLOGY_INVALID', `changelog topic ${topic} has ${d!.partitions.length} partitions, the store's tasks need ${n}`, { cause: e });
          }
          return;
        }
        throw e;
      });
      counts.set(topic, n);
    }
    return counts;
  }

  /**
   * A read-only view of a store across this instance's tasks (interactive queries).
   *
   * @example
   * ```ts
   * const counts = streams.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>());
   * counts.get('hello');
   * ```
   */
  store<T>(storeName: string, type: QueryableStoreType<T>): T {
    if (this.state !== 'RUNNING' && this.state !== 'REBALANCING') {
      throw new StreamsError('ILLEGAL_STATE', `stores can be queried while RUNNING, not ${this.state}`);
    }
    if (!this.#topology.stores.has(storeName)) throw new StreamsError('ILLEGAL_STATE', `no store named ${storeName} in the topology`);
    const global = this.#globalThread?.stores.get(storeName);
    if (global !== undefined) return compositeReadOnlyStore(type, () => [global]);
    const thread = this.#thread;
    if (thread === null) throw new StreamsError('ILLEGAL_STATE', `store ${storeName} is not available yet: the instance is still starting`);
    return compositeReadOnlyStore(type, () => [...thread.tasks.values()].flatMap((t) => (t.stateManager.stores.has(storeName) ? [t.stateManager.stores.get(storeName)!] : [])));
  }

  /**
   * Stops: finishes the records already polled, flushes, commits, closes stores, leaves the group (so the other
   * instances rebalance at once). Resolves true when done within `timeoutMs`, false if it timed out (the shutdown
   * still completes in the background).
   */
  async close(options: { timeoutMs?: number } = {}): Promise<boolean> {
    const s = this.state;
    if (s === 'NOT_RUNNING') return true;
    if (s === 'PENDING_SHUTDOWN') return this.#closing ?? true;
    this.#transition('PENDING_SHUTDOWN');
    this.#closing = (async () => {
      const work = (async () => {
        await this.#thread?.close();
        await this.#releaseResources();
      })();
      const timeoutMs = options.timeoutMs ?? Number.MAX_SAFE_INTEGER;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        work.then(() => false),
        new Promise<boolean>((resolve) => {
          if (timeoutMs < 2_147_483_647) timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      if (timer !== undefined) clearTimeout(timer);
      if (timedOut) {
        this.#logger.warn({ timeoutMs }, 'close timed out; shutdown continues in the background');
        void work.then(() => this.#finishClose());
        return false;
      }
      this.#finishClose();
      return true;
    })();
    return this.#closing;
  }

  #closing: Promise<boolean> | null = null;

  /**
   * Test hook (crash harnesses): this instance dies as a killed process would — no commit, no leaving the group (it is
   * evicted after the session timeout), its open transaction left for the broker to abort on timeout, stores and the
   * state directory lock left as they are. The instance is NOT_RUNNING afterwards and cannot be used again.
   *
   * @example
   * ```ts
   * a.simulateCrash(); // b takes a's tasks over once the group evicts a
   * ```
   */
  simulateCrash(): void {
    this.#thread?.simulateCrash();
    if (this.#transition('PENDING_SHUTDOWN')) this.#finishClose();
  }

  #finishClose(): void {
    this.#transition('NOT_RUNNING');
    this.#state.complete();
  }

  async #releaseResources(): Promise<void> {
    const global = this.#globalThread;
    this.#globalThread = null;
    await global?.close().catch((e: unknown) => this.#logger.warn({ err: e }, 'closing the global thread failed'));
    if (this.#ownsBroker && this.#broker !== null) await this.#broker.close();
    this.#broker = null;
    const remote = this.#remoteClients;
    this.#remoteClients = null;
    await remote?.close().catch((e: unknown) => this.#logger.warn({ err: e }, 'closing the Kafka clients failed'));
    this.#lock?.release();
    this.#lock = null;
  }
}

/**
 * This instance's process id (Kafka Streams' `processId`): a UUID kept in `<appDir>/kafka-streams-process-metadata`,
 * so the instance keeps its transactional id across restarts of the same state directory.
 */
function processId(appDir: string): string {
  const file = path.join(appDir, 'kafka-streams-process-metadata');
  try {
    const { processId: id } = JSON.parse(readFileSync(file, 'utf8')) as { processId?: unknown };
    if (typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) return id;
  } catch {
    // missing or unreadable: a new id
  }
  const id = randomUUID();
  replaceJsonFile(file, { processId: id });
  return id;
}

function ensureDir(dir: string): string {
  // Local import keeps fs out of the hot modules' graph.
  mkdirSync(dir, { recursive: true });
  return dir;
}

import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { replaceJsonFile } from '../src/util/replace-file.js';
