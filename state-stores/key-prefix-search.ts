/**
 * Binary search over the sorted keys of one B+tree node, helped by each key's first four bytes held as a number
 * (its prefix) in a packed array beside the keys: most steps compare two numbers and never read a key's bytes,
 * which live behind two pointers; only keys with equal prefixes are compared byte by byte.
 */
import { compareBytes } from './compare-bytes.js';

/**
 * A key's first four bytes, big-endian, missing bytes as 0, moved into the signed int32 range (so prefixes stay
 * small integers): a smaller prefix means a smaller key in unsigned lexicographic order; equal prefixes settle
 * nothing (`[1]` and `[1, 0]` tie).
 *
 * @example
 * ```ts
 * keyPrefix(Uint8Array.of(0x7f)) < keyPrefix(Uint8Array.of(0x80)); // true: unsigned order
 * keyPrefix(Uint8Array.of(1)) === keyPrefix(Uint8Array.of(1, 0));  // true: a tie, decided by compareTied
 * ```
 */
export function keyPrefix(key: Uint8Array): number {
  const length = key.length;
  if (length >= 4) return ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) ^ 0x8000_0000;
  let prefix = 0;
  for (let i = 0; i < length; i++) prefix |= key[i]! << (24 - 8 * i);
  return prefix ^ 0x8000_0000;
}

/**
 * Compares two keys whose {@link keyPrefix}es are equal, like `compareBytes` (sign only): their first
 * min(length, 4) bytes are equal, so comparing starts past them, and the padding zeros of a key shorter than 4
 * bytes are settled by the lengths.
 *
 * @example
 * ```ts
 * compareTied(Buffer.from('user-1'), Buffer.from('user-2')) < 0; // true, after reading bytes 4 and 5 only
 * ```
 */
export function compareTied(a: Uint8Array, b: Uint8Array): number {
  const aLength = a.length;
  const bLength = b.length;
  const n = aLength < bLength ? aLength : bLength;
  if (n > 32) return compareBytes(a, b);
  for (let i = 4; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

/**
 * The index of the first of the sorted `keys` that is >= `key` (`keys.length` when none is); `prefixes[i]` must be
 * `keyPrefix(keys[i])` and `prefix` must be `keyPrefix(key)`.
 *
 * @example
 * ```ts
 * const keys = [Uint8Array.of(1), Uint8Array.of(3)];
 * lowerBound(keys, keys.map(keyPrefix), Uint8Array.of(3), keyPrefix(Uint8Array.of(3))); // 1
 * ```
 */
export function lowerBound(keys: readonly Uint8Array[], prefixes: readonly number[], key: Uint8Array, prefix: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = prefixes[mid]!;
    if (p < prefix || (p === prefix && compareTied(keys[mid]!, key) < 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The index of the first of the sorted `keys` that is > `key` (`keys.length` when none is); `prefixes[i]` must be
 * `keyPrefix(keys[i])` and `prefix` must be `keyPrefix(key)`.
 *
 * @example
 * ```ts
 * const keys = [Uint8Array.of(1), Uint8Array.of(3)];
 * upperBound(keys, keys.map(keyPrefix), Uint8Array.of(3), keyPrefix(Uint8Array.of(3))); // 2
 * ```
 */
export function upperBound(keys: readonly Uint8Array[], prefixes: readonly number[], key: Uint8Array, prefix: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = prefixes[mid]!;
    if (p < prefix || (p === prefix && compareTied(keys[mid]!, key) <= 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
