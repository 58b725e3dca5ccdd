/**
 * bench/network.ts — tributary's broker on the network (issue 9's benchmark). The broker always runs in its own
 * process, started by the CLI (`node bin/tributary.js broker --data-dir TMP --port 0`), its data in a temporary
 * directory removed at the end. Rows:
 *
 *   1. kcat -P of N x 100-byte records from a file (default librdkafka settings; `--kcat-tuned` adds a row with
 *      other settings), records/s, MB/s;
 *   2. kcat -C -e of the same records (output to /dev/null, counted from kcat's end-of-partition offsets);
 *   3. the same produce and consume with tributary's own Kafka-protocol client (kafkaClients) from this process;
 *   4. baselines of the same run: the raw disk (the records file written and fsynced) and the embedded broker
 *      in-process (inProcessClients produce + consume of the same records); Kafka's figures on this machine;
 *   5. the DSL word count (bench/wordcount.ts's topology) as its own process over the network: words/s from the
 *      first line produced until the app has closed (its close commits everything), checked against a Map count,
 *      and the same word count with app and broker embedded in this process as its baseline;
 *   6. end-to-end latency at a fixed 50 k records/s for 10 s: a mapValues app in its own process, a paced producer
 *      stamping send times and a read_uncommitted reader of the output in this process; p50/p90/p99/max;
 *   7. (secure) kcat's produce and consume of row 1-2 over TLS (an SSL listener, certificates made with openssl in the
 *      temporary directory) and over SASL_SSL with SCRAM-SHA-512 (a user added with `tributary users add` before the
 *      broker starts), each with its ratio to the plaintext kcat row of the same run;
 *   8. (compressed) kcat produce with `-z lz4` and `-z zstd` to a plaintext broker and kcat consume of those topics,
 *      with the ratio to the uncompressed kcat row of the same run (MB/s counts the records' uncompressed bytes) and
 *      the bytes the broker stored (their consume with queued.min.messages=1000000: see compressedRows). Rows 7-8
 *      print their ratios only when the kcat rows run too.
 *
 * Each phase reports the broker process's peak RSS (VmHWM, reset between phases); N = 5 M x scale. Prints each row
 * as it is measured, then a table, then the figures as one JSON line. A record count or output that is wrong fails
 * the run (exit code 1). About a minute at scale 1 on this 2-core machine.
 *
 *   npm run bench:network                      (--scale 0.1 for a quick check, or BENCH_SCALE=0.1)
 *   npm run bench:network -- --only kcat,client,embedded,wordcount,latency,secure,compressed
 *   npm run bench:network -- --repeat 3        (best of 3 for the throughput rows; the spread here is +-30%)
 *   npm run bench:network -- --latency-commit-ms 5   (the latency app's commitIntervalMs, default 5)
 *   npm run bench:network -- --cpu-prof DIR    (broker and app processes run under node --cpu-prof, profiles in DIR)
 *
 * Reference (issue 9, this 2-core machine, Kafka 2.1.1 broker): kcat produce 1.2 M/s and consume 2.0 M/s; Java
 * producer 594 k/s, consumer 1.88 M/s; end-to-end p99 6 ms. Kafka Streams word count: ~127 k words/s (defaults).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Broker, inProcessClients, silentLogger, type Clients } from '../src/index.js';
import { kafkaClients } from '../src/client/kafka/kafka-clients.js';
import { makeLines, mapBaseline, wordCountCorpus } from './helpers/corpus.js';
import { fmt, mib } from './helpers/format.js';
import { PASSTHROUGH } from './helpers/network-app.js';
import { startAppProcess } from './helpers/network-app-process.js';
import { killChildren, startBrokerProcess, type BrokerProcess, type BrokerProcessOptions } from './helpers/network-broker.js';
import { RECORD_BYTES, kcatConsume, kcatProduce, kcatVersion, writeRecordsFile } from './helpers/network-kcat.js';
import { measureLatency, type LatencyResult } from './helpers/network-latency.js';
import { addBenchUser, kcatSecuritySettings, makeBenchCertificates, secureBrokerOptions, storedBytes } from './helpers/network-secure.js';
import { consumeRecords, endOffsetTotal, produceRecords, type Throughput } from './helpers/network-throughput.js';
import { RssSampler } from './helpers/rss-sampler.js';
import { wordCountEmbedded, wordCountOverNetwork } from './helpers/network-wordcount.js';
import { partitionsOf } from './helpers/streams-run.js';

const PHASES = ['kcat', 'client', 'embedded', 'wordcount', 'latency', 'secure', 'compressed'] as const;
type Phase = (typeof PHASES)[number];
const { values: argv } = parseArgs({
  options: {
    scale: { type: 'string' },
    only: { type: 'string' },
    repeat: { type: 'string' },
    'kcat-tuned': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'latency-commit-ms': { type: 'string' },
  },
  strict: true,
});
const SCALE = Number(argv.scale ?? process.env['BENCH_SCALE'] ?? '1');
if (!Number.isFinite(SCALE) || SCALE <= 0) throw new Error(`--scale must be a number > 0, got ${String(argv.scale)}`);
const ONLY = new Set((argv.only ?? PHASES.join(',')).split(',').map((s) => s.trim()) as Phase[]);
for (const p of ONLY) if (!PHASES.includes(p)) throw new Error(`--only takes ${PHASES.join(',')}; got ${p}`);
const CPU_PROF = argv['cpu-prof'] === undefined ? undefined : path.resolve(argv['cpu-prof']);
const N = Math.max(10_000, Math.round(5_000_000 * SCALE));
const MB = (N * RECORD_BYTES) / 1e6;
/** Runs of each throughput row; the best is reported (this machine's run-to-run spread is +-30%). */
const REPEAT = Math.max(1, Math.round(Number(argv.repeat ?? '1')));
/**
 * librdkafka settings for an extra kcat produce row (`--kcat-tuned linger.ms=50,batch.size=2000000`). None by
 * default: linger.ms, batch.num.messages, batch.size and acks=1 made no difference beyond the noise here.
 */
