import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../src/client/murmur2.js';

const root = path.resolve(import.meta.dirname, '..');
const WINDOW_MS = 60_000;
const GRACE_MS = 10_000;
const FLUSH_PAGE = '(flush)';
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-examples-windows-test-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the example as `npm run example:windows -- ...args` does. */
function pageViews(args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', 'examples/page-views-per-minute.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

interface Click {
  readonly page: string;
  readonly user: string;
  readonly timestampMs: number;
  readonly partition?: number;
}

/** The clicks the example generates for a seed and partition count, in produce order (its `--print-clicks`). */
function clicksOf(seed: number, partitions: number): Click[] {
  const r = pageViews(['--print-clicks', '--seed', String(seed), '--partitions', String(partitions)]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Click);
}

interface Reference {
  /** The printed output, computed from the documented rules. */
  readonly stdout: string;
  readonly dropped: number;
  /** Clicks that came after a later one (in their partition) and were still counted. */
  readonly outOfOrderCounted: number;
  /** Clicks at least 10 s older than their partition's stream time that were still counted (within grace). */
  readonly lateButCounted: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The documented rules, applied independently: each partition (murmur2 of the page, or the flush click's explicit
 * partition) is a task with its own stream time (the largest event time seen so far); a click goes to window
 * [t - t mod 1 min, + 1 min) unless that window's end + 10 s grace <= stream time when it arrives (then it is
 * dropped); a window's final count is printed when it closed by the end of the input.
 */
function reference(clicks: readonly Click[], partitions: number): Reference {
  const streamTimes = new Map<number, number>();
  const counts = new Map<string, { page: string; startMs: number; partition: number; count: number }>();
  let dropped = 0;
  let outOfOrderCounted = 0;
  let lateButCounted = 0;
  for (const c of clicks) {
    const partition = c.partition ?? partitionForKey(Buffer.from(c.page, 'utf8'), partitions);
    const before = streamTimes.get(partition) ?? -1;
    const streamTime = Math.max(before, c.timestampMs);
    streamTimes.set(partition, streamTime);
    const startMs = c.timestampMs - (c.timestampMs % WINDOW_MS);
    if (startMs + WINDOW_MS + GRACE_MS <= streamTime) {
      if (c.page === FLUSH_PAGE) throw new Error('a flush click is never late');
      dropped++;
      continue;
    }
    if (c.timestampMs < before) outOfOrderCounted++;
    if (c.timestampMs <= before - GRACE_MS) lateButCounted++;
    const id = `${c.page}@${startMs}`;
    const w = counts.get(id) ?? { page: c.page, startMs, partition, count: 0 };
    w.count++;
    counts.set(id, w);
  }
  const closed = [...counts.values()]
    .filter((w) => w.startMs + WINDOW_MS + GRACE_MS <= streamTimes.get(w.partition)!)
    .sort((a, b) => a.startMs - b.startMs || (a.page < b.page ? -1 : a.page > b.page ? 1 : 0));
  let stdout = 'page\twindow start\twindow end\tcount\n';
  for (const w of closed) stdout += `${w.page}\t${iso(w.startMs)}\t${iso(w.startMs + WINDOW_MS)}\t${w.count}\n`;
  const real = clicks.filter((c) => c.page !== FLUSH_PAGE).length;
  stdout +=
    `${dropped} late clicks dropped (of ${real}): each arrived when its partition's stream time had already ` +
    `reached its window's end + 10 s grace, so that window's count was final\n`;
  return { stdout, dropped, outOfOrderCounted, lateButCounted };
}

describe('examples/page-views-per-minute.ts', () => {
  it('prints the final per-minute counts and the late clicks the documented rules give (default run)', () => {
    const clicks = clicksOf(1, 2);
    const ref = reference(clicks, 2);
    // The generated input really has the cases the example is about.
    expect(ref.dropped).toBeGreaterThan(0);
    expect(ref.outOfOrderCounted).toBeGreaterThan(20);
    expect(ref.lateButCounted).toBeGreaterThan(0);
    expect(clicks.filter((c) => c.page === FLUSH_PAGE).map((c) => c.partition)).toEqual([0, 1]);

    const r = pageViews(['--data-dir', path.join(dir, 'default')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(ref.stdout);
    // Every real window closed: 5 pages x 6 minutes, plus windows before 09:00 that jittered clicks fell into.
    expect(r.stdout.split('\n').length).toBeGreaterThanOrEqual(1 + 30 + 1);
    expect(r.stdout).not.toContain(FLUSH_PAGE);
  });

  it('agrees with the rules for another seed and partition count (stream time is per partition)', () => {
    const clicks = clicksOf(7, 3);
    const ref = reference(clicks, 3);
    expect(ref.dropped).toBeGreaterThan(0);
    const r = pageViews(['--data-dir', path.join(dir, 'seed-7'), '--seed', '7', '--partitions', '3']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(ref.stdout);
    // One partition's stream time is not another's: with a single global stream time the result would differ.
    expect(reference(clicks.map((c) => ({ ...c, partition: 0 })), 1).stdout).not.toBe(ref.stdout);
  });

  it('refuses bad arguments with exit code 2, and a data directory that holds an earlier run', () => {
    const bad = pageViews(['--partitions', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--partitions');
    expect(bad.stdout).toBe('');
    const again = pageViews(['--data-dir', path.join(dir, 'default')]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already holds a run');
  });

  it('describes its topology: a windowed count into a suppress buffer', () => {
    const r = pageViews(['--describe']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Topologies:\n/);
    expect(r.stdout).toContain('(stores: [page-views-per-minute])');
    expect(r.stdout).toMatch(/Processor: KTABLE-SUPPRESS-\d+ \(stores: \[KTABLE-SUPPRESS-STATE-STORE-\d+\]\)/);
  });
});
