import type { Broker } from '../../broker/broker.js';
import type { TopicConfigInput } from '../../broker/topic-config.js';
import { StreamsError } from '../../errors.js';
import type { TopicPartition } from '../../record.js';
import type { Admin, ConsumerGroupDescription, GroupListing, NewTopic, OffsetSpec, TopicDescription } from '../admin.js';
import { byTopicPartition, consumerGroupState, memberAssignment } from '../consumer-group-description.js';
import type { CommittedOffsetInfo, IsolationLevel, OffsetToCommit } from '../consumer.js';

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

  async listGroups(): Promise<GroupListing[]> {
    return this.#broker.groups
      .listGroups()
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: consumerGroupState(g.state) }))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  async describeGroups(groupIds: readonly string[]): Promise<ConsumerGroupDescription[]> {
    return groupIds.map((groupId) => {
      const d = this.#broker.groups.describeGroup(groupId);
      // As DescribeGroups over the wire: only a Stable group shows its protocol and assignments.
      const isStable = d.state === 'Stable';
      return {
        groupId,
        state: consumerGroupState(d.state),
        protocolType: d.protocolType,
        protocol: isStable ? d.protocol : '',
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId ?? null,
          clientId: m.clientId,
          clientHost: '',
          assignment: isStable ? memberAssignment(d.protocolType, m.assignment) : [],
        })),
      };
    });
  }

  async listConsumerGroupOffsets(groupId: string): Promise<CommittedOffsetInfo[]> {
    const out: CommittedOffsetInfo[] = [];
    for (const c of this.#broker.groups.fetchOffsets(groupId).values()) out.push({ topic: c.topic, partition: c.partition, offset: c.offset, metadata: c.metadata });
    return out.sort(byTopicPartition);
  }

  async alterConsumerGroupOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    const { state, members } = this.#broker.groups.describeGroup(groupId);
    if (members.length > 0) {
      throw new StreamsError('ILLEGAL_STATE', `group ${groupId} is ${state} with ${members.length} member(s); offsets can only be altered while it has none`);
    }
    for (const o of offsets) {
      const n = this.#broker.hasTopic(o.topic) ? this.#broker.describeTopic(o.topic).numPartitions : 0;
      if (!Number.isInteger(o.partition) || o.partition < 0 || o.partition >= n) {
        throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `cannot commit an offset for ${o.topic}-${o.partition}: no such partition`, { topic: o.topic, partition: o.partition });
      }
    }
    if (offsets.length === 0) return;
    try {
      await this.#broker.groups.commitOffsets({
        groupId,
        offsets: offsets.map((o) => (o.metadata === undefined ? { topic: o.topic, partition: o.partition, offset: o.offset } : { ...o })),
      });
    } catch (e: unknown) {
      // The coordinator refuses a commit from outside a group that is not Empty (a rebalance just began).
      if (e instanceof StreamsError && e.code === 'UNKNOWN_MEMBER_ID') {
        throw new StreamsError('ILLEGAL_STATE', `group ${groupId} is not Empty; offsets can only be altered while it has no members`, { cause: e });
      }
      throw e;
    }
  }

  async close(): Promise<void> {}
}
