/**
 * `Produced`: how `KStream.to()` writes a topic: serdes, partitioner and the sink's name.
 */
import type { StreamPartitioner } from '../../src/processor/stream-partitioner.js';
import type { Serde } from '../../src/serdes/serde.js';
import { validateName } from './named.js';

interface ProducedSettings<K, V> {
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly partitioner: StreamPartitioner<K, V> | undefined;
  readonly processorName: string | undefined;
}

/**
 * Options of an output topic (Kafka Streams' `Produced`). Unset serdes fall back to the serdes the stream knows (from
 * `Consumed`, `Grouped`, `Materialized` upstream, as long as no operation changed the type), then to the application's
 * defaults. Without a partitioner, records go to `murmur2(serialized key) % partitions`, as a Kafka producer sends
 * them.
 *
 * Immutable: every `with...` returns a new object.
 *
 * @example
 * ```ts
 * counts.toStream().to('word-counts', Produced.with(Serdes.String(), longSerde()));
 * ```
 */
export class Produced<K, V> implements ProducedSettings<K, V> {
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly partitioner: StreamPartitioner<K, V> | undefined;
  readonly processorName: string | undefined;

  private constructor(settings: ProducedSettings<K, V>) {
    this.keySerde = settings.keySerde;
    this.valueSerde = settings.valueSerde;
    this.partitioner = settings.partitioner;
    this.processorName = settings.processorName;
    Object.freeze(this);
  }

  /**
   * Writes with these serdes (and this partitioner, if given).
   *
   * @example
   * ```ts
   * Produced.with(Serdes.String(), Serdes.Json<Order>(), (_topic, key, _value, n) => hash(key) % n);
   * ```
   */
  static with<K, V>(keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, partitioner?: StreamPartitioner<K, V>): Produced<K, V> {
    return new Produced<K, V>({ keySerde, valueSerde, partitioner, processorName: undefined });
  }

  /**
   * Names the sink node.
   *
   * @example
   * ```ts
   * stream.to('out', Produced.as('write-out')); // Sink: write-out (topic: out)
   * ```
   */
  static as<K = unknown, V = unknown>(processorName: string): Produced<K, V> {
    return new Produced<K, V>({ keySerde: undefined, valueSerde: undefined, partitioner: undefined, processorName: validateName(processorName) });
  }

  /** Writes keys with this serde. @example `Produced.keySerde(Serdes.String())` */
  static keySerde<K, V = unknown>(keySerde: Serde<K>): Produced<K, V> {
    return Produced.with<K, V>(keySerde, undefined);
  }

  /** Writes values with this serde. @example `Produced.valueSerde(Serdes.Json())` */
  static valueSerde<K = unknown, V = unknown>(valueSerde: Serde<V>): Produced<K, V> {
    return Produced.with<K, V>(undefined, valueSerde);
  }

  /** Chooses partitions with this partitioner. @example `Produced.streamPartitioner(() => 0)` */
  static streamPartitioner<K, V>(partitioner: StreamPartitioner<K, V>): Produced<K, V> {
    return Produced.with<K, V>(undefined, undefined, partitioner);
  }

  /** A copy with this key serde. @example `produced.withKeySerde(Serdes.String())` */
  withKeySerde(keySerde: Serde<K>): Produced<K, V> {
    return new Produced<K, V>({ ...this.#settings(), keySerde });
  }

  /** A copy with this value serde. @example `produced.withValueSerde(Serdes.Json())` */
  withValueSerde(valueSerde: Serde<V>): Produced<K, V> {
    return new Produced<K, V>({ ...this.#settings(), valueSerde });
  }

  /** A copy with this partitioner. @example `produced.withStreamPartitioner(() => 0)` */
  withStreamPartitioner(partitioner: StreamPartitioner<K, V>): Produced<K, V> {
    return new Produced<K, V>({ ...this.#settings(), partitioner });
  }

  /** A copy with this sink name. @example `produced.withName('write-out')` */
  withName(processorName: string): Produced<K, V> {
    return new Produced<K, V>({ ...this.#settings(), processorName: validateName(processorName) });
  }

  #settings(): ProducedSettings<K, V> {
    return this;
  }
}
