import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { isStreamsError, StreamsError } from '../errors.js';
import { ManualClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { ManualTimers, SyncCountingStorage } from '../../test/helpers/broker-test-doubles.js';
import { Broker, type BrokerOptions } from './broker.js';
import { crc32c } from './crc32c.js';
import { checkBatch, decodeRecords, encodeBatch, type DecodedRecord, type EncodeBatchOptions } from './record-batch.js';
import { FileStorage, MemoryStorage, type Storage } from './storage.js';

const T0 = 1_700_000_000_000;
const tmpDirs: string[] = [];

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-broker-'));
  tmpDirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function open(options: BrokerOptions = {}): Promise<Broker> {
  return Broker.open({
    storage: new MemoryStorage(),
    logger: silentLogger(),
    maintenanceIntervalMs: 0,
    offsetsTopicPartitions: 1,
    ...options,
  });
}

const batch = (values: readonly string[], ts = T0, options: EncodeBatchOptions = {}): Buffer =>
  encodeBatch(
    values.map((v, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(v), timestampMs: ts + i })),
    options,
  );

/** Decodes the whole batches of a fetch (each must pass its CRC), keeping records at or after `from`. */
function decodeAll(bytes: Buffer, from = 0): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (let p = 0; p < bytes.length; ) {
    const check = checkBatch(bytes, p);
    if (check.kind !== 'ok') throw new Error(`bad batch at ${p}: ${JSON.stringify(check)}`);
    for (const r of decodeRecords(bytes, p, check.header)) if (r.offset >= from) out.push(r);
    p += check.size;
  }
  return out;
}

const values = (bytes: Buffer, from = 0): string[] => decodeAll(bytes, from).map((r) => r.value!.toString());

/** Every record from the log start to the high watermark, fetch after fetch (a fetch stops at a segment's end). */
async function fetchAll(broker: Broker, topic: string, partition: number): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  let offset = broker.listOffset(topic, partition, 'earliest');
  for (;;) {
    const [res] = await broker.fetch([{ topic, partition, offset }], { maxWaitMs: 0 });
    if (res!.error !== undefined) throw res!.error;
    if (res!.bytes.length === 0) return out;
    out.push(...decodeAll(res!.bytes, offset));
    offset = res!.nextOffset;
  }
}

