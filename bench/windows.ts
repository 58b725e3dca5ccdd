/**
 * bench/windows.ts — windowed counts (issue 5's benchmark) run by KafkaStreams over an embedded broker on disk:
 *
 *   builder.stream('events').groupByKey().windowedBy(W).count(Materialized.as('counts').withStoreType(S))
 *
 * for W in 1-minute tumbling, 5-minute windows advancing by 1 minute (hopping), 30 s session windows (all with 2 s
 * grace) and S in in-memory, SQLite. 5 M events (BENCH_SCALE scales them) over 10 k keys (uniform), 4 partitions,
 * produced once before the runs: event i is at 2 ms * i minus a jitter of up to 1 s (a little out of order, never
 * later than the grace), so the events span ~2.8 h and a key is seen every ~20 s on average (sessions break at
 * gaps > 30 s, ~22 % of them). Every run is a fresh application on the same input; its clock starts at
 * `streams.start()` and stops when the group has committed every input offset (commitIntervalMs 1000 by default,
 * caching on: Kafka Streams' defaults otherwise). The stores keep windows for a day (`withRetention`), so at the end
 * the whole store is read through an interactive query and checked, window by window, against a plain-Map model of
 * the same windows, computed and timed in the same run (the baseline: a Map per key of window start -> count; for
 * sessions, a per-key list of sessions merged as Kafka merges them). A mismatch exits non-zero.
 *
 * Prints events/s, the ratio to the Map model's events/s, CPU µs per event, and peak RSS per run and overall.
 *
 *   npm run bench:windows   (BENCH_SCALE=0.1 for a quicker run; BENCH_ONLY=tumbling|hopping|session|memory|sqlite
 *                            or e.g. tumbling-memory to run matching runs only; BENCH_COMMIT_MS, default 1000)
 *
 * Goal: tumbling count at least 700 k events/s with the in-memory store.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Broker,
  Consumed,
  KafkaStreams,
  Materialized,
  QueryableStoreTypes,
  Serdes,
  SessionWindows,
  StreamsBuilder,
  TimeWindows,
  inProcessClients,
  silentLogger,
  type DslStoreType,
  type ProducerRecord,
  type Topology,
} from '../src/index.js';
import { prng } from './helpers/corpus.js';
import { cpuSecondsSince, fmt, mainThreadCpuSeconds, mib } from './helpers/format.js';
import { RssSampler } from './helpers/rss-sampler.js';
import { committedToEnd, partitionsOf, waitFor } from './helpers/streams-run.js';

const SCALE = Number(process.env['BENCH_SCALE'] ?? '1');
const ONLY = process.env['BENCH_ONLY'] ?? '';
const COMMIT_MS = Number(process.env['BENCH_COMMIT_MS'] ?? '1000');
const EVENTS = Math.max(10_000, Math.round(5_000_000 * SCALE));
const KEYS = 10_000;
const PARTITIONS = 4;
const STEP_MS = 2;
const JITTER_MS = 1_000;
const GRACE_MS = 2_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const PRODUCE_BATCH = 10_000;
const INPUT = 'events';
const STORE = 'counts';
const TIMEOUT_MS = 1_800_000;

type WindowKind = 'tumbling' | 'hopping' | 'session';

/** The windows of a kind: time windows as size/advance, sessions as their inactivity gap. */
const SPEC = {
  tumbling: { sizeMs: MINUTE, advanceMs: MINUTE, label: '1-min tumbling' },
  hopping: { sizeMs: 5 * MINUTE, advanceMs: MINUTE, label: '5-min/1-min hopping' },
  session: { sizeMs: 30_000, advanceMs: 0, label: '30 s sessions' },
} as const;

const rss = new RssSampler(50);

/** The input, as columns: event i has key `keys[keyIndex[i]]` and timestamp `timestamps[i]`. */
interface Events {
  readonly keys: readonly string[];
  readonly keyIndex: Int32Array;
  readonly timestamps: Float64Array;
}

function makeEvents(): Events {
  const rnd = prng(42);
  const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
  const keyIndex = new Int32Array(EVENTS);
  const timestamps = new Float64Array(EVENTS);
  for (let i = 0; i < EVENTS; i++) {
    keyIndex[i] = Math.floor(rnd() * KEYS);
    timestamps[i] = JITTER_MS + i * STEP_MS - Math.floor(rnd() * JITTER_MS);
  }
  return { keys, keyIndex, timestamps };
}

/** The model's result: `key@start@end` -> count (time windows: end = start + size). */
type Model = Map<string, number>;

