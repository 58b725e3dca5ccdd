/**
 * `Joined`: the serdes and name of a stream-table join (Kafka Streams' `Joined`).
 */
import type { Serde } from '../../src/serdes/serde.js';
import { validateName } from './named.js';

interface JoinedSettings<K, V, VO> {
  readonly name: string | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly otherValueSerde: Serde<VO> | undefined;
}

/**
 * Options of `KStream.join/leftJoin(KTable)`: `keySerde` and `valueSerde` are the stream's (used by the repartition
 * topic inserted when the stream's key changed before the join), `otherValueSerde` the table's; `name` names the join
 * processor and the repartition topic (`<name>-repartition`). Unset serdes fall back to the stream's, then the
 * defaults. Immutable.
 *
 * @example
 * ```ts
 * orders.join(customers, (o, c) => ({ ...o, customer: c }), Joined.with(Serdes.String(), orderSerde, customerSerde).withName('enrich'));
 * ```
 */
export class Joined<K, V, VO> implements JoinedSettings<K, V, VO> {
  readonly name: string | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly otherValueSerde: Serde<VO> | undefined;

  private constructor(settings: JoinedSettings<K, V, VO>) {
    this.name = settings.name;
    this.keySerde = settings.keySerde;
    this.valueSerde = settings.valueSerde;
    this.otherValueSerde = settings.otherValueSerde;
    Object.freeze(this);
  }

  /**
   * Joins with these serdes (any may be `undefined`: the stream's, else the default).
   *
   * @example `Joined.with(Serdes.String(), Serdes.Number(), Serdes.String())`
   */
  static with<K, V, VO>(keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, otherValueSerde: Serde<VO> | undefined): Joined<K, V, VO> {
    return new Joined<K, V, VO>({ name: undefined, keySerde, valueSerde, otherValueSerde });
  }

  /**
   * Names the join processor (and the repartition topic, if one is needed); serdes stay unset.
   *
   * @example `stream.join(table, joiner, Joined.as('enrich')); // processor 'enrich', topic 'enrich-repartition'`
   */
  static as<K, V, VO>(name: string): Joined<K, V, VO> {
    return new Joined<K, V, VO>({ name: validateName(name), keySerde: undefined, valueSerde: undefined, otherValueSerde: undefined });
  }

  /** Joins with this key serde. @example `Joined.keySerde(Serdes.String())` */
  static keySerde<K, V = never, VO = never>(keySerde: Serde<K>): Joined<K, V, VO> {
    return new Joined<K, V, VO>({ name: undefined, keySerde, valueSerde: undefined, otherValueSerde: undefined });
  }

  /** Joins with this stream value serde. @example `Joined.valueSerde(Serdes.Number())` */
  static valueSerde<V, K = never, VO = never>(valueSerde: Serde<V>): Joined<K, V, VO> {
    return new Joined<K, V, VO>({ name: undefined, keySerde: undefined, valueSerde, otherValueSerde: undefined });
  }

  /** Joins with this table value serde. @example `Joined.otherValueSerde(Serdes.String())` */
  static otherValueSerde<VO, K = never, V = never>(otherValueSerde: Serde<VO>): Joined<K, V, VO> {
    return new Joined<K, V, VO>({ name: undefined, keySerde: undefined, valueSerde: undefined, otherValueSerde });
  }

  /** A copy with this name. @example `Joined.with(ks, vs, ts).withName('enrich')` */
  withName(name: string): Joined<K, V, VO> {
    return new Joined<K, V, VO>({ ...this.#settings(), name: validateName(name) });
  }

  /** A copy with this key serde. @example `joined.withKeySerde(Serdes.String())` */
  withKeySerde(keySerde: Serde<K>): Joined<K, V, VO> {
    return new Joined<K, V, VO>({ ...this.#settings(), keySerde });
  }

  /** A copy with this stream value serde. @example `joined.withValueSerde(Serdes.Number())` */
  withValueSerde(valueSerde: Serde<V>): Joined<K, V, VO> {
    return new Joined<K, V, VO>({ ...this.#settings(), valueSerde });
  }

  /** A copy with this table value serde. @example `joined.withOtherValueSerde(Serdes.String())` */
  withOtherValueSerde(otherValueSerde: Serde<VO>): Joined<K, V, VO> {
    return new Joined<K, V, VO>({ ...this.#settings(), otherValueSerde });
  }

  #settings(): JoinedSettings<K, V, VO> {
    return { name: this.name, keySerde: this.keySerde, valueSerde: this.valueSerde, otherValueSerde: this.otherValueSerde };
  }
}
