import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { StreamsError, toError } from '../errors.js';
import { systemClock, type Clock } from '../util/clock.js';
import { defaultLogger } from '../util/logger.js';
import { systemTimers, type TimerHandle, type Timers } from '../util/timers.js';
import type { TopicPartition } from '../record.js';
import type { AbortedTransaction } from './aborted-transactions-index.js';
import { encodeControlBatch, type ControlRecordType } from './control-batch.js';
import { DirectoryLock } from './directory-lock.js';
import { GroupCoordinator } from './group-coordinator.js';
import { LogCleaner } from './log-cleaner.js';
import { BATCH } from './log-segment.js';
import { OffsetsTopic, CONSUMER_OFFSETS_TOPIC } from './offsets-topic.js';
import { PartitionLog, type AppendInfo } from './partition-log.js';
import { FileStorage, MemoryStorage, type Storage } from './storage.js';
import { parseTopicConfig, validateTopicName, type TopicConfig, type TopicConfigInput } from './topic-config.js';
import { TransactionCoordinator } from './transaction-coordinator.js';
import { TRANSACTION_STATE_TOPIC, TransactionStateTopic } from './transaction-state-topic.js';
import type { KafkaServer, KafkaServerOptions } from './server/kafka-server.js';

/**
 * When appended bytes are made durable before the append is acknowledged.
 * - `'os'`: written to the OS page cache and acknowledged (survives a process crash, not a power loss);
 * - `{ intervalMs }`: as 'os', plus an fdatasync of every written partition each interval;
 * - `'always'`: group commit: appends wait for one fdatasync shared by every append waiting at that moment.
 */
export type FlushPolicy = 'os' | { readonly intervalMs: number } | 'always';

/**
 * Options of {@link Broker.open}.
 *
 * @example
 * ```ts
 * const broker = await Broker.open({ dataDir: './data', flush: 'always' });
 * ```
 */
export interface BrokerOptions {
  /** Directory of the log; omit (or pass `storage`) for an in-memory broker. */
  readonly dataDir?: string;
  /** Storage backend; defaults to files under `dataDir`, or memory without one. */
  readonly storage?: Storage;
  readonly flush?: FlushPolicy;
  readonly clock?: Clock;
  readonly timers?: Timers;
  readonly logger?: Logger;
  /** Defaults applied to every topic created without them (Kafka's broker-level `log.*` settings). */
  readonly defaultTopicConfig?: TopicConfigInput;
  /** How often retention, segment.ms rolls and compaction run; 0 disables the timer (call runMaintenance). */
  readonly maintenanceIntervalMs?: number;
  /** Partitions of `__consumer_offsets` (Kafka: offsets.topic.num.partitions). */
  readonly offsetsTopicPartitions?: number;
  /** Kafka's group.initial.rebalance.delay.ms. */
  readonly groupInitialRebalanceDelayMs?: number;
  /** Kafka's group.min.session.timeout.ms (default 6000); lower it for tests that kill consumers. */
  readonly groupMinSessionTimeoutMs?: number;
  /** Partitions of `__transaction_state`, created on first transactional use (Kafka: transaction.state.log.num.partitions). */
  readonly transactionStateTopicPartitions?: number;
  /** Kafka's transaction.max.timeout.ms: the largest timeout a transactional producer may ask for (default 900000). */
  readonly transactionMaxTimeoutMs?: number;
  /**
   * Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms: how often transactions open longer than
   * their timeout are aborted (default 10000; 0 disables the timer: runMaintenance also does it).
   */
  readonly transactionAbortTimedOutIntervalMs?: number;
}

/**
 * Which records a fetch may return: every acknowledged one (`read_uncommitted`, up to the high watermark), or only
 * those of committed transactions and plain producers (`read_committed`, up to the last stable offset, with the
 * aborted transactions in range so the reader can skip them).
 *
 * @example
 * ```ts
 * await broker.fetch([{ topic: 'out', partition: 0, offset: 0 }], { isolationLevel: 'read_committed' });
 * ```
 */
export type FetchIsolationLevel = 'read_uncommitted' | 'read_committed';

/** A topic as the broker holds it. */
export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  readonly numPartitions: number;
  readonly config: TopicConfig;
  readonly isInternal: boolean;
}

/** One partition's part of a fetch request. */
export interface FetchPartition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Per-partition byte budget (Kafka's max.partition.fetch.bytes); at least one batch is always returned. */
  readonly maxBytes?: number;
}

