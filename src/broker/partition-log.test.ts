import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import type { Header } from '../record.js';
import { ManualClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { Broker } from './broker.js';
import { segmentFileName } from './log-segment.js';
import { PartitionLog } from './partition-log.js';
import { crc32c } from './crc32c.js';
import { checkBatch, compressionOf, decodeRecords, encodeBatch, readBatchHeader, type CompressionCodec, type RecordInput } from './record-batch.js';
import { FileStorage, MemoryStorage, type Storage } from './storage.js';
import { parseTopicConfig, type TopicConfigInput } from './topic-config.js';

const T0 = 1_700_000_000_000;
const tmpDirs: string[] = [];

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-plog-'));
  tmpDirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A record as the tests compare it: plain values, so `toEqual` reports differences readably. */
interface Rec {
  readonly offset: number;
  readonly timestampMs: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly { key: string; value: string | null }[];
}

const hex = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('hex'));

/**
 * Everything readable from a partition, from the log start offset to the high watermark, walking whole batches as
 * a consumer does; every batch must pass its CRC and grammar check.
 */
function readAll(log: PartitionLog): Rec[] {
  const out: Rec[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = log.read(offset, 1 + (offset % 3) * 500);
    if (r.bytes.length === 0) break;
    for (let p = 0; p < r.bytes.length; ) {
      const check = checkBatch(r.bytes, p, r.bytes.length);
      if (check.kind !== 'ok') throw new Error(`unreadable batch at offset ${offset}: ${JSON.stringify(check)}`);
      for (const rec of decodeRecords(r.bytes, p, check.header)) {
        if (rec.offset < offset) continue;
        out.push({
          offset: rec.offset,
          timestampMs: rec.timestampMs,
          key: hex(rec.key),
          value: hex(rec.value),
          headers: rec.headers.map((h) => ({ key: h.key, value: hex(h.value) })),
        });
      }
      p += check.size;
    }
    offset = r.nextOffset;
  }
  return out;
}

function toRec(r: RecordInput, offset: number, timestampMs = r.timestampMs): Rec {
  return {
    offset,
    timestampMs,
    key: hex(r.key),
    value: hex(r.value),
    headers: (r.headers ?? []).map((h) => ({ key: h.key, value: hex(h.value) })),
  };
}

