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
  const w = new Writer(2 + 2 + (endpoint === null ? 0 : Buffer.byteLength(endpoint, 'utf8')));
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
  const r = new Reader(bytes, 'subscription info');
  r.version();
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
  let size = 2 + 4 + 4;
  for (const t of topics) size += 2 + Buffer.byteLength(t, 'utf8') + 4;
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
    size += 2 + Buffer.byteLength(endpoint, 'utf8') + 4;
    for (const list of byTopic.values()) size += 2 + 4 + 4 * list.length;
  }
  if (topics.length > 0x7fff) throw new StreamsError('ILLEGAL_STATE', `assignment info: ${topics.length} topics do not fit an int16 index`);
  const w = new Writer(size);
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
  const r = new Reader(bytes, 'assignment info');
  r.version();
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

class Writer {
  readonly #buf: Buffer;
  #pos = 0;
  constructor(size: number) {
    this.#buf = Buffer.alloc(size);
  }
  int16(v: number): void {
    this.#pos = this.#buf.writeInt16BE(v, this.#pos);
  }
  int32(v: number): void {
    this.#pos = this.#buf.writeInt32BE(v, this.#pos);
  }
  string(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new StreamsError('INVALID_CONFIG', `a string of ${len} bytes does not fit an int16 length`);
    this.int16(len);
    this.#pos += this.#buf.write(s, this.#pos, 'utf8');
  }
  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.string(s);
  }
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }
}

class Reader {
  readonly #buf: Buffer;
  readonly #what: string;
  #pos = 0;
  constructor(bytes: Uint8Array, what: string) {
    this.#buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }
  fail(why: string): never {
    throw new StreamsError('CORRUPT_RECORD', `${this.#what}: ${why} at byte ${this.#pos}`);
  }
  #need(n: number): void {
    if (this.#pos + n > this.#buf.length) this.fail(`needs ${n} more bytes, ${this.#buf.length - this.#pos} left`);
  }
  version(): number {
    const v = this.int16();
    if (v < 1) this.fail(`unknown version ${v}`);
    return v;
  }
  int16(): number {
    this.#need(2);
    const v = this.#buf.readInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }
  int32(): number {
    this.#need(4);
    const v = this.#buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  /** An array count: every element takes at least one byte, so a count larger than what is left is corrupt. */
  count(): number {
    const n = this.int32();
    if (n < 0 || n > this.#buf.length - this.#pos) this.fail(`bad array length ${n}`);
    return n;
  }
  string(): string {
    return this.nullableString() ?? this.fail('null where a string is required');
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.#need(len);
    const s = this.#buf.toString('utf8', this.#pos, this.#pos + len);
    this.#pos += len;
    return s;
  }
}
