import { javaStringHashCode } from '../util/java-hash.js';
import type { Broker } from './broker.js';
import { decodeControlRecordType } from './control-batch.js';
import type { CommittedOffset, OffsetStore } from './group-coordinator.js';
import { decodeRecords, encodeBatch, isControlBatch, isTransactionalBatch, type RecordInput } from './record-batch.js';
import { BATCH } from './log-segment.js';
import { readInt64BE } from './varint.js';

/** The internal compacted topic holding committed consumer offsets, as in Kafka. */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/**
 * Committed offsets kept durably in `__consumer_offsets` (compacted), in Kafka's own record layout:
 * key `OffsetCommitKey` v1 = version int16 (1), group string, topic string, partition int32;
 * value `OffsetCommitValue` v3 = version int16 (3), offset int64, leaderEpoch int32, metadata string,
 * commitTimestamp int64. Strings are int16 length + UTF-8. A group's commits go to partition
 * `abs(javaHashCode(groupId)) % partitions`, as Kafka places them. Offsets committed inside a transaction are
 * written as transactional batches of the producer; at replay they count only once their COMMIT marker is met, and
 * those of a transaction still open at the end are handed to the group coordinator as pending.
 */
export class OffsetsTopic implements OffsetStore {
  readonly #broker: Broker;
  /** The partition count the topic was created with; a later option never changes it, as in Kafka. */
  #partitions: number;

  constructor(broker: Broker, partitions: number) {
    this.#broker = broker;
    this.#partitions = partitions;
  }

  /** Creates the topic if needed and replays it into the group coordinator. */
  open(): void {
    const b = this.#broker;
    if (!b.hasTopic(CONSUMER_OFFSETS_TOPIC)) {
      b.createTopic(CONSUMER_OFFSETS_TOPIC, this.#partitions, { 'cleanup.policy': 'compact', 'segment.bytes': 104_857_600 });
    }
    type ByGroup = Map<string, Map<string, CommittedOffset | null>>;
    const byGroup: ByGroup = new Map();
    const pending = new Map<number, ByGroup>();
    const put = (into: ByGroup, group: string, k: string, c: CommittedOffset | null): void => {
      let g = into.get(group);
      if (g === undefined) into.set(group, (g = new Map()));
      g.set(k, c);
    };
    const n = b.describeTopic(CONSUMER_OFFSETS_TOPIC).numPartitions;
    this.#partitions = n;
    for (let p = 0; p < n; p++) {
      const log = b.partitionLog(CONSUMER_OFFSETS_TOPIC, p);
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        const r = log.read(offset, 4 << 20);
        if (r.bytes.length === 0) break;
        for (let pos = 0; pos < r.bytes.length; pos += r.bytes.readInt32BE(pos + BATCH.length) + 12) {
          const attrs = r.bytes.readInt16BE(pos + BATCH.attributes);
          const pid = readInt64BE(r.bytes, pos + BATCH.producerId);
          const records = decodeRecords(r.bytes, pos);
          if (isControlBatch(attrs)) {
            const txn = pending.get(pid);
            pending.delete(pid);
            if (txn !== undefined && decodeControlRecordType(records[0]?.key ?? null) === 'COMMIT') {
              for (const [group, commits] of txn) for (const [k, c] of commits) put(byGroup, group, k, c);
            }
            continue;
          }
          let into = byGroup;
          if (isTransactionalBatch(attrs)) {
            into = pending.get(pid) ?? new Map();
            pending.set(pid, into);
          }
          for (const rec of records) {
            if (rec.key === null) continue;
            const key = decodeKey(rec.key);
            if (key === null) continue;
            put(into, key.group, `${key.topic}\u0000${key.partition}`, rec.value === null ? null : decodeValue(key.topic, key.partition, rec.value));
          }
        }
        offset = r.nextOffset;
      }
    }
    const live = (commits: Map<string, CommittedOffset | null>): CommittedOffset[] => [...commits.values()].filter((c): c is CommittedOffset => c !== null);
    for (const [group, commits] of byGroup) {
      const list = live(commits);
      if (list.length > 0) b.groups.loadOffsets(group, list);
    }
    for (const [pid, txn] of pending) for (const [group, commits] of txn) b.groups.loadPendingTransactionalOffsets(pid, group, live(commits));
  }

