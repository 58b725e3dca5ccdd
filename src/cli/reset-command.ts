/**
 * `tributary reset APP --input-topics a,b [--yes] [--state-dir DIR]`: Kafka Streams' application reset tool. With
 * `--yes` it (1) sets the group's committed offsets of the input topics to their earliest offsets, and those of the
 * internal topics to 0, (2) deletes the internal topics (`<APP>-...-changelog`, `<APP>-...-repartition`), and
 * (3) wipes the application's local state directory (`<state-dir>/<APP>`), so the next run reprocesses the input
 * from the start with empty stores. It refuses while the group has members or another process holds the state
 * directory. Without `--yes` it prints what it would do and exits 2 (a dry run).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DirectoryLock } from '../broker/directory-lock.js';
import type { Admin } from '../client/admin.js';
import type { OffsetToCommit } from '../client/consumer.js';
import { StreamsError } from '../errors.js';
import { formatTable, LOG_OPTIONS, onePositional, parseCommandArgs } from './command-args.js';
import { logTarget, openLog, type LogTarget } from './log-connection.js';
import { Progress } from './progress.js';
import { UsageError } from './usage-error.js';

const OPTIONS = {
  ...LOG_OPTIONS,
  'input-topics': { type: 'string' },
  yes: { type: 'boolean' },
  'state-dir': { type: 'string' },
} as const;

/**
 * Exit code of a dry run (no --yes): nothing was changed.
 *
 * @example
 * ```ts
 * if ((await runResetCommand(['app', '--input-topics', 'lines', '--data-dir', dir])) === DRY_RUN_EXIT_CODE) console.log('dry run');
 * ```
 */
export const DRY_RUN_EXIT_CODE = 2;

/**
 * What a reset will do.
 *
 * @example
 * ```ts
 * const plan = await resetPlan(admin, 'word-count', ['lines'], '/var/lib/app/state');
 * ```
 */
export interface ResetPlan {
  readonly applicationId: string;
  readonly groupState: string;
  readonly activeMembers: number;
  /** Input partitions with the earliest offset they go to and the committed offset now (null: none). */
  readonly inputOffsets: readonly (OffsetToCommit & { readonly committed: number | null })[];
  /** Committed offsets of internal topics, set to 0 before the topics go (a recreated topic starts at 0). */
  readonly internalOffsets: readonly OffsetToCommit[];
  readonly internalTopics: readonly string[];
  /** The local state directory, or null when there is none. */
  readonly stateDir: string | null;
}

/**
 * Works out the reset of `applicationId`: every input topic must exist (UNKNOWN_TOPIC_OR_PARTITION otherwise).
 *
 * @example
 * ```ts
 * const plan = await resetPlan(admin, 'word-count', ['lines'], os.tmpdir());
 * ```
 */
export async function resetPlan(admin: Admin, applicationId: string, inputTopics: readonly string[], stateRoot: string): Promise<ResetPlan> {
  const [[group], committed, topics] = await Promise.all([
    admin.describeGroups([applicationId]),
    admin.listConsumerGroupOffsets(applicationId),
    admin.listTopics({ includeInternal: true }),
  ]);
  const existing = new Set(topics);
  const missing = inputTopics.filter((t) => !existing.has(t));
  if (missing.length > 0) throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `input topic ${missing.join(', ')} does not exist`, { topic: missing[0]! });
  const described = await admin.describeTopics(inputTopics);
  const tps = described.flatMap((d) => d.partitions.map((p) => ({ topic: d.name, partition: p.partition })));
  const earliest = await admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'earliest' as const })));
  const committedAt = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
  const internalTopics = topics
    .filter((t) => isInternalTopicOf(applicationId, t) && !inputTopics.includes(t))
    .sort();
  const internal = new Set(internalTopics);
  const appDir = path.join(stateRoot, applicationId);
  return {
    applicationId,
    groupState: group!.state,
    activeMembers: group!.members.length,
    inputOffsets: earliest.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.offset, committed: committedAt.get(`${e.topic}\u0000${e.partition}`) ?? null })),
    internalOffsets: committed.filter((c) => internal.has(c.topic)).map((c) => ({ topic: c.topic, partition: c.partition, offset: 0 })),
    internalTopics,
    stateDir: fs.existsSync(appDir) ? appDir : null,
  };
}

/**
 * Whether `topic` is an internal topic of the application, as Kafka Streams names them:
 * `<applicationId>-<name>-changelog` or `<applicationId>-<name>-repartition`.
 *
 * @example
 * ```ts
 * isInternalTopicOf('wc', 'wc-counts-changelog'); // true
 * isInternalTopicOf('wc', 'wc2-counts-changelog'); // false: another application's
 * ```
 */
export function isInternalTopicOf(applicationId: string, topic: string): boolean {
  const prefix = `${applicationId}-`;
  if (!topic.startsWith(prefix)) return false;
  const rest = topic.slice(prefix.length);
  return (rest.endsWith('-changelog') && rest.length > '-changelog'.length) || (rest.endsWith('-repartition') && rest.length > '-repartition'.length);
}

/**
 * The plan as text: offsets, topics, state directory.
 *
 * @example
 * ```ts
 * process.stdout.write(planText(plan));
 * ```
 */
