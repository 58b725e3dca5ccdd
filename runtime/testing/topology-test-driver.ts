import type { Logger } from 'pino';
import { Broker } from '../../src/broker/broker.js';
import { encodeBatch } from '../../src/broker/record-batch.js';
import { MemoryStorage } from '../../src/broker/storage.js';
import { decodeFetched } from '../../src/client/decode-fetched.js';
import { partitionForKey } from '../../src/client/murmur2.js';
import { StreamsError } from '../../src/errors.js';
import { NO_HEADERS, type Headers, type LogRecord, type ProducerRecord } from '../../src/record.js';
import type { Serde } from '../../src/serdes/serde.js';
import type { ReadOnlyKeyValueStore, ValueAndTimestamp } from '../../src/state/key-value-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import type { BuiltTopology } from '../../src/topology/built-topology.js';
import type { Topology } from '../../src/topology/topology.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { compositeReadOnlyStore, QueryableStoreTypes, type QueryableStoreType } from '../queryable-store-types.js';
import type { ReadOnlyWindowStore } from '../../src/state/window-store.js';
import type { ReadOnlySessionStore } from '../../src/state/session-store.js';
import { RecordCollector } from '../record-collector.js';
import { changelogTopics, planPartitions, resolvePatterns, runningTopology } from '../running-topology.js';
import type { Metric } from '../../src/processor/streams-metrics.js';
import { GlobalStateUpdater } from '../global-state-updater.js';
import { MetricsRegistry } from '../metrics-registry.js';
import { collectTaskMetrics } from '../metrics/task-metrics.js';
import { StreamTask } from '../stream-task.js';
import { resolveStreamsConfig, type ResolvedStreamsConfig, type StreamsConfig } from '../streams-config.js';
import { TestInputTopic, TestOutputTopic } from './test-topics.js';

/** Options of the driver: any StreamsConfig field (applicationId defaults to 'test'), plus the start of virtual time. */
export type TopologyTestDriverConfig = Partial<Omit<StreamsConfig, 'broker' | 'clients' | 'clock'>> & {
  readonly initialWallClockTimeMs?: number;
  readonly logger?: Logger;
};

/**
 * Runs a topology synchronously for tests, with virtual wall-clock time: the real task code (StreamTask, stores,
 * record collector) over an in-memory broker (the real log, on MemoryStorage), without a group or a poll loop.
 * Every piped record is processed to completion, through repartition topics too, and then committed (caches
 * flushed), as Kafka's TopologyTestDriver does. Unlike Kafka's, input topics may have several partitions.
 *
 * @example
 * ```ts
 * const driver = new TopologyTestDriver(topology);
 * const input = driver.createInputTopic('lines', Serdes.String(), Serdes.String());
 * const output = driver.createOutputTopic('counts', Serdes.String(), Serdes.BigInt());
 * input.pipeInput('k', 'hello world');
 * output.readKeyValuesToMap(); // Map { 'hello' => 1n, 'world' => 1n }
 * driver.close();
 * ```
 */
export class TopologyTestDriver {
  #topology: BuiltTopology;
  #repartitionCounts: ReadonlyMap<string, { readonly numberOfPartitions: number | undefined }> = new Map();
  readonly #config: ResolvedStreamsConfig;
  readonly #clock: ManualClock;
  readonly #logger: Logger;
  readonly broker: Broker;
  readonly #collector = new RecordCollector();
  readonly #tasks: StreamTask[] = [];
  /** Next offset each task reads, per input partition. */
  readonly #positions = new Map<string, number>();
  readonly #requestedPartitions = new Map<string, number>();
  #global: GlobalStateUpdater | null = null;
  readonly #metrics: MetricsRegistry;
  #isStarted = false;
  #isClosed = false;

