import { crc32c } from '../broker/crc32c.js';
import { BATCH, readInt64 } from '../broker/log-segment.js';
import { decodeRecords, isControlBatch } from '../broker/record-batch.js';
import { StreamsError } from '../errors.js';
import type { LogRecord } from '../record.js';

/**
 * Decodes fetched record batches into records at or after `from`, verifying each batch's CRC32C first (Kafka's
 * check.crcs) so corrupt bytes are a CORRUPT_RECORD error naming topic/partition and the batch's offset, never data
 * (records of good batches before it are returned, and the error comes with the next fetch). Control batches
 * (transaction markers) are skipped. The records' grammar is checked by decodeRecords itself.
 *
 * @example
 * ```ts
 * const records = decodeFetched('lines', 0, fetched.bytes, position, true);
 * ```
 */
export function decodeFetched(topic: string, partition: number, bytes: Buffer, from: number, checkCrcs: boolean): LogRecord[] {
  let out: LogRecord[] | null = null;
  for (let p = 0; p < bytes.length; ) {
    const size = p + BATCH.headerBytes <= bytes.length ? bytes.readInt32BE(p + BATCH.length) + 12 : -1;
    const corrupt =
      size < BATCH.headerBytes || p + size > bytes.length || bytes[p + BATCH.magic] !== 2
        ? 'bad batch framing'
        : checkCrcs && crc32c(bytes, p + BATCH.attributes, p + size) !== bytes.readUInt32BE(p + BATCH.crc)
          ? 'CRC32C mismatch'
          : null;
    if (corrupt !== null) {
      // As Kafka's consumer: the good records before a corrupt batch are returned first; the next fetch starts at
      // the corrupt batch and fails there, naming its offset so the caller can decide to seek past it.
      if (out !== null && out.length > 0) return out;
      const at = p + 8 <= bytes.length ? readInt64(bytes, p) : from;
      throw new StreamsError('CORRUPT_RECORD', `corrupt record batch in ${topic}-${partition} at offset ${at}: ${corrupt}`, { topic, partition, offset: at });
    }
    if (!isControlBatch(bytes.readInt16BE(p + BATCH.attributes))) {
      const recs = decodeRecords(bytes, p);
      if (out === null && (recs.length === 0 || recs[0]!.offset >= from)) out = recs;
      else {
        out ??= [];
        for (const r of recs) if (r.offset >= from) out.push(r);
      }
    }
    p += size;
  }
  return out ?? [];
}
