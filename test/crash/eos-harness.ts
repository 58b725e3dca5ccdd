/**
 * The exactly-once crash harness: runs test/crash/eos-child.ts on one data directory, kills it with SIGKILL at
 * seeded random moments while it produces input and processes, restarts it, and at the end lets it drain and checks
 * the committed output against a reference computed from the input actually in the log:
 *
 * - word count (`counts`): per word, the values read (read_committed) must rise strictly and end at the expected
 *   count. A value missing at the end is "lost"; a repeated or decreasing value, or a final count above the
 *   reference, is "duplicated" (input counted twice).
 * - windowed finals (`window-finals`): exactly one final count per (user, window) the partition's stream time closed,
 *   equal to the clicks in it; a missing final is lost, a second one (or a wrong count) duplicated.
 *
 * Every acknowledged input batch must be in the log (the log's own promise).
 */
import * as path from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { inProcessClients, type Clients } from '../../src/client/in-process/in-process-clients.js';
import type { LogRecord } from '../../src/record.js';
import { silentLogger } from '../../src/util/logger.js';
import type { ProcessingGuarantee } from '../../runtime/streams-config.js';
import { expectedCounts, randomInts } from '../helpers/word-count-topology.js';
import { CLICKS, COUNTS, LINES, PARTITIONS, S, WINDOWED, WINDOW_FINALS, WINDOW_MS } from './eos-workload.js';
import { LineProcess, ROOT } from './line-process.js';

const CHILD = path.join(ROOT, 'test', 'crash', 'eos-child.ts');

/** What one harness run did and found. */
export interface CrashSummary {
  readonly guarantee: ProcessingGuarantee;
  readonly seed: number;
  readonly kills: number;
  /** Instances that died alone (simulated) while another one kept running, with two instances. */
  readonly instanceCrashes: number;
  readonly batchesAcked: number;
  readonly recordsIn: number;
  readonly resultsChecked: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Human-readable findings (first few), empty when all is well. */
  readonly problems: readonly string[];
}

/** One line for logs: `kills 30, records in 12345, results checked 678, lost 0, duplicated 0`. */
export function summaryLine(s: CrashSummary): string {
  return `[${s.guarantee} seed ${s.seed}] kills ${s.kills}${s.instanceCrashes > 0 ? `, lone instance crashes ${s.instanceCrashes}` : ''}, batches acked ${s.batchesAcked}, records in ${s.recordsIn}, results checked ${s.resultsChecked}, lost ${s.lost}, duplicated ${s.duplicated}`;
}

/**
 * Starts test/crash/eos-child.ts on `dir`; every `acked <b>` it prints goes into `acked`, every `crashed-a` (an
 * instance died alone and was replaced) to `onInstanceCrash`.
 */
