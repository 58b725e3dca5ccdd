import * as path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from '../util/clock.js';
import { isStreamsError, StreamsError } from '../errors.js';
import { BATCH, LogSegment, segmentFileName } from './log-segment.js';
import type { PartitionLog } from './partition-log.js';
import { codecById } from './compression.js';
import { checkBatch, decodeRecords, encodeBatch, hasDeleteHorizonMs, isControlBatch, isTransactionalBatch, readBatchHeader, type RecordInput } from './record-batch.js';
import type { Storage } from './storage.js';
import { isCompacted, type TopicConfig } from './topic-config.js';

const CLEANING_DIR = 'cleaning';
const READY = 'READY';
/** Bytes processed between two yields to the event loop, so appends and fetches are never stalled for long. */
const SLICE_BYTES = 1 << 20;

/**
 * Completes or discards a compaction swap interrupted by a crash. Cleaned segment files are written to
 * `cleaning/` and fsynced, then a READY marker is written; only then are the originals' indexes deleted (to be
 * rebuilt from the new log at open) and the cleaned files renamed over the originals. With READY present this is
 * redone (idempotent); without it the half-written copies are thrown away and the originals stand.
 */
export function finishInterruptedSwap(storage: Storage, dir: string): void {
  const cleaning = path.join(dir, CLEANING_DIR);
  if (!storage.exists(cleaning)) return;
  if (storage.exists(path.join(cleaning, READY))) {
    for (const name of storage.list(cleaning)) {
      if (!name.endsWith('.log')) continue;
      const base = Number(name.slice(0, 20));
      // Indexes first: a crash after the rename must not leave the old segment's index over the new log.
      storage.remove(path.join(dir, segmentFileName(base, '.index')));
      storage.remove(path.join(dir, segmentFileName(base, '.timeindex')));
      storage.rename(path.join(cleaning, name), path.join(dir, name));
    }
  }
  storage.removeDir(cleaning);
}

interface CleanerState {
  /** End offset of the cleanable range at the last cleaning. */
  cleanedEnd: number;
  /** Earliest tombstone delete horizon still pending, Infinity when none. */
  nextHorizonMs: number;
}

/**
 * Compaction (`cleanup.policy=compact`): keeps the latest record per key in the closed segments, keeping offsets;
 * records of committed transactions count like any others, those of aborted transactions are removed, transaction
 * markers are kept, and nothing at or after the first open transaction (the first unstable offset) is cleaned;
 * tombstones survive `delete.retention.ms` after the cleaning that first sees them (their batches carry a delete
 * horizon, KIP-534) and are dropped after. Records younger than `min.compaction.lag.ms` and the active segment are
 * never touched. Cleaning is incremental: it yields to the event loop every megabyte, so appends and fetches go
 * on while it runs; each segment is swapped in one synchronous step. A rewritten batch keeps its codec (a compressed
 * batch is decompressed once per pass and compressed again only when records were dropped from it or its
 * tombstones get their delete horizon); a batch that keeps all its records is copied as it is.
 */
export class LogCleaner {
  readonly #storage: Storage;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #state = new WeakMap<PartitionLog, CleanerState>();
  /** The cleaning under way per partition: at most one, since each owns the partition's `cleaning/` directory. */
  readonly #running = new Map<PartitionLog, Promise<boolean>>();
  #stopped = false;