function open(options: { storage?: Storage; dataDir: string; clock?: ManualClock }): Promise<Broker> {
  return Broker.open({
    ...(options.storage === undefined ? {} : { storage: options.storage }),
    dataDir: options.dataDir,
    logger: silentLogger(),
    maintenanceIntervalMs: 0,
    offsetsTopicPartitions: 1,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/** Lets pending promise callbacks (a rolled segment's background fsync) finish before a simulated crash. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// ------------------------------------------------------------------------------------------------ arbitraries

const bytesArb = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null, freq: 4 });
const headerArb: fc.Arbitrary<Header> = fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 8 }), value: bytesArb });
const recordArb: fc.Arbitrary<RecordInput> = fc
  .record({
    key: bytesArb,
    value: bytesArb,
    timestampMs: fc.integer({ min: 0, max: 2_000_000_000 }).map((d) => T0 - 1_000_000_000 + d),
    headers: fc.array(headerArb, { maxLength: 3 }),
  })
  .map((r) => (r.headers.length === 0 ? { key: r.key, value: r.value, timestampMs: r.timestampMs } : r));

type Op =
  | { readonly kind: 'append'; readonly topic: number; readonly partition: number; readonly records: readonly RecordInput[] }
  | { readonly kind: 'deleteRecords'; readonly topic: number; readonly partition: number; readonly fraction: number }
  | { readonly kind: 'reopen'; readonly clean: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      topic: fc.nat(1),
      partition: fc.nat(2),
      records: fc.array(recordArb, { minLength: 1, maxLength: 6 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), topic: fc.nat(1), partition: fc.nat(2), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reopen' as const), clean: fc.boolean() }) },
);

const topicsArb = fc.tuple(
  fc.record({
    segmentBytes: fc.constantFrom(14, 150, 600, 4000, 1 << 20),
    indexIntervalBytes: fc.constantFrom(0, 100, 4096),
    partitions: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ segmentBytes: fc.constantFrom(200, 1000), indexIntervalBytes: fc.constantFrom(0, 300), partitions: fc.integer({ min: 1, max: 2 }) }),
);

// ------------------------------------------------------------------------------------------------ property 1

/**
 * Runs a random history of appends and reopens (clean: close then open; crash: open again without closing, on
 * the same memory or on a copy of the live directory, which is what a killed process leaves behind) and checks
 * after every reopen and at the end that every partition reads back exactly what was acknowledged.
 */
async function runHistory(
  kind: 'memory' | 'file',
  topicSpecs: readonly { segmentBytes: number; indexIntervalBytes: number; partitions: number }[],
  ops: readonly Op[],
): Promise<void> {
  const storage = kind === 'memory' ? new MemoryStorage() : new FileStorage();
  const clock = new ManualClock(T0);
  let dataDir = kind === 'memory' ? '/plog-property' : tmpDir();
  const names = ['plain', 'stamped'];
  let broker = await open({ storage, dataDir, clock });
  const model = new Map<string, Rec[]>();
  const starts = new Map<string, number>();
  topicSpecs.forEach((spec, i) => {
    const config: TopicConfigInput = {
      'segment.bytes': spec.segmentBytes,
      'index.interval.bytes': spec.indexIntervalBytes,
      // The second topic stamps records with the broker's clock, which must survive recovery too.
      ...(i === 1 ? { 'message.timestamp.type': 'LogAppendTime' as const } : {}),
    };
    broker.createTopic(names[i]!, spec.partitions, config);
    for (let p = 0; p < spec.partitions; p++) model.set(`${names[i]}-${p}`, []);
  });
  const check = (): void => {
    topicSpecs.forEach((spec, i) => {
      for (let p = 0; p < spec.partitions; p++) {
        const log = broker.partitionLog(names[i]!, p);
        const expected = model.get(`${names[i]}-${p}`)!;
        const start = starts.get(`${names[i]}-${p}`) ?? 0;
        expect(log.logStartOffset).toBe(start);
        expect(log.logEndOffset).toBe(expected.length);
        expect(log.highWatermark).toBe(expected.length);
        expect(readAll(log)).toEqual(expected.slice(start));
      }
    });
  };
  try {
    for (const op of ops) {
      clock.advance(7);
      if (op.kind === 'append') {
        const spec = topicSpecs[op.topic]!;
        const topic = names[op.topic]!;
        const partition = op.partition % spec.partitions;
        const expected = model.get(`${topic}-${partition}`)!;
        const [info] = await broker.produce([{ topic, partition, batch: encodeBatch(op.records) }]);
        expect(info).toMatchObject({ baseOffset: expected.length, lastOffset: expected.length + op.records.length - 1, isDuplicate: false });
        for (const r of op.records) expected.push(toRec(r, expected.length, op.topic === 1 ? clock.nowMs() : r.timestampMs));
      } else if (op.kind === 'deleteRecords') {
        const topic = names[op.topic]!;
        const key = `${topic}-${op.partition % topicSpecs[op.topic]!.partitions}`;
        const before = Math.floor(op.fraction * model.get(key)!.length);
        const start = Math.max(starts.get(key) ?? 0, before);
        expect(broker.deleteRecords(topic, op.partition % topicSpecs[op.topic]!.partitions, before)).toBe(start);
        starts.set(key, start);
      } else if (op.clean) {
        await broker.close();
        broker = await open({ storage, dataDir, clock });
        check();
      } else if (kind === 'memory') {
        await settle();
        broker = await open({ storage, dataDir, clock });
        check();
      } else {
        await settle();
        const copy = tmpDir();
        fs.cpSync(dataDir, copy, { recursive: true });
        await broker.close();
        dataDir = copy;
        broker = await open({ storage, dataDir, clock });
        check();
      }
    }
    check();
    // Appending goes on at the log end after any history.
    const [info] = await broker.produce([{ topic: 'plain', partition: 0, batch: encodeBatch([{ key: null, value: Buffer.from('last'), timestampMs: T0 }]) }]);
    expect(info!.baseOffset).toBe(model.get('plain-0')!.length);
  } finally {
    await broker.close();
  }
}

// DURABILITY_RUNS=2000 for a soak run (memory; files get a twentieth of it).
const RUNS = Number(process.env['DURABILITY_RUNS'] ?? 60);

describe('durability: any history of appends, clean closes and crashes reads back what was acknowledged', () => {
  test.prop([topicsArb, fc.array(opArb, { minLength: 1, maxLength: 40 })], { numRuns: RUNS })('over MemoryStorage', async (specs, ops) => {
    await runHistory('memory', specs, ops);
  });

  test.prop([topicsArb, fc.array(opArb, { minLength: 1, maxLength: 25 })], { numRuns: Math.max(10, Math.round(RUNS / 20)) })('over FileStorage', async (specs, ops) => {
    await runHistory('file', specs, ops);
  });
});

// ------------------------------------------------------------------------------------------------ property 2

interface WrittenBatch {
  readonly records: readonly Rec[];
  /** Position of the batch in the last segment file, -1 when it lies in an earlier segment. */
  readonly start: number;
  readonly end: number;
}

/** A closed log of small batches over two segments, captured file by file, to be cut and recovered many times. */
async function writeCutFixture(): Promise<{ dir: string; files: Map<string, Buffer>; lastLog: string; batches: WrittenBatch[] }> {
  const dir = tmpDir();
  const broker = await open({ dataDir: dir });
  broker.createTopic('cut', 1, { 'segment.bytes': 2500, 'index.interval.bytes': 150 });
  const sizes: { records: Rec[]; size: number; base: number }[] = [];
  const segments = (): readonly { size: number }[] => broker.partitionLog('cut', 0).segments;
  // One full segment, then a last one of about 2 KB: the one the cuts go through.
  for (let i = 0; segments().length < 2 || segments()[segments().length - 1]!.size < 2000; i++) {
    const records: RecordInput[] = [];
    for (let j = 0; j <= i % 3; j++) {
      records.push({
        key: i % 4 === 0 ? null : Buffer.from(`key-${i}-${j}`),
        value: Buffer.alloc(5 + ((i * 7 + j) % 23), 97 + (i % 26)),
        timestampMs: T0 + i * 10 + j,
        ...(i % 5 === 0 ? { headers: [{ key: 'h', value: Buffer.from([i]) }] } : {}),
      });
    }
    const batch = encodeBatch(records);
    const [info] = await broker.produce([{ topic: 'cut', partition: 0, batch }]);
    sizes.push({ records: records.map((r, j) => toRec(r, info!.baseOffset + j)), size: batch.length, base: info!.baseOffset });
  }
  const lastBase = broker.partitionLog('cut', 0).segments.at(-1)!.baseOffset;
  await broker.close();
  let pos = 0;
  const batches = sizes.map((b) => {
    if (b.base < lastBase) return { records: b.records, start: -1, end: -1 };
    const start = pos;
    pos += b.size;
    return { records: b.records, start, end: pos };
  });
  const files = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== '.clean-shutdown' && e.name !== '.lock') files.set(p, fs.readFileSync(p));
    }
  };
  walk(dir);
  const lastLog = path.join(dir, 'cut-0', segmentFileName(lastBase, '.log'));
  expect(files.get(lastLog)!.length).toBe(pos);
  return { dir, files, lastLog, batches };
}

