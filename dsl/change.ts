/**
 * A table update as it flows between KTable processors: the new value of a key and, when the downstream needs it,
 * the value it replaces (Kafka Streams' `Change<V>`), and the byte format that carries it through a repartition topic.
 */
import { StreamsError } from '../src/errors.js';
import type { Headers } from '../src/record.js';
import type { Serde } from '../src/serdes/serde.js';

/**
 * One update of a table row: `newValue` is the row's value after the update (`null`: the row was deleted) and
 * `oldValue` the value before it. `oldValue` is only filled in where a downstream operator asked for old values
 * (`KTable.groupBy` does, so its subtractor can remove the old value); elsewhere it is `null` even when a row existed.
 *
 * @example
 * ```ts
 * const update: Change<number> = { newValue: 12, oldValue: 10 };
 * const deletion: Change<number> = { newValue: null, oldValue: 12 };
 * ```
 */
export interface Change<V> {
  readonly newValue: V | null;
  readonly oldValue: V | null;
}

const NEW_ONLY = 1;
const OLD_ONLY = 0;
const BOTH = 2;

class ChangeSerde<V> implements Serde<Change<V>> {
  readonly name: string;
  constructor(private readonly inner: Serde<V>) {
    this.name = `Change(${inner.name})`;
  }

  serialize(topic: string, data: Change<V> | null, headers?: Headers): Uint8Array | null {
    if (data === null || data === undefined) return null;
    const newBytes = data.newValue == null ? null : this.inner.serialize(topic, data.newValue, headers);
    const oldBytes = data.oldValue == null ? null : this.inner.serialize(topic, data.oldValue, headers);
    if (newBytes !== null && oldBytes !== null) {
      const out = Buffer.allocUnsafe(4 + newBytes.byteLength + oldBytes.byteLength + 1);
      out.writeUInt32BE(newBytes.byteLength, 0);
      out.set(newBytes, 4);
      out.set(oldBytes, 4 + newBytes.byteLength);
      out[out.length - 1] = BOTH;
      return out;
    }
    const only = newBytes ?? oldBytes;
    if (only === null) throw new StreamsError('SERDE_FAILED', `${this.name}: both the old and the new value are null`, { topic });
    const out = Buffer.allocUnsafe(only.byteLength + 1);
    out.set(only, 0);
    out[only.byteLength] = newBytes === null ? OLD_ONLY : NEW_ONLY;
    return out;
  }

  deserialize(topic: string, data: Uint8Array | null, headers?: Headers): Change<V> | null {
    if (data === null || data === undefined) return null;
    if (data.byteLength < 1) throw new StreamsError('SERDE_FAILED', `${this.name}: empty bytes from topic "${topic}"`, { topic });
    const flag = data[data.byteLength - 1];
    if (flag === BOTH) {
      if (data.byteLength < 5) throw new StreamsError('SERDE_FAILED', `${this.name}: truncated bytes from topic "${topic}"`, { topic });
      const newLength = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
      if (4 + newLength > data.byteLength - 1) throw new StreamsError('SERDE_FAILED', `${this.name}: bad length from topic "${topic}"`, { topic });
      return {
        newValue: this.inner.deserialize(topic, data.subarray(4, 4 + newLength), headers),
        oldValue: this.inner.deserialize(topic, data.subarray(4 + newLength, data.byteLength - 1), headers),
      };
    }
    const value = this.inner.deserialize(topic, data.subarray(0, data.byteLength - 1), headers);
    if (flag === NEW_ONLY) return { newValue: value, oldValue: null };
    if (flag === OLD_ONLY) return { newValue: null, oldValue: value };
    throw new StreamsError('SERDE_FAILED', `${this.name}: unknown flag ${String(flag)} from topic "${topic}"`, { topic });
  }
}

/**
 * The serde of {@link Change}s on the repartition topic of `KTable.groupBy`, byte-compatible with Kafka Streams'
 * `ChangedSerializer`/`ChangedDeserializer` (3.5+): `old + 0x00` (old value only), `new + 0x01` (new value only), or
 * `uint32 newLength + new + old + 0x02` (both, sent when an update keeps its grouping key). A change with neither value
 * cannot be written (`SERDE_FAILED`).
 *
 * @example
 * ```ts
 * const serde = changeSerde(Serdes.String());
 * serde.serialize('t', { newValue: 'a', oldValue: null }); // <Buffer 61 01>
 * ```
 */
export function changeSerde<V>(inner: Serde<V>): Serde<Change<V>> {
  return Object.freeze(new ChangeSerde(inner));
}
