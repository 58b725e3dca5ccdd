import type { Broker, ProduceEntry } from '../../broker/broker.js';
import { encodeBatch, type RecordInput } from '../../broker/record-batch.js';
import { StreamsError } from '../../errors.js';
import type { ProducerRecord } from '../../record.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from '../consumer.js';
import { partitionForKey } from '../murmur2.js';
import { producerCompression, type Producer, type ProducerConfig, type RecordMetadata, type TopicMessages } from '../producer.js';
import { ProducerTransactions } from './producer-transactions.js';

interface PartitionSequence {
  next: number;
}

/** One send's records for one partition, with an upper bound of their encoded size. */
interface PartitionGroup {
  readonly topic: string;
  readonly partition: number;
  readonly records: RecordInput[];
  estimatedBytes: number;
}

/**
 * The producer over an embedded broker. One record batch per partition per send, encoded here (as a Kafka client
 * does) so the broker only assigns offsets in place; one promise per send, none per record. With a
 * `transactionalId` its batches are transactional and its transactions go through {@link ProducerTransactions}.
 */
export class InProcessProducer implements Producer {
  readonly #broker: Broker;
  readonly #idempotent: boolean;
  readonly #partitioner: ((topic: string, key: Uint8Array | null, numPartitions: number) => number) | undefined;
  readonly #sequences = new Map<string, PartitionSequence>();
  readonly #roundRobin = new Map<string, number>();
  readonly #maxBatchBytes: number;
  readonly #txn: ProducerTransactions | null;
  readonly #compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  #producerId = -1;
  #closed = false;

