/**
 * The byte layout of timestamped store values, as Kafka Streams writes them: an 8-byte big-endian signed timestamp,
 * then the serialized value. A deleted row is `null`, never a timestamp alone.
 *
 * ```
 * ValueAndTimestamp => timestamp:int64 value:bytes(rest)
 * ```
 */
import { StreamsError } from '../src/errors.js';
import type { Serde } from '../src/serdes/serde.js';
import type { ValueAndTimestamp } from '../src/state/key-value-store.js';

const TWO_POW_32 = 0x1_0000_0000;
const TIMESTAMP_BYTES = 8;

/**
 * Reads the timestamp at the start of a timestamped value.
 *
 * @example
 * ```ts
 * timestampOf(timestampedBytes(Buffer.from('x'), 1_000)); // 1000
 * ```
 */
export function timestampOf(bytes: Uint8Array): number {
  if (bytes.length < TIMESTAMP_BYTES) {
    throw new StreamsError('SERDE_FAILED', `a timestamped value needs at least 8 bytes, got ${bytes.length}`);
  }
  const high = (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
  const low = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
  return high * TWO_POW_32 + low;
}

/**
 * The serialized value inside a timestamped value: a view (no copy) past the 8 timestamp bytes.
 *
 * @example
 * ```ts
 * rawValueOf(timestampedBytes(Buffer.from('x'), 1_000)); // <78>
 * ```
 */
export function rawValueOf(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(TIMESTAMP_BYTES);
}

/**
 * Prefixes a serialized value with a timestamp (a new array of `raw.length + 8` bytes). `timestampMs` must be a
 * safe integer (it is written as an int64).
 *
 * @example
 * ```ts
 * timestampedBytes(Uint8Array.of(7), 1); // <00 00 00 00 00 00 00 01 07>
 * ```
 */
export function timestampedBytes(raw: Uint8Array, timestampMs: number): Uint8Array {
  const out = Buffer.allocUnsafe(TIMESTAMP_BYTES + raw.length);
  const high = Math.floor(timestampMs / TWO_POW_32);
  out.writeInt32BE(high, 0);
  out.writeUInt32BE(timestampMs - high * TWO_POW_32, 4);
  out.set(raw, TIMESTAMP_BYTES);
  return out;
}

class ValueAndTimestampSerde<V> implements Serde<ValueAndTimestamp<V>> {
  readonly name: string;

  constructor(private readonly valueSerde: Serde<V>) {
    this.name = `ValueAndTimestamp<${valueSerde.name}>`;
  }

  serialize(topic: string, data: ValueAndTimestamp<V> | null): Uint8Array | null {
    if (data === null || data === undefined) return null;
    const raw = this.valueSerde.serialize(topic, data.value);
    if (raw === null) return null;
    if (!Number.isSafeInteger(data.timestampMs)) {
      throw new StreamsError('SERDE_FAILED', `${this.name} serde: timestampMs must be a safe integer, got ${data.timestampMs}`, { topic });
    }
    return timestampedBytes(raw, data.timestampMs);
  }

  deserialize(topic: string, data: Uint8Array | null): ValueAndTimestamp<V> | null {
    if (data === null || data === undefined) return null;
    const timestampMs = timestampOf(data);
    const value = this.valueSerde.deserialize(topic, rawValueOf(data));
    return value === null ? null : { value, timestampMs };
  }
}

/**
 * A serde for {@link ValueAndTimestamp} over a serde for the plain values: the bytes of timestamped stores.
 *
 * `null` maps to `null` both ways, and so does a value whose serde writes `null` (the row is deleted). The timestamp
 * must be a safe integer (`StreamsError('SERDE_FAILED')` otherwise).
 *
 * @example
 * ```ts
 * const serde = valueAndTimestampSerde(Serdes.String());
 * const bytes = serde.serialize('t', { value: 'x', timestampMs: 5 }); // <00 00 00 00 00 00 00 05 78>
 * serde.deserialize('t', bytes);                                      // { value: 'x', timestampMs: 5 }
 * ```
 */
export function valueAndTimestampSerde<V>(valueSerde: Serde<V>): Serde<ValueAndTimestamp<V>> {
  return Object.freeze(new ValueAndTimestampSerde(valueSerde));
}
