import * as path from 'node:path';
import type { Logger } from 'pino';
import { StreamsError } from '../errors.js';
import { checkBatch, decodeRecords, MAGIC_V2 } from './record-batch.js';
import type { LogFile, Storage } from './storage.js';
import { readInt64BE } from './varint.js';

/** Byte offsets of the batch header fields the log reads without decoding (Kafka's DefaultRecordBatch layout). */
export const BATCH = {
  baseOffset: 0,
  length: 8,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  headerBytes: 61,
} as const;

/** Smallest legal batch: the 61-byte header with zero records (49 bytes counted by batchLength). */
const MIN_BATCH_LENGTH = BATCH.headerBytes - 12;


/** The name Kafka gives a segment file: the base offset as 20 zero-padded digits. */
export function segmentFileName(baseOffset: number, suffix: '.log' | '.index' | '.timeindex'): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** What a fetch read from one segment: whole batches only. */
export interface SegmentRead {
  readonly bytes: Buffer;
  /** Offset after the last batch returned (where the next fetch continues). */
  readonly nextOffset: number;
}

/** Result of scanning a segment at recovery. */
export interface SegmentRecovery {
  readonly truncatedBytes: number;
  readonly reason: string | null;
}

/**
 * One segment of a partition: `<base offset>.log` holding record batches v2 back to back, a sparse offset index
 * (`.index`: relative offset int32, file position int32, one entry per `index.interval.bytes`) and a time index
 * (`.timeindex`: max timestamp so far int64, relative offset int32). Both indexes are also held in memory.
 */
export class LogSegment {
  readonly baseOffset: number;
  readonly log: LogFile;
  readonly #offsetIndexFile: LogFile;
  readonly #timeIndexFile: LogFile;
  readonly #indexIntervalBytes: number;
  #idxOffsets: number[] = [];
  #idxPositions: number[] = [];
  #timeStamps: number[] = [];
  #timeOffsets: number[] = [];
  #bytesSinceIndex = 0;
  /** Index entries already in the index files; the rest are written at sync/roll/close (recovery rebuilds them). */
  #idxWritten = 0;
  #timeWritten = 0;
  /** Offset after the last batch in this segment (baseOffset when empty). */
  nextOffset: number;
  /** Largest record timestamp in this segment, -1 when empty. */
  maxTimestamp = -1;
  /** Clock time of the first append (or of opening, for a reopened non-empty segment); drives `segment.ms`. */
  firstAppendMs: number | null = null;

  private constructor(storage: Storage, dir: string, baseOffset: number, indexIntervalBytes: number) {
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.#indexIntervalBytes = indexIntervalBytes;
    this.log = storage.open(path.join(dir, segmentFileName(baseOffset, '.log')));
    this.#offsetIndexFile = storage.open(path.join(dir, segmentFileName(baseOffset, '.index')));
    this.#timeIndexFile = storage.open(path.join(dir, segmentFileName(baseOffset, '.timeindex')));
  }

  /** Creates a new, empty segment (any stale files of that name are emptied). */
  static create(storage: Storage, dir: string, baseOffset: number, indexIntervalBytes: number): LogSegment {
    const s = new LogSegment(storage, dir, baseOffset, indexIntervalBytes);
    s.log.truncate(0);
    s.#offsetIndexFile.truncate(0);
    s.#timeIndexFile.truncate(0);
    return s;
  }

  /**
   * Opens an existing segment. With `recover`, every batch is validated (CRC, grammar, offsets ascending) and the
   * indexes rebuilt; a torn or corrupt tail is cut off. Without it, the indexes are loaded and only the tail after
   * the last index entry is read.
   */
  static open(
    storage: Storage,
    dir: string,
    baseOffset: number,
    indexIntervalBytes: number,
    options: { recover: boolean; maxBatchBytes: number; nowMs: number; logger: Logger },
  ): { segment: LogSegment; recovery: SegmentRecovery } {
    const s = new LogSegment(storage, dir, baseOffset, indexIntervalBytes);
    let recovery: SegmentRecovery = { truncatedBytes: 0, reason: null };
    if (options.recover || !s.#loadIndexes()) {
      recovery = s.#recover(options.maxBatchBytes);
    }
    if (s.log.size > 0) s.firstAppendMs = options.nowMs;
    return { segment: s, recovery };
  }

