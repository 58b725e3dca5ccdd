/**
 * The changelog key of session stores, byte for byte as Kafka Streams' `SessionKeySchema.toBinary` writes it:
 *
 * ```
 * SessionStoreKey => key:bytes(length - 16) endMs:int64 startMs:int64
 * ```
 * Both numbers big-endian; the end comes first.
 */
import { StreamsError } from '../../src/errors.js';
import { readInt64BE, writeInt64BE } from '../../src/broker/varint.js';

const SUFFIX_BYTES = 16;

/**
 * The changelog key of one session: `key + endMs(8) + startMs(8)`.
 *
 * @example
 * ```ts
 * sessionStoreKeyBinary(Buffer.from('a'), 1, 2); // <61 | 00..02 | 00..01>
 * ```
 */
export function sessionStoreKeyBinary(key: Uint8Array, startMs: number, endMs: number): Uint8Array {
  const out = Buffer.allocUnsafe(key.length + SUFFIX_BYTES);
  out.set(key, 0);
  writeInt64BE(out, key.length, endMs);
  writeInt64BE(out, key.length + 8, startMs);
  return out;
}

/**
 * Splits a session changelog key (`key` is a view); throws `StreamsError('CORRUPT_RECORD')` under 16 bytes.
 *
 * @example
 * ```ts
 * parseSessionStoreKey(sessionStoreKeyBinary(Buffer.from('a'), 1, 2)); // { key: <61>, startMs: 1, endMs: 2 }
 * ```
 */
export function parseSessionStoreKey(binary: Uint8Array): { key: Uint8Array; startMs: number; endMs: number } {
  if (binary.length < SUFFIX_BYTES) {
    throw new StreamsError('CORRUPT_RECORD', `a session store changelog key needs at least 16 bytes, got ${binary.length}`);
  }
  const keyLength = binary.length - SUFFIX_BYTES;
  return { key: binary.subarray(0, keyLength), endMs: readInt64BE(binary, keyLength), startMs: readInt64BE(binary, keyLength + 8) };
}
