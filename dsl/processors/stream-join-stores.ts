/**
 * The stores of a stream-stream join: the two duplicate-keeping window stores (one per side) and the shared "outer
 * join" store of left/outer joins, which holds records that have not joined yet until their window closes (Kafka
 * Streams' `KSTREAM-OUTERSHARED-...-store`, a list-value store keyed by timestamp, side and key).
 */
import type { Headers } from '../../src/record.js';
import type { Serde } from '../../src/serdes/serde.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { KeyValueStore } from '../../src/state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../../src/state/state-store.js';
import type { ChangelogConfig, StoreBuilder } from '../../src/state/store-builder.js';
import type { WindowStore } from '../../src/state/window-store.js';
import { Stores } from '../../state-stores/stores.js';
import { windowedChangelogConfig } from '../../state-stores/window/windowed-store-builder.js';

function isSerde(value: unknown): value is Serde<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Serde<unknown>).serialize === 'function' && typeof (value as Serde<unknown>).deserialize === 'function';
}

/** A serde fixed at build time, or the application's default resolved when the store opens. */
class JoinSerde implements Serde<unknown> {
  readonly name = 'JoinStoreSerde';
  #delegate: Serde<unknown> | undefined;

  constructor(
    fixed: Serde<unknown> | undefined,
    private readonly configKey: 'defaultKeySerde' | 'defaultValueSerde',
  ) {
    this.#delegate = fixed;
  }

  get isResolved(): boolean {
    return this.#delegate !== undefined;
  }

  resolve(appConfig: Readonly<Record<string, unknown>>): void {
    if (this.#delegate !== undefined) return;
    const configured = appConfig[this.configKey];
    this.#delegate = isSerde(configured) ? configured : (Serdes.ByteArray() as Serde<unknown>);
  }

  serialize(topic: string, data: unknown, headers?: Headers): Uint8Array | null {
    return this.#delegate!.serialize(topic, data, headers);
  }

  deserialize(topic: string, data: Uint8Array | null, headers?: Headers): unknown {
    return this.#delegate!.deserialize(topic, data, headers);
  }
}

/**
 * The key of the shared outer-join store: a record's timestamp, its side and its key. Encoded as `timestamp (8 bytes,
 * big-endian) + side (1: this/left, 0: other/right) + key`, so the store iterates oldest first, as Kafka Streams'
 * `TimestampedKeyAndJoinSide` does, and the expiry scan can stop at the first open window.
 *
 * @example `const key: TimestampedKeyAndJoinSide<string> = { timestampMs: 5, isLeftSide: true, key: 'k' };`
 */
export interface TimestampedKeyAndJoinSide<K> {
  readonly timestampMs: number;
  readonly isLeftSide: boolean;
  readonly key: K;
}

/**
 * One not-yet-joined value of the shared outer-join store: from this (left) or the other (right) stream.
 *
 * @example `const v: LeftOrRightValue = { isLeftSide: false, value: 'b' };`
 */
export interface LeftOrRightValue {
  readonly isLeftSide: boolean;
  readonly value: unknown;
}

class TimestampedKeyAndJoinSideSerde implements Serde<TimestampedKeyAndJoinSide<unknown>> {
  readonly name = 'TimestampedKeyAndJoinSide';
  constructor(private readonly keySerde: Serde<unknown>) {}

  serialize(topic: string, data: TimestampedKeyAndJoinSide<unknown> | null): Uint8Array | null {
    if (data === null) return null;
    const raw = this.keySerde.serialize(topic, data.key) ?? new Uint8Array(0);
    const out = new Uint8Array(9 + raw.length);
    const view = new DataView(out.buffer);
    view.setBigInt64(0, BigInt(data.timestampMs));
    out[8] = data.isLeftSide ? 1 : 0;
    out.set(raw, 9);
    return out;
  }

