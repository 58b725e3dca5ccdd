/**
 * The records section of a v2 record batch (see record-batch.ts for the byte grammar): sizing and writing records
 * for the encoder, and one walker that validates or decodes them, so checking and decoding can never disagree.
 * Internal to the broker's codec; the types are re-exported by record-batch.ts.
 */
import { StreamsError } from '../errors.js';
import { NO_HEADERS } from '../record.js';
import type { Header, Headers } from '../record.js';
import type { Cursor } from './varint.js';
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js';

const INT32_MAX = 0x7fff_ffff;
const TIMESTAMP_TYPE_BIT = 0x08;

/**
 * One record to encode. Keys and values are bytes or null (a null value is a tombstone).
 *
 * @example
 * ```ts
 * const r: RecordInput = { key: Buffer.from('k'), value: null, timestampMs: 1_700_000_000_000 };
 * ```
 */
export interface RecordInput {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Epoch ms, a safe integer. */
  readonly timestampMs: number;
  readonly headers?: readonly Header[];
  /** Offset relative to the batch's baseOffset; defaults to the index in the array. Must strictly increase. */
  readonly offsetDelta?: number;
}

/**
 * A record read from a batch: absolute offset, effective timestamp, and key/value/header bytes as views into the
 * batch buffer (or into the decompressed records of a gzip batch), not copies.
 *
 * @example
 * ```ts
 * for (const r of decodeRecords(batch, 0)) console.log(r.offset, r.key?.toString(), r.value?.toString());
 * ```
 */
export interface DecodedRecord {
  readonly offset: number;
  readonly timestampMs: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** {@link NO_HEADERS} when the record has none. */
  readonly headers: Headers;
}

/** Record body sizes of the batch being encoded (module scratch; encoding is synchronous). */
let bodySizes = new Int32Array(64);

/**
 * What {@link measureRecords} found: the section's size in bytes, the largest timestamp and the last offset delta.
 *
 * @example
 * ```ts
 * const { size, maxTimestamp, lastOffsetDelta } = measureRecords(records, baseTimestamp);
 * ```
 */
export interface RecordsMeasure {
  readonly size: number;
  readonly maxTimestamp: number;
  readonly lastOffsetDelta: number;
}

function invalid(message: string): StreamsError {
  return new StreamsError('INVALID_RECORD', message);
}

/**
 * Validates records for encoding and computes the size of their section, remembering each body size for
 * {@link writeRecords} (which must be called next, for the same records). Throws `INVALID_RECORD` for a timestamp
 * that is not a safe integer or offset deltas that do not strictly increase.
 *
 * @example
 * ```ts
 * const m = measureRecords(records, records[0].timestampMs);
 * const buf = Buffer.allocUnsafe(61 + m.size);
 * writeRecords(buf, 61, records, records[0].timestampMs);
 * ```
 */
export function measureRecords(records: readonly RecordInput[], baseTimestamp: number): RecordsMeasure {
  const n = records.length;
  if (bodySizes.length < n) bodySizes = new Int32Array(Math.max(n, bodySizes.length * 2));
  const sizes = bodySizes;
  let recordsSize = 0;
  let maxTimestamp = -Infinity;
  let prevDelta = -1;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const ts = r.timestampMs;
    if (!Number.isSafeInteger(ts)) throw invalid(`record ${i}: timestampMs must be a safe integer, got ${ts}`);
    if (ts > maxTimestamp) maxTimestamp = ts;
    const tsDelta = ts - baseTimestamp;
    if (tsDelta > 2 ** 53 || tsDelta < -(2 ** 53)) throw invalid(`record ${i}: timestamp too far from baseTimestamp`);
    const offsetDelta = r.offsetDelta ?? i;
    if (!Number.isInteger(offsetDelta) || offsetDelta <= prevDelta || offsetDelta > INT32_MAX) {
      throw invalid(`record ${i}: offsetDelta must be an int32 greater than the previous one, got ${offsetDelta}`);
    }
    prevDelta = offsetDelta;
    let size = 1 + sizeOfVarlong(tsDelta) + sizeOfVarint(offsetDelta);
    size += r.key === null ? 1 : sizeOfVarint(r.key.length) + r.key.length;
    size += r.value === null ? 1 : sizeOfVarint(r.value.length) + r.value.length;
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      size += 1;
    } else {
      size += sizeOfVarint(headers.length);
      for (let h = 0; h < headers.length; h++) {
        const header = headers[h]!;
        const keyBytes = Buffer.byteLength(header.key, 'utf8');
        size += sizeOfVarint(keyBytes) + keyBytes;
        size += header.value === null ? 1 : sizeOfVarint(header.value.length) + header.value.length;
      }
    }
    if (size > INT32_MAX - 5) throw invalid(`record ${i} is too large`);
    sizes[i] = size;
    recordsSize += sizeOfVarint(size) + size;
  }
  return { size: recordsSize, maxTimestamp, lastOffsetDelta: prevDelta };
}

/**
 * Writes the records section at `pos` using the body sizes from the preceding {@link measureRecords} call.
 *
 * @example
 * ```ts
 * writeRecords(buf, 61, records, baseTimestamp);
 * ```
 */
