/**
 * `tributary produce TOPIC`: every line of stdin becomes a record (value = the line's bytes, no newline; key null),
 * or `key<SEP>value` with `--key-separator SEP`. Lines are sent in batches, the next batch read while the previous
 * one is in flight; progress (records/s) goes to stderr, a summary to stdout at the end.
 */
import type { Producer } from '../client/producer.js';
import { StreamsError } from '../errors.js';
import type { ProducerRecord } from '../record.js';
import { LOG_OPTIONS, onePositional, parseCommandArgs, unescapeSeparator, wholeNumber } from './command-args.js';
import { logTarget, openLog } from './log-connection.js';
import { formatCount, Progress, type ProgressSink } from './progress.js';
import { UsageError } from './usage-error.js';

const OPTIONS = {
  ...LOG_OPTIONS,
  'key-separator': { type: 'string' },
  'partitions-from-key': { type: 'boolean' },
  'batch-size': { type: 'string' },
} as const;

/** A batch is sent when it holds this many bytes of keys and values, or `--batch-size` records. */
const MAX_BATCH_BYTES = 512 * 1024;
const NEWLINE = 0x0a;

/**
 * The streams the command reads and writes: process.stdin/stdout/stderr, others in tests.
 *
 * @example
 * ```ts
 * const io: ProduceIo = { stdin: lines(), stdout: { write: (t) => void (out += t) }, stderr: { write: () => true, isTTY: false } };
 * ```
 */
export interface ProduceIo {
  readonly stdin: AsyncIterable<Buffer | string>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressSink;
}

/**
 * Runs `tributary produce`; resolves with the exit code once every line is acknowledged.
 *
 * @example
 * ```ts
 * // printf 'a\tone\nb\ttwo\n' | tributary produce lines --key-separator '\t' --broker 127.0.0.1:9092
 * await runProduceCommand(['lines', '--key-separator', '\\t', '--broker', '127.0.0.1:9092']);
 * ```
 */
export async function runProduceCommand(args: readonly string[], io: ProduceIo = process): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const topic = onePositional(positionals, 'produce', 'TOPIC');
  const separator = values['key-separator'] === undefined ? null : Buffer.from(unescapeSeparator(values['key-separator'], '--key-separator'));
  const isPartitionFromKey = values['partitions-from-key'] === true;
  if (isPartitionFromKey && separator === null) throw new UsageError('--partitions-from-key needs --key-separator (the key names the partition)');
  const batchSize = wholeNumber(values['batch-size'], '--batch-size', 5_000, 1, 1_000_000);
  const log = await openLog(logTarget(values.broker, values['data-dir'], process.env, true, values)!, { clientId: 'tributary-produce' });
  let producer: Producer | null = null;
  try {
    producer = log.clients.producer({ clientId: 'tributary-produce' });
    const partitions = await producer.partitionCount(topic);
    const progress = new Progress({ label: `produce ${topic}`, unit: 'records', sink: io.stderr }).start();
    const parse = lineParser(separator, isPartitionFromKey ? partitions : null);
    const sender = new PipelinedSender(producer, topic, progress);
    let batch: ProducerRecord[] = [];
    let batchBytes = 0;
    let lineNo = 0;
    const onLine = (line: Buffer): void => {
      const record = parse(line, ++lineNo);
      batch.push(record);
      batchBytes += line.length;
    };
    const lines = new LineSplitter();
    for await (const chunk of io.stdin) {
      lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, onLine);
      if (batch.length >= batchSize || batchBytes >= MAX_BATCH_BYTES) {
        await sender.send(batch);
        batch = [];
        batchBytes = 0;
      }
    }
    lines.end(onLine);
    if (batch.length > 0) await sender.send(batch);
    await sender.drain();
    const { done, elapsedMs, ratePerSec } = progress.finish();
    io.stdout.write(`produced ${formatCount(done)} records to ${topic} in ${(elapsedMs / 1000).toFixed(1)} s (${formatCount(Math.round(ratePerSec))} records/s)\n`);
    return 0;
  } finally {
    await producer?.close();
    await log.close();
  }
}

/**
 * Sends one batch at a time while the caller reads the next: `send` waits for the batch before the previous one to be
 * acknowledged (so records stay in order), and a failed send is thrown by the next `send` or `drain`.
 */
class PipelinedSender {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #progress: Progress;
  #inFlight: Promise<void> = Promise.resolve();
  #failure: unknown = null;

  constructor(producer: Producer, topic: string, progress: Progress) {
    this.#producer = producer;
    this.#topic = topic;
    this.#progress = progress;
  }

  async send(messages: readonly ProducerRecord[]): Promise<void> {
    await this.drain();
    this.#inFlight = this.#producer.send({ topic: this.#topic, messages }).then(
      () => this.#progress.add(messages.length),
      (e: unknown) => {
        this.#failure = e;
      },
    );
  }

  async drain(): Promise<void> {
    await this.#inFlight;
    if (this.#failure !== null) throw this.#failure;
  }
}

/**
 * Turns a line into a record: the whole line as the value (key null), or split at the first separator into key and
 * value; with `partitions` (for `--partitions-from-key`) the key, a whole number below it, is also the partition.
 * A line without the separator is INVALID_RECORD naming its line number, as Kafka's console producer refuses it.
 *
 * @example
 * ```ts
 * lineParser(Buffer.from('\t'), null)(Buffer.from('k\tv'), 1); // { key: <k>, value: <v> }
 * ```
 */
export function lineParser(separator: Buffer | null, partitions: number | null): (line: Buffer, lineNo: number) => ProducerRecord {
  if (separator === null) return (line) => ({ key: null, value: line });
  return (line, lineNo) => {
    const at = line.indexOf(separator);
    if (at < 0) throw new StreamsError('INVALID_RECORD', `line ${lineNo} has no key separator ${JSON.stringify(separator.toString())}`);
    const key = line.subarray(0, at);
    const value = line.subarray(at + separator.length);
    if (partitions === null) return { key, value };
    const text = key.toString();
    const partition = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(partition < partitions)) {
      throw new StreamsError('INVALID_RECORD', `line ${lineNo}: key ${JSON.stringify(text)} is not a partition number below ${partitions}`);
    }
    return { key, value, partition };
  };
}

/**
 * Splits a byte stream into lines at LF (bytes kept as they are, a CR included); the last line needs no LF, and no
 * empty line follows a final LF. Lines are views of the chunks (no copy) except where a line spans chunks.
 *
 * @example
 * ```ts
 * const s = new LineSplitter();
 * s.push(Buffer.from('a\nb'), onLine); // 'a'
 * s.end(onLine); // 'b'
 * ```
 */
export class LineSplitter {
  #rest: Buffer | null = null;

  push(chunk: Buffer, onLine: (line: Buffer) => void): void {
    const data = this.#rest === null ? chunk : Buffer.concat([this.#rest, chunk]);
    let start = 0;
    for (let nl = data.indexOf(NEWLINE, start); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
      onLine(data.subarray(start, nl));
      start = nl + 1;
    }
    this.#rest = start < data.length ? data.subarray(start) : null;
  }

  end(onLine: (line: Buffer) => void): void {
    if (this.#rest !== null) onLine(this.#rest);
    this.#rest = null;
  }
}
