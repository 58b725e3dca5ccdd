import type { Logger } from 'pino';
import type { Admin } from '../src/client/admin.js';
import type { Consumer, ConsumerRecords } from '../src/client/consumer.js';
import type { Clients } from '../src/client/in-process/in-process-clients.js';
import type { Producer } from '../src/client/producer.js';
import { StreamsError, toError } from '../src/errors.js';
import { topicPartitionKey, type TopicPartition } from '../src/record.js';
import type { RestoreRecord, StateStore } from '../src/state/state-store.js';
import type { BuiltTopology } from '../src/topology/built-topology.js';
import type { Clock } from '../src/util/clock.js';
import { handleFailure } from './exception-handlers.js';
import { MetricsRegistry } from './metrics-registry.js';
import type { Metric } from '../src/processor/streams-metrics.js';
import type { MetricWindows } from './metrics/metric-windows.js';
import { collectTaskMetrics } from './metrics/task-metrics.js';
import { collectLagMetrics, collectThreadMetrics, ThreadCounters } from './metrics/thread-metrics.js';
import { RecordCollector } from './record-collector.js';
import { StreamTask, taskIdOf } from './stream-task.js';
import type { ResolvedStreamsConfig } from './streams-config.js';
import { streamsPartitionAssignor } from './streams-partition-assignor.js';
import type { PartitionAssignor } from '../src/client/assignors.js';

/**
 * Reports restoration of a store from its changelog (Kafka's StateRestoreListener).
 *
 * @example
 * ```ts
 * streams.setGlobalStateRestoreListener({ onRestoreEnd: (tp, store, n) => log.info({ store, n }, 'restored') });
 * ```
 */
export interface StateRestoreListener {
  onRestoreStart?(partition: TopicPartition, storeName: string, startOffset: number, endOffset: number): void;
  onBatchRestored?(partition: TopicPartition, storeName: string, batchEndOffset: number, numRestored: number): void;
  onRestoreEnd?(partition: TopicPartition, storeName: string, totalRestored: number): void;
}

/**
 * Flush the collector between commits once this many records wait, to bound memory; and once records have waited
 * `lingerMs` (config, 100 ms as Kafka Streams' producer linger.ms), or when the thread has nothing to process, so
 * output and repartition records reach the log (and downstream tasks) without waiting for the commit.
 */
const COLLECTOR_FLUSH_RECORDS = 10_000;
/** Kafka Streams' buffered.records.per.partition: a partition with more queued records is paused. */
const MAX_QUEUED_PER_PARTITION = 1_000;
/** Kafka Streams' transaction.timeout.ms under exactly-once: a dead instance's transaction aborts after this. */
const EOS_TRANSACTION_TIMEOUT_MS = 10_000;

/**
 * The poll -> process -> commit loop of one application instance: one group consumer over every source topic,
 * tasks created and closed on rebalance (restoring their stores from changelogs first), records fed to tasks and
 * processed synchronously, output and changelog records flushed and input offsets committed every
 * `commitIntervalMs` (at-least-once: output before offsets), then checkpoints written.
 */
