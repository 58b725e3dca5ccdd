/**
 * `npm run test:crash`: the full exactly-once crash harness (see eos-harness.ts). Runs exactly_once_v2 with 30 kills,
 * exactly_once_v2 with two instances sharing the work (one of them also dies alone in every round) and 10 kills, and
 * at_least_once with 10, then the same across processes (broker process + three app processes, app and broker kills), prints a summary line for each, exits 1 if exactly-once lost or duplicated anything or
 * at-least-once lost anything. Takes about a minute on 2 cores (each kill restarts a Node process). Options by environment:
 * CRASH_SEED (default: random, printed), CRASH_KILLS (default 30), CRASH_BATCHES (default 150).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCrashHarness, summaryLine } from './eos-harness.js';
import { networkSummaryLine, runNetworkCrashHarness } from './network-harness.js';

const seed = Number(process.env['CRASH_SEED'] ?? Math.floor(Math.random() * 1e9));
const kills = Number(process.env['CRASH_KILLS'] ?? '30');
const batches = Number(process.env['CRASH_BATCHES'] ?? '150');
process.stdout.write(`crash harness: seed ${seed} (replay with CRASH_SEED=${seed})\n`);
let failed = false;
const third = Math.max(1, Math.round(kills / 3));
for (const [guarantee, k, instances] of [['exactly_once_v2', kills, 1], ['exactly_once_v2', third, 2], ['at_least_once', third, 1]] as const) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-crash-${guarantee}-`));
  const started = Date.now();
  try {
    const s = await runCrashHarness({ dir, guarantee, kills: k, batches, seed, instances });
    process.stdout.write(`${summaryLine(s)} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    for (const p of s.problems) process.stdout.write(`  ${p}\n`);
    const bad = guarantee === 'exactly_once_v2' ? s.lost + s.duplicated > 0 || s.problems.length > 0 : s.lost > 0;
    if (bad) failed = true;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
// Across processes: the broker as `tributary broker`, three application processes, app and broker kills.
{
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-crash-network-'));
  const started = Date.now();
  try {
    const s = await runNetworkCrashHarness({ dir, guarantee: 'exactly_once_v2', instances: 3, appKills: third, brokerKills: Math.max(1, Math.round(third / 3)), batches, seed });
    process.stdout.write(`${networkSummaryLine(s)} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    for (const p of s.problems) process.stdout.write(`  ${p}\n`);
    if (s.lost + s.duplicated > 0 || s.problems.length > 0 || s.exitCodes.some((c) => c !== 0)) failed = true;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
process.exitCode = failed ? 1 : 0;
