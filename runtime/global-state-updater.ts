import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { StreamsError, toError } from '../src/errors.js';
import { replaceJsonFile } from '../src/util/replace-file.js';
import type { Processor } from '../src/processor/processor.js';
import type { ProcessorContext } from '../src/processor/processor-context.js';
import type { Cancellable } from '../src/processor/punctuation.js';
import type { ProcessorRecordMetadata } from '../src/processor/record-context.js';
import { Record } from '../src/processor/record.js';
import type { LogRecord } from '../src/record.js';
import type { StateStore } from '../src/state/state-store.js';
import type { BuiltTopology, GlobalStore } from '../src/topology/built-topology.js';
import type { SourceNode } from '../src/topology/topology-node.js';
import type { Clock } from '../src/util/clock.js';
import { handleFailure } from './exception-handlers.js';
import { MetricsRegistry } from './metrics-registry.js';
import { RecordCollector } from './record-collector.js';
import type { ResolvedStreamsConfig } from './streams-config.js';
import { TaskStateManager } from './task-state-manager.js';

/** The task id global stores live under (their directory is `<stateDir>/global`). */
export const GLOBAL_TASK_ID = 'global';
const CHECKPOINT = '.global-checkpoint';

interface GlobalUnit {
  readonly store: GlobalStore;
  readonly source: SourceNode;
  readonly processor: Processor<unknown, unknown, never, never>;
  /** Next offset to read per partition of the store's topic (what the store holds up to). */
  readonly positions: Map<number, number>;
}

/**
 * Keeps the global stores of a topology up to date, synchronously: records of a global topic go through the store's
 * source (serdes, timestamp extractor) and its update processor (for `globalTable()`, the KTABLE-SOURCE that puts
 * each row), exactly as during normal processing — restoration uses the same path, so a custom global processor
 * sees every record. Knows per partition how far each store is, and checkpoints it for persistent stores, which then
 * resume from there; in-memory stores restore from the beginning of the topic.
 *
 * Used by the {@link GlobalStreamThread} (which polls the topics) and by the TopologyTestDriver (which reads its
 * in-memory log).
 *
 * @example
 * ```ts
 * const updater = new GlobalStateUpdater({ topology, config, clock, logger, stateDir: null });
 * updater.process('rates', 0, records);
 * updater.stores.get('rates-STATE-STORE-0000000000');
 * ```
 */
export class GlobalStateUpdater {
  readonly #config: ResolvedStreamsConfig;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #stateDir: string | null;
  readonly #state: TaskStateManager;
  readonly #byTopic = new Map<string, GlobalUnit>();
  #ctx: ProcessorRecordMetadata | null = null;
  #ctxTimestampMs = -1;
  #streamTimeMs = -1;
  #isClosed = false;

  readonly #metrics: MetricsRegistry;

