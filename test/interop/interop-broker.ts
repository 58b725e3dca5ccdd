import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Broker, type BrokerOptions } from '../../src/broker/broker.js';
import { readBatchHeader, type BatchHeader } from '../../src/broker/record-batch.js';
import { KafkaServer } from '../../src/broker/server/kafka-server.js';
import type { Consumer, IsolationLevel } from '../../src/client/consumer.js';
import { inProcessClients } from '../../src/client/in-process/in-process-clients.js';
import type { TopicPartition } from '../../src/record.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';

/**
 * A broker in a temporary directory with its Kafka-protocol server on an ephemeral loopback port, for tests that
 * drive it with real Kafka clients.
 */
export interface InteropBroker {
  readonly broker: Broker;
  readonly server: KafkaServer;
  readonly port: number;
  /** `127.0.0.1:PORT`, the bootstrap address for kcat (`-b`) and kafkajs (`brokers`). */
  readonly bootstrap: string;
  readonly dataDir: string;
  /** Stops the server, closes the broker and removes its directory. */
  close(): Promise<void>;
}

/**
 * The logger of the server and broker in interop tests: silent, unless `TRIBUTARY_INTEROP_LOG` names a pino level
 * (e.g. `debug`), which then goes to stderr, to see what a client sent when a test fails.
 *
 * @example
 * ```ts
 * // TRIBUTARY_INTEROP_LOG=debug npx vitest run test/interop/kcat.test.ts
 * const server = await KafkaServer.listen(broker, { host: '127.0.0.1', port: 0, logger: interopLogger() });
 * ```
 */
export function interopLogger(): Logger {
  const level = process.env['TRIBUTARY_INTEROP_LOG'];
  return level === undefined || level === '' ? silentLogger() : pino({ level, base: { lib: 'tributary-interop' } }, pino.destination(2));
}

/**
 * Opens a broker in a fresh temporary directory and starts a KafkaServer for it on 127.0.0.1, port chosen by the OS.
 * Group timeouts are lowered so that clients configured with short sessions (and tests) stay fast.
 *
 * @example
 * ```ts
 * const ib = await startInteropBroker();
 * ib.broker.createTopic('lines', 3);
 * await runKcat(['-b', ib.bootstrap, '-L']);
 * await ib.close();
 * ```
 */
export async function startInteropBroker(options: Partial<BrokerOptions> = {}): Promise<InteropBroker> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-interop-'));
  const logger = interopLogger();
  const broker = await Broker.open({
    dataDir,
    logger,
    maintenanceIntervalMs: 0,
    groupInitialRebalanceDelayMs: 0,
    groupMinSessionTimeoutMs: 100,
    ...options,
  });
  let server: KafkaServer;
  try {
    server = await KafkaServer.listen(broker, { host: '127.0.0.1', port: 0, logger });
  } catch (e: unknown) {
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const port = server.address.port;
  let isClosed = false;
  return {
    broker,
    server,
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    close: async () => {
      if (isClosed) return;
      isClosed = true;
      try {
        await server.close();
      } finally {
        await broker.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A record as a test compares it: strings instead of bytes (null stays null), headers as [key, value] pairs.
 *
 * @example
 * ```ts
 * const r: ReadRecord = { partition: 0, offset: 0, timestampMs: 1, key: 'k', value: 'v', headers: [['h', '1']] };
 * ```
 */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly timestampMs: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly (readonly [string, string | null])[];
}

/**
 * Reads every record of `partitions` up to their end offsets with `consumer` (assign mode, positions by the consumer's
 * autoOffsetReset), polling at most `maxPolls` times with `maxWaitMs`; in partition then offset order. The consumer
 * is left open.
 *
 * @example
 * ```ts
 * const records = await readRecords(clients.consumer({ autoOffsetReset: 'earliest' }), tps, { maxWaitMs: 50, maxPolls: 200 });
 * ```
 */
export async function readRecords(
  consumer: Consumer,
  partitions: readonly TopicPartition[],
  options: { readonly maxWaitMs: number; readonly maxPolls: number },
): Promise<ReadRecord[]> {
  consumer.assign(partitions);
  const ends = await consumer.endOffsets(partitions);
  const out: ReadRecord[] = [];
  for (let polls = 0; polls < options.maxPolls; polls++) {
    const polled = await consumer.poll({ maxWaitMs: options.maxWaitMs, maxRecords: 1_000 });
    for (const b of polled.batches) {
      for (const r of b.records) {
        out.push({
          partition: b.partition,
          offset: r.offset,
          timestampMs: r.timestampMs,
          key: r.key === null ? null : r.key.toString(),
          value: r.value === null ? null : r.value.toString(),
          headers: r.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString()] as const),
        });
      }
    }
    let isDone = true;
    for (const e of ends) if ((await consumer.position(e)) < e.offset) isDone = false;
    if (isDone) break;
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/**
 * Reads every record of a topic up to its end offsets with tributary's in-process consumer (assign mode), in
 * partition then offset order. Under read_committed the end is the last stable offset and aborted records are skipped.
 *
 * @example
 * ```ts
 * const records = await readTopic(ib.broker, 'lines', 'read_committed');
 * expect(records.map((r) => r.value)).toEqual(['a', 'b']);
 * ```
 */
export async function readTopic(broker: Broker, topic: string, isolationLevel: IsolationLevel = 'read_uncommitted'): Promise<ReadRecord[]> {
  const n = broker.describeTopic(topic).numPartitions;
  const tps: TopicPartition[] = Array.from({ length: n }, (_, partition) => ({ topic, partition }));
  const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest', isolationLevel });
  try {
    return await readRecords(consumer, tps, { maxWaitMs: 0, maxPolls: 10_000 });
  } finally {
    await consumer.close();
  }
}

/**
 * The header of every record batch of one partition (control batches included), in log order: to check what a
 * client's producer really sent (producer id, epoch, sequences, transactional and control bits).
 *
 * @example
 * ```ts
 * for (const h of await batchHeaders(ib.broker, 'lines', 0)) expect(h.producerId).toBe(-1);
 * ```
 */
export async function batchHeaders(broker: Broker, topic: string, partition: number): Promise<BatchHeader[]> {
  const out: BatchHeader[] = [];
  let offset = broker.partitionLog(topic, partition).logStartOffset;
  for (;;) {
    const [fetched] = await broker.fetch([{ topic, partition, offset }], { maxWaitMs: 0 });
    if (fetched === undefined || fetched.error !== undefined) throw fetched?.error ?? new Error(`no fetch result for ${topic}-${partition}`);
    const bytes = fetched.bytes;
    let pos = 0;
    while (pos + 61 <= bytes.length) {
      const h = readBatchHeader(bytes, pos);
      if (pos + 12 + h.batchLength > bytes.length) break;
      if (h.baseOffset + h.lastOffsetDelta >= offset) out.push(h);
      pos += 12 + h.batchLength;
    }
    if (fetched.nextOffset <= offset || fetched.nextOffset >= fetched.highWatermark) return out;
    offset = fetched.nextOffset;
  }
}

/**
 * Waits, polling every 20 ms, until `check` returns true; throws after `timeoutMs` with `what` and, when given, the
 * diagnostics `explain` returns (client output, logs). For tests that watch real client processes.
 *
 * @example
 * ```ts
 * await waitUntil('all records consumed', () => seen.length >= 80, 15_000, () => member.describe());
 * ```
 */
export async function waitUntil(what: string, check: () => boolean, timeoutMs: number, explain?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${explain === undefined ? '' : `\n${explain()}`}`);
    await sleep(20);
  }
}
