/**
 * The broker side of `runTopology`: KafkaStreams instances over an in-memory embedded broker, with restarts and
 * instance changes at given points of the input.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients, type Clients } from '../src/client/in-process/in-process-clients.js';
import type { TopicMessages } from '../src/client/producer.js';
import { StreamsError } from '../src/errors.js';
import { topicPartitionKey } from '../src/record.js';
import { serializeFor } from '../src/serdes/serde.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { QueryableStoreTypes } from '../runtime/queryable-store-types.js';
import { resolvePatterns, runningTopology } from '../runtime/running-topology.js';
import type { StreamsConfig } from '../runtime/streams-config.js';
import { batchSizes, checkTimestamp, DEFAULT_APPLICATION_ID, type RunEvent, type RunOptions, type TopologyFactory } from './run-options.js';
import { storeContents, type StoreView } from './store-contents.js';
import type { FedRecord, OutputRecord, TopicSerdes, TopologyInputs, TopologyRun } from './test-records.js';

/** How often the run looks whether the application caught up (a condition polled, not a sleep that hopes). */
const SETTLE_CHECK_MS = 5;

interface Instance {
  readonly streams: KafkaStreams;
  readonly stateDir: string;
}

/**
 * Runs `fed` through KafkaStreams instances over a fresh in-memory broker and returns the outputs and final store
 * contents. Before and after each event and at the end it waits until the application settled: every instance
 * RUNNING in a stable group, and the group's committed offsets at the end of every partition the application reads
 * (input and repartition topics), which at-least-once commits only after the output and changelog records those
 * offsets produced are in the log.
 *
 * @example
 * ```ts
 * const run = await runOnBroker(factory, inputs, feedOrder(inputs), [{ atRecord: 3, kind: 'restart' }], { outputs, mode: 'broker' });
 * ```
 */
