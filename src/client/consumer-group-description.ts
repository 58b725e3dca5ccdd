/**
 * What the in-process and the Kafka-protocol admin share to describe consumer groups: the state names and the
 * decoding of a member's assignment.
 */
import type { TopicPartition } from '../record.js';
import type { ConsumerGroupState } from './admin.js';
import { decodeAssignment } from './consumer-protocol.js';

const STATES: ReadonlySet<string> = new Set<ConsumerGroupState>(['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead']);

/**
 * A group state as named by a coordinator, `Unknown` for a name this client does not know (Kafka's newer
 * `Assigning`, `Reconciling`, ...).
 *
 * @example
 * ```ts
 * consumerGroupState('Stable'); // 'Stable'
 * consumerGroupState('Reconciling'); // 'Unknown'
 * ```
 */
export function consumerGroupState(name: string): ConsumerGroupState {
  return STATES.has(name) ? (name as ConsumerGroupState) : 'Unknown';
}

/**
 * The partitions of a member's assignment: decoded as a ConsumerProtocolAssignment when the group's protocol type is
 * `consumer` (plain consumers and Streams applications), else none. Bytes that do not decode give none too: a
 * description tool shows what it can rather than fail.
 *
 * @example
 * ```ts
 * memberAssignment('consumer', member.memberAssignment); // [{ topic: 'lines', partition: 0 }, ...]
 * ```
 */
export function memberAssignment(protocolType: string, bytes: Uint8Array): TopicPartition[] {
  if (protocolType !== 'consumer' || bytes.length === 0) return [];
  try {
    return decodeAssignment(bytes).assignedPartitions.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
  } catch {
    return [];
  }
}

/**
 * Orders committed offsets (or any topic-partition rows) by topic, then partition.
 *
 * @example
 * ```ts
 * offsets.sort(byTopicPartition);
 * ```
 */
export function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}