/** Opens the captured log after an unclean shutdown with the last segment replaced by `tail`, checks, closes. */
async function recoverAndCheck(
  storage: Storage,
  dataDir: string,
  expected: readonly Rec[],
  expectedSize: number,
  lastLogName: string,
  reopenClean: boolean,
): Promise<void> {
  let broker = await open({ storage, dataDir });
  try {
    const log = broker.partitionLog('cut', 0);
    expect(readAll(log)).toEqual(expected);
    expect(log.logEndOffset).toBe(expected.length);
    const last = log.segments[log.segments.length - 1]!;
    if (path.basename(last.log.path) === lastLogName) expect(last.size).toBe(expectedSize);
    if (reopenClean) {
      await broker.close();
      broker = await open({ storage, dataDir });
      expect(readAll(broker.partitionLog('cut', 0))).toEqual(expected);
    }
    const [info] = await broker.produce([{ topic: 'cut', partition: 0, batch: encodeBatch([{ key: null, value: Buffer.from('after'), timestampMs: T0 }]) }]);
    expect(info!.baseOffset).toBe(expected.length);
    expect(broker.listOffset('cut', 0, 'latest')).toBe(expected.length + 1);
  } finally {
    await broker.close();
  }
}

function memoryCopy(files: Map<string, Buffer>, replace: string, bytes: Buffer): MemoryStorage {
  const storage = new MemoryStorage();
  for (const [p, data] of files) {
    storage.mkdirp(path.dirname(p));
    storage.writeFileAtomic(p, p === replace ? bytes : data);
  }
  return storage;
}

