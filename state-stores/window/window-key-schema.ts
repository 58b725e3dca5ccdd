/**
 * The changelog key of window stores, byte for byte as Kafka Streams' `WindowKeySchema.toStoreKeyBinary` writes it:
 *
 * ```
 * WindowStoreKey => key:bytes(length - 12) windowStartMs:int64 seqnum:int32
 * ```
 * Both numbers are big-endian; `seqnum` is 0 unless the store retains duplicates.
 */
import { readInt64BE, writeInt64BE } from '../../src/broker/varint.js';
import { StreamsError } from '../../src/errors.js';

const SUFFIX_BYTES = 12;

/**
 * The changelog key of one window store entry: `key + windowStartMs(8) + seqnum(4)`.
 *
 * @example
 * ```ts
 * windowStoreKeyBinary(Buffer.from('a'), 1, 0); // <61 00 00 00 00 00 00 00 01 00 00 00 00>
 * ```
 */
export function windowStoreKeyBinary(key: Uint8Array, windowStartMs: number, seqnum: number): Uint8Array {
  const out = Buffer.allocUnsafe(key.length + SUFFIX_BYTES);
  out.set(key, 0);
  writeInt64BE(out, key.length, windowStartMs);
  out.writeInt32BE(seqnum | 0, key.length + 8);
  return out;
}

/**
 * Splits a window changelog key into its parts (`key` is a view into `binary`); throws
 * `StreamsError('CORRUPT_RECORD')` when it is shorter than 12 bytes.
 *
 * @example
 * ```ts
 * parseWindowStoreKey(windowStoreKeyBinary(Buffer.from('a'), 5, 2)); // { key: <61>, windowStartMs: 5, seqnum: 2 }
 * ```
 */
export function parseWindowStoreKey(binary: Uint8Array): { key: Uint8Array; windowStartMs: number; seqnum: number } {
  if (binary.length < SUFFIX_BYTES) {
    throw new StreamsError('CORRUPT_RECORD', `a window store changelog key needs at least 12 bytes, got ${binary.length}`);
  }
  const keyLength = binary.length - SUFFIX_BYTES;
  const view = Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength);
  return {
    key: binary.subarray(0, keyLength),
    windowStartMs: readInt64BE(binary, keyLength),
    seqnum: view.readInt32BE(keyLength + 8),
  };
}
