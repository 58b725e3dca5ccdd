/**
 * UTF-8 for the String serde, with JS fast paths for the short ASCII strings that keys mostly are (words, ids): a
 * native Buffer call costs more than the work itself there. Longer or non-ASCII text goes to Node's encoder and
 * decoder, so the bytes are the same either way.
 */

// Strings up to this many UTF-16 units are encoded by a JS loop while they stay ASCII: for words and ids the loop
// costs half of Buffer.from's native call; from about 24 units on, the native encoder is faster.
const SHORT_STRING_UNITS = 16;
// ASCII byte runs up to this long are decoded by one String.fromCharCode call (see decodeShortAscii).
const SHORT_ASCII_BYTES = 12;

const fromCharCode = String.fromCharCode;

/**
 * The UTF-8 bytes of a string, in a Buffer of their own: exactly what `Buffer.from(data, 'utf8')` writes (a lone
 * surrogate becomes EF BF BD, U+FFFD).
 *
 * A short string's char codes are copied while they are ASCII (then UTF-8 is the same bytes); the first non-ASCII
 * unit hands the whole string to Buffer.from. The result is always fresh memory (a slice of Node's allocation pool
 * that nothing else is given), never a view of a reused scratch buffer, since stores and the record collector keep
 * serialized keys.
 *
 * @example
 * ```ts
 * encodeUtf8('héllo'); // <Buffer 68 c3 a9 6c 6c 6f>
 * ```
 */
export function encodeUtf8(data: string): Buffer {
  const length = data.length;
  if (length > SHORT_STRING_UNITS) return Buffer.from(data, 'utf8');
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    const unit = data.charCodeAt(i);
    if (unit >= 0x80) return Buffer.from(data, 'utf8');
    out[i] = unit;
  }
  return out;
}

/**
 * The string that UTF-8 bytes encode, as `Buffer#toString('utf8')` reads them (invalid sequences become U+FFFD;
 * this never fails). Any Uint8Array is accepted, and is not kept.
 *
 * @example
 * ```ts
 * decodeUtf8(Uint8Array.of(0x68, 0x69)); // 'hi'
 * ```
 */
export function decodeUtf8(data: Uint8Array): string {
  const length = data.length;
  if (length <= SHORT_ASCII_BYTES) {
    let bits = 0;
    for (let i = 0; i < length; i++) bits |= data[i]!;
    if (bits < 0x80) return decodeShortAscii(data, length);
  }
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return buffer.toString();
}

/**
 * Decodes `length` (<= SHORT_ASCII_BYTES) ASCII bytes with one String.fromCharCode call, which builds a flat
 * one-byte string in JS: about half the cost of a native toString() for words and ids.
 */
function decodeShortAscii(d: Uint8Array, length: number): string {
  switch (length) {
    case 0: return '';
    case 1: return fromCharCode(d[0]!);
    case 2: return fromCharCode(d[0]!, d[1]!);
    case 3: return fromCharCode(d[0]!, d[1]!, d[2]!);
    case 4: return fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!);
    case 5: return fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!);
    case 6: return fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!);
    case 7: return fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!);
    case 8: return fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!);
    case 9: return fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!);
    case 10: return fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!, d[9]!);
    case 11: return fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!, d[9]!, d[10]!);
    default: return fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!, d[9]!, d[10]!, d[11]!);
  }
}