const KCAT_TUNED = argv['kcat-tuned'] === undefined ? null : argv['kcat-tuned'].split(',').map((s) => s.trim());
const LATENCY_RATE = 50_000;
const LATENCY_S = Math.max(2, 10 * SCALE);
const LATENCY_COMMIT_MS = Number(argv['latency-commit-ms'] ?? '5');
const KAFKA = { kcatProduce: 1.2e6, kcatConsume: 2.0e6, javaProduce: 594e3, javaConsume: 1.88e6, p99Ms: 6, streamsWordsPerS: 127e3 } as const;

/** One line of the final table. */
interface Row {
  readonly name: string;
  readonly perS: number;
  readonly unit: string;
  readonly mbPerS?: number;
  readonly ratio?: string;
  readonly peakRss?: number;
}
const rows: Row[] = [];
const figures: Record<string, unknown> = { bench: 'network', scale: SCALE, records: N, recordBytes: RECORD_BYTES, cores: os.cpus().length };
const rss = new RssSampler(50);
/** The network client's rates, for the ratio to the embedded broker's. */
let clientRates: { readonly produce: number; readonly consume: number } | null = null;
/** The plaintext, uncompressed kcat rates of this run, for the secure and compressed rows' ratios. */
let kcatRates: { readonly produce: number; readonly consume: number } | null = null;

const COLUMNS = [48, 20, 10, 16] as const;

/** One row of the table: name, rate, MB/s, broker peak RSS, then what it is compared with. */
function rowLine(row: Row): string {
  const cells = [row.name, `${fmt(row.perS)} ${row.unit}`, row.mbPerS === undefined ? '' : `${row.mbPerS.toFixed(0)} MB/s`, row.peakRss === undefined ? '' : mib(row.peakRss)];
  return `${cells.map((c, i) => c.padEnd(COLUMNS[i]!)).join('')}${row.ratio ?? ''}`;
}

function addRow(key: string, row: Row, extra: Record<string, unknown> = {}): void {
  rows.push(row);
  figures[key] = { perS: Math.round(row.perS), ...(row.mbPerS === undefined ? {} : { mbPerS: Number(row.mbPerS.toFixed(1)) }), ...(row.peakRss === undefined ? {} : { brokerPeakRssMiB: Math.round(row.peakRss / 1048576) }), ...extra };
  console.log(rowLine(row));
}