/** One partition's part of a fetch response: whole record batches, or an error for that partition. */
export interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly bytes: Buffer;
  readonly nextOffset: number;
  readonly highWatermark: number;
  /** Offsets below it are in no open transaction (Kafka's LSO); the high watermark when none is open. */
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** read_committed only: transactions aborted in the fetched range (absent when none). */
  readonly abortedTransactions?: readonly AbortedTransaction[];
  readonly error?: StreamsError;
}

/** One batch to append with {@link Broker.produce}. */
export interface ProduceEntry {
  readonly topic: string;
  readonly partition: number;
  /** A record batch v2 (any base offset; the broker assigns offsets in place). */
  readonly batch: Buffer;
  /**
   * Set only by in-process callers that built `batch` with `encodeBatch` just now (the in-process producer, the
   * test driver): the size is still checked, but not the CRC and grammar, which cannot be wrong. Bytes from
   * anywhere else (the network) are always fully checked.
   */
  readonly isTrusted?: boolean;
}

interface Topic {
  info: TopicInfo;
  partitions: PartitionLog[];
  /** Name of its file in `__topics/`. */
  metaFile: string;
}

interface FetchWaiter {
  fire(): void;
}

const TOPIC_META_DIR = '__topics';
const CONTROL_BIT = 0x20;
const CLEAN_SHUTDOWN = '.clean-shutdown';
const EMPTY = Buffer.alloc(0);

/**
 * The included broker: a durable, partitioned log shaped like Kafka, embedded in the process. Topics have
 * partitions made of segment files holding Kafka record batches v2; offsets, high watermark, last stable offset and
 * log start offset follow Kafka; consumer groups and committed offsets (in `__consumer_offsets`) and the transaction
 * coordinator (state in `__transaction_state`) live here too. Reach it through the
 * client seam (`inProcessClients(broker)`), never through its files.
 *
 * @example
 * ```ts
 * const broker = await Broker.open({ dataDir: './data' });
 * const { admin, producer } = inProcessClients(broker);
 * await admin.createTopics([{ topic: 'lines', numPartitions: 3 }]);
 * await producer.send({ topic: 'lines', messages: [{ key: null, value: Buffer.from('hello') }] });
 * await broker.close();
 * ```
 */
export class Broker {
  readonly storage: Storage;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly flush: FlushPolicy;
  readonly groups: GroupCoordinator;
  /** The transaction coordinator (transactional producers reach it through the client seam). */
  readonly transactions: TransactionCoordinator;
  readonly #defaults: TopicConfig;
  readonly #topics = new Map<string, Topic>();
  readonly #waiters = new Map<PartitionLog, Set<FetchWaiter>>();
  #pendingAcks: { log: PartitionLog; end: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  #syncing: Promise<void> | null = null;
  #maintenanceTimer: TimerHandle | null = null;
  #flushTimer: TimerHandle | null = null;
  #txnTimer: TimerHandle | null = null;
  readonly #txnAbortIntervalMs: number;
  readonly #txnState: TransactionStateTopic;
  /** Completion of the transactions a crash left in Prepare*, started at open. */
  #recovering: Promise<void> = Promise.resolve();
  readonly #maintenanceIntervalMs: number;
  readonly #cleaner: LogCleaner;
  readonly #offsets: OffsetsTopic;
  readonly #lock: DirectoryLock | null;
  #producerIdBlock = { next: 0, end: 0 };
  #closed = false;