export function writeRecords(buf: Buffer, pos: number, records: readonly RecordInput[], baseTimestamp: number): void {
  const sizes = bodySizes;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    pos = writeVarint(buf, pos, sizes[i]!);
    buf[pos++] = 0;
    pos = writeVarlong(buf, pos, r.timestampMs - baseTimestamp);
    pos = writeVarint(buf, pos, r.offsetDelta ?? i);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      buf[pos++] = 0;
      continue;
    }
    pos = writeVarint(buf, pos, headers.length);
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!;
      const keyBytes = Buffer.byteLength(header.key, 'utf8');
      pos = writeVarint(buf, pos, keyBytes);
      pos += buf.write(header.key, pos, keyBytes, 'utf8');
      pos = writeBytes(buf, pos, header.value);
    }
  }
}

function writeBytes(buf: Buffer, pos: number, bytes: Uint8Array | null): number {
  if (bytes === null) {
    buf[pos] = 1; // zigzag(-1)
    return pos + 1;
  }
  pos = writeVarint(buf, pos, bytes.length);
  buf.set(bytes, pos);
  return pos + bytes.length;
}

function grammar(message: string): StreamsError {
  return new StreamsError('CORRUPT_RECORD', message);
}

/**
 * The batch header fields the record walker needs (a `BatchHeader` from record-batch.ts has them all).
 *
 * @example
 * ```ts
 * const ctx: RecordsContext = readBatchHeader(buf, 0);
 * ```
 */
export interface RecordsContext {
  readonly baseOffset: number;
  readonly attributes: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly recordCount: number;
}

/**
 * Walks `header.recordCount` records in `src[start, end)`, which they must fill exactly. Validates only when `out`
 * is null; otherwise appends decoded records (then `src` must be a Buffer, for zero-copy subarrays). Throws
 * `CORRUPT_RECORD` on any grammar error.
 *
 * @example
 * ```ts
 * parseRecords(batch, 61, batch.length, readBatchHeader(batch, 0), null); // validate only
 * ```
 */
export function parseRecords(src: Uint8Array, start: number, end: number, header: RecordsContext, out: DecodedRecord[] | null): void {
  const cur: Cursor = { pos: start };
  const count = header.recordCount;
  const logAppendTime = (header.attributes & TIMESTAMP_TYPE_BIT) !== 0;
  const buf = src as Buffer;
  for (let i = 0; i < count; i++) {
    const length = readVarint(src, cur, end);
    const recordEnd = cur.pos + length;
    if (length < 6 || recordEnd > end) throw grammar(`record ${i} has length ${length} beyond its batch`);
    cur.pos++; // attributes: unused
    const timestampDelta = readVarlong(src, cur, recordEnd);
    const offsetDelta = readVarint(src, cur, recordEnd);
    const keyLength = readVarint(src, cur, recordEnd);
    const keyAt = cur.pos;
    if (keyLength < -1 || keyAt + keyLength > recordEnd) throw grammar(`record ${i} has key length ${keyLength}`);
    if (keyLength > 0) cur.pos += keyLength;
    const valueLength = readVarint(src, cur, recordEnd);
    const valueAt = cur.pos;
    if (valueLength < -1 || valueAt + valueLength > recordEnd) throw grammar(`record ${i} has value length ${valueLength}`);
    if (valueLength > 0) cur.pos += valueLength;
    const headerCount = readVarint(src, cur, recordEnd);
    if (headerCount < 0 || headerCount > recordEnd - cur.pos) throw grammar(`record ${i} has ${headerCount} headers`);
    let headers: Headers = NO_HEADERS;
    if (headerCount > 0) headers = parseHeaders(src, cur, recordEnd, headerCount, out !== null);
    if (cur.pos !== recordEnd) throw grammar(`record ${i} is ${recordEnd - cur.pos} bytes longer than its fields`);
    if (out !== null) {
      out.push({
        offset: header.baseOffset + offsetDelta,
        timestampMs: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
        key: keyLength < 0 ? null : buf.subarray(keyAt, keyAt + keyLength),
        value: valueLength < 0 ? null : buf.subarray(valueAt, valueAt + valueLength),
        headers,
      });
    }
  }
  if (cur.pos !== end) throw grammar(`${end - cur.pos} bytes follow the last of ${count} records`);
}

function parseHeaders(src: Uint8Array, cur: Cursor, recordEnd: number, count: number, build: boolean): Headers {
  const headers: Header[] | null = build ? [] : null;
  const buf = src as Buffer;
  for (let h = 0; h < count; h++) {
    const keyLength = readVarint(src, cur, recordEnd);
    const keyAt = cur.pos;
    if (keyLength < 0 || keyAt + keyLength > recordEnd) throw grammar(`header ${h} has key length ${keyLength}`);
    cur.pos += keyLength;
    const valueLength = readVarint(src, cur, recordEnd);
    const valueAt = cur.pos;
    if (valueLength < -1 || valueAt + valueLength > recordEnd) throw grammar(`header ${h} has value length ${valueLength}`);
    if (valueLength > 0) cur.pos += valueLength;
    if (headers !== null) {
      headers.push({
        key: buf.toString('utf8', keyAt, keyAt + keyLength),
        value: valueLength < 0 ? null : buf.subarray(valueAt, valueAt + valueLength),
      });
    }
  }
  return headers ?? NO_HEADERS;
}
