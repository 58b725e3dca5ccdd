/**
 * `tributary groups list` and `tributary groups describe GROUP` (a Streams application's group is its
 * applicationId): state, members, and per partition the committed offset, the log end offset and the lag between
 * them, as kafka-consumer-groups.sh --describe prints them.
 */
import type { Admin, ConsumerGroupDescription } from '../client/admin.js';
import { byTopicPartition } from '../client/consumer-group-description.js';
import { topicPartitionKey, type TopicPartition } from '../record.js';
import { formatTable, LOG_OPTIONS, onePositional, parseCommandArgs } from './command-args.js';
import { logTarget, openLog } from './log-connection.js';
import { UsageError } from './usage-error.js';

/**
 * One partition's row of a group description: committed offset (null when none), log end offset, lag (null without a
 * committed offset), and the member holding the partition, if any.
 *
 * @example
 * ```ts
 * const row: GroupPartitionLag = { topic: 'lines', partition: 0, committed: 40, logEnd: 42, lag: 2, member: null };
 * ```
 */
export interface GroupPartitionLag extends TopicPartition {
  readonly committed: number | null;
  readonly logEnd: number;
  readonly lag: number | null;
  readonly member: { readonly memberId: string; readonly clientId: string; readonly clientHost: string } | null;
}

/**
 * A group's state and members with the lag of every partition it has committed or been assigned, sorted by topic and
 * partition. Lag is measured against the high watermark, as kafka-consumer-groups.sh does.
 *
 * @example
 * ```ts
 * const { description, partitions } = await groupLag(admin, 'word-count');
 * const total = partitions.reduce((n, p) => n + (p.lag ?? 0), 0);
 * ```
 */
export async function groupLag(admin: Admin, groupId: string): Promise<{ description: ConsumerGroupDescription; partitions: GroupPartitionLag[] }> {
  const [[description], committed] = await Promise.all([admin.describeGroups([groupId]), admin.listConsumerGroupOffsets(groupId)]);
  const owners = new Map<string, GroupPartitionLag['member']>();
  const wanted = new Map<string, TopicPartition>();
  for (const m of description!.members) {
    for (const tp of m.assignment) {
      const key = topicPartitionKey(tp.topic, tp.partition);
      owners.set(key, { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost });
      wanted.set(key, tp);
    }
  }
  const offsets = new Map<string, number>();
  for (const c of committed) {
    const key = topicPartitionKey(c.topic, c.partition);
    offsets.set(key, c.offset);
    wanted.set(key, { topic: c.topic, partition: c.partition });
  }
  // A committed topic deleted since (the reset tool deletes internal topics) has no end offset: it is left out.
  const existing = new Set(await admin.listTopics({ includeInternal: true }));
  const tps = [...wanted.values()].filter((tp) => existing.has(tp.topic)).sort(byTopicPartition);
  const ends = await admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
  const partitions = tps.map((tp, i) => {
    const key = topicPartitionKey(tp.topic, tp.partition);
    const c = offsets.get(key) ?? null;
    const logEnd = ends[i]!.offset;
    return { topic: tp.topic, partition: tp.partition, committed: c, logEnd, lag: c === null ? null : Math.max(0, logEnd - c), member: owners.get(key) ?? null };
  });
  return { description: description!, partitions };
}

/**
 * Runs `tributary groups list | describe GROUP`; resolves with the exit code (1 for a group that does not exist).
 *
 * @example
 * ```ts
 * await runGroupsCommand(['describe', 'word-count', '--broker', '127.0.0.1:9092']);
 * ```
 */
export async function runGroupsCommand(args: readonly string[], out: { write(text: string): unknown } = process.stdout): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, LOG_OPTIONS);
  const [action, ...rest] = positionals;
  if (action !== 'list' && action !== 'describe') throw new UsageError(action === undefined ? 'groups needs an action: list or describe' : `unknown groups action '${action}' (list, describe)`);
  if (action === 'list' && rest.length > 0) throw new UsageError(`groups list takes no arguments, got ${rest.join(' ')}`);
  const groupId = action === 'describe' ? onePositional(rest, 'groups describe', 'GROUP (the application id)') : '';
  const log = await openLog(logTarget(values.broker, values['data-dir'], process.env, true, values)!, { clientId: 'tributary-groups' });
  try {
    const admin = log.clients.admin;
    if (action === 'list') {
      const groups = await admin.listGroups();
      out.write(formatTable([['GROUP', 'STATE', 'PROTOCOL-TYPE'], ...groups.map((g) => [g.groupId, g.state, g.protocolType === '' ? '-' : g.protocolType])]));
      return 0;
    }
    const { description: d, partitions } = await groupLag(admin, groupId);
    // Not a StreamsError: no code to show, just the fact (exit code 1).
    if (d.state === 'Dead' && partitions.length === 0) throw new Error(`consumer group '${groupId}' does not exist`);
    out.write(describeGroupText(d, partitions));
    return 0;
  } finally {
    await log.close();
  }
}

/**
 * The text `groups describe` prints: a line with the state and members, then one row per partition (`-` where there
 * is no committed offset or no member), then the total lag.
 *
 * @example
 * ```ts
 * process.stdout.write(describeGroupText(description, partitions));
 * ```
 */
export function describeGroupText(d: ConsumerGroupDescription, partitions: readonly GroupPartitionLag[]): string {
  const members = d.members.length;
  let text =
    members === 0
      ? `Consumer group '${d.groupId}' has no active members (state ${d.state}).\n`
      : `Consumer group '${d.groupId}' is ${d.state} with ${members} member${members === 1 ? '' : 's'}${d.protocol === '' ? '' : ` (assignor ${d.protocol})`}.\n`;
  const rows = [['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']];
  let total = 0;
  for (const p of partitions) {
    total += p.lag ?? 0;
    rows.push([
      d.groupId,
      p.topic,
      String(p.partition),
      p.committed === null ? '-' : String(p.committed),
      String(p.logEnd),
      p.lag === null ? '-' : String(p.lag),
      p.member?.memberId ?? '-',
      p.member === null || p.member.clientHost === '' ? '-' : p.member.clientHost,
      p.member?.clientId ?? '-',
    ]);
  }
  text += '\n' + formatTable(rows);
  return `${text}\nTOTAL-LAG ${total}\n`;
}
