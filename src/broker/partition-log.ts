import * as path from 'node:path';
import type { Logger } from 'pino';
import { StreamsError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { AbortedTransactionsIndex, type AbortedTransaction } from './aborted-transactions-index.js';
import { decodeControlRecordType } from './control-batch.js';
import { BATCH, LogSegment, type SegmentRead } from './log-segment.js';
import { readInt64BE } from './varint.js';
import { finishInterruptedSwap } from './log-cleaner.js';
import { ProducerStateManager, type ProducerStateSnapshot } from './producer-state.js';
import { checkBatch, decodeRecords, recompressBatch, setBatchBaseOffset, setLogAppendTime } from './record-batch.js';
import type { Storage } from './storage.js';
import { isDeleteRetained, storedCodec, type TopicConfig } from './topic-config.js';

const META_FILE = 'partition.meta';
const PRODUCER_SNAPSHOT_FILE = 'producer-state.json';
const MAX_RELATIVE_OFFSET = 0x7fffffff;
/** Batch attribute bits: isTransactional (4) and isControl (5). */
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;

/** The outcome of one append. */
export interface AppendInfo {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The broker's time when `message.timestamp.type` is LogAppendTime, else -1. */
  readonly logAppendTimeMs: number;
  /** True when an idempotent producer retried a batch already in the log; nothing was appended. */
  readonly isDuplicate: boolean;
}

/** What a fetch returns for one partition. */
export interface PartitionRead {
  /** Whole record batches, back to back; empty when nothing is available. */
  readonly bytes: Buffer;
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

interface PartitionMeta {
  logStartOffset: number;
  recoveryPoint: number;
}

export interface PartitionLogOptions {
  readonly storage: Storage;
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  readonly config: () => TopicConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** False after an unclean shutdown: segments past the recovery point are validated batch by batch. */
  readonly wasCleanShutdown: boolean;
}

/**
 * One partition of a topic: an ordered list of segments, the offsets that bound it (log start offset, log end
 * offset, high watermark, last stable offset), idempotent-producer state, open transactions and the aborted-
 * transactions index, recovery, retention and record deletion. Single-threaded: every method runs to completion on
 * the event loop; durability (fsync) is driven by the broker.
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly #storage: Storage;
  readonly #config: () => TopicConfig;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #segments: LogSegment[] = [];
  readonly #unsynced = new Set<LogSegment>();
  readonly producers = new ProducerStateManager();
  readonly #aborted: AbortedTransactionsIndex;
  logStartOffset = 0;
  /** Offsets below this are acknowledged and visible to consumers. */
  highWatermark = 0;
  /** Offsets below this are known durable on disk (fsynced). */
  recoveryPoint = 0;
  #closed = false;

  constructor(options: PartitionLogOptions) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.dir = options.dir;
    this.#storage = options.storage;
    this.#config = options.config;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#aborted = new AbortedTransactionsIndex(options.storage, options.dir);
    this.#open(options.wasCleanShutdown);
  }

  get logEndOffset(): number {
    return this.#active.nextOffset;
  }

  /**
   * Kafka's last stable offset: offsets below it belong to no open transaction and are acknowledged, so a
   * read_committed reader may read up to it. The high watermark when no transaction is open here.
   */
  get lastStableOffset(): number {
    const f = this.producers.firstUnstableOffset;
    return f < this.highWatermark ? f : this.highWatermark;
  }

  /**
   * Aborted transactions a read_committed fetch of [fromOffset, upToOffset) must skip (see
   * {@link AbortedTransactionsIndex.collect}); a shared empty array when none.
   */
  abortedTransactions(fromOffset: number, upToOffset: number): readonly AbortedTransaction[] {
    return this.#aborted.collect(fromOffset, upToOffset);
  }

  get segments(): readonly LogSegment[] {
    return this.#segments;
  }

  get sizeBytes(): number {
    let n = 0;
    for (const s of this.#segments) n += s.size;
    return n;
  }

  get #active(): LogSegment {
    return this.#segments[this.#segments.length - 1]!;
  }

  get #where(): { topic: string; partition: number } {
    return { topic: this.topic, partition: this.partition };
  }

  #open(wasClean: boolean): void {
    const storage = this.#storage;
    storage.mkdirp(this.dir);
    const meta = this.#readMeta();
    finishInterruptedSwap(storage, this.dir);
    const bases = storage
      .list(this.dir)
      .filter((n) => /^\d{20}\.log$/.test(n))
      .map((n) => Number(n.slice(0, 20)))
      .sort((a, b) => a - b);
    const config = this.#config();
    let recoverFrom = wasClean ? Infinity : meta.recoveryPoint;
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const nextBase = bases[i + 1] ?? Infinity;
      const recover = nextBase > recoverFrom;
      const { segment, recovery } = LogSegment.open(storage, this.dir, base, config['index.interval.bytes'], {
        recover,
        maxBatchBytes: Math.max(config['max.message.bytes'], 1 << 20) + BATCH.headerBytes,
        nowMs: this.#clock.nowMs(),
        logger: this.#logger,
      });
      this.#segments.push(segment);
      if (recovery.truncatedBytes > 0) {
        this.#logger.warn(
          { topic: this.topic, partition: this.partition, segment: base, truncatedBytes: recovery.truncatedBytes, reason: recovery.reason },
          'truncated an invalid log tail at recovery; the bytes after it were never acknowledged as durable or are corrupt',
        );
        // Everything after a cut is unreachable: offsets must stay dense and ordered.
        for (const later of bases.slice(i + 1)) LogSegment.deleteFiles(storage, this.dir, later);
        recoverFrom = -1;
        break;
      }
    }
    if (this.#segments.length === 0) {
      this.#segments.push(LogSegment.create(storage, this.dir, Math.max(meta.logStartOffset, 0), config['index.interval.bytes']));
    }
    // Empty leading segments of a partition whose records were all deleted keep the start offset.
    this.logStartOffset = Math.min(Math.max(meta.logStartOffset, this.#segments[0]!.baseOffset), this.logEndOffset);
    this.highWatermark = this.logEndOffset;
    this.recoveryPoint = Math.min(meta.recoveryPoint, this.logEndOffset);
    this.#rebuildProducerState();
  }

  #readMeta(): PartitionMeta {
    const raw = this.#storage.readFile(path.join(this.dir, META_FILE));
    if (raw === null) return { logStartOffset: 0, recoveryPoint: 0 };
    try {
      const m = JSON.parse(raw.toString('utf8')) as PartitionMeta;
      return { logStartOffset: Number(m.logStartOffset) || 0, recoveryPoint: Number(m.recoveryPoint) || 0 };
    } catch {
      return { logStartOffset: 0, recoveryPoint: 0 };
    }
  }

  #writeMeta(): void {
    const m: PartitionMeta = { logStartOffset: this.logStartOffset, recoveryPoint: this.recoveryPoint };
    this.#storage.writeFileAtomic(path.join(this.dir, META_FILE), Buffer.from(JSON.stringify(m)));
  }

  /**
   * Producer state and the aborted-transactions index: loaded as of the last snapshot (written at each roll and at
   * close, after the data below it was synced), then rebuilt by replaying the batch headers after it. Index entries
   * at or after the snapshot are dropped first, as the replay writes them again.
   */
  #rebuildProducerState(): void {
    const raw = this.#storage.readFile(path.join(this.dir, PRODUCER_SNAPSHOT_FILE));
    let from = this.logStartOffset;
    if (raw !== null) {
      try {
        const snap = JSON.parse(raw.toString('utf8')) as ProducerStateSnapshot;
        if (snap.offset <= this.logEndOffset) {
          this.producers.load(snap);
          from = Math.max(snap.offset, this.logStartOffset);
        }
      } catch {
        this.producers.clear();
      }
    }
    this.#aborted.load(this.#segments.map((s) => s.baseOffset), from);
    this.#forEachBatchHeader(from, (buf, p, base, last) => {
      const pid = readInt64BE(buf, p + BATCH.producerId);
      if (pid < 0) return;
      const seq = buf.readInt32BE(p + BATCH.baseSequence);
      this.producers.update(pid, buf.readInt16BE(p + BATCH.producerEpoch), seq, seq < 0 ? -1 : (seq + (last - base)) % 0x80000000, base, last);
      const attrs = buf.readInt16BE(p + BATCH.attributes);
      if ((attrs & (TRANSACTIONAL_BIT | CONTROL_BIT)) !== 0) this.#trackTransaction(buf, p, attrs, pid, base, this.#segmentBaseOf(base));
    });
  }

  /**
   * Opens the producer's transaction at a transactional data batch; at a marker, closes it and, for an ABORT,
   * indexes the aborted range (only when the transaction had data here).
   */
  #trackTransaction(buf: Buffer, pos: number, attrs: number, pid: number, baseOffset: number, segmentBase: number): void {
    if ((attrs & CONTROL_BIT) === 0) {
      this.producers.beginTransaction(pid, baseOffset);
      return;
    }
    const first = this.producers.endTransaction(pid);
    if (first === undefined) return;
    if (decodeControlRecordType(decodeRecords(buf, pos)[0]?.key ?? null) !== 'ABORT') return;
    const lso = Math.min(this.producers.firstUnstableOffset, baseOffset + 1);
    this.#aborted.append(segmentBase, { producerId: pid, firstOffset: first, lastOffset: baseOffset }, lso);
  }

  #segmentBaseOf(offset: number): number {
    return this.#segments[this.#segmentIndexOf(offset)]!.baseOffset;
  }

  /** Index of the last segment whose base offset is <= `offset` (0 when none is). */
  #segmentIndexOf(offset: number): number {
    const segs = this.#segments;
    let lo = 0;
    let hi = segs.length - 1;
    let i = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segs[mid]!.baseOffset <= offset) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return i;
  }

  #forEachBatchHeader(from: number, visit: (buf: Buffer, pos: number, base: number, last: number) => void): void {
    let offset = from;
    while (offset < this.logEndOffset) {
      const r = this.#readRaw(offset, 4 << 20, this.logEndOffset);
      if (r === null) break;
      for (let p = 0; p < r.bytes.length; p += r.bytes.readInt32BE(p + BATCH.length) + 12) {
        const base = readInt64BE(r.bytes, p);
        visit(r.bytes, p, base, base + r.bytes.readInt32BE(p + BATCH.lastOffsetDelta));
      }
      offset = r.nextOffset;
    }
  }

  /**
   * Checks a batch before it is appended, as Kafka's broker does: its size against `max.message.bytes`
   * (RECORD_TOO_LARGE), then that it is exactly one v2 batch whose length, magic, CRC32C, records grammar and
   * lastOffsetDelta agree (CORRUPT_RECORD). A bad batch must be refused here: once acknowledged, recovery would cut
   * it away together with every acknowledged batch after it.
   */
  validate(batch: Buffer, checkContent = true): void {
    if (this.#closed) throw new StreamsError('CLOSED', `partition ${this.topic}-${this.partition} is closed`, this.#where);
    const config = this.#config();
    if (batch.length > config['max.message.bytes'] + BATCH.headerBytes) {
      throw new StreamsError(
        'RECORD_TOO_LARGE',
        `batch of ${batch.length} bytes exceeds max.message.bytes ${config['max.message.bytes']} of ${this.topic}`,
        this.#where,
      );
    }
    // Batches encoded in this process by encodeBatch (the in-process producer) are valid by construction.
    if (!checkContent) return;
    const check = checkBatch(batch, 0, batch.length);
    let reason: string | null = null;
    if (check.kind !== 'ok') reason = check.kind === 'corrupt' ? check.reason : 'the bytes end inside the batch';
    else if (check.size !== batch.length) reason = `${batch.length - check.size} bytes follow the batch`;
    else if (check.header.recordCount < 1 || check.header.lastOffsetDelta !== check.header.recordCount - 1) {
      reason = `lastOffsetDelta ${check.header.lastOffsetDelta} does not match ${check.header.recordCount} records`;
    }
    if (reason !== null) {
      throw new StreamsError('CORRUPT_RECORD', `refused an invalid record batch for ${this.topic}-${this.partition}: ${reason}`, this.#where);
    }
  }

  /**
   * Appends one record batch (v2, produced with any base offset): validates it (unless the caller just did, with
   * {@link validate}), checks idempotent sequence numbers, rolls the segment when due, assigns offsets in place and
   * writes it. The batch is visible to consumers once the broker advances the high watermark.
   */
  append(produced: Buffer, isValidated = false): AppendInfo {
    if (!isValidated) this.validate(produced);
    const config = this.#config();
    const lastDelta = produced.readInt32BE(BATCH.lastOffsetDelta);
    const pid = readInt64BE(produced, BATCH.producerId);
    const epoch = produced.readInt16BE(BATCH.producerEpoch);
    const seq = produced.readInt32BE(BATCH.baseSequence);
    const lastSeq = seq < 0 ? -1 : (seq + lastDelta) % 0x80000000;
    const decision = this.producers.check(pid, epoch, seq, lastSeq, this.#where);
    if (decision.kind === 'duplicate') {
      return { baseOffset: decision.baseOffset, lastOffset: decision.lastOffset, logAppendTimeMs: -1, isDuplicate: true };
    }
    // compression.type other than 'producer': the stored batch is re-coded to the topic's codec, as Kafka's broker does.
    const codec = storedCodec(config);
    const batch = codec === null ? produced : recompressBatch(produced, codec);
    const nowMs = this.#clock.nowMs();
    this.#maybeRoll(batch.length, lastDelta, nowMs, config);
    const baseOffset = this.logEndOffset;
    const lastOffset = baseOffset + lastDelta;
    setBatchBaseOffset(batch, 0, baseOffset);
    let logAppendTimeMs = -1;
    if (config['message.timestamp.type'] === 'LogAppendTime') {
      setLogAppendTime(batch, 0, nowMs);
      logAppendTimeMs = nowMs;
    }
    const active = this.#active;
    active.append(batch, baseOffset, lastOffset, readInt64BE(batch, BATCH.maxTimestamp), nowMs);
    this.#unsynced.add(active);
    this.producers.update(pid, epoch, seq, lastSeq, baseOffset, lastOffset);
    const attrs = batch.readInt16BE(BATCH.attributes);
    if ((attrs & (TRANSACTIONAL_BIT | CONTROL_BIT)) !== 0 && pid >= 0) this.#trackTransaction(batch, 0, attrs, pid, baseOffset, active.baseOffset);
    return { baseOffset, lastOffset, logAppendTimeMs, isDuplicate: false };
  }

  #maybeRoll(batchBytes: number, lastDelta: number, nowMs: number, config: TopicConfig): void {
    const a = this.#active;
    if (a.isEmpty) return;
    const full = a.size + batchBytes > config['segment.bytes'];
    const old = a.firstAppendMs !== null && nowMs - a.firstAppendMs >= config['segment.ms'];
    const overflow = this.logEndOffset + lastDelta - a.baseOffset > MAX_RELATIVE_OFFSET;
    if (full || old || overflow) this.roll();
  }

  /** Starts a new active segment; the old one is made durable in the background, then the recovery point moves. */
  roll(): void {
    const old = this.#active;
    if (old.isEmpty) return;
    const config = this.#config();
    const next = LogSegment.create(this.#storage, this.dir, this.logEndOffset, config['index.interval.bytes']);
    this.#segments.push(next);
    const upTo = next.baseOffset;
    const snapshot = this.producers.snapshot(upTo);
    // The index entries below `upTo` must be durable before the snapshot says recovery may start there.
    Promise.all([old.sync(), this.#aborted.sync()])
      .then(() => {
        if (this.#closed) return;
        this.#unsynced.delete(old);
        if (upTo > this.recoveryPoint) {
          this.recoveryPoint = upTo;
          this.#storage.writeFileAtomic(path.join(this.dir, PRODUCER_SNAPSHOT_FILE), Buffer.from(JSON.stringify(snapshot)));
          this.#writeMeta();
        }
      })
      .catch((e: unknown) => this.#logger.error({ err: e, topic: this.topic, partition: this.partition }, 'flushing a rolled segment failed'));
  }

  /** fdatasync of every segment written since the last sync; resolves with the offset now durable. */
  async sync(): Promise<number> {
    const upTo = this.logEndOffset;
    const segs = [...this.#unsynced];
    this.#unsynced.clear();
    await Promise.all(segs.map((s) => s.sync()));
    return upTo;
  }

  /**
   * Reads whole batches from `offset` up to `maxBytes` (at least one batch) and below `upTo` (the high watermark
   * by default). Throws OFFSET_OUT_OF_RANGE below the log start offset or past the log end offset.
   */
  read(offset: number, maxBytes: number, upTo: number = this.highWatermark): PartitionRead {
    if (!Number.isSafeInteger(offset) || offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new StreamsError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} is outside [${this.logStartOffset}, ${this.logEndOffset}] of ${this.topic}-${this.partition}`,
        { ...this.#where, offset },
      );
    }
    const r = this.#readRaw(offset, maxBytes, upTo);
    return {
      bytes: r === null ? EMPTY : r.bytes,
      nextOffset: r === null ? offset : r.nextOffset,
      highWatermark: this.highWatermark,
      logStartOffset: this.logStartOffset,
    };
  }

  #readRaw(offset: number, maxBytes: number, upTo: number): SegmentRead | null {
    if (offset >= upTo) return null;
    const segs = this.#segments;
    let i = this.#segmentIndexOf(offset);
    // A compacted segment may end before the next one starts: move on until some batch qualifies.
    for (; i < segs.length; i++) {
      const r = segs[i]!.read(offset, maxBytes, upTo, this.topic, this.partition);
      if (r !== null) return r;
    }
    return null;
  }

  /** First offset whose timestamp is >= `timestampMs` (Kafka's ListOffsets by time), or null if none. */
  offsetForTimestamp(timestampMs: number): number | null {
    for (const s of this.#segments) {
      if (s.maxTimestamp < timestampMs || s.nextOffset <= this.logStartOffset) continue;
      // Records below the log start offset (deleteRecords inside a segment) are gone: never answer with one.
      const o = s.offsetForTimestamp(timestampMs, this.topic, this.partition, Math.max(s.baseOffset, this.logStartOffset));
      if (o !== null && o >= this.logStartOffset && o < this.highWatermark) return o;
    }
    return null;
  }

  /**
   * Moves the log start offset forward (Kafka's DeleteRecords): offsets below it become unreadable and whole
   * segments below it are deleted. Refuses offsets past the high watermark.
   */
  deleteRecordsBefore(offset: number): number {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.highWatermark) {
      throw new StreamsError(
        'OFFSET_OUT_OF_RANGE',
        `cannot delete records before ${offset}: high watermark of ${this.topic}-${this.partition} is ${this.highWatermark}`,
        { ...this.#where, offset },
      );
    }
    if (offset > this.logStartOffset) {
      this.logStartOffset = offset;
      this.#deleteSegmentsBelow(offset);
      this.#writeMeta();
    }
    return this.logStartOffset;
  }

  #deleteSegmentsBelow(offset: number): void {
    if (this.#active.nextOffset <= offset && !this.#active.isEmpty) this.roll();
    while (this.#segments.length > 1 && this.#segments[0]!.nextOffset <= offset && this.#segments[1]!.baseOffset <= offset) {
      this.#dropOldest();
    }
  }

  #dropOldest(): void {
    const s = this.#segments.shift()!;
    this.#unsynced.delete(s);
    s.delete(this.#storage);
    this.#aborted.dropSegment(s.baseOffset);
  }

  /**
   * Applies time and size retention (`cleanup.policy` containing delete): deletes whole segments whose newest
   * record is older than `retention.ms`, then the oldest segments while the partition exceeds `retention.bytes`.
   * The active segment is rolled first when it has expired too. Returns the number of segments deleted.
   */
  enforceRetention(nowMs: number = this.#clock.nowMs()): number {
    const config = this.#config();
    if (!isDeleteRetained(config)) return 0;
    let deleted = 0;
    const retentionMs = config['retention.ms'];
    const expired = (s: LogSegment): boolean => retentionMs >= 0 && !s.isEmpty && s.maxTimestamp < nowMs - retentionMs;
    if (expired(this.#active) && this.#segments.every(expired)) this.roll();
    while (this.#segments.length > 1 && (expired(this.#segments[0]!) || this.#segments[0]!.isEmpty) && this.#segments[0] !== this.#active) {
      this.#dropOldest();
      deleted++;
    }
    const retentionBytes = config['retention.bytes'];
    if (retentionBytes >= 0) {
      let excess = this.sizeBytes - retentionBytes;
      while (this.#segments.length > 1 && excess - this.#segments[0]!.size >= 0) {
        excess -= this.#segments[0]!.size;
        this.#dropOldest();
        deleted++;
      }
    }
    if (deleted > 0) {
      this.logStartOffset = Math.max(this.logStartOffset, this.#segments[0]!.baseOffset);
      this.#writeMeta();
      this.#logger.debug({ topic: this.topic, partition: this.partition, deleted, logStartOffset: this.logStartOffset }, 'retention deleted segments');
    }
    return deleted;
  }

  /** Replaces a closed segment by its compacted version (same base offset); used by the log cleaner. */
  replaceSegment(old: LogSegment, cleaned: LogSegment): void {
    const i = this.#segments.indexOf(old);
    if (i < 0 || old === this.#active) throw new StreamsError('ILLEGAL_STATE', 'only a closed segment of this log can be replaced');
    this.#segments[i] = cleaned;
  }

  /** Makes everything durable and closes the files (a clean shutdown: no recovery scan at the next open). */
  close(): void {
    if (this.#closed) return;
    for (const s of this.#unsynced) s.syncNow();
    this.#unsynced.clear();
    this.#aborted.close();
    this.recoveryPoint = this.logEndOffset;
    this.#storage.writeFileAtomic(path.join(this.dir, PRODUCER_SNAPSHOT_FILE), Buffer.from(JSON.stringify(this.producers.snapshot(this.logEndOffset))));
    this.#writeMeta();
    this.#closed = true;
    for (const s of this.#segments) s.close();
  }

  /** Closes and removes the partition's directory (topic deletion). */
  deleteAll(): void {
    this.#closed = true;
    for (const s of this.#segments) s.close();
    this.#aborted.close();
    this.#storage.removeDir(this.dir);
  }
}

const EMPTY = Buffer.alloc(0);
