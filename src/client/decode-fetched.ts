import type { AbortedTransaction } from '../broker/aborted-transactions-index.js';
import { decodeControlRecordType } from '../broker/control-batch.js';
import { crc32c } from '../broker/crc32c.js';
import { BATCH } from '../broker/log-segment.js';
import { readInt64BE } from '../broker/varint.js';
import { decodeRecords, isControlBatch } from '../broker/record-batch.js';
import { isStreamsError, StreamsError } from '../errors.js';
import type { LogRecord } from '../record.js';

const NONE: readonly LogRecord[] = Object.freeze([]);
const TRANSACTIONAL_BIT = 0x10;

/**
 * The records of one fetch response, decoded a record batch at a time as they are taken, so a consumer that fetched a
 * MiB but returns a thousand records per poll keeps bytes, not tens of thousands of record objects, between polls.
 * Records before `from` (the first batch may start earlier) and control batches (transaction markers) are skipped.
 * Each batch's CRC32C is verified before it is decoded (Kafka's check.crcs), and the records' grammar by
 * decodeRecords itself: corrupt bytes are a CORRUPT_RECORD error naming topic/partition and the batch's offset,
 * never data. Compressed batches (gzip, snappy, lz4, zstd) are decompressed once each, as they are reached; a codec
 * this process cannot read is an UNSUPPORTED_COMPRESSION_TYPE error, met like a corrupt batch. As Kafka's consumer: the good records before a corrupt batch are returned first, and the error comes
 * with the next take.
 *
 * With the aborted transactions of a read_committed fetch, batches of aborted transactions are skipped as Kafka's
 * fetcher does: a producer's transactional batches are skipped from its aborted transaction's first offset until its
 * ABORT marker.
 *
 * @example
 * ```ts
 * const cursor = new FetchedRecords('lines', 0, fetched.bytes, position, true);
 * for (let rs = cursor.take(500, true); rs.length > 0; rs = cursor.take(500, true)) handle(rs);
 * ```
 */
export class FetchedRecords {
  readonly topic: string;
  readonly partition: number;
  readonly #bytes: Buffer;
  readonly #from: number;
  readonly #checkCrcs: boolean;
  /** Byte position of the next batch to decode. */
  #pos = 0;
  /** The decoded batch being taken from, and the index of its next record. */
  #batch: readonly LogRecord[] = NONE;
  #next = 0;
  #isBlocked = false;
  /** Aborted transactions sorted by first offset, the next one to activate, and the producers being skipped. */
  readonly #aborted: readonly AbortedTransaction[] | null;
  #abortedNext = 0;
  #abortedPids: Set<number> | null = null;

