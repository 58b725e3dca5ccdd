/**
 * The process test/crash-recovery.test.ts kills with SIGKILL. It opens the broker on DIR (recovering it after the
 * previous kill), then appends batches as fast as it can with flush 'os' and prints one line per acknowledged send:
 *
 *   ack <partition> <baseOffset> <recordCount> <checksum>
 *
 * A line is printed only after the send resolved, so every printed line is a promise the log must keep.
 *
 *   node --import tsx test/helpers/crash-child.ts DIR ROUND SEED
 */
import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
// The broker and its clients only (not the whole package face), so the child starts fast.
import { Broker } from '../../src/broker/broker.js';
import { inProcessClients } from '../../src/client/in-process/in-process-clients.js';
import type { Header, ProducerRecord } from '../../src/record.js';
import { silentLogger } from '../../src/util/logger.js';

/** The topic the child writes. Small segments, so rolls (and their background fsync) happen during the run. */
export const CRASH_TOPIC = 'crash';
export const CRASH_PARTITIONS = 2;
export const CRASH_TOPIC_CONFIG = { 'segment.bytes': 4096, 'index.interval.bytes': 256 } as const;

/** What a record must read back as: key, value, headers and timestamp, in one digest per acknowledged send. */
export function recordsChecksum(records: readonly { key: Uint8Array | null; value: Uint8Array | null; timestampMs: number; headers: readonly Header[] }[]): string {
  const h = createHash('sha256');
  const put = (b: Uint8Array | null): void => {
    h.update(b === null ? 'null;' : `${b.length}:`);
    if (b !== null) h.update(b);
  };
  for (const r of records) {
    put(r.key);
    put(r.value);
    h.update(`@${r.timestampMs};${r.headers.length};`);
    for (const x of r.headers) {
      put(Buffer.from(x.key, 'utf8'));
      put(x.value);
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** A small deterministic PRNG (mulberry32), so a failing round can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(dir: string, round: number, seed: number): Promise<void> {
  const random = prng(seed);
  const broker = await Broker.open({ dataDir: dir, flush: 'os', logger: silentLogger(), maintenanceIntervalMs: 0, offsetsTopicPartitions: 1 });
  const clients = inProcessClients(broker);
  const producer = clients.producer();
  await clients.admin.createTopics([{ topic: CRASH_TOPIC, numPartitions: CRASH_PARTITIONS, configs: CRASH_TOPIC_CONFIG }]);
  process.stdout.write('ready\n');
  for (let seq = 0; ; ) {
    const partition = Math.floor(random() * CRASH_PARTITIONS);
    const count = 1 + Math.floor(random() * 6);
    const messages: ProducerRecord[] = [];
    for (let i = 0; i < count; i++, seq++) {
      const pad = 'x'.repeat(Math.floor(random() * 120));
      messages.push({
        key: random() < 0.2 ? null : Buffer.from(`k${seq % 17}`),
        value: Buffer.from(`${round}:${seq}:${pad}`),
        timestampMs: 1_700_000_000_000 + round * 1_000_000 + seq,
        partition,
        ...(random() < 0.3 ? { headers: [{ key: 'round', value: Buffer.from(String(round)) }] } : {}),
      });
    }
    const [meta] = await producer.send({ topic: CRASH_TOPIC, messages });
    const sum = recordsChecksum(messages.map((m) => ({ key: m.key, value: m.value, timestampMs: m.timestampMs!, headers: m.headers ?? [] })));
    process.stdout.write(`ack ${meta!.partition} ${meta!.baseOffset} ${count} ${sum}\n`);
    // Let the background fsync of rolled segments (and its metadata writes) run now and then, as in real use.
    if (random() < 0.5) await yieldToLoop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, round, seed] = process.argv.slice(2);
  if (dir === undefined) {
    process.stderr.write('usage: crash-child.ts DIR ROUND SEED\n');
    process.exit(2);
  }
  main(dir, Number(round ?? 0), Number(seed ?? 1)).catch((e: unknown) => {
    process.stderr.write(`crash-child failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