function printTable(): void {
  console.log(`\n${['row', 'rate', 'MB/s', 'broker peak RSS'].map((c, i) => c.padEnd(COLUMNS[i]!)).join('')}compared with`);
  console.log('-'.repeat(COLUMNS.reduce((a, b) => a + b, 0) + 40));
  for (const r of rows) console.log(rowLine(r));
}

function throughputRow(key: string, name: string, t: Throughput, ratio: string | undefined, peakRss: number | undefined, extra: Record<string, unknown> = {}): number {
  const perS = t.records / t.seconds;
  addRow(key, { name, perS, unit: 'records/s', mbPerS: (t.records * RECORD_BYTES) / 1e6 / t.seconds, ...(ratio === undefined ? {} : { ratio }), ...(peakRss === undefined ? {} : { peakRss }) }, { seconds: Number(t.seconds.toFixed(3)), ...extra });
  return perS;
}

const ratioTo = (perS: number, ref: number, what: string): string => `${(perS / ref).toFixed(2)} of ${what}`;

/** Runs `fn` with the broker's peak RSS reset before it; returns its result and the peak. */
async function phase<T>(broker: BrokerProcess, fn: () => Promise<T>): Promise<[T, number]> {
  broker.resetPeak();
  const r = await fn();
  return [r, broker.peakRssBytes()];
}

async function withBroker<T>(dir: string, name: string, fn: (broker: BrokerProcess, clients: Clients) => Promise<T>, options: Pick<BrokerProcessOptions, 'listeners' | 'extraArgs'> = {}): Promise<T> {
  const broker = await startBrokerProcess({ dataDir: path.join(dir, name), ...options, ...(CPU_PROF === undefined ? {} : { cpuProfDir: CPU_PROF }) });
  const clients = kafkaClients({ bootstrapServers: [broker.bootstrap], clientId: 'bench-network' });
  try {
    return await fn(broker, clients);
  } finally {
    await clients.close();
    const code = await broker.stop();
    if (code !== 0) console.error(`broker process (${name}) exited with ${String(code)}`);
  }
}

async function expectRecords(clients: Clients, topic: string, n: number): Promise<void> {
  const total = await endOffsetTotal(clients, partitionsOf(topic, 1));
  if (total !== n) throw new Error(`${topic} holds ${total} records, expected ${n}`);
}

/**
 * The best (shortest) of REPEAT runs of `run(i)`, with the highest broker peak RSS over them (each run a phase of its
 * own); without a broker process the peak is 0.
 */
async function best<T extends { readonly seconds: number }>(run: (i: number) => Promise<T>, broker?: BrokerProcess): Promise<[T, number]> {
  let top: T | null = null;
  let peak = 0;
  for (let i = 0; i < REPEAT; i++) {
    const [r, p] = broker === undefined ? [await run(i), 0] : await phase(broker, () => run(i));
    if (top === null || r.seconds < top.seconds) top = r;
    peak = Math.max(peak, p);
  }
  return [top!, peak];
}

