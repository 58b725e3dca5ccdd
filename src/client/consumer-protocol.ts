/**
 * Kafka's embedded consumer protocol: the bytes a consumer puts in JoinGroup's protocol metadata
 * (ConsumerProtocolSubscription) and the bytes the leader hands out through SyncGroup (ConsumerProtocolAssignment).
 *
 * Grammar (big-endian, not flexible; a newer version only appends fields, so a reader decodes an unknown newer version
 * with the newest grammar it knows, as Java's ConsumerProtocol does):
 * ```
 * Subscription  => version:int16 topics:[string] user_data:bytes
 *                  owned_partitions:[topic:string partitions:[int32]]   (v1+)
 *                  generation_id:int32                                  (v2+)
 *                  rack_id:nullable_string                              (v3+)
 * Assignment    => version:int16 assigned_partitions:[topic:string partitions:[int32]] user_data:bytes   (v0-v3 alike)
 * string        => length:int16 utf8         nullable_string => length:int16 (-1 = null) utf8
 * bytes         => length:int32 (-1 = null) raw                [T] => count:int32 T*
 * ```
 */
import { StreamsError } from '../errors.js';
import type { TopicPartition } from '../record.js';
import { ByteReader, ByteWriter } from './byte-codec.js';

/**
 * The newest ConsumerProtocolSubscription version this codec reads and writes; newer ones are read as this one.
 *
 * @example
 * ```ts
 * encodeSubscription({ topics: ['orders'], rackId: 'eu-1a' }, SUBSCRIPTION_MAX_VERSION);
 * ```
 */
export const SUBSCRIPTION_MAX_VERSION = 3;
/**
 * The newest ConsumerProtocolAssignment version this codec reads and writes (all versions share one grammar).
 *
 * @example
 * ```ts
 * encodeAssignment({ assignedPartitions: [] }, ASSIGNMENT_MAX_VERSION);
 * ```
 */
export const ASSIGNMENT_MAX_VERSION = 3;

/**
 * A consumer's subscription as carried in JoinGroup metadata.
 *
 * `ownedPartitions` is written from v1, `generationId` from v2 (-1 = none), `rackId` from v3; older versions drop them
 * on encode and decode them as `[]`, `-1`, `null`.
 *
 * @example
 * ```ts
 * const sub: ConsumerSubscription = { topics: ['orders'], userData: null, ownedPartitions: [], generationId: -1, rackId: null };
 * ```
 */
export interface ConsumerSubscription {
  readonly topics: readonly string[];
  readonly userData: Uint8Array | null;
  readonly ownedPartitions: readonly TopicPartition[];
  readonly generationId: number;
  readonly rackId: string | null;
}

/**
 * The partitions the group leader gave one member, as carried in SyncGroup.
 *
 * @example
 * ```ts
 * const a: ConsumerAssignment = { assignedPartitions: [{ topic: 'orders', partition: 0 }], userData: null };
 * ```
 */
export interface ConsumerAssignment {
  readonly assignedPartitions: readonly TopicPartition[];
  readonly userData: Uint8Array | null;
}

/**
 * Encodes a subscription as Kafka's ConsumerProtocolSubscription at `version` (0..3, default 1).
 *
 * Owned partitions are grouped by topic in order of first appearance, as Java's ConsumerProtocol does.
 *
 * @example
 * ```ts
 * const metadata = encodeSubscription({ topics: ['orders'], ownedPartitions: [{ topic: 'orders', partition: 2 }] });
 * ```
 */
export function encodeSubscription(
  sub: { readonly topics: readonly string[] } & Partial<Omit<ConsumerSubscription, 'topics'>>,
  version = 1,
): Uint8Array {
  checkVersion('subscription', version, SUBSCRIPTION_MAX_VERSION);
  const w = new ByteWriter();
  w.int16(version);
  w.int32(sub.topics.length);
  for (const t of sub.topics) w.string(t);
  w.bytes(sub.userData ?? null);
  if (version >= 1) writeTopicPartitions(w, sub.ownedPartitions ?? []);
  if (version >= 2) w.int32(sub.generationId ?? -1);
  if (version >= 3) w.nullableString(sub.rackId ?? null);
  return w.finish();
}

