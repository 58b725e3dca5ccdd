/**
 * bench/wordcount.ts — the DSL word count (issue 4's benchmark) run by KafkaStreams over an embedded broker on disk:
 *
 *   builder.stream('text-lines').flatMapValues(v => v.toLowerCase().split(/\W+/).filter(Boolean))
 *     .groupBy((k, w) => w).count(Materialized.as('counts')).toStream().to('word-counts')
 *
 * 5 M words (500,000 lines of 10 words drawn from 10,000 distinct words of 4-9 letters, deterministic), 4
 * partitions, at-least-once, caching on (Kafka Streams' defaults), the default commit interval (30 s), once with the
 * in-memory store and once with the SQLite store, each on a fresh broker. The app is started first; the clock starts
 * at the first record produced and stops when the last count is committed: once the store holds all 5 M words the
 * app is closed, and its close commits (flushes the caches, writes output and changelog, then commits the input and
 * repartition offsets). That every offset is committed to the end and that the `word-counts` topic holds exactly the
 * counts of a plain Map over the same lines are checked after each run; a mismatch exits non-zero. Prints words/s
 * (committed, and processed: when the store had counted every word), the Map's words/s in the same run and the ratio,
 * CPU µs per word (all threads, and the main thread's alone: the steadiest figure on a shared machine), how busy the
 * event loop was (below 100% means the app waited), and peak RSS per run and overall.
 *
 *   npm run bench:wordcount        (BENCH_SCALE=0.1 for a quicker run; BENCH_ONLY=memory|sqlite for one store;
 *                                   BENCH_COMMIT_MS=1000 to override the default commit interval)
 *   npm run bench:wordcount -- --guarantee exactly_once_v2
 *                                  (each store at_least_once, then exactly_once_v2 with its defaults: commit interval
 *                                   100 ms, one transaction per commit; prints the EOS/ALOS ratio. Goal: <= 15% lost)
 *
 * Reference (same corpus, this 2-core machine, broker on the same machine): Kafka Streams ~127 k words/s with
 * default settings, ~277 k tuned. Goal: 1 M words/s in memory, 500 k with SQLite.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker, KafkaStreams, Materialized, Serdes, StreamsBuilder, inProcessClients, silentLogger, type DslStoreType, type ProcessingGuarantee, type Topology } from '../src/index.js';
import { longSerde } from '../dsl/long-serde.js';
import { benchEnv } from './helpers/bench-env.js';
import { checkCounts, corpusHeading, makeLines, mapBaseline, wordCountCorpus } from './helpers/corpus.js';
import { cpuSecondsSince, fmt, mainThreadCpuSeconds, mib } from './helpers/format.js';
import { RssSampler } from './helpers/rss-sampler.js';
import { committedToEnd, endOffsetSum, partitionsOf, produceLines, readCountStore, readLatest, waitFor } from './helpers/streams-run.js';

const { scale: SCALE, only: ONLY, commitMs: COMMIT_MS } = benchEnv();
/** `--guarantee exactly_once_v2`: also run under exactly-once and print its ratio to at_least_once (same corpus, same run). */
const GUARANTEE = (() => {
  const i = process.argv.indexOf('--guarantee');
  const g = i < 0 ? 'at_least_once' : process.argv[i + 1];
  if (g !== 'at_least_once' && g !== 'exactly_once_v2') throw new Error(`--guarantee must be at_least_once or exactly_once_v2, got ${String(g)}`);
  return g;
})();
const CORPUS = wordCountCorpus(SCALE, 4, 9);
const PARTITIONS = 4;
const PRODUCE_BATCH = 1000;
const INPUT = 'text-lines';
const OUTPUT = 'word-counts';
const TIMEOUT_MS = 600_000;

const rss = new RssSampler(50);

function wordCount(storeType: DslStoreType): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>(INPUT)
    .flatMapValues((v) => v.toLowerCase().split(/\W+/).filter(Boolean))
    .groupBy((_k, w) => w)
    .count(Materialized.as<string, number>('counts').withStoreType(storeType))
    .toStream()
    .to(OUTPUT);
  return builder.build();
}

interface RunResult {
  /** Seconds from the first record produced until the store has counted every word. */
  readonly processedS: number;
  /** Seconds from the first record produced until the last count is committed. */
  readonly committedS: number;
  readonly produceS: number;
  /** CPU seconds of the process (all threads: GC helpers, I/O) over the timed window. */
  readonly cpuS: number;
  /** CPU seconds of the main thread over the timed window (Linux), null where unknown. */
  readonly mainCpuS: number | null;
  /** The event loop's utilization over the timed window: 1 - the share of time it waited for I/O or timers. */
  readonly loopUtilization: number;
  readonly peakRss: number;
}

