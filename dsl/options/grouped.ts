/**
 * `Grouped`: the serdes and the name of the repartition topic a grouping may need.
 */
import type { Serde } from '../../src/serdes/serde.js';
import { validateName } from './named.js';

interface GroupedSettings<K, V> {
  readonly name: string | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
}

/**
 * Options of `groupBy`/`groupByKey` (Kafka Streams' `Grouped`): the serdes of the repartition topic (when the grouping
 * needs one) and its name. With a name, the repartition topic is `<applicationId>-<name>-repartition` and its nodes are
 * `<name>-repartition-filter/-sink/-source`; without one, it is named after the aggregation's store. Unset serdes fall
 * back to the serdes the stream knows, then to the application's defaults.
 *
 * Immutable: every `with...` returns a new object.
 *
 * @example
 * ```ts
 * words.groupBy((_k, w) => w, Grouped.with('by-word', Serdes.String(), Serdes.String())).count();
 * // Sink: by-word-repartition-sink (topic: by-word-repartition)
 * ```
 */
export class Grouped<K, V> implements GroupedSettings<K, V> {
  readonly name: string | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;

  private constructor(settings: GroupedSettings<K, V>) {
    this.name = settings.name;
    this.keySerde = settings.keySerde;
    this.valueSerde = settings.valueSerde;
    Object.freeze(this);
  }

  /**
   * Groups with these serdes, optionally naming the repartition topic: `with(keySerde, valueSerde)` or
   * `with(name, keySerde, valueSerde)`.
   *
   * @example
   * ```ts
   * Grouped.with(Serdes.String(), Serdes.Number());
   * Grouped.with('by-region', Serdes.String(), Serdes.Number());
   * ```
   */
  static with<K = never, V = never>(keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): Grouped<K, V>;
  static with<K = never, V = never>(name: string | undefined, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): Grouped<K, V>;
  static with<K, V>(
    first: string | Serde<K> | undefined,
    second: Serde<K> | Serde<V> | undefined,
    third?: Serde<V>,
  ): Grouped<K, V> {
    if (typeof first === 'string' || arguments.length === 3) {
      return new Grouped<K, V>({
        name: first === undefined ? undefined : validateName(first as string),
        keySerde: second as Serde<K> | undefined,
        valueSerde: third,
      });
    }
    return new Grouped<K, V>({ name: undefined, keySerde: first, valueSerde: second as Serde<V> | undefined });
  }

  /**
   * Names the repartition topic (and its nodes); serdes stay unset. Without type arguments it fits any grouping.
   *
   * @example
   * ```ts
   * stream.groupByKey(Grouped.as('count')); // topic: count-repartition
   * ```
   */
  static as(name: string): Grouped<never, never>;
  static as<K, V>(name: string): Grouped<K, V>;
  static as<K, V>(name: string): Grouped<K, V> {
    return new Grouped<K, V>({ name: validateName(name), keySerde: undefined, valueSerde: undefined });
  }

  /** Groups with this key serde. @example `Grouped.keySerde(Serdes.String())` */
  static keySerde<K, V = never>(keySerde: Serde<K>): Grouped<K, V> {
    return new Grouped<K, V>({ name: undefined, keySerde, valueSerde: undefined });
  }

  /** Groups with this value serde. @example `Grouped.valueSerde(Serdes.Number())` */
  static valueSerde<V, K = never>(valueSerde: Serde<V>): Grouped<K, V> {
    return new Grouped<K, V>({ name: undefined, keySerde: undefined, valueSerde });
  }

  /** A copy with this repartition name. @example `grouped.withName('by-user')` */
  withName(name: string): Grouped<K, V> {
    return new Grouped<K, V>({ ...this.#settings(), name: validateName(name) });
  }

  /** A copy with this key serde. @example `grouped.withKeySerde(Serdes.String())` */
  withKeySerde<NK>(keySerde: Serde<NK>): Grouped<NK, V> {
    return new Grouped<NK, V>({ name: this.name, keySerde, valueSerde: this.valueSerde });
  }

  /** A copy with this value serde. @example `grouped.withValueSerde(Serdes.Number())` */
  withValueSerde<NV>(valueSerde: Serde<NV>): Grouped<K, NV> {
    return new Grouped<K, NV>({ name: this.name, keySerde: this.keySerde, valueSerde });
  }

  #settings(): GroupedSettings<K, V> {
    return this;
  }
}
