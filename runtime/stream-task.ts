import type { Logger } from 'pino';
import { StreamsError, toError } from '../src/errors.js';
import type { Processor } from '../src/processor/processor.js';
import type { ProcessorContext } from '../src/processor/processor-context.js';
import type { Cancellable, PunctuationType, Punctuator } from '../src/processor/punctuation.js';
import type { ProcessorRecordMetadata, RecordContext } from '../src/processor/record-context.js';
import { Record } from '../src/processor/record.js';
import type { StreamPartitioner } from '../src/processor/stream-partitioner.js';
import type { TimestampExtractor } from '../src/processor/timestamp-extractor.js';
import type { TopicNameExtractor } from '../src/processor/topic-name-extractor.js';
import { NO_HEADERS, type Headers, type LogRecord, type TopicPartition } from '../src/record.js';
import type { Serde } from '../src/serdes/serde.js';
import { serializeFor } from '../src/serdes/serde.js';
import type { StateStore } from '../src/state/state-store.js';
import type { BuiltTopology, Subtopology } from '../src/topology/built-topology.js';
import { wholeNameMatcher } from '../src/topology/topology-graph.js';
import type { Clock } from '../src/util/clock.js';
import type { StreamsMetrics } from '../src/processor/streams-metrics.js';
import { handleFailure } from './exception-handlers.js';
import { MetricsRegistry } from './metrics-registry.js';
import { TaskCounters, type NodeStats, type QueueStats, type TaskMetricsSource } from './metrics/task-metrics.js';
import type { RecordCollector } from './record-collector.js';
import type { ResolvedStreamsConfig } from './streams-config.js';
import { TaskStateManager } from './task-state-manager.js';

interface RuntimeNode {
  readonly name: string;
  readonly kind: 'source' | 'processor' | 'sink';
  readonly children: RuntimeNode[];
  readonly childByName: Map<string, RuntimeNode>;
  processor: Processor<unknown, unknown, unknown, unknown> | null;
  readonly stores: ReadonlySet<string>;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly timestampExtractor: TimestampExtractor | undefined;
  readonly topic: string | null;
  readonly topicExtractor: TopicNameExtractor<unknown, unknown> | null;
  readonly partitioner: StreamPartitioner<unknown, unknown> | undefined;
  /** Records delivered to this node (a sink: written), for its process-total metric. */
  processed: number;
  /** Records a sink with a topic extractor wrote, per topic; null for other nodes. */
  readonly producedByTopic: Map<string, number> | null;
}

interface PartitionQueue {
  readonly tp: TopicPartition;
  /** `topic\u0000partition`. */
  readonly key: string;
  readonly source: RuntimeNode;
  records: readonly LogRecord[];
  head: number;
  /** The highest timestamp seen on this partition (Kafka's partition time). */
  partitionTimeMs: number;
  /** Next offset to commit: the last record processed or skipped + 1; -1 before any. */
  committable: number;
  /** Records the source forwarded from this partition (records-consumed-total). */
  consumed: number;
}

interface Schedule {
  readonly node: RuntimeNode;
  readonly intervalMs: number;
  readonly punctuator: Punctuator;
  nextMs: number;
  isCancelled: boolean;
}

/**
 * Kafka Streams' committed-offset metadata for a partition's time: base64 of a version byte (1) and the time as a
 * big-endian int64; empty when the partition has no time yet.
 *
 * @example
 * ```ts
 * decodePartitionTime(encodePartitionTime(1_700_000_000_000)); // 1700000000000
 * ```
 */
export function encodePartitionTime(timeMs: number): string {
  if (timeMs < 0) return '';
  const b = Buffer.alloc(9);
  b[0] = 1;
  b.writeBigInt64BE(BigInt(timeMs), 1);
  return b.toString('base64');
}

/** The partition time in committed-offset metadata written by {@link encodePartitionTime}, or null if none. */
export function decodePartitionTime(metadata: string): number | null {
  if (metadata === '') return null;
  const b = Buffer.from(metadata, 'base64');
  if (b.length < 9 || b[0] === undefined || b[0] < 1) return null;
  const t = Number(b.readBigInt64BE(1));
  return Number.isSafeInteger(t) && t >= 0 ? t : null;
}

/** A task's identity as Kafka Streams prints it: `<subtopology>_<partition>`. */
export function taskIdOf(subtopology: number, partition: number): string {
  return `${subtopology}_${partition}`;
}

