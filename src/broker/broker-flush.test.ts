import { describe, expect, it } from 'vitest';
import { silentLogger } from '../util/logger.js';
import { Broker } from './broker.js';
import { encodeBatch } from './record-batch.js';
import { ManualTimers, SyncCountingStorage } from '../../test/helpers/broker-test-doubles.js';

const INTERVAL_MS = 1_000;

const batch = (value: string): Buffer => encodeBatch([{ key: null, value: Buffer.from(value), timestampMs: 1_700_000_000_000 }]);

/** Lets every queued promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The promise's value if it settles once queued callbacks have run; fails otherwise (rather than hanging). */
async function acknowledgedSoon<T>(p: Promise<T>): Promise<T> {
  const late = Symbol('late');
  const r = await Promise.race([p, settle().then(() => late)]);
  if (r === late) throw new Error('not acknowledged without waiting');
  return r as T;
}

async function setup(): Promise<{ broker: Broker; storage: SyncCountingStorage; timers: ManualTimers }> {
  const storage = new SyncCountingStorage();
  const timers = new ManualTimers();
  const broker = await Broker.open({
    storage,
    timers,
    flush: { intervalMs: INTERVAL_MS },
    logger: silentLogger(),
    maintenanceIntervalMs: 0,
    offsetsTopicPartitions: 1,
  });
  broker.createTopic('t', 3);
  return { broker, storage, timers };
}

const syncsOf = (storage: SyncCountingStorage): Record<string, number> => Object.fromEntries([...storage.logSyncsByPartition()].filter(([d]) => d.startsWith('t-')).sort());

describe('flush { intervalMs }', () => {
  it('acknowledges appends at once, before any fdatasync, and makes them visible to fetches', async () => {
    const { broker, storage } = await setup();
    // Any fdatasync would hang: acknowledgement must not wait for one.
    storage.isHolding = true;
    const infos = await acknowledgedSoon(
      broker.produce([
        { topic: 't', partition: 0, batch: batch('a') },
        { topic: 't', partition: 1, batch: batch('b') },
      ]),
    );
    expect(infos.map((i) => i.baseOffset)).toEqual([0, 0]);
    expect(await acknowledgedSoon(broker.produce([{ topic: 't', partition: 0, batch: batch('c') }]))).toMatchObject([{ baseOffset: 1 }]);
    expect(syncsOf(storage)).toEqual({});
    expect(broker.listOffset('t', 0, 'latest')).toBe(2);
    const [res] = await broker.fetch([{ topic: 't', partition: 0, offset: 0 }], { maxWaitMs: 0 });
    expect(res!.bytes.length).toBeGreaterThan(0);
    storage.isHolding = false;
    storage.release();
    await broker.close();
  });

  it('fdatasyncs every partition written since the last interval, once per interval, and no other', async () => {
    const { broker, storage, timers } = await setup();
    await broker.produce([
      { topic: 't', partition: 0, batch: batch('a') },
      { topic: 't', partition: 2, batch: batch('b') },
    ]);
    await broker.produce([{ topic: 't', partition: 0, batch: batch('c') }]);
    timers.advance(INTERVAL_MS - 1);
    await settle();
    expect(syncsOf(storage)).toEqual({});

    timers.advance(1);
    await settle();
    // One fdatasync per written partition however many appends it had; partition 1 was not written.
    expect(syncsOf(storage)).toEqual({ 't-0': 1, 't-2': 1 });

    // An interval with no appends syncs nothing more; the timer keeps running.
    timers.advance(INTERVAL_MS);
    await settle();
    expect(syncsOf(storage)).toEqual({ 't-0': 1, 't-2': 1 });

    await broker.produce([{ topic: 't', partition: 1, batch: batch('d') }]);
    timers.advance(INTERVAL_MS);
    await settle();
    expect(syncsOf(storage)).toEqual({ 't-0': 1, 't-1': 1, 't-2': 1 });

    // Several intervals: one sync each time the partition was written in between.
    for (let i = 0; i < 3; i++) {
      await broker.produce([{ topic: 't', partition: 2, batch: batch(`e${i}`) }]);
      timers.advance(INTERVAL_MS);
      await settle();
    }
    expect(syncsOf(storage)).toEqual({ 't-0': 1, 't-1': 1, 't-2': 4 });
    await broker.close();
  });

  it('stops its timer at close', async () => {
    const { broker, storage, timers } = await setup();
    expect(timers.pendingCount).toBeGreaterThan(0);
    await broker.produce([{ topic: 't', partition: 0, batch: batch('a') }]);
    await broker.close();
    const after = syncsOf(storage);
    timers.advance(10 * INTERVAL_MS);
    await settle();
    expect(syncsOf(storage)).toEqual(after);
    expect(timers.pendingCount).toBe(0);
  });
});

describe("flush 'os'", () => {
  it('never fdatasyncs on a timer', async () => {
    const storage = new SyncCountingStorage();
    const timers = new ManualTimers();
    const broker = await Broker.open({ storage, timers, logger: silentLogger(), maintenanceIntervalMs: 0, offsetsTopicPartitions: 1 });
    broker.createTopic('t', 1);
    await broker.produce([{ topic: 't', partition: 0, batch: batch('a') }]);
    timers.advance(60_000);
    await settle();
    expect(syncsOf(storage)).toEqual({});
    await broker.close();
  });
});