  private constructor(options: BrokerOptions, storage: Storage, dataDir: string, lock: DirectoryLock | null) {
    this.storage = storage;
    this.dataDir = dataDir;
    this.#lock = lock;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger ?? defaultLogger();
    this.flush = options.flush ?? 'os';
    this.#defaults = parseTopicConfig(options.defaultTopicConfig);
    this.#maintenanceIntervalMs = options.maintenanceIntervalMs ?? 30_000;
    this.#cleaner = new LogCleaner({ storage, clock: this.clock, logger: this.logger });
    this.#offsets = new OffsetsTopic(this, options.offsetsTopicPartitions ?? 8);
    this.groups = new GroupCoordinator({
      clock: this.clock,
      timers: this.timers,
      logger: this.logger,
      offsetStore: this.#offsets,
      ...(options.groupInitialRebalanceDelayMs === undefined ? {} : { initialRebalanceDelayMs: options.groupInitialRebalanceDelayMs }),
      ...(options.groupMinSessionTimeoutMs === undefined ? {} : { minSessionTimeoutMs: options.groupMinSessionTimeoutMs }),
    });
    this.#txnAbortIntervalMs = options.transactionAbortTimedOutIntervalMs ?? 10_000;
    this.#txnState = new TransactionStateTopic(this, options.transactionStateTopicPartitions ?? 8);
    this.transactions = new TransactionCoordinator({
      clock: this.clock,
      logger: this.logger,
      ...(options.transactionMaxTimeoutMs === undefined ? {} : { maxTimeoutMs: options.transactionMaxTimeoutMs }),
      host: {
        allocateProducerId: () => this.allocateProducerId(),
        persist: (state) => {
          this.#startTransactionTimer();
          return this.#txnState.persist(state);
        },
        writeMarkers: async (type, producerId, producerEpoch, partitions) => {
          await this.#writeMarkers(type, producerId, producerEpoch, partitions);
        },
        onTransactionCompleted: (producerId, isCommit) => this.groups.completeTransaction(producerId, isCommit),
        offsetsPartitionFor: (groupId) => this.#offsets.partitionFor(groupId),
        hasPartition: (topic, partition) => {
          const t = this.#topics.get(topic);
          return t !== undefined && Number.isInteger(partition) && partition >= 0 && partition < t.partitions.length;
        },
      },
    });
  }

  /**
   * Opens (or creates) a broker. With `dataDir`, the directory is locked against a second broker, every topic is
   * reopened and, after an unclean shutdown, the tail of each log is validated and any torn or corrupt bytes cut.
   */
  static async open(options: BrokerOptions = {}): Promise<Broker> {
    const broker = Broker.openSync(options);
    await broker.#recovering;
    return broker;
  }

  /**
   * {@link Broker.open} without the promise, for callers that cannot await (the TopologyTestDriver's constructor).
   * Opening does no asynchronous I/O, so both behave the same, except that transactions a crash left half-completed
   * are finished in the background here (open waits for that).
   */
  static openSync(options: BrokerOptions = {}): Broker {
    const storage = options.storage ?? (options.dataDir === undefined ? new MemoryStorage() : new FileStorage());
    const dataDir = path.resolve(options.dataDir ?? '/tributary-memory');
    storage.mkdirp(dataDir);
    const lock = storage.kind === 'file' ? DirectoryLock.acquire(dataDir) : null;
    const broker = new Broker(options, storage, dataDir, lock);
    try {
      broker.#load();
      broker.#offsets.open();
      const states = broker.#txnState.load();
      broker.transactions.load(states);
      if (states.size > 0) broker.#startTransactionTimer();
    } catch (e: unknown) {
      lock?.release();
      throw e;
    }
    broker.#startTimers();
    broker.#recovering = broker.transactions
      .completePending()
      .catch((e: unknown) => broker.logger.error({ err: toError(e) }, 'completing interrupted transactions failed; retried by the timeout check'));
    return broker;
  }

  #load(): void {
    const storage = this.storage;
    const cleanMarker = path.join(this.dataDir, CLEAN_SHUTDOWN);
    const wasClean = storage.exists(cleanMarker);
    storage.remove(cleanMarker);
    const metaDir = path.join(this.dataDir, TOPIC_META_DIR);
    storage.mkdirp(metaDir);
    for (const name of storage.list(metaDir)) {
      if (!name.endsWith('.json')) continue;
      const raw = storage.readFile(path.join(metaDir, name));
      if (raw === null) continue;
      const meta = JSON.parse(raw.toString('utf8')) as { name: string; topicId: string; numPartitions: number; config: TopicConfigInput };
      this.#openTopic(meta.name, meta.topicId, meta.numPartitions, parseTopicConfig(meta.config, this.#defaults), wasClean, name);
    }
    const pids = storage.readFile(path.join(this.dataDir, 'producer-ids'));
    const start = pids === null ? 0 : Number(pids.toString('utf8')) || 0;
    this.#producerIdBlock = { next: start, end: start };
    if (!wasClean && this.#topics.size > 0) this.logger.info({ dataDir: this.dataDir }, 'opened after an unclean shutdown; log tails were validated');
  }