/**
 * One task: a sub-topology instantiated for one partition number. It owns fresh processor instances, the task's
 * stores, one queue per input partition, stream time and punctuation. `process` is synchronous: it picks the
 * queued record with the lowest timestamp across the task's input partitions, deserializes it, and pushes it
 * depth-first through the processors; sinks serialize into the record collector. The thread (or the
 * TopologyTestDriver) feeds records in and flushes output; the task never awaits.
 */
export class StreamTask implements TaskMetricsSource {
  readonly id: string;
  /** Plain counters the task's metrics are read from (see collectTaskMetrics). */
  readonly counters: TaskCounters;
  readonly subtopology: Subtopology;
  readonly partition: number;
  readonly stateManager: TaskStateManager;
  readonly #config: ResolvedStreamsConfig;
  readonly #collector: RecordCollector;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #nodes = new Map<string, RuntimeNode>();
  readonly #queues = new Map<string, PartitionQueue>();
  /** The same queues as an array: picking the next record walks it once per record, without an iterator. */
  readonly #queueList: PartitionQueue[] = [];
  readonly #streamSchedules: Schedule[] = [];
  readonly #wallSchedules: Schedule[] = [];
  // The input record being processed (Kafka's ProcessorRecordContext), as fields set per record rather than an
  // object allocated per record; a RecordContext object is built only when a topic name extractor asks for one.
  #ctxTopic: string | null = null;
  #ctxPartition = -1;
  #ctxOffset = -1;
  #ctxTimestampMs = -1;
  #ctxHeaders: Headers = NO_HEADERS;
  #streamTimeMs = -1;
  #lagging: ReadonlySet<string> | null = null;
  #commitRequested = false;
  #idleSinceMs: number | null = null;
  #isClosed = false;
  readonly #globalStores: ReadonlyMap<string, StateStore>;
  readonly #metricsRegistry: MetricsRegistry;
  #metrics: StreamsMetrics | null = null;

