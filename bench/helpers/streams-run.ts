/**
 * bench/helpers/streams-run.ts — driving a KafkaStreams app in a benchmark: feeding it lines, waiting for it, and
 * reading back what it committed and what its store holds.
 */
import {
  QueryableStoreTypes,
  Serdes,
  type Broker,
  type Clients,
  type Deserializer,
  type KafkaStreams,
  type Producer,
  type ProducerRecord,
  type TopicPartition,
} from '../../src/index.js';
import { topicPartitionKey } from '../../src/record.js';
import { decodeFetched } from '../../src/client/decode-fetched.js';

/**
 * Resolves after `ms` milliseconds (benchmarks only: tests use a ManualClock).
 *
 * @example
 * ```ts
 * await sleep(20);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Produces `lines` as String values keyed `line-<i>` into `topic`, `batchSize` lines per send, awaiting each send
 * (as a producer with bounded in-flight data does). `onFirstSend` runs just before the first send: where a
 * benchmark that times "from the first record produced" starts its clock. Returns the seconds producing took.
 *
 * @example
 * ```ts
 * let t0 = 0;
 * await produceLines(producer, 'text-lines', lines, 1000, () => (t0 = performance.now()));
 * ```
 */
export async function produceLines(producer: Producer, topic: string, lines: readonly string[], batchSize: number, onFirstSend?: () => void): Promise<number> {
  const s = Serdes.String();
  onFirstSend?.();
  const t0 = performance.now();
  for (let i = 0; i < lines.length; i += batchSize) {
    const messages: ProducerRecord[] = [];
    const end = Math.min(lines.length, i + batchSize);
    for (let j = i; j < end; j++) messages.push({ key: s.serialize(topic, `line-${j}`), value: s.serialize(topic, lines[j]!) });
    await producer.send({ topic, messages });
  }
  return (performance.now() - t0) / 1000;
}

/**
 * Waits until `done()` holds, checking every `pollMs`; throws after `timeoutMs`, or as soon as the app leaves
 * RUNNING/REBALANCING (ERROR or NOT_RUNNING), with the app's error.
 *
 * @example
 * ```ts
 * await waitFor('wc', streams, () => streams.state === 'RUNNING', 60_000);
 * ```
 */
export async function waitFor(label: string, streams: KafkaStreams, done: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (streams.state === 'ERROR' || streams.state === 'NOT_RUNNING') throw new Error(`${label}: app is ${streams.state}: ${streams.error?.message ?? ''}`);
    if (performance.now() > deadline) throw new Error(`${label}: timed out after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

/**
 * True when the group `groupId` has committed, for every partition of `partitions`, an offset at or past the
 * partition's current log end: everything written there so far is processed and committed.
 *
 * @example
 * ```ts
 * committedToEnd(broker, 'wc', [{ topic: 'text-lines', partition: 0 }]);
 * ```
 */
export function committedToEnd(broker: Broker, groupId: string, partitions: readonly TopicPartition[]): boolean {
  const committed = broker.groups.fetchOffsets(groupId, partitions);
  for (const tp of partitions) {
    const end = broker.listOffset(tp.topic, tp.partition, 'latest');
    const at = committed.get(topicPartitionKey(tp.topic, tp.partition))?.offset ?? -1;
    if (at >= end) continue;
    if (at < 0) return false;
    // Under exactly-once the log ends with transaction markers (control records), which no offset commit covers.
    const log = broker.partitionLog(tp.topic, tp.partition);
    for (let offset = at; offset < end; ) {
      const r = log.read(offset, 1 << 20);
      if (r.bytes.length === 0) break;
      if (decodeFetched(tp.topic, tp.partition, r.bytes, offset, true).some((rec) => rec.offset >= at)) return false;
      offset = r.nextOffset;
    }
  }
  return true;
}

/**
 * Every partition of `topic`, as TopicPartitions.
 *
 * @example
 * ```ts
 * partitionsOf('text-lines', 4); // [{ topic: 'text-lines', partition: 0 }, ...]
 * ```
 */
export function partitionsOf(topic: string, count: number): TopicPartition[] {
  return Array.from({ length: count }, (_, partition) => ({ topic, partition }));
}

/**
 * The sum of the log end offsets of `partitions`: how many records were ever written to them.
 *
 * @example
 * ```ts
 * endOffsetSum(broker, partitionsOf('wc-counts-repartition', 4));
 * ```
 */
export function endOffsetSum(broker: Broker, partitions: readonly TopicPartition[]): number {
  let n = 0;
  for (const tp of partitions) n += broker.listOffset(tp.topic, tp.partition, 'latest');
  return n;
}

/**
 * A running app's counts store, read through an interactive query, as a Map. Accepts plain counts and the
 * timestamped values DSL stores hold (`{ value, timestampMs }`).
 *
 * @example
 * ```ts
 * const counts = readCountStore(streams, 'counts');
 * ```
 */
export function readCountStore(streams: KafkaStreams, storeName: string): Map<string, number | bigint> {
  const store = streams.store(storeName, QueryableStoreTypes.keyValueStore<string, number | bigint | { value: number | bigint }>());
  const out = new Map<string, number | bigint>();
  const it = store.all();
  try {
    for (let n = it.next(); !n.done; n = it.next()) {
      const v = n.value.value;
      out.set(n.value.key, typeof v === 'object' ? v.value : v);
    }
  } finally {
    it.close();
  }
  return out;
}

/**
 * Reads `topic` from its start with a fresh consumer and returns the last value per key: what a downstream reader
 * of a changelog-style output topic (word -> count) sees once everything before it is committed.
 *
 * @example
 * ```ts
 * const counts = await readLatest(clients, partitionsOf('word-counts', 4), Serdes.String(), longSerde());
 * ```
 */
export async function readLatest<K, V>(clients: Clients, partitions: readonly TopicPartition[], keys: Deserializer<K>, values: Deserializer<V>): Promise<Map<K, V>> {
  const consumer = clients.consumer({ autoOffsetReset: 'earliest', maxPollRecords: 10_000 });
  const out = new Map<K, V>();
  try {
    consumer.assign(partitions);
    for (;;) {
      const polled = await consumer.poll({ maxWaitMs: 0 });
      if (polled.count === 0) break;
      for (const b of polled.batches) {
        for (const r of b.records) {
          const k = keys.deserialize(b.topic, r.key);
          const v = values.deserialize(b.topic, r.value);
          if (k === null) continue;
          if (v === null) out.delete(k);
          else out.set(k, v);
        }
      }
    }
  } finally {
    await consumer.close();
  }
  return out;
}