  constructor(
    topic: string,
    partition: number,
    bytes: Buffer,
    from: number,
    checkCrcs: boolean,
    abortedTransactions: readonly AbortedTransaction[] | null = null,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.#bytes = bytes;
    this.#from = from;
    this.#checkCrcs = checkCrcs;
    this.#aborted = abortedTransactions === null || abortedTransactions.length === 0 ? null : [...abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** True when every record has been taken (a corrupt batch left undecoded counts as not done). */
  get isDone(): boolean {
    return this.#next >= this.#batch.length && this.#pos >= this.#bytes.length;
  }

  /** True when a take stopped at a corrupt batch without throwing: the next `take(n, true)` throws. */
  get isBlocked(): boolean {
    return this.#isBlocked;
  }

  /**
   * Up to `max` records in offset order (fewer at the end, or before a corrupt batch); an empty array when none is
   * left. At a corrupt batch with no record taken before it in this call: throws CORRUPT_RECORD if `mayThrow`, else
   * returns the empty array (and the next call meets the batch again).
   */
  take(max: number, mayThrow: boolean): readonly LogRecord[] {
    let out: LogRecord[] | null = null;
    let n = 0;
    while (n < max) {
      if (this.#next >= this.#batch.length && !this.#decodeNext(mayThrow && n === 0)) break;
      const batch = this.#batch;
      const k = Math.min(batch.length - this.#next, max - n);
      if (out === null && this.#next === 0 && k === batch.length) {
        // A whole batch: hand its array over rather than copy it (it is not referenced here again).
        out = batch as LogRecord[];
      } else {
        out ??= [];
        for (let i = this.#next; i < this.#next + k; i++) out.push(batch[i]!);
      }
      this.#next += k;
      n += k;
    }
    return out ?? NONE;
  }

  /** Decodes the next batch holding records at or after `from`; false at the end or at a corrupt batch. */
  #decodeNext(mayThrow: boolean): boolean {
    const bytes = this.#bytes;
    this.#batch = NONE;
    this.#next = 0;
    while (this.#pos < bytes.length) {
      const p = this.#pos;
      const size = p + BATCH.headerBytes <= bytes.length ? bytes.readInt32BE(p + BATCH.length) + 12 : -1;
      const corrupt =
        size < BATCH.headerBytes || p + size > bytes.length || bytes[p + BATCH.magic] !== 2
          ? 'bad batch framing'
          : this.#checkCrcs && crc32c(bytes, p + BATCH.attributes, p + size) !== bytes.readUInt32BE(p + BATCH.crc)
            ? 'CRC32C mismatch'
            : null;
      if (corrupt !== null) return this.#refuse(p, mayThrow, 'CORRUPT_RECORD', corrupt);
      const attrs = bytes.readInt16BE(p + BATCH.attributes);
      if (this.#aborted !== null && (attrs & TRANSACTIONAL_BIT) !== 0 && this.#isAborted(bytes, p, attrs)) {
        this.#pos = p + size;
        continue;
      }
      if (!isControlBatch(attrs)) {
        // One decode per batch: a compressed batch is decompressed here, once, and its records are views into it.
        let recs: LogRecord[];
        try {
          recs = decodeRecords(bytes, p);
        } catch (e: unknown) {
          if (isStreamsError(e, 'CORRUPT_RECORD')) return this.#refuse(p, mayThrow, 'CORRUPT_RECORD', e.message, e);
          if (isStreamsError(e, 'UNSUPPORTED_COMPRESSION_TYPE')) return this.#refuse(p, mayThrow, 'UNSUPPORTED_COMPRESSION_TYPE', e.message, e);
          throw e;
        }
        this.#pos = p + size;
        let first = 0;
        while (first < recs.length && recs[first]!.offset < this.#from) first++;
        if (first < recs.length) {
          this.#batch = recs;
          this.#next = first;
          return true;
        }
        continue;
      }
      this.#pos = p + size;
    }
    return false;
  }

  /**
   * Stops at the undecodable batch at `p`: blocks (returns false) or throws `code` naming the topic, partition and the
   * batch's offset. The position stays at the batch, so the next take meets it again.
   */
  #refuse(p: number, mayThrow: boolean, code: 'CORRUPT_RECORD' | 'UNSUPPORTED_COMPRESSION_TYPE', reason: string, cause?: unknown): false {
    this.#isBlocked = !mayThrow;
    if (!mayThrow) return false;
    const bytes = this.#bytes;
    const at = p + 8 <= bytes.length ? readInt64BE(bytes, p) : this.#from;
    const what = code === 'CORRUPT_RECORD' ? 'corrupt record batch' : 'record batch with an unreadable codec';
    throw new StreamsError(code, `${what} in ${this.topic}-${this.partition} at offset ${at}: ${reason}`, {
      topic: this.topic,
      partition: this.partition,
      offset: at,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /** Whether a transactional batch belongs to an aborted transaction; an ABORT marker ends its producer's skipping. */
  #isAborted(bytes: Buffer, p: number, attrs: number): boolean {
    const aborted = this.#aborted!;
    const pid = readInt64BE(bytes, p + BATCH.producerId);
    const last = readInt64BE(bytes, p) + bytes.readInt32BE(p + BATCH.lastOffsetDelta);
    while (this.#abortedNext < aborted.length && aborted[this.#abortedNext]!.firstOffset <= last) {
      (this.#abortedPids ??= new Set()).add(aborted[this.#abortedNext++]!.producerId);
    }
    const pids = this.#abortedPids;
    if (pids === null || !pids.has(pid)) return false;
    if (isControlBatch(attrs)) {
      if (decodeControlRecordType(decodeRecords(bytes, p)[0]?.key ?? null) === 'ABORT') pids.delete(pid);
      return true;
    }
    return true;
  }
}

/**
 * Decodes fetched record batches into records at or after `from`, all at once (see {@link FetchedRecords} for the
 * checks): the good records before a corrupt batch are returned, and a corrupt first batch throws CORRUPT_RECORD.
 *
 * @example
 * ```ts
 * const records = decodeFetched('lines', 0, fetched.bytes, position, true);
 * ```
 */
export function decodeFetched(topic: string, partition: number, bytes: Buffer, from: number, checkCrcs: boolean): LogRecord[] {
  const records = new FetchedRecords(topic, partition, bytes, from, checkCrcs).take(Number.POSITIVE_INFINITY, true);
  return records.length === 0 ? [] : (records as LogRecord[]);
}
