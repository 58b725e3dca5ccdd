/**
 * bench/joins.ts — joins (issue 6's benchmark) run by KafkaStreams over an embedded broker on disk:
 *
 *   stream-table:  builder.stream('orders').join(builder.table('customers', Materialized.as('customers').withStoreType(S)), joiner)
 *   stream-stream: builder.stream('left').join(builder.stream('right'), joiner, JoinWindows.ofTimeDifferenceWithNoGrace(60_000))
 *                  (built with `dslStoreType: S`: the join's window stores take the build's store type)
 *
 * for S in in-memory, SQLite; 4 partitions, String keys, Integer values (record i has value i), results as Number.
 * Stream-table: a 100 k-key table, then 2 M stream records (BENCH_SCALE scales them) with keys drawn uniformly from
 * the table's, so every record joins. The table is loaded by a first run of the app, which is then closed; the
 * stream records are produced, and the timed run is the app restarted on the same state directory (as a join app
 * meets its table in production): its clock runs from `streams.start()` (restoring the in-memory table from its
 * changelog included, and shown) until the group has committed every stream offset. Stream-stream: two 1 M streams
 * over 25 k keys, left record i at 4i ms, right record i at 4i + 2 ms (~1.2 partners per record in a ±1 minute
 * window), produced before a fresh app starts (maxPollRecords 1 M: see STREAM_MAX_POLL); its clock runs from
 * `streams.start()` until every input offset is committed. Both as bench:windows measures (the runtime, not the
 * TopologyTestDriver; commitIntervalMs 1000, caching on, Kafka Streams' defaults otherwise).
 *
 * Each run's output topic is read back and compared (count and a checksum of every joined value, as a multiset)
 * with a hand-written join computed and timed in the same run: a Map lookup per stream record (stream-table); a
 * Map of per-key buffers expiring past the window (stream-stream). A mismatch exits non-zero. Prints records/s,
 * the ratio to the hand-written join's records/s, CPU µs per record and peak RSS per run and overall.
 *
 *   npm run bench:joins                    (full size)
 *   npm run bench:joins -- --scale 0.1     (quicker; --only table|stream|memory|sqlite|table-memory|... runs the
 *                                           runs whose name contains it; --commit-ms N; --idle-ms N sets
 *                                           maxTaskIdleMs, default 0; --max-poll N the stream-stream runs'
 *                                           maxPollRecords; or BENCH_SCALE, BENCH_ONLY, BENCH_COMMIT_MS,
 *                                           BENCH_IDLE_MS, BENCH_MAX_POLL)
 *
 * Goal: stream-table join at least 1 M records/s with the in-memory store.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  Broker,
  Consumed,
  JoinWindows,
  KafkaStreams,
  Materialized,
  Produced,
  Serdes,
  StreamJoined,
  StreamsBuilder,
  inProcessClients,
  silentLogger,
  type Clients,
  type DslStoreType,
  type Producer,
  type ProducerRecord,
  type StateRestoreListener,
  type Topology,
} from '../src/index.js';
import { benchEnv } from './helpers/bench-env.js';
import { cpuSecondsSince, fmt, mainThreadCpuSeconds, mib } from './helpers/format.js';
import { JoinChecksum, keyedInput, mapLookupJoin, mixJoin, windowedMapJoin, type KeyedInput, type MapJoinResult } from './helpers/join-workload.js';
import { RssSampler } from './helpers/rss-sampler.js';
import { committedToEnd, partitionsOf, waitFor } from './helpers/streams-run.js';

const env = benchEnv();
const { values: args } = parseArgs({ options: { scale: { type: 'string' }, only: { type: 'string' }, 'commit-ms': { type: 'string' }, 'idle-ms': { type: 'string' }, 'max-poll': { type: 'string' } } });
const SCALE = args.scale === undefined ? env.scale : Number(args.scale);
const ONLY = args.only ?? env.only;
const COMMIT_MS = Number(args['commit-ms'] ?? env.commitMs ?? 1000);
const IDLE_MS = Number(args['idle-ms'] ?? process.env['BENCH_IDLE_MS'] ?? '0');
/**
 * maxPollRecords of the stream-stream runs. The runtime's consumer hands out one partition's fetched records before
 * the next's and a task does not wait for a partition that has data on the broker but none polled yet (Kafka's
 * KIP-695 rule), so with the default 1000 a task meets a backlog one input partition after the other, not in
 * timestamp order, and most records of the later side come past the window and are dropped as late (the output
 * check fails). One poll per fetch round keeps both sides of every task in step.
 */