  #openTopic(name: string, topicId: string, numPartitions: number, config: TopicConfig, wasClean: boolean, metaFile: string): Topic {
    const topic: Topic = {
      // As Kafka: only the coordinators' own topics are internal (a user may name a topic `__heartbeat`).
      info: { name, topicId, numPartitions, config, isInternal: name === CONSUMER_OFFSETS_TOPIC || name === TRANSACTION_STATE_TOPIC },
      partitions: [],
      metaFile,
    };
    for (let p = 0; p < numPartitions; p++) {
      topic.partitions.push(
        new PartitionLog({
          storage: this.storage,
          dir: path.join(this.dataDir, `${name}-${p}`),
          topic: name,
          partition: p,
          config: () => topic.info.config,
          clock: this.clock,
          logger: this.logger,
          wasCleanShutdown: wasClean,
        }),
      );
    }
    this.#topics.set(name, topic);
    return topic;
  }

  #startTimers(): void {
    if (this.#maintenanceIntervalMs > 0) {
      // One run at a time: the next is scheduled when the previous one has finished.
      const tick = (): void => {
        this.runMaintenance()
          .catch((e: unknown) => this.logger.error({ err: toError(e) }, 'log maintenance failed'))
          .finally(() => {
            if (!this.#closed) this.#maintenanceTimer = this.timers.setTimeout(tick, this.#maintenanceIntervalMs);
          });
      };
      this.#maintenanceTimer = this.timers.setTimeout(tick, this.#maintenanceIntervalMs);
    }
    const flush = this.flush;
    if (typeof flush === 'object') {
      const tick = (): void => {
        void this.#syncAll().catch((e: unknown) => this.logger.error({ err: toError(e) }, 'periodic flush failed'));
        this.#flushTimer = this.timers.setTimeout(tick, flush.intervalMs);
      };
      this.#flushTimer = this.timers.setTimeout(tick, flush.intervalMs);
    }
  }

  /** The timed-out transaction check, started on first transactional use (a broker without transactions has no such timer). */
  #startTransactionTimer(): void {
    if (this.#txnTimer !== null || this.#txnAbortIntervalMs <= 0 || this.#closed) return;
    const tick = (): void => {
      this.transactions
        .abortTimedOutTransactions()
        .catch((e: unknown) => this.logger.error({ err: toError(e) }, 'aborting timed-out transactions failed'))
        .finally(() => {
          if (!this.#closed) this.#txnTimer = this.timers.setTimeout(tick, this.#txnAbortIntervalMs);
        });
    };
    this.#txnTimer = this.timers.setTimeout(tick, this.#txnAbortIntervalMs);
  }

  /** Appends one transaction marker per partition (topics deleted meanwhile are skipped, as Kafka does). */
  #writeMarkers(type: ControlRecordType, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<AppendInfo[]> {
    const timestampMs = this.clock.nowMs();
    const entries: ProduceEntry[] = [];
    for (const tp of partitions) {
      const t = this.#topics.get(tp.topic);
      if (t === undefined || t.partitions[tp.partition] === undefined) continue;
      entries.push({ ...tp, batch: encodeControlBatch(type, { producerId, producerEpoch, timestampMs, coordinatorEpoch: 0 }), isTrusted: true });
    }
    return this.#produce(entries, true);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StreamsError('CLOSED', 'the broker is closed');
  }

  // ---------------------------------------------------------------- topics

  /**
   * Creates a topic. Creating one that exists with the same partition count and config is a no-op; a conflicting
   * one is TOPIC_ALREADY_EXISTS.
   */
  createTopic(name: string, numPartitions: number, configs?: TopicConfigInput): TopicInfo {
    this.#assertOpen();
    validateTopicName(name);
    if (!Number.isSafeInteger(numPartitions) || numPartitions < 1 || numPartitions > 100_000) {
      throw new StreamsError('INVALID_PARTITIONS', `topic ${name}: partition count must be an integer in 1..100000, got ${numPartitions}`, { topic: name });
    }
    const config = parseTopicConfig(configs, this.#defaults);
    const existing = this.#topics.get(name);
    if (existing !== undefined) {
      if (existing.info.numPartitions !== numPartitions) {
        throw new StreamsError(
          'TOPIC_ALREADY_EXISTS',
          `topic ${name} exists with ${existing.info.numPartitions} partitions, not ${numPartitions}`,
          { topic: name },
        );
      }
      if (JSON.stringify(existing.info.config) !== JSON.stringify(config)) {
        throw new StreamsError('TOPIC_ALREADY_EXISTS', `topic ${name} exists with a different config`, { topic: name });
      }
      return existing.info;
    }
    const topicId = randomUUID();
    // A new topic starts empty, even where a crash inside an earlier deleteTopic left its directories behind.
    for (let p = 0; p < numPartitions; p++) this.storage.removeDir(path.join(this.dataDir, `${name}-${p}`));
    // Named by id: a 249-character topic name plus '.json.tmp' would pass the file system's 255-byte limit.
    const metaFile = `${topicId}.json`;
    const metaPath = path.join(this.dataDir, TOPIC_META_DIR, metaFile);
    this.storage.writeFileAtomic(metaPath, Buffer.from(JSON.stringify({ name, topicId, numPartitions, config: configs ?? {} })));
    let topic: Topic;
    try {
      topic = this.#openTopic(name, topicId, numPartitions, config, true, metaFile);
    } catch (e: unknown) {
      this.#topics.delete(name);
      this.storage.remove(metaPath);
      throw e;
    }
    this.logger.debug({ topic: name, numPartitions }, 'created topic');
    return topic.info;
  }

  /** Deletes a topic and its files. UNKNOWN_TOPIC_OR_PARTITION when it does not exist. */
  deleteTopic(name: string): void {
    this.#assertOpen();
    validateTopicName(name);
    const topic = this.#requireTopic(name);
    this.storage.remove(path.join(this.dataDir, TOPIC_META_DIR, topic.metaFile));
    this.#topics.delete(name);
    for (const log of topic.partitions) {
      log.deleteAll();
      this.#wake(log);
    }
  }

  /** Every topic (internal ones too when asked). */
  listTopics(options: { includeInternal?: boolean } = {}): TopicInfo[] {
    return [...this.#topics.values()].map((t) => t.info).filter((i) => options.includeInternal === true || !i.isInternal);
  }

  describeTopic(name: string): TopicInfo {
    return this.#requireTopic(name).info;
  }

  hasTopic(name: string): boolean {
    return this.#topics.has(name);
  }

  #requireTopic(name: string): Topic {
    const t = this.#topics.get(name);
    if (t === undefined) {
      validateTopicName(name);
      throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    }
    return t;
  }

  /** The partition log, or UNKNOWN_TOPIC_OR_PARTITION. */
  partitionLog(topic: string, partition: number): PartitionLog {
    const t = this.#requireTopic(topic);
    const log = Number.isInteger(partition) ? t.partitions[partition] : undefined;
    if (log === undefined) {
      throw new StreamsError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `topic ${topic} has partitions 0..${t.partitions.length - 1}; partition ${partition} does not exist`,
        { topic, partition },
      );
    }
    return log;
  }

  // ---------------------------------------------------------------- produce

  /**
   * Appends batches, one per entry, and resolves when all are acknowledged under the flush policy. Every entry is
   * validated (topic, partition, size, CRC and grammar of the batch) before anything is written; control batches
   * (transaction markers) are refused with INVALID_RECORD: only the transaction coordinator writes them.
   */
  produce(entries: readonly ProduceEntry[]): Promise<AppendInfo[]> {
    return this.#produce(entries, false);
  }

  #produce(entries: readonly ProduceEntry[], isCoordinator: boolean): Promise<AppendInfo[]> {
    try {
      this.#assertOpen();
      const logs = entries.map((e) => this.partitionLog(e.topic, e.partition));
      for (let i = 0; i < entries.length; i++) {
        const batch = entries[i]!.batch;
        logs[i]!.validate(batch, entries[i]!.isTrusted !== true);
        if (!isCoordinator && batch.length > BATCH.attributes + 1 && (batch.readInt16BE(BATCH.attributes) & CONTROL_BIT) !== 0) {
          throw new StreamsError('INVALID_RECORD', `control batches are written by the transaction coordinator only, not produced to ${entries[i]!.topic}`, {
            topic: entries[i]!.topic,
            partition: entries[i]!.partition,
          });
        }
      }
      const infos: AppendInfo[] = [];
      // An idempotence check can still refuse an entry after earlier ones were written: those are acknowledged as
      // usual (so the high watermark never lags what is in the log), then the call fails.
      let failure: unknown = null;
      for (let i = 0; i < entries.length && failure === null; i++) {
        try {
          infos.push(logs[i]!.append(entries[i]!.batch, true));
        } catch (e: unknown) {
          failure = e;
        }
      }
      const written = failure === null ? logs : logs.slice(0, infos.length);
      if (this.flush !== 'always') {
        for (const log of written) this.#advance(log, log.logEndOffset);
        return failure === null ? Promise.resolve(infos) : Promise.reject(failure);
      }
      return new Promise<AppendInfo[]>((resolve, reject) => {
        const finish = (): void => (failure === null ? resolve(infos) : reject(failure));
        let left = written.length;
        if (left === 0) finish();
        const done = (): void => {
          if (--left === 0) finish();
        };
        for (const log of written) this.#pendingAcks.push({ log, end: log.logEndOffset, resolve: done, reject });
        this.#kickSync();
      });
    } catch (e: unknown) {
      return Promise.reject(e);
    }
  }

  /** Group commit: one round of fdatasync covers every append waiting when it starts. */
  #kickSync(): void {
    if (this.#syncing !== null) return;
    this.#syncing = (async () => {
      // Start on the next microtask, so `#syncing` is set before the loop can end and clear it.
      await null;
      try {
        while (this.#pendingAcks.length > 0) {
          const round = this.#pendingAcks;
          this.#pendingAcks = [];
          const logs = new Set(round.map((a) => a.log));
          try {
            await Promise.all([...logs].map((l) => l.sync()));
          } catch (e: unknown) {
            for (const a of round) a.reject(toError(e));
            continue;
          }
          for (const a of round) {
            this.#advance(a.log, a.end);
            a.resolve();
          }
        }
      } finally {
        // Cleared in the same step as the last look at the queue (not in a later .finally callback): an append
        // made by a caller resuming from the last round must find no round running and start one, or it would
        // wait forever.
        this.#syncing = null;
      }
    })().catch((e: unknown) => this.logger.error({ err: toError(e) }, 'group commit failed'));
  }

  async #syncAll(): Promise<void> {
    const logs: PartitionLog[] = [];
    for (const t of this.#topics.values()) logs.push(...t.partitions);
    await Promise.all(logs.map((l) => l.sync()));
  }

  #advance(log: PartitionLog, end: number): void {
    if (end > log.highWatermark) {
      log.highWatermark = end;
      this.#wake(log);
    }
  }

  #wake(log: PartitionLog): void {
    const ws = this.#waiters.get(log);
    if (ws === undefined) return;
    this.#waiters.delete(log);
    for (const w of ws) w.fire();
  }

  /**
   * Appends one batch and acknowledges it at once, synchronously: for the TopologyTestDriver, which runs tasks
   * without awaiting. Refused under flush 'always', whose acknowledgement waits for an fdatasync.
   */
  appendSync(topic: string, partition: number, batch: Buffer, isTrusted = false): AppendInfo {
    this.#assertOpen();
    if (this.flush === 'always') throw new StreamsError('ILLEGAL_STATE', "appendSync is not available with flush 'always'");
    const log = this.partitionLog(topic, partition);
    log.validate(batch, !isTrusted);
    const info = log.append(batch, true);
    this.#advance(log, log.logEndOffset);
    return info;
  }

  /** A fresh producer id block for idempotent producers, persisted so ids are never reused across restarts. */
  allocateProducerId(): number {
    this.#assertOpen();
    const b = this.#producerIdBlock;
    if (b.next >= b.end) {
      b.end = b.next + 1000;
      this.storage.writeFileAtomic(path.join(this.dataDir, 'producer-ids'), Buffer.from(String(b.end)));
    }
    return b.next++;
  }

  // ---------------------------------------------------------------- fetch

  /**
   * Reads whole batches from each partition. Resolves at once when at least `minBytes` are available, otherwise
   * waits (without polling) until data arrives on any requested partition or `maxWaitMs` passes. Errors are per
   * partition (`error`), like Kafka's FetchResponse.
   */
  fetch(
    requests: readonly FetchPartition[],
    options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; isolationLevel?: FetchIsolationLevel; signal?: AbortSignal } = {},
  ): Promise<FetchedPartition[]> {
    if (this.#closed) return Promise.reject(new StreamsError('CLOSED', 'the broker is closed'));
    const maxWaitMs = options.maxWaitMs ?? 500;
    const minBytes = options.maxWaitMs === 0 ? 0 : (options.minBytes ?? 1);
    const isCommitted = options.isolationLevel === 'read_committed';
    const first = this.#readAll(requests, options.maxBytes ?? 52_428_800, isCommitted);
    const signal = options.signal;
    if (first.bytes >= minBytes || first.hasError || maxWaitMs <= 0 || signal?.aborted === true) return Promise.resolve(first.results);
    return new Promise((resolve) => {
      const logs: PartitionLog[] = [];
      for (const r of requests) {
        const t = this.#topics.get(r.topic);
        const log = t?.partitions[r.partition];
        if (log !== undefined) logs.push(log);
      }
      let settled = false;
      const waiter: FetchWaiter = {
        fire: () => {
          if (settled) return;
          // Woken by an advance of the high watermark, which is also what moves the LSO (a marker is appended).
          const again = this.#closed ? first : this.#readAll(requests, options.maxBytes ?? 52_428_800, isCommitted);
          if (again.bytes >= minBytes || again.hasError || this.#closed) finish(again.results);
          else for (const log of logs) this.#addWaiter(log, waiter);
        },
      };
      const timer = this.timers.setTimeout(
        () => finish(this.#closed ? first.results : this.#readAll(requests, options.maxBytes ?? 52_428_800, isCommitted).results),
        maxWaitMs,
        true,
      );
      // An aborted wait (the connection closed, the server stops) answers at once with what is there.
      const onAbort = (): void => finish(this.#closed ? first.results : this.#readAll(requests, options.maxBytes ?? 52_428_800, isCommitted).results);
      const finish = (results: FetchedPartition[]): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        this.timers.clearTimeout(timer);
        this.#closeHooks.delete(waiter);
        for (const log of logs) this.#waiters.get(log)?.delete(waiter);
        resolve(results);
      };
      for (const log of logs) this.#addWaiter(log, waiter);
      this.#closeHooks.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  readonly #closeHooks = new Set<FetchWaiter>();

  #addWaiter(log: PartitionLog, w: FetchWaiter): void {
    let ws = this.#waiters.get(log);
    if (ws === undefined) {
      ws = new Set();
      this.#waiters.set(log, ws);
    }
    ws.add(w);
  }

  #readAll(requests: readonly FetchPartition[], maxTotalBytes: number, isCommitted: boolean): { results: FetchedPartition[]; bytes: number; hasError: boolean } {
    const results: FetchedPartition[] = [];
    let bytes = 0;
    let hasError = false;
    for (const r of requests) {
      try {
        const log = this.partitionLog(r.topic, r.partition);
        const budget = Math.max(0, Math.min(r.maxBytes ?? 1_048_576, maxTotalBytes - bytes));
        const lastStableOffset = log.lastStableOffset;
        const read = budget === 0 && bytes > 0 ? null : log.read(r.offset, Math.max(budget, 1), isCommitted ? lastStableOffset : log.highWatermark);
        const b = read?.bytes ?? EMPTY;
        bytes += b.length;
        const nextOffset = read?.nextOffset ?? r.offset;
        const aborted = isCommitted && b.length > 0 ? log.abortedTransactions(r.offset, nextOffset) : null;
        const result: FetchedPartition = {
          topic: r.topic,
          partition: r.partition,
          bytes: b,
          nextOffset,
          highWatermark: log.highWatermark,
          lastStableOffset,
          logStartOffset: log.logStartOffset,
        };
        results.push(aborted === null || aborted.length === 0 ? result : { ...result, abortedTransactions: aborted });
      } catch (e: unknown) {
        if (!(e instanceof StreamsError)) throw e;
        hasError = true;
        results.push({
          topic: r.topic,
          partition: r.partition,
          bytes: EMPTY,
          nextOffset: r.offset,
          highWatermark: -1,
          lastStableOffset: -1,
          logStartOffset: -1,
          error: e,
        });
      }
    }
    return { results, bytes, hasError };
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Kafka's ListOffsets: `'earliest'` (log start offset), `'latest'` (high watermark), or a timestamp: the first
   * offset whose record timestamp is >= it, or the high watermark when none is. Under `read_committed` the last
   * stable offset takes the high watermark's place.
   */
  listOffset(
    topic: string,
    partition: number,
    spec: 'earliest' | 'latest' | { readonly timestampMs: number },
    isolationLevel: FetchIsolationLevel = 'read_uncommitted',
  ): number {
    this.#assertOpen();
    const log = this.partitionLog(topic, partition);
    if (spec === 'earliest') return log.logStartOffset;
    const end = isolationLevel === 'read_committed' ? log.lastStableOffset : log.highWatermark;
    if (spec === 'latest') return end;
    const o = log.offsetForTimestamp(spec.timestampMs);
    return o === null || o >= end ? end : o;
  }

  /** Kafka's DeleteRecords: moves the log start offset to `beforeOffset`; returns the new low watermark. */
  deleteRecords(topic: string, partition: number, beforeOffset: number): number {
    this.#assertOpen();
    // The coordinators' state lives there: deleting it would lose committed offsets and transactions.
    if (topic === CONSUMER_OFFSETS_TOPIC || topic === TRANSACTION_STATE_TOPIC) {
      throw new StreamsError('INVALID_TOPIC', `cannot delete records of internal topic ${topic}`, { topic, partition });
    }
    return this.partitionLog(topic, partition).deleteRecordsBefore(beforeOffset);
  }

  // ---------------------------------------------------------------- maintenance

  /**
   * Runs retention (time and size), `segment.ms` rolls and one round of compaction over every partition. Runs on
   * a timer (`maintenanceIntervalMs`); tests call it directly.
   */
  async runMaintenance(): Promise<{ segmentsDeleted: number; partitionsCompacted: number; transactionsAborted: number }> {
    const transactionsAborted = await this.transactions.abortTimedOutTransactions();
    let segmentsDeleted = 0;
    let partitionsCompacted = 0;
    const nowMs = this.clock.nowMs();
    for (const t of [...this.#topics.values()]) {
      for (const log of t.partitions) {
        if (this.#closed || !this.#topics.has(t.info.name)) break;
        const config = t.info.config;
        const active = log.segments[log.segments.length - 1]!;
        if (!active.isEmpty && active.firstAppendMs !== null && nowMs - active.firstAppendMs >= config['segment.ms']) log.roll();
        segmentsDeleted += log.enforceRetention(nowMs);
        if (await this.#cleaner.clean(log, config, () => this.#closed || !this.#topics.has(t.info.name))) partitionsCompacted++;
      }
    }
    return { segmentsDeleted, partitionsCompacted, transactionsAborted };
  }

  // ---------------------------------------------------------------- network

  /**
   * Partitions of a topic created without a count: auto-created by a Metadata request, or CreateTopics with -1
   * (Kafka's num.partitions, default 1).
   */
  get defaultNumPartitions(): number {
    return 1;
  }

  /**
   * Serves this broker over the Kafka wire protocol (kcat, kafkajs, librdkafka, tributary's network client), on
   * 127.0.0.1:9092 unless told otherwise. Close the returned server before the broker.
   *
   * @example
   * ```ts
   * const server = await broker.listen({ port: 0 });
   * console.log(`kcat -b 127.0.0.1:${server.address.port} -L`);
   * await server.close();
   * ```
   */
  async listen(options: KafkaServerOptions = {}): Promise<KafkaServer> {
    this.#assertOpen();
    // Loaded on demand: the server imports the broker (as a type), and an embedded broker never needs sockets.
    const { KafkaServer } = await import('./server/kafka-server.js');
    return KafkaServer.listen(this, options);
  }

  // ---------------------------------------------------------------- lifecycle

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Finishes pending syncs, makes every log durable, writes the clean-shutdown marker and releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#maintenanceTimer !== null) this.timers.clearTimeout(this.#maintenanceTimer);
    if (this.#flushTimer !== null) this.timers.clearTimeout(this.#flushTimer);
    if (this.#txnTimer !== null) this.timers.clearTimeout(this.#txnTimer);
    this.transactions.close();
    this.groups.close();
    for (const w of this.#closeHooks) w.fire();
    this.#closeHooks.clear();
    while (this.#syncing !== null) await this.#syncing;
    await this.#cleaner.stop();
    for (const t of this.#topics.values()) for (const log of t.partitions) log.close();
    this.storage.writeFileAtomic(path.join(this.dataDir, CLEAN_SHUTDOWN), Buffer.from(String(this.clock.nowMs())));
    this.#lock?.release();
  }
}

export { CONSUMER_OFFSETS_TOPIC };
