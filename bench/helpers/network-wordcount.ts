/**
 * bench/helpers/network-wordcount.ts — the word count of bench/wordcount.ts (in-memory store, default commit
 * interval, caching on) timed from the first line produced until the app has closed (its close flushes the caches
 * and commits), run two ways: the app in its own process over the Kafka protocol, and everything in this process
 * over an embedded broker (the baseline). Both are checked: the input committed to the end and the output topic's
 * latest counts equal to a plain Map's.
 */
import * as path from 'node:path';
import { Broker, KafkaStreams, Serdes, inProcessClients, silentLogger, type Clients } from '../../src/index.js';
import { longSerde } from '../../dsl/long-serde.js';
import { checkCounts } from './corpus.js';
import { WORDCOUNT, countedWords, wordCountTopology, type AppStats } from './network-app.js';
import { startAppProcess } from './network-app-process.js';
import type { BrokerProcess } from './network-broker.js';
import { partitionsOf, produceLines, readLatest, waitFor } from './streams-run.js';

/** Partitions of the word count's input topic (as bench/wordcount.ts). */
export const WORDCOUNT_PARTITIONS = 4;

/** One timed word count. */
export interface WordCountRun {
  /** Seconds from the first line produced until the store had counted every word. */
  readonly processedS: number;
  /** Seconds from the first line produced until the app had closed (everything committed). */
  readonly committedS: number;
  readonly produceS: number;
  /** CPU seconds of the app's process over the run (the embedded run: of this process, broker included). */
  readonly appCpuS: number;
  /** The app's process's peak RSS in bytes (the embedded run: undefined, this process's sampler has it). */
  readonly appPeakRssBytes?: number;
}

/** Throws unless `groupId` committed every input partition to its end and `word-counts` holds the Map's counts. */
async function verify(clients: Clients, groupId: string, expected: ReadonlyMap<string, number>, totalWords: number): Promise<void> {
  const input = partitionsOf(WORDCOUNT.input, WORDCOUNT_PARTITIONS);
  const reader = clients.consumer({ groupId });
  const committed = await reader.committed(input);
  await reader.close();
  const ends = await clients.admin.listOffsets(input.map((tp) => ({ ...tp, spec: 'latest' as const })));
  ends.forEach((e, i) => {
    if ((committed[i]?.offset ?? -1) < e.offset) throw new Error(`${groupId}: ${e.topic}-${e.partition} committed at ${committed[i]?.offset ?? 'none'} of ${e.offset}`);
  });
  const output = await readLatest(clients, partitionsOf(WORDCOUNT.output, WORDCOUNT_PARTITIONS), Serdes.String(), longSerde());
  checkCounts(`${groupId} ${WORDCOUNT.output}`, output, expected, totalWords);
}

/**
 * The app (bench/helpers/network-app.ts) in its own process against `broker`, lines produced from this process with
 * tributary's Kafka client; `onStart` runs once the app is RUNNING, just before the first line (a phase boundary).
 *
 * @example
 * ```ts
 * const r = await wordCountOverNetwork(broker, clients, stateDir, lines, base.counts, totalWords, () => broker.resetPeak());
 * ```
 */
export async function wordCountOverNetwork(
  broker: BrokerProcess,
  clients: Clients,
  stateDir: string,
  lines: readonly string[],
  expected: ReadonlyMap<string, number>,
  totalWords: number,
  onStart: () => void,
  cpuProfDir?: string,
): Promise<WordCountRun> {
  await clients.admin.createTopics([{ topic: WORDCOUNT.input, numPartitions: WORDCOUNT_PARTITIONS }]);
  const app = startAppProcess(['wordcount', String(broker.port), stateDir, String(totalWords)], cpuProfDir);
  try {
    await app.line('ready');
    onStart();
    const producer = clients.producer();
    let t0 = 0;
    const produceS = await produceLines(producer, WORDCOUNT.input, lines, 1000, () => (t0 = performance.now()));
    await producer.close();
    const processedAt = await app.line('processed');
    const closedAt = await app.line('closed');
    const stats: AppStats = await app.stats();
    if ((await app.exit) !== 0) throw new Error('the word-count app did not exit cleanly');
    await verify(clients, WORDCOUNT.applicationId, expected, totalWords);
    return { processedS: (processedAt - t0) / 1000, committedS: (closedAt - t0) / 1000, produceS, appCpuS: stats.cpuS, appPeakRssBytes: stats.peakRssBytes };
  } finally {
    await app.stop();
  }
}

/**
 * The same word count with app and broker in this process (an embedded broker on disk under `dir`, in-process
 * clients): the baseline the network run is a ratio of.
 *
 * @example
 * ```ts
 * const r = await wordCountEmbedded('/tmp/x', lines, base.counts, totalWords);
 * ```
 */
export async function wordCountEmbedded(dir: string, lines: readonly string[], expected: ReadonlyMap<string, number>, totalWords: number): Promise<WordCountRun> {
  const applicationId = `${WORDCOUNT.applicationId}-embedded`;
  const broker = await Broker.open({ dataDir: path.join(dir, 'log'), logger: silentLogger() });
  try {
    const clients = inProcessClients(broker);
    await clients.admin.createTopics([{ topic: WORDCOUNT.input, numPartitions: WORDCOUNT_PARTITIONS }]);
    const streams = new KafkaStreams(wordCountTopology(), {
      applicationId,
      broker,
      stateDir: path.join(dir, 'state'),
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.String(),
      logger: silentLogger(),
    });
    await streams.start();
    await waitFor(applicationId, streams, () => streams.state === 'RUNNING', 120_000);
    const producer = clients.producer();
    let t0 = 0;
    let cpu0 = process.cpuUsage();
    const produceS = await produceLines(producer, WORDCOUNT.input, lines, 1000, () => {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
    });
    await producer.close();
    await waitFor(applicationId, streams, () => countedWords(streams) >= totalWords, 600_000, 50);
    const processedS = (performance.now() - t0) / 1000;
    await streams.close();
    const committedS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (streams.error !== null) throw new Error(`${applicationId}: ${streams.error.message}`);
    await verify(clients, applicationId, expected, totalWords);
    return { processedS, committedS, produceS, appCpuS: (cpu.user + cpu.system) / 1e6 };
  } finally {
    await broker.close();
  }
}
