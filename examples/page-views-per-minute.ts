/**
 * Page views per minute: windowed counts with event time, out-of-order and late clicks, grace and final results,
 * on the embedded broker with zero set-up:
 *
 *   npm run example:windows -- [--data-dir DIR] [--partitions N] [--seed S]
 *
 * 1. Opens the included broker under DIR/log (default: a temporary folder, removed at the end). DIR must not hold an
 *    earlier run. Generates clicks (below) and produces them, keyed by page, into `page-views` (N partitions, default 2), each
 *    with its event time as the record timestamp.
 * 2. Runs the topology (`--describe` prints it):
 *
 *      stream('page-views').groupByKey()
 *        .windowedBy(TimeWindows.ofSizeAndGrace(1 min, 10 s))         // tumbling, epoch-aligned, [start, end)
 *        .count(Materialized.as('page-views-per-minute').withRetention(1 h))
 *        .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))  // one final count per window
 *        .toStream().to('page-views-per-minute-final')
 *
 * 3. Waits until the group has committed every input offset (outputs are written before the offsets they follow),
 *    then prints every final count as `page<TAB>window start<TAB>window end<TAB>count` (ISO times, UTC), sorted by
 *    window start, then page; then one line with the number of late clicks dropped. Each window's final count is
 *    checked against the window store (interactive query); a window printed twice or a disagreement exits with 1.
 *
 * The rules (Kafka Streams' current ones):
 * - A click at event time t belongs to the window [t - t mod 60 s, that + 60 s).
 * - Stream time is the largest event time seen so far, per partition (each partition is one task with its own
 *   stream time). A window closes once stream time >= its end + 10 s grace.
 * - A click whose window has closed when it arrives is too late: it is dropped (and counted in the aggregation's
 *   dropped-records metric). A click that is out of order but whose window is still open is counted.
 * - A window's final count is emitted once, when it closes: never for a window that is still open.
 *
 * The clicks (deterministic for a seed, mulberry32): 400 clicks on 5 pages by 20 users; click i is nominally at
 * 2024-05-01T09:00:00Z + i * 0.9 s (six minutes in all), and its event time is that minus a delay:
 * - most clicks: up to 1 s (mild jitter: a little out of order);
 * - every 10th click (i mod 10 = 9): 2-8 s (out of order, often across a minute boundary, always within grace);
 * - every 50th click (i mod 50 = 49): 20-80 s, a straggler: counted if its window is still open (end + 10 s is
 *   still ahead of its partition's stream time), dropped as late otherwise.
 * `--print-clicks` prints them (and the flush clicks) as JSON lines instead of running anything.
 *
 * Flushing: a window closes only when stream time moves past its end + grace, and stream time moves only with new
 * records. So, as Kafka users do at the end of a finite input, the example sends one "flush" click per partition
 * (page `(flush)`, sent to that partition explicitly) at the first instant that closes every real window: the end
 * of the last window that holds a click, plus the 10 s grace. The flush clicks' own window stays open, so they are
 * never printed.
 *
 * The dropped count is measured, not predicted: clicks produced minus the sum of the counts in the window store.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  Broker,
  BufferConfig,
  Consumed,
  KafkaStreams,
  Materialized,
  QueryableStoreTypes,
  Serdes,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  WindowedSerdes,
  inProcessClients,
  silentLogger,
  type Clients,
  type ProducerRecord,
  type Topology,
} from '../src/index.js';
import { Failure, fail, prng, runMain, sleep } from './lib/cli.js';
import { readToEnd } from './lib/read-to-end.js';

const APPLICATION_ID = 'page-views-per-minute';
const INPUT = 'page-views';
const OUTPUT = 'page-views-per-minute-final';
const STORE = 'page-views-per-minute';
const WINDOW_MS = 60_000;
const GRACE_MS = 10_000;
/**
 * How long the window store keeps a window: an hour, so that the whole run can be read back (interactive query) at
 * the end. Kafka Streams' default, size + grace, would expire each window soon after it closes.
 */
const RETENTION_MS = 60 * 60_000;
const FLUSH_PAGE = '(flush)';
const START_MS = Date.UTC(2024, 4, 1, 9, 0, 0);
const CLICKS = 400;
const STEP_MS = 900;
const PAGES = ['/', '/pricing', '/docs', '/blog', '/signup'];
const USERS = 20;
const WAIT_STEP_MS = 20;

const USAGE = `usage: npm run example:windows -- [--data-dir DIR] [--partitions N] [--seed S]
       npm run example:windows -- --describe        (print the topology's describe() and exit)
       npm run example:windows -- --print-clicks    (print the generated clicks as JSON lines and exit)
`;

/** One click: a page view by a user at an event time; flush clicks name their partition. */
interface Click {
  readonly page: string;
  readonly user: string;
  readonly timestampMs: number;
  readonly partition?: number;
}

