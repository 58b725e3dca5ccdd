/**
 * bench/runtime.ts — a hand-built word count (Processor API: split -> sink to a repartition topic -> source -> count
 * in a store -> sink) run by KafkaStreams over the embedded broker, against a plain Map count of the same words in
 * the same run. Prints words/s with an in-memory and with a SQLite store (caching enabled, as Kafka Streams'
 * default), each as "processed" (the Count processor has seen every word) and "committed" (input and repartition
 * offsets committed to the end, so output and changelog are in the log); the ratio to the Map count; CPU µs per
 * word (steadier than wall time on a shared machine); changelog restore records/s into a fresh in-memory store;
 * peak RSS. Every run's final counts are checked against the Map, key by key; a mismatch exits non-zero.
 *
 *   npm run bench:runtime             (BENCH_SCALE=0.1 for a quicker run; BENCH_ONLY=memory|sqlite to run one store,
 *                                      BENCH_COMMIT_MS to change commitIntervalMs, default 1000)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Broker,
  KafkaStreams,
  Record,
  Serdes,
  Stores,
  Topology,
  inProcessClients,
  silentLogger,
  type KeyValueStore,
  type ProcessorContext,
} from '../src/index.js';
import { benchEnv } from './helpers/bench-env.js';
import { SPLIT, checkCounts, corpusHeading, makeLines, mapBaseline, wordCountCorpus } from './helpers/corpus.js';
import { cpuSecondsSince, fmt, mib } from './helpers/format.js';
import { RssSampler } from './helpers/rss-sampler.js';
import { committedToEnd, partitionsOf, produceLines, readCountStore, waitFor } from './helpers/streams-run.js';

const { scale: SCALE, only: ONLY, commitMs } = benchEnv();
const COMMIT_MS = commitMs ?? 1000;
const CORPUS = wordCountCorpus(SCALE, 3, 10);
const LINES = CORPUS.lines;
const PARTITIONS = 4;
const PRODUCE_BATCH = 1000;
const INPUT = 'lines';

const rss = new RssSampler(50);

/** Words the Count processors have processed, across tasks (one increment per word; lets the bench see progress). */
let processedWords = 0;