  deserialize(topic: string, data: Uint8Array | null): TimestampedKeyAndJoinSide<unknown> | null {
    if (data === null) return null;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return { timestampMs: Number(view.getBigInt64(0)), isLeftSide: data[8] === 1, key: this.keySerde.deserialize(topic, data.subarray(9)) };
  }
}

/** A list of values (Kafka's ListValueStore keeps every duplicate): `side (1) + length (4) + bytes` per value. */
class LeftOrRightListSerde implements Serde<readonly LeftOrRightValue[]> {
  readonly name = 'LeftOrRightValueList';
  constructor(
    private readonly thisSerde: Serde<unknown>,
    private readonly otherSerde: Serde<unknown>,
  ) {}

  serialize(topic: string, data: readonly LeftOrRightValue[] | null): Uint8Array | null {
    if (data === null) return null;
    const parts: Uint8Array[] = [];
    let size = 0;
    for (const v of data) {
      const bytes = (v.isLeftSide ? this.thisSerde : this.otherSerde).serialize(topic, v.value) ?? new Uint8Array(0);
      parts.push(bytes);
      size += 5 + bytes.length;
    }
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    let at = 0;
    for (let i = 0; i < data.length; i++) {
      const bytes = parts[i]!;
      out[at] = data[i]!.isLeftSide ? 1 : 0;
      view.setUint32(at + 1, bytes.length);
      out.set(bytes, at + 5);
      at += 5 + bytes.length;
    }
    return out;
  }

  deserialize(topic: string, data: Uint8Array | null): readonly LeftOrRightValue[] | null {
    if (data === null) return null;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const values: LeftOrRightValue[] = [];
    let at = 0;
    while (at < data.length) {
      const isLeftSide = data[at] === 1;
      const length = view.getUint32(at + 1);
      const bytes = data.subarray(at + 5, at + 5 + length);
      values.push({ isLeftSide, value: (isLeftSide ? this.thisSerde : this.otherSerde).deserialize(topic, bytes) });
      at += 5 + length;
    }
    return values;
  }
}

/**
 * The serdes and settings of a stream-stream join's stores; serdes left `undefined` are the application's defaults,
 * resolved when each store opens.
 *
 * @example
 * ```ts
 * const settings: JoinStoreSettings = { keySerde: Serdes.String(), thisValueSerde: undefined, otherValueSerde: undefined,
 *   isLoggingEnabled: true, logConfig: {}, isPersistent: false };
 * ```
 */
export interface JoinStoreSettings {
  readonly keySerde: Serde<unknown> | undefined;
  readonly thisValueSerde: Serde<unknown> | undefined;
  readonly otherValueSerde: Serde<unknown> | undefined;
  readonly isLoggingEnabled: boolean;
  readonly logConfig: ChangelogConfig;
  readonly isPersistent: boolean;
}

type StoreFactory = (serdes: { key: Serde<unknown>; thisValue: Serde<unknown>; otherValue: Serde<unknown> }, logging: ChangelogConfig | null) => StateStore;

class JoinStoreBuilder implements StoreBuilder<StateStore> {
  constructor(
    readonly name: string,
    private readonly settings: JoinStoreSettings,
    readonly loggingEnabled: boolean,
    private readonly extraLogConfig: ChangelogConfig,
    private readonly factory: StoreFactory,
  ) {}

  get logConfig(): ChangelogConfig {
    return this.loggingEnabled ? { ...this.extraLogConfig, ...this.settings.logConfig } : {};
  }

  readonly cachingEnabled = false;

  withCachingEnabled(): StoreBuilder<StateStore> {
    // Join stores never cache: every put must be visible to the other side at once (as in Kafka Streams).
    return this;
  }

  withCachingDisabled(): StoreBuilder<StateStore> {
    return this;
  }

  withLoggingEnabled(config: ChangelogConfig = {}): StoreBuilder<StateStore> {
    return new JoinStoreBuilder(this.name, { ...this.settings, logConfig: Object.freeze({ ...config }) }, true, this.extraLogConfig, this.factory);
  }

