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
  QueryableStoreTypes,
  Record,
  Serdes,
  Stores,
  Topology,
  inProcessClients,
  silentLogger,
  type KeyValueStore,
  type ProcessorContext,
  type ProducerRecord,
  type TopicPartition,
} from '../src/index.js';
import { topicPartitionKey } from '../src/record.js';

const SCALE = Number(process.env['BENCH_SCALE'] ?? '1');
const ONLY = process.env['BENCH_ONLY'] ?? '';
const COMMIT_MS = Number(process.env['BENCH_COMMIT_MS'] ?? '1000');
const LINES = Math.max(100, Math.round(500_000 * SCALE));
const WORDS_PER_LINE = 10;
const VOCABULARY = 10_000;
const PARTITIONS = 4;
const PRODUCE_BATCH = 1000;
const POLL_MS = 20;
const INPUT = 'lines';

let peakRss = 0;
let phasePeakRss = 0;
const sampleRss = (): void => {
  const rss = process.memoryUsage().rss;
  if (rss > peakRss) peakRss = rss;
  if (rss > phasePeakRss) phasePeakRss = rss;
};
const rssTimer = setInterval(sampleRss, 50);

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MiB`;
}

/** A small deterministic PRNG (mulberry32), so every run counts the same words. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lines of lowercase words drawn from a Zipf(1) distribution over a fixed vocabulary. */
function makeLines(): string[] {
  const rnd = prng(42);
  const vocab = new Set<string>();
  while (vocab.size < VOCABULARY) {
    const len = 3 + Math.floor(rnd() * 8);
    let w = '';
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + Math.floor(rnd() * 26));
    vocab.add(w);
  }
  const words = [...vocab];
  const cdf = new Float64Array(VOCABULARY);
  let sum = 0;
  for (let i = 0; i < VOCABULARY; i++) cdf[i] = sum += 1 / (i + 1);
  const pick = (): string => {
    const x = rnd() * sum;
    let lo = 0;
    let hi = VOCABULARY - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
  const lines: string[] = new Array<string>(LINES);
  for (let i = 0; i < LINES; i++) {
    let line = pick();
    for (let j = 1; j < WORDS_PER_LINE; j++) line += (j % 4 === 0 ? ', ' : ' ') + pick();
    lines[i] = i % 7 === 0 ? line.toUpperCase() : line;
  }
  return lines;
}

const SPLIT = /\W+/;

/** The baseline: the same split and count, into a Map, with no log, serdes or stores. */
function mapCount(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    for (const w of line.toLowerCase().split(SPLIT)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Throws unless the app's store holds exactly the Map's counts. */
function verify(label: string, streams: KafkaStreams, expected: ReadonlyMap<string, number>, totalWords: number): void {
  const store = streams.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>());
  let sum = 0n;
  let keys = 0;
  const it = store.all();
  try {
    for (let n = it.next(); !n.done; n = it.next()) {
      const [k, v] = [n.value.key, n.value.value];
      sum += v;
      keys++;
      if (BigInt(expected.get(k) ?? -1) !== v) throw new Error(`${label}: count of ${JSON.stringify(k)} is ${v}, the Map says ${expected.get(k) ?? 'absent'}`);
    }
  } finally {
    it.close();
  }
  if (sum !== BigInt(totalWords) || keys !== expected.size) {
    throw new Error(`${label}: the store sums to ${sum} over ${keys} keys; expected ${totalWords} words over ${expected.size} keys`);
  }
}

/** Waits until `done()` holds, checking every POLL_MS; fails after `timeoutMs` or if the app leaves RUNNING/REBALANCING. */
async function waitFor(label: string, streams: KafkaStreams, done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (streams.state === 'ERROR' || streams.state === 'NOT_RUNNING') throw new Error(`${label}: app is ${streams.state}: ${streams.error?.message ?? ''}`);
    if (performance.now() > deadline) throw new Error(`${label}: timed out after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

interface RunResult {
  readonly processedS: number;
  readonly committedS: number;
  /** CPU seconds (user + system, all threads) from start() to committed: steadier than wall time on a busy machine. */
  readonly cpuS: number;
  readonly peakRss: number;
}