export async function runOnBroker(factory: TopologyFactory, inputs: TopologyInputs, fed: readonly FedRecord[], events: readonly RunEvent[], options: RunOptions): Promise<TopologyRun> {
  const logger = options.logger ?? silentLogger();
  const broker = await Broker.open({ logger, maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-testing-'));
  const run = new BrokerRun(factory, broker, root, options, logger);
  try {
    const partitions = options.partitioning?.partitions ?? 1;
    // Input timestamps may be far in the past: keep them whatever their age.
    await run.clients.admin.createTopics(Object.keys(inputs).map((topic) => ({ topic, numPartitions: partitions, configs: { 'retention.ms': '-1' } })));
    for (let i = 0; i < (options.instances ?? 1); i++) await run.addInstance();
    const sizes = batchSizes(options.commitSchedule);
    let next = 0;
    let batch = 0;
    const produceUntil = async (end: number): Promise<void> => {
      while (next < end) {
        const n = Math.min(sizes[batch++ % sizes.length]!, end - next);
        await run.produce(inputs, fed.slice(next, next + n));
        next += n;
      }
    };
    for (const e of events) {
      await produceUntil(e.atRecord);
      await run.settle();
      await run.apply(e);
      // The group takes the change in (tasks moved, stores restored) before more input arrives.
      await run.settle();
    }
    await produceUntil(fed.length);
    await run.settle();
    return await run.read(options);
  } finally {
    await run.close();
    await broker.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

class BrokerRun {
  readonly clients: Clients;
  readonly #live: Instance[] = [];
  readonly #applicationId: string;
  readonly #producer;
  #sourceTopics: readonly string[] | null = null;
  #instanceCount = 0;

  constructor(
    readonly factory: TopologyFactory,
    readonly broker: Broker,
    readonly root: string,
    readonly options: RunOptions,
    readonly logger: Logger,
  ) {
    this.clients = inProcessClients(broker);
    this.#producer = this.clients.producer();
    this.#applicationId = options.config?.applicationId ?? DEFAULT_APPLICATION_ID;
  }

  #config(stateDir: string): StreamsConfig {
    const schedule = this.options.commitSchedule;
    const c = this.options.config;
    return {
      ...c,
      applicationId: this.#applicationId,
      broker: this.broker,
      clients: this.clients,
      stateDir,
      commitIntervalMs: schedule?.commitIntervalMs ?? c?.commitIntervalMs ?? 10,
      maxPollRecords: schedule?.maxPollRecords ?? c?.maxPollRecords ?? 1000,
      ...(schedule?.cacheMaxBytes === undefined ? {} : { cacheMaxBytes: schedule.cacheMaxBytes }),
      pollMs: c?.pollMs ?? 5,
      sessionTimeoutMs: c?.sessionTimeoutMs ?? 2_000,
      heartbeatIntervalMs: c?.heartbeatIntervalMs ?? 20,
      ...(this.options.guarantee === undefined ? {} : { processingGuarantee: this.options.guarantee }),
      logger: this.logger,
    };
  }

  async #start(stateDir: string): Promise<void> {
    const streams = new KafkaStreams(this.factory(), this.#config(stateDir));
    this.#live.push({ streams, stateDir });
    await streams.start();
  }

  async addInstance(): Promise<void> {
    await this.#start(path.join(this.root, `instance-${this.#instanceCount++}`));
  }

  async apply(e: RunEvent): Promise<void> {
    switch (e.kind) {
      case 'restart': {
        // Close every instance (each commits what it processed), then start as many again on the same state.
        const old = this.#live.splice(0);
        for (const i of old) await this.#closeOne(i);
        for (const i of old) await this.#start(i.stateDir);
        return;
      }
      case 'addInstance':
        return this.addInstance();
      case 'removeInstance': {
        if (this.#live.length <= 1) return;
        const [gone] = this.#live.splice(0, 1);
        await this.#closeOne(gone!);
        return;
      }
    }
  }

  async #closeOne(i: Instance): Promise<void> {
    if (!(await i.streams.close({ timeoutMs: 10_000 }))) throw new StreamsError('TIMEOUT', 'an application instance did not close within 10 s');
  }

  /** Produces records in one send per topic, each to the partition it was assigned. */
  async produce(inputs: TopologyInputs, records: readonly FedRecord[]): Promise<void> {
    const byTopic = new Map<string, TopicMessages['messages'][number][]>();
    for (const r of records) {
      checkTimestamp(r);
      const input = inputs[r.topic]!;
      let messages = byTopic.get(r.topic);
      if (messages === undefined) byTopic.set(r.topic, (messages = []));
      messages.push({
        key: serializeFor(input.keySerde, r.key, r.topic),
        value: serializeFor(input.valueSerde, r.value, r.topic),
        timestampMs: r.timestampMs,
        partition: r.partition,
      });
    }
    if (byTopic.size > 0) await this.#producer.sendBatch([...byTopic].map(([topic, messages]) => ({ topic, messages })));
  }

  /** Every partition of every topic the application reads (input and repartition topics), once it has started. */
  #sources(): readonly string[] {
    if (this.#sourceTopics === null) {
      const c = this.options.config;
      const { built } = runningTopology(this.factory(), {
        applicationId: this.#applicationId,
        defaultKeySerde: c?.defaultKeySerde,
        defaultValueSerde: c?.defaultValueSerde,
      });
      const resolved = resolvePatterns(built, this.broker.listTopics().map((t) => t.name));
      this.#sourceTopics = [...new Set(resolved.subtopologies.flatMap((s) => s.sourceTopics))];
    }
    return this.#sourceTopics;
  }

  /** Why the application has not settled yet, or null once it processed and committed everything it reads. */
  #lag(): string | null {
    const states = this.#live.map((i) => i.streams.state);
    if (states.some((s) => s !== 'RUNNING')) return `instances in states ${states.join(', ')}`;
    const group = this.broker.groups.describeGroup(this.#applicationId);
    if (group.state !== 'Stable' || group.members.length !== this.#live.length) return `group ${group.state} with ${group.members.length} of ${this.#live.length} members`;
    const committed = this.broker.groups.fetchOffsets(this.#applicationId);
    const behind: string[] = [];
    for (const topic of this.#sources()) {
      if (!this.broker.hasTopic(topic)) continue;
      const n = this.broker.describeTopic(topic).numPartitions;
      for (let p = 0; p < n; p++) {
        const c = committed.get(topicPartitionKey(topic, p))?.offset ?? 0;
        const end = this.broker.listOffset(topic, p, 'latest');
        if (c < end) behind.push(`${topic}-${p} committed ${c} of ${end}`);
      }
    }
    return behind.length === 0 ? null : behind.join(', ');
  }

  /** Waits until the application settled (see runOnBroker); an instance in ERROR, or no settling within the timeout, fails the run. */
  async settle(): Promise<void> {
    const timeoutMs = this.options.settleTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    for (let lag = this.#lag(); lag !== null; lag = this.#lag()) {
      const failed = this.#live.find((i) => i.streams.state === 'ERROR' || i.streams.state === 'PENDING_ERROR');
      if (failed !== undefined) throw new StreamsError('PROCESSING_FAILED', `the application failed: ${failed.streams.error?.message ?? 'unknown error'}`, { cause: failed.streams.error });
      if (Date.now() > deadline) throw new StreamsError('TIMEOUT', `the application did not settle within ${timeoutMs} ms: ${lag}`);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_CHECK_MS));
    }
  }

  async read(options: RunOptions): Promise<TopologyRun> {
    const outputs = new Map<string, OutputRecord[]>();
    for (const [topic, serdes] of Object.entries(options.outputs)) outputs.set(topic, await this.#readTopic(topic, serdes));
    const stores = new Map<string, ReadonlyMap<unknown, unknown>>();
    for (const spec of options.stores ?? []) {
      const name = typeof spec === 'string' ? spec : spec.name;
      const kind = typeof spec === 'string' ? 'keyValue' : spec.kind;
      const contents = new Map<unknown, unknown>();
      for (const { streams } of this.#live) {
        const view: StoreView =
          kind === 'keyValue'
            ? streams.store(name, QueryableStoreTypes.keyValueStore<unknown, unknown>())
            : kind === 'window'
              ? streams.store(name, QueryableStoreTypes.windowStore<unknown, unknown>())
              : streams.store(name, QueryableStoreTypes.sessionStore<unknown, unknown>());
        storeContents(kind, view, contents);
      }
      stores.set(name, contents);
    }
    return { outputs, stores };
  }

  /** Every record of `topic`, read with a plain consumer from the start to the current end of each partition. */
  async #readTopic(topic: string, serdes: TopicSerdes<unknown, unknown>): Promise<OutputRecord[]> {
    if (!this.broker.hasTopic(topic)) return [];
    const [d] = await this.clients.admin.describeTopics([topic]);
    const tps = d!.partitions.map((p) => ({ topic, partition: p.partition }));
    const ends = await this.clients.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
    const perPartition = tps.map((): OutputRecord[] => []);
    const consumer = this.clients.consumer({ autoOffsetReset: 'earliest' });
    try {
      consumer.assign(tps);
      const isDone = async (): Promise<boolean> => {
        for (let i = 0; i < tps.length; i++) if ((await consumer.position(tps[i]!)) < ends[i]!.offset) return false;
        return true;
      };
      while (!(await isDone())) {
        const polled = await consumer.poll({ maxWaitMs: 20 });
        for (const b of polled.batches) {
          const out = perPartition[b.partition]!;
          for (const r of b.records) {
            if (r.offset >= ends[b.partition]!.offset) break;
            out.push({
              key: serdes.keySerde.deserialize(topic, r.key, r.headers),
              value: serdes.valueSerde.deserialize(topic, r.value, r.headers),
              timestampMs: r.timestampMs,
              partition: b.partition,
            });
          }
        }
      }
    } finally {
      await consumer.close();
    }
    return perPartition.flat();
  }

  async close(): Promise<void> {
    for (const i of this.#live.splice(0)) await i.streams.close({ timeoutMs: 10_000 });
    await this.#producer.close();
  }
}