  constructor(options: {
    topology: BuiltTopology;
    subtopology: Subtopology;
    partition: number;
    config: ResolvedStreamsConfig;
    collector: RecordCollector;
    clock: Clock;
    logger: Logger;
    stateDir: string | null;
    inputPartitions: readonly TopicPartition[];
    cacheMaxBytesPerStore: number;
    sourceChangelogTopics?: ReadonlyMap<string, string>;
    /** The instance's global stores, readable by every processor without connecting to them. */
    globalStores?: ReadonlyMap<string, StateStore>;
    /** Where the task's sensors live (default: a registry of its own). */
    metrics?: MetricsRegistry;
  }) {
    const { topology, subtopology, partition } = options;
    this.#globalStores = options.globalStores ?? new Map();
    this.#metricsRegistry = options.metrics ?? new MetricsRegistry('unknown');
    this.id = taskIdOf(subtopology.id, partition);
    this.subtopology = subtopology;
    this.partition = partition;
    this.#config = options.config;
    this.#collector = options.collector;
    this.#clock = options.clock;
    this.counters = new TaskCounters(options.clock.nowMs());
    this.#logger = options.logger.child({ taskId: this.id, partition });
    this.stateManager = new TaskStateManager({
      taskId: this.id,
      partition,
      applicationId: options.config.applicationId,
      stateDir: options.stateDir,
      collector: options.collector,
      logger: this.#logger,
      recordTimestampMs: () => this.#ctxTimestampMs,
      ...(options.sourceChangelogTopics === undefined ? {} : { sourceChangelogTopics: options.sourceChangelogTopics }),
      wipeUnlessCheckpointed: options.config.processingGuarantee === 'exactly_once_v2',
    });
    for (const name of subtopology.nodeNames) {
      const n = topology.nodes.get(name)!;
      this.#nodes.set(name, {
        name,
        kind: n.kind,
        children: [],
        childByName: new Map(),
        processor: null,
        stores: new Set(n.kind === 'processor' ? n.stores : []),
        keySerde: n.kind === 'processor' ? undefined : n.keySerde,
        valueSerde: n.kind === 'processor' ? undefined : n.valueSerde,
        timestampExtractor: n.kind === 'source' ? n.timestampExtractor : undefined,
        topic: n.kind === 'sink' ? n.topic : null,
        topicExtractor: n.kind === 'sink' ? n.topicExtractor : null,
        partitioner: n.kind === 'sink' ? n.partitioner : undefined,
        processed: 0,
        producedByTopic: n.kind === 'sink' && n.topic === null ? new Map() : null,
      });
    }
    for (const node of this.#nodes.values()) {
      for (const childName of topology.children.get(node.name) ?? []) {
        const child = this.#nodes.get(childName);
        if (child === undefined) continue;
        node.children.push(child);
        node.childByName.set(childName, child);
      }
    }
    for (const tp of options.inputPartitions) {
      const source = this.#sourceFor(topology, tp.topic);
      const key = `${tp.topic}\u0000${tp.partition}`;
      const q: PartitionQueue = { tp, key, source, records: [], head: 0, partitionTimeMs: -1, committable: -1, consumed: 0 };
      this.#queues.set(key, q);
      this.#queueList.push(q);
    }
    const builders = subtopology.storeNames.map((s) => topology.stores.get(s)!.builder);
    this.stateManager.initStores(builders, options.cacheMaxBytesPerStore, options.config as unknown as Readonly<Record<string, unknown>>);
  }

  #sourceFor(topology: BuiltTopology, topic: string): RuntimeNode {
    for (const name of this.subtopology.sourceNames) {
      const n = topology.nodes.get(name);
      if (n?.kind === 'source' && (n.topics.includes(topic) || (n.pattern !== null && wholeNameMatcher(n.pattern).test(topic)))) return this.#nodes.get(name)!;
    }
    throw new StreamsError('ILLEGAL_STATE', `task ${this.id} has no source for topic ${topic}`);
  }

  /** Instantiates the processors and calls their init (after restoration, before the first record). */
  initProcessors(topology: BuiltTopology): void {
    for (const node of this.#nodes.values()) {
      const n = topology.nodes.get(node.name)!;
      if (n.kind !== 'processor') continue;
      node.processor = n.supplier();
    }
    for (const node of this.#nodes.values()) {
      if (node.processor?.init === undefined) continue;
      node.processor.init(this.#contextFor(node));
    }
  }

  #contextFor(node: RuntimeNode): ProcessorContext<unknown, unknown> {
    const task = this;
    this.#metrics ??= this.#metricsRegistry.forTask(this.id);
    return {
      applicationId: this.#config.applicationId,
      taskId: this.id,
      metrics: this.#metrics,
      logger: this.#logger,
      forward(record: Record<unknown, unknown>, childName?: string): void {
        task.#forward(node, record, childName);
      },
      schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable {
        return task.#schedule(node, intervalMs, type, punctuator);
      },
      commit(): void {
        task.#commitRequested = true;
      },
      getStateStore<S extends StateStore>(name: string): S {
        if (!node.stores.has(name)) {
          const global = task.#globalStores.get(name);
          if (global !== undefined) return global as S;
          throw new StreamsError('ILLEGAL_STATE', `processor ${node.name} is not connected to store ${name}; connect it in the topology`);
        }
        return task.stateManager.stores.get(name) as S;
      },
      recordMetadata(): ProcessorRecordMetadata | null {
        return task.#ctxTopic === null ? null : { topic: task.#ctxTopic, partition: task.#ctxPartition, offset: task.#ctxOffset };
      },
      currentStreamTimeMs(): number {
        return task.#streamTimeMs;
      },
      currentSystemTimeMs(): number {
        return task.#clock.nowMs();
      },
    };
  }

  /** The task's stores by name (for metrics and interactive queries). */
  get stores(): ReadonlyMap<string, StateStore> {
    return this.stateManager.stores;
  }

  /** The task's nodes with their record counters (for metrics). */
  nodeStats(): Iterable<NodeStats> {
    return this.#nodes.values();
  }

  /** The task's input partitions with the records their source forwarded (for metrics). */
  queueStats(): QueueStats[] {
    return this.#queueList.map((q) => ({ tp: q.tp, sourceName: q.source.name, consumed: q.consumed }));
  }

  /** Records waiting in the queue of one input partition (0 for a partition the task does not read). */
  queuedCount(topic: string, partition: number): number {
    const q = this.#queues.get(`${topic}\u0000${partition}`);
    return q === undefined ? 0 : q.records.length - q.head;
  }

  /** Records waiting in this task's queues. */
  get bufferedCount(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.records.length - q.head;
    return n;
  }

  get streamTimeMs(): number {
    return this.#streamTimeMs;
  }

  get inputPartitions(): TopicPartition[] {
    return [...this.#queues.values()].map((q) => q.tp);
  }

  /** Set by `context.commit()`; the thread commits soon after and clears it. */
  get isCommitRequested(): boolean {
    return this.#commitRequested;
  }

  /** Queues polled records of one input partition (in offset order). */
  addRecords(topic: string, partition: number, records: readonly LogRecord[]): void {
    const q = this.#queues.get(`${topic}\u0000${partition}`);
    if (q === undefined) throw new StreamsError('ILLEGAL_STATE', `task ${this.id} does not read ${topic}-${partition}`);
    if (records.length === 0) return;
    q.records = q.head >= q.records.length ? records : [...q.records.slice(q.head), ...records];
    q.head = 0;
  }

  /**
   * Processes up to `maxRecords` queued records in timestamp order across partitions; returns how many. With some
   * partitions empty, waits up to `maxTaskIdleMs` (from the first time it saw them empty) before going on.
   * `lagging` (keys `topic\u0000partition`) are input partitions known to hold records on the broker that are not
   * queued yet: as Kafka Streams (KIP-695), with `maxTaskIdleMs` >= 0 the task never processes past such an empty
   * partition (it would jump stream time ahead of records that exist); -1 disables that wait too.
   */
  process(maxRecords: number, lagging?: ReadonlySet<string>): number {
    this.#lagging = lagging ?? null;
    // Timed per call, not per record: the latency metrics divide by the records of the call.
    const startMs = performance.now();
    let done = 0;
    try {
      while (done < maxRecords && !this.#isClosed) {
        const q = this.#nextQueue();
        if (q === null) break;
        this.#processOne(q);
        done++;
        if (this.#streamSchedules.length > 0) this.#punctuate(this.#streamSchedules, this.#streamTimeMs);
      }
    } finally {
      if (done > 0) this.counters.processLatency.record(performance.now() - startMs, done);
    }
    return done;
  }

  #nextQueue(): PartitionQueue | null {
    let best: PartitionQueue | null = null;
    let empty = 0;
    const queues = this.#queueList;
    const lagging = this.#config.maxTaskIdleMs >= 0 ? this.#lagging : null;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]!;
      if (q.head >= q.records.length) {
        // Records exist for it on the broker: wait for the fetch rather than let stream time pass them.
        if (lagging !== null && lagging.size > 0 && lagging.has(q.key)) return null;
        empty++;
        continue;
      }
      if (best === null || q.records[q.head]!.timestampMs < best.records[best.head]!.timestampMs) best = q;
    }
    if (best === null) return null;
    if (empty > 0 && this.#config.maxTaskIdleMs > 0) {
      const now = this.#clock.nowMs();
      this.#idleSinceMs ??= now;
      if (now - this.#idleSinceMs < this.#config.maxTaskIdleMs) return null;
    } else this.#idleSinceMs = null;
    return best;
  }

  #processOne(q: PartitionQueue): void {
    const raw = q.records[q.head++]!;
    if (q.head >= q.records.length) {
      q.records = [];
      q.head = 0;
    }
    const { topic, partition } = q.tp;
    const src = q.source;
    let key: unknown;
    let value: unknown;
    try {
      key = (src.keySerde ?? this.#config.defaultKeySerde).deserialize(topic, raw.key, raw.headers);
      value = (src.valueSerde ?? this.#config.defaultValueSerde).deserialize(topic, raw.value, raw.headers);
    } catch (e: unknown) {
      handleFailure(
        this.#config.deserializationExceptionHandler,
        toError(e),
        { topic, partition, offset: raw.offset, taskId: this.id, key: raw.key, value: raw.value },
        'deserialization',
        this.#logger,
      );
      this.#deadLetter(raw, topic, partition, e);
      q.committable = raw.offset + 1;
      return;
    }
    let timestampMs = raw.timestampMs;
    if (src.timestampExtractor !== undefined) {
      timestampMs = src.timestampExtractor({ topic, partition, offset: raw.offset, key, value, timestampMs: raw.timestampMs, headers: raw.headers }, q.partitionTimeMs);
    }
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
      // Kafka's default: records with an invalid timestamp are logged and skipped, never processed.
      this.#logger.warn({ topic, partition, offset: raw.offset, timestampMs }, 'skipping a record with an invalid timestamp');
      q.committable = raw.offset + 1;
      return;
    }
    if (timestampMs > q.partitionTimeMs) q.partitionTimeMs = timestampMs;
    if (timestampMs > this.#streamTimeMs) this.#streamTimeMs = timestampMs;
    else if (timestampMs < this.#streamTimeMs) {
      const lateness = this.counters.lateness;
      const lateMs = this.#streamTimeMs - timestampMs;
      lateness.sum += lateMs;
      if (lateMs > lateness.max) lateness.max = lateMs;
    }
    q.consumed++;
    this.#ctxTopic = topic;
    this.#ctxPartition = partition;
    this.#ctxOffset = raw.offset;
    this.#ctxTimestampMs = timestampMs;
    this.#ctxHeaders = raw.headers;
    try {
      this.#forward(src, new Record(key, value, timestampMs, raw.headers));
      q.committable = raw.offset + 1;
    } catch (e: unknown) {
      if (e instanceof StreamsError && (e.code === 'PROCESSING_FAILED' || e.code === 'CLOSED')) throw e;
      handleFailure(
        this.#config.processingExceptionHandler,
        toError(e),
        { topic, partition, offset: raw.offset, taskId: this.id, ...(this.#failedNode === null ? {} : { nodeName: this.#failedNode }) },
        'processing',
        this.#logger,
      );
      // 'continue': that record is skipped and counts as processed.
      this.#deadLetter(raw, topic, partition, e);
      q.committable = raw.offset + 1;
    } finally {
      this.#failedNode = null;
    }
  }

  #failedNode: string | null = null;

  /**
   * Sends a skipped input record, as read, to the dead-letter topic (if configured) with KIP-1034's headers: the
   * error's class, message and stack, and where the record came from. Goes through the collector, so under
   * exactly-once it commits with the transaction that commits the skip.
   */
  #deadLetter(raw: LogRecord, topic: string, partition: number, error: unknown): void {
    const dlq = this.#config.deadLetterQueueTopic;
    if (dlq === null) return;
    const err = toError(error);
    const h = (key: string, value: string): { key: string; value: Buffer } => ({ key, value: Buffer.from(value, 'utf8') });
    const headers: Headers = [
      ...raw.headers,
      h('__streams.errors.exception', err instanceof StreamsError ? `StreamsError(${err.code})` : err.name),
      h('__streams.errors.message', err.message),
      h('__streams.errors.stacktrace', err.stack ?? ''),
      h('__streams.errors.topic', topic),
      h('__streams.errors.partition', String(partition)),
      h('__streams.errors.offset', String(raw.offset)),
    ];
    this.#collector.send(dlq, raw.key === null ? null : Buffer.from(raw.key), raw.value === null ? null : Buffer.from(raw.value), raw.timestampMs, headers);
  }

  #forward(from: RuntimeNode, record: Record<unknown, unknown>, childName?: string): void {
    if (childName !== undefined) {
      const child = from.childByName.get(childName);
      if (child === undefined) throw new StreamsError('ILLEGAL_STATE', `${from.name} has no child named ${childName}`);
      this.#deliver(child, record);
      return;
    }
    const children = from.children;
    for (let i = 0; i < children.length; i++) this.#deliver(children[i]!, record);
  }

  #deliver(node: RuntimeNode, record: Record<unknown, unknown>): void {
    node.processed++;
    if (node.kind === 'sink') {
      this.#sink(node, record);
      return;
    }
    // Each node's context knows its node (a closure made at init), so nothing is saved and restored per record.
    try {
      node.processor!.process(record);
    } catch (e: unknown) {
      this.#failedNode ??= node.name;
      throw e;
    }
  }

  #sink(node: RuntimeNode, record: Record<unknown, unknown>): void {
    let topic = node.topic;
    if (topic === null) {
      topic = node.topicExtractor!(record.key, record.value, this.#recordContext());
      node.producedByTopic!.set(topic, (node.producedByTopic!.get(topic) ?? 0) + 1);
    }
    const keySerde = node.keySerde ?? this.#config.defaultKeySerde;
    const valueSerde = node.valueSerde ?? this.#config.defaultValueSerde;
    const key = serializeFor(keySerde, record.key, topic, record.headers);
    // The same value through the same (stateless) serde gives the same bytes: a grouping's repartition record
    // (word count's word -> word) serializes once. The bytes are only read (copied into a batch) downstream.
    const value = record.value === record.key && valueSerde === keySerde ? key : serializeFor(valueSerde, record.value, topic, record.headers);
    const partitioner = node.partitioner;
    if (partitioner === undefined) {
      this.#collector.send(topic, key, value, record.timestampMs, record.headers);
    } else {
      this.#collector.sendWithPartitioner(topic, key, value, record.timestampMs, record.headers, (n) => partitioner(topic, record.key, record.value, n));
    }
  }

  #recordContext(): RecordContext {
    return { topic: this.#ctxTopic, partition: this.#ctxPartition, offset: this.#ctxOffset, timestampMs: this.#ctxTimestampMs, headers: this.#ctxHeaders };
  }

  #schedule(node: RuntimeNode, intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable {
    if (!Number.isFinite(intervalMs) || intervalMs < 1) throw new StreamsError('INVALID_CONFIG', `punctuation interval must be >= 1 ms, got ${intervalMs}`);
    // As Kafka Streams: stream-time punctuation is aligned to 0 (fires with the first record), wall-clock
    // punctuation first fires one interval from now.
    const s: Schedule = { node, intervalMs, punctuator, nextMs: type === 'STREAM_TIME' ? 0 : this.#clock.nowMs() + intervalMs, isCancelled: false };
    (type === 'STREAM_TIME' ? this.#streamSchedules : this.#wallSchedules).push(s);
    return {
      cancel: () => {
        s.isCancelled = true;
      },
    };
  }

  /** Fires wall-clock punctuators that are due; returns how many fired. */
  punctuateWallClock(nowMs: number = this.#clock.nowMs()): number {
    return this.#punctuate(this.#wallSchedules, nowMs);
  }

  #punctuate(schedules: Schedule[], timeMs: number): number {
    if (timeMs < 0) return 0;
    let fired = 0;
    for (let i = 0; i < schedules.length; i++) {
      const s = schedules[i]!;
      if (s.isCancelled) {
        schedules.splice(i--, 1);
        continue;
      }
      if (timeMs < s.nextMs) continue;
      // Missed intervals are skipped, not replayed: the next one is the first interval boundary after timeMs.
      s.nextMs = timeMs - ((timeMs - s.nextMs) % s.intervalMs) + s.intervalMs;
      const prevTopic = this.#ctxTopic;
      const prevPartition = this.#ctxPartition;
      const prevOffset = this.#ctxOffset;
      const prevTimestampMs = this.#ctxTimestampMs;
      const prevHeaders = this.#ctxHeaders;
      this.#ctxTopic = null;
      this.#ctxPartition = -1;
      this.#ctxOffset = -1;
      this.#ctxTimestampMs = timeMs;
      this.#ctxHeaders = NO_HEADERS;
      try {
        s.punctuator(timeMs);
        fired++;
      } catch (e: unknown) {
        handleFailure(this.#config.processingExceptionHandler, toError(e), { topic: null, partition: -1, offset: -1, taskId: this.id, nodeName: s.node.name }, 'processing', this.#logger);
      } finally {
        this.#ctxTopic = prevTopic;
        this.#ctxPartition = prevPartition;
        this.#ctxOffset = prevOffset;
        this.#ctxTimestampMs = prevTimestampMs;
        this.#ctxHeaders = prevHeaders;
      }
    }
    return fired;
  }

  /**
   * Flushes the task's stores (caches forward what they hold) so everything processed so far is in the collector;
   * returns the input offsets that may be committed once the collector's records are acknowledged.
   */
  prepareCommit(): { topic: string; partition: number; offset: number; metadata: string }[] {
    this.stateManager.flush();
    this.#commitRequested = false;
    const out: { topic: string; partition: number; offset: number; metadata: string }[] = [];
    for (const q of this.#queues.values()) {
      if (q.committable >= 0) out.push({ topic: q.tp.topic, partition: q.tp.partition, offset: q.committable, metadata: encodePartitionTime(q.partitionTimeMs) });
    }
    return out;
  }

  /**
   * Restores the partition times committed with the input offsets (and so the task's stream time), as Kafka Streams
   * does when a task starts: windows closed before a restart stay closed, and a late record stays late.
   */
  initializeTime(committed: readonly ({ topic: string; partition: number; metadata: string } | null)[]): void {
    for (const c of committed) {
      if (c === null) continue;
      const q = this.#queues.get(`${c.topic}\u0000${c.partition}`);
      const t = decodePartitionTime(c.metadata);
      if (q === undefined || t === null) continue;
      if (t > q.partitionTimeMs) q.partitionTimeMs = t;
      if (t > this.#streamTimeMs) this.#streamTimeMs = t;
    }
  }

  /** Closes processors and stores. A clean close flushes first (the caller commits after). */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const node of this.#nodes.values()) {
      try {
        node.processor?.close?.();
      } catch (e: unknown) {
        this.#logger.warn({ err: e, node: node.name }, 'a processor threw in close()');
      }
    }
    this.stateManager.close();
    this.#metricsRegistry.removeTask(this.id);
  }
}
