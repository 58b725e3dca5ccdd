/**
 * Java's `String.hashCode()`: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit arithmetic. Kafka places
 * consumer groups on `__consumer_offsets` partitions with it, and Java's HashSet orders topic names by it.
 *
 * @example
 * ```ts
 * javaStringHashCode('hello'); // 99162322
 * ```
 */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}