function fileCopy(files: Map<string, Buffer>, replace: string, bytes: Buffer, into: string, from: string): void {
  fs.rmSync(into, { recursive: true, force: true });
  for (const [p, data] of files) {
    const target = path.join(into, path.relative(from, p));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, p === replace ? bytes : data);
  }
}

describe('recovery of a torn last segment', () => {
  it('cut at every byte position keeps exactly the batches wholly before the cut (memory), and at every boundary ±1 (files)', async () => {
    const fx = await writeCutFixture();
    const original = fx.files.get(fx.lastLog)!;
    const lastLogName = path.basename(fx.lastLog);
    const survivors = (cut: number): { records: Rec[]; size: number } => {
      const records: Rec[] = [];
      let size = 0;
      for (const b of fx.batches) {
        if (b.start >= 0 && b.end > cut) break;
        records.push(...b.records);
        if (b.start >= 0) size = b.end;
      }
      return { records, size };
    };
    for (let cut = 0; cut <= original.length; cut++) {
      const { records, size } = survivors(cut);
      const storage = memoryCopy(fx.files, fx.lastLog, original.subarray(0, cut));
      await recoverAndCheck(storage, fx.dir, records, size, lastLogName, cut % 7 === 0);
    }
    const cuts = new Set<number>([0, 1, original.length]);
    for (const [i, b] of fx.batches.entries()) {
      if (b.start < 0) continue;
      for (const c of [b.end - 1, b.end, b.end + 1]) cuts.add(c);
      // Inside the length prefix and just past the header, now and then.
      if (i % 4 === 0) for (const c of [b.start + 5, b.start + 12, b.start + 61]) cuts.add(c);
    }
    const work = tmpDir();
    for (const cut of [...cuts].filter((c) => c >= 0 && c <= original.length)) {
      const { records, size } = survivors(cut);
      fileCopy(fx.files, fx.lastLog, original.subarray(0, cut), work, fx.dir);
      await recoverAndCheck(new FileStorage(), work, records, size, lastLogName, cut % 2 === 0);
    }
  });

  it('cuts away garbage after the last batch: zeros, random bytes, a plausible header, a repeated batch', async () => {
    const fx = await writeCutFixture();
    const original = fx.files.get(fx.lastLog)!;
    const lastLogName = path.basename(fx.lastLog);
    const all = fx.batches.flatMap((b) => b.records);
    const lastBatch = fx.batches[fx.batches.length - 1]!;
    const plausible = Buffer.from(original.subarray(lastBatch.start, lastBatch.start + 30));
    const garbage: Buffer[] = [
      Buffer.alloc(4096),
      Buffer.alloc(7),
      ...fc.sample(fc.uint8Array({ minLength: 1, maxLength: 300 }), { numRuns: 25, seed: 42 }).map((a) => Buffer.from(a)),
      plausible,
      // A whole valid batch whose offsets repeat the previous one: offsets must never go backwards.
      Buffer.from(original.subarray(lastBatch.start, lastBatch.end)),
    ];
    const work = tmpDir();
    for (const [i, g] of garbage.entries()) {
      const bytes = Buffer.concat([original, g]);
      await recoverAndCheck(memoryCopy(fx.files, fx.lastLog, bytes), fx.dir, all, original.length, lastLogName, true);
      if (i % 4 === 0 || i >= garbage.length - 2) {
        fileCopy(fx.files, fx.lastLog, bytes, work, fx.dir);
        await recoverAndCheck(new FileStorage(), work, all, original.length, lastLogName, true);
      }
    }
  });
});

