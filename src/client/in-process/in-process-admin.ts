import type { Broker } from '../../broker/broker.js';
import type { TopicConfigInput } from '../../broker/topic-config.js';
import { StreamsError } from '../../errors.js';
import type { TopicPartition } from '../../record.js';
import type { Admin, NewTopic, OffsetSpec, TopicDescription } from '../admin.js';
import type { IsolationLevel } from '../consumer.js';

/** The Admin client over an embedded broker: direct calls, no sockets. */
export class InProcessAdmin implements Admin {
  readonly #broker: Broker;

  constructor(broker: Broker) {
    this.#broker = broker;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    for (const t of topics) this.#broker.createTopic(t.topic, t.numPartitions, t.configs as TopicConfigInput | undefined);
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    for (const t of topics) this.#broker.deleteTopic(t);
  }

  async listTopics(options: { readonly includeInternal?: boolean } = {}): Promise<string[]> {
    return this.#broker.listTopics(options).map((t) => t.name).sort();
  }

  async describeTopics(topics: readonly string[]): Promise<TopicDescription[]> {
    return topics.map((name) => {
      const info = this.#broker.describeTopic(name);
      const partitions = [];
      for (let p = 0; p < info.numPartitions; p++) {
        const log = this.#broker.partitionLog(name, p);
        partitions.push({ partition: p, logStartOffset: log.logStartOffset, highWatermark: log.highWatermark });
      }
      return { name, topicId: info.topicId, isInternal: info.isInternal, partitions, configs: { ...info.config } };
    });
  }

  async listOffsets(
    requests: readonly (TopicPartition & { readonly spec: OffsetSpec })[],
    options: { readonly isolationLevel?: IsolationLevel } = {},
  ): Promise<(TopicPartition & { readonly offset: number })[]> {
    return requests.map((r) => {
      if (typeof r.spec === 'object' && !Number.isFinite(r.spec.timestampMs)) {
        throw new StreamsError('INVALID_CONFIG', `listOffsets: timestampMs must be a number, got ${String(r.spec.timestampMs)}`);
      }
      return { topic: r.topic, partition: r.partition, offset: this.#broker.listOffset(r.topic, r.partition, r.spec, options.isolationLevel) };
    });
  }

  async deleteRecords(requests: readonly (TopicPartition & { readonly beforeOffset: number })[]): Promise<(TopicPartition & { readonly lowWatermark: number })[]> {
    return requests.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      lowWatermark: this.#broker.deleteRecords(r.topic, r.partition, r.beforeOffset),
    }));
  }

  async close(): Promise<void> {}
}
