import { describe, expect, it } from 'vitest';
import { compressionOf } from '../../src/broker/record-batch.js';
import { kafkaClients } from '../../src/client/kafka/kafka-clients.js';
import { partitionForKey } from '../../src/client/murmur2.js';
import type { TopicPartition } from '../../src/record.js';
import { silentLogger } from '../../src/util/logger.js';
import { batchHeaders, readRecords, readTopic, type ReadRecord } from './interop-broker.js';
import { runKcatOk } from './kcat.js';
import { useKcatTestBroker } from './kcat-test-broker.js';

// Compressed record batches between Debian's kcat 1.7.1 (librdkafka 2.0.2) and tributary over TCP, for each codec:
// what kcat produces compressed, tributary's broker stores as sent and tributary's consumers read; what tributary's
// network producer compresses, kcat reads; and a topic's compression.type makes the broker re-code batches.

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const PARTITIONS = 2;

const ib = useKcatTestBroker();
const kcat = ib.kcat;

/** Keyed records with compressible values (librdkafka sends a batch uncompressed when compressing does not shrink it). */
function pairsOf(prefix: string, count: number): [string, string][] {
  return Array.from({ length: count }, (_, i) => [`${prefix}-k${i}`, `${prefix}-value-${i}-${'abcdefgh'.repeat(8)}`]);
}

/** Reads every record of `topic` with tributary's Kafka-protocol consumer (assign mode, from the beginning). */
async function readOverNetwork(topic: string, partitions: number): Promise<ReadRecord[]> {
  const clients = kafkaClients({ bootstrapServers: [ib.bootstrap], clientId: 'compression-test', logger: silentLogger(), retryBackoffMs: 5, maxRetryBackoffMs: 20 });
  const consumer = clients.consumer({ autoOffsetReset: 'earliest' });
  try {
    const tps: TopicPartition[] = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    return await readRecords(consumer, tps, { maxWaitMs: 50, maxPolls: 200 });
  } finally {
    await consumer.close();
    await clients.close();
  }
}

/** Each partition's records are exactly the pairs murmur2 puts there, in order, at offsets from 0. */
function expectExactly(records: readonly ReadRecord[], pairs: readonly [string, string][]): void {
  expect(records.length).toBe(pairs.length);
  for (let p = 0; p < PARTITIONS; p++) {
    const expected = pairs.filter(([k]) => partitionForKey(Buffer.from(k), PARTITIONS) === p);
    const got = records.filter((r) => r.partition === p);
    expect(got.map((r) => [r.key, r.value])).toEqual(expected);
    expect(got.map((r) => r.offset)).toEqual(expected.map((_, i) => i));
  }
}

/** The codecs of the data batches stored in every partition of `topic`, and their record counts. */
async function storedBatches(topic: string): Promise<{ codec: string; recordCount: number }[]> {
  const out: { codec: string; recordCount: number }[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    for (const h of await batchHeaders(ib.broker, topic, p)) out.push({ codec: compressionOf(h.attributes), recordCount: h.recordCount });
  }
  return out;
}

describe.each(CODECS)('%s', (codec) => {
  it(`kcat -X compression.codec=${codec} produces; the broker stores the batches as sent; tributary's consumers read exactly the records`, async () => {
    const topic = `kcat-z-${codec}`;
    ib.broker.createTopic(topic, PARTITIONS);
    const pairs = pairsOf(codec, 300);
    const stdin = pairs.map(([k, v]) => `${k}:${v}\n`).join('');
    await runKcatOk(kcat('-P', '-t', topic, '-K:', '-H', `codec=${codec}`, '-X', `compression.codec=${codec}`, '-X', 'topic.partitioner=murmur2_random', '-X', 'linger.ms=50'), { stdin });

    const stored = await storedBatches(topic);
    expect(stored.every((b) => b.codec === codec), JSON.stringify(stored)).toBe(true);
    expect(stored.some((b) => b.recordCount > 1)).toBe(true);
    const overNetwork = await readOverNetwork(topic, PARTITIONS);
    expectExactly(overNetwork, pairs);
    for (const r of overNetwork) expect(r.headers).toEqual([['codec', codec]]);
    expect(await readTopic(ib.broker, topic)).toEqual(overNetwork);
  });

  it(`tributary's network producer with compressionType ${codec}: kcat -C reads exactly the records`, async () => {
    const topic = `tributary-z-${codec}`;
    ib.broker.createTopic(topic, PARTITIONS);
    const pairs = pairsOf(`t${codec}`, 300);
    const clients = kafkaClients({ bootstrapServers: [ib.bootstrap], clientId: 'compression-test', logger: silentLogger(), retryBackoffMs: 5, maxRetryBackoffMs: 20 });
    const producer = clients.producer({ compressionType: codec });
    try {
      await producer.send({ topic, messages: pairs.map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v), headers: [{ key: 'from', value: Buffer.from('tributary') }] })) });
    } finally {
      await producer.close();
      await clients.close();
    }
    const stored = await storedBatches(topic);
    expect(stored.map((b) => b.codec)).toEqual(stored.map(() => codec));
    expect(stored.reduce((n, b) => n + b.recordCount, 0)).toBe(pairs.length);

    const out = await runKcatOk(kcat('-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%p\\t%o\\t%k\\t%s\\t%h\\n'));
    const lines = out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
    const records: ReadRecord[] = lines.map(([p, o, k, v, h]) => ({ partition: Number(p), offset: Number(o), timestampMs: 0, key: k!, value: v!, headers: [[h!, null]] }));
    records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    expectExactly(records, pairs);
    for (const l of lines) expect(l[4]).toBe('from=tributary');
  });
});

describe("a topic's compression.type", () => {
  it('makes the broker re-code batches to its codec: kcat sends lz4 and gzip, the log holds zstd, kcat and tributary read them', async () => {
    const topic = 'kcat-z-recode';
    ib.broker.createTopic(topic, PARTITIONS, { 'compression.type': 'zstd' });
    const first = pairsOf('lz4', 100);
    const second = pairsOf('gzip', 100);
    for (const [pairs, codec] of [[first, 'lz4'], [second, 'gzip']] as const) {
      const stdin = pairs.map(([k, v]) => `${k}:${v}\n`).join('');
      await runKcatOk(kcat('-P', '-t', topic, '-K:', '-X', `compression.codec=${codec}`, '-X', 'topic.partitioner=murmur2_random'), { stdin });
    }
    const stored = await storedBatches(topic);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((b) => b.codec === 'zstd')).toBe(true);
    const all = [...first, ...second];
    expectExactly(await readOverNetwork(topic, PARTITIONS), all);
    const out = await runKcatOk(kcat('-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%k\\t%s\\n'));
    expect(out.split('\n').filter((l) => l !== '').map((l) => l.split('\t')).sort()).toEqual(all.map(([k, v]) => [k, v]).sort());
  });
});