/**
 * Decodes a ConsumerProtocolSubscription of any version; a version above {@link SUBSCRIPTION_MAX_VERSION} is read with
 * the newest grammar (its extra trailing fields are ignored).
 *
 * @throws StreamsError `CORRUPT_RECORD` when the bytes are truncated or break the grammar.
 * @example
 * ```ts
 * const { topics } = decodeSubscription(member.metadata);
 * ```
 */
export function decodeSubscription(bytes: Uint8Array): ConsumerSubscription & { readonly version: number } {
  const r = new ByteReader(bytes, 'consumer protocol subscription');
  const version = readVersion(r, SUBSCRIPTION_MAX_VERSION);
  const n = r.count();
  const topics: string[] = [];
  for (let i = 0; i < n; i++) topics.push(r.string());
  const userData = r.bytes();
  const ownedPartitions = version >= 1 ? readTopicPartitions(r) : [];
  const generationId = version >= 2 ? r.int32() : -1;
  const rackId = version >= 3 ? r.nullableString() : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

/**
 * Encodes an assignment as Kafka's ConsumerProtocolAssignment at `version` (0..3, default 1; all versions share one grammar).
 *
 * @example
 * ```ts
 * const bytes = encodeAssignment({ assignedPartitions: [{ topic: 'orders', partition: 0 }] });
 * ```
 */
export function encodeAssignment(
  assignment: { readonly assignedPartitions: readonly TopicPartition[]; readonly userData?: Uint8Array | null },
  version = 1,
): Uint8Array {
  checkVersion('assignment', version, ASSIGNMENT_MAX_VERSION);
  const w = new ByteWriter();
  w.int16(version);
  writeTopicPartitions(w, assignment.assignedPartitions);
  w.bytes(assignment.userData ?? null);
  return w.finish();
}

/**
 * Decodes a ConsumerProtocolAssignment. Empty bytes (what the coordinator hands a member the leader left out) decode
 * as an empty assignment, as Java's consumer treats them.
 *
 * @throws StreamsError `CORRUPT_RECORD` when the bytes are truncated or break the grammar.
 * @example
 * ```ts
 * const { assignedPartitions } = decodeAssignment(sync.assignment);
 * ```
 */
export function decodeAssignment(bytes: Uint8Array): ConsumerAssignment & { readonly version: number } {
  if (bytes.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const r = new ByteReader(bytes, 'consumer protocol assignment');
  const version = readVersion(r, ASSIGNMENT_MAX_VERSION);
  const assignedPartitions = readTopicPartitions(r);
  const userData = r.bytes();
  return { version, assignedPartitions, userData };
}

function checkVersion(what: string, version: number, max: number): void {
  if (!Number.isInteger(version) || version < 0 || version > max) {
    throw new StreamsError('INVALID_CONFIG', `consumer protocol ${what} version ${version} is not in 0..${max}`);
  }
}

function readVersion(r: ByteReader, max: number): number {
  const v = r.int16();
  if (v < 0) r.fail(`negative version ${v}`);
  return Math.min(v, max);
}

function writeTopicPartitions(w: ByteWriter, partitions: readonly TopicPartition[]): void {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    const list = byTopic.get(tp.topic);
    if (list === undefined) byTopic.set(tp.topic, [tp.partition]);
    else list.push(tp.partition);
  }
  w.int32(byTopic.size);
  for (const [topic, list] of byTopic) {
    w.string(topic);
    w.int32(list.length);
    for (const p of list) w.int32(p);
  }
}

function readTopicPartitions(r: ByteReader): TopicPartition[] {
  const out: TopicPartition[] = [];
  const topics = r.count();
  for (let i = 0; i < topics; i++) {
    const topic = r.string();
    const n = r.count();
    for (let j = 0; j < n; j++) out.push({ topic, partition: r.int32() });
  }
  return out;
}
