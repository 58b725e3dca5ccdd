import type { Logger } from 'pino';
import type { Consumer } from '../src/client/consumer.js';
import type { Clients } from '../src/client/in-process/in-process-clients.js';
import { StreamsError, toError } from '../src/errors.js';
import type { TopicPartition } from '../src/record.js';
import type { StateStore } from '../src/state/state-store.js';
import type { BuiltTopology } from '../src/topology/built-topology.js';
import type { Clock } from '../src/util/clock.js';
import { GlobalStateUpdater } from './global-state-updater.js';
import type { MetricsRegistry } from './metrics-registry.js';
import type { StateRestoreListener } from './stream-thread.js';
import type { ResolvedStreamsConfig } from './streams-config.js';

const POLL_RECORDS = 10_000;

/**
 * The global thread of a {@link KafkaStreams} instance (Kafka Streams' `GlobalStreamThread`): reads every partition
 * of every global topic, without a consumer group, into the global stores. `start()` resolves once the stores hold
 * each partition up to the end offset it had when the thread started (the stream threads must not process before
 * that); afterwards it keeps polling and applies updates as they arrive, flushing and checkpointing every commit
 * interval. A failure stops it and is reported through `onFailure` (the instance goes to ERROR).
 *
 * @example
 * ```ts
 * const global = new GlobalStreamThread({ topology, config, clients, logger, clock, stateDir, onFailure });
 * await global.start(); // restored
 * global.stores.get('rates-STATE-STORE-0000000000');
 * await global.close();
 * ```
 */
export class GlobalStreamThread {
  readonly #updater: GlobalStateUpdater;
  readonly #clients: Clients;
  readonly #config: ResolvedStreamsConfig;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #onFailure: (e: StreamsError) => void;
  readonly #restoreListener: () => StateRestoreListener | null;
  #consumer: Consumer | null = null;
  #running = false;
  #loop: Promise<void> | null = null;
  #lastFlushMs = 0;

  constructor(options: {
    topology: BuiltTopology;
    config: ResolvedStreamsConfig;
    clients: Clients;
    logger: Logger;
    clock: Clock;
    stateDir: string | null;
    onFailure: (e: StreamsError) => void;
    restoreListener?: () => StateRestoreListener | null;
    metrics?: MetricsRegistry;
  }) {
    this.#clients = options.clients;
    this.#config = options.config;
    this.#logger = options.logger.child({ thread: 'global' });
    this.#clock = options.clock;
    this.#onFailure = options.onFailure;
    this.#restoreListener = options.restoreListener ?? (() => null);
    this.#updater = new GlobalStateUpdater({ topology: options.topology, config: options.config, clock: options.clock, logger: options.logger, stateDir: options.stateDir, ...(options.metrics === undefined ? {} : { metrics: options.metrics }) });
  }

  /** The global stores by name (readable by every task and by interactive queries). */
  get stores(): ReadonlyMap<string, StateStore> {
    return this.#updater.stores;
  }