export function planText(plan: ResetPlan): string {
  let text = `Reset of application '${plan.applicationId}' (group state ${plan.groupState}, ${plan.activeMembers} active member${plan.activeMembers === 1 ? '' : 's'}):\n`;
  text += `\n1. committed offsets of the input topics go to the earliest offsets:\n`;
  const rows = [['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET']];
  for (const o of plan.inputOffsets) rows.push([o.topic, String(o.partition), o.committed === null ? '-' : String(o.committed), String(o.offset)]);
  text += formatTable(rows).replace(/^/gm, '   ');
  if (plan.internalOffsets.length > 0) text += `   (and the ${plan.internalOffsets.length} committed offsets of internal topics go to 0)\n`;
  text += `\n2. internal topics to delete:${plan.internalTopics.length === 0 ? ' none' : ''}\n`;
  for (const t of plan.internalTopics) text += `   ${t}\n`;
  text += `\n3. local state to wipe: ${plan.stateDir ?? 'none'}\n`;
  return text;
}

/**
 * Runs `tributary reset`; resolves with the exit code: 0 done, 2 dry run, 1 refused or failed.
 *
 * @example
 * ```ts
 * await runResetCommand(['word-count', '--input-topics', 'lines', '--yes', '--broker', '127.0.0.1:9092']);
 * ```
 */
export async function runResetCommand(args: readonly string[], io: { stdout: { write(text: string): unknown }; stderr: { write(text: string): unknown; readonly isTTY?: boolean } } = process): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const applicationId = onePositional(positionals, 'reset', 'APP (the application id)');
  const inputTopics = (values['input-topics'] ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (inputTopics.length === 0) throw new UsageError('reset needs --input-topics a,b (the topics the application reads)');
  // The same default as KafkaStreams' stateDir.
  const stateRoot = path.resolve(values['state-dir'] ?? path.join(os.tmpdir(), 'tributary-streams'));
  const target = logTarget(values.broker, values['data-dir'], process.env, true, values)!;
  const log = await openLog(target, { clientId: 'tributary-reset' });
  try {
    const admin = log.clients.admin;
    const plan = await resetPlan(admin, applicationId, inputTopics, stateRoot);
    const wipe = plan.stateDir === null ? null : stateToWipe(plan.stateDir, target);
    io.stdout.write(planText(plan));
    if (wipe !== null && wipe.kept !== null) io.stdout.write(`   (keeping ${wipe.kept}: it is the broker's data directory in use)\n`);
    if (values.yes !== true) {
      if (plan.activeMembers > 0) io.stdout.write(`\nThe group has active members: stop every instance of '${applicationId}' first.\n`);
      io.stdout.write('\nDry run: nothing was changed. Run again with --yes to reset.\n');
      return DRY_RUN_EXIT_CODE;
    }
    if (plan.activeMembers > 0) {
      throw new StreamsError('ILLEGAL_STATE', `group '${applicationId}' is ${plan.groupState} with ${plan.activeMembers} active member(s): stop every instance of the application before resetting it`);
    }
    // Lock the state directory first: a running instance holds it, and then nothing is changed at all.
    const lock = wipe === null ? null : DirectoryLock.acquire(wipe.dir);
    try {
      io.stdout.write('\n');
      await admin.alterConsumerGroupOffsets(applicationId, [...plan.inputOffsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })), ...plan.internalOffsets]);
      io.stdout.write(`step 1/3: committed offsets of ${plan.inputOffsets.length} input partitions set to earliest\n`);
      const progress = new Progress({ label: 'step 2/3: deleting internal topics', unit: 'topics', total: plan.internalTopics.length, sink: io.stderr }).start();
      for (const topic of plan.internalTopics) {
        await admin.deleteTopics([topic]);
        progress.add(1);
      }
      progress.finish();
      io.stdout.write(`step 2/3: deleted ${plan.internalTopics.length} internal topics\n`);
      if (wipe !== null) wipeDirectory(wipe.dir, wipe.kept);
      io.stdout.write(`step 3/3: ${wipe === null ? 'no local state to wipe' : `wiped local state ${wipe.dir}`}\n`);
    } finally {
      lock?.release();
    }
    if (wipe !== null && wipe.kept === null) fs.rmSync(wipe.dir, { recursive: true, force: true });
    io.stdout.write(`Reset of application '${applicationId}' done: the next run reprocesses the input from the start.\n`);
    return 0;
  } finally {
    await log.close();
  }
}

/** The state directory to wipe, keeping the embedded broker's own directory when it lies inside (the default log). */
function stateToWipe(dir: string, target: LogTarget): { readonly dir: string; readonly kept: string | null } {
  if (target.kind !== 'embedded') return { dir, kept: null };
  const relative = path.relative(dir, target.dataDir);
  if (relative === '') throw new StreamsError('ILLEGAL_STATE', `--data-dir ${target.dataDir} is the application's state directory; give --state-dir`);
  const isInside = !relative.startsWith('..') && !path.isAbsolute(relative);
  return { dir, kept: isInside ? target.dataDir : null };
}

/** Deletes everything in `dir` but its lock file and the `kept` path (and the folders leading to it). */
function wipeDirectory(dir: string, kept: string | null): void {
  for (const entry of fs.readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (entry === '.lock' || full === kept) continue;
    if (kept !== null && kept.startsWith(full + path.sep)) {
      wipeDirectory(full, kept);
      continue;
    }
    fs.rmSync(full, { recursive: true, force: true });
  }
}
