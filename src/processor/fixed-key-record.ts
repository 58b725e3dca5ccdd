/**
 * The record a {@link FixedKeyProcessor} sees: a {@link Record} whose key cannot be changed, so a fixed-key step
 * (`processValues`, `mapValues`) never needs a repartition.
 */
import type { Headers } from '../record.js';
import type { Record } from './record.js';

/** A type-only brand: a FixedKeyRecord can only come from the runtime, never from `new Record(...)`. */
declare const FIXED_KEY: unique symbol;

/**
 * A record whose key is fixed: it has `withValue`, `withTimestamp` and `withHeaders` but no `withKey`, and user code
 * cannot make one with another key (only the runtime turns a {@link Record} into one, with {@link toFixedKeyRecord}).
 * Forwarding it keeps the key and therefore the partitioning, which is what lets `processValues` skip repartitioning.
 *
 * At run time a fixed-key record is a plain {@link Record}; the restriction is in the type.
 *
 * @example
 * ```ts
 * const upper: FixedKeyProcessor<string, string, string> = {
 *   init(context) { this.context = context; },
 *   process(record) { this.context.forward(record.withValue(record.value.toUpperCase())); },
 * };
 * ```
 */
export interface FixedKeyRecord<K, V> {
  readonly key: K;
  readonly value: V;
  readonly timestampMs: number;
  readonly headers: Headers;
  /** A copy with another value (possibly of another type) and the same key. */
  withValue<NV>(value: NV): FixedKeyRecord<K, NV>;
  /** A copy with another timestamp. */
  withTimestamp(timestampMs: number): FixedKeyRecord<K, V>;
  /** A copy with other headers. */
  withHeaders(headers: Headers): FixedKeyRecord<K, V>;
  /** Type-only brand; absent at run time. */
  readonly [FIXED_KEY]: true;
}

/**
 * Views a record as a fixed-key record, for the runtime (which hands each fixed-key processor the records its parent
 * forwarded). Allocates nothing: the same object is returned with a narrower type. Processors must not call this to
 * forge a record with a changed key.
 *
 * @example
 * ```ts
 * processor.process(toFixedKeyRecord(record));
 * ```
 */
export function toFixedKeyRecord<K, V>(record: Record<K, V>): FixedKeyRecord<K, V> {
  return record as unknown as FixedKeyRecord<K, V>;
}