// ------------------------------------------------------------------------------------------------ the log alone

describe('PartitionLog', () => {
  const config = parseTopicConfig({ 'segment.bytes': 400, 'index.interval.bytes': 100 });
  const make = (storage: Storage, wasCleanShutdown: boolean): PartitionLog =>
    new PartitionLog({ storage, dir: '/log/t-0', topic: 't', partition: 0, config: () => config, clock: new ManualClock(T0), logger: silentLogger(), wasCleanShutdown });
  const fill = (log: PartitionLog): Rec[] => {
    const expected: Rec[] = [];
    for (let i = 0; i < 30; i++) {
      const records: RecordInput[] = [{ key: Buffer.from(`k${i}`), value: Buffer.alloc(20 + (i % 7), i), timestampMs: T0 + ((i * 37) % 50) }];
      const info = log.append(encodeBatch(records));
      log.highWatermark = log.logEndOffset;
      expected.push(toRec(records[0]!, info.baseOffset));
    }
    return expected;
  };

  it('rebuilds missing or damaged index files at open, clean shutdown or not', async () => {
    for (const damage of ['delete', 'odd size', 'zeros', 'positions past the end', 'time index zeros'] as const) {
      const storage = new MemoryStorage();
      const log = make(storage, true);
      const expected = fill(log);
      const stamps = expected.map((r) => r.timestampMs);
      log.close();
      expect(log.segments.length).toBeGreaterThan(2);
      for (const name of storage.list('/log/t-0').filter((n) => n.endsWith('index'))) {
        const p = `/log/t-0/${name}`;
        const size = storage.readFile(p)!.length;
        if (damage === 'delete') storage.remove(p);
        else if (damage === 'odd size') storage.open(p).append(Buffer.from([1, 2, 3]));
        else if (damage === 'zeros') storage.writeFileAtomic(p, Buffer.alloc(size + (name.endsWith('.index') ? 8 : 12)));
        else if (damage === 'time index zeros') {
          if (name.endsWith('.timeindex')) storage.writeFileAtomic(p, Buffer.alloc(Math.max(size, 24)));
        }
        else if (name.endsWith('.index')) storage.writeFileAtomic(p, Buffer.from([0, 0, 0, 0, 0x7f, 0, 0, 0]));
      }
      const reopened = make(storage, true);
      expect(readAll(reopened), damage).toEqual(expected);
      for (const t of [T0 - 1, T0 + 10, T0 + 25, T0 + 49, T0 + 50]) {
        const want = stamps.findIndex((s) => s >= t);
        expect(reopened.offsetForTimestamp(t), `${damage} t=${t}`).toBe(want < 0 ? null : want);
      }
      expect(reopened.append(encodeBatch([{ key: null, value: null, timestampMs: T0 }])).baseOffset).toBe(expected.length);
      reopened.close();
    }
  });

  describe('compressed batches', () => {
    const codecs: CompressionCodec[] = ['gzip', 'snappy', 'lz4', 'zstd', 'none'];
    const makeWith = (storage: Storage, input: TopicConfigInput, wasCleanShutdown: boolean): PartitionLog => {
      const c = parseTopicConfig({ 'segment.bytes': 700, 'index.interval.bytes': 100, ...input });
      return new PartitionLog({ storage, dir: '/log/z-0', topic: 'z', partition: 0, config: () => c, clock: new ManualClock(T0), logger: silentLogger(), wasCleanShutdown });
    };
    /** 20 batches of 5 records, codecs in turn; timestamps rise by 10 per record. */
    const batches = Array.from({ length: 20 }, (_, b) =>
      Array.from({ length: 5 }, (_, i): RecordInput => ({ key: Buffer.from(`k${(b * 5 + i) % 13}`), value: Buffer.from(`value ${b}/${i} `.repeat(4)), timestampMs: T0 + (b * 5 + i) * 10 })),
    );
    const codecsStored = (log: PartitionLog): string[] => {
      const out: string[] = [];
      for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
        const r = log.read(offset, 1);
        out.push(compressionOf(readBatchHeader(r.bytes, 0).attributes));
        offset = r.nextOffset;
      }
      return out;
    };

    it("are stored as produced under compression.type 'producer', recovered after a crash and searched by timestamp", () => {
      const storage = new MemoryStorage();
      const log = makeWith(storage, {}, true);
      const expected: Rec[] = [];
      batches.forEach((records, b) => {
        const info = log.append(encodeBatch(records, { compression: codecs[b % codecs.length]! }));
        log.highWatermark = log.logEndOffset;
        records.forEach((r, i) => expected.push(toRec(r, info.baseOffset + i)));
      });
      expect(log.segments.length).toBeGreaterThan(2);
      expect(codecsStored(log)).toEqual(batches.map((_, b) => codecs[b % codecs.length]));
      // A crash: reopened without close, so the tail is validated batch by batch (decompressing each).
      const reopened = makeWith(storage, {}, false);
      reopened.highWatermark = reopened.logEndOffset;
      expect(readAll(reopened)).toEqual(expected);
      for (const t of [T0, T0 + 15, T0 + 333, T0 + 990, T0 + 991]) {
        const want = expected.findIndex((r) => r.timestampMs >= t);
        expect(reopened.offsetForTimestamp(t), `t=${t}`).toBe(want < 0 ? null : want);
      }
      reopened.close();
    });

    it('recovery cuts a compressed batch whose CRC holds but whose section does not decompress to its records', () => {
      for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
        const storage = new MemoryStorage();
        const log = makeWith(storage, { 'segment.bytes': 1 << 20 }, true);
        for (const records of batches.slice(0, 3)) log.append(encodeBatch(records, { compression: codec }));
        const file = `/log/z-0/${segmentFileName(0, '.log')}`;
        const bytes = Buffer.from(storage.readFile(file)!);
        let last = 0;
        for (let p = 0, n = 0; n < 3; n++, p += 12 + bytes.readInt32BE(p + 8)) last = p;
        expect(checkBatch(bytes, last)).toMatchObject({ kind: 'ok', size: bytes.length - last });
        // Damage the last batch's compressed section, then make its CRC valid again: only decompressing finds it.
        for (let i = last + 70; i < bytes.length - 4; i += 7) bytes[i] = 0x55;
        bytes.writeUInt32BE(crc32c(bytes, last + 21, bytes.length), last + 17);
        storage.writeFileAtomic(file, bytes);
        const reopened = makeWith(storage, {}, false);
        expect(reopened.logEndOffset, codec).toBe(10);
        reopened.close();
      }
    });

    it('are re-coded to the topic codec under compression.type gzip/snappy/lz4/zstd/uncompressed, keeping offsets, records and idempotence', () => {
      for (const type of ['uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
        const log = makeWith(new MemoryStorage(), { 'compression.type': type }, true);
        const expected: Rec[] = [];
        batches.slice(0, 10).forEach((records, b) => {
          const batch = encodeBatch(records, { compression: codecs[b % codecs.length]!, producerId: 5, producerEpoch: 0, baseSequence: b * 5 });
          const info = log.append(batch);
          expect(info.isDuplicate).toBe(false);
          // The same batch again (a producer's retry) is recognised as a duplicate, whatever the stored codec.
          expect(log.append(encodeBatch(records, { compression: codecs[(b + 1) % codecs.length]!, producerId: 5, producerEpoch: 0, baseSequence: b * 5 }))).toMatchObject({
            baseOffset: info.baseOffset,
            isDuplicate: true,
          });
          log.highWatermark = log.logEndOffset;
          records.forEach((r, i) => expected.push(toRec(r, info.baseOffset + i)));
        });
        expect(codecsStored(log)).toEqual(Array.from({ length: 10 }, () => (type === 'uncompressed' ? 'none' : type)));
        expect(readAll(log)).toEqual(expected);
        log.close();
      }
    });
  });

  it('refuses to append after close, and validate() refuses what append would', () => {
    const log = make(new MemoryStorage(), true);
    expect(() => log.validate(Buffer.alloc(70))).toThrow(expect.objectContaining({ code: 'CORRUPT_RECORD', topic: 't', partition: 0 }));
    log.close();
    expect(() => log.append(encodeBatch([{ key: null, value: null, timestampMs: T0 }]))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});
