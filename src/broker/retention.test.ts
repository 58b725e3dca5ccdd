import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InProcessConsumer } from '../client/in-process/in-process-consumer.js';
import { isStreamsError } from '../errors.js';
import { ManualClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { Broker } from './broker.js';
import { checkBatch, decodeRecords, encodeBatch, type RecordInput } from './record-batch.js';
import { MemoryStorage } from './storage.js';
import type { TopicConfigInput } from './topic-config.js';

const TOPIC = 'events';
const START_MS = 1_700_000_000_000;
const NEVER_ROLL_MS = 10 * 365 * 86_400_000;

function openBroker(clock: ManualClock, storage = new MemoryStorage()): Promise<Broker> {
  return Broker.open({ storage, dataDir: '/retention', clock, logger: silentLogger(), maintenanceIntervalMs: 0, offsetsTopicPartitions: 1 });
}

function batchOf(records: readonly { key: string; value: string; timestampMs: number }[]): Buffer {
  const input: RecordInput[] = records.map((r) => ({ key: Buffer.from(r.key), value: Buffer.from(r.value), timestampMs: r.timestampMs }));
  return encodeBatch(input);
}

/** Offsets (and values) readable from the log start to the high watermark. */
function readOffsets(broker: Broker): { offset: number; key: string; value: string }[] {
  const log = broker.partitionLog(TOPIC, 0);
  const out: { offset: number; key: string; value: string }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = log.read(offset, 1);
    if (r.bytes.length === 0) break;
    for (let p = 0; p < r.bytes.length; ) {
      const check = checkBatch(r.bytes, p, r.bytes.length);
      if (check.kind !== 'ok') throw new Error(`bad batch: ${check.kind}`);
      for (const rec of decodeRecords(r.bytes, p, check.header)) {
        if (rec.offset >= offset) out.push({ offset: rec.offset, key: rec.key!.toString(), value: rec.value!.toString() });
      }
      p += check.size;
    }
    offset = r.nextOffset;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ the model

interface ModelSegment {
  readonly baseOffset: number;
  nextOffset: number;
  size: number;
  maxTimestamp: number;
  /** Timestamps of the records in the segment, by offset. */
  readonly timestamps: Map<number, number>;
}

type Op =
  | { readonly kind: 'append'; readonly ages: readonly number[] }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'maintain' };

interface Scenario {
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly segmentBytes: number;
  readonly ops: readonly Op[];
}

/** Size of a one-record batch of the scenario (keys and values have a fixed width), so sizes often meet exactly. */
const ONE_RECORD_BYTES = batchOf([{ key: 'k00000', value: 'v00000', timestampMs: START_MS }]).length;

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  retentionMs: fc.constantFrom(-1, 0, 50, 200),
  retentionBytes: fc.constantFrom(-1, -1, 2, 3, 5, 8, 13).map((n) => (n < 0 ? n : n * ONE_RECORD_BYTES)),
  segmentBytes: fc.oneof(fc.integer({ min: 1, max: 4 }).map((n) => n * ONE_RECORD_BYTES), fc.integer({ min: 100, max: 400 })),
  ops: fc.array(
    fc.oneof(
      // Records carry producer timestamps up to 300 ms in the past (out of order, as producers may send them).
      { weight: 5, arbitrary: fc.array(fc.constantFrom(0, 0, 0, 10, 100, 300), { minLength: 1, maxLength: 2 }).map((ages) => ({ kind: 'append' as const, ages })) },
      { weight: 3, arbitrary: fc.constantFrom(1, 10, 25, 50, 100).map((ms) => ({ kind: 'advance' as const, ms })) },
      { weight: 2, arbitrary: fc.constant({ kind: 'maintain' as const }) },
    ),
    { minLength: 3, maxLength: 60 },
  ),
});

/**
 * The partition as Kafka describes it: segments roll when the next batch would pass segment.bytes; time retention
 * deletes the oldest segments while their newest record is older than now - retention.ms (rolling the active one
 * first when every segment has expired); size retention then deletes the oldest while the partition would still be
 * at least retention.bytes without them. The log start offset moves to the first remaining segment.
 */
