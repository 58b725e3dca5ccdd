/**
 * The records of a foreign-key join's internal topics (KIP-213): subscriptions the left table sends to the right
 * table's partitions, responses the right table sends back, and the combined key (foreign key, primary key) the
 * right side keeps its subscriptions under. Each has a serde; the byte layout is tributary's own, versioned.
 */
import { createHash } from 'node:crypto';
import { StreamsError } from '../../../src/errors.js';
import type { Serde, Serializer } from '../../../src/serdes/serde.js';

/**
 * What the right side does with a subscription (Kafka Streams' `SubscriptionWrapper.Instruction`):
 * - `delete-no-propagate`: forget the subscription (the left row moved to another foreign key) and answer nothing;
 * - `delete-and-propagate`: forget it and answer with no foreign value (the left row is gone or has no key);
 * - `propagate-null-if-absent`: keep it and answer, with a null foreign value when the right row is missing;
 * - `propagate-only-if-present`: keep it and answer only when the right row exists (a new inner-join row).
 *
 * @example `const i: SubscriptionInstruction = 'propagate-only-if-present';`
 */
export type SubscriptionInstruction = 'delete-no-propagate' | 'delete-and-propagate' | 'propagate-null-if-absent' | 'propagate-only-if-present';

const INSTRUCTIONS: readonly SubscriptionInstruction[] = ['delete-no-propagate', 'delete-and-propagate', 'propagate-null-if-absent', 'propagate-only-if-present'];
const INSTRUCTION_CODES: ReadonlyMap<SubscriptionInstruction, number> = new Map(INSTRUCTIONS.map((i, n) => [i, n]));

/**
 * A subscription: the left row's key, the hash of its value when sent (`null`: the row was deleted), the instruction,
 * and the partition of the left task that sent it (`-1`: unknown), so the response goes back to that partition.
 *
 * @example `{ hash: valueHash(bytes), instruction: 'propagate-null-if-absent', primaryKey: 'order-1', primaryPartition: 0 }`
 */
export interface SubscriptionWrapper<K> {
  readonly hash: Uint8Array | null;
  readonly instruction: SubscriptionInstruction;
  readonly primaryKey: K;
  readonly primaryPartition: number;
}

/**
 * A response: the hash the subscription carried, the right row's value (`null`: none), and the left partition to
 * deliver to. The left side drops a response whose hash is not the hash of its row's current value (stale).
 *
 * @example `{ hash, foreignValue: 'customer-7', primaryPartition: 2 }`
 */
export interface SubscriptionResponseWrapper<VO> {
  readonly hash: Uint8Array | null;
  readonly foreignValue: VO | null;
  readonly primaryPartition: number;
}

/**
 * The key of the right side's subscription store: the foreign key first, so one prefix scan finds every subscriber.
 *
 * @example `{ foreignKey: 'customer-7', primaryKey: 'order-1' }`
 */
export interface CombinedKey<KO, K> {
  readonly foreignKey: KO;
  readonly primaryKey: K;
}

const VERSION = 1;
const HAS_HASH = 1;
const HAS_VALUE = 2;
const HASH_BYTES = 16;

/**
 * The 128-bit hash of a serialized left value (MD5, as a content fingerprint, like Kafka's Murmur3-128); `null` for
 * no value.
 *
 * @example `valueHash(Buffer.from('x')); // 16 bytes`
 */
export function valueHash(bytes: Uint8Array | null): Uint8Array | null {
  return bytes === null ? null : createHash('md5').update(bytes).digest();
}

/**
 * Whether two hashes are equal (both `null` counts as equal, as Kafka's `Arrays.equals`).
 *
 * @example `hashesEqual(null, null); // true`
 */
export function hashesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * Whether two keys serialize to the same bytes (how a foreign-key change is detected; both `null` are equal).
 *
 * @example `sameBytes(Buffer.from('a'), Buffer.from('a')); // true`
 */
export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return hashesEqual(a, b);
}

function corrupt(what: string): StreamsError {
  return new StreamsError('SERDE_FAILED', `cannot read a foreign-key join ${what}: bad bytes`);
}

function writeHeader(hash: Uint8Array | null, flags: number, extra: number, tailLength: number): { out: Buffer; at: number } {
  const out = Buffer.allocUnsafe(2 + extra + (hash === null ? 0 : HASH_BYTES) + 4 + tailLength);
  out[0] = VERSION;
  out[1] = flags | (hash === null ? 0 : HAS_HASH);
  let at = 2 + extra;
  if (hash !== null) {
    out.set(hash, at);
    at += HASH_BYTES;
  }
  return { out, at };
}

/**
 * The serde of {@link SubscriptionWrapper}s, with `keySerde` for the left key. Layout: version (1), flags (bit 0:
 * hash present), instruction, hash (16 bytes, if present), primary partition (int32 BE), left key bytes.
 *
 * @example `subscriptionWrapperSerde(Serdes.String()).serialize('t', wrapper)`
 */
