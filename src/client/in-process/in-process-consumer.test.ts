import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../../broker/broker.js';
import { silentLogger } from '../../util/logger.js';
import { inProcessClients } from './in-process-clients.js';

let broker: Broker;
beforeEach(async () => {
  broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0 });
});
afterEach(async () => {
  await broker.close();
});

/** Produces `sends` batches of `perSend` records to partition `partition` of `topic`. */
async function produce(topic: string, partition: number, sends: number, perSend: number): Promise<void> {
  const p = inProcessClients(broker).producer();
  for (let s = 0; s < sends; s++) {
    await p.send({ topic, messages: Array.from({ length: perSend }, (_, i) => ({ key: null, value: Buffer.from(`${partition}:${s * perSend + i}`), partition })) });
  }
  await p.close();
}

describe('InProcessConsumer over fetched bytes', () => {
  it('returns a fetch a few records per poll, in offset order per partition, with positions after what it returned', async () => {
    await broker.createTopic('t', 2);
    await produce('t', 0, 3, 5);
    await produce('t', 1, 1, 4);
    const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
    consumer.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    const seen = new Map<number, number[]>([
      [0, []],
      [1, []],
    ]);
    for (let polls = 0; polls < 20; polls++) {
      const r = await consumer.poll({ maxRecords: 4, maxWaitMs: 0 });
      expect(r.count).toBeLessThanOrEqual(4);
      if (r.count === 0) break;
      for (const b of r.batches) {
        for (const rec of b.records) {
          expect(rec.value?.toString()).toBe(`${b.partition}:${rec.offset}`);
          seen.get(b.partition)!.push(rec.offset);
        }
        expect(await consumer.position({ topic: 't', partition: b.partition })).toBe(b.records[b.records.length - 1]!.offset + 1);
      }
    }
    expect(seen.get(0)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(seen.get(1)).toEqual([0, 1, 2, 3]);
    await consumer.close();
  });

  it('drops what it fetched but did not return when seeked', async () => {
    await broker.createTopic('t', 1);
    await produce('t', 0, 2, 10);
    const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
    const tp = { topic: 't', partition: 0 };
    consumer.assign([tp]);
    const first = await consumer.poll({ maxRecords: 3, maxWaitMs: 0 });
    expect(first.batches[0]!.records.map((r) => r.offset)).toEqual([0, 1, 2]);
    consumer.seek(tp, 15);
    const next = await consumer.poll({ maxRecords: 100, maxWaitMs: 0 });
    expect(next.batches[0]!.records.map((r) => r.offset)).toEqual([15, 16, 17, 18, 19]);
    expect(await consumer.position(tp)).toBe(20);
    await consumer.close();
  });
});

describe('InProcessConsumer pause and resume', () => {
  const tp0 = { topic: 't', partition: 0 };
  const tp1 = { topic: 't', partition: 1 };

  /** Polls until a poll returns nothing; the offsets returned per partition. */
  async function drain(consumer: ReturnType<ReturnType<typeof inProcessClients>['consumer']>, maxRecords: number): Promise<Map<number, number[]>> {
    const seen = new Map<number, number[]>();
    for (let polls = 0; polls < 50; polls++) {
      const r = await consumer.poll({ maxRecords, maxWaitMs: 0 });
      if (r.count === 0) break;
      for (const b of r.batches) {
        const list = seen.get(b.partition) ?? [];
        for (const rec of b.records) list.push(rec.offset);
        seen.set(b.partition, list);
      }
    }
    return seen;
  }

  it('returns nothing for a paused partition while the others deliver, and lists it in paused()', async () => {
    await broker.createTopic('t', 2);
    await produce('t', 0, 1, 5);
    await produce('t', 1, 1, 5);
    const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
    consumer.assign([tp0, tp1]);
    expect(consumer.paused()).toEqual([]);
    consumer.pause([tp0]);
    expect(consumer.paused()).toEqual([tp0]);
    const seen = await drain(consumer, 100);
    expect(seen.get(0)).toBeUndefined();
    expect(seen.get(1)).toEqual([0, 1, 2, 3, 4]);
    expect(await consumer.position(tp0)).toBe(0);
    await consumer.close();
  });

  it('after resume, returns the paused partition from where it stopped, including records fetched before the pause', async () => {
    await broker.createTopic('t', 2);
    await produce('t', 0, 2, 5);
    await produce('t', 1, 1, 3);
    const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
    consumer.assign([tp0, tp1]);
    // Take 3 records of partition 0: the rest of the fetch stays buffered inside the consumer.
    const first = await consumer.poll({ maxRecords: 3, maxWaitMs: 0 });
    expect(first.batches.map((b) => [b.partition, b.records.map((r) => r.offset)])).toEqual([[0, [0, 1, 2]]]);
    consumer.pause([tp0]);
    const whilePaused = await drain(consumer, 100);
    expect(whilePaused.get(0)).toBeUndefined();
    expect(whilePaused.get(1)).toEqual([0, 1, 2]);
    // New records for the paused partition are not returned either.
    await produce('t', 0, 1, 2);
    expect((await drain(consumer, 100)).size).toBe(0);

    consumer.resume([tp0]);
    expect(consumer.paused()).toEqual([]);
    const afterResume = await drain(consumer, 4);
    expect(afterResume.get(0)).toEqual(Array.from({ length: 9 }, (_, i) => i + 3));
    expect(afterResume.get(1)).toBeUndefined();
    expect(await consumer.position(tp0)).toBe(12);
    await consumer.close();
  });

  it('rejects pausing a partition that is not assigned', async () => {
    await broker.createTopic('t', 2);
    const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
    consumer.assign([tp0]);
    expect(() => consumer.pause([tp1])).toThrow(/not assigned/);
    expect(consumer.paused()).toEqual([]);
    await consumer.close();
  });
});
