/**
 * The serde boundary: keys and values in the log are bytes, and a {@link Serde} turns them into typed values and back.
 * Shaped like Kafka's `Serializer`/`Deserializer`/`Serde`, with `null` as the tombstone on both sides.
 */
import { StreamsError } from '../errors.js';
import type { Headers } from '../record.js';

/**
 * Turns a typed value into bytes for a topic.
 *
 * `null` (a tombstone or an absent key) always serializes to `null`. A failure throws
 * `StreamsError('SERDE_FAILED')`.
 *
 * @example
 * ```ts
 * const upper: Serializer<string> = {
 *   serialize: (_topic, data) => (data === null ? null : Buffer.from(data.toUpperCase(), 'utf8')),
 * };
 * ```
 */
export interface Serializer<T> {
  serialize(topic: string, data: T | null, headers?: Headers): Uint8Array | null;
}

/**
 * Turns bytes read from a topic back into a typed value.
 *
 * `null` bytes (a tombstone or an absent key) always deserialize to `null`. Bytes the deserializer cannot read throw
 * `StreamsError('SERDE_FAILED')`. The input may be any `Uint8Array` (usually a `Buffer` view into a fetched batch);
 * a deserializer must not keep a reference to it unless documented (only `Serdes.ByteArray()` does).
 *
 * @example
 * ```ts
 * const length: Deserializer<number> = {
 *   deserialize: (_topic, data) => (data === null ? null : data.byteLength),
 * };
 * ```
 */
export interface Deserializer<T> {
  deserialize(topic: string, data: Uint8Array | null, headers?: Headers): T | null;
}

/**
 * A serializer and a deserializer for the same type, with a name used in error messages and descriptions.
 *
 * Serdes are stateless and may be shared between topics, tasks and threads of control.
 *
 * @example
 * ```ts
 * const serde: Serde<string> = Serdes.String();
 * const bytes = serde.serialize('words', 'héllo');        // <Buffer 68 c3 a9 6c 6c 6f>
 * serde.deserialize('words', bytes);                      // 'héllo'
 * ```
 */
export interface Serde<T> extends Serializer<T>, Deserializer<T> {
  /** A short name such as `'String'`, used in error messages. */
  readonly name: string;
}

class FunctionSerde<T> implements Serde<T> {
  constructor(
    readonly name: string,
    private readonly serializeFn: (data: T, topic: string) => Uint8Array,
    private readonly deserializeFn: (bytes: Uint8Array, topic: string) => T,
  ) {}

  serialize(topic: string, data: T | null): Uint8Array | null {
    if (data === null || data === undefined) return null;
    try {
      return this.serializeFn(data, topic);
    } catch (e: unknown) {
      if (e instanceof StreamsError) throw e;
      throw new StreamsError('SERDE_FAILED', `${this.name} serde cannot serialize a value for topic "${topic}": ${describe(e)}`, {
        topic,
        cause: e,
      });
    }
  }

  deserialize(topic: string, data: Uint8Array | null): T | null {
    if (data === null || data === undefined) return null;
    try {
      return this.deserializeFn(data, topic);
    } catch (e: unknown) {
      if (e instanceof StreamsError) throw e;
      throw new StreamsError(
        'SERDE_FAILED',
        `${this.name} serde cannot deserialize ${data.byteLength} bytes from topic "${topic}": ${describe(e)}`,
        { topic, cause: e },
      );
    }
  }
}

/**
 * Builds a {@link Serde} from two functions over non-null values.
 *
 * The functions never see `null`: the serde maps `null` to `null` both ways (tombstones) before calling them. A
 * function that throws anything but a `StreamsError` has its error wrapped as `StreamsError('SERDE_FAILED')` naming
 * the serde, the topic and (when deserializing) the byte length, with the original error as `cause`.
 *
 * @param name - used in error messages; defaults to `'Custom'`.
 * @example
 * ```ts
 * interface Point { x: number; y: number }
 * const pointSerde = serdeFrom<Point>(
 *   (p) => { const b = Buffer.allocUnsafe(16); b.writeDoubleBE(p.x, 0); b.writeDoubleBE(p.y, 8); return b; },
 *   (b) => { const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength); return { x: buf.readDoubleBE(0), y: buf.readDoubleBE(8) }; },
 *   'Point',
 * );
 * ```
 */
export function serdeFrom<T>(
  serialize: (data: T, topic: string) => Uint8Array,
  deserialize: (bytes: Uint8Array, topic: string) => T,
  name = 'Custom',
): Serde<T> {
  return Object.freeze(new FunctionSerde(name, serialize, deserialize));
}

/**
 * Deserializes bytes read at a known log position, so that a failure says where the bad record is.
 *
 * `null` bytes give `null` as for any deserializer. On failure throws `StreamsError('SERDE_FAILED')` whose `topic`,
 * `partition` and `offset` are set from `at`, whose message names them as `topic-partition@offset` together with
 * the byte length, and whose `cause` is the error the deserializer threw.
 *
 * @example
 * ```ts
 * for (const r of records) {
 *   const value = deserializeAt(Serdes.Json<Order>(), r.value, r, r.headers);
 * }
 * // on bad bytes: StreamsError SERDE_FAILED 'cannot deserialize 3 bytes at orders-0@42: Json serde ...'
 * ```
 */
export function deserializeAt<T>(
  serde: Deserializer<T>,
  data: Uint8Array | null,
  at: { readonly topic: string; readonly partition: number; readonly offset: number },
  headers?: Headers,
): T | null {
  try {
    return serde.deserialize(at.topic, data, headers);
  } catch (e: unknown) {
    const length = data === null ? 'null' : `${data.byteLength}`;
    throw new StreamsError(
      'SERDE_FAILED',
      `cannot deserialize ${length} bytes at ${at.topic}-${at.partition}@${at.offset}: ${describe(e)}`,
      { topic: at.topic, partition: at.partition, offset: at.offset, cause: e },
    );
  }
}

/**
 * Serializes a value for a topic, so that a failure says which topic it was meant for.
 *
 * `null` gives `null` as for any serializer. On failure throws `StreamsError('SERDE_FAILED')` with `topic` set, a
 * message naming the topic, and the serializer's error as `cause`.
 *
 * @example
 * ```ts
 * const value = serializeFor(Serdes.Integer(), count, 'counts'); // 4 bytes, or SERDE_FAILED if count is 1.5
 * ```
 */
export function serializeFor<T>(serde: Serializer<T>, data: T | null, topic: string, headers?: Headers): Uint8Array | null {
  try {
    return serde.serialize(topic, data, headers);
  } catch (e: unknown) {
    throw new StreamsError('SERDE_FAILED', `cannot serialize a value for topic "${topic}": ${describe(e)}`, { topic, cause: e });
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
