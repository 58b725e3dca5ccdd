import * as os from 'node:os';
import * as path from 'node:path';
import { BehaviorSubject, concat, ignoreElements, map, of, share, takeUntil, timer, type Observable } from 'rxjs';
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
import { collectClientMetrics } from './metrics/client-metrics.js';
import { StreamThread, type StateRestoreListener } from './stream-thread.js';
import { resolveStreamsConfig, type ResolvedStreamsConfig, type StreamsConfig } from './streams-config.js';
import { describeTopology } from '../src/topology/describe-topology.js';
import type { TopologyDescription } from '../src/topology/topology-description.js';
import { StreamsMetadataState, type KeyPartitioning, type KeyQueryMetadata, type LocalTaskMetadata, type StreamsMetadata } from './streams-metadata.js';
import { streamsPartitionAssignor } from './streams-partition-assignor.js';

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
  /** Who holds which partitions, for interactive queries across instances. */
  readonly #metadataState: StreamsMetadataState;

  constructor(topology: Topology | BuiltTopology, config: StreamsConfig) {
    this.#userConfig = config;
    this.#config = resolveStreamsConfig(config, path.join(os.tmpdir(), 'tributary-streams'));
    const running = runningTopology(topology, { ...config, applicationId: this.#config.applicationId });
    this.#topology = running.built;
    this.#sourceChangelogTopics = running.sourceChangelogTopics;
    this.#requestedPartitions = running.repartitionTopics;
    this.#logger = (config.logger ?? defaultLogger()).child({ applicationId: this.#config.applicationId });
    // A child's level is its own: config.logLevel may make the instance more (or less) verbose than the logger given.
    if (this.#config.logLevel !== null) this.#logger.level = this.#config.logLevel;
    this.#clock = config.clock ?? systemClock;
    const metricsOptions = { clock: this.#clock, sampleWindowMs: this.#config.metricsSampleWindowMs };
    this.#metrics = new MetricsRegistry(`${this.#config.applicationId}-StreamThread-1`, metricsOptions);
    this.#globalMetrics = new MetricsRegistry(`${this.#config.applicationId}-GlobalStreamThread`, metricsOptions);
    this.#metadataState = new StreamsMetadataState(this.#config.applicationServer);
  }

  /**
   * The instance's metrics now, with Kafka Streams' groups, names and tags:
   * - `stream-metrics` (tag `client-id`): `state` (CREATED=0, REBALANCING=1, RUNNING=2, PENDING_SHUTDOWN=3,
   *   NOT_RUNNING=4, ERROR=5, PENDING_ERROR=6), `alive-stream-threads`, `rebalances-total`, `restore-records-total`,
   *   `restore-remaining-records`;
   * - `stream-thread-metrics` (tag `thread-id`): poll, process and commit totals, rates and latencies, records
   *   consumed and produced, punctuations, tasks created and closed;
   * - `stream-task-metrics` (tags `thread-id`, `task-id`): process total, rate and latency, record lateness, restore
   *   progress, and sensors processors record into, such as `dropped-records-total` (records too late for their
   *   window, or without a key or value where one is needed);
   * - `stream-processor-node-metrics` (plus `processor-node-id`): `process-total` and `process-rate` per node;
   * - `stream-topic-metrics` (plus `topic`): `records-consumed-total` of sources, `records-produced-total` of sinks;
   * - `stream-state-metrics` (tags `thread-id`, `task-id`, `store-type`, `<store-type>-state-id`): operation totals,
   *   `hit-ratio` of the store's cache, `estimated-num-keys`;
   * - `consumer-fetch-manager-metrics` (tags `client-id`, `topic`, `partition`): `records-lag` per input partition.
   *
   * `-total` metrics count since the thread or task started; `-rate` (per second), `-avg` and `-max` cover the last
   * `metricsSampleWindowMs`; latencies are in ms. A closed task's metrics disappear, as in Kafka Streams. Reading is
   * cheap (plain counters), but not free: poll it at most every second or so (see {@link metrics$}).
   *
   * @example
   * ```ts
   * const dropped = streams.metrics().filter((m) => m.name === 'dropped-records-total').reduce((n, m) => n + m.value, 0);
   * ```
   */
  metrics(): Metric[] {
    const out: Metric[] = [];
    const thread = this.#thread;
    const isAlive = thread !== null && thread.failure === null && (this.state === 'RUNNING' || this.state === 'REBALANCING');
    collectClientMetrics(this.#config.applicationId, this.state, isAlive, thread?.counters ?? null, out);
    for (const m of this.#globalMetrics.metrics()) out.push(m);
    for (const m of this.#metrics.metrics()) out.push(m);
    return out;
  }

  #metrics$: Observable<Metric[]> | null = null;

  /**
   * {@link metrics} as an Observable: a snapshot at subscription and then every `metricsIntervalMs` (default 1000),
   * shared by all subscribers (one timer however many subscribe; it stops when the last one unsubscribes). Completes
   * when the instance reaches NOT_RUNNING (at once for a subscriber that comes later).
   *
   * @example
   * ```ts
   * streams.metrics$.subscribe((metrics) => {
   *   const lag = metrics.filter((m) => m.name === 'records-lag').reduce((n, m) => n + m.value, 0);
   *   log.info({ lag }, 'total lag');
   * });
   * ```
   */
  get metrics$(): Observable<Metric[]> {
    // state$ completes at NOT_RUNNING: its end (even one that already happened) ends the snapshots.
    const notRunning = concat(this.#state.pipe(ignoreElements()), of(true));
    return (this.#metrics$ ??= timer(0, this.#config.metricsIntervalMs).pipe(
      takeUntil(notRunning),
      map(() => this.metrics()),
      share(),
    ));
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
        const remote = kafkaClients({ bootstrapServers: servers, clientId: this.#config.applicationId, logger: this.#logger, ...this.#userConfig.security });
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
      this.#metadataState.setTopology(this.#topology, counts);
      if (isClosed()) return await this.#releaseResources();
      this.#transition('REBALANCING');
      if (this.#topology.globalStores.length > 0) {
        // As Kafka Streams: global stores are fully restored before any task processes a record.
        const global = new GlobalStreamThread({
          topology: this.#topology,
          config: this.#config,
          clients,
          logger: this.#logger.child({ threadId: this.#globalMetrics.threadId }),
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
        partitionAssignor: streamsPartitionAssignor(this.#topology.subtopologies, {
          applicationServer: this.#config.applicationServer,
          logger: this.#logger,
          onAssignment: (info) => this.#metadataState.onAssignment(info),
        }),
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
   * The application id (the consumer group and the internal-topic prefix).
   *
   * @example
   * ```ts
   * streams.applicationId; // 'word-count'
   * ```
   */
  get applicationId(): string {
    return this.#config.applicationId;
  }

  /**
   * This instance's `applicationServer` endpoint (`host:port`), or null when none is configured.
   *
   * @example
   * ```ts
   * streams.applicationServer; // 'localhost:8080'
   * ```
   */
  get applicationServer(): string | null {
    return this.#config.applicationServer;
  }

  /**
   * The running topology described as Kafka Streams does (after start, pattern sources list the topics they matched).
   *
   * @example
   * ```ts
   * console.log(streams.describe().toString());
   * ```
   */
  describe(): TopologyDescription {
    return describeTopology(this.#topology.nodes, this.#topology.stores);
  }

  /**
   * Which instance holds `key` of `storeName` (Kafka's queryMetadataForKey): the key is serialized with
   * `keySerializer` and partitioned as Kafka's default partitioner does over the store's source topic (or placed by
   * a StreamPartitioner given instead), then looked up in the partitions-by-host map of the latest rebalance.
   * `activeHost` is null when no instance is known to hold it (see {@link KeyQueryMetadata}).
   *
   * @throws StreamsError `ILLEGAL_STATE` unless RUNNING or REBALANCING; `INVALID_REQUEST` for an unknown store.
   * @example
   * ```ts
   * const { activeHost, partition } = streams.queryMetadataForKey('counts', 'river', Serdes.String());
   * ```
   */
  queryMetadataForKey<K>(storeName: string, key: K, keySerializer: KeyPartitioning<K>): KeyQueryMetadata {
    this.#requireQueryable();
    return this.#metadataState.keyQueryMetadata(storeName, key, keySerializer, new Set(this.#thread?.tasks.keys() ?? []));
  }

  /**
   * Every instance holding tasks of `storeName` with its endpoint and partitions (Kafka's allMetadataForStore);
   * instances without an `applicationServer` are not listed.
   *
   * @throws StreamsError `ILLEGAL_STATE` unless RUNNING or REBALANCING; `INVALID_REQUEST` for an unknown store.
   * @example
   * ```ts
   * const hosts = streams.allMetadataForStore('counts').map((m) => m.hostInfo);
   * ```
   */
  allMetadataForStore(storeName: string): StreamsMetadata[] {
    this.#requireQueryable();
    return this.#metadataState.allMetadataForStore(storeName, this.localTasks().flatMap((t) => t.partitions));
  }

  /**
   * The tasks this instance runs now, with their input partitions and stores (empty before the first assignment
   * and while a rebalance has revoked them).
   *
   * @example
   * ```ts
   * streams.localTasks(); // [{ taskId: '1_0', partitions: [{ topic: 'words', partition: 0 }], state: 'RUNNING', stores: ['counts'] }]
   * ```
   */
  localTasks(): LocalTaskMetadata[] {
    const tasks = this.#thread?.tasks;
    if (tasks === undefined) return [];
    return [...tasks.values()].map((t) => ({ taskId: t.id, partitions: t.inputPartitions, state: 'RUNNING', stores: [...t.subtopology.storeNames] }));
  }

  #requireQueryable(): void {
    if (this.state !== 'RUNNING' && this.state !== 'REBALANCING') {
      throw new StreamsError('ILLEGAL_STATE', `stream metadata can be queried while RUNNING or REBALANCING, not ${this.state}`);
    }
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
