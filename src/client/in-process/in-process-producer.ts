import type { Broker, ProduceEntry } from '../../broker/broker.js';
import { encodeBatch } from '../../broker/record-batch.js';
import { StreamsError } from '../../errors.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from '../consumer.js';
import { ProducerPartitioner, type PartitionGroup } from '../producer-partitioner.js';
import { producerCompression, type Producer, type ProducerConfig, type RecordMetadata, type TopicMessages } from '../producer.js';
import { chunkBySize } from '../record-sizing.js';
import { requireTransactions, TransactionManager, transactionSettings } from '../transaction-manager.js';
import { InProcessTransactionCalls } from './in-process-transaction-calls.js';

interface PartitionSequence {
  next: number;
}

/**
 * The producer over an embedded broker. One record batch per partition per send, encoded here (as a Kafka client
 * does) so the broker only assigns offsets in place; one promise per send, none per record. With a
 * `transactionalId` its batches are transactional and its transactions go through a {@link TransactionManager}.
 */
export class InProcessProducer implements Producer {
  readonly #broker: Broker;
  readonly #idempotent: boolean;
  readonly #partitioner: ProducerPartitioner;
  readonly #sequences = new Map<string, PartitionSequence>();
  readonly #maxBatchBytes: number;
  readonly #txn: TransactionManager | null;
  readonly #compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  #producerId = -1;
  #closed = false;

  constructor(broker: Broker, config: ProducerConfig = {}) {
    this.#broker = broker;
    this.#idempotent = config.idempotent ?? true;
    this.#partitioner = new ProducerPartitioner(config.partitioner);
    this.#maxBatchBytes = config.maxBatchBytes ?? 1_000_000;
    this.#compression = producerCompression(config);
    const { transactionalId, timeoutMs } = transactionSettings(config, this.#idempotent);
    // A new epoch restarts every partition's sequence at 0.
    this.#txn =
      transactionalId === undefined ? null : new TransactionManager(new InProcessTransactionCalls(broker), transactionalId, timeoutMs, () => this.#sequences.clear());
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

  async #send(batches: readonly TopicMessages[], txn: TransactionManager | null): Promise<RecordMetadata[]> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    const nowMs = this.#broker.clock.nowMs();
    const groups = new Map<string, PartitionGroup>();
    for (const { topic, messages } of batches) this.#partitioner.group(groups, topic, messages, this.#broker.describeTopic(topic).numPartitions, nowMs);
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

  async partitionCount(topic: string): Promise<number> {
    return this.#broker.describeTopic(topic).numPartitions;
  }

  async initTransactions(): Promise<void> {
    return requireTransactions(this.#txn, this.#closed, 'initTransactions').init();
  }

  beginTransaction(): void {
    requireTransactions(this.#txn, this.#closed, 'beginTransaction').begin();
  }

  async sendOffsetsToTransaction(offsets: readonly OffsetToCommit[], groupMetadata: ConsumerGroupMetadata): Promise<void> {
    return requireTransactions(this.#txn, this.#closed, 'sendOffsetsToTransaction').sendOffsets(offsets, groupMetadata);
  }

  async commitTransaction(): Promise<void> {
    return requireTransactions(this.#txn, this.#closed, 'commitTransaction').commit();
  }

  async abortTransaction(): Promise<void> {
    return requireTransactions(this.#txn, this.#closed, 'abortTransaction').abort();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
