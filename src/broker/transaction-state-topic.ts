/**
 * The transaction coordinator's durable state: the internal compacted topic `__transaction_state`, one record per
 * state change of a transactional id, in Kafka's own record layout (strings are int16 length + UTF-8, arrays int32
 * count):
 *
 * ```
 * key   TransactionLogKey v0   = version int16 (0) | transactionalId string
 * value TransactionLogValue v0 = version int16 (0) | producerId int64 | producerEpoch int16 | transactionTimeoutMs int32
 *                                | transactionStatus int8 | transactionPartitions [topic string | partitionIds [int32]]
 *                                | transactionLastUpdateTimestampMs int64 | transactionStartTimestampMs int64
 * ```
 *
 * Status codes are Kafka's (0 Empty, 1 Ongoing, 2 PrepareCommit, 3 PrepareAbort, 4 CompleteCommit, 5 CompleteAbort).
 * A transactional id lives in partition `abs(javaHashCode(id)) % partitions`, as Kafka places it.
 */
import { StreamsError } from '../errors.js';
import type { TopicPartition } from '../record.js';
import { javaStringHashCode } from '../util/java-hash.js';
import type { Broker } from './broker.js';
import { BATCH } from './log-segment.js';
import { decodeRecords, encodeBatch, isControlBatch } from './record-batch.js';
import { readInt64BE, writeInt64BE } from './varint.js';

/** The internal compacted topic holding the transaction coordinator's state, as in Kafka. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/**
 * The states of a transactional id, with Kafka's names: Empty (no transaction), Ongoing (partitions added),
 * PrepareCommit / PrepareAbort (the decision is durable, markers are being written), CompleteCommit / CompleteAbort
 * (every marker written).
 *
 * @example
 * ```ts
 * if (broker.transactions.describe('app-0')?.status === 'Ongoing') console.log('a transaction is open');
 * ```
 */
export type TransactionStatus = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort';

const STATUS_CODES: readonly TransactionStatus[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort'];

/**
 * One transactional id's state as stored in `__transaction_state`.
 *
 * @example
 * ```ts
 * const s: TransactionState = { transactionalId: 'app-0', producerId: 4, producerEpoch: 2, timeoutMs: 60_000,
 *   status: 'Ongoing', partitions: [{ topic: 'out', partition: 1 }], startMs: 1_700_000_000_000, lastUpdateMs: 1_700_000_000_050 };
 * ```
 */
export interface TransactionState {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly timeoutMs: number;
  readonly status: TransactionStatus;
  /** Partitions the open (or completing) transaction touched, including `__consumer_offsets` ones. */
  readonly partitions: readonly TopicPartition[];
  /** When the open transaction began (its first AddPartitions); -1 without one. */
  readonly startMs: number;
  readonly lastUpdateMs: number;
}

function corrupt(message: string): StreamsError {
  return new StreamsError('CORRUPT_RECORD', `${TRANSACTION_STATE_TOPIC}: ${message}`);
}

/**
 * Encodes a TransactionLogKey v0.
 *
 * @example
 * ```ts
 * encodeTransactionKey('app-0'); // <00 00 00 05 61 70 70 2d 30>
 * ```
 */
export function encodeTransactionKey(transactionalId: string): Buffer {
  const id = Buffer.from(transactionalId, 'utf8');
  const b = Buffer.allocUnsafe(4 + id.length);
  b.writeInt16BE(0, 0);
  b.writeInt16BE(id.length, 2);
  id.copy(b, 4);
  return b;
}

/**
 * Decodes a TransactionLogKey; null for a key of a version this broker does not know (left alone, as Kafka does).
 *
 * @example
 * ```ts
 * decodeTransactionKey(encodeTransactionKey('app-0')); // 'app-0'
 * ```
 */
export function decodeTransactionKey(b: Buffer): string | null {
  if (b.length < 4) throw corrupt('key shorter than 4 bytes');
  if (b.readInt16BE(0) !== 0) return null;
  const n = b.readInt16BE(2);
  if (n < 0 || 4 + n > b.length) throw corrupt('key string runs past the key');
  return b.toString('utf8', 4, 4 + n);
}

/**
 * Encodes a TransactionLogValue v0; partitions are grouped per topic in first-seen order.
 *
 * @example
 * ```ts
 * const value = encodeTransactionValue(state);
 * decodeTransactionValue(state.transactionalId, value); // equal to state (partitions grouped per topic)
 * ```
 */
export function encodeTransactionValue(s: TransactionState): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const tp of s.partitions) {
    let ps = byTopic.get(tp.topic);
    if (ps === undefined) byTopic.set(tp.topic, (ps = []));
    ps.push(tp.partition);
  }
  const topics = [...byTopic].map(([t, ps]) => [Buffer.from(t, 'utf8'), ps] as const);
  let size = 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8;
  for (const [t, ps] of topics) size += 2 + t.length + 4 + 4 * ps.length;
  const b = Buffer.allocUnsafe(size);
  let p = b.writeInt16BE(0, 0);
  writeInt64BE(b, p, s.producerId);
  p = b.writeInt16BE(s.producerEpoch, p + 8);
  p = b.writeInt32BE(s.timeoutMs, p);
  p = b.writeInt8(STATUS_CODES.indexOf(s.status), p);
  p = b.writeInt32BE(topics.length, p);
  for (const [t, ps] of topics) {
    p = b.writeInt16BE(t.length, p);
    p += t.copy(b, p);
    p = b.writeInt32BE(ps.length, p);
    for (const partition of ps) p = b.writeInt32BE(partition, p);
  }
  writeInt64BE(b, p, s.lastUpdateMs);
  writeInt64BE(b, p + 8, s.startMs);
  return b;
}