export class StreamThread {
  readonly tasks = new Map<string, StreamTask>();
  /** The sensors of this thread's tasks; lists the thread's built-in metrics too. */
  readonly metrics: MetricsRegistry;
  /** Plain counters the thread's metrics are read from (see collectThreadMetrics). */
  readonly counters: ThreadCounters;
  /** The task whose stores are being restored (not in `tasks` yet), if any. */
  #restoring: StreamTask | null = null;
  readonly #topology: BuiltTopology;
  readonly #config: ResolvedStreamsConfig;
  readonly #clients: Clients;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #stateDir: string;
  readonly #collector = new RecordCollector();
  readonly #taskByPartition = new Map<string, StreamTask>();
  readonly #partitionCounts = new Map<string, number>();
  readonly #repartitionTopics: ReadonlySet<string>;
  readonly #onRebalance: (phase: 'start' | 'end') => void;
  readonly #restoreListener: () => StateRestoreListener | null;
  readonly #partitionAssignor: PartitionAssignor | undefined;
  #consumer: Consumer | null = null;
  #producer: Producer | null = null;
  #admin: Admin;
  #running = false;
  #lastCommitMs = 0;
  #lastFlushMs = 0;
  #loop: Promise<void> | null = null;
  #failure: StreamsError | null = null;
  #idle = false;
  #lastPurgeMs = 0;
  readonly #eos: boolean;
  readonly #transactionalId: string;
  #inTransaction = false;
  #crashed = false;
  /** A send or commit of the open transaction failed: it can only be aborted. */
  #transactionFailed = false;
  /** Input partitions paused because their task queue is full. */
  readonly #paused = new Set<string>();
  readonly #sourceChangelogTopics: ReadonlyMap<string, string>;
  readonly #globalStores: ReadonlyMap<string, StateStore>;

  constructor(options: {
    topology: BuiltTopology;
    config: ResolvedStreamsConfig;
    clients: Clients;
    logger: Logger;
    clock: Clock;
    stateDir: string;
    partitionCounts: ReadonlyMap<string, number>;
    sourceChangelogTopics?: ReadonlyMap<string, string>;
    globalStores?: ReadonlyMap<string, StateStore>;
    metrics?: MetricsRegistry;
    /** The transactional id under exactly-once (Kafka Streams: `<applicationId>-<processId>-<thread>`). */
    transactionalId?: string;
    onRebalance: (phase: 'start' | 'end') => void;
    restoreListener: () => StateRestoreListener | null;
    /** The group assignor (default: a streams assignor without an applicationServer). */
    partitionAssignor?: PartitionAssignor;
  }) {
    this.#topology = options.topology;
    this.#config = options.config;
    this.#clients = options.clients;
    this.#admin = options.clients.admin;
    this.#clock = options.clock;
    this.metrics = options.metrics ?? new MetricsRegistry(`${options.config.applicationId}-StreamThread-1`, { clock: options.clock });
    this.#logger = options.logger.child({ threadId: this.metrics.threadId });
    this.counters = new ThreadCounters(options.clock.nowMs());
    this.metrics.setCollector((out, nowMs, windows) => this.#collectMetrics(out, nowMs, windows));
    this.#stateDir = options.stateDir;
    for (const [t, n] of options.partitionCounts) this.#partitionCounts.set(t, n);
    this.#sourceChangelogTopics = options.sourceChangelogTopics ?? new Map();
    this.#globalStores = options.globalStores ?? new Map();
    this.#eos = options.config.processingGuarantee === 'exactly_once_v2';
    this.#transactionalId = options.transactionalId ?? `${options.config.applicationId}-1`;
    this.#repartitionTopics = new Set(options.topology.subtopologies.flatMap((s) => s.repartitionTopics));
    this.#onRebalance = options.onRebalance;
    this.#restoreListener = options.restoreListener;
    this.#partitionAssignor = options.partitionAssignor;
  }

  /** The error that stopped the loop, if any. */
  get failure(): StreamsError | null {
    return this.#failure;
  }

  /** The task restoring its stores now (before it joins `tasks`), or null. */
  get restoringTask(): StreamTask | null {
    return this.#restoring;
  }

  /** Lists the thread's metrics, its tasks' (the restoring one too) and the lag of its input partitions. */
  #collectMetrics(out: Metric[], nowMs: number, windows: MetricWindows): void {
    const threadId = this.metrics.threadId;
    collectThreadMetrics(threadId, this.counters, windows, nowMs, out);
    for (const task of this.tasks.values()) collectTaskMetrics(task, threadId, windows, nowMs, out);
    if (this.#restoring !== null) collectTaskMetrics(this.#restoring, threadId, windows, nowMs, out);
    if (this.#consumer !== null && this.#running) collectLagMetrics(`${threadId}-consumer`, this.#consumer, out);
  }

  /** Starts the loop; `done` resolves when it stops (after close, or after a failure). */
  start(): Promise<void> {
    const sourceTopics = [...new Set(this.#topology.subtopologies.flatMap((s) => s.sourceTopics))];
    this.#producer = this.#clients.producer({
      clientId: `${this.#config.applicationId}-producer`,
      // Exactly-once v2: one transactional producer per instance; its id survives restarts of the same state
      // directory, so a restarted instance fences its dead predecessor and aborts what it left open at once.
      ...(this.#eos ? { transactionalId: this.#transactionalId, transactionTimeoutMs: EOS_TRANSACTION_TIMEOUT_MS } : {}),
    });
    this.#consumer = this.#clients.consumer({
      isolationLevel: this.#eos ? 'read_committed' : 'read_uncommitted',
      groupId: this.#config.applicationId,
      clientId: `${this.#config.applicationId}-consumer`,
      autoOffsetReset: this.#config.autoOffsetReset,
      enableAutoCommit: false,
      maxPollRecords: this.#config.maxPollRecords,
      sessionTimeoutMs: this.#config.sessionTimeoutMs,
      heartbeatIntervalMs: this.#config.heartbeatIntervalMs,
      assignors: [this.#partitionAssignor ?? streamsPartitionAssignor(this.#topology.subtopologies)],
    });
    this.#consumer.subscribe(sourceTopics, {
      onPartitionsRevoked: async (partitions) => {
        this.#onRebalance('start');
        await this.#revoke(partitions);
      },
      onPartitionsAssigned: async (partitions) => {
        this.counters.rebalances++;
        this.#onRebalance('start');
        await this.#assign(partitions);
        this.#onRebalance('end');
      },
      onPartitionsLost: async (partitions) => {
        this.#onRebalance('start');
        // The new owners restore from the changelog; output of the lost tasks not yet sent must not follow them
        // there (it could overwrite a newer owner's changelog with stale values). Partitions are lost all at once.
        this.#collector.drain(new Map());
        await this.#abortTransaction();
        this.#closeTasksFor(partitions, false);
      },
    });
    this.#running = true;
    // As Kafka Streams' StreamThread: the first purge waits one purge interval from the start, like later ones.
    this.#lastCommitMs = this.#lastPurgeMs = this.#lastFlushMs = this.#clock.nowMs();
    this.counters.startedMs = this.#lastCommitMs;
    this.#loop = this.#run();
    return this.#loop;
  }