const STREAM_MAX_POLL = Number(args['max-poll'] ?? process.env['BENCH_MAX_POLL'] ?? '1000000');
for (const [name, v] of [['scale', SCALE], ['commit-ms', COMMIT_MS], ['idle-ms', IDLE_MS], ['max-poll', STREAM_MAX_POLL]] as const) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number >= 0`);
}

const STREAM_RECORDS = Math.max(10_000, Math.round(2_000_000 * SCALE));
const TABLE_KEYS = 100_000;
const SIDE_RECORDS = Math.max(10_000, Math.round(1_000_000 * SCALE));
const SIDE_KEYS = 25_000;
const WINDOW_MS = 60_000;
const PARTITIONS = 4;
/** Event times start here (retention.ms -1 on every topic keeps the broker from deleting them as old). */
const T0 = 1_700_000_000_000;
const PRODUCE_BATCH = 10_000;
const TIMEOUT_MS = 1_800_000;
const NO_RETENTION = { 'retention.ms': '-1' };
const S = Serdes.String();
const I = Serdes.Integer();
const N = Serdes.Number();

/** Row value of table key i. */
const rowValue = (keyIndex: number): number => 7 * keyIndex + 1;

const rss = new RssSampler(50);

function streamTableTopology(storeType: DslStoreType, output: string): Topology {
  const builder = new StreamsBuilder();
  const customers = builder.table('customers', Consumed.with(S, I), Materialized.as<string, number>('customers').withStoreType(storeType));
  builder.stream('orders', Consumed.with(S, I)).join(customers, mixJoin).to(output, Produced.with(S, N));
  return builder.build();
}

function streamStreamTopology(storeType: DslStoreType, output: string): Topology {
  const builder = new StreamsBuilder();
  const right = builder.stream('right', Consumed.with(S, I));
  builder
    .stream('left', Consumed.with(S, I))
    .join(right, mixJoin, JoinWindows.ofTimeDifferenceWithNoGrace(WINDOW_MS), StreamJoined.with(S, I, I))
    .to(output, Produced.with(S, N));
  return builder.build({ dslStoreType: storeType });
}

/** Produces `input` (record i: its key, value `value(i)`, its timestamp) in batches; returns the seconds it took. */
async function produce(producer: Producer, topic: string, input: KeyedInput, value: (i: number) => number): Promise<number> {
  const keyBytes = input.keys.map((k) => S.serialize(topic, k)!);
  const n = input.keyIndex.length;
  const t0 = performance.now();
  for (let i = 0; i < n; i += PRODUCE_BATCH) {
    const messages: ProducerRecord[] = [];
    const end = Math.min(n, i + PRODUCE_BATCH);
    for (let j = i; j < end; j++) messages.push({ key: keyBytes[input.keyIndex[j]!]!, value: I.serialize(topic, value(j)), timestampMs: input.timestamps[j]! });
    await producer.send({ topic, messages });
  }
  return (performance.now() - t0) / 1000;
}

/** Every value of `topic` (all partitions, from the start), as a checksum. */
async function readChecksum(clients: Clients, broker: Broker, topic: string): Promise<JoinChecksum> {
  const partitions = partitionsOf(topic, PARTITIONS);
  const consumer = clients.consumer({ autoOffsetReset: 'earliest', maxPollRecords: 50_000 });
  const sum = new JoinChecksum();
  let remaining = 0;
  for (const tp of partitions) remaining += broker.listOffset(tp.topic, tp.partition, 'latest');
  try {
    consumer.assign(partitions);
    while (remaining > 0) {
      const polled = await consumer.poll({ maxWaitMs: 100 });
      if (polled.count === 0) throw new Error(`${topic}: ${remaining} records missing on read-back`);
      for (const b of polled.batches) for (const r of b.records) sum.add(N.deserialize(topic, r.value)!);
      remaining -= polled.count;
    }
  } finally {
    await consumer.close();
  }
  return sum;
}

interface RunResult {
  readonly seconds: number;
  readonly cpuS: number;
  readonly mainCpuS: number | null;
  readonly peakRss: number;
  /** Records restored into stores before processing, and the seconds from start() to the last restore's end. */
  readonly restored: number;
  readonly restoreS: number;
}

/**
 * Runs `topology` as `applicationId` from start() until the group committed every offset of `inputTopics`, then
 * checks the output against `expected` and closes.
 */
async function timedRun(
  broker: Broker,
  stateDir: string,
  applicationId: string,
  topology: Topology,
  inputTopics: readonly string[],
  output: string,
  expected: JoinChecksum | null,
  maxPollRecords?: number,
): Promise<RunResult> {
  const streams = new KafkaStreams(topology, {
    applicationId,
    broker,
    stateDir,
    commitIntervalMs: COMMIT_MS,
    maxTaskIdleMs: IDLE_MS,
    ...(maxPollRecords === undefined ? {} : { maxPollRecords }),
    logger: silentLogger(),
  });
  let restored = 0;
  let restoreEnd = 0;
  const listener: StateRestoreListener = {
    onRestoreEnd: (_tp, _store, total) => {
      restored += total;
      restoreEnd = performance.now();
    },
  };
  streams.setGlobalStateRestoreListener(listener);
  rss.startPhase();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuSeconds();
  const t0 = performance.now();
  let closed = false;
  try {
    await streams.start();
    const input = inputTopics.flatMap((t) => partitionsOf(t, PARTITIONS));
    await waitFor(applicationId, streams, () => committedToEnd(broker, applicationId, input), TIMEOUT_MS, 5);
    const seconds = (performance.now() - t0) / 1000;
    const cpuS = cpuSecondsSince(cpu0);
    const main1 = mainThreadCpuSeconds();
    rss.sample();
    const peakRss = rss.phasePeakBytes;
    closed = true;
    await streams.close();
    if (streams.error !== null) throw new Error(`${applicationId}: ${streams.error.message}`);
    if (expected !== null) {
      const actual = await readChecksum(inProcessClients(broker), broker, output);
      if (!actual.equals(expected)) throw new Error(`${applicationId}: ${output} holds ${actual.toString()}; the hand-written join emitted ${expected.toString()}`);
    }
    return { seconds, cpuS, mainCpuS: main0 === null || main1 === null ? null : main1 - main0, peakRss, restored, restoreS: restored === 0 ? 0 : (restoreEnd - t0) / 1000 };
  } finally {
    if (!closed) await streams.close();
  }
}

const STORES = ['in-memory', 'sqlite'] as const;
const short = (st: DslStoreType): string => (st === 'in-memory' ? 'memory' : st);
const selected = (kind: 'table' | 'stream'): DslStoreType[] => STORES.filter((st) => ONLY === '' || `${kind}-${short(st)}`.includes(ONLY));

function report(label: string, records: number, r: RunResult, base: MapJoinResult, extra: string): void {
  const perS = records / r.seconds;
  const main = r.mainCpuS === null ? '' : ` (main thread ${((r.mainCpuS * 1e6) / records).toFixed(2)})`;
  console.log(
    `  ${label.padEnd(16)} ${fmt(perS)} records/s (${r.seconds.toFixed(2)} s to commit all${extra}), ratio ${(perS / base.recordsPerS).toFixed(4)} of the Map join; ` +
      `${((r.cpuS * 1e6) / records).toFixed(2)} µs CPU/record${main}; peak RSS ${mib(r.peakRss)}`,
  );
}

async function streamTable(broker: Broker, dir: string): Promise<void> {
  const stores = selected('table');
  if (stores.length === 0) return;
  const clients = inProcessClients(broker);
  const outputs = stores.map((st) => `enriched-${short(st)}`);
  await clients.admin.createTopics(['customers', 'orders', ...outputs].map((topic) => ({ topic, numPartitions: PARTITIONS, configs: NO_RETENTION })));
  const orders = keyedInput(STREAM_RECORDS, TABLE_KEYS, 'customer', 42, T0, 1);
  const table: KeyedInput = { keys: orders.keys, keyIndex: Int32Array.from({ length: TABLE_KEYS }, (_, i) => i), timestamps: new Float64Array(TABLE_KEYS).fill(T0 - 1) };
  const producer = clients.producer();
  try {
    await produce(producer, 'customers', table, rowValue);
    console.log(`\n== stream-table join: ${fmt(STREAM_RECORDS)} stream records against a ${fmt(TABLE_KEYS)}-key table, ${PARTITIONS} partitions ==`);
    // First run of each app: load the table (timed only for information), close; the stream comes after.
    for (const st of stores) {
      const r = await timedRun(broker, path.join(dir, 'state'), `joins-table-${short(st)}`, streamTableTopology(st, `enriched-${short(st)}`), ['customers'], '', null);
      console.log(`  ${`${st} table`.padEnd(16)} loaded ${fmt(TABLE_KEYS)} rows in ${r.seconds.toFixed(2)} s (first run, then closed)`);
    }
    const produceS = await produce(producer, 'orders', orders, (i) => i);
    console.log(`  stream produced in ${produceS.toFixed(1)} s`);
  } finally {
    await producer.close();
  }
  const base = mapLookupJoin(orders, rowValue);
  console.log(`  ${'Map lookup join'.padEnd(16)} ${fmt(base.recordsPerS)} records/s (${(base.seconds * 1000).toFixed(0)} ms), ${fmt(base.checksum.count)} results`);
  for (const st of stores) {
    const app = `joins-table-${short(st)}`;
    const r = await timedRun(broker, path.join(dir, 'state'), app, streamTableTopology(st, `enriched-${short(st)}`), ['orders'], `enriched-${short(st)}`, base.checksum);
    const restore = r.restored === 0 ? '; nothing to restore' : `; incl. restoring ${fmt(r.restored)} table records, done ${r.restoreS.toFixed(2)} s after start`;
    report(`${st} store`, STREAM_RECORDS, r, base, restore);
  }
}

async function streamStream(broker: Broker, dir: string): Promise<void> {
  const stores = selected('stream');
  if (stores.length === 0) return;
  const clients = inProcessClients(broker);
  const outputs = stores.map((st) => `pairs-${short(st)}`);
  await clients.admin.createTopics(['left', 'right', ...outputs].map((topic) => ({ topic, numPartitions: PARTITIONS, configs: NO_RETENTION })));
  const left = keyedInput(SIDE_RECORDS, SIDE_KEYS, 'key', 7, T0, 4);
  const right = keyedInput(SIDE_RECORDS, SIDE_KEYS, 'key', 8, T0 + 2, 4);
  const producer = clients.producer();
  let produceS = 0;
  try {
    produceS += await produce(producer, 'left', left, (i) => i);
    produceS += await produce(producer, 'right', right, (i) => i);
  } finally {
    await producer.close();
  }
  const total = 2 * SIDE_RECORDS;
  console.log(
    `\n== stream-stream join: 2 x ${fmt(SIDE_RECORDS)} records over ${fmt(SIDE_KEYS)} keys, ±${WINDOW_MS / 1000} s window, no grace, ${PARTITIONS} partitions, maxPollRecords ${STREAM_MAX_POLL}; produced in ${produceS.toFixed(1)} s ==`,
  );
  const base = windowedMapJoin(left, right, WINDOW_MS);
  console.log(`  ${'windowed Map join'.padEnd(16)} ${fmt(base.recordsPerS)} records/s (${(base.seconds * 1000).toFixed(0)} ms), ${fmt(base.checksum.count)} pairs`);
  for (const st of stores) {
    const r = await timedRun(broker, path.join(dir, 'state'), `joins-stream-${short(st)}`, streamStreamTopology(st, `pairs-${short(st)}`), ['left', 'right'], `pairs-${short(st)}`, base.checksum, STREAM_MAX_POLL);
    report(`${st} store`, total, r, base, '');
  }
}

async function main(): Promise<void> {
  console.log(
    `tributary bench:joins — node ${process.version}, ${os.cpus().length} cores, scale ${SCALE}, commitIntervalMs ${COMMIT_MS}, maxTaskIdleMs ${IDLE_MS}; ` +
      'measured over the runtime (KafkaStreams on an embedded broker on disk), not the TopologyTestDriver',
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-joins-'));
  const broker = await Broker.open({ dataDir: path.join(dir, 'log'), logger: silentLogger() });
  try {
    await streamTable(broker, dir);
    await streamStream(broker, dir);
  } finally {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
  rss.sample();
  console.log(`\npeak RSS ${mib(rss.peakBytes)} (whole run); every output topic verified against the hand-written join`);
} catch (e: unknown) {
  console.error('bench:joins FAILED:', e);
  process.exitCode = 1;
} finally {
  rss.stop();
}