  constructor(topology: Topology | BuiltTopology, config: TopologyTestDriverConfig = {}) {
    this.#config = resolveStreamsConfig({ applicationId: 'test', ...config, commitIntervalMs: 0 } as StreamsConfig, '');
    const running = runningTopology(topology, { ...config, applicationId: this.#config.applicationId });
    this.#topology = running.built;
    this.#repartitionCounts = running.repartitionTopics;
    this.#clock = new ManualClock(config.initialWallClockTimeMs ?? 0);
    // Rates run on the virtual clock: they move when advanceWallClockTime does.
    this.#metrics = new MetricsRegistry('test-driver', { clock: this.#clock, sampleWindowMs: this.#config.metricsSampleWindowMs });
    this.#metrics.setCollector((out, nowMs, windows) => {
      for (const task of this.#tasks) collectTaskMetrics(task, 'test-driver', windows, nowMs, out);
    });
    this.#logger = config.logger ?? silentLogger();
    this.broker = Broker.openSync({ storage: new MemoryStorage(), clock: this.#clock, logger: this.#logger, maintenanceIntervalMs: 0 });
  }

  /**
   * An input topic to pipe records into. `partitions` (default 1) must be given before the first record is piped;
   * keys are spread over partitions with Kafka's murmur2 partitioner.
   */
  createInputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>, options: { partitions?: number } = {}): TestInputTopic<K, V> {
    this.#assertOpen();
    const n = options.partitions ?? 1;
    const prev = this.#requestedPartitions.get(topic);
    if (this.#isStarted && (this.broker.hasTopic(topic) ? this.broker.describeTopic(topic).numPartitions : 1) !== n) {
      throw new StreamsError('ILLEGAL_STATE', `createInputTopic(${topic}, { partitions: ${n} }) after records were piped; create topics first`);
    }
    if (prev !== undefined && prev !== n) throw new StreamsError('ILLEGAL_STATE', `topic ${topic} was already created with ${prev} partitions`);
    this.#requestedPartitions.set(topic, n);
    return new TestInputTopic<K, V>(this, topic, keySerde, valueSerde);
  }

  /** An output topic to read what the topology wrote, from the beginning, in order per partition. */
  createOutputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    this.#assertOpen();
    return new TestOutputTopic<K, V>(this, topic, keySerde, valueSerde);
  }

  /** Current virtual wall-clock time. */
  get wallClockTimeMs(): number {
    return this.#clock.nowMs();
  }

  /** Moves virtual wall-clock time forward and fires due WALL_CLOCK_TIME punctuations. */
  advanceWallClockTime(ms: number): void {
    this.#assertOpen();
    if (!Number.isFinite(ms) || ms < 0) throw new StreamsError('INVALID_CONFIG', `advanceWallClockTime needs ms >= 0, got ${ms}`);
    this.#start();
    this.#clock.advance(ms);
    for (const t of this.#tasks) t.punctuateWallClock(this.#clock.nowMs());
    this.#pump();
  }

  /** A read-only view of a key-value store across the driver's tasks (plain values, also for timestamped stores). */
  getKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    this.#assertOpen();
    this.#start();
    if (!this.#topology.stores.has(name)) throw new StreamsError('ILLEGAL_STATE', `no store named ${name} in the topology`);
    return compositeReadOnlyStore(QueryableStoreTypes.keyValueStore<K, V>(), () =>
      this.#storesNamed(name),
    );
  }

  /** A read-only view of a timestamped (DSL) key-value store, each value with its timestamp. */
  getTimestampedKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, ValueAndTimestamp<V>> {
    this.#assertOpen();
    this.#start();
    if (!this.#topology.stores.has(name)) throw new StreamsError('ILLEGAL_STATE', `no store named ${name} in the topology`);
    return compositeReadOnlyStore(QueryableStoreTypes.timestampedKeyValueStore<K, V>(), () =>
      this.#storesNamed(name),
    );
  }

  /** A read-only view of a window store across the driver's tasks. */
  getWindowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    return this.#view(name, QueryableStoreTypes.windowStore<K, V>());
  }

  /** A read-only view of a session store across the driver's tasks. */
  getSessionStore<K, AGG>(name: string): ReadOnlySessionStore<K, AGG> {
    return this.#view(name, QueryableStoreTypes.sessionStore<K, AGG>());
  }

  #view<T>(name: string, type: QueryableStoreType<T>): T {
    this.#assertOpen();
    this.#start();
    if (!this.#topology.stores.has(name)) throw new StreamsError('ILLEGAL_STATE', `no store named ${name} in the topology`);
    return compositeReadOnlyStore(type, () => this.#storesNamed(name));
  }

  /** The instances of store `name`: the global store, or one per task that has it. */
  #storesNamed(name: string): StateStore[] {
    const global = this.#global?.stores.get(name);
    if (global !== undefined) return [global];
    return this.#tasks.flatMap((t) => (t.stateManager.stores.has(name) ? [t.stateManager.stores.get(name)!] : []));
  }

  /** @internal Appends serialized records to a topic and processes them to completion. */
  pipeRaw(topic: string, records: readonly ProducerRecord[]): void {
    this.#assertOpen();
    this.#start();
    if (!this.#topology.subtopologies.some((s) => s.sourceTopics.includes(topic)) && !this.#topology.globalStores.some((g) => g.topic === topic)) {
      // Topics matched by a source pattern must be created with createInputTopic before the first record.
      throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `the topology reads no topic named ${topic}`, { topic });
    }
    const n = this.broker.describeTopic(topic).numPartitions;
    for (const r of records) {
      const partition = r.partition ?? (r.key === null ? 0 : partitionForKey(r.key, n));
      this.broker.appendSync(topic, partition, encodeBatch([{ key: r.key, value: r.value, timestampMs: r.timestampMs ?? this.#clock.nowMs(), headers: r.headers ?? NO_HEADERS }]), true);
      this.#pump();
    }
  }

  /** @internal Reads a topic's records from `positions` on, advancing them. */
  readRaw(topic: string, positions: Map<number, number>): (LogRecord & { partition: number })[] {
    this.#assertOpen();
    this.#start();
    if (!this.broker.hasTopic(topic)) return [];
    const out: (LogRecord & { partition: number })[] = [];
    const n = this.broker.describeTopic(topic).numPartitions;
    for (let p = 0; p < n; p++) {
      const log = this.broker.partitionLog(topic, p);
      let offset = Math.max(positions.get(p) ?? 0, log.logStartOffset);
      while (offset < log.highWatermark) {
        const r = log.read(offset, 1 << 20);
        if (r.bytes.length === 0) break;
        for (const rec of decodeFetched(topic, p, r.bytes, offset, true)) out.push({ ...rec, partition: p });
        offset = r.nextOffset;
      }
      positions.set(p, offset);
    }
    return out;
  }

  /** Creates topics and tasks on first use, once input partition counts are known. */
  #start(): void {
    if (this.#isStarted) return;
    this.#isStarted = true;
    this.#topology = resolvePatterns(this.#topology, [...this.#requestedPartitions.keys()]);
    const subs = this.#topology.subtopologies;
    const written = new Set(subs.flatMap((s) => s.sinkTopics));
    const inputs = new Map<string, number>();
    for (const s of subs) for (const t of s.sourceTopics) if (!written.has(t)) inputs.set(t, this.#requestedPartitions.get(t) ?? 1);
    const plan = planPartitions(subs, inputs, this.#repartitionCounts);
    const counts = plan.topicPartitions;
    const partitionsOf = plan.subtopologyPartitions;
    for (const [t, n] of counts) if (!this.broker.hasTopic(t)) this.broker.createTopic(t, n);
    if (this.#topology.globalStores.length > 0) {
      for (const g of this.#topology.globalStores) if (!this.broker.hasTopic(g.topic)) this.broker.createTopic(g.topic, this.#requestedPartitions.get(g.topic) ?? 1);
      this.#global = new GlobalStateUpdater({ topology: this.#topology, config: this.#config, clock: this.#clock, logger: this.#logger, stateDir: null, metrics: this.#metrics });
    }
    for (const c of changelogTopics(this.#topology, this.#config.applicationId, partitionsOf)) this.broker.createTopic(c.topic, c.numPartitions, c.configs);
    for (const s of subs) {
      const n = partitionsOf.get(s.id) ?? 1;
      for (let p = 0; p < n; p++) {
        const inputs = s.sourceTopics.filter((t) => counts.get(t)! > p).map((topic) => ({ topic, partition: p }));
        const task = new StreamTask({
          topology: this.#topology,
          subtopology: s,
          partition: p,
          config: this.#config,
          collector: this.#collector,
          clock: this.#clock,
          logger: this.#logger,
          stateDir: null,
          inputPartitions: inputs,
          cacheMaxBytesPerStore: this.#config.cacheMaxBytes,
          metrics: this.#metrics,
          ...(this.#global === null ? {} : { globalStores: this.#global.stores }),
        });
        task.initProcessors(this.#topology);
        this.#tasks.push(task);
      }
    }
  }

  /** Feeds every task what is new in its input partitions and processes until nothing moves; then commits. */
  #pump(): void {
    for (let round = 0; ; round++) {
      if (round > 10_000) throw new StreamsError('ILLEGAL_STATE', 'the topology does not settle: records keep flowing in a loop');
      let moved = false;
      // Global stores first, as the global thread keeps them current before tasks read them.
      if (this.#global !== null) this.#pumpGlobal();
      for (const task of this.#tasks) {
        for (const tp of task.inputPartitions) {
          const key = `${task.id}\u0000${tp.topic}\u0000${tp.partition}`;
          const log = this.broker.partitionLog(tp.topic, tp.partition);
          let offset = this.#positions.get(key) ?? 0;
          while (offset < log.highWatermark) {
            const r = log.read(offset, 1 << 20);
            if (r.bytes.length === 0) break;
            task.addRecords(tp.topic, tp.partition, decodeFetched(tp.topic, tp.partition, r.bytes, offset, true));
            offset = r.nextOffset;
            moved = true;
          }
          this.#positions.set(key, offset);
        }
        task.process(Number.MAX_SAFE_INTEGER);
      }
      // Commit: flush caches (they forward downstream), then write what the collector holds.
      for (const task of this.#tasks) task.prepareCommit();
      if (this.#collector.size > 0) {
        moved = true;
        this.#flushCollector();
      }
      if (!moved) return;
    }
  }

  #flushCollector(): void {
    const counts = new Map<string, number>();
    for (const t of this.#collector.topicsNeedingPartitionCount()) counts.set(t, this.#partitionCount(t));
    for (const { topic, messages } of this.#collector.drain(counts)) {
      const n = this.#partitionCount(topic);
      for (const m of messages) {
        const partition = m.partition ?? (m.key === null ? 0 : partitionForKey(m.key, n));
        this.broker.appendSync(topic, partition, encodeBatch([{ key: m.key, value: m.value, timestampMs: m.timestampMs ?? this.#clock.nowMs(), headers: (m.headers ?? NO_HEADERS) as Headers }]), true);
      }
    }
  }

  /**
   * The metrics of the driver's tasks now, as `KafkaStreams.metrics()` lists them: the task, processor-node, topic
   * and store groups (thread-id `test-driver`) and processors' sensors such as `dropped-records-total`; no thread,
   * lag or instance metrics (there is no thread or consumer). Rates follow the virtual wall clock.
   *
   * @example
   * ```ts
   * driver.metrics().find((m) => m.name === 'dropped-records-total')?.value; // 2
   * ```
   */
  metrics(): Metric[] {
    return this.#metrics.metrics();
  }

  #pumpGlobal(): void {
    const global = this.#global!;
    for (const topic of global.topics) {
      const n = this.broker.describeTopic(topic).numPartitions;
      for (let p = 0; p < n; p++) {
        const log = this.broker.partitionLog(topic, p);
        let offset = Math.max(global.position(topic, p), log.logStartOffset);
        while (offset < log.highWatermark) {
          const r = log.read(offset, 1 << 20);
          if (r.bytes.length === 0) break;
          global.process(topic, p, decodeFetched(topic, p, r.bytes, offset, true));
          offset = r.nextOffset;
        }
      }
    }
  }

  #partitionCount(topic: string): number {
    // Output topics the topology names only at run time (TopicNameExtractor) are created on first write.
    if (!this.broker.hasTopic(topic)) this.broker.createTopic(topic, 1);
    return this.broker.describeTopic(topic).numPartitions;
  }

  #assertOpen(): void {
    if (this.#isClosed) throw new StreamsError('CLOSED', 'the TopologyTestDriver is closed');
  }

  /** Closes processors and stores, and the in-memory broker. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const t of this.#tasks) t.close();
    this.#global?.close();
    void this.broker.close();
  }
}
