/**
 * bench/helpers/network-latency.ts — end-to-end latency through an app: a producer at a paced rate stamps each
 * record with its send time, a reader of the app's output computes now - stamp (one process, one clock).
 */
import type { Clients, ProducerRecord } from '../../src/index.js';
import { sleep } from './streams-run.js';

/** What a latency run is asked for. */
export interface LatencyOptions {
  readonly input: string;
  readonly output: string;
  /** Partitions of the output topic (all are read). */
  readonly outputPartitions: number;
  readonly ratePerS: number;
  /** Seconds of measured sending. */
  readonly durationS: number;
  /** Seconds of sending before the measured part (connections, JIT and the app's first fetches), not counted. */
  readonly warmupS: number;
}

/** Latency percentiles in milliseconds, over the measured records. */
export interface LatencyResult {
  readonly measured: number;
  /** The rate the producer reached over the measured part (records/s). */
  readonly achievedPerS: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

const VALUE_BYTES = 100;

/**
 * The `p`-th percentile (0-100) of ascending `sorted` values (nearest rank), 0 when empty.
 *
 * @example
 * ```ts
 * percentile(Float64Array.of(1, 2, 3, 4), 50); // 3
 * ```
 */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/**
 * Sends `(warmupS + durationS) * ratePerS` records of 100 bytes to `input`, paced on a 1 ms timer (each tick sends
 * what is due, in one send, not awaited: the producer pipelines), each value holding its sequence number and
 * `performance.now()` just before its send; reads `output` (read_uncommitted, from its end at the start) and takes
 * now - stamp for every record when its poll returns. Throws unless every record comes back exactly once within
 * 30 s of the last send.
 *
 * @example
 * ```ts
 * const r = await measureLatency(clients, { input: 'latency-in', output: 'latency-out', outputPartitions: 1, ratePerS: 50_000, durationS: 10, warmupS: 2 });
 * console.log(r.p99Ms);
 * ```
 */
export async function measureLatency(clients: Clients, o: LatencyOptions): Promise<LatencyResult> {
  const warmup = Math.round(o.warmupS * o.ratePerS);
  const total = warmup + Math.round(o.durationS * o.ratePerS);
  const latencies = new Float64Array(total);
  const seen = new Uint8Array(total);
  let received = 0;
  let duplicates = 0;

  const partitions = Array.from({ length: o.outputPartitions }, (_, partition) => ({ topic: o.output, partition }));
  const reader = clients.consumer({ autoOffsetReset: 'latest', isolationLevel: 'read_uncommitted' });
  reader.assign(partitions);
  await reader.seekToEnd(partitions);
  for (const tp of partitions) await reader.position(tp);
  const producer = clients.producer();
  await producer.partitionCount(o.input);

  let stopReading = false;
  let readError: unknown = null;
  const reading = (async () => {
    try {
      while (received < total && !stopReading) {
        const polled = await reader.poll({ maxRecords: 10_000, maxWaitMs: 5 });
        const now = performance.now();
        for (const b of polled.batches) {
          for (const r of b.records) {
            const v = r.value;
            if (v === null || v.length !== VALUE_BYTES) throw new Error(`unexpected value at ${b.topic}-${b.partition}@${r.offset}`);
            const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
            const seq = dv.getUint32(0);
            if (seq >= total || seen[seq] === 1) {
              duplicates++;
              continue;
            }
            seen[seq] = 1;
            latencies[seq] = now - dv.getFloat64(4);
            received++;
          }
        }
      }
    } catch (e: unknown) {
      readError = e;
    }
  })();

  let inFlight = 0;
  let sendError: unknown = null;
  const onAck = (): void => {
    inFlight--;
  };
  const onSendError = (e: unknown): void => {
    inFlight--;
    sendError ??= e;
  };
  const t0 = performance.now();
  let tMeasured = t0;
  let sent = 0;
  while (sent < total && readError === null && sendError === null) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * o.ratePerS));
    if (due > sent) {
      const messages: ProducerRecord[] = new Array<ProducerRecord>(due - sent);
      const stamp = performance.now();
      const buf = Buffer.alloc((due - sent) * VALUE_BYTES, 120);
      for (let i = 0; i < messages.length; i++) {
        const off = i * VALUE_BYTES;
        buf.writeUInt32BE(sent + i, off);
        buf.writeDoubleBE(stamp, off + 4);
        messages[i] = { key: null, value: buf.subarray(off, off + VALUE_BYTES) };
      }
      if (sent < warmup && due >= warmup) tMeasured = stamp;
      sent = due;
      inFlight++;
      producer.send({ topic: o.input, messages }).then(onAck, onSendError);
    }
    await sleep(1);
  }
  while (inFlight > 0) await sleep(1);
  if (sendError !== null) throw sendError;
  const sendS = (performance.now() - tMeasured) / 1000;
  const deadline = performance.now() + 30_000;
  while (received < total && readError === null && performance.now() < deadline) await sleep(10);
  stopReading = true;
  await reading;
  await producer.close();
  await reader.close();
  if (readError !== null) throw readError;
  if (received < total) throw new Error(`latency run: ${received} of ${total} records came back (${duplicates} duplicates)`);
  if (duplicates > 0) throw new Error(`latency run: ${duplicates} records came back twice`);
  const measured = latencies.subarray(warmup).sort();
  return {
    measured: measured.length,
    achievedPerS: measured.length / sendS,
    p50Ms: percentile(measured, 50),
    p90Ms: percentile(measured, 90),
    p99Ms: percentile(measured, 99),
    p999Ms: percentile(measured, 99.9),
    maxMs: measured[measured.length - 1] ?? 0,
  };
}
