/**
 * `Consumed`: how `StreamsBuilder.stream()` and `table()` read a topic: serdes, timestamp extractor, where to start
 * without a committed offset, and the source's name.
 */
import type { TimestampExtractor } from '../../src/processor/timestamp-extractor.js';
import type { Serde } from '../../src/serdes/serde.js';
import type { AutoOffsetReset } from '../../src/topology/topology-node.js';
import { validateName } from './named.js';

interface ConsumedSettings<K, V> {
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly timestampExtractor: TimestampExtractor | undefined;
  readonly offsetResetPolicy: AutoOffsetReset | undefined;
  readonly processorName: string | undefined;
}

const EMPTY: ConsumedSettings<never, never> = {
  keySerde: undefined,
  valueSerde: undefined,
  timestampExtractor: undefined,
  offsetResetPolicy: undefined,
  processorName: undefined,
};

/**
 * Options of a source topic (Kafka Streams' `Consumed`). Unset serdes fall back to the application's
 * `defaultKeySerde`/`defaultValueSerde`; an unset offset reset policy to the application's `autoOffsetReset`. The
 * serdes given here also type the stream: `stream('t', Consumed.with(Serdes.String(), Serdes.Number()))` is a
 * `KStream<string, number>`.
 *
 * Immutable: every `with...` returns a new object.
 *
 * @example
 * ```ts
 * const orders = builder.stream('orders', Consumed.with(Serdes.String(), Serdes.Json<Order>()).withOffsetResetPolicy('latest'));
 * ```
 */
export class Consumed<K, V> implements ConsumedSettings<K, V> {
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly timestampExtractor: TimestampExtractor | undefined;
  readonly offsetResetPolicy: AutoOffsetReset | undefined;
  readonly processorName: string | undefined;

  private constructor(settings: ConsumedSettings<K, V>) {
    this.keySerde = settings.keySerde;
    this.valueSerde = settings.valueSerde;
    this.timestampExtractor = settings.timestampExtractor;
    this.offsetResetPolicy = settings.offsetResetPolicy;
    this.processorName = settings.processorName;
    Object.freeze(this);
  }

  /**
   * Reads keys and values with these serdes (either may be `undefined`: the default serde).
   *
   * @example
   * ```ts
   * Consumed.with(Serdes.String(), Serdes.String());
   * ```
   */
  static with<K, V>(keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): Consumed<K, V> {
    return new Consumed<K, V>({ ...EMPTY, keySerde, valueSerde });
  }

  /**
   * Names the source node (`stream`) or the table's nodes (`table`: `<name>-source` and `<name>`).
   *
   * @example
   * ```ts
   * builder.stream('clicks', Consumed.as('clicks-source'));
   * ```
   */
  static as<K = unknown, V = unknown>(processorName: string): Consumed<K, V> {
    return new Consumed<K, V>({ ...EMPTY, processorName: validateName(processorName) });
  }

  /**
   * Takes record timestamps from this extractor instead of the log's record timestamps.
   *
   * @example
   * ```ts
   * Consumed.with(Serdes.String(), Serdes.Json<Click>()).withTimestampExtractor((r) => (r.value as Click).atMs);
   * ```
   */
  static withTimestampExtractor<K = unknown, V = unknown>(extractor: TimestampExtractor): Consumed<K, V> {
    return new Consumed<K, V>({ ...EMPTY, timestampExtractor: extractor });
  }

  /**
   * Starts partitions without a committed offset at the oldest (`'earliest'`) or only new (`'latest'`) records.
   *
   * @example
   * ```ts
   * Consumed.withOffsetResetPolicy('latest');
   * ```
   */
  static withOffsetResetPolicy<K = unknown, V = unknown>(policy: AutoOffsetReset): Consumed<K, V> {
    return new Consumed<K, V>({ ...EMPTY, offsetResetPolicy: policy });
  }

  /** A copy with this key serde. @example `Consumed.as('src').withKeySerde(Serdes.String())` */
  withKeySerde<NK>(keySerde: Serde<NK>): Consumed<NK, V> {
    return new Consumed<NK, V>({ ...this.#settings(), keySerde });
  }

  /** A copy with this value serde. @example `Consumed.as('src').withValueSerde(Serdes.Json())` */
  withValueSerde<NV>(valueSerde: Serde<NV>): Consumed<K, NV> {
    return new Consumed<K, NV>({ ...this.#settings(), valueSerde });
  }

  /** A copy with this timestamp extractor. @example `consumed.withTimestampExtractor((r) => r.timestampMs)` */
  withTimestampExtractor(extractor: TimestampExtractor): Consumed<K, V> {
    return new Consumed<K, V>({ ...this.#settings(), timestampExtractor: extractor });
  }

  /** A copy with this offset reset policy. @example `consumed.withOffsetResetPolicy('earliest')` */
  withOffsetResetPolicy(policy: AutoOffsetReset): Consumed<K, V> {
    return new Consumed<K, V>({ ...this.#settings(), offsetResetPolicy: policy });
  }

  /** A copy with this processor name. @example `consumed.withName('orders-source')` */
  withName(processorName: string): Consumed<K, V> {
    return new Consumed<K, V>({ ...this.#settings(), processorName: validateName(processorName) });
  }

  #settings(): ConsumedSettings<K, V> {
    return this;
  }
}
