import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCrashHarness, summaryLine } from './eos-harness.js';

// The crash harness at a reduced size (a few kills); `npm run test:crash` runs it at full size (30 kills).
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-eos-crash-'));
  dirs.push(d);
  return d;
};
const SEED = Number(process.env['CRASH_SEED'] ?? '20261121');

describe('crash harness (reduced)', () => {
  it('exactly_once_v2: SIGKILLed at random moments, the committed output has every result exactly once', async () => {
    const s = await runCrashHarness({ dir: tempDir(), guarantee: 'exactly_once_v2', kills: 3, batches: 30, seed: SEED });
    expect(s.problems, summaryLine(s)).toEqual([]);
    expect(s.lost).toBe(0);
    expect(s.duplicated).toBe(0);
    expect(s.kills).toBe(3);
    expect(s.resultsChecked).toBeGreaterThan(20);
  });

  it('exactly_once_v2 with two instances: one dies alone (no commit, no leave, transaction left open) and the other takes over; then SIGKILL', async () => {
    const s = await runCrashHarness({ dir: tempDir(), guarantee: 'exactly_once_v2', kills: 2, batches: 20, seed: SEED + 2, instances: 2 });
    expect(s.problems, summaryLine(s)).toEqual([]);
    expect(s.lost + s.duplicated).toBe(0);
    expect(s.instanceCrashes).toBeGreaterThanOrEqual(1);
  });

  it('at_least_once: nothing is missing (duplicates allowed and counted)', async () => {
    const s = await runCrashHarness({ dir: tempDir(), guarantee: 'at_least_once', kills: 2, batches: 20, seed: SEED + 1 });
    expect(s.lost, summaryLine(s)).toBe(0);
    expect(s.problems.filter((p) => p.includes('not in the log') || p.includes('never in the input'))).toEqual([]);
  });
});
