/**
 * `WindowedSerdes`: serdes for the keys of windowed KTables, byte-compatible with Kafka Streams'
 * `TimeWindowedSerde` and `SessionWindowedSerde`, so windowed results can be written to a topic and read back (also
 * by a Java application).
 */
import { readInt64BE, writeInt64BE } from '../src/broker/varint.js';
import { StreamsError } from '../src/errors.js';
import type { Headers } from '../src/record.js';
import type { Serde } from '../src/serdes/serde.js';
import { sessionWindow, timeWindow } from '../src/state/windowed.js';
import type { Windowed } from '../src/state/windowed.js';

function readInt64(data: Uint8Array, offset: number, topic: string): number {
  const value = readInt64BE(data, offset);
  if (!Number.isSafeInteger(value)) throw new StreamsError('SERDE_FAILED', `windowed key from topic "${topic}": a window bound does not fit a safe integer`, { topic });
  return value;
}

function checkBound(value: number, topic: string): void {
  if (!Number.isSafeInteger(value)) throw new StreamsError('SERDE_FAILED', `windowed key: window bound ${String(value)} is not a safe integer`, { topic });
}

class TimeWindowedSerde<K> implements Serde<Windowed<K>> {
  readonly name: string;

  constructor(
    private readonly inner: Serde<K>,
    private readonly windowSizeMs: number,
  ) {
    this.name = `TimeWindowed(${inner.name})`;
  }

  serialize(topic: string, data: Windowed<K> | null, headers?: Headers): Uint8Array | null {
    if (data === null || data === undefined) return null;
    const key = this.inner.serialize(topic, data.key, headers);
    if (key === null) throw new StreamsError('SERDE_FAILED', `${this.name}: the key of a windowed key must not be null`, { topic });
    checkBound(data.window.startMs, topic);
    const out = Buffer.allocUnsafe(key.byteLength + 8);
    out.set(key, 0);
    writeInt64BE(out, key.byteLength, data.window.startMs);
    return out;
  }

  deserialize(topic: string, data: Uint8Array | null, headers?: Headers): Windowed<K> | null {
    if (data === null || data === undefined) return null;
    if (data.byteLength < 8) throw new StreamsError('SERDE_FAILED', `${this.name}: ${data.byteLength} bytes from topic "${topic}" are too short`, { topic });
    const n = data.byteLength - 8;
    const startMs = readInt64(data, n, topic);
    const key = this.inner.deserialize(topic, data.subarray(0, n), headers) as K;
    // Kafka caps an overflowing end at Long.MAX_VALUE; here the cap is the largest safe integer.
    const endMs = Math.min(startMs + this.windowSizeMs, Number.MAX_SAFE_INTEGER);
    return { key, window: timeWindow(startMs, endMs) };
  }
}

class SessionWindowedSerde<K> implements Serde<Windowed<K>> {
  readonly name: string;

  constructor(private readonly inner: Serde<K>) {
    this.name = `SessionWindowed(${inner.name})`;
  }

  serialize(topic: string, data: Windowed<K> | null, headers?: Headers): Uint8Array | null {
    if (data === null || data === undefined) return null;
    const key = this.inner.serialize(topic, data.key, headers);
    if (key === null) throw new StreamsError('SERDE_FAILED', `${this.name}: the key of a windowed key must not be null`, { topic });
    checkBound(data.window.startMs, topic);
    checkBound(data.window.endMs, topic);
    const out = Buffer.allocUnsafe(key.byteLength + 16);
    out.set(key, 0);
    writeInt64BE(out, key.byteLength, data.window.endMs);
    writeInt64BE(out, key.byteLength + 8, data.window.startMs);
    return out;
  }

  deserialize(topic: string, data: Uint8Array | null, headers?: Headers): Windowed<K> | null {
    if (data === null || data === undefined) return null;
    if (data.byteLength < 16) throw new StreamsError('SERDE_FAILED', `${this.name}: ${data.byteLength} bytes from topic "${topic}" are too short`, { topic });
    const n = data.byteLength - 16;
    const endMs = readInt64(data, n, topic);
    const startMs = readInt64(data, n + 8, topic);
    const key = this.inner.deserialize(topic, data.subarray(0, n), headers) as K;
    return { key, window: sessionWindow(startMs, endMs) };
  }
}

/**
 * Serdes for `Windowed<K>` keys, byte-compatible with Kafka Streams.
 *
 * @example
 * ```ts
 * counts.toStream().to('counts-per-minute', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 60_000), longSerde()));
 * ```
 */
export const WindowedSerdes = Object.freeze({
  /**
   * Time-windowed keys as `key bytes + int64 window start` (big-endian), as Kafka's `TimeWindowedSerializer` writes
   * them. The end is not written: reading gives `end = start + windowSizeMs`, so pass the windows' size (for sliding
   * windows, the time difference). A null windowed key is null bytes; a windowed key with a null key fails with
   * `SERDE_FAILED`.
   *
   * @example
   * ```ts
   * const serde = WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), 60_000);
   * serde.serialize('t', { key: 'a', window: timeWindow(60_000, 120_000) }); // <61 00 00 00 00 00 00 ea 60>
   * ```
   */
  timeWindowedSerdeFrom<K>(keySerde: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
    if (!Number.isSafeInteger(windowSizeMs) || windowSizeMs < 0) {
      throw new StreamsError('INVALID_CONFIG', `window size must be a non-negative safe integer of ms, got ${String(windowSizeMs)}`);
    }
    return Object.freeze(new TimeWindowedSerde(keySerde, windowSizeMs));
  },

  /**
   * Session-windowed keys as `key bytes + int64 end + int64 start` (big-endian), as Kafka's
   * `SessionWindowedSerializer` writes them.
   *
   * @example
   * ```ts
   * const serde = WindowedSerdes.sessionWindowedSerdeFrom(Serdes.String());
   * serde.deserialize('t', serde.serialize('t', { key: 'u', window: sessionWindow(5, 9) })); // { key: 'u', window: { startMs: 5, endMs: 9 } }
   * ```
   */
  sessionWindowedSerdeFrom<K>(keySerde: Serde<K>): Serde<Windowed<K>> {
    return Object.freeze(new SessionWindowedSerde(keySerde));
  },
});
