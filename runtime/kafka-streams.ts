import * as os from 'node:os';
import * as path from 'node:path';
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import { Broker } from '../src/broker/broker.js';
import { DirectoryLock } from '../src/broker/directory-lock.js';
import { inProcessClients, type Clients } from '../src/client/in-process/in-process-clients.js';
import { StreamsError, toError } from '../src/errors.js';
import { changelogTopicName } from '../src/state/state-store.js';
import type { BuiltTopology } from '../src/topology/built-topology.js';
import type { Topology } from '../src/topology/topology.js';
import { systemClock, type Clock } from '../src/util/clock.js';
import { defaultLogger } from '../src/util/logger.js';
import { compositeReadOnlyStore, type QueryableStoreType } from './queryable-store-types.js';
import { resolvePatterns, runningTopology } from './running-topology.js';
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
  #clients: Clients | null = null;
  #thread: StreamThread | null = null;
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
    const isClosed = (): boolean => this.state !== 'CREATED';
    try {
      this.#lock = DirectoryLock.acquire(ensureDir(appDir));
      this.#broker = this.#userConfig.broker ?? null;
      if (this.#broker === null && this.#userConfig.clients === undefined) {
        this.#broker = await Broker.open({ dataDir: path.join(appDir, 'log'), logger: this.#logger, clock: this.#clock });
        this.#ownsBroker = true;
        if (isClosed()) return await this.#releaseResources();
      }
      this.#clients = this.#userConfig.clients ?? inProcessClients(this.#broker!);
      this.#topology = resolvePatterns(this.#topology, await this.#clients.admin.listTopics());
      const counts = await this.#prepareTopics(this.#clients);
      if (isClosed()) return await this.#releaseResources();
      this.#transition('REBALANCING');
      const thread = new StreamThread({
        topology: this.#topology,
        config: this.#config,
        clients: this.#clients,
        logger: this.#logger,
        clock: this.#clock,
        stateDir: appDir,
        partitionCounts: counts,
        sourceChangelogTopics: this.#sourceChangelogTopics,
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
  async #prepareTopics(clients: Clients): Promise<Map<string, number>> {
    const admin = clients.admin;
    const existing = new Set(await admin.listTopics({ includeInternal: true }));
    const counts = new Map<string, number>();
    const describe = async (topics: string[]): Promise<void> => {
      const known = topics.filter((t) => existing.has(t) && !counts.has(t));
      if (known.length === 0) return;
      for (const d of await admin.describeTopics(known)) counts.set(d.name, d.partitions.length);
    };
    const subs = this.#topology.subtopologies;
    const written = new Set(subs.flatMap((s) => s.sinkTopics));
    await describe(subs.flatMap((s) => [...s.sourceTopics, ...s.sinkTopics]));
    // Sub-topologies reading only external topics first; a repartition topic takes its writer's partition count.
    const partitionsOf = new Map<number, number>();
    for (let pass = 0; pass < subs.length + 1 && partitionsOf.size < subs.length; pass++) {
      for (const s of subs) {
        if (partitionsOf.has(s.id)) continue;
        // An internal topic read beside co-partitioned sources takes their count even before its writer is resolved
        // (a foreign-key join's subscription and response topics make the two sub-topologies wait on each other).
        for (const t of s.sourceTopics) {
          if (counts.has(t) || !written.has(t)) continue;
          const c = this.#requestedPartitions.get(t)?.numberOfPartitions ?? coPartitionedCount(subs, t, counts);
          if (c === undefined) continue;
          if (!existing.has(t)) {
            await admin.createTopics([{ topic: t, numPartitions: c }]);
            existing.add(t);
          }
          counts.set(t, c);
        }
        const unknown = s.sourceTopics.filter((t) => !counts.has(t));
        if (unknown.some((t) => !written.has(t))) {
          throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `source topic ${unknown.find((t) => !written.has(t))} of sub-topology ${s.id} does not exist; create it first`, {
            topic: unknown.find((t) => !written.has(t))!,
          });
        }
        if (unknown.length > 0) continue;
        const ns = s.sourceTopics.map((t) => counts.get(t)!);
        if (new Set(ns).size > 1) {
          throw new StreamsError(
            'TOPOLOGY_INVALID',
            `sub-topology ${s.id} reads topics that must be co-partitioned but have different partition counts: ${s.sourceTopics.map((t, i) => `${t}=${ns[i]}`).join(', ')}`,
          );
        }
        partitionsOf.set(s.id, Math.max(...ns));
        for (const t of s.sinkTopics) {
          if (counts.has(t)) continue;
          // Repartitioned.withNumberOfPartitions wins; else a repartition topic read beside other (co-partitioned)
          // sources takes their partition count, as Kafka Streams does; else the writer's.
          const n = this.#requestedPartitions.get(t)?.numberOfPartitions ?? coPartitionedCount(subs, t, counts) ?? Math.max(...ns);
          await admin.createTopics([{ topic: t, numPartitions: n }]);
          existing.add(t);
          counts.set(t, n);
          this.#logger.info({ topic: t, partitions: n }, 'created a missing output/repartition topic');
        }
      }
    }
    for (const [name, entry] of this.#topology.stores) {
      if (entry.isGlobal || !entry.builder.loggingEnabled) continue;
      const user = subs.find((s) => s.storeNames.includes(name));
      if (user === undefined) continue;
      const n = partitionsOf.get(user.id)!;
      const topic = changelogTopicName(this.#config.applicationId, name);
      await admin.createTopics([{ topic, numPartitions: n, configs: { 'cleanup.policy': 'compact', ...entry.builder.logConfig } }]).catch(async (e: unknown) => {
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
    const thread = this.#thread!;
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

  #finishClose(): void {
    this.#transition('NOT_RUNNING');
    this.#state.complete();
  }

  async #releaseResources(): Promise<void> {
    if (this.#ownsBroker && this.#broker !== null) await this.#broker.close();
    this.#broker = null;
    this.#lock?.release();
    this.#lock = null;
  }
}

function ensureDir(dir: string): string {
  // Local import keeps fs out of the hot modules' graph.
  mkdirSync(dir, { recursive: true });
  return dir;
}

import { mkdirSync } from 'node:fs';

/** The largest known partition count of the other source topics read together with `topic`, if any. */
export function coPartitionedCount(
  subs: readonly { readonly sourceTopics: readonly string[] }[],
  topic: string,
  counts: ReadonlyMap<string, number>,
): number | undefined {
  let n: number | undefined;
  for (const s of subs) {
    if (!s.sourceTopics.includes(topic)) continue;
    for (const other of s.sourceTopics) {
      const c = other === topic ? undefined : counts.get(other);
      if (c !== undefined) n = Math.max(n ?? 0, c);
    }
  }
  return n;
}