/** Plain Map windowed count over time windows: per key, window start -> count. Returns the Map and its seconds. */
function timeModel(e: Events, sizeMs: number, advanceMs: number): { counts: Map<string, Map<number, number>>; seconds: number } {
  const t0 = performance.now();
  const counts = new Map<string, Map<number, number>>();
  for (let i = 0; i < EVENTS; i++) {
    const key = e.keys[e.keyIndex[i]!]!;
    const t = e.timestamps[i]!;
    let windows = counts.get(key);
    if (windows === undefined) counts.set(key, (windows = new Map()));
    // Epoch-aligned windows [start, start + size) that contain t.
    const last = t - (t % advanceMs);
    for (let start = Math.max(0, last - sizeMs + advanceMs); start <= last; start += advanceMs) windows.set(start, (windows.get(start) ?? 0) + 1);
  }
  return { counts, seconds: (performance.now() - t0) / 1000 };
}

/** Plain sessionization: per key, sessions [start, end, count] sorted by start; a record merges every session within the gap. */
function sessionModel(e: Events, gapMs: number): { counts: Map<string, number[][]>; seconds: number } {
  const t0 = performance.now();
  const counts = new Map<string, number[][]>();
  for (let i = 0; i < EVENTS; i++) {
    const key = e.keys[e.keyIndex[i]!]!;
    const t = e.timestamps[i]!;
    let sessions = counts.get(key);
    if (sessions === undefined) counts.set(key, (sessions = []));
    let start = t;
    let end = t;
    let n = 1;
    // Sessions are disjoint and sorted: the ones to merge are a run at the tail end (records come nearly in order).
    let j = sessions.length - 1;
    while (j >= 0 && sessions[j]![1]! >= t - gapMs) j--;
    let k = j + 1;
    let insertAt = k;
    while (k < sessions.length && sessions[k]![0]! <= t + gapMs) {
      const s = sessions[k]!;
      start = Math.min(start, s[0]!);
      end = Math.max(end, s[1]!);
      n += s[2]!;
      k++;
    }
    if (k === insertAt) while (insertAt < sessions.length && sessions[insertAt]![0]! < t) insertAt++;
    sessions.splice(insertAt, k - insertAt, [start, end, n]);
  }
  return { counts, seconds: (performance.now() - t0) / 1000 };
}

/** The model as `key@start@end` -> count, and its best events/s over two runs. */
function model(kind: WindowKind, e: Events): { expected: Model; eventsPerS: number } {
  const expected: Model = new Map();
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 2; run++) {
    if (kind === 'session') {
      const r = sessionModel(e, SPEC.session.sizeMs);
      best = Math.min(best, r.seconds);
      if (run === 1) for (const [k, ss] of r.counts) for (const [s, end, n] of ss) expected.set(`${k}@${s}@${end}`, n!);
    } else {
      const { sizeMs, advanceMs } = SPEC[kind];
      const r = timeModel(e, sizeMs, advanceMs);
      best = Math.min(best, r.seconds);
      if (run === 1) for (const [k, ws] of r.counts) for (const [s, n] of ws) expected.set(`${k}@${s}@${s + sizeMs}`, n);
    }
  }
  return { expected, eventsPerS: EVENTS / best };
}

function topology(kind: WindowKind, storeType: DslStoreType): Topology {
  const builder = new StreamsBuilder();
  const grouped = builder.stream(INPUT, Consumed.with(Serdes.String(), Serdes.ByteArray())).groupByKey();
  const materialized = Materialized.as<string, number>(STORE).withStoreType(storeType).withRetention(DAY);
  if (kind === 'session') grouped.windowedBy(SessionWindows.ofInactivityGapAndGrace(SPEC.session.sizeMs, GRACE_MS)).count(materialized);
  else grouped.windowedBy(TimeWindows.ofSizeAndGrace(SPEC[kind].sizeMs, GRACE_MS).advanceBy(SPEC[kind].advanceMs)).count(materialized);
  return builder.build();
}

/** The store's contents through an interactive query, as `key@start@end` -> count. */
function readStore(streams: KafkaStreams, kind: WindowKind): Model {
  const out: Model = new Map();
  const plain = (v: number | bigint | { readonly value: number | bigint }): number => Number(typeof v === 'object' ? v.value : v);
  type V = number | bigint | { readonly value: number | bigint };
  const it =
    kind === 'session'
      ? streams.store(STORE, QueryableStoreTypes.sessionStore<string, V>()).fetch(null, null)
      : streams.store(STORE, QueryableStoreTypes.windowStore<string, V>()).all();
  try {
    for (let n = it.next(); !n.done; n = it.next()) out.set(`${n.value.key.key}@${n.value.key.window.startMs}@${n.value.key.window.endMs}`, plain(n.value.value));
  } finally {
    it.close();
  }
  return out;
}

function check(label: string, actual: Model, expected: Model): void {
  for (const [id, n] of expected) if (actual.get(id) !== n) throw new Error(`${label}: window ${id} holds ${String(actual.get(id))}, the Map model says ${n}`);
  if (actual.size !== expected.size) throw new Error(`${label}: the store holds ${actual.size} windows, the Map model ${expected.size}`);
}