class RetentionModel {
  readonly segments: ModelSegment[] = [{ baseOffset: 0, nextOffset: 0, size: 0, maxTimestamp: -1, timestamps: new Map() }];
  logStartOffset = 0;

  constructor(readonly scenario: Scenario) {}

  get #active(): ModelSegment {
    return this.segments[this.segments.length - 1]!;
  }

  #roll(): void {
    const end = this.#active.nextOffset;
    this.segments.push({ baseOffset: end, nextOffset: end, size: 0, maxTimestamp: -1, timestamps: new Map() });
  }

  append(bytes: number, timestamps: readonly number[]): void {
    if (this.#active.size > 0 && this.#active.size + bytes > this.scenario.segmentBytes) this.#roll();
    const a = this.#active;
    for (const ts of timestamps) {
      a.timestamps.set(a.nextOffset++, ts);
      a.maxTimestamp = Math.max(a.maxTimestamp, ts);
    }
    a.size += bytes;
  }

  /** Applies retention at `now`; returns the segments deleted and why. */
  maintain(now: number): { byTime: ModelSegment[]; bySize: ModelSegment[] } {
    const { retentionMs, retentionBytes } = this.scenario;
    const expired = (s: ModelSegment): boolean => retentionMs >= 0 && s.size > 0 && s.maxTimestamp < now - retentionMs;
    const byTime: ModelSegment[] = [];
    const bySize: ModelSegment[] = [];
    if (this.segments.every(expired)) this.#roll();
    while (this.segments.length > 1 && expired(this.segments[0]!)) byTime.push(this.segments.shift()!);
    if (retentionBytes >= 0) {
      let size = this.segments.reduce((n, s) => n + s.size, 0);
      while (this.segments.length > 1 && size - this.segments[0]!.size >= retentionBytes) {
        size -= this.segments[0]!.size;
        bySize.push(this.segments.shift()!);
      }
    }
    if (byTime.length + bySize.length > 0) this.logStartOffset = Math.max(this.logStartOffset, this.segments[0]!.baseOffset);
    return { byTime, bySize };
  }

  readableOffsets(): number[] {
    const out: number[] = [];
    for (const s of this.segments) for (const o of s.timestamps.keys()) if (o >= this.logStartOffset) out.push(o);
    return out;
  }
}

async function runScenario(scenario: Scenario): Promise<void> {
  const clock = new ManualClock(START_MS);
  const broker = await openBroker(clock);
  const config: TopicConfigInput = {
    'cleanup.policy': 'delete',
    'retention.ms': scenario.retentionMs,
    'retention.bytes': scenario.retentionBytes,
    'segment.bytes': scenario.segmentBytes,
    'segment.ms': NEVER_ROLL_MS,
  };
  broker.createTopic(TOPIC, 1, config);
  const log = broker.partitionLog(TOPIC, 0);
  const model = new RetentionModel(scenario);
  let seq = 0;
  try {
    for (const op of scenario.ops) {
      if (op.kind === 'advance') {
        clock.advance(op.ms);
      } else if (op.kind === 'append') {
        const timestamps = op.ages.map((age) => clock.nowMs() - age);
        const batch = batchOf(timestamps.map((timestampMs) => ({ key: `k${String(seq).padStart(5, '0')}`, value: `v${String(seq++).padStart(5, '0')}`, timestampMs })));
        const bytes = batch.length;
        await broker.produce([{ topic: TOPIC, partition: 0, batch }]);
        model.append(bytes, timestamps);
      } else {
        const now = clock.nowMs();
        const sizeBefore = log.sizeBytes;
        const { segmentsDeleted } = await broker.runMaintenance();
        const { byTime, bySize } = model.maintain(now);
        expect(segmentsDeleted).toBe(byTime.length + bySize.length);
        // Time retention only ever deletes segments whose every record is older than now - retention.ms.
        for (const s of byTime) for (const ts of s.timestamps.values()) expect(ts).toBeLessThan(now - scenario.retentionMs);
        // Size retention deletes only while the partition stays at or above retention.bytes.
        if (bySize.length > 0) {
          expect(log.sizeBytes).toBeGreaterThanOrEqual(scenario.retentionBytes);
          expect(sizeBefore).toBeGreaterThan(scenario.retentionBytes);
        }
        if (scenario.retentionBytes >= 0 && log.segments.length > 1) {
          expect(log.sizeBytes - log.segments[0]!.size).toBeLessThan(scenario.retentionBytes);
        }
      }
      expect(log.segments.map((s) => s.baseOffset)).toEqual(model.segments.map((s) => s.baseOffset));
      expect(log.logStartOffset).toBe(model.logStartOffset);
      expect(broker.listOffset(TOPIC, 0, 'earliest')).toBe(model.logStartOffset);
      expect(readOffsets(broker).map((r) => r.offset)).toEqual(model.readableOffsets());
    }
  } finally {
    await broker.close();
  }
}