/**
 * Decodes a TransactionLogValue v0 (and the v0 fields of later versions). Throws CORRUPT_RECORD on bad grammar.
 *
 * @example
 * ```ts
 * const state = decodeTransactionValue('app-0', record.value);
 * ```
 */
export function decodeTransactionValue(transactionalId: string, b: Buffer): TransactionState {
  try {
    let p = 2;
    const producerId = readInt64BE(b, p);
    const producerEpoch = b.readInt16BE(p + 8);
    const timeoutMs = b.readInt32BE(p + 10);
    const status = STATUS_CODES[b.readInt8(p + 14)];
    if (status === undefined) throw corrupt(`unknown transaction status ${b.readInt8(p + 14)} for ${transactionalId}`);
    p += 15;
    const nTopics = b.readInt32BE(p);
    p += 4;
    const partitions: TopicPartition[] = [];
    for (let i = 0; i < nTopics; i++) {
      const tl = b.readInt16BE(p);
      if (tl < 0 || p + 2 + tl > b.length) throw corrupt('topic string runs past the value');
      const topic = b.toString('utf8', p + 2, p + 2 + tl);
      p += 2 + tl;
      const n = b.readInt32BE(p);
      p += 4;
      for (let j = 0; j < n; j++, p += 4) partitions.push({ topic, partition: b.readInt32BE(p) });
    }
    if (p + 16 > b.length) throw corrupt('value ends before its timestamps');
    const lastUpdateMs = readInt64BE(b, p);
    const startMs = readInt64BE(b, p + 8);
    return { transactionalId, producerId, producerEpoch, timeoutMs, status, partitions, startMs, lastUpdateMs };
  } catch (e: unknown) {
    if (e instanceof StreamsError) throw e;
    throw corrupt(`value of ${transactionalId} is truncated`);
  }
}

/**
 * `__transaction_state` over the broker: created on first use (so a broker without transactions carries no such
 * topic), replayed at open, one record per state change, durable under the broker's flush policy before the
 * coordinator acts on it.
 *
 * @example
 * ```ts
 * const topic = new TransactionStateTopic(broker, 8);
 * const states = topic.load();
 * await topic.persist({ ...state, status: 'PrepareCommit' });
 * ```
 */
export class TransactionStateTopic {
  readonly #broker: Broker;
  #partitions: number;

  constructor(broker: Broker, partitions: number) {
    this.#broker = broker;
    this.#partitions = partitions;
  }

  /** The latest state of every transactional id, read back from the topic (empty when it does not exist yet). */
  load(): Map<string, TransactionState> {
    const out = new Map<string, TransactionState>();
    const b = this.#broker;
    if (!b.hasTopic(TRANSACTION_STATE_TOPIC)) return out;
    const n = b.describeTopic(TRANSACTION_STATE_TOPIC).numPartitions;
    this.#partitions = n;
    for (let partition = 0; partition < n; partition++) {
      const log = b.partitionLog(TRANSACTION_STATE_TOPIC, partition);
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        const r = log.read(offset, 4 << 20);
        if (r.bytes.length === 0) break;
        for (let pos = 0; pos < r.bytes.length; pos += r.bytes.readInt32BE(pos + BATCH.length) + 12) {
          if (isControlBatch(r.bytes.readInt16BE(pos + BATCH.attributes))) continue;
          for (const rec of decodeRecords(r.bytes, pos)) {
            if (rec.key === null) continue;
            const id = decodeTransactionKey(rec.key);
            if (id === null) continue;
            if (rec.value === null) out.delete(id);
            else out.set(id, decodeTransactionValue(id, rec.value));
          }
        }
        offset = r.nextOffset;
      }
    }
    return out;
  }

  /** Writes a state change; resolves when it is acknowledged under the broker's flush policy. */
  async persist(state: TransactionState): Promise<void> {
    const b = this.#broker;
    if (!b.hasTopic(TRANSACTION_STATE_TOPIC)) {
      b.createTopic(TRANSACTION_STATE_TOPIC, this.#partitions, { 'cleanup.policy': 'compact', 'segment.bytes': 104_857_600 });
    }
    const record = { key: encodeTransactionKey(state.transactionalId), value: encodeTransactionValue(state), timestampMs: state.lastUpdateMs };
    await b.produce([{ topic: TRANSACTION_STATE_TOPIC, partition: this.partitionFor(state.transactionalId), batch: encodeBatch([record]), isTrusted: true }]);
  }

  /** The partition holding a transactional id's records. */
  partitionFor(transactionalId: string): number {
    const h = javaStringHashCode(transactionalId);
    return (h === -2147483648 ? 0 : Math.abs(h)) % this.#partitions;
  }
}