async function produceEvents(broker: Broker, e: Events): Promise<number> {
  const clients = inProcessClients(broker);
  // Event times start at the epoch: without retention.ms -1 the broker's retention would delete the input mid-bench.
  await clients.admin.createTopics([{ topic: INPUT, numPartitions: PARTITIONS, configs: { 'retention.ms': '-1' } }]);
  const s = Serdes.String();
  const keyBytes = e.keys.map((k) => s.serialize(INPUT, k)!);
  const one = new Uint8Array([1]);
  const producer = clients.producer();
  const t0 = performance.now();
  try {
    for (let i = 0; i < EVENTS; i += PRODUCE_BATCH) {
      const messages: ProducerRecord[] = [];
      const end = Math.min(EVENTS, i + PRODUCE_BATCH);
      for (let j = i; j < end; j++) messages.push({ key: keyBytes[e.keyIndex[j]!]!, value: one, timestampMs: e.timestamps[j]! });
      await producer.send({ topic: INPUT, messages });
    }
  } finally {
    await producer.close();
  }
  return (performance.now() - t0) / 1000;
}

interface RunResult {
  readonly seconds: number;
  readonly cpuS: number;
  readonly mainCpuS: number | null;
  readonly peakRss: number;
  readonly windows: number;
}

async function run(broker: Broker, dir: string, kind: WindowKind, storeType: DslStoreType, expected: Model): Promise<RunResult> {
  const applicationId = `windows-${kind}-${storeType}`;
  const streams = new KafkaStreams(topology(kind, storeType), {
    applicationId,
    broker,
    stateDir: path.join(dir, applicationId),
    commitIntervalMs: COMMIT_MS,
    logger: silentLogger(),
  });
  rss.startPhase();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuSeconds();
  const t0 = performance.now();
  let closed = false;
  try {
    await streams.start();
    const input = partitionsOf(INPUT, PARTITIONS);
    await waitFor(applicationId, streams, () => committedToEnd(broker, applicationId, input), TIMEOUT_MS, 10);
    const seconds = (performance.now() - t0) / 1000;
    const cpuS = cpuSecondsSince(cpu0);
    const main1 = mainThreadCpuSeconds();
    rss.sample();
    const peakRss = rss.phasePeakBytes;
    const actual = readStore(streams, kind);
    check(applicationId, actual, expected);
    closed = true;
    await streams.close();
    if (streams.error !== null) throw new Error(`${applicationId}: ${streams.error.message}`);
    return { seconds, cpuS, mainCpuS: main0 === null || main1 === null ? null : main1 - main0, peakRss, windows: actual.size };
  } finally {
    if (!closed) await streams.close();
  }
}

async function main(): Promise<void> {
  console.log(`tributary bench:windows — node ${process.version}, ${os.cpus().length} cores, scale ${SCALE}, commitIntervalMs ${COMMIT_MS}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-windows-'));
  const broker = await Broker.open({ dataDir: path.join(dir, 'log'), logger: silentLogger() });
  try {
    const events = makeEvents();
    const produceS = await produceEvents(broker, events);
    const spanS = (events.timestamps[EVENTS - 1]! - events.timestamps[0]!) / 1000;
    console.log(`\n== ${fmt(EVENTS)} events over ${fmt(KEYS)} keys, ${PARTITIONS} partitions, event times spanning ${(spanS / 3600).toFixed(1)} h; produced in ${produceS.toFixed(1)} s ==`);
    const perEventUs = (cpuS: number): string => `${((cpuS * 1e6) / EVENTS).toFixed(2)} µs CPU/event`;
    for (const kind of ['tumbling', 'hopping', 'session'] as const) {
      const stores = (['in-memory', 'sqlite'] as const).filter((st) => ONLY === '' || `${kind}-${st === 'in-memory' ? 'memory' : st}`.includes(ONLY));
      if (stores.length === 0) continue;
      const base = model(kind, events);
      console.log(`\n${SPEC[kind].label}: plain Map model ${fmt(base.eventsPerS)} events/s, ${fmt(base.expected.size)} windows`);
      for (const storeType of stores) {
        const r = await run(broker, dir, kind, storeType, base.expected);
        const eventsPerS = EVENTS / r.seconds;
        console.log(
          `  ${`${storeType} store`.padEnd(16)} ${fmt(eventsPerS)} events/s (${r.seconds.toFixed(2)} s to commit all), ratio ${(eventsPerS / base.eventsPerS).toFixed(4)} of the Map; ` +
            `${perEventUs(r.cpuS)}${r.mainCpuS === null ? '' : ` (main thread ${((r.mainCpuS * 1e6) / EVENTS).toFixed(2)})`}; peak RSS ${mib(r.peakRss)}; ${fmt(r.windows)} windows verified`,
        );
      }
    }
  } finally {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
  rss.sample();
  console.log(`\npeak RSS ${mib(rss.peakBytes)} (whole run); every store verified against the Map model`);
} catch (e: unknown) {
  console.error('bench:windows FAILED:', e);
  process.exitCode = 1;
} finally {
  rss.stop();
}