  /**
   * Assigns every partition of the global topics, restores the stores up to the current end offsets, then starts the
   * update loop. Throws `StreamsError('UNKNOWN_TOPIC_OR_PARTITION')` when a global topic does not exist (Kafka Streams
   * does not create source topics).
   */
  async start(): Promise<void> {
    const admin = this.#clients.admin;
    const topics = this.#updater.topics;
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `global table topic(s) ${missing.join(', ')} do not exist; create them before starting`, { topic: missing[0]! });
    }
    const partitions: TopicPartition[] = [];
    for (const d of await admin.describeTopics(topics)) for (const p of d.partitions) partitions.push({ topic: d.name, partition: p.partition });
    const consumer = this.#clients.consumer({
      clientId: `${this.#config.applicationId}-global-consumer`,
      autoOffsetReset: 'earliest',
      maxPollRecords: POLL_RECORDS,
      isolationLevel: this.#config.processingGuarantee === 'exactly_once_v2' ? 'read_committed' : 'read_uncommitted',
    });
    this.#consumer = consumer;
    consumer.assign(partitions);
    const earliest = await admin.listOffsets(partitions.map((tp) => ({ ...tp, spec: 'earliest' as const })));
    // The last stable offset under exactly-once (read_committed), the high watermark otherwise.
    const latest = await consumer.endOffsets(partitions);
    const ends = new Map<string, number>();
    for (let i = 0; i < partitions.length; i++) {
      const tp = partitions[i]!;
      const first = earliest[i]!.offset;
      const end = latest[i]!.offset;
      let start = this.#updater.startOffset(tp.topic, tp.partition) ?? first;
      if (start < first || start > end) {
        this.#logger.warn({ topic: tp.topic, partition: tp.partition, checkpoint: start, first, end }, 'global checkpoint outside the topic; restoring from its start');
        start = first;
      }
      consumer.seek(tp, start);
      if (start < end) ends.set(`${tp.topic}\u0000${tp.partition}`, end);
    }
    await this.#restore(partitions, ends);
    this.#updater.flush();
    this.#running = true;
    this.#lastFlushMs = this.#clock.nowMs();
    this.#loop = this.#run();
  }

  async #restore(partitions: readonly TopicPartition[], ends: Map<string, number>): Promise<void> {
    const listener = this.#restoreListener();
    const totals = new Map<string, number>();
    const storeOf = (topic: string): string => this.#updater.storeNameOf(topic);
    for (const tp of partitions) {
      const end = ends.get(`${tp.topic}\u0000${tp.partition}`);
      if (end !== undefined) listener?.onRestoreStart?.(tp, storeOf(tp.topic), this.#updater.position(tp.topic, tp.partition), end);
    }
    const started = this.#clock.nowMs();
    while (ends.size > 0) {
      const polled = await this.#consumer!.poll({ maxRecords: POLL_RECORDS, maxWaitMs: 100 });
      for (const b of polled.batches) {
        const key = `${b.topic}\u0000${b.partition}`;
        const end = ends.get(key);
        this.#updater.process(b.topic, b.partition, b.records);
        if (end === undefined) continue;
        totals.set(key, (totals.get(key) ?? 0) + b.records.length);
        const position = this.#updater.position(b.topic, b.partition);
        listener?.onBatchRestored?.(b, storeOf(b.topic), position, b.records.length);
        if (position >= end) {
          ends.delete(key);
          listener?.onRestoreEnd?.(b, storeOf(b.topic), totals.get(key) ?? 0);
        }
      }
      if (polled.count === 0) {
        // Records may have been removed (retention, compaction) so the position can pass the end with nothing read.
        for (const [key, end] of ends) {
          const [topic, p] = key.split('\u0000') as [string, string];
          if ((await this.#consumer!.position({ topic, partition: Number(p) })) >= end) ends.delete(key);
        }
      }
    }
    this.#logger.info({ totals: Object.fromEntries([...totals].map(([k, n]) => [k.replace('\u0000', '-'), n])), ms: this.#clock.nowMs() - started }, 'global stores restored');
  }

  async #run(): Promise<void> {
    try {
      while (this.#running) {
        const polled = await this.#consumer!.poll({ maxRecords: POLL_RECORDS, maxWaitMs: 100 });
        for (const b of polled.batches) this.#updater.process(b.topic, b.partition, b.records);
        const now = this.#clock.nowMs();
        if (now - this.#lastFlushMs >= this.#config.commitIntervalMs) {
          this.#updater.flush();
          this.#lastFlushMs = now;
        }
      }
    } catch (e: unknown) {
      if (!this.#running) return;
      this.#running = false;
      const error = e instanceof StreamsError ? e : new StreamsError('PROCESSING_FAILED', `global thread failed: ${toError(e).message}`, { cause: e });
      this.#logger.error({ err: error }, 'global thread failed');
      this.#onFailure(error);
    }
  }

  /** Stops the loop, flushes and checkpoints the stores, closes them and the consumer. */
  async close(): Promise<void> {
    const wasRunning = this.#running;
    this.#running = false;
    if (this.#loop !== null) await this.#loop;
    try {
      if (wasRunning) this.#updater.flush();
    } finally {
      this.#updater.close();
      await this.#consumer?.close().catch((e: unknown) => this.#logger.warn({ err: e }, 'global consumer close failed'));
    }
  }
}