/** Lets every queued promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(p: Promise<T>): { readonly done: boolean; readonly value: T | undefined; readonly promise: Promise<T> } {
  const state = { done: false, value: undefined as T | undefined, promise: p };
  p.then(
    (v) => {
      state.done = true;
      state.value = v;
    },
    () => {
      state.done = true;
    },
  );
  return state;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e: unknown) {
    return isStreamsError(e) ? e.code : `not a StreamsError: ${String(e)}`;
  }
  return 'no error';
}

async function asyncCodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e: unknown) {
    return isStreamsError(e) ? e.code : `not a StreamsError: ${String(e)}`;
  }
  return 'no error';
}

// ------------------------------------------------------------------------------------------------ produce/fetch

describe('produce and fetch', () => {
  it('assigns dense offsets per partition and fetches whole batches with the partition bounds', async () => {
    const broker = await open();
    broker.createTopic('t', 2);
    const infos = await broker.produce([
      { topic: 't', partition: 0, batch: batch(['a', 'b']) },
      { topic: 't', partition: 1, batch: batch(['x']) },
      { topic: 't', partition: 0, batch: batch(['c']) },
    ]);
    expect(infos.map((i) => [i.baseOffset, i.lastOffset, i.isDuplicate])).toEqual([
      [0, 1, false],
      [0, 0, false],
      [2, 2, false],
    ]);
    const [p0, p1] = await broker.fetch([
      { topic: 't', partition: 0, offset: 0 },
      { topic: 't', partition: 1, offset: 0 },
    ]);
    expect(values(p0!.bytes)).toEqual(['a', 'b', 'c']);
    expect(decodeAll(p0!.bytes).map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(p0).toMatchObject({ nextOffset: 3, highWatermark: 3, logStartOffset: 0 });
    expect(values(p1!.bytes)).toEqual(['x']);
    // From the middle of a batch: the whole batch comes back, the reader skips what it has.
    const [mid] = await broker.fetch([{ topic: 't', partition: 0, offset: 1 }]);
    expect(values(mid!.bytes, 1)).toEqual(['b', 'c']);
    // At the end: nothing, at once when maxWaitMs is 0.
    const [end] = await broker.fetch([{ topic: 't', partition: 0, offset: 3 }], { maxWaitMs: 0 });
    expect(end).toMatchObject({ nextOffset: 3, highWatermark: 3 });
    expect(end!.bytes.length).toBe(0);
    await broker.close();
  });

  it('returns at least one batch however small maxBytes is, and respects the byte budget after it', async () => {
    const broker = await open();
    broker.createTopic('t', 1);
    for (let i = 0; i < 5; i++) await broker.produce([{ topic: 't', partition: 0, batch: batch([`v${i}`.padEnd(100, '.')]) }]);
    const [one] = await broker.fetch([{ topic: 't', partition: 0, offset: 0, maxBytes: 1 }]);
    expect(decodeAll(one!.bytes).length).toBe(1);
    expect(one!.nextOffset).toBe(1);
    const size = one!.bytes.length;
    const [two] = await broker.fetch([{ topic: 't', partition: 0, offset: 1, maxBytes: 2 * size + 1 }]);
    expect(decodeAll(two!.bytes).map((r) => r.offset)).toEqual([1, 2]);
    await broker.close();
  });

  it('reports errors per partition and still serves the others', async () => {
    const broker = await open();
    broker.createTopic('t', 1);
    await broker.produce([{ topic: 't', partition: 0, batch: batch(['a']) }]);
    const res = await broker.fetch([
      { topic: 't', partition: 0, offset: 0 },
      { topic: 't', partition: 5, offset: 0 },
      { topic: 'nope', partition: 0, offset: 0 },
      { topic: 't', partition: 0, offset: 7 },
    ]);
    expect(values(res[0]!.bytes)).toEqual(['a']);
    expect(res.slice(1).map((r) => r.error?.code)).toEqual(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION', 'OFFSET_OUT_OF_RANGE']);
    expect(res[1]!.error).toMatchObject({ topic: 't', partition: 5 });
    await broker.close();
  });

  it('validates every entry before writing any', async () => {
    const broker = await open();
    broker.createTopic('t', 1);
    await expect(
      broker.produce([
        { topic: 't', partition: 0, batch: batch(['a']) },
        { topic: 't', partition: 1, batch: batch(['b']) },
      ]),
    ).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(broker.partitionLog('t', 0).logEndOffset).toBe(0);
    await broker.close();
    await expect(broker.produce([{ topic: 't', partition: 0, batch: batch(['a']) }])).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(broker.fetch([{ topic: 't', partition: 0, offset: 0 }])).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

// ------------------------------------------------------------------------------------------------ long poll

describe('long-poll fetch', () => {
  async function setup(): Promise<{ broker: Broker; timers: ManualTimers }> {
    const timers = new ManualTimers();
    const broker = await open({ timers });
    broker.createTopic('t', 2);
    return { broker, timers };
  }

  it('waits without polling and resolves when data arrives, not before', async () => {
    const { broker, timers } = await setup();
    const before = timers.scheduled;
    const f = track(broker.fetch([{ topic: 't', partition: 0, offset: 0 }], { maxWaitMs: 10_000 }));
    for (let i = 0; i < 5; i++) await settle();
    expect(f.done).toBe(false);
    // One timer (the maxWaitMs deadline) and nothing else: the wait is a notification, not a poll.
    expect(timers.scheduled - before).toBe(1);
    // Data for a partition nobody asked for does not wake it.
    await broker.produce([{ topic: 't', partition: 1, batch: batch(['other']) }]);
    await settle();
    expect(f.done).toBe(false);
    await broker.produce([{ topic: 't', partition: 0, batch: batch(['hello']) }]);
    const [res] = await f.promise;
    expect(values(res!.bytes)).toEqual(['hello']);
    expect(res!.highWatermark).toBe(1);
    expect(timers.pendingCount).toBe(0);
    expect(timers.scheduled - before).toBe(1);
    await broker.close();
  });

  it('resolves empty on maxWaitMs, not a moment before', async () => {
    const { broker, timers } = await setup();
    const f = track(broker.fetch([{ topic: 't', partition: 0, offset: 0 }], { maxWaitMs: 500 }));
    timers.advance(499);
    await settle();
    expect(f.done).toBe(false);
    timers.advance(1);
    const [res] = await f.promise;
    expect(res!.bytes.length).toBe(0);
    expect(res!.nextOffset).toBe(0);
    await broker.close();
  });

  it('waits for minBytes across the requested partitions', async () => {
    const { broker, timers } = await setup();
    const f = track(
      broker.fetch(
        [
          { topic: 't', partition: 0, offset: 0 },
          { topic: 't', partition: 1, offset: 0 },
        ],
        { maxWaitMs: 1_000, minBytes: 300 },
      ),
    );
    await broker.produce([{ topic: 't', partition: 0, batch: batch(['small']) }]);
    await settle();
    expect(f.done).toBe(false);
    await broker.produce([{ topic: 't', partition: 1, batch: batch(['x'.repeat(400)]) }]);
    const [p0, p1] = await f.promise;
    expect(values(p0!.bytes)).toEqual(['small']);
    expect(values(p1!.bytes)).toEqual(['x'.repeat(400)]);
    expect(timers.pendingCount).toBe(0);
    await broker.close();
  });

  it('is answered when the broker closes', async () => {
    const { broker } = await setup();
    const f = track(broker.fetch([{ topic: 't', partition: 0, offset: 0 }], { maxWaitMs: 60_000 }));
    await settle();
    expect(f.done).toBe(false);
    await broker.close();
    const [res] = await f.promise;
    expect(res!.bytes.length).toBe(0);
  });

  it('is woken by an append it cannot see yet only once the high watermark covers it (flush always)', async () => {
    const gate = new SyncCountingStorage(true);
    const broker = await open({ storage: gate, flush: 'always' });
    broker.createTopic('t', 1);
    const f = track(broker.fetch([{ topic: 't', partition: 0, offset: 0 }], { maxWaitMs: 60_000 }));
    const p = track(broker.produce([{ topic: 't', partition: 0, batch: batch(['durable']) }]));
    await settle();
    expect(p.done).toBe(false);
    expect(f.done).toBe(false);
    gate.release();
    const [res] = await f.promise;
    expect(values(res!.bytes)).toEqual(['durable']);
    await broker.close();
  });
});

// ------------------------------------------------------------------------------------------------ flush 'always'


describe("flush 'always'", () => {
  it('acknowledges and advances the high watermark only after the fdatasync, and groups concurrent appends', async () => {
    const gate = new SyncCountingStorage(true);
    const broker = await open({ storage: gate, flush: 'always' });
    broker.createTopic('t', 2);
    const syncsBefore = gate.logSyncs();
    const first = track(broker.produce([{ topic: 't', partition: 0, batch: batch(['a']) }]));
    await settle();
    expect(gate.logSyncs() - syncsBefore).toBe(1);
    expect(first.done).toBe(false);
    // Written but not durable: not visible to consumers, not the 'latest' offset.
    expect(broker.partitionLog('t', 0).logEndOffset).toBe(1);
    expect(broker.listOffset('t', 0, 'latest')).toBe(0);
    const [unseen] = await broker.fetch([{ topic: 't', partition: 0, offset: 0 }], { maxWaitMs: 0 });
    expect(unseen!.bytes.length).toBe(0);
    // Three more appends while the first sync runs: they share the next round.
    const rest = [
      track(broker.produce([{ topic: 't', partition: 0, batch: batch(['b']) }])),
      track(broker.produce([{ topic: 't', partition: 0, batch: batch(['c']) }])),
      track(broker.produce([{ topic: 't', partition: 1, batch: batch(['d']) }])),
    ];
    await settle();
    expect(gate.logSyncs() - syncsBefore).toBe(1);
    gate.release();
    await first.promise;
    expect(broker.listOffset('t', 0, 'latest')).toBe(1);
    await settle();
    expect(rest.every((r) => !r.done)).toBe(true);
    // One round for the three: one fdatasync per partition written, not one per append.
    expect(gate.logSyncs() - syncsBefore).toBe(3);
    gate.release();
    await Promise.all(rest.map((r) => r.promise));
    expect(broker.listOffset('t', 0, 'latest')).toBe(3);
    expect(broker.listOffset('t', 1, 'latest')).toBe(1);
    expect(gate.logSyncs() - syncsBefore).toBe(3);
    const closing = broker.close();
    gate.release();
    await closing;
  });

  it('acknowledges appends awaited one after the other (no append is left waiting for a sync that never comes)', async () => {
    for (const storage of [new MemoryStorage(), new FileStorage()]) {
      const broker = await open({ storage, dataDir: storage.kind === 'file' ? tmpDir() : '/sequential', flush: 'always', timers: new ManualTimers() });
      broker.createTopic('t', 1);
      const offsets: number[] = [];
      // Each append issued right where the previous one's acknowledgement resumes the caller.
      const run = track(
        (async () => {
          for (let i = 0; i < 5; i++) offsets.push((await broker.produce([{ topic: 't', partition: 0, batch: batch([`v${i}`]) }]))[0]!.baseOffset);
        })(),
      );
      // Real fdatasyncs take real time; this waits only as long as they do (or until it is clear one never ends).
      for (const deadline = Date.now() + 5_000; !run.done && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 2));
      expect(offsets, storage.kind).toEqual([0, 1, 2, 3, 4]);
      await broker.close();
    }
  });

  it('works on files: every acknowledged record is read back after a reopen', async () => {
    const dir = tmpDir();
    const broker = await open({ storage: new FileStorage(), dataDir: dir, flush: 'always' });
    broker.createTopic('t', 1, { 'segment.bytes': 200 });
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => broker.produce([{ topic: 't', partition: 0, batch: batch([`v${i}`]) }])));
    expect(acks.map(([a]) => a!.baseOffset).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(broker.listOffset('t', 0, 'latest')).toBe(20);
    await broker.close();
    const again = await open({ storage: new FileStorage(), dataDir: dir });
    expect((await fetchAll(again, 't', 0)).map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await again.close();
  });
});

// ------------------------------------------------------------------------------------------------ offsets

describe('listOffset and deleteRecords', () => {
  it('earliest is the log start offset, latest the high watermark', async () => {
    const broker = await open();
    broker.createTopic('t', 1);
    expect([broker.listOffset('t', 0, 'earliest'), broker.listOffset('t', 0, 'latest')]).toEqual([0, 0]);
    await broker.produce([{ topic: 't', partition: 0, batch: batch(['a', 'b', 'c']) }]);
    expect([broker.listOffset('t', 0, 'earliest'), broker.listOffset('t', 0, 'latest')]).toEqual([0, 3]);
    expect(broker.deleteRecords('t', 0, 2)).toBe(2);
    expect([broker.listOffset('t', 0, 'earliest'), broker.listOffset('t', 0, 'latest')]).toEqual([2, 3]);
    await broker.close();
  });

  // The model: the first offset in [logStart, highWatermark) whose timestamp is >= t, else the high watermark.
  test.prop(
    [
      fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 30 }),
      fc.constantFrom(80, 200, 1 << 20),
      fc.constantFrom(0, 100, 4096),
      fc.nat(),
    ],
    { numRuns: 60 },
  )('by timestamp: the first record whose timestamp is >= t, across segments and after deleteRecords', async (batches, segmentBytes, indexInterval, cutSeed) => {
    const broker = await open();
    broker.createTopic('t', 1, { 'segment.bytes': segmentBytes, 'index.interval.bytes': indexInterval });
    const stamps: number[] = [];
    for (const b of batches) {
      const recs = b.map((d, i) => ({ key: null, value: Buffer.from(`${stamps.length + i}`), timestampMs: T0 + d * 10 }));
      await broker.produce([{ topic: 't', partition: 0, batch: encodeBatch(recs) }]);
      stamps.push(...recs.map((r) => r.timestampMs));
    }
    const expectAll = (): void => {
      const start = broker.listOffset('t', 0, 'earliest');
      const hw = broker.listOffset('t', 0, 'latest');
      for (let d = -1; d <= 51; d++) {
        const t = T0 + d * 10 - (d % 2);
        let want = hw;
        for (let o = start; o < hw; o++) {
          if (stamps[o]! >= t) {
            want = o;
            break;
          }
        }
        expect(broker.listOffset('t', 0, { timestampMs: t }), `t=${t}`).toBe(want);
      }
    };
    expectAll();
    broker.deleteRecords('t', 0, cutSeed % (stamps.length + 1));
    expectAll();
    await broker.close();
  });

  it('deleteRecords moves the log start offset, deletes whole segments below it, and survives restarts', async () => {
    const storage = new MemoryStorage();
    const dataDir = '/delete-records';
    let broker = await open({ storage, dataDir });
    broker.createTopic('t', 1, { 'segment.bytes': 250 });
    for (let i = 0; i < 12; i++) await broker.produce([{ topic: 't', partition: 0, batch: batch([`v${i}`.padEnd(40, '.')]) }]);
    const segs = (): number[] => broker.partitionLog('t', 0).segments.map((s) => s.baseOffset);
    const files = (): string[] => storage.list(path.join(dataDir, 't-0')).filter((n) => n.endsWith('.log')).sort();
    const before = segs();
    expect(before.length).toBeGreaterThan(3);
    const cut = before[2]! + 1; // inside the third segment
    expect(broker.deleteRecords('t', 0, cut)).toBe(cut);
    // The two segments wholly below the cut are gone, files too; the one holding it stays.
    expect(segs()).toEqual(before.slice(2));
    expect(files()).toEqual(before.slice(2).map((b) => `${String(b).padStart(20, '0')}.log`));
    expect(broker.listOffset('t', 0, 'earliest')).toBe(cut);
    const [below] = await broker.fetch([{ topic: 't', partition: 0, offset: cut - 1 }]);
    expect(below!.error?.code).toBe('OFFSET_OUT_OF_RANGE');
    expect((await fetchAll(broker, 't', 0)).map((r) => r.offset)[0]).toBe(cut);
    // Never backwards, never past the high watermark.
    expect(broker.deleteRecords('t', 0, 1)).toBe(cut);
    expect(codeOf(() => broker.deleteRecords('t', 0, 13))).toBe('OFFSET_OUT_OF_RANGE');
    expect(codeOf(() => broker.deleteRecords('t', 0, -1))).toBe('OFFSET_OUT_OF_RANGE');
    // A clean restart and a crash keep the new start.
    await broker.close();
    broker = await open({ storage, dataDir });
    expect(broker.listOffset('t', 0, 'earliest')).toBe(cut);
    await settle();
    broker = await open({ storage, dataDir });
    expect(broker.listOffset('t', 0, 'earliest')).toBe(cut);
    expect((await fetchAll(broker, 't', 0)).map((r) => r.offset)).toEqual(Array.from({ length: 12 - cut }, (_, i) => cut + i));
    // Deleting everything keeps the end offset, and appends go on from it.
    expect(broker.deleteRecords('t', 0, 12)).toBe(12);
    expect(segs()).toEqual([12]);
    await broker.close();
    broker = await open({ storage, dataDir });
    expect([broker.listOffset('t', 0, 'earliest'), broker.listOffset('t', 0, 'latest')]).toEqual([12, 12]);
    const [info] = await broker.produce([{ topic: 't', partition: 0, batch: batch(['next']) }]);
    expect(info!.baseOffset).toBe(12);
    await broker.close();
  });
});

// ------------------------------------------------------------------------------------------------ idempotence

describe('idempotent producer state', () => {
  const idem = (pid: number, epoch: number, seq: number, vals: readonly string[]): Buffer =>
    batch(vals, T0, { producerId: pid, producerEpoch: epoch, baseSequence: seq });
  const append = async (broker: Broker, b: Buffer) => (await broker.produce([{ topic: 't', partition: 0, batch: b }]))[0]!;

  it('answers a replayed batch with its original offsets, refuses gaps and older epochs', async () => {
    const broker = await open();
    broker.createTopic('t', 1);
    const pid = broker.allocateProducerId();
    const other = broker.allocateProducerId();
    expect(other).not.toBe(pid);
    const b1 = idem(pid, 0, 0, ['a', 'b']);
    expect(await append(broker, b1)).toMatchObject({ baseOffset: 0, lastOffset: 1, isDuplicate: false });
    expect(await append(broker, idem(other, 0, 0, ['o']))).toMatchObject({ baseOffset: 2, isDuplicate: false });
    const b2 = idem(pid, 0, 2, ['c']);
    expect(await append(broker, b2)).toMatchObject({ baseOffset: 3, lastOffset: 3 });
    // Replays, the very same bytes and a fresh encoding of the same batch: original offsets, nothing appended.
    expect(await append(broker, b1)).toMatchObject({ baseOffset: 0, lastOffset: 1, isDuplicate: true });
    expect(await append(broker, idem(pid, 0, 2, ['c']))).toMatchObject({ baseOffset: 3, lastOffset: 3, isDuplicate: true });
    expect(broker.partitionLog('t', 0).logEndOffset).toBe(4);
    expect(await asyncCodeOf(append(broker, idem(pid, 0, 5, ['gap'])))).toBe('OUT_OF_ORDER_SEQUENCE');
    expect(await asyncCodeOf(append(broker, idem(pid, 0, 2, ['c', 'longer'])))).toBe('OUT_OF_ORDER_SEQUENCE');
    // A new epoch starts at sequence 0 and fences the old one.
    expect(await asyncCodeOf(append(broker, idem(pid, 1, 4, ['bad start'])))).toBe('OUT_OF_ORDER_SEQUENCE');
    expect(await append(broker, idem(pid, 1, 0, ['e1']))).toMatchObject({ baseOffset: 4, isDuplicate: false });
    expect(await asyncCodeOf(append(broker, idem(pid, 0, 3, ['zombie'])))).toBe('PRODUCER_FENCED');
    expect(broker.partitionLog('t', 0).logEndOffset).toBe(5);
    // Without idempotence the same bytes are simply appended again.
    const plain = batch(['p']);
    await append(broker, plain);
    expect(await append(broker, plain)).toMatchObject({ baseOffset: 6, isDuplicate: false });
    expect((await fetchAll(broker, 't', 0)).map((r) => r.value!.toString())).toEqual(['a', 'b', 'o', 'c', 'e1', 'p', 'p']);
    await broker.close();
  });

  for (const flush of ['os', 'always'] as const) {
    it(`a send refused by its sequence check after other entries were written still acknowledges those (flush ${flush})`, async () => {
      const broker = await open({ flush });
      broker.createTopic('t', 2);
      const pid = broker.allocateProducerId();
      await broker.produce([{ topic: 't', partition: 1, batch: idem(pid, 0, 0, ['p1']) }]);
      const err = await asyncCodeOf(
        broker.produce([
          { topic: 't', partition: 0, batch: idem(pid, 0, 0, ['written']) },
          { topic: 't', partition: 1, batch: idem(pid, 0, 7, ['gap']) },
        ]),
      );
      expect(err).toBe('OUT_OF_ORDER_SEQUENCE');
      // What was written is in the log, so it must be visible now, not whenever the next append comes.
      const log = broker.partitionLog('t', 0);
      expect([log.logEndOffset, log.highWatermark]).toEqual([1, 1]);
      expect((await fetchAll(broker, 't', 0)).map((r) => r.value!.toString())).toEqual(['written']);
      // And a retry of the whole send is answered from the producer state, not appended twice.
      expect(await append(broker, idem(pid, 0, 0, ['written']))).toMatchObject({ isDuplicate: true });
      await broker.close();
    });
  }

  it('remembers the last five batches per producer: an older retry is refused, never appended twice', async () => {
    const broker = await open();
    broker.createTopic('t', 1);
    const pid = broker.allocateProducerId();
    for (let s = 0; s < 7; s++) await append(broker, idem(pid, 0, s, [`v${s}`]));
    for (let s = 2; s < 7; s++) expect(await append(broker, idem(pid, 0, s, [`v${s}`]))).toMatchObject({ baseOffset: s, isDuplicate: true });
    expect(await asyncCodeOf(append(broker, idem(pid, 0, 1, ['v1'])))).toBe('OUT_OF_ORDER_SEQUENCE');
    expect(broker.partitionLog('t', 0).logEndOffset).toBe(7);
    await broker.close();
  });

  for (const mode of ['memory clean', 'memory crash', 'file clean', 'file crash'] as const) {
    it(`survives a restart (${mode})`, async () => {
      const isFile = mode.startsWith('file');
      const storage: Storage = isFile ? new FileStorage() : new MemoryStorage();
      let dataDir = isFile ? tmpDir() : '/idempotence';
      let broker = await open({ storage, dataDir });
      // Small segments: the state comes from a snapshot written at a roll plus a replay of the tail.
      broker.createTopic('t', 1, { 'segment.bytes': 300 });
      const pid = broker.allocateProducerId();
      const fenced = broker.allocateProducerId();
      await append(broker, idem(fenced, 0, 0, ['f0']));
      await append(broker, idem(fenced, 3, 0, ['f3']));
      let seq = 0;
      const offsets: number[] = [];
      for (let i = 0; i < 12; i++) {
        const vals = [`v${i}`.padEnd(30, '.'), `w${i}`];
        offsets.push((await append(broker, idem(pid, 0, seq, vals))).baseOffset);
        seq += vals.length;
      }
      expect(broker.partitionLog('t', 0).segments.length).toBeGreaterThan(2);
      const end = broker.partitionLog('t', 0).logEndOffset;
      await settle();
      if (mode.endsWith('clean')) {
        await broker.close();
      } else if (isFile) {
        const copy = tmpDir();
        fs.cpSync(dataDir, copy, { recursive: true });
        await broker.close();
        dataDir = copy;
      }
      broker = await open({ storage, dataDir });
      expect(broker.partitionLog('t', 0).logEndOffset).toBe(end);
      // The last five batches are recognised with their offsets.
      for (let i = 7; i < 12; i++) {
        const vals = [`v${i}`.padEnd(30, '.'), `w${i}`];
        expect(await append(broker, idem(pid, 0, i * 2, vals))).toMatchObject({ baseOffset: offsets[i], isDuplicate: true });
      }
      expect(broker.partitionLog('t', 0).logEndOffset).toBe(end);
      expect(await asyncCodeOf(append(broker, idem(pid, 0, seq + 1, ['gap'])))).toBe('OUT_OF_ORDER_SEQUENCE');
      expect(await asyncCodeOf(append(broker, idem(fenced, 2, 1, ['old'])))).toBe('PRODUCER_FENCED');
      expect(await append(broker, idem(pid, 0, seq, ['next']))).toMatchObject({ baseOffset: end, isDuplicate: false });
      // Producer ids are never handed out twice across restarts.
      expect(broker.allocateProducerId()).toBeGreaterThan(fenced);
      await broker.close();
    });
  }
});

// ------------------------------------------------------------------------------------------------ bad batches

describe('batches that are not valid record batches v2', () => {
  it('are refused (CORRUPT_RECORD, RECORD_TOO_LARGE) before anything is written, so recovery never cuts acknowledged data', async () => {
    const storage = new MemoryStorage();
    const broker = await open({ storage, dataDir: '/bad-batches' });
    broker.createTopic('t', 2, { 'max.message.bytes': 1000 });
    await broker.produce([{ topic: 't', partition: 0, batch: batch(['first']) }]);
    const good = batch(['ok']);
    const flipped = batch(['payload']);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 3) ^ 0x01, flipped.length - 3);
    const badMagic = batch(['m']);
    badMagic[16] = 1;
    const shortLength = batch(['len']);
    shortLength.writeInt32BE(shortLength.readInt32BE(8) - 1, 8);
    const lyingDelta = batch(['a', 'b']);
    lyingDelta.writeInt32BE(5, 23); // lastOffsetDelta 5 for two records: offsets would jump
    const rewriteCrc = (b: Buffer): Buffer => {
      // A correct CRC over a wrong body: the header must still agree with the records.
      b.writeUInt32BE(crc32c(b, 21, b.length), 17);
      return b;
    };
    const fixedDelta = rewriteCrc(Buffer.from(lyingDelta));
    const cases: [string, Buffer, string][] = [
      ['a flipped byte', flipped, 'CORRUPT_RECORD'],
      ['magic 1', badMagic, 'CORRUPT_RECORD'],
      ['a length that does not match the bytes', shortLength, 'CORRUPT_RECORD'],
      ['a lastOffsetDelta that does not match the records', fixedDelta, 'CORRUPT_RECORD'],
      ['two batches in one entry', Buffer.concat([batch(['x']), batch(['y'])]), 'CORRUPT_RECORD'],
      ['ten bytes', Buffer.alloc(10), 'CORRUPT_RECORD'],
      ['nothing', Buffer.alloc(0), 'CORRUPT_RECORD'],
      ['a batch over max.message.bytes', batch(['x'.repeat(2000)]), 'RECORD_TOO_LARGE'],
    ];
    for (const [what, bad, code] of cases) {
      const err = await broker.produce([
        { topic: 't', partition: 1, batch: good },
        { topic: 't', partition: 0, batch: bad },
      ]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(StreamsError);
      expect((err as StreamsError).code, what).toBe(code);
      expect((err as StreamsError).topic, what).toBe('t');
      expect(broker.partitionLog('t', 0).logEndOffset, what).toBe(1);
      expect(broker.partitionLog('t', 1).logEndOffset, what).toBe(0);
    }
    await broker.produce([{ topic: 't', partition: 0, batch: batch(['after']) }]);
    // A crash now: recovery finds nothing to cut.
    const again = await open({ storage, dataDir: '/bad-batches' });
    expect((await fetchAll(again, 't', 0)).map((r) => r.value!.toString())).toEqual(['first', 'after']);
    await again.close();
  });
});

// ------------------------------------------------------------------------------------------------ topics

describe('topic lifecycle on disk', () => {
  it('a topic re-created after a crash inside deleteTopic starts empty (no resurrected records)', async () => {
    const dir = tmpDir();
    let broker = await open({ storage: new FileStorage(), dataDir: dir });
    broker.createTopic('x', 2);
    await broker.produce([{ topic: 'x', partition: 1, batch: batch(['old']) }]);
    await broker.close();
    // deleteTopic removes the metadata first, then the partition directories: a crash in between leaves these.
    const metaDir = path.join(dir, '__topics');
    for (const f of fs.readdirSync(metaDir)) {
      const meta = JSON.parse(fs.readFileSync(path.join(metaDir, f), 'utf8')) as { name: string };
      if (meta.name === 'x') fs.rmSync(path.join(metaDir, f));
    }
    broker = await open({ storage: new FileStorage(), dataDir: dir });
    expect(broker.hasTopic('x')).toBe(false);
    broker.createTopic('x', 2);
    expect(broker.listOffset('x', 1, 'latest')).toBe(0);
    const [info] = await broker.produce([{ topic: 'x', partition: 1, batch: batch(['new']) }]);
    expect(info!.baseOffset).toBe(0);
    expect((await fetchAll(broker, 'x', 1)).map((r) => r.value!.toString())).toEqual(['new']);
    await broker.close();
  });

  it('deleteTopic answers a long poll on it with UNKNOWN_TOPIC_OR_PARTITION and removes its files', async () => {
    const dir = tmpDir();
    const broker = await open({ storage: new FileStorage(), dataDir: dir, timers: new ManualTimers() });
    broker.createTopic('x', 1);
    await broker.produce([{ topic: 'x', partition: 0, batch: batch(['a']) }]);
    const f = track(broker.fetch([{ topic: 'x', partition: 0, offset: 1 }], { maxWaitMs: 60_000 }));
    await settle();
    expect(f.done).toBe(false);
    broker.deleteTopic('x');
    const [res] = await f.promise;
    expect(res!.error?.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(fs.existsSync(path.join(dir, 'x-0'))).toBe(false);
    await broker.close();
    const again = await open({ storage: new FileStorage(), dataDir: dir });
    expect(again.hasTopic('x')).toBe(false);
    await again.close();
  });
});

describe('in-process producer', () => {
  it('concurrent sends of one idempotent producer never reuse a sequence range (nothing is taken for a duplicate)', async () => {
    const { Broker: B } = await import('./broker.js');
    const { inProcessClients } = await import('../client/in-process/in-process-clients.js');
    const broker = await B.open({ maintenanceIntervalMs: 0 });
    const { admin, producer } = inProcessClients(broker);
    await admin.createTopics([{ topic: 't', numPartitions: 1 }]);
    const p = producer();
    const sends = Array.from({ length: 10 }, (_, i) => p.send({ topic: 't', messages: [{ key: null, value: Buffer.from(`v${i}`), partition: 0 }] }));
    const metas = (await Promise.all(sends)).flat();
    expect(metas.map((m) => m.baseOffset).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(broker.partitionLog('t', 0).logEndOffset).toBe(10);
    await broker.close();
  });

  it('sendBatch with the same topic twice keeps every record, in order', async () => {
    const { Broker: B } = await import('./broker.js');
    const { inProcessClients } = await import('../client/in-process/in-process-clients.js');
    const broker = await B.open({ maintenanceIntervalMs: 0 });
    const { admin, producer } = inProcessClients(broker);
    await admin.createTopics([{ topic: 't', numPartitions: 2 }]);
    const metas = await producer().sendBatch([
      { topic: 't', messages: [{ key: null, value: Buffer.from('a'), partition: 1 }] },
      { topic: 't', messages: [{ key: null, value: Buffer.from('b'), partition: 1 }] },
    ]);
    expect(metas).toEqual([expect.objectContaining({ partition: 1, baseOffset: 0, recordCount: 2 })]);
    expect(broker.partitionLog('t', 1).logEndOffset).toBe(2);
    await broker.close();
  });

  it('splits a send larger than maxBatchBytes into several batches instead of failing RECORD_TOO_LARGE', async () => {
    const { Broker: B } = await import('./broker.js');
    const { inProcessClients } = await import('../client/in-process/in-process-clients.js');
    const broker = await B.open({ maintenanceIntervalMs: 0 });
    const { admin, producer, consumer } = inProcessClients(broker);
    await admin.createTopics([{ topic: 'big', numPartitions: 1, configs: { 'max.message.bytes': 20_000 } }]);
    const p = producer({ maxBatchBytes: 10_000 });
    const messages = Array.from({ length: 100 }, (_, i) => ({ key: null, value: Buffer.alloc(1000, i), partition: 0 }));
    const [meta] = await p.send({ topic: 'big', messages });
    expect(meta).toMatchObject({ baseOffset: 0, recordCount: 100 });
    const c = consumer({ autoOffsetReset: 'earliest' });
    c.assign([{ topic: 'big', partition: 0 }]);
    let n = 0;
    for (;;) {
      const r = await c.poll({ maxWaitMs: 0 });
      if (r.count === 0) break;
      for (const b of r.batches) for (const rec of b.records) expect(rec.value![0]).toBe(rec.offset % 256), n++;
    }
    expect(n).toBe(100);
    await broker.close();
  });
});