describe('retention against a model', () => {
  it('time and size retention delete exactly the segments Kafka would, and move the log start offset', async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { numRuns: 150 });
  });

  it('never deletes a segment that holds a record newer than now - retention.ms, even behind older ones', async () => {
    const clock = new ManualClock(START_MS);
    const broker = await openBroker(clock);
    broker.createTopic(TOPIC, 1, { 'retention.ms': 1000, 'segment.ms': NEVER_ROLL_MS });
    const log = broker.partitionLog(TOPIC, 0);
    const old = START_MS - 5000;
    await broker.produce([{ topic: TOPIC, partition: 0, batch: batchOf([{ key: 'a', value: '0', timestampMs: old }]) }]);
    log.roll();
    // The second segment mixes an old record with one newer than the retention limit.
    await broker.produce([{ topic: TOPIC, partition: 0, batch: batchOf([{ key: 'b', value: '1', timestampMs: old }, { key: 'c', value: '2', timestampMs: START_MS - 500 }]) }]);
    log.roll();
    await broker.produce([{ topic: TOPIC, partition: 0, batch: batchOf([{ key: 'd', value: '3', timestampMs: old }]) }]);
    log.roll();
    expect((await broker.runMaintenance()).segmentsDeleted).toBe(1);
    expect(log.logStartOffset).toBe(1);
    expect(readOffsets(broker).map((r) => r.offset)).toEqual([1, 2, 3]);
    clock.advance(500); // the newer record is now exactly retention.ms old: not older than the limit yet
    expect((await broker.runMaintenance()).segmentsDeleted).toBe(0);
    clock.advance(1);
    expect((await broker.runMaintenance()).segmentsDeleted).toBe(2);
    expect(log.logStartOffset).toBe(4);
    expect(readOffsets(broker)).toEqual([]);
    await broker.close();
  });
});

// ------------------------------------------------------------------------------------------------ consumers

const TP = { topic: TOPIC, partition: 0 };

/** Offsets 0-5 are two seconds old (first segment), 6-9 are new (the active segment); retention.ms is one second. */
async function filledBroker(clock: ManualClock): Promise<Broker> {
  const broker = await openBroker(clock);
  broker.createTopic(TOPIC, 1, { 'retention.ms': 1000, 'segment.ms': NEVER_ROLL_MS });
  for (let i = 0; i < 10; i++) {
    const timestampMs = i < 6 ? clock.nowMs() - 2000 : clock.nowMs();
    await broker.produce([{ topic: TOPIC, partition: 0, batch: batchOf([{ key: `k${i}`, value: `v${i}`, timestampMs }]) }]);
    if (i === 5) broker.partitionLog(TOPIC, 0).roll();
  }
  return broker;
}

async function pollAll(consumer: InProcessConsumer): Promise<number[]> {
  const offsets: number[] = [];
  for (let i = 0; i < 5; i++) {
    const polled = await consumer.poll({ maxWaitMs: 0 });
    for (const b of polled.batches) for (const r of b.records) offsets.push(r.offset);
  }
  return offsets;
}

async function expectPolicy(broker: Broker, consumer: InProcessConsumer, policy: 'earliest' | 'latest' | 'none'): Promise<void> {
  if (policy === 'none') {
    const err: unknown = await consumer.poll({ maxWaitMs: 0 }).then(
      () => pollAll(consumer),
      (e: unknown) => e,
    );
    expect(isStreamsError(err, 'OFFSET_OUT_OF_RANGE')).toBe(true);
    return;
  }
  expect(await pollAll(consumer)).toEqual(policy === 'earliest' ? [6, 7, 8, 9] : []);
  await broker.produce([{ topic: TOPIC, partition: 0, batch: batchOf([{ key: 'new', value: 'new', timestampMs: broker.clock.nowMs() }]) }]);
  expect(await pollAll(consumer)).toEqual([10]);
}