function startChild(dir: string, guarantee: ProcessingGuarantee, seed: number, instances: 1 | 2, acked: Set<number>, onInstanceCrash: () => void): LineProcess {
  return new LineProcess('child', ['--import', 'tsx', CHILD, dir, guarantee, String(seed), String(instances)], (line) => {
    if (line.startsWith('acked ')) acked.add(Number(line.slice(6)));
    if (line === 'crashed-a') onInstanceCrash();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the harness: `kills` rounds of start, produce, SIGKILL at a random moment; then a last round that produces the
 * remaining batches and drains; then the check. `batches` input batches in all (each 20 lines and 30 clicks).
 *
 * @example
 * ```ts
 * const summary = await runCrashHarness({ dir, guarantee: 'exactly_once_v2', kills: 3, batches: 30, seed: 7 });
 * ```
 */
export async function runCrashHarness(options: {
  dir: string;
  guarantee: ProcessingGuarantee;
  kills: number;
  batches: number;
  seed: number;
  /** 2: two instances share the work; in every round one of them also dies alone (simulated) before the SIGKILL. */
  instances?: 1 | 2;
}): Promise<CrashSummary> {
  const { dir, guarantee, kills, batches, seed } = options;
  const instances = options.instances ?? 1;
  const next = randomInts(seed);
  const acked = new Set<number>();
  let instanceCrashes = 0;
  const onInstanceCrash = (): void => {
    instanceCrashes++;
  };
  let nextBatch = 0;
  const perRound = Math.max(1, Math.floor(batches / (kills + 1)));
  for (let round = 0; round < kills; round++) {
    let crashedA = false;
    const child = startChild(dir, guarantee, seed, instances, acked, onInstanceCrash);
    await child.waitFor('ready', 60_000);
    const until = Math.min(batches, nextBatch + perRound);
    const killAfterMs = 50 + next(600);
    const crashAAtMs = instances === 2 ? next(killAfterMs) : -1;
    const started = Date.now();
    // Produce this round's batches a few ms apart; the kill lands somewhere in producing or processing.
    while (Date.now() - started < killAfterMs) {
      if (nextBatch < until) child.send(`produce ${nextBatch++}`);
      if (crashAAtMs >= 0 && Date.now() - started >= crashAAtMs && !crashedA) {
        child.send('crash-a');
        crashedA = true;
      }
      await sleep(5 + next(20));
    }
    await child.kill('SIGKILL');
    // A batch sent but not acknowledged may or may not be in the log; it is not produced again (the reference reads
    // the log), so the next round continues after it.
  }
  const last = startChild(dir, guarantee, seed, instances, acked, onInstanceCrash);
  await last.waitFor('ready', 60_000);
  while (nextBatch < batches) last.send(`produce ${nextBatch++}`);
  // With two instances, one more lone crash while the rest is processed: the survivor must finish its work.
  if (instances === 2) last.send('crash-a');
  // `produce` commands are handled in order, so `drain` runs after the last batch is acknowledged.
  last.send('drain');
  await last.waitFor('drained', 180_000);
  await last.exited;
  return { ...(await check(dir, guarantee, seed, kills, acked)), instanceCrashes };
}

async function readAll(clients: Clients, topic: string): Promise<{ partition: number; record: LogRecord }[]> {
  const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
  const ends = await clients.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
  const consumer = clients.consumer({ autoOffsetReset: 'earliest', isolationLevel: 'read_committed' });
  const out: { partition: number; record: LogRecord }[] = [];
  try {
    consumer.assign(tps);
    const done = async (): Promise<boolean> => {
      for (let i = 0; i < tps.length; i++) if ((await consumer.position(tps[i]!)) < ends[i]!.offset) return false;
      return true;
    };
    while (!(await done())) {
      const polled = await consumer.poll({ maxWaitMs: 50 });
      for (const b of polled.batches) for (const r of b.records) out.push({ partition: b.partition, record: r });
    }
  } finally {
    await consumer.close();
  }
  return out;
}

/** Reads the log under `dir`/log and checks the results against the input actually there (see the file comment). */
export async function check(dir: string, guarantee: ProcessingGuarantee, seed: number, kills: number, acked: ReadonlySet<number>): Promise<Omit<CrashSummary, 'instanceCrashes'>> {
  const broker = await Broker.open({ dataDir: path.join(dir, 'log'), logger: silentLogger() });
  const problems: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let checked = 0;
  try {
    const clients = inProcessClients(broker);
    const lines = await readAll(clients, LINES);
    const clicks = await readAll(clients, CLICKS);
    const batchesInLog = new Set(lines.map((l) => Number(S.deserialize(LINES, l.record.key)!.split('-')[1])));
    for (const b of acked) if (!batchesInLog.has(b)) problems.push(`acknowledged batch ${b} is not in the log`);

    // Word count.
    const expected = expectedCounts(lines.map((l) => S.deserialize(LINES, l.record.value)!));
    const seen = new Map<string, number[]>();
    for (const { record } of await readAll(clients, COUNTS)) {
      const word = S.deserialize(COUNTS, record.key)!;
      const n = Number(record.value!.readBigInt64BE(0));
      let list = seen.get(word);
      if (list === undefined) seen.set(word, (list = []));
      list.push(n);
    }
    for (const [word, want] of expected) {
      checked++;
      const values = seen.get(word) ?? [];
      const final = values.at(-1) ?? 0;
      const repeats = values.filter((v, i) => i > 0 && v <= values[i - 1]!).length;
      if (final < Number(want)) {
        lost++;
        problems.push(`word ${word}: final count ${final}, expected ${want}`);
      }
      if (final > Number(want) || repeats > 0) {
        duplicated++;
        problems.push(`word ${word}: counts ${values.slice(-6).join(',')} (expected to rise to ${want})`);
      }
    }
    for (const word of seen.keys()) if (!expected.has(word)) problems.push(`word ${word} was never in the input`);

    // Windowed finals: windows closed by their partition's stream time.
    const streamTime = new Map<number, number>();
    const want = new Map<string, number>();
    for (const { partition, record } of clicks) {
      streamTime.set(partition, Math.max(streamTime.get(partition) ?? -1, record.timestampMs));
    }
    for (const { partition, record } of clicks) {
      const start = record.timestampMs - (record.timestampMs % WINDOW_MS);
      if (start + WINDOW_MS > streamTime.get(partition)!) continue;
      const id = `${S.deserialize(CLICKS, record.key)}@${start}`;
      want.set(id, (want.get(id) ?? 0) + 1);
    }
    const got = new Map<string, number[]>();
    for (const { record } of await readAll(clients, WINDOW_FINALS)) {
      const w = WINDOWED.deserialize(WINDOW_FINALS, record.key)!;
      const id = `${w.key}@${w.window.startMs}`;
      let list = got.get(id);
      if (list === undefined) got.set(id, (list = []));
      list.push(Number(record.value!.readBigInt64BE(0)));
    }
    for (const [id, n] of want) {
      checked++;
      const finals = got.get(id) ?? [];
      if (finals.length === 0) {
        lost++;
        problems.push(`window ${id}: no final result, expected ${n}`);
      } else if (finals.length > 1 || finals[0] !== n) {
        duplicated++;
        problems.push(`window ${id}: finals ${finals.join(',')}, expected exactly one ${n}`);
      }
    }
    for (const id of got.keys()) if (!want.has(id)) problems.push(`window ${id}: a final result for a window that is not closed or has no clicks`);
    return { guarantee, seed, kills, batchesAcked: acked.size, recordsIn: lines.length + clicks.length, resultsChecked: checked, lost, duplicated, problems: problems.slice(0, 20) };
  } finally {
    await broker.close();
  }
}
