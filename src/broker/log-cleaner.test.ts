import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { Broker } from './broker.js';
import { crc32c } from './crc32c.js';
import { segmentFileName } from './log-segment.js';
import { checkBatch, compressionOf, decodeRecords, encodeBatch, hasDeleteHorizonMs, isControlBatch, readBatchHeader, type CompressionCodec, type RecordInput } from './record-batch.js';
import { FileStorage, MemoryStorage, type LogFile, type Storage } from './storage.js';
import type { TopicConfigInput } from './topic-config.js';

const TOPIC = 'compacted';
const START_MS = 1_700_000_000_000;
const NEVER_ROLL_MS = 10 * 365 * 86_400_000;

/** One record as read back from the log. */
interface ReadRecord {
  readonly offset: number;
  readonly key: string;
  readonly value: string | null;
  readonly timestampMs: number;
}

/** One record as the model appended it. */
interface AppendedRecord extends ReadRecord {
  /** Time of the first maintenance whose cleanable range held this record (tombstones only). */
  firstCleanedMs?: number;
  firstCleanedRound?: number;
  /** Set once a cleaning past the tombstone's horizon has removed it for good. */
  isDropped?: boolean;
}

const tmpRoots: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-cleaner-'));
  tmpRoots.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

function openBroker(storage: Storage, dataDir: string, clock: ManualClock): Promise<Broker> {
  return Broker.open({ storage, dataDir, clock, logger: silentLogger(), maintenanceIntervalMs: 0, offsetsTopicPartitions: 1 });
}

/**
 * Every record of partition 0 from the log start to the high watermark, checking each batch's CRC on the way.
 * `maxBytes` 1 reads one batch per call, so every read goes through the offset index (as a consumer's would).
 */
function readLog(broker: Broker, maxBytes = 1 << 20): ReadRecord[] {
  const log = broker.partitionLog(TOPIC, 0);
  const out: ReadRecord[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = log.read(offset, maxBytes);
    if (r.bytes.length === 0) break;
    for (let p = 0; p < r.bytes.length; ) {
      const check = checkBatch(r.bytes, p, r.bytes.length);
      if (check.kind !== 'ok') throw new Error(`bad batch at ${p}: ${check.kind}`);
      if (!isControlBatch(check.header.attributes)) {
        for (const rec of decodeRecords(r.bytes, p, check.header)) {
          if (rec.offset < offset) continue;
          out.push({ offset: rec.offset, key: rec.key?.toString('utf8') ?? '<null>', value: rec.value?.toString('utf8') ?? null, timestampMs: rec.timestampMs });
        }
      }
      p += check.size;
    }
    expect(r.nextOffset).toBeGreaterThan(offset);
    offset = r.nextOffset;
  }
  return out;
}

/** A copy of every file under `root` of a memory storage: the state a crash at this instant would leave. */
function cloneMemory(src: MemoryStorage, root: string): MemoryStorage {
  const dst = new MemoryStorage();
  const walk = (dir: string): void => {
    dst.mkdirp(dir);
    for (const name of src.list(dir)) {
      const p = path.join(dir, name);
      const bytes = src.readFile(p);
      if (bytes === null) walk(p);
      else dst.writeFileAtomic(p, bytes);
    }
  };
  walk(root);
  return dst;
}

function append(broker: Broker, records: readonly { key: string; value: string | null }[], timestampMs: number, compression: CompressionCodec = 'none'): Promise<unknown> {
  const input: RecordInput[] = records.map((r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), timestampMs }));
  return broker.produce([{ topic: TOPIC, partition: 0, batch: encodeBatch(input, { compression }) }]);
}

// ------------------------------------------------------------------------------------------------ the model

type Op =
  | { readonly kind: 'append'; readonly entries: readonly { readonly key: number; readonly isDelete: boolean }[]; readonly codec: CompressionCodec }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'maintain' }
  | { readonly kind: 'reopen'; readonly isClean: boolean };

