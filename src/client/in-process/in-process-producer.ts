import type { Broker, ProduceEntry } from '../../broker/broker.js';
import { encodeBatch, type RecordInput } from '../../broker/record-batch.js';
import { StreamsError } from '../../errors.js';
import type { ProducerRecord } from '../../record.js';
import { partitionForKey } from '../murmur2.js';
import type { Producer, ProducerConfig, RecordMetadata, TopicMessages } from '../producer.js';

interface PartitionSequence {
  next: number;
}

/**
 * The producer over an embedded broker. One record batch per partition per send, encoded here (as a Kafka client
 * does) so the broker only assigns offsets in place; one promise per send, none per record.
 */
export class InProcessProducer implements Producer {
  readonly #broker: Broker;
  readonly #idempotent: boolean;
  readonly #partitioner: ((topic: string, key: Uint8Array | null, numPartitions: number) => number) | undefined;
  readonly #sequences = new Map<string, PartitionSequence>();
  readonly #roundRobin = new Map<string, number>();
  #producerId = -1;
  #closed = false;

  constructor(broker: Broker, config: ProducerConfig = {}) {
    this.#broker = broker;
    this.#idempotent = config.idempotent ?? true;
    this.#partitioner = config.partitioner;
  }

  send(batch: TopicMessages): Promise<RecordMetadata[]> {
    return this.sendBatch([batch]);
  }

  async sendBatch(batches: readonly TopicMessages[]): Promise<RecordMetadata[]> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the producer is closed');
    const nowMs = this.#broker.clock.nowMs();
    const groups = new Map<string, { topic: string; partition: number; records: RecordInput[] }>();
    for (const { topic, messages } of batches) {
      const n = this.#broker.describeTopic(topic).numPartitions;
      // Kafka's sticky partitioning: null-key records of one send go to one partition, the next send to the next.
      const sticky = (this.#roundRobin.get(topic) ?? 0) % n;
      this.#roundRobin.set(topic, sticky + 1);
      for (const m of messages) {
        const partition = this.#choosePartition(topic, m, n, sticky);
        const k = `${partition}\u0000${topic}`;
        let g = groups.get(k);
        if (g === undefined) groups.set(k, (g = { topic, partition, records: [] }));
        g.records.push(m.timestampMs === undefined ? { key: m.key, value: m.value, timestampMs: nowMs, ...(m.headers ? { headers: m.headers } : {}) } : (m as RecordInput));
      }
    }
    if (this.#idempotent && this.#producerId < 0) this.#producerId = this.#broker.allocateProducerId();
    const entries: ProduceEntry[] = [];
    const seqs: (PartitionSequence | null)[] = [];
    for (const [k, g] of groups) {
      let seq: PartitionSequence | null = null;
      if (this.#idempotent) {
        seq = this.#sequences.get(k) ?? { next: 0 };
        this.#sequences.set(k, seq);
      }
      seqs.push(seq);
      const batch = encodeBatch(
        g.records,
        seq === null ? {} : { producerId: this.#producerId, producerEpoch: 0, baseSequence: seq.next },
      );
      entries.push({ topic: g.topic, partition: g.partition, batch });
    }
    const infos = await this.#broker.produce(entries);
    const out: RecordMetadata[] = [];
    let i = 0;
    for (const g of groups.values()) {
      const seq = seqs[i];
      if (seq) seq.next = (seq.next + g.records.length) % 0x80000000;
      const info = infos[i++]!;
      out.push({ topic: g.topic, partition: g.partition, baseOffset: info.baseOffset, recordCount: g.records.length, logAppendTimeMs: info.logAppendTimeMs });
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

  async close(): Promise<void> {
    this.#closed = true;
  }
}