  constructor(options: { storage: Storage; clock: Clock; logger: Logger }) {
    this.#storage = options.storage;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /**
   * Cleans one partition if it has anything to clean; resolves true when it rewrote segments. When a cleaning of
   * the same partition is under way (a maintenance run that overlaps a slow one), waits for it first: two cleanings
   * sharing the `cleaning/` directory would swap in each other's half-written files.
   */
  async clean(log: PartitionLog, config: TopicConfig, isCancelled: () => boolean): Promise<boolean> {
    for (let other = this.#running.get(log); other !== undefined; other = this.#running.get(log)) {
      await other.catch(() => undefined);
    }
    if (!isCompacted(config) || this.#stopped || isCancelled()) return false;
    const run = this.#clean(log, config, () => this.#stopped || isCancelled());
    this.#running.set(log, run);
    try {
      return await run;
    } finally {
      this.#running.delete(log);
    }
  }

  async #clean(log: PartitionLog, config: TopicConfig, isCancelled: () => boolean): Promise<boolean> {
    const nowMs = this.#clock.nowMs();
    const lagLimit = nowMs - config['min.compaction.lag.ms'];
    const closed = log.segments.slice(0, -1);
    const cleanable: LogSegment[] = [];
    // An open transaction may still abort: a record of it must not make an older value of its key disappear.
    const unstable = log.producers.firstUnstableOffset;
    for (const s of closed) {
      if (s.maxTimestamp > lagLimit || s.nextOffset > unstable) break;
      cleanable.push(s);
    }
    if (cleanable.length === 0) return false;
    const end = cleanable[cleanable.length - 1]!.nextOffset;
    const abortedRanges = new Map<number, [number, number][]>();
    for (const a of log.abortedTransactions(cleanable[0]!.baseOffset, end)) {
      let rs = abortedRanges.get(a.producerId);
      if (rs === undefined) abortedRanges.set(a.producerId, (rs = []));
      rs.push([a.firstOffset, a.lastOffset]);
    }
    const isAborted = (attributes: number, producerId: number, baseOffset: number): boolean =>
      isTransactionalBatch(attributes) && abortedRanges.get(producerId)?.some(([first, last]) => first <= baseOffset && baseOffset <= last) === true;
    const prev = this.#state.get(log);
    if (prev !== undefined && prev.cleanedEnd >= end && nowMs < prev.nextHorizonMs) return false;

    // Pass 1: the latest offset of every key in the cleanable range.
    const latest = new Map<string, number>();
    for (const seg of cleanable) {
      const ok = await this.#forEachBatch(log, seg, isCancelled, (buf, pos) => {
        const header = readBatchHeader(buf, pos);
        if (isControlBatch(header.attributes) || isAborted(header.attributes, header.producerId, header.baseOffset)) return;
        for (const r of decodeRecords(buf, pos, header)) {
          if (r.key !== null) latest.set(r.key.toString('latin1'), r.offset);
        }
      });
      if (!ok) return false;
    }

