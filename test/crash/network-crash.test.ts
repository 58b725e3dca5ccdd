import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { networkSummaryLine, runNetworkCrashHarness } from './network-harness.js';

// The crash harness across processes at a reduced size; `npm run test:crash` runs it bigger.
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const SEED = Number(process.env['CRASH_SEED'] ?? '20261122');

describe('crash harness across processes (reduced)', () => {
  it('exactly_once_v2, broker and three app processes: app and broker processes SIGKILLed, results exactly once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-net-crash-'));
    dirs.push(dir);
    const s = await runNetworkCrashHarness({ dir, guarantee: 'exactly_once_v2', instances: 3, appKills: 2, brokerKills: 1, batches: 24, seed: SEED });
    expect(s.problems, networkSummaryLine(s)).toEqual([]);
    expect(s.lost + s.duplicated).toBe(0);
    // Tasks were spread: every process held input partitions of its own before the first kill.
    expect(s.partitionsPerProcess).toHaveLength(3);
    for (const n of s.partitionsPerProcess) expect(n).toBeGreaterThan(0);
    expect(s.exitCodes).toEqual([0, 0, 0, 0]);
    // The apps rode out the broker's restart: none went to ERROR and needed a supervisor.
    expect(s.unplannedRestarts, networkSummaryLine(s)).toBe(0);
    expect(s.resultsChecked).toBeGreaterThan(20);
  }, 240_000);
});