function wordCount(applicationId: string, persistent: boolean): Topology {
  const repartition = `${applicationId}-words-repartition`;
  const t = new Topology();
  t.addSource('Source', [INPUT], { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  t.addProcessor(
    'Split',
    () => {
      let ctx: ProcessorContext<string, string>;
      return {
        init(c: ProcessorContext<string, string>) {
          ctx = c;
        },
        process(r: Record<string, string>) {
          for (const w of r.value.toLowerCase().split(SPLIT)) if (w) ctx.forward(new Record(w, w, r.timestampMs, r.headers));
        },
      };
    },
    'Source',
  );
  t.addSink('ToRepartition', repartition, { keySerde: Serdes.String(), valueSerde: Serdes.String() }, 'Split');
  t.addSource('Words', [repartition], { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  t.addProcessor(
    'Count',
    () => {
      let ctx: ProcessorContext<string, bigint>;
      let store: KeyValueStore<string, bigint>;
      return {
        init(c: ProcessorContext<string, bigint>) {
          ctx = c;
          store = c.getStateStore('counts');
        },
        process(r: Record<string, string>) {
          const n = (store.get(r.key) ?? 0n) + 1n;
          store.put(r.key, n);
          processedWords++;
          ctx.forward(r.withValue(n));
        },
      };
    },
    'Words',
  );
  const supplier = persistent ? Stores.persistentKeyValueStore('counts') : Stores.inMemoryKeyValueStore('counts');
  t.addStateStore(Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.BigInt()).withCachingEnabled(), 'Count');
  t.addSink('Out', `${applicationId}-counts`, { keySerde: Serdes.String(), valueSerde: Serdes.BigInt() }, 'Count');
  return t;
}

/** Throws unless the app's store holds exactly the Map's counts. */
function verify(label: string, streams: KafkaStreams, expected: ReadonlyMap<string, number>, totalWords: number): void {
  checkCounts(label, readCountStore(streams, 'counts'), expected, totalWords);
}

interface RunResult {
  readonly processedS: number;
  readonly committedS: number;
  /** CPU seconds (user + system, all threads) from start() to committed: steadier than wall time on a busy machine. */
  readonly cpuS: number;
  readonly peakRss: number;
}

async function runApp(broker: Broker, dir: string, applicationId: string, persistent: boolean, expected: ReadonlyMap<string, number>, totalWords: number): Promise<RunResult> {
  const streams = new KafkaStreams(wordCount(applicationId, persistent), {
    applicationId,
    broker,
    stateDir: path.join(dir, `state-${applicationId}`),
    commitIntervalMs: COMMIT_MS,
    logger: silentLogger(),
  });
  processedWords = 0;
  rss.startPhase();
  const inputTps = partitionsOf(INPUT, PARTITIONS);
  const repartitionTps = partitionsOf(`${applicationId}-words-repartition`, PARTITIONS);
  // Input first: once it is committed, every repartition record it caused is in the log (sent before the commit).
  const isCommitted = (): boolean => committedToEnd(broker, applicationId, inputTps) && committedToEnd(broker, applicationId, repartitionTps);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await streams.start();
  await waitFor(applicationId, streams, () => processedWords >= totalWords, 600_000);
  const processedS = (performance.now() - t0) / 1000;
  await waitFor(applicationId, streams, isCommitted, 600_000);
  const committedS = (performance.now() - t0) / 1000;
  const cpuS = cpuSecondsSince(cpu0);
  rss.sample();
  const runPeak = rss.phasePeakBytes;
  if (processedWords !== totalWords) throw new Error(`${applicationId}: the Count processors saw ${processedWords} words, expected ${totalWords}`);
  verify(applicationId, streams, expected, totalWords);
  await streams.close();
  return { processedS, committedS, cpuS, peakRss: runPeak };
}

async function restore(broker: Broker, dir: string, applicationId: string, expected: ReadonlyMap<string, number>, totalWords: number): Promise<{ records: number; seconds: number }> {
  // Same applicationId (so the same changelog and the group's committed offsets: nothing left to process), fresh
  // state directory, in-memory store: every task replays its changelog partition from the start.
  const streams = new KafkaStreams(wordCount(applicationId, false), {
    applicationId,
    broker,
    stateDir: path.join(dir, `state-${applicationId}-restore`),
    commitIntervalMs: COMMIT_MS,
    logger: silentLogger(),
  });
  let firstStart = Number.POSITIVE_INFINITY;
  let lastEnd = 0;
  let records = 0;
  let open = 0;
  streams.setGlobalStateRestoreListener({
    onRestoreStart() {
      firstStart = Math.min(firstStart, performance.now());
      open++;
    },
    onRestoreEnd(_tp, _store, total) {
      lastEnd = performance.now();
      records += total;
      open--;
    },
  });
  await streams.start();
  await waitFor(`${applicationId} restore`, streams, () => streams.state === 'RUNNING' && open === 0 && lastEnd > 0, 600_000);
  verify(`${applicationId} restore`, streams, expected, totalWords);
  await streams.close();
  return { records, seconds: (lastEnd - firstStart) / 1000 };
}

async function main(): Promise<void> {
  console.log(`tributary bench:runtime — node ${process.version}, ${os.cpus().length} cores, scale ${SCALE}, commitIntervalMs ${COMMIT_MS}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-runtime-'));
  try {
    const lines = makeLines(CORPUS);
    const totalWords = CORPUS.totalWords;
    const base = mapBaseline(lines, totalWords);
    const expected = base.counts;
    const mapS = base.seconds;
    const mapCpuS = base.cpuSeconds;
    const mapRate = base.wordsPerS;

    const broker = await Broker.open({ dataDir: path.join(dir, 'log'), flush: 'os', logger: silentLogger() });
    try {
      const { admin, producer } = inProcessClients(broker);
      await admin.createTopics([{ topic: INPUT, numPartitions: PARTITIONS }]);
      const p = producer();
      const produceS = await produceLines(p, INPUT, lines, PRODUCE_BATCH);
      await p.close();

      console.log(`\n${corpusHeading(CORPUS, expected.size, PARTITIONS)}`);
      console.log(`produce input lines          ${fmt(LINES / produceS)} lines/s (${produceS.toFixed(2)} s)`);
      const perWordUs = (cpuS: number): string => `${((cpuS * 1e6) / totalWords).toFixed(2)} µs CPU/word`;
      console.log(`plain Map count (baseline)   ${fmt(mapRate)} words/s (${(mapS * 1000).toFixed(0)} ms; ${perWordUs(mapCpuS)})`);

      const report = (label: string, r: RunResult): void => {
        const processed = totalWords / r.processedS;
        const committed = totalWords / r.committedS;
        console.log(
          `${label.padEnd(28)} ${fmt(committed)} words/s committed (${r.committedS.toFixed(2)} s), ratio ${(committed / mapRate).toFixed(4)} of the Map; ` +
            `${fmt(processed)} words/s processed (${r.processedS.toFixed(2)} s); ${perWordUs(r.cpuS)} (${(mapCpuS / r.cpuS).toFixed(4)} of the Map's CPU rate); peak RSS ${mib(r.peakRss)}`,
        );
      };

      if (ONLY === '' || ONLY === 'memory') {
        const mem = await runApp(broker, dir, 'wc-memory', false, expected, totalWords);
        report('in-memory store, caching', mem);
        const r = await restore(broker, dir, 'wc-memory', expected, totalWords);
        console.log(`${'changelog restore (memory)'.padEnd(28)} ${fmt(r.records / r.seconds)} records/s (${fmt(r.records)} records in ${(r.seconds * 1000).toFixed(0)} ms, counts verified)`);
      }
      if (ONLY === '' || ONLY === 'sqlite') {
        const sql = await runApp(broker, dir, 'wc-sqlite', true, expected, totalWords);
        report('SQLite store, caching', sql);
      }
    } finally {
      await broker.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
  rss.sample();
  console.log(`\npeak RSS ${mib(rss.peakBytes)} (whole run); all counts verified against the Map`);
} catch (e: unknown) {
  console.error('bench:runtime FAILED:', e);
  process.exitCode = 1;
} finally {
  rss.stop();
}
