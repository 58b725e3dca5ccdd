/**
 * Control batches: the transaction markers (COMMIT / ABORT) a transaction coordinator writes into every partition a
 * transaction touched. A control batch has attributes isControl + isTransactional and one control record:
 *
 * ```
 * key   = version int16 (0) | type int16 (0 ABORT, 1 COMMIT; other types are KRaft's, not transactions')
 * value = version int16 (0) | coordinatorEpoch int32
 * ```
 */
import { StreamsError } from '../errors.js';
import { encodeBatch } from './record-batch.js';
import { readInt16BE, readInt32BE, writeInt16BE, writeInt32BE } from './varint.js';

function grammar(message: string): StreamsError {
  return new StreamsError('CORRUPT_RECORD', message);
}

/**
 * The two transaction markers a control batch can carry: the transaction's records become visible to
 * read_committed consumers (COMMIT) or are skipped by them (ABORT).
 *
 * @example
 * ```ts
 * const type: ControlRecordType = committed ? 'COMMIT' : 'ABORT';
 * ```
 */
export type ControlRecordType = 'ABORT' | 'COMMIT';

/**
 * Encodes a control batch holding one transaction marker (isControl + isTransactional, baseSequence -1), as the
 * transaction coordinator writes to each partition a transaction touched.
 *
 * @example
 * ```ts
 * const marker = encodeControlBatch('COMMIT', { producerId: 7, producerEpoch: 1, timestampMs: clock.nowMs(), coordinatorEpoch: 0 });
 * ```
 */
export function encodeControlBatch(
  type: ControlRecordType,
  marker: { producerId: number; producerEpoch: number; timestampMs: number; coordinatorEpoch: number },
): Buffer {
  const key = Buffer.alloc(4);
  writeInt16BE(key, 2, type === 'COMMIT' ? 1 : 0); // version 0
  const value = Buffer.alloc(6);
  const epoch = marker.coordinatorEpoch;
  if (!Number.isInteger(epoch) || epoch < -1 || epoch > 0x7fff_ffff) {
    throw new StreamsError('INVALID_RECORD', `coordinatorEpoch must be an int32 >= -1, got ${epoch}`);
  }
  writeInt32BE(value, 2, epoch); // version 0
  return encodeBatch([{ key, value, timestampMs: marker.timestampMs }], {
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    isTransactional: true,
    isControl: true,
  });
}

/**
 * The marker type in a control record's key: 'ABORT' (0), 'COMMIT' (1), or 'UNKNOWN' for types Kafka uses for other
 * purposes (KRaft leader change, snapshots), which transactions ignore. Throws `CORRUPT_RECORD` for a key shorter
 * than 4 bytes or with a negative version.
 *
 * @example
 * ```ts
 * if (isControlBatch(h.attributes)) for (const r of decodeRecords(buf, pos, h)) decodeControlRecordType(r.key);
 * ```
 */
export function decodeControlRecordType(key: Uint8Array | null): ControlRecordType | 'UNKNOWN' {
  if (key === null || key.length < 4) throw grammar('control record key is shorter than 4 bytes');
  if (readInt16BE(key, 0) < 0) throw grammar('control record key has a negative version');
  const type = readInt16BE(key, 2);
  return type === 0 ? 'ABORT' : type === 1 ? 'COMMIT' : 'UNKNOWN';
}

/**
 * The coordinator epoch in a transaction marker's value (version int16, coordinatorEpoch int32).
 *
 * @example
 * ```ts
 * decodeControlCoordinatorEpoch(record.value); // 5
 * ```
 */
export function decodeControlCoordinatorEpoch(value: Uint8Array | null): number {
  if (value === null || value.length < 6) throw grammar('transaction marker value is shorter than 6 bytes');
  return readInt32BE(value, 2);
}
