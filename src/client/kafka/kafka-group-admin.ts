/**
 * The consumer-group half of {@link KafkaAdmin}: ListGroups to every broker, DescribeGroups / OffsetFetch /
 * OffsetCommit to each group's coordinator, with the answers shaped as the in-process admin gives them.
 */
import { StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { OffsetCommitRequestTopic } from '../../protocol/messages.js';
import type { ConsumerGroupDescription, GroupListing } from '../admin.js';
import { byTopicPartition, consumerGroupState, memberAssignment } from '../consumer-group-description.js';
import type { CommittedOffsetInfo, OffsetToCommit } from '../consumer.js';
import { responseError, type KafkaCluster } from './cluster.js';

/**
 * Kafka's ListGroups, asked of every broker in the metadata (each answers for the groups it coordinates), merged and
 * sorted by id. Brokers that answer no state (ListGroups below v4) are complemented by a DescribeGroups.
 *
 * @example
 * ```ts
 * const groups = await listGroupsOver(cluster); // [{ groupId: 'word-count', protocolType: 'consumer', state: 'Stable' }]
 * ```
 */
export async function listGroupsOver(cluster: KafkaCluster): Promise<GroupListing[]> {
  await cluster.retry('Metadata', () => cluster.refreshMetadata([]));
  const answers = await Promise.all(
    cluster.brokers().map((b) =>
      cluster.retry('ListGroups', async () => {
        const { body } = await cluster.send(b.nodeId, ApiKey.ListGroups, {});
        const err = responseError(body.errorCode, `list groups on broker ${b.nodeId}`);
        if (err !== null) throw err;
        return body.groups;
      }),
    ),
  );
  const byId = new Map<string, { groupId: string; protocolType: string; state: string | undefined }>();
  // ListGroups below v4 carries no state (decoded as absent or '').
  for (const groups of answers) for (const g of groups) byId.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: g.groupState === '' ? undefined : g.groupState });
  const stateless = [...byId.values()].filter((g) => g.state === undefined).map((g) => g.groupId);
  if (stateless.length > 0) {
    for (const d of await describeGroupsOver(cluster, stateless)) byId.get(d.groupId)!.state = d.state;
  }
  return [...byId.values()]
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: consumerGroupState(g.state ?? 'Unknown') }))
    .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

/**
 * Kafka's DescribeGroups, one request per group to its coordinator (in parallel), answers in the order asked.
 *
 * @example
 * ```ts
 * const [d] = await describeGroupsOver(cluster, ['word-count']);
 * ```
 */
export function describeGroupsOver(cluster: KafkaCluster, groupIds: readonly string[]): Promise<ConsumerGroupDescription[]> {
  return Promise.all(
    groupIds.map(async (groupId) => {
      const { body } = await cluster.withCoordinator(
        'group',
        groupId,
        'DescribeGroups',
        (node) => cluster.send(node, ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false }),
        (r) => {
          const g = r.body.groups.find((x) => x.groupId === groupId);
          if (g === undefined) return new StreamsError('UNKNOWN_SERVER_ERROR', `DescribeGroups did not answer for group ${groupId}`);
          return responseError(g.errorCode, `describe group ${groupId}`);
        },
      );
      const g = body.groups.find((x) => x.groupId === groupId)!;
      return {
        groupId,
        state: consumerGroupState(g.groupState),
        protocolType: g.protocolType,
        protocol: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId ?? null,
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignment: memberAssignment(g.protocolType, m.memberAssignment),
        })),
      };
    }),
  );
}

/**
 * Kafka's listConsumerGroupOffsets: OffsetFetch of every partition (null topics) from the group's coordinator;
 * partitions without a commit are left out. Sorted by topic and partition.
 *
 * @example
 * ```ts
 * const offsets = await listConsumerGroupOffsetsOver(cluster, 'word-count');
 * ```
 */
export async function listConsumerGroupOffsetsOver(cluster: KafkaCluster, groupId: string): Promise<CommittedOffsetInfo[]> {
  const { body } = await cluster.withCoordinator(
    'group',
    groupId,
    'OffsetFetch',
    (node) => cluster.send(node, ApiKey.OffsetFetch, { groupId, topics: null, requireStable: false }),
    (r) => {
      const top = responseError(r.body.errorCode ?? 0, `fetch offsets of group ${groupId}`);
      if (top !== null) return top;
      for (const t of r.body.topics) {
        for (const p of t.partitions) {
          const err = responseError(p.errorCode, `fetch offsets of group ${groupId}`, { topic: t.name, partition: p.partitionIndex });
          if (err !== null) return err;
        }
      }
      return null;
    },
  );
  const out: CommittedOffsetInfo[] = [];
  for (const t of body.topics) {
    for (const p of t.partitions) {
      if (p.committedOffset >= 0) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata ?? '' });
    }
  }
  return out.sort(byTopicPartition);
}

/**
 * Kafka's alterConsumerGroupOffsets: an OffsetCommit from outside the group (generation -1, member ''), which the
 * coordinator takes only while the group has no members; its refusal (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION or
 * REBALANCE_IN_PROGRESS) becomes ILLEGAL_STATE, as the in-process admin throws.
 *
 * @example
 * ```ts
 * await alterConsumerGroupOffsetsOver(cluster, 'word-count', [{ topic: 'lines', partition: 0, offset: 0 }]);
 * ```
 */
export async function alterConsumerGroupOffsetsOver(cluster: KafkaCluster, groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
  if (offsets.length === 0) return;
  const byTopic = new Map<string, OffsetCommitRequestTopic['partitions'][number][]>();
  for (const o of offsets) {
    let ps = byTopic.get(o.topic);
    if (ps === undefined) byTopic.set(o.topic, (ps = []));
    ps.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' });
  }
  const topics: OffsetCommitRequestTopic[] = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
  await cluster.withCoordinator(
    'group',
    groupId,
    'OffsetCommit',
    (node) =>
      cluster.send(node, ApiKey.OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics,
      }),
    (r) => {
      for (const t of r.body.topics) {
        for (const p of t.partitions) {
          const err = responseError(p.errorCode, `commit offsets of group ${groupId}`, { topic: t.name, partition: p.partitionIndex });
          if (err === null) continue;
          if (err.code === 'UNKNOWN_MEMBER_ID' || err.code === 'ILLEGAL_GENERATION' || err.code === 'REBALANCE_IN_PROGRESS') {
            return new StreamsError('ILLEGAL_STATE', `group ${groupId} is not Empty; offsets can only be altered while it has no members`, { cause: err });
          }
          // A missing topic is final here (Kafka's client would wait for metadata to catch up).
          if (err.code === 'UNKNOWN_TOPIC_OR_PARTITION') return new StreamsError(err.code, err.message, { topic: t.name, partition: p.partitionIndex, retriable: false });
          return err;
        }
      }
      return null;
    },
  );
}
