/**
 * The one key order of every store: unsigned lexicographic bytes (memcmp, then shorter first), which is also how
 * SQLite orders BLOBs and how Kafka Streams orders `Bytes` keys.
 */

const JS_PREFIX_BYTES = 32;
const nativeCompare = Buffer.prototype.compare;

/**
 * Compares two byte arrays as unsigned bytes, lexicographically; a proper prefix sorts first.
 *
 * Returns a negative number, zero or a positive number (not necessarily -1/0/1). Short keys are compared in JS
 * (cheaper than a native call); long common prefixes fall through to Buffer's native compare.
 *
 * @example
 * ```ts
 * compareBytes(Uint8Array.of(0x7f), Uint8Array.of(0x80)) < 0; // true: unsigned
 * compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0)) < 0;    // true: prefix first
 * ```
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const aLength = a.length;
  const bLength = b.length;
  const n = aLength < bLength ? aLength : bLength;
  const jsEnd = n < JS_PREFIX_BYTES ? n : JS_PREFIX_BYTES;
  for (let i = 0; i < jsEnd; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  // Past the JS prefix, the native compare also settles equal prefixes by length.
  if (n > JS_PREFIX_BYTES) return nativeCompare.call(a, b, JS_PREFIX_BYTES, bLength, JS_PREFIX_BYTES, aLength);
  return aLength - bLength;
}

/**
 * The smallest key greater than every key that starts with `prefix`, or `null` when there is none (an empty prefix
 * or one made only of 0xff bytes): the exclusive upper bound of a prefix scan.
 *
 * @example
 * ```ts
 * prefixEnd(Uint8Array.of(0x61, 0xff)); // <Buffer 62>
 * prefixEnd(Uint8Array.of(0xff));       // null
 * ```
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | null {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const byte = prefix[i]!;
    if (byte !== 0xff) {
      // Buffer.from copies (Buffer#slice would be a view and the increment would corrupt the prefix).
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i] = byte + 1;
      return end;
    }
  }
  return null;
}