async function run(
  dir: string,
  storeType: DslStoreType,
  expected: ReadonlyMap<string, number>,
  totalWords: number,
  lines: readonly string[],
  guarantee: ProcessingGuarantee,
): Promise<RunResult> {
  const applicationId = `wordcount-${storeType}-${guarantee === 'exactly_once_v2' ? 'eos' : 'alos'}`;
  const broker = await Broker.open({ dataDir: path.join(dir, applicationId, 'log'), logger: silentLogger() });
  try {
    const clients = inProcessClients(broker);
    await clients.admin.createTopics([{ topic: INPUT, numPartitions: PARTITIONS }]);
    const streams = new KafkaStreams(wordCount(storeType), {
      applicationId,
      broker,
      stateDir: path.join(dir, applicationId, 'state'),
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.String(),
      processingGuarantee: guarantee,
      ...(COMMIT_MS === undefined ? {} : { commitIntervalMs: COMMIT_MS }),
      logger: silentLogger(),
    });
    await streams.start();
    await waitFor(applicationId, streams, () => streams.state === 'RUNNING', TIMEOUT_MS);

    rss.startPhase();
    const repartition = partitionsOf(`${applicationId}-counts-repartition`, PARTITIONS);
    // Cheap test first (every word is in the repartition topic), then the store's sum through an interactive query.
    const isProcessed = (): boolean => {
      if (endOffsetSum(broker, repartition) < totalWords) return false;
      let sum = 0;
      for (const n of readCountStore(streams, 'counts').values()) sum += Number(n);
      return sum >= totalWords;
    };
    const producer = clients.producer();
    let t0 = 0;
    let cpu0 = process.cpuUsage();
    let main0 = mainThreadCpuSeconds();
    let elu0 = performance.eventLoopUtilization();
    const produceS = await produceLines(producer, INPUT, lines, PRODUCE_BATCH, () => {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
      main0 = mainThreadCpuSeconds();
      elu0 = performance.eventLoopUtilization();
    });
    await producer.close();
    await waitFor(applicationId, streams, isProcessed, TIMEOUT_MS);
    const processedS = (performance.now() - t0) / 1000;
    checkCounts(`${applicationId} store`, readCountStore(streams, 'counts'), expected, totalWords);
    await streams.close();
    const committedS = (performance.now() - t0) / 1000;
    const cpuS = cpuSecondsSince(cpu0);
    const main1 = mainThreadCpuSeconds();
    const mainCpuS = main0 === null || main1 === null ? null : main1 - main0;
    const loopUtilization = performance.eventLoopUtilization(elu0).utilization;
    rss.sample();
    const peakRss = rss.phasePeakBytes;
    if (streams.error !== null) throw new Error(`${applicationId}: ${streams.error.message}`);

    // What a downstream reader sees: every offset committed to the end, and the output topic's latest counts.
    const input = partitionsOf(INPUT, PARTITIONS);
    if (!committedToEnd(broker, applicationId, input) || !committedToEnd(broker, applicationId, repartition)) {
      throw new Error(`${applicationId}: input or repartition offsets are not committed to the end after close`);
    }
    const output = await readLatest(clients, partitionsOf(OUTPUT, PARTITIONS), Serdes.String(), longSerde());
    checkCounts(`${applicationId} ${OUTPUT}`, output, expected, totalWords);
    return { processedS, committedS, produceS, cpuS, mainCpuS, loopUtilization, peakRss };
  } finally {
    await broker.close();
  }
}

async function main(): Promise<void> {
  const commit = COMMIT_MS === undefined ? 'default (30000)' : String(COMMIT_MS);
  console.log(`tributary bench:wordcount — node ${process.version}, ${os.cpus().length} cores, scale ${SCALE}, commitIntervalMs ${commit}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-wordcount-'));
  try {
    const lines = makeLines(CORPUS);
    const totalWords = CORPUS.totalWords;
    const base = mapBaseline(lines, totalWords);
    const perWordUs = (cpuS: number): string => `${((cpuS * 1e6) / totalWords).toFixed(2)} µs CPU/word`;
    console.log(`\n${corpusHeading(CORPUS, base.counts.size, PARTITIONS)}`);
    console.log(`${'plain Map count (baseline)'.padEnd(22)} ${fmt(base.wordsPerS)} words/s (${(base.seconds * 1000).toFixed(0)} ms; ${perWordUs(base.cpuSeconds)})`);
    const stores: DslStoreType[] = ONLY === '' ? ['in-memory', 'sqlite'] : ONLY === 'memory' ? ['in-memory'] : ['sqlite'];
    const guarantees: ProcessingGuarantee[] = GUARANTEE === 'exactly_once_v2' ? ['at_least_once', 'exactly_once_v2'] : ['at_least_once'];
    for (const storeType of stores) {
      let alos = 0;
      for (const guarantee of guarantees) {
      const r = await run(dir, storeType, base.counts, totalWords, lines, guarantee);
      const committed = totalWords / r.committedS;
      if (guarantee === 'at_least_once') alos = committed;
      const label = guarantees.length === 1 ? `${storeType} store` : `${storeType} ${guarantee === 'at_least_once' ? 'ALOS' : 'EOS v2'}`;
      const vsAlos = guarantee === 'exactly_once_v2' ? `, ${(committed / alos).toFixed(3)} of at_least_once (${(100 * (1 - committed / alos)).toFixed(1)}% lost)` : '';
      console.log(
        `${label.padEnd(22)} ${fmt(committed)} words/s committed (${r.committedS.toFixed(2)} s), ratio ${(committed / base.wordsPerS).toFixed(4)} of the Map${vsAlos}; ` +
          `${fmt(totalWords / r.processedS)} words/s processed (${r.processedS.toFixed(2)} s; producing took ${r.produceS.toFixed(2)} s); ` +
          `${perWordUs(r.cpuS)}${r.mainCpuS === null ? '' : ` (main thread ${((r.mainCpuS * 1e6) / totalWords).toFixed(2)})`}; event loop ${(100 * r.loopUtilization).toFixed(0)}% busy; peak RSS ${mib(r.peakRss)}`,
      );
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
  rss.sample();
  console.log(`\npeak RSS ${mib(rss.peakBytes)} (whole run); store and ${OUTPUT} topic verified against the Map, offsets committed to the end`);
} catch (e: unknown) {
  console.error('bench:wordcount FAILED:', e);
  process.exitCode = 1;
} finally {
  rss.stop();
}