  async persist(groupId: string, commits: readonly CommittedOffset[]): Promise<void> {
    if (commits.length === 0) return;
    const records: RecordInput[] = commits.map((c) => ({
      key: encodeKey(groupId, c.topic, c.partition),
      value: encodeValue(c),
      timestampMs: c.commitTimestampMs,
    }));
    await this.#broker.produce([{ topic: CONSUMER_OFFSETS_TOPIC, partition: this.partitionFor(groupId), batch: encodeBatch(records) }]);
  }

  /** Writes offsets as a transactional batch of the producer (no sequence, as Kafka's coordinator writes them). */
  async persistTransactional(groupId: string, commits: readonly CommittedOffset[], producerId: number, producerEpoch: number): Promise<void> {
    if (commits.length === 0) return;
    const records: RecordInput[] = commits.map((c) => ({ key: encodeKey(groupId, c.topic, c.partition), value: encodeValue(c), timestampMs: c.commitTimestampMs }));
    const batch = encodeBatch(records, { producerId, producerEpoch, isTransactional: true });
    await this.#broker.produce([{ topic: CONSUMER_OFFSETS_TOPIC, partition: this.partitionFor(groupId), batch, isTrusted: true }]);
  }

  partitionFor(groupId: string): number {
    // Kafka's Utils.abs: Integer.MIN_VALUE maps to 0.
    const h = javaStringHashCode(groupId);
    return (h === -2147483648 ? 0 : Math.abs(h)) % this.#partitions;
  }
}


function encodeKey(group: string, topic: string, partition: number): Buffer {
  const g = Buffer.from(group, 'utf8');
  const t = Buffer.from(topic, 'utf8');
  const b = Buffer.allocUnsafe(2 + 2 + g.length + 2 + t.length + 4);
  let p = b.writeInt16BE(1, 0);
  p = b.writeInt16BE(g.length, p);
  p += g.copy(b, p);
  p = b.writeInt16BE(t.length, p);
  p += t.copy(b, p);
  b.writeInt32BE(partition, p);
  return b;
}

function decodeKey(b: Buffer): { group: string; topic: string; partition: number } | null {
  try {
    if (b.readInt16BE(0) > 1) return null; // 2 = group metadata, not an offset commit
    let p = 2;
    const gl = b.readInt16BE(p);
    const group = b.toString('utf8', p + 2, p + 2 + gl);
    p += 2 + gl;
    const tl = b.readInt16BE(p);
    const topic = b.toString('utf8', p + 2, p + 2 + tl);
    p += 2 + tl;
    return { group, topic, partition: b.readInt32BE(p) };
  } catch {
    return null;
  }
}

function encodeValue(c: CommittedOffset): Buffer {
  const m = Buffer.from(c.metadata, 'utf8');
  const b = Buffer.allocUnsafe(2 + 8 + 4 + 2 + m.length + 8);
  let p = b.writeInt16BE(3, 0);
  p = b.writeBigInt64BE(BigInt(c.offset), p);
  p = b.writeInt32BE(c.leaderEpoch ?? -1, p);
  p = b.writeInt16BE(m.length, p);
  p += m.copy(b, p);
  b.writeBigInt64BE(BigInt(c.commitTimestampMs), p);
  return b;
}

function decodeValue(topic: string, partition: number, b: Buffer): CommittedOffset {
  let p = 2;
  const offset = Number(b.readBigInt64BE(p));
  p += 8;
  const leaderEpoch = b.readInt32BE(p);
  p += 4;
  const ml = b.readInt16BE(p);
  const metadata = b.toString('utf8', p + 2, p + 2 + ml);
  p += 2 + ml;
  const commitTimestampMs = Number(b.readBigInt64BE(p));
  return { topic, partition, offset, metadata, commitTimestampMs, ...(leaderEpoch >= 0 ? { leaderEpoch } : {}) };
}