interface Scenario {
  readonly minLagMs: number;
  readonly deleteRetentionMs: number;
  readonly segmentBytes: number;
  readonly ops: readonly Op[];
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 5 }), isDelete: fc.integer({ min: 0, max: 4 }).map((n) => n === 0) }), { minLength: 1, maxLength: 3 }),
        // Compaction must keep compressed batches readable (and compressed): a few appends use each codec.
        fc.constantFrom<CompressionCodec>('none', 'none', 'none', 'gzip', 'snappy', 'lz4', 'zstd'),
      )
      .map(([entries, codec]) => ({ kind: 'append' as const, entries, codec })),
  },
  { weight: 3, arbitrary: fc.constantFrom(1, 5, 10, 10, 20, 30, 50).map((ms) => ({ kind: 'advance' as const, ms })) },
  { weight: 3, arbitrary: fc.constant({ kind: 'maintain' as const }) },
  { weight: 1, arbitrary: fc.boolean().map((isClean) => ({ kind: 'reopen' as const, isClean })) },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  minLagMs: fc.constantFrom(0, 0, 40, 150),
  deleteRetentionMs: fc.constantFrom(0, 30, 100, 400),
  segmentBytes: fc.integer({ min: 150, max: 400 }),
  ops: fc.array(opArb, { minLength: 5, maxLength: 60 }),
});

/**
 * Runs a scenario against the broker and a Map model. The model knows, per record, whether the cleaner has had it
 * in its cleanable range (closed segments whose newest record is at least min.compaction.lag.ms old) and when a
 * tombstone was first in that range; from that it says exactly which records must be readable after each cleaning.
 */
class Harness {
  readonly clock = new ManualClock(START_MS);
  readonly appended: AppendedRecord[] = [];
  readonly #config: TopicConfigInput;
  #cleanedEnd = 0;
  #round = 0;
  #seq = 0;
  broker!: Broker;
  storage: Storage;
  dataDir: string;

  constructor(
    storage: Storage,
    dataDir: string,
    readonly scenario: Scenario,
  ) {
    this.storage = storage;
    this.dataDir = dataDir;
    this.#config = {
      'cleanup.policy': 'compact',
      'segment.bytes': scenario.segmentBytes,
      'segment.ms': NEVER_ROLL_MS,
      'min.compaction.lag.ms': scenario.minLagMs,
      'delete.retention.ms': scenario.deleteRetentionMs,
      'index.interval.bytes': 100,
    };
  }

  async start(): Promise<void> {
    this.broker = await openBroker(this.storage, this.dataDir, this.clock);
    this.broker.createTopic(TOPIC, 1, this.#config);
  }

  async apply(op: Op): Promise<void> {
    switch (op.kind) {
      case 'append': {
        const ts = this.clock.nowMs();
        const entries = op.entries.map((e) => ({ key: `k${e.key}`, value: e.isDelete ? null : `k${e.key}=${this.#seq++}` }));
        const [info] = (await append(this.broker, entries, ts, op.codec)) as { baseOffset: number }[];
        entries.forEach((e, i) => this.appended.push({ offset: info!.baseOffset + i, key: e.key, value: e.value, timestampMs: ts }));
        return;
      }
      case 'advance':
        this.clock.advance(op.ms);
        return;
      case 'maintain':
        await this.#maintain();
        return;
      case 'reopen':
        await this.#reopen(op.isClean);
        return;
    }
  }

  async #maintain(): Promise<void> {
    const now = this.clock.nowMs();
    const log = this.broker.partitionLog(TOPIC, 0);
    // The cleanable range: the closed segments up to the first one holding a record younger than the lag.
    let end = this.#cleanedEnd;
    for (const s of log.segments.slice(0, -1)) {
      if (s.maxTimestamp > now - this.scenario.minLagMs) break;
      end = Math.max(end, s.nextOffset);
    }
    const round = ++this.#round;
    for (const r of this.appended) {
      if (r.offset < end && r.value === null && r.firstCleanedMs === undefined) {
        r.firstCleanedMs = now;
        r.firstCleanedRound = round;
      }
    }
    this.#cleanedEnd = end;
    // A tombstone goes at a later cleaning whose time is past delete.retention.ms after the one that first saw it.
    for (const r of this.appended) {
      if (r.firstCleanedRound !== undefined && r.firstCleanedRound < round && now >= r.firstCleanedMs! + this.scenario.deleteRetentionMs) r.isDropped = true;
    }
    const before = readLog(this.broker, 1);
    await this.broker.runMaintenance();
    const after = readLog(this.broker);
    expect(after).toEqual(this.expected());
    expect(readLog(this.broker, 1)).toEqual(after);
    // Records younger than min.compaction.lag.ms are untouched, whatever else happened.
    const young = before.filter((r) => r.timestampMs > now - this.scenario.minLagMs);
    const afterOffsets = new Set(after.map((r) => r.offset));
    for (const r of young) expect(afterOffsets.has(r.offset)).toBe(true);
  }

  /** What the log must hold after the last cleaning. */
  expected(): ReadRecord[] {
    const latestInRange = new Map<string, number>();
    for (const r of this.appended) if (r.offset < this.#cleanedEnd) latestInRange.set(r.key, r.offset);
    const out: ReadRecord[] = [];
    for (const r of this.appended) {
      if (r.offset < this.#cleanedEnd && (latestInRange.get(r.key) !== r.offset || r.isDropped === true)) continue;
      out.push({ offset: r.offset, key: r.key, value: r.value, timestampMs: r.timestampMs });
    }
    return out;
  }

  async #reopen(isClean: boolean): Promise<void> {
    const before = readLog(this.broker);
    if (isClean) {
      await this.broker.close();
    } else {
      // Let pending segment syncs land, then take the files as a killed process would leave them.
      await nextTurn();
      const crashed = this.broker;
      if (this.storage instanceof MemoryStorage) {
        this.storage = cloneMemory(this.storage, this.dataDir);
      } else {
        const copy = `${this.dataDir}-crash${this.#round}-${this.#seq}`;
        fs.cpSync(this.dataDir, copy, { recursive: true });
        this.dataDir = copy;
      }
      await crashed.close();
    }
    this.broker = await openBroker(this.storage, this.dataDir, this.clock);
    expect(readLog(this.broker)).toEqual(before);
    expect(readLog(this.broker, 1)).toEqual(before);
  }

  async close(): Promise<void> {
    await this.broker.close();
  }
}

