/**
 * bench/log.ts — throughput of the included broker through the in-process client, against plain fs appends of the
 * same bytes in the same run. Prints, for 100-byte and 1 KiB values: produce records/s and MB/s (batches of 1000),
 * the plain-append baseline and the ratio, fetch records/s decoded, and group commit (flush 'always') records/s
 * with send latency percentiles; peak RSS at the end. Produce and fetch are timed after a warm-up of 1000 batches on
 * another topic; the baselines need none (Buffer.concat and writeSync are native).
 *
 *   npm run bench:log            (BENCH_SCALE=0.2 for a quicker run)
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker, inProcessClients, silentLogger, type ProducerRecord } from '../src/index.js';

const SCALE = Number(process.env['BENCH_SCALE'] ?? '1');
const BATCH = 1000;
const WARMUP_BATCHES = 1000;
let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const timer = setInterval(sampleRss, 50);

/** Writes dirty pages back before a timed phase, so no phase pays for the previous one's writeback. */
function settle(): void {
  try {
    execSync('sync');
  } catch {
    /* not available: phases then share the page cache state */
  }
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

function makeBatch(valueBytes: number, seed: number): ProducerRecord[] {
  const out: ProducerRecord[] = [];
  for (let i = 0; i < BATCH; i++) {
    const v = Buffer.alloc(valueBytes, 97 + ((seed + i) % 26));
    out.push({ key: null, value: v, partition: 0, timestampMs: 1_700_000_000_000 + i });
  }
  return out;
}

async function plainAppend(dir: string, batches: ProducerRecord[][], totalBatches: number): Promise<{ assembled: number; prebuilt: number }> {
  // Baselines: the same value bytes appended with fs.writeSync, one write per batch of 1000 records: (a) assembled
  // from the same record objects for each batch, as any writer of these records must (Buffer.concat), and (b) as
  // prebuilt chunks (the raw disk, a ceiling no record writer reaches).
  const values = batches.map((b) => b.map((r) => r.value as Buffer));
  const fd = fs.openSync(path.join(dir, 'plain.bin'), 'a');
  settle();
  let t0 = performance.now();
  for (let i = 0; i < totalBatches; i++) fs.writeSync(fd, Buffer.concat(values[i % values.length]!));
  const assembled = (performance.now() - t0) / 1000;
  const chunks = values.map((v) => Buffer.concat(v));
  settle();
  t0 = performance.now();
  for (let i = 0; i < totalBatches; i++) fs.writeSync(fd, chunks[i % chunks.length]!);
  const prebuilt = (performance.now() - t0) / 1000;
  fs.closeSync(fd);
  return { assembled, prebuilt };
}

async function run(valueBytes: number, totalRecords: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-'));
  const totalBatches = Math.max(1, Math.round(totalRecords / BATCH));
  const n = totalBatches * BATCH;
  const batches = [makeBatch(valueBytes, 0), makeBatch(valueBytes, 7), makeBatch(valueBytes, 13)];
  const mb = (n * valueBytes) / 1e6;
  try {
    const plain = await plainAppend(dir, batches, totalBatches);
    const plainS = plain.assembled;

    const broker = await Broker.open({ dataDir: path.join(dir, 'os'), flush: 'os', logger: silentLogger(), maintenanceIntervalMs: 0 });
    const clients = inProcessClients(broker);
    await clients.admin.createTopics([{ topic: 'bench', numPartitions: 1 }]);
    const producer = clients.producer();
    // Warm-up (excluded from the timing, as in any JIT benchmark): 1000 batches through the same produce and fetch
    // paths on a separate topic, so the timed runs measure compiled code, not the interpreter.
    await clients.admin.createTopics([{ topic: 'warmup', numPartitions: 1 }]);
    for (let i = 0; i < WARMUP_BATCHES; i++) await producer.send({ topic: 'warmup', messages: batches[i % batches.length]! });
    const warm = clients.consumer({ autoOffsetReset: 'earliest' });
    warm.assign([{ topic: 'warmup', partition: 0 }]);
    for (let r = await warm.poll({ maxRecords: 10_000, maxWaitMs: 0 }); r.count > 0; r = await warm.poll({ maxRecords: 10_000, maxWaitMs: 0 })) {
      for (const b of r.batches) for (const rec of b.records) if (rec.value === null) throw new Error('unexpected null');
    }
    await warm.close();
    fs.rmSync(path.join(dir, 'plain.bin'), { force: true });
    settle();
    const t0 = performance.now();
    for (let i = 0; i < totalBatches; i++) await producer.send({ topic: 'bench', messages: batches[i % batches.length]! });
    const produceS = (performance.now() - t0) / 1000;

    const consumer = clients.consumer({ autoOffsetReset: 'earliest', maxPartitionFetchBytes: 1 << 20 });
    consumer.assign([{ topic: 'bench', partition: 0 }]);
    let read = 0;
    let checksum = 0;
    const t1 = performance.now();
    while (read < n) {
      const r = await consumer.poll({ maxRecords: 10_000, maxWaitMs: 0 });
      for (const b of r.batches) {
        read += b.records.length;
        // Touch every record, as a real consumer would.
        for (const rec of b.records) checksum += rec.value!.length + rec.offset;
      }
      if (r.count === 0) break;
    }
    const fetchS = (performance.now() - t1) / 1000;
    await consumer.close();
    await broker.close();
    if (read !== n) throw new Error(`fetched ${read} of ${n} records`);

    // Group commit: several sends in flight share each fdatasync.
    const gc = await Broker.open({ dataDir: path.join(dir, 'always'), flush: 'always', logger: silentLogger(), maintenanceIntervalMs: 0 });
    const gcClients = inProcessClients(gc);
    await gcClients.admin.createTopics([{ topic: 'bench', numPartitions: 1 }]);
    const inFlight = 16;
    const gcBatches = Math.max(inFlight, Math.round(totalBatches / 2));
    const latencies: number[] = [];
    let next = 0;
    const t2 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        const p = gcClients.producer();
        while (next < gcBatches) {
          const i = next++;
          const s = performance.now();
          await p.send({ topic: 'bench', messages: batches[i % batches.length]! });
          latencies.push(performance.now() - s);
        }
      }),
    );
    const gcS = (performance.now() - t2) / 1000;
    await gc.close();
    latencies.sort((a, b) => a - b);

    const plainRate = n / plainS;
    const produceRate = n / produceS;
    console.log(`\n== values of ${valueBytes} bytes, ${fmt(n)} records (${mb.toFixed(0)} MB of values) ==`);
    console.log(`plain fs appends        ${fmt(plainRate)} records/s  ${(mb / plainS).toFixed(0)} MB/s   (baseline: batch bytes assembled from the records, one write per 1000)`);
    console.log(`raw disk appends        ${fmt(n / plain.prebuilt)} records/s  ${(mb / plain.prebuilt).toFixed(0)} MB/s   (prebuilt chunks: the ceiling)`);
    console.log(`produce (flush 'os')    ${fmt(produceRate)} records/s  ${(mb / produceS).toFixed(0)} MB/s   ratio ${(produceRate / plainRate).toFixed(2)} of plain`);
    console.log(`fetch + decode + CRC    ${fmt(n / fetchS)} records/s  ${(mb / fetchS).toFixed(0)} MB/s   (checksum ${checksum})`);
    console.log(
      `group commit ('always') ${fmt((gcBatches * BATCH) / gcS)} records/s  ${((gcBatches * BATCH * valueBytes) / 1e6 / gcS).toFixed(0)} MB/s   ` +
        `${inFlight} sends in flight; send latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${latencies[latencies.length - 1]!.toFixed(2)} ms`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`tributary bench:log — node ${process.version}, ${os.cpus().length} cores, scale ${SCALE}`);
await run(100, Math.round(2_000_000 * SCALE));
await run(1024, Math.round(500_000 * SCALE));
sampleRss();
clearInterval(timer);
console.log(`\npeak RSS ${(peakRss / 1048576).toFixed(0)} MiB`);
