/**
 * Kafka's record batch format v2 (magic 2), byte for byte: the unit the log stores, checks on recovery and serves.
 *
 * ```
 * RecordBatch (offsets from the batch start; integers big-endian)
 *   @0  baseOffset           int64    offset of the first record (producers write 0; the broker patches it)
 *   @8  batchLength          int32    bytes after this field = total size - 12 (at least 49)
 *   @12 partitionLeaderEpoch int32
 *   @16 magic                int8     2
 *   @17 crc                  uint32   CRC32C (Castagnoli) of bytes [21, end): not covering the fields above
 *   @21 attributes           int16    bits 0-2 compression (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd),
 *                                     bit 3 timestampType (0 CreateTime, 1 LogAppendTime), bit 4 isTransactional,
 *                                     bit 5 isControl, bit 6 hasDeleteHorizonMs (KIP-534)
 *   @23 lastOffsetDelta      int32    last offset - baseOffset (kept by compaction even if that record is gone)
 *   @27 baseTimestamp        int64    the first record's timestamp, or the delete horizon when bit 6 is set
 *   @35 maxTimestamp         int64    the largest record timestamp, or the append time for LogAppendTime
 *   @43 producerId           int64    -1 without idempotence
 *   @51 producerEpoch        int16    -1 without idempotence
 *   @53 baseSequence         int32    the first record's sequence number, -1 without idempotence
 *   @57 recordCount          int32
 *   @61 records              Record * recordCount (the whole run compressed when compression != 0)
 *
 * Record (varint/varlong are zigzag, see varint.ts)
 *   length varint (bytes after this field) | attributes int8 (unused, 0) | timestampDelta varlong |
 *   offsetDelta varint | keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
 *   headersCount varint | Header * headersCount
 *
 * Header
 *   headerKeyLength varint (>= 0) | headerKey (UTF-8) | headerValueLength varint (-1 = null) | headerValue
 *
 * ```
 *
 * The records grammar is walked in records-section.ts; control records (transaction markers) in control-batch.ts.
 *
 * Compression (codecs in compression.ts): the encoder compresses the records section once per batch; the decoder
 * decompresses it once per batch and hands out records as views into the decompressed bytes, never per-record
 * copies. A batch's bytes are stored and served as the producer sent them, compressed or not.
 *
 * Errors: malformed bytes raise `StreamsError('CORRUPT_RECORD')`; a codec id other than 0-4, or a codec whose npm
 * package is missing, `UNSUPPORTED_COMPRESSION_TYPE`. Invalid arguments to the encoders (an empty record list, an
 * out-of-range epoch, a non-integer timestamp, decreasing offset deltas) raise `INVALID_RECORD`, the code tributary
 * uses for values out of their allowed range.
 */
import { StreamsError } from '../errors.js';
import { codecId, compress, decompress, type CompressionCodec } from './compression.js';
import { crc32c } from './crc32c.js';
import { measureRecords, parseRecords, writeRecords } from './records-section.js';
import type { DecodedRecord, RecordInput } from './records-section.js';
import { readInt16BE, readInt32BE, readInt64BE, writeInt16BE, writeInt32BE, writeInt64BE } from './varint.js';

export type { DecodedRecord, RecordInput } from './records-section.js';
export type { CompressionCodec } from './compression.js';

/** The magic byte of record batch format v2. */
export const MAGIC_V2 = 2;
/** Size of the batch header, from baseOffset through recordCount; records start here. */
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const BATCH_OVERHEAD_PREFIX = 12;
/** The smallest legal batchLength (a header without records). */
export const MIN_BATCH_LENGTH = BATCH_HEADER_BYTES - BATCH_OVERHEAD_PREFIX;

const LENGTH_AT = 8;
const LEADER_EPOCH_AT = 12;
const MAGIC_AT = 16;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const MAX_TIMESTAMP_AT = 35;
const COMPRESSION_MASK = 0x07;
/** The highest codec id Kafka assigns (zstd); 5-7 are unassigned. */
const MAX_CODEC = 4;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const DELETE_HORIZON_BIT = 0x40;
const INT32_MAX = 0x7fff_ffff;