async function runApp(broker: Broker, dir: string, applicationId: string, persistent: boolean, expected: ReadonlyMap<string, number>, totalWords: number): Promise<RunResult> {
  const admin = inProcessClients(broker).admin;
  const streams = new KafkaStreams(wordCount(applicationId, persistent), {
    applicationId,
    broker,
    stateDir: path.join(dir, `state-${applicationId}`),
    commitIntervalMs: COMMIT_MS,
    logger: silentLogger(),
  });
  processedWords = 0;
  phasePeakRss = 0;
  const inputTps: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, p) => ({ topic: INPUT, partition: p }));
  const repartitionTps: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, p) => ({ topic: `${applicationId}-words-repartition`, partition: p }));
  const inputEnds = await admin.listOffsets(inputTps.map((tp) => ({ ...tp, spec: 'latest' as const })));
  const isCommitted = async (): Promise<boolean> => {
    // Input first: once it is committed, every repartition record it caused is in the log (sent before the commit).
    const committed = broker.groups.fetchOffsets(applicationId, [...inputTps, ...repartitionTps]);
    for (const e of inputEnds) if ((committed.get(topicPartitionKey(e.topic, e.partition))?.offset ?? -1) < e.offset) return false;
    for (const tp of repartitionTps) {
      const end = broker.listOffset(tp.topic, tp.partition, 'latest');
      if ((committed.get(topicPartitionKey(tp.topic, tp.partition))?.offset ?? -1) < end) return false;
    }
    return true;
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await streams.start();
  await waitFor(applicationId, streams, () => processedWords >= totalWords, 600_000);
  const processedS = (performance.now() - t0) / 1000;
  await waitFor(applicationId, streams, isCommitted, 600_000);
  const committedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  sampleRss();
  const runPeak = phasePeakRss;
  if (processedWords !== totalWords) throw new Error(`${applicationId}: the Count processors saw ${processedWords} words, expected ${totalWords}`);
  verify(applicationId, streams, expected, totalWords);
  await streams.close();
  return { processedS, committedS, cpuS: (cpu.user + cpu.system) / 1e6, peakRss: runPeak };
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
    const lines = makeLines();
    const totalWords = LINES * WORDS_PER_LINE;

    // Baseline: best of three, so a cold JIT does not flatter the ratios.
    let mapS = Number.POSITIVE_INFINITY;
    let mapCpuS = Number.POSITIVE_INFINITY;
    let expected = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const c = process.cpuUsage();
      const t = performance.now();
      expected = mapCount(lines);
      mapS = Math.min(mapS, (performance.now() - t) / 1000);
      const cpu = process.cpuUsage(c);
      mapCpuS = Math.min(mapCpuS, (cpu.user + cpu.system) / 1e6);
    }
    let mapTotal = 0;
    for (const n of expected.values()) mapTotal += n;
    if (mapTotal !== totalWords) throw new Error(`the Map counted ${mapTotal} words, expected ${totalWords}`);
    const mapRate = totalWords / mapS;

    const broker = await Broker.open({ dataDir: path.join(dir, 'log'), flush: 'os', logger: silentLogger() });
    try {
      const { admin, producer } = inProcessClients(broker);
      await admin.createTopics([{ topic: INPUT, numPartitions: PARTITIONS }]);
      const p = producer();
      const s = Serdes.String();
      const tp0 = performance.now();
      for (let i = 0; i < LINES; i += PRODUCE_BATCH) {
        const messages: ProducerRecord[] = [];
        for (let j = i; j < Math.min(LINES, i + PRODUCE_BATCH); j++) messages.push({ key: s.serialize(INPUT, `line-${j}`), value: s.serialize(INPUT, lines[j]!) });
        await p.send({ topic: INPUT, messages });
      }
      const produceS = (performance.now() - tp0) / 1000;
      await p.close();

      console.log(`\n== ${fmt(LINES)} lines, ${fmt(totalWords)} words, ${fmt(expected.size)} distinct (Zipf over ${fmt(VOCABULARY)}), ${PARTITIONS} partitions ==`);
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
  sampleRss();
  console.log(`\npeak RSS ${mib(peakRss)} (whole run); all counts verified against the Map`);
} catch (e: unknown) {
  console.error('bench:runtime FAILED:', e);
  process.exitCode = 1;
} finally {
  clearInterval(rssTimer);
}
