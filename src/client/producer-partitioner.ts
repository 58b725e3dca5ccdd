import type { RecordInput } from '../broker/record-batch.js';
import { StreamsError } from '../errors.js';
import type { ProducerRecord } from '../record.js';
import { partitionForKey } from './murmur2.js';
import type { ProducerConfig } from './producer.js';
import { estimateBytes } from './record-sizing.js';

/**
 * One send's records for one partition, with an upper bound of their encoded size ({@link estimateBytes}).
 *
 * @example
 * ```ts
 * const g: PartitionGroup = { topic: 'lines', partition: 0, records: [], estimatedBytes: 0 };
 * ```
 */
export interface PartitionGroup {
  readonly topic: string;
  readonly partition: number;
  readonly records: RecordInput[];
  estimatedBytes: number;
}

/**
 * The partitioning half of a producer, shared by the in-process and Kafka-protocol producers: an explicit
 * `partition` (checked against the topic's partition count), else the configured partitioner, else murmur2 of the
 * key bytes (Kafka's default), else, for null keys, Kafka's sticky partitioning (all null-key records of one send to
 * one partition, the next send's to the next). Records without a timestamp get the send's `nowMs`.
 *
 * @example
 * ```ts
 * const partitioner = new ProducerPartitioner(config.partitioner);
 * const groups = new Map<string, PartitionGroup>();
 * for (const { topic, messages } of batches) partitioner.group(groups, topic, messages, await partitionCount(topic), nowMs);
 * ```
 */
export class ProducerPartitioner {
  readonly #partitioner: ProducerConfig['partitioner'];
  readonly #roundRobin = new Map<string, number>();

  constructor(partitioner: ProducerConfig['partitioner']) {
    this.#partitioner = partitioner;
  }

  /**
   * Adds one topic's messages of a send to `groups`, keyed `${partition}\u0000${topic}` (the same topic may come
   * twice in one send: its records join the same groups), in message order within a partition. Throws
   * UNKNOWN_TOPIC_OR_PARTITION for an explicit partition outside [0, numPartitions).
   */
  group(groups: Map<string, PartitionGroup>, topic: string, messages: readonly ProducerRecord[], numPartitions: number, nowMs: number): void {
    const n = numPartitions;
    const sticky = (this.#roundRobin.get(topic) ?? 0) % n;
    this.#roundRobin.set(topic, sticky + 1);
    const byPartition: (PartitionGroup | undefined)[] = [];
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const partition = this.#choosePartition(topic, m, n, sticky);
      let g = byPartition[partition];
      if (g === undefined) {
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
}
