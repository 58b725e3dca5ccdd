/**
 * The user data a streams application puts in the group protocol (Kafka Streams' SubscriptionInfo and
 * AssignmentInfo, in tributary's own compact encoding): each member tells the leader its `applicationServer`
 * endpoint, and the leader hands every member the partitions held by every endpoint, so any instance can find the
 * instance that owns a key (interactive queries).
 *
 * Grammar (big-endian; a newer version only appends fields, so a reader reads what it knows and ignores the rest):
 * ```
 * SubscriptionInfo => version:int16 endpoint:nullable_string
 * AssignmentInfo   => version:int16 topics:[name:string partitions:int32]
 *                     hosts:[endpoint:string topics:[topic_index:int16 partitions:[int32]]]
 * string => length:int16 utf8      nullable_string => length:int16 (-1 = null) utf8      [T] => count:int32 T*
 * ```
 * `topics` lists every topic the leader assigned with its partition count; `topic_index` points into it.
 */
import { ByteReader, ByteWriter } from '../src/client/byte-codec.js';
import { StreamsError } from '../src/errors.js';
import type { TopicPartition } from '../src/record.js';

/** The newest SubscriptionInfo / AssignmentInfo version written and read. */
const VERSION = 1;

/**
 * What the leader tells every member after a rebalance: which endpoint (`host:port`) holds which partitions, and the
 * partition count of every assigned topic. Members without an `applicationServer` are not in `partitionsByHost`.
 *
 * @example
 * ```ts
 * const info: AssignmentInfo = {
 *   partitionsByHost: new Map([['10.0.0.1:8080', [{ topic: 'lines', partition: 0 }]]]),
 *   partitionCounts: new Map([['lines', 2]]),
 * };
 * ```
 */
export interface AssignmentInfo {
  readonly partitionsByHost: ReadonlyMap<string, readonly TopicPartition[]>;
  readonly partitionCounts: ReadonlyMap<string, number>;
}

/**
 * Encodes a member's SubscriptionInfo: its `applicationServer` endpoint, or null when it has none.
 *
 * @example
 * ```ts
 * const userData = encodeSubscriptionInfo('10.0.0.1:8080');
 * decodeSubscriptionInfo(userData); // '10.0.0.1:8080'
 * ```
 */
export function encodeSubscriptionInfo(endpoint: string | null): Uint8Array {
  const w = new ByteWriter();
  w.int16(VERSION);
  w.nullableString(endpoint);
  return w.finish();
}

/**
 * Decodes a SubscriptionInfo into the member's endpoint; null or empty user data (a member that sent none) is null.
 *
 * @throws StreamsError `CORRUPT_RECORD` when the bytes break the grammar.
 * @example
 * ```ts
 * decodeSubscriptionInfo(subscription.userData ?? null); // '10.0.0.1:8080' or null
 * ```
 */
export function decodeSubscriptionInfo(bytes: Uint8Array | null): string | null {
  if (bytes === null || bytes.length === 0) return null;
  const r = new ByteReader(bytes, 'subscription info');
  readVersion(r);
  return r.nullableString();
}

/**
 * Encodes an {@link AssignmentInfo}. Partitions are grouped by topic per host; the same info goes to every member.
 *
 * @example
 * ```ts
 * const bytes = encodeAssignmentInfo({ partitionsByHost: new Map([['a:1', [{ topic: 't', partition: 0 }]]]), partitionCounts: new Map([['t', 1]]) });
 * ```
 */
export function encodeAssignmentInfo(info: AssignmentInfo): Uint8Array {
  const topics = [...info.partitionCounts.keys()];
  const index = new Map(topics.map((t, i) => [t, i]));
  const hosts: { endpoint: string; byTopic: Map<number, number[]> }[] = [];
  for (const [endpoint, partitions] of info.partitionsByHost) {
    const byTopic = new Map<number, number[]>();
    for (const tp of partitions) {
      const i = index.get(tp.topic);
      if (i === undefined) throw new StreamsError('ILLEGAL_STATE', `assignment info: partition of ${tp.topic}, which has no partition count`);
      const list = byTopic.get(i);
      if (list === undefined) byTopic.set(i, [tp.partition]);
      else list.push(tp.partition);
    }
    hosts.push({ endpoint, byTopic });
  }
  if (topics.length > 0x7fff) throw new StreamsError('ILLEGAL_STATE', `assignment info: ${topics.length} topics do not fit an int16 index`);
  const w = new ByteWriter();
  w.int16(VERSION);
  w.int32(topics.length);
  for (const t of topics) {
    w.string(t);
    w.int32(info.partitionCounts.get(t)!);
  }
  w.int32(hosts.length);
  for (const h of hosts) {
    w.string(h.endpoint);
    w.int32(h.byTopic.size);
    for (const [i, list] of h.byTopic) {
      w.int16(i);
      w.int32(list.length);
      for (const p of list) w.int32(p);
    }
  }
  return w.finish();
}

/**
 * Decodes an {@link AssignmentInfo}; null or empty user data (a leader that sent none) gives an empty info.
 *
 * @throws StreamsError `CORRUPT_RECORD` when the bytes break the grammar or point at an unknown topic.
 * @example
 * ```ts
 * const { partitionsByHost } = decodeAssignmentInfo(assignment.userData);
 * ```
 */
export function decodeAssignmentInfo(bytes: Uint8Array | null): AssignmentInfo {
  if (bytes === null || bytes.length === 0) return { partitionsByHost: new Map(), partitionCounts: new Map() };
  const r = new ByteReader(bytes, 'assignment info');
  readVersion(r);
  const topics: string[] = [];
  const partitionCounts = new Map<string, number>();
  for (let i = 0, n = r.count(); i < n; i++) {
    const t = r.string();
    topics.push(t);
    partitionCounts.set(t, r.int32());
  }
  const partitionsByHost = new Map<string, TopicPartition[]>();
  for (let i = 0, n = r.count(); i < n; i++) {
    const endpoint = r.string();
    const list: TopicPartition[] = [];
    for (let j = 0, m = r.count(); j < m; j++) {
      const ti = r.int16();
      const topic = topics[ti] ?? r.fail(`topic index ${ti} of ${topics.length} topics`);
      for (let k = 0, c = r.count(); k < c; k++) list.push({ topic, partition: r.int32() });
    }
    partitionsByHost.set(endpoint, list);
  }
  return { partitionsByHost, partitionCounts };
}

/** The version field: any version from 1 up is read (newer ones only append fields). */
function readVersion(r: ByteReader): number {
  const v = r.int16();
  if (v < 1) r.fail(`unknown version ${v}`);
  return v;
}