interface Options {
  readonly dataDir: string | undefined;
  readonly partitions: number;
  readonly seed: number;
  readonly help: boolean;
  readonly describe: boolean;
  readonly printClicks: boolean;
}

function options(argv: readonly string[]): Options {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        'data-dir': { type: 'string' },
        partitions: { type: 'string' },
        seed: { type: 'string' },
        describe: { type: 'boolean' },
        'print-clicks': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    const p = values.partitions;
    if (p !== undefined && !/^[1-9][0-9]{0,2}$/.test(p)) fail(`--partitions must be a whole number from 1 to 999, got ${JSON.stringify(p)}`, 2);
    const s = values.seed;
    if (s !== undefined && !/^[0-9]{1,9}$/.test(s)) fail(`--seed must be a whole number, got ${JSON.stringify(s)}`, 2);
    return {
      dataDir: values['data-dir'],
      partitions: p === undefined ? 2 : Number(p),
      seed: s === undefined ? 1 : Number(s),
      help: values.help === true,
      describe: values.describe === true,
      printClicks: values['print-clicks'] === true,
    };
  } catch (e: unknown) {
    if (e instanceof Failure) throw e;
    return fail(e instanceof Error ? e.message : String(e), 2);
  }
}

/** The clicks described in the file comment, in the order they are produced. */
function generateClicks(seed: number): Click[] {
  const rnd = prng(seed);
  const clicks: Click[] = [];
  for (let i = 0; i < CLICKS; i++) {
    const page = PAGES[Math.floor(rnd() * PAGES.length)]!;
    const user = `user-${1 + Math.floor(rnd() * USERS)}`;
    const delayMs = i % 50 === 49 ? 20_000 + Math.floor(rnd() * 60_000) : i % 10 === 9 ? 2_000 + Math.floor(rnd() * 6_000) : Math.floor(rnd() * 1_000);
    clicks.push({ page, user, timestampMs: START_MS + i * STEP_MS - delayMs });
  }
  return clicks;
}

/** One flush click per partition at the end of the last window holding a click, plus grace: it closes them all. */
function flushClicks(clicks: readonly Click[], partitions: number): Click[] {
  let maxMs = Number.NEGATIVE_INFINITY;
  for (const c of clicks) if (c.timestampMs > maxMs) maxMs = c.timestampMs;
  const lastEndMs = maxMs - (maxMs % WINDOW_MS) + WINDOW_MS;
  return Array.from({ length: partitions }, (_, partition) => ({ page: FLUSH_PAGE, user: 'flush', timestampMs: lastEndMs + GRACE_MS, partition }));
}

/** The per-minute counts with final results only: the program this example is about. */
function pageViewsPerMinute(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(INPUT, Consumed.with(Serdes.String(), Serdes.String()))
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_MS, GRACE_MS))
    .count(Materialized.as<string, number>(STORE).withRetention(RETENTION_MS))
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream()
    .to(OUTPUT);
  return builder.build();
}

/** Creates both topics; a data directory that already holds them would mix this run's windows with an earlier one's. */
async function prepareTopics(clients: Clients, partitions: number, dataDir: string): Promise<void> {
  const existing = new Set(await clients.admin.listTopics());
  if (existing.has(INPUT) || existing.has(OUTPUT)) fail(`${dataDir} already holds a run of this example; pass another --data-dir`);
  await clients.admin.createTopics([
    // The clicks are from 2024: kept whatever their age (the default retention.ms, 7 days, would delete them).
    { topic: INPUT, numPartitions: partitions, configs: { 'retention.ms': '-1' } },
    { topic: OUTPUT, numPartitions: partitions },
  ]);
}

async function produceClicks(clients: Clients, clicks: readonly Click[]): Promise<void> {
  const strings = Serdes.String();
  const producer = clients.producer();
  try {
    const messages: ProducerRecord[] = clicks.map((c) => ({
      key: strings.serialize(INPUT, c.page),
      value: strings.serialize(INPUT, c.user),
      timestampMs: c.timestampMs,
      ...(c.partition === undefined ? {} : { partition: c.partition }),
    }));
    await producer.send({ topic: INPUT, messages });
  } finally {
    await producer.close();
  }
}

/** Waits until the app's group has committed every input offset: every click is processed and its output written. */
async function waitUntilCommitted(clients: Clients, streams: KafkaStreams, partitions: number): Promise<void> {
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic: INPUT, partition }));
  const group = clients.consumer({ groupId: APPLICATION_ID });
  try {
    for (;;) {
      const ends = await clients.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
      const committed = await group.committed(tps);
      if (ends.every((end, i) => (committed[i]?.offset ?? 0) >= end.offset)) return;
      if (streams.state !== 'RUNNING' && streams.state !== 'REBALANCING') {
        fail(`the application stopped (${streams.state}): ${streams.error?.message ?? 'no error recorded'}`);
      }
      await sleep(WAIT_STEP_MS);
    }
  } finally {
    await group.close();
  }
}

