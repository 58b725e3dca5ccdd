import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { encodeBatch } from '../../src/broker/record-batch.js';
import { KafkaServer } from '../../src/broker/server/kafka-server.js';
import { RawKafkaSocket } from '../../src/broker/server/raw-kafka-socket.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { silentLogger } from '../../src/util/logger.js';

// Byte-rate quotas over real connections: a producer and a consumer that send as fast as the broker reads get
// throttle times in their responses, and their connections are muted so the rate they achieve is near the quota.

// Bytes per second: below what one connection achieves here unthrottled (a produce with acks=1 of 16 kB takes tens of
// ms with its flush; a fetch far less), so the quota is what limits.
const PRODUCER_QUOTA = 150_000;
const CONSUMER_QUOTA = 400_000;
const RUN_MS = 2_500;

let dir: string;
let broker: Broker;
let server: KafkaServer;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-quota-'));
  broker = await Broker.open({ dataDir: dir, logger: silentLogger(), maintenanceIntervalMs: 0 });
  broker.createTopic('fast', 1);
  server = await KafkaServer.listen(broker, {
    port: 0,
    logger: silentLogger(),
    // The rate is measured over 11 samples of 100 ms (Kafka's default is 11 of 1 s): a short test sees steady state.
    quotas: { 'User:<default>': { producerByteRate: PRODUCER_QUOTA, consumerByteRate: CONSUMER_QUOTA } },
    quotaWindowSizeMs: 100,
    quotaWindowNum: 11,
  });
});

afterEach(async () => {
  await server.close();
  await broker.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Rate after the first throttled response (the first window's burst is allowed, as in Kafka). */
function steadyRate(samples: readonly { atMs: number; bytes: number; throttleTimeMs: number }[]): { rate: number; throttled: number } {
  const first = samples.findIndex((s) => s.throttleTimeMs > 0);
  expect(first, 'some response carried a throttle time').toBeGreaterThanOrEqual(0);
  const after = samples.slice(first + 1);
  const bytes = after.reduce((n, s) => n + s.bytes, 0);
  const elapsedMs = samples.at(-1)!.atMs - samples[first]!.atMs;
  return { rate: (bytes / elapsedMs) * 1000, throttled: samples.filter((s) => s.throttleTimeMs > 0).length };
}

describe('byte-rate quotas', () => {
  it('throttle a fast producer to about its producer_byte_rate', async () => {
    const c = await RawKafkaSocket.connect(server.address.port);
    const value = Buffer.alloc(16_000, 0x61);
    const samples: { atMs: number; bytes: number; throttleTimeMs: number }[] = [];
    const start = Date.now();
    try {
      while (Date.now() - start < RUN_MS) {
        const records = encodeBatch([{ key: null, value, timestampMs: Date.now() }]);
        // Sent the moment the previous answer arrives: the client ignores throttleTimeMs, the broker's mute does not.
        const r = await c.request(ApiKey.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'fast', partitionData: [{ index: 0, records }] }] });
        expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
        samples.push({ atMs: Date.now(), bytes: records.length, throttleTimeMs: r.throttleTimeMs ?? 0 });
      }
    } finally {
      c.close();
    }
    const { rate, throttled } = steadyRate(samples);
    expect(throttled).toBeGreaterThan(3);
    // Muted for each throttle time, the producer stays near its quota.
    expect(rate).toBeGreaterThan(PRODUCER_QUOTA * 0.5);
    expect(rate).toBeLessThan(PRODUCER_QUOTA * 1.5);
  });

  it('throttle a fast consumer to about its consumer_byte_rate', async () => {
    const value = Buffer.alloc(16_000, 0x62);
    for (let i = 0; i < 150; i++) await broker.produce([{ topic: 'fast', partition: 0, batch: encodeBatch([{ key: null, value, timestampMs: 1000 + i }]) }]);
    const c = await RawKafkaSocket.connect(server.address.port);
    const samples: { atMs: number; bytes: number; throttleTimeMs: number }[] = [];
    let offset = 0;
    const start = Date.now();
    try {
      while (Date.now() - start < RUN_MS) {
        const r = await c.request(ApiKey.Fetch, 11, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic: 'fast', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 40_000 }] }],
          forgottenTopicsData: [],
          rackId: '',
        });
        const p = r.responses[0]!.partitions[0]!;
        expect(p.errorCode).toBe(0);
        const bytes = p.records?.length ?? 0;
        // Batches of one record each: the next offset is one past the records returned.
        for (let pos = 0; pos + 12 <= bytes; pos += p.records!.readInt32BE(pos + 8) + 12) offset = Number(p.records!.readBigInt64BE(pos)) + 1;
        samples.push({ atMs: Date.now(), bytes, throttleTimeMs: r.throttleTimeMs ?? 0 });
        if (bytes === 0) break;
      }
    } finally {
      c.close();
    }
    const { rate, throttled } = steadyRate(samples);
    expect(throttled).toBeGreaterThan(3);
    expect(rate).toBeGreaterThan(CONSUMER_QUOTA * 0.5);
    expect(rate).toBeLessThan(CONSUMER_QUOTA * 1.5);
  });
});
