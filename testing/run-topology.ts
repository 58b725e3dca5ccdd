/**
 * `runTopology`: runs a topology over given input, over the TopologyTestDriver or over the embedded broker, and
 * returns what it wrote and what its stores hold at the end.
 */
import { encodeBatch } from '../src/broker/record-batch.js';
import { StreamsError } from '../src/errors.js';
import { NO_HEADERS } from '../src/record.js';
import { serializeFor } from '../src/serdes/serde.js';
import { silentLogger } from '../src/util/logger.js';
import { runningTopology } from '../runtime/running-topology.js';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import { runOnBroker } from './run-on-broker.js';
import { batchSizes, checkTimestamp, DEFAULT_APPLICATION_ID, runEvents, type RunOptions, type TopologyFactory } from './run-options.js';
import { storeContents } from './store-contents.js';
import {
  feedOrder,
  SINGLE_PARTITION,
  type FedRecord,
  type OutputRecord,
  type TopologyInputs,
  type TopologyRun,
} from './test-records.js';

/**
 * Runs the topology `factory` builds over `inputs` and returns every record written to the `outputs` topics and the
 * final contents of the `stores`.
 *
 * Records are fed in {@link feedOrder}. Over the TopologyTestDriver each batch (one record unless a commit schedule
 * says otherwise) is appended to the input partitions, processed to completion (repartition topics too) and
 * committed before the next. Over the broker the input is produced, in batches, to topics with the requested
 * partitions; the run waits until the application's committed offsets reach the end of every topic it reads (never
 * a fixed sleep) before and after each event and at the end, then reads the outputs with a consumer and the stores with
 * interactive queries.
 *
 * @example
 * ```ts
 * const run = await runTopology(wordCount, {
 *   'text-lines': { keySerde: Serdes.String(), valueSerde: Serdes.String(), records: [{ key: null, value: 'a b a', timestampMs: 0 }] },
 * }, { outputs: { 'word-counts': { keySerde: Serdes.String(), valueSerde: Serdes.Number() } }, stores: ['counts'] });
 * run.stores.get('counts'); // Map { 'a' => 2, 'b' => 1 }
 * ```
 */
export async function runTopology(factory: TopologyFactory, inputs: TopologyInputs, options: RunOptions): Promise<TopologyRun> {
  const fed = fedRecords(factory, inputs, options);
  const events = runEvents(options, fed.length);
  if ((options.mode ?? 'driver') === 'broker') return runOnBroker(factory, inputs, fed, events, options);
  if (events.length > 0 || (options.instances ?? 1) !== 1) {
    throw new StreamsError('INVALID_CONFIG', "restarts and several instances need mode 'broker' (the TopologyTestDriver keeps its stores only while it is open)");
  }
  return runOnDriver(factory, inputs, fed, options);
}

/**
 * The records {@link runTopology} feeds for these inputs and options, in order, each with its partition: what a
 * model of the topology is given.
 *
 * @example
 * ```ts
 * const fed = fedRecords(factory, inputs, { outputs, partitioning: { partitions: 2, salt: null } });
 * ```
 */
export function fedRecords(factory: TopologyFactory, inputs: TopologyInputs, options: Pick<RunOptions, 'partitioning' | 'config'>): FedRecord[] {
  const c = options.config;
  const { built } = runningTopology(factory(), {
    applicationId: c?.applicationId ?? DEFAULT_APPLICATION_ID,
    defaultKeySerde: c?.defaultKeySerde,
    defaultValueSerde: c?.defaultValueSerde,
  });
  return feedOrder(inputs, options.partitioning ?? SINGLE_PARTITION, built.subtopologies.flatMap((s) => s.sourceTopics));
}

function runOnDriver(factory: TopologyFactory, inputs: TopologyInputs, fed: readonly FedRecord[], options: RunOptions): TopologyRun {
  const schedule = options.commitSchedule;
  const driver = new TopologyTestDriver(factory(), {
    applicationId: DEFAULT_APPLICATION_ID,
    ...options.config,
    ...(schedule?.cacheMaxBytes === undefined ? {} : { cacheMaxBytes: schedule.cacheMaxBytes }),
    logger: options.logger ?? silentLogger(),
  });
  try {
    const partitions = options.partitioning?.partitions ?? 1;
    for (const [topic, input] of Object.entries(inputs)) driver.createInputTopic(topic, input.keySerde, input.valueSerde, { partitions });
    // Starts the driver (creates topics and tasks) without processing anything.
    driver.advanceWallClockTime(0);
    const sizes = batchSizes(schedule);
    for (let i = 0, b = 0; i < fed.length; b++) {
      const n = sizes[b % sizes.length]!;
      appendBatch(driver, inputs, fed.slice(i, i + n));
      // One poll's worth: every task processes what is new, then the driver commits (flushing caches).
      driver.advanceWallClockTime(0);
      i += n;
    }
    const outputs = new Map<string, OutputRecord[]>();
    for (const [topic, serdes] of Object.entries(options.outputs)) {
      const records: OutputRecord[] = [];
      for (const r of driver.readRaw(topic, new Map())) {
        records.push({
          key: serdes.keySerde.deserialize(topic, r.key, r.headers),
          value: serdes.valueSerde.deserialize(topic, r.value, r.headers),
          timestampMs: r.timestampMs,
          partition: r.partition,
        });
      }
      outputs.set(topic, records);
    }
    const stores = new Map<string, ReadonlyMap<unknown, unknown>>();
    for (const spec of options.stores ?? []) {
      const name = typeof spec === 'string' ? spec : spec.name;
      const kind = typeof spec === 'string' ? 'keyValue' : spec.kind;
      stores.set(name, storeContents(kind, kind === 'keyValue' ? driver.getKeyValueStore(name) : kind === 'window' ? driver.getWindowStore(name) : driver.getSessionStore(name)));
    }
    return { outputs, stores };
  } finally {
    driver.close();
  }
}

/** Appends records to the driver's input partitions, one record batch per partition, without processing them. */
function appendBatch(driver: TopologyTestDriver, inputs: TopologyInputs, records: readonly FedRecord[]): void {
  const byPartition = new Map<string, { topic: string; partition: number; records: { key: Uint8Array | null; value: Uint8Array | null; timestampMs: number; headers: typeof NO_HEADERS }[] }>();
  for (const r of records) {
    const input = inputs[r.topic]!;
    const id = `${r.topic}\u0000${r.partition}`;
    let group = byPartition.get(id);
    if (group === undefined) byPartition.set(id, (group = { topic: r.topic, partition: r.partition, records: [] }));
    checkTimestamp(r);
    group.records.push({
      key: serializeFor(input.keySerde, r.key, r.topic),
      value: serializeFor(input.valueSerde, r.value, r.topic),
      timestampMs: r.timestampMs,
      headers: NO_HEADERS,
    });
  }
  for (const g of byPartition.values()) driver.broker.appendSync(g.topic, g.partition, encodeBatch(g.records), true);
}