    // Pass 2: rewrite each segment keeping only the latest record per key.
    let nextHorizonMs = Infinity;
    const cleaningDir = path.join(log.dir, CLEANING_DIR);
    for (const seg of cleanable) {
      if (isCancelled()) return false;
      this.#storage.removeDir(cleaningDir);
      this.#storage.mkdirp(cleaningDir);
      const out = this.#storage.open(path.join(cleaningDir, segmentFileName(seg.baseOffset, '.log')));
      let kept = 0;
      let dropped = 0;
      let stampsHorizon = false;
      const ok = await this.#forEachBatch(log, seg, isCancelled, (buf, pos) => {
        const header = readBatchHeader(buf, pos);
        if (isControlBatch(header.attributes)) {
          // Markers stay: recovery replays them to know which transactions ended, and readers to end aborted ones.
          out.append(buf.subarray(pos, pos + 12 + header.batchLength));
          return;
        }
        if (isAborted(header.attributes, header.producerId, header.baseOffset)) {
          dropped += header.recordCount;
          return;
        }
        const horizon = hasDeleteHorizonMs(header.attributes) ? header.baseTimestamp : null;
        const records: RecordInput[] = [];
        let hasTombstone = false;
        let firstOffset = -1;
        const decoded = decodeRecords(buf, pos, header);
        for (const r of decoded) {
          const isLatest = r.key === null || latest.get(r.key.toString('latin1')) === r.offset;
          const expiredTombstone = r.value === null && horizon !== null && nowMs >= horizon;
          if (!isLatest || expiredTombstone) {
            dropped++;
            continue;
          }
          if (firstOffset < 0) firstOffset = r.offset;
          if (r.value === null) hasTombstone = true;
          records.push({ key: r.key, value: r.value, timestampMs: r.timestampMs, headers: r.headers, offsetDelta: r.offset - firstOffset });
          kept++;
        }
        if (records.length === 0) return;
        const lastOffset = header.baseOffset + header.lastOffsetDelta;
        if (hasTombstone && horizon === null) stampsHorizon = true;
        const newHorizon = hasTombstone ? (horizon ?? nowMs + config['delete.retention.ms']) : undefined;
        if (newHorizon !== undefined) nextHorizonMs = Math.min(nextHorizonMs, newHorizon);
        if (records.length === decoded.length && newHorizon === (horizon ?? undefined)) {
          // Nothing to change in this batch: its bytes (compressed or not) stay as they are.
          out.append(buf.subarray(pos, pos + 12 + header.batchLength));
          return;
        }
        out.append(
          encodeBatch(records, {
            baseOffset: firstOffset,
            lastOffsetDelta: lastOffset - firstOffset,
            producerId: header.producerId,
            producerEpoch: header.producerEpoch,
            isTransactional: isTransactionalBatch(header.attributes),
            baseSequence: header.baseSequence < 0 ? -1 : header.baseSequence + (firstOffset - header.baseOffset),
            partitionLeaderEpoch: header.partitionLeaderEpoch,
            compression: codecById(header.attributes & 7),
            ...(newHorizon === undefined ? {} : { deleteHorizonMs: newHorizon }),
          }),
        );
      });
      if (!ok || !log.segments.includes(seg)) {
        out.close();
        this.#storage.removeDir(cleaningDir);
        return false;
      }
      if (dropped === 0 && !stampsHorizon) {
        out.close();
        continue;
      }
      await out.sync();
      out.close();
      this.#storage.writeFileAtomic(path.join(cleaningDir, READY), Buffer.from('1'));
      if (!log.segments.includes(seg) || isCancelled()) {
        this.#storage.removeDir(cleaningDir);
        return false;
      }
      // The swap itself is synchronous: no fetch or append can interleave with it.
      seg.close();
      finishInterruptedSwap(this.#storage, log.dir);
      const config0 = config;
      const { segment } = LogSegment.open(this.#storage, log.dir, seg.baseOffset, config0['index.interval.bytes'], {
        recover: true,
        maxBatchBytes: Math.max(config0['max.message.bytes'], 1 << 20) + BATCH.headerBytes,
        nowMs,
        logger: this.#logger,
      });
      log.replaceSegment(seg, segment);
      this.#logger.debug({ topic: log.topic, partition: log.partition, segment: seg.baseOffset, kept, dropped }, 'compacted segment');
    }
    this.#state.set(log, { cleanedEnd: end, nextHorizonMs });
    return true;
  }

  /** Visits every batch of a segment, yielding to the event loop between slices; false when cancelled. */
  async #forEachBatch(log: PartitionLog, seg: LogSegment, isCancelled: () => boolean, visit: (buf: Buffer, pos: number) => void): Promise<boolean> {
    let offset = seg.baseOffset;
    while (offset < seg.nextOffset) {
      if (isCancelled() || !log.segments.includes(seg)) return false;
      const r = seg.read(offset, SLICE_BYTES, seg.nextOffset, log.topic, log.partition);
      if (r === null) break;
      for (let p = 0; p < r.bytes.length; ) {
        // Never rewrite a corrupt batch: a fresh CRC would launder it into valid-looking data. The records' grammar is
        // checked by decodeRecords as the visitor decodes them (a compressed batch is decompressed once, not twice).
        const check = checkBatch(r.bytes, p, r.bytes.length, undefined, false);
        if (check.kind !== 'ok') throw corruptBatch(log, seg, offset, check.kind === 'corrupt' ? check.reason : 'truncated');
        try {
          visit(r.bytes, p);
        } catch (e: unknown) {
          if (isStreamsError(e, 'CORRUPT_RECORD')) throw corruptBatch(log, seg, check.header.baseOffset, e.message, e);
          throw e;
        }
        p += check.size;
      }
      offset = r.nextOffset;
      await yieldToLoop();
    }
    return true;
  }

  /** Waits for every running cleaning to stop at its next yield. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#running.values()].map((run) => run.catch(() => undefined)));
  }
}

function corruptBatch(log: PartitionLog, seg: LogSegment, offset: number, reason: string, cause?: unknown): StreamsError {
  return new StreamsError('CORRUPT_RECORD', `compaction found a corrupt batch in ${seg.log.path}: ${reason}`, {
    topic: log.topic,
    partition: log.partition,
    offset,
    ...(cause === undefined ? {} : { cause }),
  });
}