async function runScenario(storage: Storage, dataDir: string, scenario: Scenario): Promise<void> {
  const h = new Harness(storage, dataDir, scenario);
  await h.start();
  try {
    for (const op of scenario.ops) await h.apply(op);
    // Finally: everything closed is cleanable, and every tombstone's horizon is passed.
    h.broker.partitionLog(TOPIC, 0).roll();
    h.clock.advance(scenario.minLagMs + 1);
    await h.apply({ kind: 'maintain' });
    h.clock.advance(scenario.deleteRetentionMs + 1);
    await h.apply({ kind: 'maintain' });
    const left = readLog(h.broker);
    const keys = left.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length); // one record per key once all is clean
    expect(left.every((r) => r.value !== null)).toBe(true); // and no tombstone past its horizon
    await h.apply({ kind: 'reopen', isClean: false });
    await h.apply({ kind: 'reopen', isClean: true });
  } finally {
    await h.close();
  }
}

describe('log cleaner against a Map model', () => {
  it('keeps the latest record per key at its offset, drops superseded ones and tombstones past their horizon (memory)', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        await runScenario(new MemoryStorage(), '/data', scenario);
      }),
      { numRuns: 200 },
    );
  });

  it('does the same on files, across clean and unclean reopens', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        await runScenario(new FileStorage(), path.join(tmpDir(), 'data'), scenario);
      }),
      { numRuns: 6 },
    );
  });
});

// ------------------------------------------------------------------------------------------------ crash during the swap

/** A killed process's files, for either storage: a copy of the data directory at this instant. */
function snapshot(storage: Storage, dataDir: string): { storage: Storage; dataDir: string } {
  if (storage instanceof MemoryStorage) return { storage: cloneMemory(storage, dataDir), dataDir };
  const copy = path.join(tmpDir(), 'data');
  fs.cpSync(dataDir, copy, { recursive: true });
  return { storage: new FileStorage(), dataDir: copy };
}