/**
 * The fixed fields of a v2 batch header, as numbers (`crc` unsigned).
 *
 * @example
 * ```ts
 * const h = readBatchHeader(buf, 0);
 * const nextOffset = h.baseOffset + h.lastOffsetDelta + 1;
 * ```
 */
export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * A batch compression codec by Kafka's name; `unknown` for the unassigned codes 5-7 (such a batch cannot be read).
 *
 * @example
 * ```ts
 * const codec: CompressionType = compressionOf(header.attributes);
 * ```
 */
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'unknown';
const COMPRESSION_NAMES: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd', 'unknown', 'unknown', 'unknown'];

/**
 * The compression codec named by batch `attributes` (bits 0-2).
 *
 * @example
 * ```ts
 * compressionOf(readBatchHeader(buf, 0).attributes); // 'none'
 * ```
 */
export function compressionOf(attributes: number): CompressionType {
  return COMPRESSION_NAMES[attributes & COMPRESSION_MASK]!;
}

/**
 * Whether record timestamps are the producer's (`CreateTime`) or the broker's (`LogAppendTime`, bit 3), in which
 * case every record's timestamp is the batch's maxTimestamp.
 *
 * @example
 * ```ts
 * timestampTypeOf(0x08); // 'LogAppendTime'
 * ```
 */
export function timestampTypeOf(attributes: number): 'CreateTime' | 'LogAppendTime' {
  return attributes & TIMESTAMP_TYPE_BIT ? 'LogAppendTime' : 'CreateTime';
}

/**
 * True when the batch belongs to a transaction (bit 4): readers with read_committed hold it until its marker.
 *
 * @example
 * ```ts
 * isTransactionalBatch(readBatchHeader(buf, 0).attributes);
 * ```
 */
export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_BIT) !== 0;
}

/**
 * True when the batch holds control records (bit 5, transaction markers), which consumers never see as data.
 *
 * @example
 * ```ts
 * if (isControlBatch(h.attributes)) skip(h);
 * ```
 */
export function isControlBatch(attributes: number): boolean {
  return (attributes & CONTROL_BIT) !== 0;
}

/**
 * True when baseTimestamp holds the compaction delete horizon (bit 6, KIP-534) rather than the first timestamp.
 *
 * @example
 * ```ts
 * if (hasDeleteHorizonMs(h.attributes) && nowMs >= h.baseTimestamp) dropTombstones(h);
 * ```
 */
export function hasDeleteHorizonMs(attributes: number): boolean {
  return (attributes & DELETE_HORIZON_BIT) !== 0;
}

/**
 * Header fields for {@link encodeBatch}; the defaults are those of a Kafka producer without idempotence.
 *
 * @example
 * ```ts
 * const opts: EncodeBatchOptions = { producerId: 7, producerEpoch: 0, baseSequence: 0, isTransactional: true };
 * ```
 */
export interface EncodeBatchOptions {
  /** Default 0 (the broker assigns offsets with {@link setBatchBaseOffset}). */
  baseOffset?: number;
  /** Default -1. */
  partitionLeaderEpoch?: number;
  /** Default -1. */
  producerId?: number;
  /** Default -1. */
  producerEpoch?: number;
  /** Default -1. */
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  /** Default 'CreateTime'. With 'LogAppendTime', readers use maxTimestamp (the largest record timestamp here). */
  timestampType?: 'CreateTime' | 'LogAppendTime';
  /** Default: the largest offsetDelta (compaction passes the original one so the batch keeps its last offset). */
  lastOffsetDelta?: number;
  /** KIP-534: sets attributes bit 6 and stores this as baseTimestamp; record deltas are relative to it. */
  deleteHorizonMs?: number;
  /** Default 'none'. Any other codec compresses the records section once (compression.ts). */
  compression?: CompressionCodec;
}