export function subscriptionWrapperSerde<K>(keySerde: Serde<K>): Serde<SubscriptionWrapper<K>> {
  return Object.freeze({
    name: `SubscriptionWrapper<${keySerde.name}>`,
    serialize(topic: string, data: SubscriptionWrapper<K> | null): Uint8Array | null {
      if (data === null) return null;
      const pk = keySerde.serialize(`${topic}-pk`, data.primaryKey);
      if (pk === null) throw new StreamsError('SERDE_FAILED', 'a subscription needs a non-null primary key');
      const { out, at } = writeHeader(data.hash, 0, 1, pk.byteLength);
      out[2] = INSTRUCTION_CODES.get(data.instruction)!;
      out.writeInt32BE(data.primaryPartition, at);
      out.set(pk, at + 4);
      return out;
    },
    deserialize(topic: string, data: Uint8Array | null): SubscriptionWrapper<K> | null {
      if (data === null) return null;
      if (data.byteLength < 7 || data[0] !== VERSION) throw corrupt('subscription');
      const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const instruction = INSTRUCTIONS[view[2]!];
      if (instruction === undefined) throw corrupt('subscription');
      let at = 3;
      let hash: Uint8Array | null = null;
      if ((view[1]! & HAS_HASH) !== 0) {
        hash = Uint8Array.prototype.slice.call(view, at, at + HASH_BYTES);
        at += HASH_BYTES;
      }
      const primaryPartition = view.readInt32BE(at);
      const primaryKey = keySerde.deserialize(`${topic}-pk`, view.subarray(at + 4)) as K;
      return { hash, instruction, primaryKey, primaryPartition };
    },
  });
}

/**
 * The serde of {@link SubscriptionResponseWrapper}s, with `valueSerde` for the right value. Layout: version (1),
 * flags (bit 0: hash present, bit 1: value present), hash (16 bytes, if present), primary partition (int32 BE),
 * right value bytes (if present).
 *
 * @example `responseWrapperSerde(Serdes.String()).serialize('t', { hash: null, foreignValue: null, primaryPartition: 0 })`
 */
export function responseWrapperSerde<VO>(valueSerde: Serde<VO>): Serde<SubscriptionResponseWrapper<VO>> {
  return Object.freeze({
    name: `SubscriptionResponseWrapper<${valueSerde.name}>`,
    serialize(topic: string, data: SubscriptionResponseWrapper<VO> | null): Uint8Array | null {
      if (data === null) return null;
      const value = data.foreignValue === null ? null : valueSerde.serialize(topic, data.foreignValue);
      const { out, at } = writeHeader(data.hash, value === null ? 0 : HAS_VALUE, 0, value === null ? 0 : value.byteLength);
      out.writeInt32BE(data.primaryPartition, at);
      if (value !== null) out.set(value, at + 4);
      return out;
    },
    deserialize(topic: string, data: Uint8Array | null): SubscriptionResponseWrapper<VO> | null {
      if (data === null) return null;
      if (data.byteLength < 6 || data[0] !== VERSION) throw corrupt('response');
      const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      let at = 2;
      let hash: Uint8Array | null = null;
      if ((view[1]! & HAS_HASH) !== 0) {
        hash = Uint8Array.prototype.slice.call(view, at, at + HASH_BYTES);
        at += HASH_BYTES;
      }
      const primaryPartition = view.readInt32BE(at);
      const foreignValue = (view[1]! & HAS_VALUE) === 0 ? null : valueSerde.deserialize(topic, view.subarray(at + 4));
      return { hash, foreignValue, primaryPartition };
    },
  });
}

function prefixOf(fk: Uint8Array, extra: number): Buffer {
  const out = Buffer.allocUnsafe(4 + fk.byteLength + extra);
  out.writeUInt32BE(fk.byteLength, 0);
  out.set(fk, 4);
  return out;
}

/**
 * The serde of {@link CombinedKey}s: foreign key length (uint32 BE), foreign key bytes, primary key bytes; so all
 * keys of one foreign key share the prefix {@link foreignKeyPrefixSerializer} writes.
 *
 * @example `combinedKeySerde(Serdes.String(), Serdes.String()).serialize('t', { foreignKey: 'c1', primaryKey: 'o1' })`
 */
export function combinedKeySerde<KO, K>(foreignKeySerde: Serde<KO>, primaryKeySerde: Serde<K>): Serde<CombinedKey<KO, K>> {
  return Object.freeze({
    name: `CombinedKey<${foreignKeySerde.name},${primaryKeySerde.name}>`,
    serialize(topic: string, data: CombinedKey<KO, K> | null): Uint8Array | null {
      if (data === null) return null;
      const fk = foreignKeySerde.serialize(`${topic}-fk`, data.foreignKey);
      const pk = primaryKeySerde.serialize(`${topic}-pk`, data.primaryKey);
      if (fk === null || pk === null) throw new StreamsError('SERDE_FAILED', 'a combined key needs non-null keys');
      const out = prefixOf(fk, pk.byteLength);
      out.set(pk, 4 + fk.byteLength);
      return out;
    },
    deserialize(topic: string, data: Uint8Array | null): CombinedKey<KO, K> | null {
      if (data === null) return null;
      const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      if (view.byteLength < 4) throw corrupt('combined key');
      const n = view.readUInt32BE(0);
      if (view.byteLength < 4 + n) throw corrupt('combined key');
      const foreignKey = foreignKeySerde.deserialize(`${topic}-fk`, view.subarray(4, 4 + n)) as KO;
      const primaryKey = primaryKeySerde.deserialize(`${topic}-pk`, view.subarray(4 + n)) as K;
      return { foreignKey, primaryKey };
    },
  });
}

/**
 * Serializes a foreign key to the prefix every {@link combinedKeySerde} key of that foreign key starts with.
 *
 * @example `store.prefixScan('customer-7', foreignKeyPrefixSerializer(Serdes.String()))`
 */
export function foreignKeyPrefixSerializer<KO>(foreignKeySerde: Serde<KO>): Serializer<KO> {
  return Object.freeze({
    serialize(topic: string, data: KO | null): Uint8Array | null {
      const fk = foreignKeySerde.serialize(`${topic}-fk`, data);
      return fk === null ? null : prefixOf(fk, 0);
    },
  });
}
