/**
 * `Repartitioned`: options of an explicit `KStream.repartition()`.
 */
import { StreamsError } from '../../src/errors.js';
import type { StreamPartitioner } from '../../src/processor/stream-partitioner.js';
import type { Serde } from '../../src/serdes/serde.js';
import { validateName } from './named.js';

interface RepartitionedSettings<K, V> {
  readonly name: string | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly numberOfPartitions: number | undefined;
  readonly partitioner: StreamPartitioner<K, V> | undefined;
}

function empty<K, V>(): RepartitionedSettings<K, V> {
  return { name: undefined, keySerde: undefined, valueSerde: undefined, numberOfPartitions: undefined, partitioner: undefined };
}

function checkPartitions(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new StreamsError('INVALID_PARTITIONS', `numberOfPartitions must be an integer >= 1, got ${n}`);
  return n;
}

/**
 * Options of `KStream.repartition()` (Kafka Streams' `Repartitioned`): the topic's name (`<applicationId>-<name>-repartition`,
 * else a generated `KSTREAM-REPARTITION-0000000003`), serdes, partition count (else the upstream's) and partitioner.
 *
 * Immutable: every `with...` returns a new object.
 *
 * @example
 * ```ts
 * stream.repartition(Repartitioned.with(Serdes.String(), Serdes.Json()).withName('by-user').withNumberOfPartitions(8));
 * ```
 */
export class Repartitioned<K, V> implements RepartitionedSettings<K, V> {
  readonly name: string | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly numberOfPartitions: number | undefined;
  readonly partitioner: StreamPartitioner<K, V> | undefined;

  private constructor(settings: RepartitionedSettings<K, V>) {
    this.name = settings.name;
    this.keySerde = settings.keySerde;
    this.valueSerde = settings.valueSerde;
    this.numberOfPartitions = settings.numberOfPartitions;
    this.partitioner = settings.partitioner;
    Object.freeze(this);
  }

  /** Repartitions with these serdes. @example `Repartitioned.with(Serdes.String(), Serdes.Number())` */
  static with<K, V>(keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): Repartitioned<K, V> {
    return new Repartitioned<K, V>({ ...empty<K, V>(), keySerde, valueSerde });
  }

  /** Names the repartition topic and its nodes. @example `Repartitioned.as('by-user')` */
  static as<K = unknown, V = unknown>(name: string): Repartitioned<K, V> {
    return new Repartitioned<K, V>({ ...empty<K, V>(), name: validateName(name) });
  }

  /** Creates the topic with `n` partitions. @example `Repartitioned.numberOfPartitions(8)` */
  static numberOfPartitions<K = unknown, V = unknown>(n: number): Repartitioned<K, V> {
    return new Repartitioned<K, V>({ ...empty<K, V>(), numberOfPartitions: checkPartitions(n) });
  }

  /** Chooses partitions with this partitioner. @example `Repartitioned.streamPartitioner(() => 0)` */
  static streamPartitioner<K, V>(partitioner: StreamPartitioner<K, V>): Repartitioned<K, V> {
    return new Repartitioned<K, V>({ ...empty<K, V>(), partitioner });
  }

  /** A copy with this name. @example `repartitioned.withName('by-user')` */
  withName(name: string): Repartitioned<K, V> {
    return new Repartitioned<K, V>({ ...this.#settings(), name: validateName(name) });
  }

  /** A copy with this key serde. @example `repartitioned.withKeySerde(Serdes.String())` */
  withKeySerde(keySerde: Serde<K>): Repartitioned<K, V> {
    return new Repartitioned<K, V>({ ...this.#settings(), keySerde });
  }

  /** A copy with this value serde. @example `repartitioned.withValueSerde(Serdes.Json())` */
  withValueSerde(valueSerde: Serde<V>): Repartitioned<K, V> {
    return new Repartitioned<K, V>({ ...this.#settings(), valueSerde });
  }

  /** A copy creating the topic with `n` partitions. @example `repartitioned.withNumberOfPartitions(4)` */
  withNumberOfPartitions(n: number): Repartitioned<K, V> {
    return new Repartitioned<K, V>({ ...this.#settings(), numberOfPartitions: checkPartitions(n) });
  }

  /** A copy with this partitioner. @example `repartitioned.withStreamPartitioner(() => 0)` */
  withStreamPartitioner(partitioner: StreamPartitioner<K, V>): Repartitioned<K, V> {
    return new Repartitioned<K, V>({ ...this.#settings(), partitioner });
  }

  #settings(): RepartitionedSettings<K, V> {
    return this;
  }
}