/**
 * A partition whose first segment holds ten same-sized batches (so index positions line up with batch starts):
 * offsets 0, 3-7 have unique keys, 1, 2, 8, 9 share a key that offset 10 (the second segment) supersedes. The
 * offset index has entries at offsets 0 and 5. Cleaning rewrites only the first segment, to offsets 0, 3-7.
 */
async function swapFixture(kind: 'memory' | 'file'): Promise<{
  pre: { storage: Storage; dataDir: string };
  preRead: ReadRecord[];
  postRead: ReadRecord[];
  cleanedSegment: Buffer;
  partitionDir: string;
}> {
  const clock = new ManualClock(START_MS);
  const storage = kind === 'memory' ? new MemoryStorage() : new FileStorage();
  const dataDir = kind === 'memory' ? '/swap' : path.join(tmpDir(), 'data');
  const broker = await openBroker(storage, dataDir, clock);
  const batchBytes = encodeBatch([{ key: Buffer.from('u000'), value: Buffer.from('v000'), timestampMs: START_MS }]).length;
  broker.createTopic(TOPIC, 1, {
    'cleanup.policy': 'compact',
    'segment.bytes': 10 * batchBytes,
    'index.interval.bytes': 5 * batchBytes,
    'segment.ms': NEVER_ROLL_MS,
  });
  const dup = new Set([1, 2, 8, 9, 10]);
  for (let i = 0; i <= 10; i++) {
    const key = dup.has(i) ? 'dup_' : `u${String(i).padStart(3, '0')}`;
    await append(broker, [{ key, value: `v${String(i).padStart(3, '0')}` }], START_MS);
  }
  const log = broker.partitionLog(TOPIC, 0);
  log.roll();
  expect(log.segments.map((s) => s.baseOffset)).toEqual([0, 10, 11]);
  // Let the rolled segments' fdatasyncs land, so the recovery point passes them and a reopen trusts their indexes.
  for (let i = 0; i < 400 && log.recoveryPoint < 11; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(log.recoveryPoint).toBe(11);
  const preRead = readLog(broker);
  const pre = snapshot(storage, dataDir);
  const { partitionsCompacted } = await broker.runMaintenance();
  expect(partitionsCompacted).toBe(1);
  const postRead = readLog(broker);
  expect(postRead.map((r) => r.offset)).toEqual([0, 3, 4, 5, 6, 7, 10]);
  const partitionDir = path.join(dataDir, `${TOPIC}-0`);
  const cleanedSegment = storage.readFile(path.join(partitionDir, segmentFileName(0, '.log')))!;
  await broker.close();
  return { pre, preRead, postRead, cleanedSegment, partitionDir: path.basename(partitionDir) };
}

/** Opens a crashed copy, checks it reads `expected` (whole and batch by batch), then that cleaning and reopening agree. */
async function expectConsistent(files: { storage: Storage; dataDir: string }, expected: ReadRecord[], postRead: ReadRecord[], partitionDir: string): Promise<void> {
  const clock = new ManualClock(START_MS);
  let broker = await openBroker(files.storage, files.dataDir, clock);
  expect(files.storage.exists(path.join(files.dataDir, partitionDir, 'cleaning'))).toBe(false);
  expect(readLog(broker)).toEqual(expected);
  expect(readLog(broker, 1)).toEqual(expected);
  await broker.runMaintenance();
  expect(readLog(broker, 1)).toEqual(postRead);
  await broker.close();
  broker = await openBroker(files.storage, files.dataDir, clock);
  expect(readLog(broker, 1)).toEqual(postRead);
  await broker.close();
}

describe.each(['memory', 'file'] as const)('a crash during the compaction swap (%s storage)', (kind) => {
  it('without READY: the half-written copy is discarded and the original segment stands', async () => {
    const f = await swapFixture(kind);
    const files = snapshot(f.pre.storage, f.pre.dataDir);
    const cleaning = path.join(files.dataDir, f.partitionDir, 'cleaning');
    files.storage.mkdirp(cleaning);
    files.storage.writeFileAtomic(path.join(cleaning, segmentFileName(0, '.log')), f.cleanedSegment.subarray(0, Math.floor(f.cleanedSegment.length / 2)));
    await expectConsistent(files, f.preRead, f.postRead, f.partitionDir);
  });

  it('with READY and the rename not done: the swap is completed at open', async () => {
    const f = await swapFixture(kind);
    const files = snapshot(f.pre.storage, f.pre.dataDir);
    const cleaning = path.join(files.dataDir, f.partitionDir, 'cleaning');
    files.storage.mkdirp(cleaning);
    files.storage.writeFileAtomic(path.join(cleaning, segmentFileName(0, '.log')), f.cleanedSegment);
    files.storage.writeFileAtomic(path.join(cleaning, 'READY'), Buffer.from('1'));
    await expectConsistent(files, f.postRead, f.postRead, f.partitionDir);
  });

  it('at any write of a cleaning, reopening reads either the log before it or the log after it', async () => {
    const f = await swapFixture(kind);
    // Count the writes one cleaning makes, then crash at each of them in turn.
    const dry = await crashingCopy(f.pre, Infinity);
    await dry.broker.runMaintenance();
    expect(readLog(dry.broker, 1)).toEqual(f.postRead);
    const writes = dry.storage.writes;
    expect(writes).toBeGreaterThan(5);
    await dry.broker.close();
    const outcomes = new Set<string>();
    for (let crashAt = 1; crashAt <= writes; crashAt++) {
      const c = await crashingCopy(f.pre, crashAt);
      await expect(c.broker.runMaintenance()).rejects.toThrow(/simulated crash/);
      // The crashed broker is abandoned (its storage refuses every later write); a new one opens its files.
      const files = kind === 'memory' ? { storage: c.storage.inner, dataDir: c.dataDir } : snapshot(c.storage.inner, c.dataDir);
      const broker = await openBroker(files.storage, files.dataDir, new ManualClock(START_MS));
      const read = readLog(broker, 1);
      expect(files.storage.exists(path.join(files.dataDir, f.partitionDir, 'cleaning'))).toBe(false);
      expect([f.preRead, f.postRead]).toContainEqual(read);
      expect(readLog(broker)).toEqual(read);
      outcomes.add(read.length === f.preRead.length ? 'before' : 'after');
      await broker.runMaintenance();
      expect(readLog(broker, 1)).toEqual(f.postRead);
      await broker.close();
    }
    expect([...outcomes].sort()).toEqual(['after', 'before']);
  });
});

/** A storage that fails (as a killed process stops) at its `crashAt`-th write and refuses every write after it. */
class CrashingStorage implements Storage {
  readonly kind: 'file' | 'memory';
  writes = 0;
  isArmed = false;
  #isCrashed = false;

  constructor(
    readonly inner: Storage,
    readonly crashAt: number,
  ) {
    this.kind = inner.kind;
  }

  /** Counts a write while armed; throws at the crash point and ever after. */
  write(): void {
    if (this.#isCrashed) throw new Error('simulated crash: the process is gone');
    if (!this.isArmed) return;
    if (++this.writes >= this.crashAt) {
      this.#isCrashed = true;
      throw new Error('simulated crash');
    }
  }

  mkdirp(dir: string): void {
    this.write();
    this.inner.mkdirp(dir);
  }
  list(dir: string): string[] {
    return this.inner.list(dir);
  }
  exists(p: string): boolean {
    return this.inner.exists(p);
  }
  open(p: string): LogFile {
    this.write();
    const f = this.inner.open(p);
    const write = (): void => this.write();
    return {
      path: f.path,
      get size() {
        return f.size;
      },
      append(data) {
        write();
        f.append(data);
      },
      read: (position, length) => f.read(position, length),
      truncate(size) {
        write();
        f.truncate(size);
      },
      sync: () => f.sync(),
      syncNow: () => f.syncNow(),
      close: () => f.close(),
    };
  }
  readFile(p: string): Buffer | null {
    return this.inner.readFile(p);
  }
  writeFileAtomic(p: string, data: Uint8Array): void {
    this.write();
    this.inner.writeFileAtomic(p, data);
  }
  remove(p: string): void {
    this.write();
    this.inner.remove(p);
  }
  removeDir(p: string): void {
    this.write();
    this.inner.removeDir(p);
  }
  rename(from: string, to: string): void {
    this.write();
    this.inner.rename(from, to);
  }
}

/** A broker over a copy of `files` whose storage crashes at the `crashAt`-th write from now on. */
async function crashingCopy(files: { storage: Storage; dataDir: string }, crashAt: number): Promise<{ broker: Broker; storage: CrashingStorage; dataDir: string }> {
  const copy = snapshot(files.storage, files.dataDir);
  const storage = new CrashingStorage(copy.storage, crashAt);
  const broker = await openBroker(storage, copy.dataDir, new ManualClock(START_MS));
  storage.isArmed = true;
  return { broker, storage, dataDir: copy.dataDir };
}

// ------------------------------------------------------------------------------------------------ no stalls

describe('a long compaction', () => {
  it('lets appends and fetches complete while it runs', async () => {
    const clock = new ManualClock(START_MS);
    const broker = await openBroker(new MemoryStorage(), '/stall', clock);
    broker.createTopic(TOPIC, 1, { 'cleanup.policy': 'compact', 'segment.bytes': 256 * 1024, 'segment.ms': NEVER_ROLL_MS });
    const value = 'x'.repeat(1000);
    for (let i = 0; i < 6000; i += 50) {
      const batch = [];
      for (let j = i; j < i + 50; j++) batch.push({ key: `key-${j % 400}`, value: `${j}:${value}` });
      await append(broker, batch, START_MS);
    }
    const log = broker.partitionLog(TOPIC, 0);
    log.roll();
    expect(log.sizeBytes).toBeGreaterThan(5 << 20);

    let isCleaning = true;
    const cleaning = broker.runMaintenance().finally(() => {
      isCleaning = false;
    });
    const tail = log.highWatermark;
    let fetchedWhileCleaning = false;
    const fetch = broker.fetch([{ topic: TOPIC, partition: 0, offset: tail }], { maxWaitMs: 30_000 }).then((r) => {
      fetchedWhileCleaning = isCleaning && r[0]!.bytes.length > 0;
      return r;
    });
    let appendsWhileCleaning = 0;
    let appends = 0;
    for (let i = 0; i < 200 && isCleaning; i++) {
      await append(broker, [{ key: `late-${i}`, value: String(i) }], START_MS);
      appends++;
      if (isCleaning) appendsWhileCleaning++;
      await nextTurn();
    }
    const { partitionsCompacted } = await cleaning;
    await fetch;
    expect(partitionsCompacted).toBe(1);
    expect(appendsWhileCleaning).toBeGreaterThanOrEqual(3);
    expect(fetchedWhileCleaning).toBe(true);
    // The cleaning really ran: one record per key remains in the cleaned range, and every late append is there.
    const records = readLog(broker);
    expect(records.filter((r) => r.offset < tail).length).toBe(400);
    expect(records.filter((r) => r.key.startsWith('late-')).length).toBe(appends);
    await broker.close();
  });
});

describe('overlapping maintenance runs', () => {
  it('never interleave two cleanings of one partition', async () => {
    const clock = new ManualClock(START_MS);
    const broker = await openBroker(new MemoryStorage(), '/overlap', clock);
    broker.createTopic(TOPIC, 1, { 'cleanup.policy': 'compact', 'segment.bytes': 256 * 1024, 'segment.ms': NEVER_ROLL_MS });
    const value = 'x'.repeat(1000);
    for (let i = 0; i < 4000; i += 50) {
      const batch = [];
      for (let j = i; j < i + 50; j++) batch.push({ key: `key-${j % 3000}`, value: `${j}:${value}` });
      await append(broker, batch, START_MS);
    }
    broker.partitionLog(TOPIC, 0).roll();
    // A maintenance timer fires again while the previous run is still cleaning.
    const first = broker.runMaintenance();
    await nextTurn();
    await nextTurn();
    const second = broker.runMaintenance();
    await Promise.all([first, second]);
    const records = readLog(broker);
    const keys = records.map((r) => r.key);
    expect(new Set(keys).size).toBe(3000);
    expect(keys.length).toBe(3000);
    for (const r of records) expect(Number(r.value!.split(':')[0])).toBe(r.offset);
    await broker.close();
  });
});

describe('compaction of transactional data', () => {
  it('treats committed records like plain ones, removes aborted ones, keeps markers, and stops at the first open transaction', async () => {
    const clock = new ManualClock(START_MS);
    const broker = await Broker.open({ clock, logger: silentLogger(), maintenanceIntervalMs: 0, offsetsTopicPartitions: 1, transactionAbortTimedOutIntervalMs: 0 });
    try {
      broker.createTopic(TOPIC, 1, { 'cleanup.policy': 'compact', 'segment.bytes': 200, 'segment.ms': NEVER_ROLL_MS });
      const tc = broker.transactions;
      const { producerId, producerEpoch } = await tc.initProducerId('tx', 60_000);
      let seq = 0;
      const txSend = async (key: string, value: string): Promise<void> => {
        await tc.addPartitionsToTxn('tx', producerId, producerEpoch, [{ topic: TOPIC, partition: 0 }]);
        const batch = encodeBatch([{ key: Buffer.from(key), value: Buffer.from(value), timestampMs: START_MS }], { producerId, producerEpoch, baseSequence: seq++, isTransactional: true });
        await broker.produce([{ topic: TOPIC, partition: 0, batch }]);
      };
      await append(broker, [{ key: 'a', value: 'a-plain' }, { key: 'b', value: 'b-plain' }], START_MS);
      await txSend('a', 'a-aborted'); // must not make a-plain disappear
      await tc.endTxn('tx', producerId, producerEpoch, false);
      await txSend('b', 'b-committed'); // supersedes b-plain
      await tc.endTxn('tx', producerId, producerEpoch, true);
      await append(broker, [{ key: 'c', value: 'c-plain' }], START_MS);
      await txSend('c', 'c-open'); // open: neither it nor anything after it is cleaned
      await append(broker, [{ key: 'c', value: 'c-plain-2' }, { key: 'd', value: 'd-plain' }], START_MS);
      await append(broker, [{ key: 'd', value: 'd-plain-2' }], START_MS);
      const log = broker.partitionLog(TOPIC, 0);
      expect(log.segments.length).toBeGreaterThan(4);
      const values = (): (string | null)[] => readLog(broker).map((r) => r.value);

      await broker.runMaintenance();
      expect(values()).toEqual(['a-plain', 'b-committed', 'c-plain', 'c-open', 'c-plain-2', 'd-plain', 'd-plain-2']);
      const markers = (): number => {
        let n = 0;
        for (let o = log.logStartOffset; o < log.highWatermark; ) {
          const r = log.read(o, 1);
          if (isControlBatch(r.bytes.readInt16BE(21))) n++;
          o = r.nextOffset;
        }
        return n;
      };
      expect(markers()).toBe(2);

      await tc.endTxn('tx', producerId, producerEpoch, false);
      await append(broker, [{ key: 'e', value: 'e' }], START_MS); // roll past the marker
      await append(broker, [{ key: 'e', value: 'e2' }], START_MS);
      await broker.runMaintenance();
      // Now the aborted c-open and everything superseded go; 'e' stays only if it is still in the active segment.
      expect(values().filter((v) => v !== 'e')).toEqual(['a-plain', 'b-committed', 'c-plain-2', 'd-plain-2', 'e2']);
      expect(markers()).toBe(3);
    } finally {
      await broker.close();
    }
  });
});

describe('compaction of compressed batches', () => {
  it('rewrites a batch it drops records from with the same codec, and copies a batch that keeps them all byte for byte', async () => {
    const clock = new ManualClock(START_MS);
    const broker = await openBroker(new MemoryStorage(), '/data', clock);
    try {
      broker.createTopic(TOPIC, 1, { 'cleanup.policy': 'compact', 'segment.bytes': 1 << 20, 'segment.ms': NEVER_ROLL_MS });
      const log = broker.partitionLog(TOPIC, 0);
      const kv = (k: string, v: string | null): { key: string; value: string | null } => ({ key: k, value: v === null ? null : `${v} `.repeat(20) });
      await append(broker, [kv('a', 'a1'), kv('b', 'b1'), kv('c', 'c1')], START_MS, 'zstd'); // offsets 0-2: a1 superseded
      await append(broker, [kv('d', 'd1'), kv('e', 'e1')], START_MS, 'snappy'); // 3-4: kept whole
      await append(broker, [kv('a', 'a2'), kv('f', null)], START_MS, 'lz4'); // 5-6: a tombstone gets its delete horizon
      await append(broker, [kv('b', 'b2')], START_MS, 'gzip'); // 7: supersedes b1
      log.roll();
      await append(broker, [kv('z', 'z')], START_MS); // the active segment
      /** Each batch's first offset, codec, and bytes (baseOffset included). */
      const batches = (): { offset: number; codec: string; bytes: string }[] => {
        const out: { offset: number; codec: string; bytes: string }[] = [];
        for (let o = log.logStartOffset; o < log.highWatermark; ) {
          const r = log.read(o, 1);
          const h = readBatchHeader(r.bytes, 0);
          out.push({ offset: h.baseOffset, codec: compressionOf(h.attributes), bytes: r.bytes.subarray(0, 12 + h.batchLength).toString('hex') });
          o = r.nextOffset;
        }
        return out;
      };
      const before = batches();
      await broker.runMaintenance();
      const after = batches();
      expect(after.map((b) => [b.offset, b.codec])).toEqual([[2, 'zstd'], [3, 'snappy'], [5, 'lz4'], [7, 'gzip'], [8, 'none']]);
      expect(after[1]!.bytes).toBe(before[1]!.bytes);
      expect(after[3]!.bytes).toBe(before[3]!.bytes);
      expect(after[0]!.bytes).not.toBe(before[0]!.bytes);
      expect(hasDeleteHorizonMs(readBatchHeader(Buffer.from(after[2]!.bytes, 'hex'), 0).attributes)).toBe(true);
      expect(readLog(broker).map((r) => [r.offset, r.key, r.value?.slice(0, 2) ?? null])).toEqual([
        [2, 'c', 'c1'],
        [3, 'd', 'd1'],
        [4, 'e', 'e1'],
        [5, 'a', 'a2'],
        [6, 'f', null],
        [7, 'b', 'b2'],
        [8, 'z', 'z '],
      ]);
    } finally {
      await broker.close();
    }
  });

  it('refuses to rewrite a compressed batch whose section does not decompress, though its CRC holds, and leaves it in place', async () => {
    const clock = new ManualClock(START_MS);
    const broker = await openBroker(new MemoryStorage(), '/data', clock);
    try {
      broker.createTopic(TOPIC, 1, { 'cleanup.policy': 'compact', 'segment.bytes': 1 << 20, 'segment.ms': NEVER_ROLL_MS });
      const bad = encodeBatch(
        ['a', 'b'].map((k) => ({ key: Buffer.from(k), value: Buffer.from(`${k} `.repeat(30)), timestampMs: START_MS })),
        { compression: 'lz4' },
      );
      bad[61]! ^= 0xff; // the LZ4 frame's magic
      bad.writeUInt32BE(crc32c(bad, 21, bad.length), 17);
      broker.appendSync(TOPIC, 0, bad, true); // trusted: not validated, as if written by a buggy producer in-process
      await append(broker, [{ key: 'a', value: 'a2' }], START_MS);
      const log = broker.partitionLog(TOPIC, 0);
      log.roll();
      await append(broker, [{ key: 'z', value: 'z' }], START_MS);
      await expect(broker.runMaintenance()).rejects.toMatchObject({ code: 'CORRUPT_RECORD', topic: TOPIC, partition: 0, offset: 0, message: expect.stringMatching(/compaction found a corrupt batch.*lz4 frame: bad magic/) });
      expect(log.read(0, 1).bytes.subarray(0, bad.length).equals(bad)).toBe(true);
    } finally {
      await broker.close();
    }
  });
});
