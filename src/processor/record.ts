/**
 * The typed record that flows between processors: the Processor API's unit of data, as in Kafka Streams'
 * `org.apache.kafka.streams.processor.api.Record`.
 */
import { NO_HEADERS } from '../record.js';
import type { Headers } from '../record.js';

// Set just before `new Record(...)` in the with... methods: the headers passed are already a record's own (frozen),
// so the constructor adopts them without checking. Saves ~15 ns per derived record on the hot path.
let adoptHeaders = false;

/** The headers a record keeps: the shared empty list, the given list if frozen, else a frozen copy. */
function ownHeaders(headers: Headers): Headers {
  if (headers === NO_HEADERS || headers.length === 0) return NO_HEADERS;
  return Object.isFrozen(headers) ? headers : Object.freeze(headers.slice());
}

/**
 * An immutable record on its way through a topology: a typed key and value, a timestamp in epoch milliseconds and
 * ordered headers.
 *
 * Every `with...` call returns a new record and leaves the receiver unchanged; `withKey` and `withValue` may change
 * the key or value type. A `null` value is a tombstone (a delete for tables). The fields are `readonly` (the compiler
 * rejects assignments; the object itself is not frozen, which would cost ~30 ns per record on the hot path). Headers
 * given to the constructor are copied and frozen once, unless they already are frozen (as `NO_HEADERS` and every
 * record's headers are), so records derived with `with...` share them for free.
 *
 * @example
 * ```ts
 * const r = new Record('alice', 3, 1_000);
 * const doubled = r.withValue(r.value * 2);          // Record<string, number>: ('alice', 6, 1000)
 * const byName = r.withKey(r.key.length);            // Record<number, number>: (5, 3, 1000)
 * r.value;                                           // still 3
 * context.forward(doubled.withTimestamp(2_000));
 * ```
 */
export class Record<K, V> {
  /** The key; `null` when the record has none. */
  readonly key: K;
  /** The value; `null` is a tombstone. */
  readonly value: V;
  /** The record's timestamp in epoch milliseconds (event time, as the source's timestamp extractor chose it). */
  readonly timestampMs: number;
  /** The record's headers, in order (frozen). */
  readonly headers: Headers;

  constructor(key: K, value: V, timestampMs: number, headers: Headers = NO_HEADERS) {
    this.key = key;
    this.value = value;
    this.timestampMs = timestampMs;
    if (adoptHeaders) {
      adoptHeaders = false;
      this.headers = headers;
    } else {
      this.headers = ownHeaders(headers);
    }
  }

  /**
   * A copy of this record with another key, possibly of another type.
   *
   * @example
   * ```ts
   * const r: Record<number, string> = new Record('k', 'v', 0).withKey(42);
   * ```
   */
  withKey<NK>(key: NK): Record<NK, V> {
    adoptHeaders = true;
    return new Record(key, this.value, this.timestampMs, this.headers);
  }

  /**
   * A copy of this record with another value, possibly of another type.
   *
   * @example
   * ```ts
   * const r: Record<string, number> = new Record('k', 'hello', 0).withValue(5);
   * ```
   */
  withValue<NV>(value: NV): Record<K, NV> {
    adoptHeaders = true;
    return new Record(this.key, value, this.timestampMs, this.headers);
  }

  /**
   * A copy of this record with another timestamp (epoch milliseconds).
   *
   * @example
   * ```ts
   * context.forward(record.withTimestamp(context.currentStreamTimeMs()));
   * ```
   */
  withTimestamp(timestampMs: number): Record<K, V> {
    adoptHeaders = true;
    return new Record(this.key, this.value, timestampMs, this.headers);
  }

  /**
   * A copy of this record with other headers (copied and frozen unless already frozen).
   *
   * @example
   * ```ts
   * const traced = record.withHeaders([...record.headers, { key: 'trace', value: Buffer.from('t-1') }]);
   * ```
   */
  withHeaders(headers: Headers): Record<K, V> {
    return new Record(this.key, this.value, this.timestampMs, headers);
  }

  /** A short form for logs and test failures: `Record(key=k, value=v, timestampMs=1000)`. */
  toString(): string {
    return `Record(key=${String(this.key)}, value=${String(this.value)}, timestampMs=${this.timestampMs})`;
  }
}
