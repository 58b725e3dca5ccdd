/**
 * bench/helpers/network-throughput.ts — produce and consume of the benchmark's N x 100-byte records through any of
 * tributary's `Clients` (the Kafka-protocol clients over the network, or the in-process clients of an embedded
 * broker), so the two are measured by the same code.
 */
import type { Clients, ProducerRecord, TopicPartition } from '../../src/index.js';
import { RECORD_BYTES, fillRecords } from './network-kcat.js';

/** How a produce run sends. */
export interface ProduceOptions {
  /** Records per `send` (default 1000). */
  readonly batchRecords?: number;
  /** Sends awaited concurrently (default 4): a producer's pipelining, as librdkafka's and Java's in-flight requests. */
  readonly inFlight?: number;
}

/** A timed run and how many records it moved. */
export interface Throughput {
  readonly records: number;
  readonly seconds: number;
}

/**
 * Produces records `0..n-1` (null keys, values as {@link fillRecords} makes them) to `topic` partition 0 through a
 * fresh producer with default config, `batchRecords` per send, `inFlight` sends at a time; timed from the first send
 * until every send is acknowledged. The producer is created (and its connection opened) before the clock starts.
 *
 * @example
 * ```ts
 * const r = await produceRecords(kafkaClients({ bootstrapServers: ['127.0.0.1:9092'] }), 'bench', 5_000_000);
 * ```
 */
export async function produceRecords(clients: Clients, topic: string, n: number, options: ProduceOptions = {}): Promise<Throughput> {
  const batchRecords = options.batchRecords ?? 1000;
  const inFlight = options.inFlight ?? 4;
  const producer = clients.producer();
  try {
    await producer.partitionCount(topic);
    const batches = Math.ceil(n / batchRecords);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < batches) {
          const b = next++;
          const first = b * batchRecords;
          const count = Math.min(batchRecords, n - first);
          // One buffer per send; the records are views into it, as a serializer writing into a pool would make them.
          const buf = Buffer.allocUnsafe(count * RECORD_BYTES);
          fillRecords(buf, first, count);
          const messages: ProducerRecord[] = new Array<ProducerRecord>(count);
          for (let j = 0; j < count; j++) {
            messages[j] = { key: null, value: buf.subarray(j * RECORD_BYTES, (j + 1) * RECORD_BYTES), partition: 0 };
          }
          await producer.send({ topic, messages });
        }
      }),
    );
    return { records: n, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await producer.close();
  }
}

/**
 * Reads `n` records of `partitions` from the beginning with a fresh assign-mode consumer (default config,
 * read_uncommitted), touching every value as a real consumer would; timed from the first poll until the n-th
 * record. Throws when a value is not 100 bytes or the topic runs dry before n.
 *
 * @example
 * ```ts
 * const r = await consumeRecords(clients, [{ topic: 'bench', partition: 0 }], 5_000_000);
 * ```
 */
export async function consumeRecords(clients: Clients, partitions: readonly TopicPartition[], n: number): Promise<Throughput & { readonly checksum: number }> {
  const consumer = clients.consumer({ autoOffsetReset: 'earliest', isolationLevel: 'read_uncommitted' });
  try {
    consumer.assign(partitions);
    let read = 0;
    let checksum = 0;
    let emptyPolls = 0;
    const t0 = performance.now();
    while (read < n) {
      const polled = await consumer.poll({ maxRecords: 10_000, maxWaitMs: 500 });
      if (polled.count === 0 && ++emptyPolls > 20) throw new Error(`consumed ${read} of ${n} records, then nothing for 10 s`);
      for (const b of polled.batches) {
        for (const r of b.records) {
          const v = r.value;
          if (v === null || v.length !== RECORD_BYTES) throw new Error(`record ${b.topic}-${b.partition}@${r.offset} has a value of ${v?.length ?? 'null'} bytes`);
          checksum = (checksum + v[9]! + r.offset) % 1_000_000_007;
          read++;
        }
      }
    }
    return { records: read, seconds: (performance.now() - t0) / 1000, checksum };
  } finally {
    await consumer.close();
  }
}

/**
 * The sum of the latest offsets of `partitions` through `clients.admin`: how many records a topic holds.
 *
 * @example
 * ```ts
 * await endOffsetTotal(clients, [{ topic: 'bench', partition: 0 }]); // 5000000 after a full produce
 * ```
 */
export async function endOffsetTotal(clients: Clients, partitions: readonly TopicPartition[]): Promise<number> {
  const ends = await clients.admin.listOffsets(partitions.map((tp) => ({ ...tp, spec: 'latest' as const })));
  return ends.reduce((sum, e) => sum + e.offset, 0);
}