function invalid(message: string): StreamsError {
  return new StreamsError('INVALID_RECORD', message);
}

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/**
 * Encodes records as one v2 record batch, ready to append: size computed first, one allocation, CRC last.
 *
 * baseTimestamp is the first record's timestamp (as a Kafka producer writes it, so deltas may be negative) unless
 * `deleteHorizonMs` is given; maxTimestamp is the largest record timestamp. Throws `INVALID_RECORD` for an empty
 * record list or an out-of-range field (see the module comment).
 *
 * @example
 * ```ts
 * const batch = encodeBatch([{ key: Buffer.from('a'), value: Buffer.from('1'), timestampMs: Date.now() }]);
 * setBatchBaseOffset(batch, 0, logEndOffset);
 * ```
 */
export function encodeBatch(records: readonly RecordInput[], options: EncodeBatchOptions = {}): Buffer {
  const n = records.length;
  if (n === 0) throw invalid('a record batch needs at least one record');
  const deleteHorizonMs = options.deleteHorizonMs;
  const baseTimestamp = deleteHorizonMs ?? records[0]!.timestampMs;
  checkInt('baseTimestamp', baseTimestamp, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const { size: recordsSize, maxTimestamp, lastOffsetDelta: maxDelta } = measureRecords(records, baseTimestamp);
  const lastOffsetDelta = checkInt('lastOffsetDelta', options.lastOffsetDelta ?? maxDelta, maxDelta, INT32_MAX);

  const codec = codecId(options.compression ?? 'none');
  let buf: Buffer;
  if (codec !== 0) {
    const raw = Buffer.allocUnsafe(recordsSize);
    writeRecords(raw, 0, records, baseTimestamp);
    const compressed = compress(codec, raw);
    buf = Buffer.allocUnsafe(BATCH_HEADER_BYTES + compressed.length);
    buf.set(compressed, BATCH_HEADER_BYTES);
  } else {
    buf = Buffer.allocUnsafe(BATCH_HEADER_BYTES + recordsSize);
    writeRecords(buf, BATCH_HEADER_BYTES, records, baseTimestamp);
  }
  if (buf.length - BATCH_OVERHEAD_PREFIX > INT32_MAX) throw invalid('record batch exceeds 2 GiB');

  let attributes = codec;
  if (options.timestampType === 'LogAppendTime') attributes |= TIMESTAMP_TYPE_BIT;
  if (options.isTransactional === true) attributes |= TRANSACTIONAL_BIT;
  if (options.isControl === true) attributes |= CONTROL_BIT;
  if (deleteHorizonMs !== undefined) attributes |= DELETE_HORIZON_BIT;

  const safe = Number.MAX_SAFE_INTEGER;
  writeInt64BE(buf, 0, checkInt('baseOffset', options.baseOffset ?? 0, 0, safe));
  writeInt32BE(buf, LENGTH_AT, buf.length - BATCH_OVERHEAD_PREFIX);
  writeInt32BE(buf, LEADER_EPOCH_AT, checkInt('partitionLeaderEpoch', options.partitionLeaderEpoch ?? -1, -1, INT32_MAX));
  buf[MAGIC_AT] = MAGIC_V2;
  writeInt16BE(buf, ATTRIBUTES_AT, attributes);
  writeInt32BE(buf, 23, lastOffsetDelta);
  writeInt64BE(buf, 27, baseTimestamp);
  writeInt64BE(buf, MAX_TIMESTAMP_AT, maxTimestamp);
  writeInt64BE(buf, 43, checkInt('producerId', options.producerId ?? -1, -1, safe));
  writeInt16BE(buf, 51, checkInt('producerEpoch', options.producerEpoch ?? -1, -1, 0x7fff));
  writeInt32BE(buf, 53, checkInt('baseSequence', options.baseSequence ?? -1, -1, INT32_MAX));
  writeInt32BE(buf, 57, n);
  writeInt32BE(buf, CRC_AT, crc32c(buf, ATTRIBUTES_AT, buf.length));
  return buf;
}

/**
 * Reads the 61-byte header of the batch at `pos`. Checks only that the header lies within `buf`, not the CRC or
 * the magic; use {@link checkBatch} on untrusted bytes.
 *
 * @example
 * ```ts
 * const { baseOffset, lastOffsetDelta, batchLength } = readBatchHeader(segment, position);
 * ```
 */
export function readBatchHeader(buf: Uint8Array, pos: number): BatchHeader {
  if (!Number.isInteger(pos) || pos < 0 || pos + BATCH_HEADER_BYTES > buf.length) {
    throw new StreamsError('CORRUPT_RECORD', `no complete batch header at position ${pos} of ${buf.length} bytes`);
  }
  return {
    baseOffset: readInt64BE(buf, pos),
    batchLength: readInt32BE(buf, pos + LENGTH_AT),
    partitionLeaderEpoch: readInt32BE(buf, pos + LEADER_EPOCH_AT),
    magic: (buf[pos + MAGIC_AT]! << 24) >> 24,
    crc: readInt32BE(buf, pos + CRC_AT) >>> 0,
    attributes: readInt16BE(buf, pos + ATTRIBUTES_AT),
    lastOffsetDelta: readInt32BE(buf, pos + 23),
    baseTimestamp: readInt64BE(buf, pos + 27),
    maxTimestamp: readInt64BE(buf, pos + MAX_TIMESTAMP_AT),
    producerId: readInt64BE(buf, pos + 43),
    producerEpoch: readInt16BE(buf, pos + 51),
    baseSequence: readInt32BE(buf, pos + 53),
    recordCount: readInt32BE(buf, pos + 57),
  };
}

/** The end of the batch at `pos` after checking that the whole batch lies within `buf`. */
function batchEnd(buf: Uint8Array, pos: number): number {
  if (!Number.isInteger(pos) || pos < 0 || pos + BATCH_HEADER_BYTES > buf.length) {
    throw new StreamsError('CORRUPT_RECORD', `no complete batch header at position ${pos} of ${buf.length} bytes`);
  }
  const length = readInt32BE(buf, pos + LENGTH_AT);
  const end = pos + BATCH_OVERHEAD_PREFIX + length;
  if (length < MIN_BATCH_LENGTH || end > buf.length) {
    throw new StreamsError('CORRUPT_RECORD', `batch at position ${pos} has length ${length} beyond its buffer`);
  }
  return end;
}

/**
 * Overwrites the baseOffset of the batch at `pos` in place. The CRC does not cover it, so the batch stays valid.
 *
 * @example
 * ```ts
 * setBatchBaseOffset(batch, 0, log.endOffset);
 * ```
 */
export function setBatchBaseOffset(buf: Uint8Array, pos: number, baseOffset: number): void {
  if (!Number.isSafeInteger(baseOffset)) throw invalid(`baseOffset must be a safe integer, got ${baseOffset}`);
  if (!Number.isInteger(pos) || pos < 0 || pos + 8 > buf.length) {
    throw new StreamsError('CORRUPT_RECORD', `no batch at position ${pos} of ${buf.length} bytes`);
  }
  writeInt64BE(buf, pos, baseOffset);
}

/**
 * Marks the batch at `pos` as LogAppendTime with `timestampMs` as its maxTimestamp (so every record reads back with
 * that timestamp), in place, and recomputes the CRC since both fields are covered by it.
 *
 * @example
 * ```ts
 * if (topicConfig.timestampType === 'LogAppendTime') setLogAppendTime(batch, 0, clock.nowMs());
 * ```
 */
export function setLogAppendTime(buf: Uint8Array, pos: number, timestampMs: number): void {
  if (!Number.isSafeInteger(timestampMs)) throw invalid(`timestampMs must be a safe integer, got ${timestampMs}`);
  const end = batchEnd(buf, pos);
  writeInt16BE(buf, pos + ATTRIBUTES_AT, readInt16BE(buf, pos + ATTRIBUTES_AT) | TIMESTAMP_TYPE_BIT);
  writeInt64BE(buf, pos + MAX_TIMESTAMP_AT, timestampMs);
  writeInt32BE(buf, pos + CRC_AT, crc32c(buf, pos + ATTRIBUTES_AT, end));
}

/**
 * What sits at `pos`: a whole valid batch, an incomplete one (the buffer ends inside it), or garbage.
 *
 * @example
 * ```ts
 * const c: BatchCheck = checkBatch(buf, pos);
 * if (c.kind === 'corrupt') logger.warn({ pos, reason: c.reason }, 'corrupt batch');
 * ```
 */
export type BatchCheck =
  | { kind: 'ok'; size: number; header: BatchHeader }
  | { kind: 'incomplete' }
  | { kind: 'corrupt'; reason: string };

const INCOMPLETE: BatchCheck = Object.freeze({ kind: 'incomplete' });

function corrupt(reason: string): BatchCheck {
  return { kind: 'corrupt', reason };
}

/**
 * Validates the batch at `pos` within `buf[0, end)`: length, magic, CRC, and (unless `checkRecords` is false) that
 * the records section, decompressed once if the batch is compressed, parses to exactly `recordCount` records ending
 * at the batch end, so a batch that returns `ok` can always be decoded by {@link decodeRecords}.
 *
 * `incomplete` means the bytes end inside a batch whose visible prefix is plausible (a torn tail after a crash,
 * including any prefix shorter than the 12-byte length prefix). `corrupt` means a length below 49 or a total size
 * above `maxBatchBytes`, a magic other than 2, a CRC mismatch, a grammar error, a section that does not
 * decompress, or a codec id 5-7. Never throws for bad bytes; it throws `UNSUPPORTED_COMPRESSION_TYPE` only when the
 * npm package of a codec 1-4 is missing, since that says nothing about the bytes (recovery must not cut them).
 * With `checkRecords` false the records are left to a following {@link decodeRecords}, which checks the same
 * grammar as it decodes (so a compressed batch is decompressed once, not twice).
 *
 * @example
 * ```ts
 * for (let pos = 0; ; ) {
 *   const c = checkBatch(segment, pos);
 *   if (c.kind !== 'ok') { truncateTo(pos); break; }
 *   pos += c.size;
 * }
 * ```
 */
export function checkBatch(buf: Uint8Array, pos: number, end: number = buf.length, maxBatchBytes = INT32_MAX, checkRecords = true): BatchCheck {
  if (!Number.isInteger(pos) || pos < 0) return corrupt(`invalid position ${pos}`);
  const stop = end > buf.length ? buf.length : end;
  const available = stop - pos;
  if (available < BATCH_OVERHEAD_PREFIX) return INCOMPLETE;
  const length = readInt32BE(buf, pos + LENGTH_AT);
  if (length < MIN_BATCH_LENGTH) return corrupt(`batch length ${length} is below the minimum ${MIN_BATCH_LENGTH}`);
  const size = length + BATCH_OVERHEAD_PREFIX;
  if (size > maxBatchBytes) return corrupt(`batch size ${size} exceeds the maximum ${maxBatchBytes}`);
  if (available > MAGIC_AT && buf[pos + MAGIC_AT] !== MAGIC_V2) return corrupt(`magic ${buf[pos + MAGIC_AT]} is not 2`);
  if (available < size) return INCOMPLETE;
  const batchStop = pos + size;
  const header = readBatchHeader(buf, pos);
  const crc = crc32c(buf, pos + ATTRIBUTES_AT, batchStop);
  if (crc !== header.crc) return corrupt(`crc mismatch: stored ${header.crc}, computed ${crc}`);
  if (header.recordCount < 0) return corrupt(`negative record count ${header.recordCount}`);
  const codec = header.attributes & COMPRESSION_MASK;
  if (codec > MAX_CODEC) return corrupt(`unsupported compression codec id ${codec}`);
  if (!checkRecords) return { kind: 'ok', size, header };
  try {
    const [src, start, srcEnd] = recordsSource(buf, pos, batchStop, header.attributes);
    parseRecords(src, start, srcEnd, header, null);
  } catch (e: unknown) {
    if (e instanceof StreamsError && e.code === 'UNSUPPORTED_COMPRESSION_TYPE') throw e;
    return corrupt(e instanceof Error ? e.message : String(e));
  }
  return { kind: 'ok', size, header };
}

/** The bytes holding the records of a batch: the batch itself or its records section, decompressed (once). */
function recordsSource(buf: Uint8Array, pos: number, stop: number, attributes: number): [Uint8Array, number, number] {
  const codec = attributes & COMPRESSION_MASK;
  if (codec === 0) return [buf, pos + BATCH_HEADER_BYTES, stop];
  const raw = decompress(codec, buf.subarray(pos + BATCH_HEADER_BYTES, stop));
  return [raw, 0, raw.length];
}

/**
 * Decodes the records of the batch at `pos` (its header read from `buf` unless passed). Does not check the CRC:
 * run {@link checkBatch} first on bytes from disk or the network. A compressed batch is decompressed once and its
 * records' keys, values and header values are views into the decompressed bytes.
 *
 * Offsets are baseOffset + offsetDelta. Timestamps are baseTimestamp + timestampDelta for CreateTime (relative to
 * the delete horizon when bit 6 is set, as KIP-534 writes them) and maxTimestamp for every record under
 * LogAppendTime. Throws `StreamsError('CORRUPT_RECORD')` on grammar errors or a section that does not decompress,
 * `UNSUPPORTED_COMPRESSION_TYPE` for a codec id 5-7 or a codec whose package is missing.
 *
 * @example
 * ```ts
 * const c = checkBatch(buf, pos);
 * if (c.kind === 'ok') records.push(...decodeRecords(buf, pos, c.header));
 * ```
 */
export function decodeRecords(buf: Buffer, pos: number, header: BatchHeader = readBatchHeader(buf, pos)): DecodedRecord[] {
  const stop = batchEnd(buf, pos);
  if (header.recordCount < 0) throw new StreamsError('CORRUPT_RECORD', `negative record count ${header.recordCount}`);
  const [src, start, srcEnd] = recordsSource(buf, pos, stop, header.attributes);
  const out: DecodedRecord[] = [];
  parseRecords(src, start, srcEnd, header, out);
  return out;
}

/**
 * The batch at the start of `batch` (exactly one batch) with its records section re-coded with `codec`: the same
 * header fields (offsets, timestamps, producer id/epoch/sequence, transactional bit), new length, codec bits and
 * CRC. Returns `batch` itself when it already uses `codec` and for control batches, which Kafka never compresses.
 * The records are not re-encoded: the uncompressed section is the same bytes for every codec. This is how a broker
 * applies a topic's `compression.type` other than `producer`.
 *
 * @example
 * ```ts
 * const stored = recompressBatch(produced, 'zstd');
 * compressionOf(readBatchHeader(stored, 0).attributes); // 'zstd'
 * ```
 */
export function recompressBatch(batch: Buffer, codec: CompressionCodec): Buffer {
  const end = batchEnd(batch, 0);
  const attributes = readInt16BE(batch, ATTRIBUTES_AT);
  const to = codecId(codec);
  const from = attributes & COMPRESSION_MASK;
  if (from === to || (attributes & CONTROL_BIT) !== 0) return batch;
  if (from > MAX_CODEC) throw new StreamsError('UNSUPPORTED_COMPRESSION_TYPE', `unsupported compression codec id ${from}`);
  const section = compress(to, decompress(from, batch.subarray(BATCH_HEADER_BYTES, end)));
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + section.length);
  batch.copy(out, 0, 0, BATCH_HEADER_BYTES);
  out.set(section, BATCH_HEADER_BYTES);
  writeInt32BE(out, LENGTH_AT, out.length - BATCH_OVERHEAD_PREFIX);
  writeInt16BE(out, ATTRIBUTES_AT, (attributes & ~COMPRESSION_MASK) | to);
  writeInt32BE(out, CRC_AT, crc32c(out, ATTRIBUTES_AT, out.length));
  return out;
}
