/**
 * `tributary consume TOPIC`: prints each record's value (or `key<TAB>value` with `--print-key`) as a line on
 * stdout, `null` for a null key or value, as kafka-console-consumer.sh does. Without `--group` it reads every
 * partition from the end (or the start with `--from-beginning`); with `--group G` it joins the group and commits
 * what it printed. Stops after `--max-messages N`, after `--timeout-ms` without a record, or on SIGINT/SIGTERM
 * (exit code 0 each time).
 */
import type { Consumer, IsolationLevel, OffsetToCommit } from '../client/consumer.js';
import { topicPartitionKey, type TopicPartition } from '../record.js';
import { LOG_OPTIONS, onePositional, parseCommandArgs, unescapeSeparator, wholeNumber } from './command-args.js';
import { logTarget, openLog } from './log-connection.js';
import { UsageError } from './usage-error.js';

const OPTIONS = {
  ...LOG_OPTIONS,
  'from-beginning': { type: 'boolean' },
  group: { type: 'string' },
  'max-messages': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'isolation-level': { type: 'string' },
  'print-key': { type: 'boolean' },
  'key-separator': { type: 'string' },
} as const;

const POLL_WAIT_MS = 200;

/**
 * Where records go: process.stdout by default; any stream with backpressure ('drain') and 'error' events.
 *
 * @example
 * ```ts
 * await runConsumeCommand(['lines', '--data-dir', dir], fs.createWriteStream('lines.txt'));
 * ```
 */
export interface ConsumeOutput {
  write(text: string): boolean;
  once(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown;
  on(event: 'error', listener: (e: unknown) => void): unknown;
  off(event: 'error', listener: (e: unknown) => void): unknown;
}

/**
 * Runs `tributary consume`; resolves with the exit code once it stopped and (with a group) committed and left.
 *
 * @example
 * ```ts
 * await runConsumeCommand(['word-counts', '--from-beginning', '--print-key', '--broker', '127.0.0.1:9092']);
 * ```
 */
export async function runConsumeCommand(args: readonly string[], out: ConsumeOutput = process.stdout): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const topic = onePositional(positionals, 'consume', 'TOPIC');
  const maxMessages = wholeNumber(values['max-messages'], '--max-messages', Number.MAX_SAFE_INTEGER, 1);
  const timeoutMs = wholeNumber(values['timeout-ms'], '--timeout-ms', -1, 1);
  const isolationLevel = isolationLevelOf(values['isolation-level']);
  const keySeparator = values['key-separator'] === undefined ? '\t' : unescapeSeparator(values['key-separator'], '--key-separator');
  const isPrintingKey = values['print-key'] === true;
  const groupId = values.group;
  if (groupId === '') throw new UsageError('--group needs a group id');

  const log = await openLog(logTarget(values.broker, values['data-dir'], process.env, true, values)!, { clientId: 'tributary-consume' });
  let isStopping = false;
  const stop = (): void => {
    isStopping = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A closed pipe (`tributary consume t | head`) ends the run quietly.
  out.on('error', stop);
  let consumer: Consumer | null = null;
  try {
    consumer = log.clients.consumer({
      clientId: 'tributary-consume',
      autoOffsetReset: values['from-beginning'] === true ? 'earliest' : 'latest',
      isolationLevel,
      ...(groupId === undefined ? {} : { groupId }),
    });
    if (groupId === undefined) {
      const [described] = await log.clients.admin.describeTopics([topic]);
      const tps: TopicPartition[] = described!.partitions.map((p) => ({ topic, partition: p.partition }));
      consumer.assign(tps);
      if (values['from-beginning'] === true) await consumer.seekToBeginning(tps);
      else await consumer.seekToEnd(tps);
    } else {
      consumer.subscribe([topic]);
    }

    let printed = 0;
    let lastRecordMs = Date.now();
    while (!isStopping && printed < maxMessages) {
      const polled = await consumer.poll({ maxWaitMs: POLL_WAIT_MS });
      if (polled.count === 0) {
        if (timeoutMs > 0 && Date.now() - lastRecordMs >= timeoutMs) break;
        continue;
      }
      lastRecordMs = Date.now();
      let text = '';
      const commits = new Map<string, OffsetToCommit>();
      for (const batch of polled.batches) {
        for (const r of batch.records) {
          if (printed >= maxMessages) break;
          const value = r.value === null ? 'null' : r.value.toString('utf8');
          text += isPrintingKey ? `${r.key === null ? 'null' : r.key.toString('utf8')}${keySeparator}${value}\n` : `${value}\n`;
          printed++;
          commits.set(topicPartitionKey(batch.topic, batch.partition), { topic: batch.topic, partition: batch.partition, offset: r.offset + 1 });
        }
      }
      await write(out, text);
      // Commit exactly what was printed: with --max-messages the rest of the batch is left for the next reader.
      if (groupId !== undefined) await consumer.commit([...commits.values()]);
    }
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    out.off('error', stop);
    await consumer?.close();
    await log.close();
  }
}

/**
 * `--isolation-level` as an {@link IsolationLevel} (default read_uncommitted, as Kafka's console consumer).
 *
 * @example
 * ```ts
 * isolationLevelOf('read_committed'); // 'read_committed'
 * ```
 */
export function isolationLevelOf(value: string | undefined): IsolationLevel {
  if (value === undefined || value === 'read_uncommitted') return 'read_uncommitted';
  if (value === 'read_committed') return value;
  throw new UsageError(`--isolation-level must be read_committed or read_uncommitted, got '${value}'`);
}

/** Writes and waits for the stream to drain when its buffer is full (a slow reader slows the consumer). */
function write(out: ConsumeOutput, text: string): Promise<void> {
  if (text === '' || out.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    out.once('drain', () => resolve());
    out.once('error', () => resolve());
  });
}
