import { describe, expect, it } from 'vitest';
import { ManualClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { Broker } from './broker.js';
import type { PartitionLog } from './partition-log.js';
import { encodeBatch } from './record-batch.js';
import { MemoryStorage } from './storage.js';

const T0 = 1_700_000_000_000;
const SEGMENT_MS = 1_000;

async function setup(storage = new MemoryStorage(), clock = new ManualClock(T0)): Promise<{ broker: Broker; clock: ManualClock; log: PartitionLog }> {
  const broker = await Broker.open({ storage, clock, logger: silentLogger(), maintenanceIntervalMs: 0, offsetsTopicPartitions: 1 });
  if (!broker.hasTopic('t')) broker.createTopic('t', 1, { 'segment.ms': SEGMENT_MS, 'retention.ms': -1 });
  return { broker, clock, log: broker.partitionLog('t', 0) };
}

/** Appends one record stamped with the clock's time; returns its offset. */
async function append(broker: Broker, clock: ManualClock, value: string): Promise<number> {
  const batch = encodeBatch([{ key: null, value: Buffer.from(value), timestampMs: clock.nowMs() }]);
  const [info] = await broker.produce([{ topic: 't', partition: 0, batch }]);
  return info!.baseOffset;
}

const baseOffsets = (log: PartitionLog): number[] => log.segments.map((s) => s.baseOffset);

describe('segment.ms', () => {
  it('runMaintenance rolls the active segment once it is segment.ms old, not before', async () => {
    const { broker, clock, log } = await setup();
    await append(broker, clock, 'a');
    clock.advance(SEGMENT_MS - 1);
    await append(broker, clock, 'b');
    await broker.runMaintenance();
    expect(baseOffsets(log)).toEqual([0]);

    clock.advance(1);
    await broker.runMaintenance();
    // Measured from the segment's first append, not its last.
    expect(baseOffsets(log)).toEqual([0, 2]);
    expect(log.segments[1]!.isEmpty).toBe(true);
    // The records stay readable; the next append goes to the new segment.
    expect(await append(broker, clock, 'c')).toBe(2);
    expect(baseOffsets(log)).toEqual([0, 2]);
    expect(log.segments[1]!.isEmpty).toBe(false);
    await broker.close();
  });

  it('the next append rolls a segment older than segment.ms, without maintenance', async () => {
    const { broker, clock, log } = await setup();
    await append(broker, clock, 'a');
    clock.advance(SEGMENT_MS / 2);
    await append(broker, clock, 'b');
    expect(baseOffsets(log)).toEqual([0]);

    clock.advance(SEGMENT_MS / 2);
    expect(await append(broker, clock, 'c')).toBe(2);
    expect(baseOffsets(log)).toEqual([0, 2]);
    // The new segment's age counts from its own first append.
    clock.advance(SEGMENT_MS - 1);
    await append(broker, clock, 'd');
    expect(baseOffsets(log)).toEqual([0, 2]);
    clock.advance(1);
    await append(broker, clock, 'e');
    expect(baseOffsets(log)).toEqual([0, 2, 4]);
    await broker.close();
  });

  it('never rolls an empty active segment', async () => {
    const { broker, clock, log } = await setup();
    // A new partition: empty from the start, however old.
    clock.advance(10 * SEGMENT_MS);
    await broker.runMaintenance();
    expect(baseOffsets(log)).toEqual([0]);

    await append(broker, clock, 'a');
    clock.advance(SEGMENT_MS);
    await broker.runMaintenance();
    expect(baseOffsets(log)).toEqual([0, 1]);
    // The fresh active segment is empty: more maintenance, however late, leaves it alone.
    clock.advance(10 * SEGMENT_MS);
    await broker.runMaintenance();
    await broker.runMaintenance();
    log.roll();
    expect(baseOffsets(log)).toEqual([0, 1]);
    await broker.close();
  });

  it('after a reopen, counts a non-empty active segment from the time of opening', async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock(T0);
    const first = await setup(storage, clock);
    await append(first.broker, clock, 'a');
    await first.broker.close();

    clock.advance(5 * SEGMENT_MS);
    const { broker, log } = await setup(storage, clock);
    expect(baseOffsets(log)).toEqual([0]);
    clock.advance(SEGMENT_MS - 1);
    await broker.runMaintenance();
    expect(baseOffsets(log)).toEqual([0]);
    clock.advance(1);
    await broker.runMaintenance();
    expect(baseOffsets(log)).toEqual([0, 1]);
    await broker.close();
  });
});
