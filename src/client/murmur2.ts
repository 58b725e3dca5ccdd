/**
 * Kafka's key hash: 32-bit MurmurHash2 exactly as `org.apache.kafka.common.utils.Utils.murmur2` computes it (seed
 * 0x9747b28c, little-endian 4-byte blocks, Java's wrapping int arithmetic), and the default partitioner's choice of
 * partition for a key, so keys land where a Java Kafka producer would put them.
 */
import { StreamsError } from '../errors.js';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * The MurmurHash2 of `key` as Java's `Utils.murmur2` returns it: a signed 32-bit integer.
 *
 * @example
 * ```ts
 * murmur2(Buffer.from('21')); // -973932308
 * ```
 */
export function murmur2(key: Uint8Array): number {
  const length = key.length;
  let h = SEED ^ length;
  const blocksEnd = length & ~3;
  for (let i = 0; i < blocksEnd; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The 1-3 tail bytes, as the fall-through switch in Java folds them in.
  const tail = length & 3;
  if (tail !== 0) {
    if (tail === 3) h ^= key[blocksEnd + 2]! << 16;
    if (tail >= 2) h ^= key[blocksEnd + 1]! << 8;
    h ^= key[blocksEnd]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Kafka's `Utils.toPositive`: clears the sign bit (not `Math.abs`, so `-2^31` maps to 0 rather than overflowing).
 *
 * @example
 * ```ts
 * toPositive(-973932308); // 1173551340
 * ```
 */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/**
 * The partition Kafka's default partitioner picks for a non-null key: `toPositive(murmur2(key)) % numPartitions`.
 * Throws `StreamsError('INVALID_PARTITIONS')` unless `numPartitions` is a positive integer.
 *
 * @example
 * ```ts
 * partitionForKey(Buffer.from('foobar'), 50); // 16
 * ```
 */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1 || numPartitions > 0x7fffffff) {
    throw new StreamsError('INVALID_PARTITIONS', `numPartitions must be a positive integer, got ${numPartitions}`);
  }
  return toPositive(murmur2(key)) % numPartitions;
}