  get size(): number {
    return this.log.size;
  }

  get isEmpty(): boolean {
    return this.log.size === 0;
  }

  /** Appends one batch whose offsets were already assigned. */
  append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number, nowMs: number): void {
    const position = this.log.size;
    this.log.append(batch);
    if (this.firstAppendMs === null) this.firstAppendMs = nowMs;
    this.#indexBatch(baseOffset, lastOffset, maxTimestamp, position, batch.length);
    this.nextOffset = lastOffset + 1;
  }

  #indexBatch(baseOffset: number, lastOffset: number, maxTimestamp: number, position: number, size: number): void {
    if (this.#bytesSinceIndex >= this.#indexIntervalBytes || this.#idxOffsets.length === 0) {
      this.#idxOffsets.push(baseOffset - this.baseOffset);
      this.#idxPositions.push(position);
      const lastTs = this.#timeStamps.length === 0 ? -Infinity : this.#timeStamps[this.#timeStamps.length - 1]!;
      const maxSoFar = Math.max(this.maxTimestamp, maxTimestamp);
      if (maxSoFar > lastTs) {
        this.#timeStamps.push(maxSoFar);
        this.#timeOffsets.push(lastOffset - this.baseOffset);
      }
      this.#bytesSinceIndex = 0;
    }
    this.#bytesSinceIndex += size;
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
  }

  /** Writes the index entries not yet in the index files, in one append per file. */
  #flushIndexes(): void {
    const n = this.#idxOffsets.length - this.#idxWritten;
    if (n > 0) {
      const e = Buffer.allocUnsafe(8 * n);
      for (let i = 0; i < n; i++) {
        e.writeInt32BE(this.#idxOffsets[this.#idxWritten + i]!, 8 * i);
        e.writeInt32BE(this.#idxPositions[this.#idxWritten + i]!, 8 * i + 4);
      }
      this.#offsetIndexFile.append(e);
      this.#idxWritten += n;
    }
    const m = this.#timeStamps.length - this.#timeWritten;
    if (m > 0) {
      const t = Buffer.allocUnsafe(12 * m);
      for (let i = 0; i < m; i++) {
        t.writeBigInt64BE(BigInt(this.#timeStamps[this.#timeWritten + i]!), 12 * i);
        t.writeInt32BE(this.#timeOffsets[this.#timeWritten + i]!, 12 * i + 8);
      }
      this.#timeIndexFile.append(t);
      this.#timeWritten += m;
    }
  }

  /** Loads the index files; false when they are missing or inconsistent (then the caller recovers). */
  #loadIndexes(): boolean {
    const idx = this.#offsetIndexFile.read(0, this.#offsetIndexFile.size);
    const tim = this.#timeIndexFile.read(0, this.#timeIndexFile.size);
    if (idx.length % 8 !== 0 || tim.length % 12 !== 0) return false;
    if (idx.length === 0 && this.log.size > 0) return false;
    let prevRel = -1;
    let prevPos = -1;
    for (let p = 0; p < idx.length; p += 8) {
      const rel = idx.readInt32BE(p);
      const pos = idx.readInt32BE(p + 4);
      if (rel <= prevRel || pos <= prevPos || pos >= this.log.size) return false;
      this.#idxOffsets.push(rel);
      this.#idxPositions.push(pos);
      prevRel = rel;
      prevPos = pos;
    }
    // Entries are written with strictly rising timestamps and rising offsets; anything else is damage (rebuild).
    let prevTs = -Infinity;
    let prevTimeRel = -1;
    for (let p = 0; p < tim.length; p += 12) {
      const ts = Number(tim.readBigInt64BE(p));
      const rel = tim.readInt32BE(p + 8);
      if (ts <= prevTs || rel < prevTimeRel || rel < 0) return false;
      this.#timeStamps.push(ts);
      this.#timeOffsets.push(rel);
      prevTs = ts;
      prevTimeRel = rel;
    }
    this.maxTimestamp = this.#timeStamps.length === 0 ? -1 : this.#timeStamps[this.#timeStamps.length - 1]!;
    this.#idxWritten = this.#idxOffsets.length;
    this.#timeWritten = this.#timeStamps.length;
    // Walk the batches after the last index entry to find the end offset and tail timestamps.
    let pos = this.#idxPositions.length === 0 ? 0 : this.#idxPositions[this.#idxPositions.length - 1]!;
    const tail = this.log.read(pos, this.log.size - pos);
    let p = 0;
    while (p + 12 <= tail.length) {
      if (p + BATCH.headerBytes > tail.length) return false;
      const len = tail.readInt32BE(p + BATCH.length) + 12;
      if (len < BATCH.headerBytes || p + len > tail.length || tail[p + BATCH.magic] !== MAGIC_V2) return false;
      const base = readInt64BE(tail, p);
      this.nextOffset = base + tail.readInt32BE(p + BATCH.lastOffsetDelta) + 1;
      this.maxTimestamp = Math.max(this.maxTimestamp, readInt64BE(tail, p + BATCH.maxTimestamp));
      p += len;
      pos += len;
    }
    if (p !== tail.length) return false;
    if (prevTimeRel >= 0 && this.baseOffset + prevTimeRel >= this.nextOffset) return false;
    this.#bytesSinceIndex = this.#idxPositions.length === 0 ? this.log.size : this.log.size - this.#idxPositions[this.#idxPositions.length - 1]!;
    return true;
  }

  #recover(maxBatchBytes: number): SegmentRecovery {
    this.#idxOffsets = [];
    this.#idxPositions = [];
    this.#timeStamps = [];
    this.#timeOffsets = [];
    this.#bytesSinceIndex = 0;
    this.#idxWritten = 0;
    this.#timeWritten = 0;
    this.maxTimestamp = -1;
    this.nextOffset = this.baseOffset;
    this.#offsetIndexFile.truncate(0);
    this.#timeIndexFile.truncate(0);
    const size = this.log.size;
    const chunkBytes = Math.max(8 << 20, maxBatchBytes + BATCH.headerBytes);
    let pos = 0;
    let reason: string | null = null;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = 0;
    while (pos < size) {
      let p = pos - chunkStart;
      if (p + BATCH.headerBytes > chunk.length || p + 12 + chunk.readInt32BE(p + BATCH.length) > chunk.length) {
        chunk = this.log.read(pos, chunkBytes);
        chunkStart = pos;
        p = 0;
      }
      const check = checkBatch(chunk, p, chunk.length, maxBatchBytes);
      if (check.kind !== 'ok') {
        reason = check.kind === 'incomplete' ? 'torn batch at the end of the segment' : `corrupt batch: ${check.reason}`;
        break;
      }
      const h = check.header;
      const lastOffset = h.baseOffset + h.lastOffsetDelta;
      if (h.baseOffset < this.nextOffset || lastOffset < h.baseOffset) {
        reason = `offsets go backwards at position ${pos} (batch ${h.baseOffset}, expected >= ${this.nextOffset})`;
        break;
      }
      this.#indexBatch(h.baseOffset, lastOffset, h.maxTimestamp, pos, check.size);
      this.nextOffset = lastOffset + 1;
      pos += check.size;
    }
    const truncatedBytes = size - pos;
    if (truncatedBytes > 0) this.log.truncate(pos);
    this.#flushIndexes();
    return { truncatedBytes, reason };
  }

  /** Position of the last indexed batch starting at or before `offset` (0 when none). */
  #indexLookup(offset: number): number {
    const rel = offset - this.baseOffset;
    const offs = this.#idxOffsets;
    let lo = 0;
    let hi = offs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (offs[mid]! <= rel) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.#idxPositions[found]!;
  }

  /**
   * Reads whole batches holding offsets >= `offset` and < `endOffset`, at most `maxBytes` (but always the first
   * batch, however large, so a consumer can make progress). Null when no batch qualifies.
   */
  read(offset: number, maxBytes: number, endOffset: number, topic: string, partition: number): SegmentRead | null {
    let pos = this.#indexLookup(offset);
    const size = this.log.size;
    let chunkLen = Math.max(maxBytes + 2 * this.#indexIntervalBytes, 65536);
    let start = -1;
    let end = -1;
    let next = offset;
    let chunk: Buffer = this.log.read(pos, chunkLen);
    let chunkPos = pos;
    while (pos < size) {
      let p = pos - chunkPos;
      if (p + BATCH.headerBytes > chunk.length) {
        if (start >= 0) break;
        chunk = this.log.read(pos, chunkLen);
        chunkPos = pos;
        p = 0;
        if (chunk.length < BATCH.headerBytes) break;
      }
      const len = chunk.readInt32BE(p + BATCH.length) + 12;
      if (len < MIN_BATCH_LENGTH + 12 || chunk[p + BATCH.magic] !== MAGIC_V2) {
        throw new StreamsError('CORRUPT_RECORD', `corrupt batch framing in ${this.log.path} at position ${pos}`, {
          topic,
          partition,
          offset: next,
        });
      }
      const base = readInt64BE(chunk, p);
      const last = base + chunk.readInt32BE(p + BATCH.lastOffsetDelta);
      if (last >= endOffset || base >= endOffset) break;
      if (last >= offset) {
        if (start < 0) start = pos;
        else if (pos + len - start > maxBytes) break;
        end = pos + len;
        next = last + 1;
      }
      pos += len;
      if (start >= 0 && pos - start >= maxBytes) break;
      if (p + len > chunk.length && start < 0) chunkLen = Math.max(chunkLen, len + BATCH.headerBytes);
    }
    if (start < 0) return null;
    const inChunk = start >= chunkPos && end <= chunkPos + chunk.length;
    const bytes = inChunk ? chunk.subarray(start - chunkPos, end - chunkPos) : this.log.read(start, end - start);
    return { bytes, nextOffset: next };
  }

  /** First offset at or after `startOffset` whose record timestamp is >= `timestampMs`, or null. */
  offsetForTimestamp(timestampMs: number, topic: string, partition: number, startOffset: number = this.baseOffset): number | null {
    if (this.maxTimestamp < timestampMs) return null;
    // The last time-index entry below the target bounds where scanning may start.
    let from = startOffset;
    for (let i = 0; i < this.#timeStamps.length; i++) {
      if (this.#timeStamps[i]! < timestampMs) from = Math.max(from, this.baseOffset + this.#timeOffsets[i]! + 1);
      else break;
    }
    let offset = from;
    for (;;) {
      const r = this.read(offset, 1 << 20, this.nextOffset, topic, partition);
      if (r === null) return null;
      let p = 0;
      while (p < r.bytes.length) {
        const len = r.bytes.readInt32BE(p + BATCH.length) + 12;
        if (readInt64BE(r.bytes, p + BATCH.maxTimestamp) >= timestampMs) {
          for (const rec of decodeRecords(r.bytes, p)) {
            if (rec.offset >= from && rec.timestampMs >= timestampMs) return rec.offset;
          }
        }
        p += len;
      }
      offset = r.nextOffset;
    }
  }

  /** Makes appended bytes and index entries durable. */
  async sync(): Promise<void> {
    this.#flushIndexes();
    await Promise.all([this.log.sync(), this.#offsetIndexFile.sync(), this.#timeIndexFile.sync()]);
  }

  syncNow(): void {
    this.#flushIndexes();
    this.log.syncNow();
    this.#offsetIndexFile.syncNow();
    this.#timeIndexFile.syncNow();
  }

  close(): void {
    this.#flushIndexes();
    this.log.close();
    this.#offsetIndexFile.close();
    this.#timeIndexFile.close();
  }

  /** Deletes a segment's three files without opening them. */
  static deleteFiles(storage: Storage, dir: string, baseOffset: number): void {
    for (const suffix of ['.log', '.index', '.timeindex'] as const) storage.remove(path.join(dir, segmentFileName(baseOffset, suffix)));
  }

  /** Closes and deletes the segment's three files. */
  delete(storage: Storage): void {
    this.close();
    storage.remove(this.log.path);
    storage.remove(this.#offsetIndexFile.path);
    storage.remove(this.#timeIndexFile.path);
  }
}