  constructor(broker: Broker, config: ProducerConfig = {}) {
    this.#broker = broker;
    this.#idempotent = config.idempotent ?? true;
    this.#partitioner = config.partitioner;
    this.#maxBatchBytes = config.maxBatchBytes ?? 1_000_000;
    this.#compression = producerCompression(config);
    const txnId = config.transactionalId;
    if (txnId !== undefined) {
      if (!this.#idempotent) throw new StreamsError('INVALID_CONFIG', 'a transactional producer must be idempotent (idempotent: false with a transactionalId)');
      if (txnId === '') throw new StreamsError('INVALID_CONFIG', 'transactionalId must not be empty');
    }
    const timeoutMs = config.transactionTimeoutMs ?? 60_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new StreamsError('INVALID_CONFIG', `transactionTimeoutMs must be a positive integer, got ${timeoutMs}`);
    // A new epoch restarts every partition's sequence at 0.
    this.#txn = txnId === undefined ? null : new ProducerTransactions(broker, txnId, timeoutMs, () => this.#sequences.clear());
  }

  send(batch: TopicMessages): Promise<RecordMetadata[]> {
    return this.sendBatch([batch]);
  }

  sendBatch(batches: readonly TopicMessages[]): Promise<RecordMetadata[]> {
    const txn = this.#txn;
    if (txn === null) return this.#send(batches, null);
    const p = this.#send(batches, txn);
    txn.track(p);
    return p;
  }

  async #send(batches: readonly TopicMessages[], txn: ProducerTransactions | null): Promise<RecordMetadata[]> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    const nowMs = this.#broker.clock.nowMs();
    const groups = new Map<string, PartitionGroup>();
    for (const { topic, messages } of batches) {
      const n = this.#broker.describeTopic(topic).numPartitions;
      // Kafka's sticky partitioning: null-key records of one send go to one partition, the next send to the next.
      const sticky = (this.#roundRobin.get(topic) ?? 0) % n;
      this.#roundRobin.set(topic, sticky + 1);
      const byPartition: (PartitionGroup | undefined)[] = [];
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        const partition = this.#choosePartition(topic, m, n, sticky);
        let g = byPartition[partition];
        if (g === undefined) {
          // The same topic may appear twice in one sendBatch: keep appending to its partition's group.
          const k = `${partition}\u0000${topic}`;
          g = groups.get(k);
          if (g === undefined) groups.set(k, (g = { topic, partition, records: [], estimatedBytes: 0 }));
          byPartition[partition] = g;
        }
        const r: RecordInput = m.timestampMs === undefined ? { key: m.key, value: m.value, timestampMs: nowMs, ...(m.headers ? { headers: m.headers } : {}) } : (m as RecordInput);
        g.records.push(r);
        g.estimatedBytes += estimateBytes(r);
      }
    }
    let producerId: number;
    let producerEpoch = 0;
    if (txn !== null) {
      const wait = txn.beforeSend(groups);
      if (wait !== null) await wait;
      producerId = txn.producerId;
      producerEpoch = txn.producerEpoch;
    } else {
      if (this.#idempotent && this.#producerId < 0) this.#producerId = this.#broker.allocateProducerId();
      producerId = this.#producerId;
    }
    const isTransactional = txn !== null;
    const entries: ProduceEntry[] = [];
    const counts: number[] = [];
    for (const [k, g] of groups) {
      let seq: PartitionSequence | null = null;
      if (this.#idempotent) {
        seq = this.#sequences.get(k) ?? { next: 0 };
        this.#sequences.set(k, seq);
      }
      // Split a partition's records into batches under maxBatchBytes, as Kafka's producer does, so a send of many
      // small records never trips the topic's max.message.bytes. Sequences advance now, not after the await, so
      // concurrent sends of one producer never reuse a sequence range.
      // Most sends fit one batch: split (a second pass) only when the estimate says they do not.
      const chunks = g.estimatedBytes <= this.#maxBatchBytes ? [g.records] : chunkBySize(g.records, this.#maxBatchBytes);
      for (const chunk of chunks) {
        const compression = this.#compression;
        const batch = encodeBatch(chunk, seq === null ? { compression } : { producerId, producerEpoch, baseSequence: seq.next, isTransactional, compression });
        if (seq !== null) seq.next = (seq.next + chunk.length) % 0x80000000;
        entries.push({ topic: g.topic, partition: g.partition, batch, isTrusted: true });
        counts.push(chunk.length);
      }
    }
    let infos;
    try {
      infos = await this.#broker.produce(entries);
    } catch (e: unknown) {
      // A transaction can now only be aborted (which bumps the epoch and so restarts the sequences).
      if (txn !== null) throw txn.onSendError(e);
      // Sequences already handed out are now uncertain: start over with a new producer id (Kafka bumps the epoch).
      this.#producerId = -1;
      this.#sequences.clear();
      throw e;
    }
    const out: RecordMetadata[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const info = infos[i]!;
      const last = out[out.length - 1];
      if (last !== undefined && last.topic === e.topic && last.partition === e.partition && last.baseOffset + last.recordCount === info.baseOffset) {
        out[out.length - 1] = { ...last, recordCount: last.recordCount + counts[i]! };
      } else {
        out.push({ topic: e.topic, partition: e.partition, baseOffset: info.baseOffset, recordCount: counts[i]!, logAppendTimeMs: info.logAppendTimeMs });
      }
    }
    return out;
  }

  #choosePartition(topic: string, m: ProducerRecord, n: number, sticky: number): number {
    if (m.partition !== undefined) {
      if (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= n) {
        throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has partitions 0..${n - 1}; partition ${m.partition} does not exist`, {
          topic,
          partition: m.partition,
        });
      }
      return m.partition;
    }
    if (this.#partitioner !== undefined) return this.#partitioner(topic, m.key, n);
    return m.key !== null ? partitionForKey(m.key, n) : sticky;
  }

  async partitionCount(topic: string): Promise<number> {
    return this.#broker.describeTopic(topic).numPartitions;
  }

  async initTransactions(): Promise<void> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    return this.#requireTxn('initTransactions').init();
  }

  beginTransaction(): void {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    this.#requireTxn('beginTransaction').begin();
  }

  async sendOffsetsToTransaction(offsets: readonly OffsetToCommit[], groupMetadata: ConsumerGroupMetadata): Promise<void> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    return this.#requireTxn('sendOffsetsToTransaction').sendOffsets(offsets, groupMetadata);
  }

  async commitTransaction(): Promise<void> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    return this.#requireTxn('commitTransaction').commit();
  }

  async abortTransaction(): Promise<void> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    return this.#requireTxn('abortTransaction').abort();
  }

  #requireTxn(op: string): ProducerTransactions {
    if (this.#txn === null) throw new StreamsError('ILLEGAL_STATE', `${op} needs a transactionalId in the producer config`);
    return this.#txn;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** Splits records into runs whose estimated encoded size stays under `maxBytes` (at least one record each), in one pass. */
function chunkBySize(records: RecordInput[], maxBytes: number): RecordInput[][] {
  let out: RecordInput[][] | null = null;
  let start = 0;
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const b = estimateBytes(records[i]!);
    if (i > start && size + b > maxBytes) {
      (out ??= []).push(records.slice(start, i));
      start = i;
      size = 0;
    }
    size += b;
  }
  if (out === null) return [records];
  out.push(records.slice(start));
  return out;
}

/** An upper bound of a record's encoded size: its bytes plus the varint overheads. */
function estimateBytes(r: RecordInput): number {
  let n = 32 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  const headers = r.headers;
  if (headers !== undefined) {
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      n += 10 + h.key.length * 3 + (h.value?.length ?? 0);
    }
  }
  return n;
}