  /** When polls began failing with retriable errors (the brokers unreachable), or null while they succeed. */
  #unreachableSinceMs: number | null = null;

  /**
   * One poll; a retriable failure (a broker restarting, a coordinator moving) is logged and retried after a backoff
   * for up to `taskTimeoutMs` (Kafka Streams' task.timeout.ms), returning null meanwhile, before it fails the thread.
   */
  async #poll(consumer: Consumer, waitMs: number): Promise<ConsumerRecords | null> {
    try {
      const startMs = performance.now();
      const polled = await consumer.poll({ maxRecords: this.#config.maxPollRecords, maxWaitMs: waitMs });
      this.counters.pollLatency.record(performance.now() - startMs);
      this.counters.recordsConsumed += polled.count;
      if (this.#unreachableSinceMs !== null) this.#logger.info('polls succeed again');
      this.#unreachableSinceMs = null;
      return polled;
    } catch (e: unknown) {
      if (!(e instanceof StreamsError) || !e.retriable || e.code === 'REBALANCE_IN_PROGRESS') throw e;
      const now = this.#clock.nowMs();
      this.#unreachableSinceMs ??= now;
      const failingMs = now - this.#unreachableSinceMs;
      if (failingMs >= this.#config.taskTimeoutMs) {
        throw new StreamsError(e.code, `polls kept failing for ${failingMs} ms (taskTimeoutMs ${this.#config.taskTimeoutMs}): ${e.message}`, { cause: e });
      }
      this.#logger.warn({ err: e, failingMs }, 'poll failed with a retriable error; retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 + failingMs / 4)));
      return null;
    }
  }

  async #run(): Promise<void> {
    const consumer = this.#consumer!;
    try {
      if (this.#eos) await this.#producer!.initTransactions();
      while (this.#running) {
        // Records still buffered (a task waiting out maxTaskIdleMs for its empty partitions) must not make the loop
        // spin: then poll waits a little for the missing partitions' data.
        const buffered = this.#bufferedCount();
        const waitMs = buffered === 0 ? this.#config.pollMs : this.#idle ? Math.min(this.#config.pollMs, Math.max(1, this.#config.maxTaskIdleMs)) : 0;
        const polled = await this.#poll(consumer, waitMs);
        if (!this.#running) break;
        if (polled === null) continue;
        for (const b of polled.batches) {
          const task = this.#taskByPartition.get(topicPartitionKey(b.topic, b.partition));
          if (task === undefined) continue;
          task.addRecords(b.topic, b.partition, b.records);
          // As Kafka Streams (buffered.records.per.partition): stop fetching a partition whose queue is full, so the
          // task's other partitions get fetched and it can keep choosing records in timestamp order.
          if (task.queuedCount(b.topic, b.partition) > MAX_QUEUED_PER_PARTITION) {
            consumer.pause([{ topic: b.topic, partition: b.partition }]);
            this.#paused.add(topicPartitionKey(b.topic, b.partition));
          }
        }
        const lagging = this.#config.maxTaskIdleMs >= 0 ? await this.#laggingPartitions() : undefined;
        let processed = 0;
        const processStartMs = performance.now();
        for (const task of this.tasks.values()) processed += task.process(Number.MAX_SAFE_INTEGER, lagging);
        if (processed > 0) this.counters.processLatency.record(performance.now() - processStartMs, processed);
        this.#resumeDrained(consumer);
        this.#idle = processed === 0;
        const now = this.#clock.nowMs();
        for (const task of this.tasks.values()) this.counters.punctuateTotal += task.punctuateWallClock(now);
        const requested = [...this.tasks.values()].some((t) => t.isCommitRequested);
        if (requested || now - this.#lastCommitMs >= this.#config.commitIntervalMs) await this.commit();
        else if (this.#shouldFlush(processed, now)) await this.#flushCollector();
      }
    } catch (e: unknown) {
      if (this.#crashed) return; // a simulated crash: nothing may run any more, not even cleanup
      this.#failure = e instanceof StreamsError ? e : new StreamsError('PROCESSING_FAILED', `stream thread failed: ${toError(e).message}`, { cause: e });
      this.#running = false;
      // A record that cannot be deserialized touched nothing: everything before it was fully processed, so it is
      // committed (its own offset is not). A processor that threw may have half-written stores and output: then
      // the tasks are closed dirty and nothing after the last commit is committed (never half a record).
      let committed = false;
      if (this.#failure.code === 'SERDE_FAILED' && !this.#transactionFailed) {
        try {
          await this.commit();
          committed = true;
        } catch (err: unknown) {
          this.#logger.warn({ err }, 'committing before stopping on a poison record failed');
        }
      }
      this.#logger.error(
        { err: this.#failure },
        committed ? 'stream thread stopped on a record it cannot read; everything before it is committed' : 'stream thread stopped on an error; nothing after the last commit is committed',
      );
      if (!committed) await this.#abortTransaction();
      for (const task of this.tasks.values()) task.close();
      this.counters.tasksClosed += this.tasks.size;
      this.tasks.clear();
      this.#taskByPartition.clear();
      // Leave the group now (as a dead Kafka StreamThread does), so other instances take these tasks over.
      await consumer.close().catch((err: unknown) => this.#logger.warn({ err }, 'consumer close after a failure failed'));
      throw this.#failure;
    }
  }

  /**
   * Input partitions of multi-partition tasks that have records on the broker beyond the consumer's position (keys
   * `topic\u0000partition`): a task must not process past them while their queue is empty (KIP-695).
   */
  async #laggingPartitions(): Promise<Set<string> | undefined> {
    const tps: TopicPartition[] = [];
    for (const task of this.tasks.values()) {
      const inputs = task.inputPartitions;
      if (inputs.length < 2) continue;
      // Every input partition: a queue that is not empty now may run empty while the task processes.
      for (const tp of inputs) tps.push(tp);
    }
    if (tps.length === 0) return undefined;
    const ends = await this.#endOffsets(tps);
    const out = new Set<string>();
    for (let i = 0; i < tps.length; i++) {
      const tp = tps[i]!;
      if ((await this.#consumer!.position(tp)) < ends[i]!) out.add(`${tp.topic}\u0000${tp.partition}`);
    }
    return out;
  }

  async #endOffsets(tps: readonly TopicPartition[]): Promise<number[]> {
    // The last stable offset under read_committed: records of an open transaction cannot be fetched yet.
    return (await this.#consumer!.endOffsets(tps)).map((e) => e.offset);
  }

  #resumeDrained(consumer: Consumer): void {
    if (this.#paused.size === 0) return;
    const resume: TopicPartition[] = [];
    for (const key of this.#paused) {
      const task = this.#taskByPartition.get(key);
      const tp = task?.inputPartitions.find((p) => topicPartitionKey(p.topic, p.partition) === key);
      if (task === undefined || tp === undefined) {
        this.#paused.delete(key);
        continue;
      }
      if (task.queuedCount(tp.topic, tp.partition) <= MAX_QUEUED_PER_PARTITION / 2) {
        resume.push(tp);
        this.#paused.delete(key);
      }
    }
    if (resume.length > 0) consumer.resume(resume);
  }

  #shouldFlush(processed: number, nowMs: number): boolean {
    const size = this.#collector.size;
    return size >= COLLECTOR_FLUSH_RECORDS || (size > 0 && (processed === 0 || nowMs - this.#lastFlushMs >= this.#config.lingerMs));
  }

  #bufferedCount(): number {
    let n = 0;
    for (const t of this.tasks.values()) n += t.bufferedCount;
    return n;
  }

  /** Flushes stores and output, commits input offsets, writes checkpoints and purges repartition topics. */
  async commit(options: { checkpoint?: boolean } = {}): Promise<void> {
    const startMs = performance.now();
    const offsets: { topic: string; partition: number; offset: number; metadata: string }[] = [];
    for (const task of this.tasks.values()) offsets.push(...task.prepareCommit());
    await this.#flushCollector();
    if (this.#eos) {
      // Output, changelog records and input offsets commit together, or not at all.
      if (offsets.length > 0 || this.#inTransaction) {
        try {
          this.#beginTransaction();
          if (offsets.length > 0) await this.#producer!.sendOffsetsToTransaction(offsets, this.#consumer!.groupMetadata()!);
          await this.#producer!.commitTransaction();
          this.#inTransaction = false;
        } catch (e: unknown) {
          this.#transactionFailed = true;
          throw e;
        }
      }
    } else if (offsets.length > 0) await this.#consumer!.commit(offsets);
    this.#lastCommitMs = this.#clock.nowMs();
    // Commit latency as Kafka Streams measures it: flushing stores and output, and committing the offsets.
    if (offsets.length > 0) this.counters.commitLatency.record(performance.now() - startMs);
    // Under exactly-once a checkpoint is written only when tasks close cleanly: while they run, a persistent store may
    // hold writes of a transaction that never commits, and without a checkpoint it is rebuilt from the changelog.
    if (!this.#eos || options.checkpoint === true) await this.#writeCheckpoints(offsets);
    const now = this.#clock.nowMs();
    if (now - this.#lastPurgeMs < this.#config.repartitionPurgeIntervalMs) return;
    this.#lastPurgeMs = now;
    const purge = offsets.filter((o) => this.#repartitionTopics.has(o.topic)).map((o) => ({ topic: o.topic, partition: o.partition, beforeOffset: o.offset }));
    if (purge.length > 0) {
      // Records of a repartition topic below the committed offset are never needed again.
      await this.#admin.deleteRecords(purge).catch((e: unknown) => this.#logger.warn({ err: e }, 'purging repartition topics failed'));
    }
  }

  #beginTransaction(): void {
    if (this.#inTransaction) return;
    this.#producer!.beginTransaction();
    this.#inTransaction = true;
  }

  /** Aborts the open transaction, if any (best effort: a fenced or failed producer cannot). */
  async #abortTransaction(): Promise<void> {
    if (!this.#eos || !this.#inTransaction) return;
    this.#inTransaction = false;
    this.#collector.drain(new Map());
    await this.#producer!.abortTransaction().catch((e: unknown) => this.#logger.warn({ err: e }, 'aborting the transaction failed'));
  }

  async #flushCollector(): Promise<void> {
    this.#lastFlushMs = this.#clock.nowMs();
    if (this.#collector.size === 0) return;
    const missing = this.#collector.topicsNeedingPartitionCount().filter((t) => !this.#partitionCounts.has(t));
    if (missing.length > 0) {
      for (const d of await this.#admin.describeTopics(missing)) this.#partitionCounts.set(d.name, d.partitions.length);
    }
    this.counters.recordsProduced += this.#collector.size;
    const batches = this.#collector.drain(this.#partitionCounts);
    if (this.#eos) {
      // A failed send dooms the transaction (it can only abort): the production handler cannot skip records here.
      this.#beginTransaction();
      try {
        await this.#producer!.sendBatch(batches);
      } catch (e: unknown) {
        this.#transactionFailed = true;
        throw e;
      }
      return;
    }
    try {
      await this.#producer!.sendBatch(batches);
    } catch (e: unknown) {
      // Find the records the log refuses, one topic-partition group at a time, and ask the handler about each.
      for (const b of batches) {
        for (const m of b.messages) {
          try {
            await this.#producer!.send({ topic: b.topic, messages: [m] });
          } catch (err: unknown) {
            handleFailure(this.#config.productionExceptionHandler, toError(err), { topic: b.topic, partition: m.partition }, 'production', this.#logger);
          }
        }
      }
      this.#logger.debug({ err: e }, 'a batch of output was retried record by record');
    }
  }

  async #writeCheckpoints(committed: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
    const requests: (TopicPartition & { spec: 'latest'; task: StreamTask; store: string })[] = [];
    const byTask = new Map<StreamTask, Map<string, number>>();
    const put = (task: StreamTask, store: string, offset: number): void => {
      let m = byTask.get(task);
      if (m === undefined) byTask.set(task, (m = new Map()));
      m.set(store, offset);
    };
    for (const task of this.tasks.values()) {
      for (const c of task.stateManager.changelogs()) {
        if (!c.persistent) continue;
        if (c.isSourceTopic) {
          // A source-topic changelog holds what was consumed: the store is current up to the committed offset.
          const o = committed.find((x) => x.topic === c.topic && x.partition === c.partition);
          if (o !== undefined) put(task, c.storeName, o.offset);
        } else requests.push({ topic: c.topic, partition: c.partition, spec: 'latest', task, store: c.storeName });
      }
    }
    if (requests.length > 0) {
      const ends = await this.#admin.listOffsets(requests.map(({ topic, partition, spec }) => ({ topic, partition, spec })));
      requests.forEach((r, i) => put(r.task, r.store, ends[i]!.offset));
    }
    for (const [task, m] of byTask) task.stateManager.writeCheckpoint(m);
  }

  async #assign(partitions: readonly TopicPartition[]): Promise<void> {
    const byTask = new Map<string, { sub: number; partition: number; tps: TopicPartition[] }>();
    for (const tp of partitions) {
      const sub = this.#topology.subtopologies.find((s) => s.sourceTopics.includes(tp.topic));
      if (sub === undefined) continue;
      const id = taskIdOf(sub.id, tp.partition);
      let e = byTask.get(id);
      if (e === undefined) byTask.set(id, (e = { sub: sub.id, partition: tp.partition, tps: [] }));
      e.tps.push(tp);
    }
    const storesPerTask = Math.max(1, this.#topology.subtopologies.reduce((n, s) => n + s.storeNames.length, 0));
    for (const [id, e] of byTask) {
      if (this.tasks.has(id)) continue;
      const sub = this.#topology.subtopologies.find((s) => s.id === e.sub)!;
      const task = new StreamTask({
        topology: this.#topology,
        subtopology: sub,
        partition: e.partition,
        config: this.#config,
        collector: this.#collector,
        clock: this.#clock,
        logger: this.#logger,
        stateDir: this.#stateDir,
        inputPartitions: e.tps,
        cacheMaxBytesPerStore: Math.floor(this.#config.cacheMaxBytes / Math.max(1, byTask.size * storesPerTask)),
        sourceChangelogTopics: this.#sourceChangelogTopics,
        globalStores: this.#globalStores,
        metrics: this.metrics,
      });
      this.counters.tasksCreated++;
      task.initializeTime(await this.#consumer!.committed(e.tps));
      this.#restoring = task;
      try {
        await this.#restore(task);
      } finally {
        this.#restoring = null;
        this.counters.restoreRemaining = 0;
      }
      // Under exactly-once the stores now run ahead of any checkpoint: a crash from here on must rebuild them.
      if (this.#eos) task.stateManager.deleteCheckpoint();
      task.initProcessors(this.#topology);
      this.tasks.set(id, task);
      for (const tp of e.tps) this.#taskByPartition.set(topicPartitionKey(tp.topic, tp.partition), task);
      this.#logger.debug({ taskId: id }, 'task created');
    }
  }

  async #restore(task: StreamTask): Promise<void> {
    const changelogs = task.stateManager.changelogs();
    if (changelogs.length === 0) return;
    const tps = changelogs.map((c) => ({ topic: c.topic, partition: c.partition }));
    // Under exactly-once only committed changelog records are restored (read_committed, up to the last stable offset).
    const restorer = this.#clients.consumer({ autoOffsetReset: 'earliest', maxPollRecords: 10_000, isolationLevel: this.#eos ? 'read_committed' : 'read_uncommitted' });
    try {
      const latest = this.#eos ? await restorer.endOffsets(tps) : await this.#admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
      // A source-topic changelog is restored only up to the committed offset: what follows is processed normally.
      const committed = await this.#consumer!.committed(tps);
      const ends = changelogs.map((c, i) => ({ offset: c.isSourceTopic ? (committed[i]?.offset ?? 0) : latest[i]!.offset }));
      const starts = await this.#admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'earliest' as const })));
      const listener = this.#restoreListener();
      const ranges: { start: number; end: number }[] = [];
      let remaining = 0;
      for (let i = 0; i < changelogs.length; i++) {
        const c = changelogs[i]!;
        const end = ends[i]!.offset;
        const earliest = starts[i]!.offset;
        let start = c.checkpoint ?? earliest;
        if (start > end || start < earliest) {
          this.#logger.warn({ store: c.storeName, checkpoint: start, earliest, end }, 'checkpoint outside the changelog; restoring from its start');
          start = earliest;
        }
        ranges.push({ start, end });
        if (start < end) remaining += end - start;
      }
      // Restore progress, in changelog offsets still to read (restore-remaining-records).
      const counters = this.counters;
      counters.restoreRemaining = task.counters.restoreRemaining = remaining;
      for (let i = 0; i < changelogs.length; i++) {
        const c = changelogs[i]!;
        const { start, end } = ranges[i]!;
        const tp = { topic: c.topic, partition: c.partition };
        if (start >= end) continue;
        listener?.onRestoreStart?.(tp, c.storeName, start, end);
        restorer.assign([tp]);
        restorer.seek(tp, start);
        let total = 0;
        let position = start;
        while (position < end) {
          const polled = await restorer.poll({ maxRecords: 10_000, maxWaitMs: 100 });
          if (polled.count === 0 && (await restorer.position(tp)) >= end) break;
          for (const b of polled.batches) {
            const batch: RestoreRecord[] = [];
            const from = position;
            for (const r of b.records) {
              if (r.offset >= end) break;
              if (r.key !== null) batch.push({ key: r.key, value: r.value, timestampMs: r.timestampMs });
              position = r.offset + 1;
            }
            task.stateManager.restore(c.storeName, batch);
            total += batch.length;
            counters.restoreRecords += batch.length;
            task.counters.restored += batch.length;
            counters.restoreRemaining = task.counters.restoreRemaining -= position - from;
            listener?.onBatchRestored?.(tp, c.storeName, position, batch.length);
          }
        }
        // Offsets past the last record read (transaction markers, compacted gaps) need no restoring either.
        counters.restoreRemaining = task.counters.restoreRemaining -= Math.max(0, end - position);
        listener?.onRestoreEnd?.(tp, c.storeName, total);
        this.#logger.debug({ taskId: task.id, store: c.storeName, total }, 'restored store from changelog');
      }
    } finally {
      await restorer.close();
    }
  }

  async #revoke(partitions: readonly TopicPartition[]): Promise<void> {
    if (!this.#running && this.tasks.size === 0) return;
    const affected = new Set<StreamTask>();
    for (const tp of partitions) {
      const t = this.#taskByPartition.get(topicPartitionKey(tp.topic, tp.partition));
      if (t !== undefined) affected.add(t);
    }
    if (affected.size === 0) return;
    // Commit everything processed so far before giving the partitions away (eager rebalancing).
    if (this.#failure === null) await this.commit({ checkpoint: true });
    this.#closeTasksFor(partitions, true);
  }

  #closeTasksFor(partitions: readonly TopicPartition[], _clean: boolean): void {
    for (const tp of partitions) {
      const key = topicPartitionKey(tp.topic, tp.partition);
      const t = this.#taskByPartition.get(key);
      if (t === undefined) continue;
      for (const p of t.inputPartitions) this.#taskByPartition.delete(topicPartitionKey(p.topic, p.partition));
      this.tasks.delete(t.id);
      t.close();
      this.counters.tasksClosed++;
    }
  }

  /**
   * Test hook: dies as a killed process would. The loop stops without committing, the consumer stops heartbeating
   * without leaving (the group evicts it after the session timeout), the open transaction stays open (the broker
   * aborts it after its timeout), stores and checkpoints are left as they are.
   */
  simulateCrash(): void {
    this.#running = false;
    this.#crashed = true;
    (this.#consumer as { simulateCrash?: () => void } | null)?.simulateCrash?.();
  }

  /** Stops the loop after the current iteration, commits, closes tasks and leaves the group. */
  async close(): Promise<void> {
    const wasRunning = this.#running;
    this.#running = false;
    if (this.#loop !== null) await this.#loop.catch(() => undefined);
    if (wasRunning && this.#failure === null) {
      try {
        await this.commit({ checkpoint: true });
      } catch (e: unknown) {
        this.#logger.error({ err: e }, 'final commit failed');
      }
    }
    for (const task of this.tasks.values()) task.close();
    this.counters.tasksClosed += this.tasks.size;
    this.tasks.clear();
    this.#taskByPartition.clear();
    await this.#consumer?.close().catch((e: unknown) => this.#logger.warn({ err: e }, 'consumer close failed'));
    await this.#producer?.close();
  }
}
