/**
 * `tributary topics list | create NAME | describe NAME... | delete NAME...`: topic administration through the Admin
 * client, with `--broker HOST:PORT` (over the Kafka protocol) or `--data-dir DIR` (the broker's directory, opened
 * here; refused while a broker runs on it). Output follows kafka-topics.sh where it has a counterpart.
 */
import type { Admin, TopicDescription } from '../client/admin.js';
import { StreamsError } from '../errors.js';
import { LOG_OPTIONS, onePositional, parseCommandArgs, wholeNumber } from './command-args.js';
import { logTarget, openLog } from './log-connection.js';
import { UsageError } from './usage-error.js';

const OPTIONS = {
  ...LOG_OPTIONS,
  partitions: { type: 'string' },
  config: { type: 'string', multiple: true },
  'include-internal': { type: 'boolean' },
  'if-not-exists': { type: 'boolean' },
} as const;

/**
 * Runs `tributary topics <action>`; resolves with the exit code.
 *
 * @example
 * ```ts
 * await runTopicsCommand(['create', 'lines', '--partitions', '3', '--broker', '127.0.0.1:9092']);
 * ```
 */
export async function runTopicsCommand(args: readonly string[], out: { write(text: string): unknown } = process.stdout): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const [action, ...names] = positionals;
  if (action === undefined) throw new UsageError('topics needs an action: list, create, describe or delete');
  if (action !== 'list' && action !== 'create' && action !== 'describe' && action !== 'delete') {
    throw new UsageError(`unknown topics action '${action}' (list, create, describe, delete)`);
  }
  if (action === 'list' && names.length > 0) throw new UsageError(`topics list takes no arguments, got ${names.join(' ')}`);
  if (action !== 'list' && names.length === 0) throw new UsageError(`topics ${action} needs a topic NAME`);
  if (action !== 'create' && (values.partitions !== undefined || values.config !== undefined || values['if-not-exists'] !== undefined)) {
    throw new UsageError('--partitions, --config and --if-not-exists go with topics create');
  }
  const numPartitions = wholeNumber(values.partitions, '--partitions', 1, 1, 1_000_000);
  const configs = parseConfigs(values.config ?? []);
  const name = action === 'create' ? onePositional(names, 'topics create', 'topic NAME') : '';
  const target = logTarget(values.broker, values['data-dir'], process.env, true, values)!;
  const log = await openLog(target, { clientId: 'tributary-topics' });
  try {
    const admin = log.clients.admin;
    switch (action) {
      case 'list':
        for (const name of await admin.listTopics({ includeInternal: values['include-internal'] === true })) out.write(`${name}\n`);
        return 0;
      case 'create': {
        // As kafka-topics.sh: an existing topic is an error unless --if-not-exists (createTopics alone is idempotent).
        if ((await admin.listTopics({ includeInternal: true })).includes(name)) {
          if (values['if-not-exists'] === true) return 0;
          throw new StreamsError('TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
        }
        await admin.createTopics([{ topic: name, numPartitions, configs }]);
        out.write(`Created topic ${name}.\n`);
        return 0;
      }
      case 'describe':
        out.write((await admin.describeTopics(names)).map(describeText).join(''));
        return 0;
      case 'delete':
        await deleteTopics(admin, names);
        for (const name of names) out.write(`Deleted topic ${name}.\n`);
        return 0;
    }
  } finally {
    await log.close();
  }
}

/**
 * `--config k=v` options as topic configs; a value without `=` or an empty key is a usage error. The broker
 * validates the keys and values (INVALID_CONFIG).
 *
 * @example
 * ```ts
 * parseConfigs(['cleanup.policy=compact', 'retention.ms=60000']); // { 'cleanup.policy': 'compact', 'retention.ms': '60000' }
 * ```
 */
export function parseConfigs(entries: readonly string[]): Record<string, string> {
  const configs: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--config must be KEY=VALUE, got '${entry}'`);
    configs[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  return configs;
}

/**
 * A topic as kafka-topics.sh --describe prints it (one header line, one line per partition), with each partition's
 * log start offset and high watermark in place of replicas (the included broker keeps one copy).
 *
 * @example
 * ```ts
 * describeText({ name: 'lines', topicId: '', isInternal: false, partitions: [{ partition: 0, logStartOffset: 0, highWatermark: 3 }], configs: {} });
 * // 'Topic: lines\tTopicId: \tPartitionCount: 1\tConfigs: \n\tTopic: lines\tPartition: 0\tLogStartOffset: 0\tHighWatermark: 3\n'
 * ```
 */
export function describeText(d: TopicDescription): string {
  const configs = Object.keys(d.configs)
    .sort()
    .map((k) => `${k}=${String(d.configs[k])}`)
    .join(',');
  let text = `Topic: ${d.name}\tTopicId: ${d.topicId}\tPartitionCount: ${d.partitions.length}\tConfigs: ${configs}\n`;
  for (const p of d.partitions) text += `\tTopic: ${d.name}\tPartition: ${p.partition}\tLogStartOffset: ${p.logStartOffset}\tHighWatermark: ${p.highWatermark}\n`;
  return text;
}

async function deleteTopics(admin: Admin, names: readonly string[]): Promise<void> {
  // One call: either every topic is there and goes, or the missing one is named and nothing else is asked.
  const existing = new Set(await admin.listTopics({ includeInternal: true }));
  const missing = names.filter((n) => !existing.has(n));
  if (missing.length > 0) throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `no such topic: ${missing.join(', ')}`, { topic: missing[0]! });
  await admin.deleteTopics(names);
}