describe('consumers positioned before the log start offset', () => {
  it.each(['earliest', 'latest', 'none'] as const)('are reset per autoOffsetReset=%s when their fetch falls off the log', async (policy) => {
    const clock = new ManualClock(START_MS);
    const broker = await filledBroker(clock);
    // One batch per fetch, so nothing fetched before the deletion is still buffered in the consumer.
    const consumer = new InProcessConsumer(broker, { autoOffsetReset: policy, maxPartitionFetchBytes: 1 });
    consumer.assign([TP]);
    consumer.seek(TP, 2);
    const first = await consumer.poll({ maxWaitMs: 0, maxRecords: 1 });
    expect(first.batches[0]!.records.map((r) => r.offset)).toEqual([2]);
    expect((await broker.runMaintenance()).segmentsDeleted).toBe(1);
    expect(broker.listOffset(TOPIC, 0, 'earliest')).toBe(6);
    await expectPolicy(broker, consumer, policy);
    await consumer.close();
    await broker.close();
  });

  it.each(['earliest', 'latest', 'none'] as const)('are reset per autoOffsetReset=%s when their committed offset fell off the log', async (policy) => {
    const clock = new ManualClock(START_MS);
    const broker = await filledBroker(clock);
    const committer = new InProcessConsumer(broker, { groupId: 'g', autoOffsetReset: 'earliest' });
    committer.assign([TP]);
    await committer.commit([{ ...TP, offset: 3 }]);
    await committer.close();
    expect((await broker.runMaintenance()).segmentsDeleted).toBe(1);
    const consumer = new InProcessConsumer(broker, { groupId: 'g', autoOffsetReset: policy });
    consumer.assign([TP]);
    expect(await consumer.committed([TP])).toEqual([{ ...TP, offset: 3, metadata: '' }]);
    await expectPolicy(broker, consumer, policy);
    await consumer.close();
    await broker.close();
  });
});

// ------------------------------------------------------------------------------------------------ compact,delete

describe("cleanup.policy 'compact,delete'", () => {
  it('deletes expired segments and compacts the rest', async () => {
    const clock = new ManualClock(START_MS);
    const broker = await openBroker(clock);
    broker.createTopic(TOPIC, 1, { 'cleanup.policy': 'compact,delete', 'retention.ms': 1000, 'segment.ms': NEVER_ROLL_MS });
    const log = broker.partitionLog(TOPIC, 0);
    const put = async (key: string, value: string, timestampMs: number): Promise<void> => {
      await broker.produce([{ topic: TOPIC, partition: 0, batch: batchOf([{ key, value, timestampMs }]) }]);
    };
    // Segment 1 (offsets 0-2) is old; segment 2 (3-6) is recent and rewrites keys a and b; segment 3 is active.
    await put('a', 'a0', START_MS - 5000);
    await put('b', 'b0', START_MS - 5000);
    await put('c', 'c0', START_MS - 5000);
    log.roll();
    await put('a', 'a1', START_MS);
    await put('b', 'b1', START_MS);
    await put('a', 'a2', START_MS);
    await put('d', 'd0', START_MS);
    log.roll();
    await put('a', 'a3', START_MS);
    const { segmentsDeleted, partitionsCompacted } = await broker.runMaintenance();
    expect(segmentsDeleted).toBe(1);
    expect(partitionsCompacted).toBe(1);
    expect(log.logStartOffset).toBe(3);
    // c0 went with the expired segment even though it was the latest for c: retention wins over compaction.
    expect(readOffsets(broker)).toEqual([
      { offset: 4, key: 'b', value: 'b1' },
      { offset: 5, key: 'a', value: 'a2' },
      { offset: 6, key: 'd', value: 'd0' },
      { offset: 7, key: 'a', value: 'a3' },
    ]);
    await broker.close();
  });
});