async function kcatAndClientRows(dir: string, file: string, diskS: number): Promise<void> {
  await withBroker(dir, 'broker-throughput', async (broker, clients) => {
    const topics = (prefix: string): string[] => Array.from({ length: REPEAT }, (_, i) => `${prefix}-${i}`);
    await clients.admin.createTopics([...topics('kcat'), ...topics('kcat-tuned'), ...topics('client')].map((topic) => ({ topic, numPartitions: 1 })));
    const diskPerS = N / diskS;
    if (ONLY.has('kcat')) {
      const [def, defRss] = await best((i) => kcatProduce(broker.bootstrap, `kcat-${i}`, file), broker);
      for (const t of topics('kcat')) await expectRecords(clients, t, N);
      const p = N / def.seconds;
      throughputRow('kcatProduce', 'kcat produce', { records: N, seconds: def.seconds }, `${ratioTo(p, KAFKA.kcatProduce, 'Kafka')}, ${ratioTo(p, diskPerS, 'disk')}`, defRss);
      if (KCAT_TUNED !== null) {
        const [tuned, tunedRss] = await best((i) => kcatProduce(broker.bootstrap, `kcat-tuned-${i}`, file, KCAT_TUNED), broker);
        for (const t of topics('kcat-tuned')) await expectRecords(clients, t, N);
        const pt = N / tuned.seconds;
        throughputRow('kcatProduceTuned', `kcat produce (${KCAT_TUNED.join(' ')})`, { records: N, seconds: tuned.seconds }, `${ratioTo(pt, KAFKA.kcatProduce, 'Kafka')}, ${ratioTo(pt, p, 'defaults')}`, tunedRss);
      }
      const [consumed, cRss] = await best(async () => {
        const r = await kcatConsume(broker.bootstrap, 'kcat-0');
        if (r.count !== N) throw new Error(`kcat consumed ${r.count} records, expected ${N}`);
        return r;
      }, broker);
      throughputRow('kcatConsume', 'kcat consume', { records: N, seconds: consumed.seconds }, ratioTo(N / consumed.seconds, KAFKA.kcatConsume, 'Kafka'), cRss);
      kcatRates = { produce: p, consume: N / consumed.seconds };
    }
    if (ONLY.has('client')) {
      const [produced, pRss] = await best((i) => produceRecords(clients, `client-${i}`, N), broker);
      for (const t of topics('client')) await expectRecords(clients, t, N);
      const pc = N / produced.seconds;
      throughputRow('clientProduce', 'tributary client produce', produced, `${ratioTo(pc, KAFKA.javaProduce, 'Kafka Java')}, ${ratioTo(pc, diskPerS, 'disk')}`, pRss);
      const [consumed, cRss] = await best(() => consumeRecords(clients, partitionsOf('client-0', 1), N), broker);
      const cc = N / consumed.seconds;
      throughputRow('clientConsume', 'tributary client consume', consumed, ratioTo(cc, KAFKA.javaConsume, 'Kafka Java'), cRss);
      clientRates = { produce: pc, consume: cc };
    }
  });
}

/**
 * kcat produce of the records file into REPEAT topics `PREFIX-i` (best run), checked over the PLAINTEXT listener,
 * then kcat consume of `PREFIX-0` (best run), each a row with its ratio to the plaintext uncompressed kcat row.
 */
async function kcatVariantRows(
  broker: BrokerProcess,
  clients: Clients,
  variant: { readonly key: string; readonly name: string; readonly prefix: string; readonly bootstrap: string; readonly settings: readonly string[]; readonly produceOptions?: readonly string[]; readonly consumeSettings?: readonly string[]; readonly vs: string },
  file: string,
  dataDir: string,
): Promise<void> {
  const topics = Array.from({ length: REPEAT }, (_, i) => `${variant.prefix}-${i}`);
  await clients.admin.createTopics(topics.map((topic) => ({ topic, numPartitions: 1 })));
  const [produced, pRss] = await best((i) => kcatProduce(variant.bootstrap, topics[i]!, file, variant.settings, variant.produceOptions ?? []), broker);
  for (const t of topics) await expectRecords(clients, t, N);
  const ratio = (perS: number, ref: number | undefined): [string | undefined, Record<string, unknown>] =>
    ref === undefined ? [undefined, {}] : [ratioTo(perS, ref, variant.vs), { vsPlaintextKcat: Number((perS / ref).toFixed(3)) }];
  const p = N / produced.seconds;
  const stored = variant.produceOptions === undefined ? {} : { storedMB: Number((storedBytes(dataDir, `${variant.prefix}-0`) / 1e6).toFixed(1)) };
  const [pRatio, pExtra] = ratio(p, kcatRates?.produce);
  const storedNote = variant.produceOptions === undefined ? '' : `${pRatio === undefined ? '' : '; '}stored ${String(stored.storedMB)} MB of ${MB.toFixed(0)}`;
  throughputRow(`${variant.key}Produce`, `kcat produce, ${variant.name}`, { records: N, seconds: produced.seconds }, pRatio === undefined && storedNote === '' ? undefined : `${pRatio ?? ''}${storedNote}`, pRss, { ...pExtra, ...stored });
  const [consumed, cRss] = await best(async () => {
    const r = await kcatConsume(variant.bootstrap, topics[0]!, [...variant.settings, ...(variant.consumeSettings ?? [])]);
    if (r.count !== N) throw new Error(`kcat consumed ${r.count} records of ${topics[0]!}, expected ${N}`);
    return r;
  }, broker);
  const c = N / consumed.seconds;
  const [cRatio, cExtra] = ratio(c, kcatRates?.consume);
  const consumeName = `kcat consume, ${variant.name}${variant.consumeSettings === undefined ? '' : ` (${variant.consumeSettings.join(' ').replace('000000', 'M')})`}`;
  throughputRow(`${variant.key}Consume`, consumeName, { records: N, seconds: consumed.seconds }, cRatio, cRss, cExtra);
}

