import type { Headers, ProducerRecord } from '../src/record.js';
import type { TopicMessages } from '../src/client/producer.js';

interface Deferred {
  readonly topic: string;
  readonly record: ProducerRecord;
  readonly choose: (numPartitions: number) => number | undefined;
}

/**
 * Buffers a task's output (sink records and changelog records, already serialized) until the thread flushes it at
 * commit or when it grows large. Synchronous on the hot path: `send` only appends to an array.
 */
export class RecordCollector {
  #byTopic = new Map<string, ProducerRecord[]>();
  #deferred: Deferred[] = [];
  #count = 0;
  // The list of the topic sent to last: a sink sends runs of records to one topic, so most sends skip the Map.
  #lastTopic: string | null = null;
  #lastList: ProducerRecord[] = [];

  /** Queues a record; `partition` undefined lets the producer choose (murmur2 of the serialized key). */
  send(topic: string, key: Uint8Array | null, value: Uint8Array | null, timestampMs: number, headers: Headers, partition?: number): void {
    let list: ProducerRecord[];
    if (topic === this.#lastTopic) list = this.#lastList;
    else {
      let l = this.#byTopic.get(topic);
      if (l === undefined) this.#byTopic.set(topic, (l = []));
      this.#lastTopic = topic;
      list = this.#lastList = l;
    }
    list.push(partition === undefined ? { key, value, timestampMs, headers } : { key, value, timestampMs, headers, partition });
    this.#count++;
  }

  /** Queues a record whose partition a StreamPartitioner picks once the topic's partition count is known. */
  sendWithPartitioner(topic: string, key: Uint8Array | null, value: Uint8Array | null, timestampMs: number, headers: Headers, choose: (numPartitions: number) => number | undefined): void {
    this.#deferred.push({ topic, record: { key, value, timestampMs, headers }, choose });
    this.#count++;
  }

  get size(): number {
    return this.#count;
  }

  /** Topics whose partition count the drain needs. */
  topicsNeedingPartitionCount(): string[] {
    return [...new Set(this.#deferred.map((d) => d.topic))];
  }

  /** Takes everything queued, in order per topic. */
  drain(partitionCounts: ReadonlyMap<string, number>): TopicMessages[] {
    for (const d of this.#deferred) {
      const n = partitionCounts.get(d.topic) ?? 1;
      const p = d.choose(n);
      let list = this.#byTopic.get(d.topic);
      if (list === undefined) this.#byTopic.set(d.topic, (list = []));
      list.push(p === undefined ? d.record : { ...d.record, partition: p });
    }
    const out = [...this.#byTopic].map(([topic, messages]) => ({ topic, messages }));
    this.#byTopic = new Map();
    this.#deferred = [];
    this.#count = 0;
    this.#lastTopic = null;
    this.#lastList = [];
    return out;
  }
}