  constructor(options: { topology: BuiltTopology; config: ResolvedStreamsConfig; clock: Clock; logger: Logger; stateDir: string | null; metrics?: MetricsRegistry }) {
    this.#metrics = options.metrics ?? new MetricsRegistry('global');
    this.#config = options.config;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ taskId: GLOBAL_TASK_ID });
    this.#stateDir = options.stateDir;
    this.#state = new TaskStateManager({
      taskId: GLOBAL_TASK_ID,
      partition: -1,
      applicationId: options.config.applicationId,
      stateDir: options.stateDir,
      collector: new RecordCollector(),
      logger: this.#logger,
      recordTimestampMs: () => this.#ctxTimestampMs,
    });
    const globals = options.topology.globalStores;
    this.#state.initStores(globals.map((g) => g.storeBuilder), 0, options.config as unknown as Readonly<globalThis.Record<string, unknown>>);
    const checkpoint = this.#readCheckpoint();
    for (const g of globals) {
      const source = options.topology.nodes.get(g.sourceName) as SourceNode;
      const node = options.topology.nodes.get(g.processorName);
      if (node?.kind !== 'processor') throw new StreamsError('ILLEGAL_STATE', `global store ${g.storeName} has no processor ${g.processorName}`);
      const positions = new Map<number, number>();
      // Only a persistent store still holds what it held: an in-memory one starts empty and reads from the start.
      if (this.#state.stores.get(g.storeName)!.persistent) {
        for (const [p, o] of Object.entries(checkpoint[g.storeName] ?? {})) positions.set(Number(p), o);
      }
      this.#byTopic.set(g.topic, { store: g, source, processor: node.supplier() as Processor<unknown, unknown, never, never>, positions });
    }
    for (const unit of this.#byTopic.values()) unit.processor.init?.(this.#contextFor(unit));
  }

  /** The global stores by name. */
  get stores(): ReadonlyMap<string, StateStore> {
    return this.#state.stores;
  }

  /** The global topics (one per global store). */
  get topics(): string[] {
    return [...this.#byTopic.keys()];
  }

  /** The name of the global store `topic` feeds. */
  storeNameOf(topic: string): string {
    return this.#unit(topic).store.storeName;
  }

  /** Where reading partition `partition` of `topic` must resume: the checkpointed offset, or null (from the start). */
  startOffset(topic: string, partition: number): number | null {
    return this.#unit(topic).positions.get(partition) ?? null;
  }

  /** The next offset the store of `topic` expects on `partition` (0 before anything was read). */
  position(topic: string, partition: number): number {
    return this.#unit(topic).positions.get(partition) ?? 0;
  }

  /**
   * Applies records read from partition `partition` of global topic `topic` (in offset order). Deserialization and
   * processing errors go to the configured exception handlers, as for tasks ('continue' skips the record).
   */
  process(topic: string, partition: number, records: readonly LogRecord[]): void {
    if (this.#isClosed) throw new StreamsError('CLOSED', 'the global state updater is closed');
    const unit = this.#unit(topic);
    const { source, processor } = unit;
    const keySerde = source.keySerde ?? this.#config.defaultKeySerde;
    const valueSerde = source.valueSerde ?? this.#config.defaultValueSerde;
    for (let i = 0; i < records.length; i++) {
      const raw = records[i]!;
      unit.positions.set(partition, raw.offset + 1);
      let key: unknown;
      let value: unknown;
      try {
        key = keySerde.deserialize(topic, raw.key, raw.headers);
        value = valueSerde.deserialize(topic, raw.value, raw.headers);
      } catch (e: unknown) {
        handleFailure(
          this.#config.deserializationExceptionHandler,
          toError(e),
          { topic, partition, offset: raw.offset, taskId: GLOBAL_TASK_ID, key: raw.key, value: raw.value },
          'deserialization',
          this.#logger,
        );
        continue;
      }
      let timestampMs = raw.timestampMs;
      if (source.timestampExtractor !== undefined) {
        timestampMs = source.timestampExtractor({ topic, partition, offset: raw.offset, key, value, timestampMs, headers: raw.headers }, this.#streamTimeMs);
      }
      if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
        this.#logger.warn({ topic, partition, offset: raw.offset, timestampMs }, 'skipping a global record with an invalid timestamp');
        continue;
      }
      if (timestampMs > this.#streamTimeMs) this.#streamTimeMs = timestampMs;
      this.#ctx = { topic, partition, offset: raw.offset };
      this.#ctxTimestampMs = timestampMs;
      try {
        processor.process(new Record(key, value, timestampMs, raw.headers));
      } catch (e: unknown) {
        if (e instanceof StreamsError && (e.code === 'PROCESSING_FAILED' || e.code === 'CLOSED')) throw e;
        handleFailure(
          this.#config.processingExceptionHandler,
          toError(e),
          { topic, partition, offset: raw.offset, taskId: GLOBAL_TASK_ID, nodeName: unit.store.processorName },
          'processing',
          this.#logger,
        );
      } finally {
        this.#ctx = null;
      }
    }
  }

  /** Flushes the stores and checkpoints how far each persistent one is. */
  flush(): void {
    this.#state.flush();
    if (this.#stateDir === null) return;
    const data: globalThis.Record<string, globalThis.Record<string, number>> = {};
    for (const unit of this.#byTopic.values()) {
      if (!this.#state.stores.get(unit.store.storeName)!.persistent) continue;
      data[unit.store.storeName] = Object.fromEntries(unit.positions);
    }
    // The directory exists: the state manager made it when it opened the stores.
    replaceJsonFile(path.join(this.#stateDir, GLOBAL_TASK_ID, CHECKPOINT), data);
  }

  /** Closes the processors and stores. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const unit of this.#byTopic.values()) {
      try {
        unit.processor.close?.();
      } catch (e: unknown) {
        this.#logger.warn({ err: e, node: unit.store.processorName }, 'a global processor threw in close()');
      }
    }
    this.#state.close();
  }

  #unit(topic: string): GlobalUnit {
    const unit = this.#byTopic.get(topic);
    if (unit === undefined) throw new StreamsError('ILLEGAL_STATE', `${topic} is not a global topic of this topology`);
    return unit;
  }

  #contextFor(unit: GlobalUnit): ProcessorContext<never, never> {
    const self = this;
    return {
      applicationId: this.#config.applicationId,
      taskId: GLOBAL_TASK_ID,
      metrics: this.#metrics.forTask(GLOBAL_TASK_ID),
      logger: this.#logger,
      // As Kafka Streams' global context: a global processor has no children, so forwarding reaches nobody.
      forward(): void {},
      schedule(): Cancellable {
        throw new StreamsError('ILLEGAL_STATE', `global store processor ${unit.store.processorName} cannot schedule punctuations`);
      },
      commit(): void {},
      getStateStore<S extends StateStore>(name: string): S {
        const store = self.#state.stores.get(name);
        if (store === undefined) throw new StreamsError('ILLEGAL_STATE', `no global store named ${name}`);
        return store as S;
      },
      recordMetadata: () => this.#ctx,
      currentStreamTimeMs: () => this.#streamTimeMs,
      currentSystemTimeMs: () => this.#clock.nowMs(),
    };
  }

  #readCheckpoint(): globalThis.Record<string, globalThis.Record<string, number>> {
    if (this.#stateDir === null) return {};
    try {
      const raw = JSON.parse(fs.readFileSync(path.join(this.#stateDir, GLOBAL_TASK_ID, CHECKPOINT), 'utf8')) as unknown;
      const out: globalThis.Record<string, globalThis.Record<string, number>> = {};
      if (raw === null || typeof raw !== 'object') return {};
      for (const [store, offsets] of Object.entries(raw)) {
        if (offsets === null || typeof offsets !== 'object') continue;
        const clean: globalThis.Record<string, number> = {};
        for (const [p, o] of Object.entries(offsets as object)) if (Number.isSafeInteger(o) && (o as number) >= 0) clean[p] = o as number;
        out[store] = clean;
      }
      return out;
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.#logger.warn({ err: e }, 'unreadable global checkpoint ignored; restoring global stores from the start');
      return {};
    }
  }
}
