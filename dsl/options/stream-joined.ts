/**
 * `StreamJoined`: the serdes, names and store settings of a stream-stream join (Kafka Streams' `StreamJoined`).
 */
import type { Serde } from '../../src/serdes/serde.js';
import type { ChangelogConfig } from '../../src/state/store-builder.js';
import { validateName } from './named.js';

interface StreamJoinedSettings<K, V1, V2> {
  readonly name: string | undefined;
  readonly storeName: string | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V1> | undefined;
  readonly otherValueSerde: Serde<V2> | undefined;
  readonly isLoggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;
}

/**
 * Options of `KStream.join/leftJoin/outerJoin(KStream)`: `keySerde`, `valueSerde` (this stream's) and
 * `otherValueSerde` serve the join's window stores and the repartition topics inserted when a side's key changed
 * (unset: the stream's own, else the defaults); `name` names the processors (`<name>-this-join`, `<name>-merge`,
 * ...) and repartition topics (`<name>-left-repartition`, `<name>-right-repartition`); `storeName` names the stores
 * (`<storeName>-this-join-store`, `<storeName>-other-join-store`, `<storeName>-outer-shared-join-store`) and so their
 * changelogs. Logging is on unless disabled. Immutable.
 *
 * @example
 * ```ts
 * payments.join(orders, (p, o) => ({ ...p, order: o }), JoinWindows.ofTimeDifferenceWithNoGrace(600_000),
 *   StreamJoined.with(Serdes.String(), paymentSerde, orderSerde).withStoreName('payments-orders'));
 * ```
 */
export class StreamJoined<K, V1, V2> implements StreamJoinedSettings<K, V1, V2> {
  readonly name: string | undefined;
  readonly storeName: string | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V1> | undefined;
  readonly otherValueSerde: Serde<V2> | undefined;
  readonly isLoggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;

  private constructor(settings: StreamJoinedSettings<K, V1, V2>) {
    this.name = settings.name;
    this.storeName = settings.storeName;
    this.keySerde = settings.keySerde;
    this.valueSerde = settings.valueSerde;
    this.otherValueSerde = settings.otherValueSerde;
    this.isLoggingEnabled = settings.isLoggingEnabled;
    this.logConfig = settings.logConfig;
    Object.freeze(this);
  }

  /**
   * Joins with these serdes (any may be `undefined`: the stream's, else the default).
   *
   * @example `StreamJoined.with(Serdes.String(), Serdes.Number(), Serdes.String())`
   */
  static with<K, V1, V2>(keySerde: Serde<K> | undefined, valueSerde: Serde<V1> | undefined, otherValueSerde: Serde<V2> | undefined): StreamJoined<K, V1, V2> {
    return new StreamJoined<K, V1, V2>({ ...EMPTY, keySerde, valueSerde, otherValueSerde });
  }

  /**
   * Names the join's stores (`<storeName>-this-join-store`, ...); serdes stay unset.
   *
   * @example `StreamJoined.as('payments-orders')`
   */
  static as<K, V1, V2>(storeName: string): StreamJoined<K, V1, V2> {
    return new StreamJoined<K, V1, V2>({ ...EMPTY, storeName: validateName(storeName) });
  }

  /** A copy naming the join's processors and repartition topics. @example `StreamJoined.as('s').withName('pay-join')` */
  withName(name: string): StreamJoined<K, V1, V2> {
    return new StreamJoined<K, V1, V2>({ ...this.#settings(), name: validateName(name) });
  }

  /** A copy naming the join's stores. @example `StreamJoined.with(ks, v1, v2).withStoreName('payments-orders')` */
  withStoreName(storeName: string): StreamJoined<K, V1, V2> {
    return new StreamJoined<K, V1, V2>({ ...this.#settings(), storeName: validateName(storeName) });
  }

  /** A copy with this key serde. @example `streamJoined.withKeySerde(Serdes.String())` */
  withKeySerde(keySerde: Serde<K>): StreamJoined<K, V1, V2> {
    return new StreamJoined<K, V1, V2>({ ...this.#settings(), keySerde });
  }

  /** A copy with this stream's value serde. @example `streamJoined.withValueSerde(Serdes.Number())` */
  withValueSerde(valueSerde: Serde<V1>): StreamJoined<K, V1, V2> {
    return new StreamJoined<K, V1, V2>({ ...this.#settings(), valueSerde });
  }

  /** A copy with the other stream's value serde. @example `streamJoined.withOtherValueSerde(Serdes.String())` */
  withOtherValueSerde(otherValueSerde: Serde<V2>): StreamJoined<K, V1, V2> {
    return new StreamJoined<K, V1, V2>({ ...this.#settings(), otherValueSerde });
  }

  /** A copy whose stores log to changelogs created with these extra configs. @example `streamJoined.withLoggingEnabled({ 'min.insync.replicas': '2' })` */
  withLoggingEnabled(config: ChangelogConfig = {}): StreamJoined<K, V1, V2> {
    return new StreamJoined<K, V1, V2>({ ...this.#settings(), isLoggingEnabled: true, logConfig: Object.freeze({ ...config }) });
  }

  /** A copy whose stores keep no changelog (lost with the instance). @example `streamJoined.withLoggingDisabled()` */
  withLoggingDisabled(): StreamJoined<K, V1, V2> {
    return new StreamJoined<K, V1, V2>({ ...this.#settings(), isLoggingEnabled: false, logConfig: Object.freeze({}) });
  }

  #settings(): StreamJoinedSettings<K, V1, V2> {
    return {
      name: this.name,
      storeName: this.storeName,
      keySerde: this.keySerde,
      valueSerde: this.valueSerde,
      otherValueSerde: this.otherValueSerde,
      isLoggingEnabled: this.isLoggingEnabled,
      logConfig: this.logConfig,
    };
  }
}

const EMPTY: StreamJoinedSettings<never, never, never> = Object.freeze({
  name: undefined,
  storeName: undefined,
  keySerde: undefined,
  valueSerde: undefined,
  otherValueSerde: undefined,
  isLoggingEnabled: true,
  logConfig: Object.freeze({}),
});