interface FinalCount {
  readonly page: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly count: number;
}

/** Every record of the output topic (not a table: a window emitted twice must show). */
async function readFinalCounts(clients: Clients, partitions: number): Promise<FinalCount[]> {
  const keys = WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), WINDOW_MS);
  const longs = Serdes.BigInt();
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic: OUTPUT, partition }));
  const out: FinalCount[] = [];
  await readToEnd(clients, tps, (r) => {
    const w = keys.deserialize(OUTPUT, r.key);
    const n = longs.deserialize(OUTPUT, r.value);
    if (w === null || n === null) fail(`${OUTPUT} holds a record with a null key or value at offset ${r.offset}`);
    out.push({ page: w.key, startMs: w.window.startMs, endMs: w.window.endMs, count: Number(n) });
  });
  return out;
}

/** Every window's count in the store (interactive query), as `page@start`; DSL window stores keep timestamps too. */
function storeCounts(streams: KafkaStreams): Map<string, number> {
  const store = streams.store(STORE, QueryableStoreTypes.windowStore<string, number | bigint | { readonly value: number | bigint }>());
  const counts = new Map<string, number>();
  const it = store.all();
  try {
    for (let n = it.next(); !n.done; n = it.next()) {
      const v = n.value.value;
      counts.set(`${n.value.key.key}@${n.value.key.window.startMs}`, Number(typeof v === 'object' ? v.value : v));
    }
  } finally {
    it.close();
  }
  return counts;
}

const iso = (ms: number): string => new Date(ms).toISOString();

async function main(argv: readonly string[]): Promise<void> {
  const args = options(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.describe) {
    process.stdout.write(pageViewsPerMinute().describe().toString());
    return;
  }
  const clicks = generateClicks(args.seed);
  const flushes = flushClicks(clicks, args.partitions);
  if (args.printClicks) {
    let out = '';
    for (const c of [...clicks, ...flushes]) out += `${JSON.stringify(c)}\n`;
    process.stdout.write(out);
    return;
  }
  const dataDir = args.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-page-views-'));
  process.stderr.write(`page-views-per-minute: log and state in ${dataDir}${args.dataDir === undefined ? ' (removed at the end)' : ''}\n`);

  const broker = await Broker.open({ dataDir: path.join(dataDir, 'log'), logger: silentLogger() });
  let streams: KafkaStreams | null = null;
  try {
    const clients = inProcessClients(broker);
    await prepareTopics(clients, args.partitions, dataDir);
    await produceClicks(clients, [...clicks, ...flushes]);
    process.stderr.write(
      `page-views-per-minute: produced ${clicks.length} clicks and ${flushes.length} flush clicks at ${iso(flushes[0]!.timestampMs)} into ${INPUT} (${args.partitions} partitions)\n`,
    );

    streams = new KafkaStreams(pageViewsPerMinute(), {
      applicationId: APPLICATION_ID,
      broker,
      stateDir: path.join(dataDir, 'state'),
      // Commit often: this run waits for the commit that follows the last click.
      commitIntervalMs: 100,
      logger: silentLogger(),
    });
    await streams.start();
    await waitUntilCommitted(clients, streams, args.partitions);

    const finals = await readFinalCounts(clients, args.partitions);
    const stored = storeCounts(streams);
    const seen = new Set<string>();
    for (const f of finals) {
      const id = `${f.page}@${f.startMs}`;
      if (seen.has(id)) fail(`the final count of ${f.page} in the window starting ${iso(f.startMs)} was emitted twice`);
      seen.add(id);
      if (stored.get(id) !== f.count) fail(`final count ${f.count} of ${id} disagrees with the window store (${String(stored.get(id))})`);
    }
    let countedInStore = 0;
    for (const [id, n] of stored) {
      if (id.startsWith(`${FLUSH_PAGE}@`)) continue;
      countedInStore += n;
      if (!seen.has(id)) fail(`the window ${id} holds ${n} clicks but has no final count: it did not close`);
    }
    const dropped = clicks.length - countedInStore;

    finals.sort((a, b) => a.startMs - b.startMs || (a.page < b.page ? -1 : a.page > b.page ? 1 : 0));
    let out = 'page\twindow start\twindow end\tcount\n';
    for (const f of finals) out += `${f.page}\t${iso(f.startMs)}\t${iso(f.endMs)}\t${f.count}\n`;
    out +=
      `${dropped} late clicks dropped (of ${clicks.length}): each arrived when its partition's stream time had already ` +
      `reached its window's end + ${GRACE_MS / 1000} s grace, so that window's count was final\n`;
    process.stdout.write(out);
  } finally {
    await streams?.close();
    await broker.close();
    if (args.dataDir === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await runMain('page-views-per-minute', main);