/** kcat over TLS and over SASL_SSL (SCRAM-SHA-512), one broker process with PLAINTEXT, SSL and SASL_SSL listeners. */
async function secureRows(dir: string, file: string): Promise<void> {
  const certs = makeBenchCertificates(path.join(dir, 'certs'));
  const dataDir = path.join(dir, 'broker-secure');
  addBenchUser(dataDir);
  await withBroker(
    dir,
    'broker-secure',
    async (broker, clients) => {
      await kcatVariantRows(broker, clients, { key: 'kcatTls', name: 'TLS', prefix: 'tls', bootstrap: broker.bootstrapOf('SSL'), settings: kcatSecuritySettings('SSL', certs), vs: 'plaintext' }, file, dataDir);
      await kcatVariantRows(
        broker,
        clients,
        { key: 'kcatSaslSsl', name: 'SASL_SSL SCRAM-SHA-512', prefix: 'sasl-ssl', bootstrap: broker.bootstrapOf('SASL_SSL'), settings: kcatSecuritySettings('SASL_SSL', certs), vs: 'plaintext' },
        file,
        dataDir,
      );
    },
    secureBrokerOptions(certs),
  );
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/**
 * kcat produce with `-z lz4` and `-z zstd` to a plaintext broker process, and kcat consume of those topics. The
 * consume runs with queued.min.messages=1000000: one 1 MiB fetch of these records holds ~120 k of them once
 * decompressed, over librdkafka's default 100 k, and librdkafka 2.0.2 then looks at the partition again only on its
 * 1 s timer (5.5 s instead of 0.8 s for 1 M records here), which would measure that timer, not the broker.
 */
async function compressedRows(dir: string, file: string): Promise<void> {
  const dataDir = path.join(dir, 'broker-compressed');
  await withBroker(dir, 'broker-compressed', async (broker, clients) => {
    for (const codec of ['lz4', 'zstd'] as const) {
      const key = `kcat${codec[0]!.toUpperCase()}${codec.slice(1)}`;
      await kcatVariantRows(broker, clients, { key, name: `-z ${codec}`, prefix: codec, bootstrap: broker.bootstrap, settings: [], produceOptions: ['-z', codec], consumeSettings: ['queued.min.messages=1000000'], vs: 'uncompressed' }, file, dataDir);
    }
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
}

async function embeddedRows(dir: string): Promise<void> {
  const broker = await Broker.open({ dataDir: path.join(dir, 'embedded'), logger: silentLogger() });
  try {
    const clients = inProcessClients(broker);
    await clients.admin.createTopics(Array.from({ length: REPEAT }, (_, i) => ({ topic: `embedded-${i}`, numPartitions: 1 })));
    rss.startPhase();
    const [produced] = await best((i) => produceRecords(clients, `embedded-${i}`, N));
    const [consumed] = await best(() => consumeRecords(clients, partitionsOf('embedded-0', 1), N));
    rss.sample();
    const pe = throughputRow('embeddedProduce', 'embedded broker produce (in-process)', produced, undefined, undefined);
    const ce = throughputRow('embeddedConsume', 'embedded broker consume (in-process)', consumed, `bench process peak RSS ${mib(rss.phasePeakBytes)}`, undefined);
    const client = clientRates;
    if (client !== null) {
      console.log(`  network client / embedded: produce ${(client.produce / pe).toFixed(2)}, consume ${(client.consume / ce).toFixed(2)}`);
      figures['networkVsEmbedded'] = { produce: Number((client.produce / pe).toFixed(3)), consume: Number((client.consume / ce).toFixed(3)) };
    }
  } finally {
    await broker.close();
  }
}

async function wordCountRows(dir: string): Promise<void> {
  const corpus = wordCountCorpus(SCALE, 4, 9);
  const lines = makeLines(corpus);
  const words = corpus.totalWords;
  const base = mapBaseline(lines, words);
  const usPerWord = (cpuS: number): number => Number(((cpuS * 1e6) / words).toFixed(2));
  const net = await withBroker(dir, 'broker-wordcount', async (broker, clients) => {
    const r = await wordCountOverNetwork(broker, clients, path.join(dir, 'app-wordcount'), lines, base.counts, words, () => broker.resetPeak(), CPU_PROF);
    return { ...r, brokerPeak: broker.peakRssBytes() };
  });
  const perS = words / net.committedS;
  rss.startPhase();
  const emb = await wordCountEmbedded(path.join(dir, 'wordcount-embedded'), lines, base.counts, words);
  rss.sample();
  const embPerS = words / emb.committedS;
  addRow(
    'wordCount',
    { name: `word count, app in own process (${fmt(words)} words)`, perS, unit: 'words/s', ratio: `${ratioTo(perS, embPerS, 'embedded')}, ${ratioTo(perS, KAFKA.streamsWordsPerS, 'Kafka Streams')}, ${ratioTo(perS, base.wordsPerS, 'Map')}`, peakRss: net.brokerPeak },
    {
      words,
      committedS: Number(net.committedS.toFixed(3)),
      processedPerS: Math.round(words / net.processedS),
      produceS: Number(net.produceS.toFixed(3)),
      appCpuUsPerWord: usPerWord(net.appCpuS),
      appPeakRssMiB: Math.round((net.appPeakRssBytes ?? 0) / 1048576),
      mapWordsPerS: Math.round(base.wordsPerS),
    },
  );
  console.log(`  processed ${fmt(words / net.processedS)} words/s (producing took ${net.produceS.toFixed(2)} s); app process: ${usPerWord(net.appCpuS)} µs CPU/word, peak RSS ${mib(net.appPeakRssBytes ?? 0)}`);
  addRow(
    'wordCountEmbedded',
    { name: 'word count, embedded broker (in-process)', perS: embPerS, unit: 'words/s', ratio: `${ratioTo(embPerS, base.wordsPerS, 'Map')}; bench process peak RSS ${mib(rss.phasePeakBytes)}` },
    { committedS: Number(emb.committedS.toFixed(3)), processedPerS: Math.round(words / emb.processedS), cpuUsPerWord: usPerWord(emb.appCpuS) },
  );
  console.log(`  processed ${fmt(words / emb.processedS)} words/s; app and broker: ${usPerWord(emb.appCpuS)} µs CPU/word; Map ${fmt(base.wordsPerS)} words/s; both outputs verified against the Map`);
}

function latencyFigures(r: LatencyResult): Record<string, number> {
  const ms = (v: number): number => Number(v.toFixed(2));
  return { measured: r.measured, p50Ms: ms(r.p50Ms), p90Ms: ms(r.p90Ms), p99Ms: ms(r.p99Ms), p999Ms: ms(r.p999Ms), maxMs: ms(r.maxMs) };
}

const percentiles = (r: LatencyResult): string => `p50 ${r.p50Ms.toFixed(1)} ms, p90 ${r.p90Ms.toFixed(1)}, p99 ${r.p99Ms.toFixed(1)}, max ${r.maxMs.toFixed(1)}`;

async function latencyRows(dir: string): Promise<void> {
  await withBroker(dir, 'broker-latency', async (broker, clients) => {
    await clients.admin.createTopics([PASSTHROUGH.input, PASSTHROUGH.output, 'latency-floor'].map((topic) => ({ topic, numPartitions: 1 })));
    // The floor: producer -> broker -> reader of the same topic, no app in between.
    const floorS = Math.max(2, LATENCY_S / 2);
    const [floor, floorPeak] = await phase(broker, () => measureLatency(clients, { input: 'latency-floor', output: 'latency-floor', outputPartitions: 1, ratePerS: LATENCY_RATE, durationS: floorS, warmupS: 1 }));
    addRow('latencyNoApp', { name: `latency, no app, ${fmt(LATENCY_RATE)}/s (${floorS.toFixed(0)} s)`, perS: floor.achievedPerS, unit: 'records/s', ratio: percentiles(floor), peakRss: floorPeak }, latencyFigures(floor));
    const app = startAppProcess(['passthrough', String(broker.port), path.join(dir, 'app-latency'), String(LATENCY_COMMIT_MS)], CPU_PROF);
    try {
      await app.line('ready');
      const [r, peak] = await phase(broker, () =>
        measureLatency(clients, { input: PASSTHROUGH.input, output: PASSTHROUGH.output, outputPartitions: 1, ratePerS: LATENCY_RATE, durationS: LATENCY_S, warmupS: 2 }),
      );
      await app.stop();
      const stats = await app.stats();
      addRow(
        'latency',
        { name: `latency, app in own process (${LATENCY_S.toFixed(0)} s)`, perS: r.achievedPerS, unit: 'records/s', ratio: `${percentiles(r)} (Kafka p99 ${KAFKA.p99Ms} ms: ${(r.p99Ms / KAFKA.p99Ms).toFixed(2)}x)`, peakRss: peak },
        { commitIntervalMs: LATENCY_COMMIT_MS, ...latencyFigures(r), appPeakRssMiB: Math.round(stats.peakRssBytes / 1048576) },
      );
      console.log(`  the app: mapValues(identity), commitIntervalMs ${LATENCY_COMMIT_MS}, peak RSS ${mib(stats.peakRssBytes)}; the reader: read_uncommitted, in this process`);
    } finally {
      await app.stop();
    }
  });
}

async function main(): Promise<void> {
  // Other work on the machine moves these figures a lot (2 cores): the load average is printed with them.
  const load = os.loadavg()[0]!;
  figures['loadAvgAtStart'] = Number(load.toFixed(2));
  console.log(`tributary bench:network — node ${process.version}, ${os.cpus().length} cores (load average ${load.toFixed(2)}), kcat ${await kcatVersion()}, scale ${SCALE}: ${fmt(N)} records of ${RECORD_BYTES} bytes (${MB.toFixed(0)} MB)`);
  console.log(`Kafka on this machine (issue 9): kcat produce ${fmt(KAFKA.kcatProduce)}/s, consume ${fmt(KAFKA.kcatConsume)}/s; Java producer ${fmt(KAFKA.javaProduce)}/s, consumer ${fmt(KAFKA.javaConsume)}/s; e2e p99 ${KAFKA.p99Ms} ms\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-network-'));
  // Interrupted: stop the broker and app processes, and leave no data behind.
  process.once('SIGINT', () => {
    void killChildren().then(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  });
  try {
    if (ONLY.has('kcat') || ONLY.has('client') || ONLY.has('embedded') || ONLY.has('secure') || ONLY.has('compressed')) {
      const file = path.join(dir, 'records.txt');
      const diskS = writeRecordsFile(file, N);
      addRow('rawDisk', { name: 'raw disk (write the records, fsync)', perS: N / diskS, unit: 'records/s', mbPerS: MB / diskS }, { seconds: Number(diskS.toFixed(3)) });
      if (ONLY.has('kcat') || ONLY.has('client')) await kcatAndClientRows(dir, file, diskS);
      if (ONLY.has('secure')) await secureRows(dir, file);
      if (ONLY.has('compressed')) await compressedRows(dir, file);
      fs.rmSync(file, { force: true });
    }
    if (ONLY.has('embedded')) await embeddedRows(dir);
    if (ONLY.has('wordcount')) await wordCountRows(dir);
    if (ONLY.has('latency')) await latencyRows(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
  rss.sample();
  printTable();
  figures['loadAvgAtEnd'] = Number(os.loadavg()[0]!.toFixed(2));
  console.log(`\nbench process peak RSS ${mib(rss.peakBytes)}; load average ${os.loadavg()[0]!.toFixed(2)} at the end`);
  figures['benchPeakRssMiB'] = Math.round(rss.peakBytes / 1048576);
  console.log(JSON.stringify(figures));
} catch (e: unknown) {
  console.error('bench:network FAILED:', e);
  process.exitCode = 1;
} finally {
  rss.stop();
}