  withLoggingDisabled(): StoreBuilder<StateStore> {
    return new JoinStoreBuilder(this.name, this.settings, false, this.extraLogConfig, this.factory);
  }

  build(): StateStore {
    const key = new JoinSerde(this.settings.keySerde, 'defaultKeySerde');
    const thisValue = new JoinSerde(this.settings.thisValueSerde, 'defaultValueSerde');
    const otherValue = new JoinSerde(this.settings.otherValueSerde, 'defaultValueSerde');
    const store = this.factory({ key, thisValue, otherValue }, this.loggingEnabled ? this.logConfig : null);
    if (!key.isResolved || !thisValue.isResolved || !otherValue.isResolved) {
      // `init` is a store's first call: the defaults are known from then on.
      const init = store.init;
      store.init = function (this: StateStore, context: StateStoreContext, root: StateStore): void {
        key.resolve(context.appConfig);
        thisValue.resolve(context.appConfig);
        otherValue.resolve(context.appConfig);
        init.call(this, context, root);
      };
    }
    return store;
  }
}

/**
 * The window store of one side of a stream-stream join: keeps every record (`retainDuplicates`) for `retentionMs`
 * (the join window's span plus grace) in windows of `windowSizeMs`, uncached, logged to a `compact,delete` changelog.
 * `isThisSide` picks the value serde (this stream's or the other's).
 *
 * @example
 * ```ts
 * topology.addStateStore(joinWindowStoreBuilder('KSTREAM-JOINTHIS-0000000004-store', settings, true, 13, 10), 'KSTREAM-WINDOWED-0000000002');
 * ```
 */
export function joinWindowStoreBuilder(name: string, settings: JoinStoreSettings, isThisSide: boolean, retentionMs: number, windowSizeMs: number): StoreBuilder<StateStore> {
  return new JoinStoreBuilder(name, settings, settings.isLoggingEnabled, windowedChangelogConfig(retentionMs), (serdes, logging) => {
    const supplier = settings.isPersistent
      ? Stores.persistentWindowStore(name, retentionMs, windowSizeMs, true)
      : Stores.inMemoryWindowStore(name, retentionMs, windowSizeMs, true);
    const builder = Stores.windowStoreBuilder<unknown, unknown>(supplier, serdes.key, isThisSide ? serdes.thisValue : serdes.otherValue).withCachingDisabled();
    return (logging === null ? builder.withLoggingDisabled() : builder.withLoggingEnabled(logging)).build() as WindowStore<unknown, unknown>;
  });
}

/**
 * The shared store of a left/outer stream-stream join: `TimestampedKeyAndJoinSide -> LeftOrRightValue[]`, holding
 * each record that found no partner yet until its window closes (then it is forwarded with a `null` partner and
 * deleted) or a partner arrives (then it is deleted without output). Uncached; logged as `settings` say.
 *
 * @example
 * ```ts
 * topology.addStateStore(outerJoinStoreBuilder('KSTREAM-OUTERSHARED-0000000004-store', settings), 'KSTREAM-JOINTHIS-0000000004', 'KSTREAM-OUTEROTHER-0000000005');
 * ```
 */
export function outerJoinStoreBuilder(name: string, settings: JoinStoreSettings): StoreBuilder<StateStore> {
  return new JoinStoreBuilder(name, settings, settings.isLoggingEnabled, {}, (serdes, logging) => {
    const supplier = settings.isPersistent ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name);
    const builder = Stores.keyValueStoreBuilder<TimestampedKeyAndJoinSide<unknown>, readonly LeftOrRightValue[]>(
      supplier,
      new TimestampedKeyAndJoinSideSerde(serdes.key),
      new LeftOrRightListSerde(serdes.thisValue, serdes.otherValue),
    ).withCachingDisabled();
    return (logging === null ? builder.withLoggingDisabled() : builder.withLoggingEnabled(logging)).build() as KeyValueStore<
      TimestampedKeyAndJoinSide<unknown>,
      readonly LeftOrRightValue[]
    >;
  });
}
