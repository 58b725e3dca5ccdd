/**
 * Partition assignors: the pluggable function the group leader runs to share subscribed partitions among members,
 * with the same names and results as Kafka's RangeAssignor, RoundRobinAssignor and (eager) StickyAssignor, so a
 * tributary member and a Java member agree on what a protocol name means.
 */
import type { TopicPartition } from '../record.js';
import { topicPartitionKey } from '../record.js';

/**
 * One member's subscription as the leader sees it (decoded from its JoinGroup metadata).
 *
 * @example
 * ```ts
 * const s: MemberSubscription = { topics: ['orders'], ownedPartitions: [{ topic: 'orders', partition: 0 }] };
 * ```
 */
export interface MemberSubscription {
  readonly topics: readonly string[];
  readonly userData?: Uint8Array | null;
  /** What the member held in the previous generation; only sticky assignors look at it. */
  readonly ownedPartitions?: readonly TopicPartition[];
}

/**
 * Computes a group's assignment; the leader runs the one whose `name` the coordinator selected.
 *
 * Contract: every partition of a topic in `partitionsPerTopic` that some member subscribes to goes to exactly one
 * member subscribing to it; topics missing from `partitionsPerTopic` (unknown to metadata) are skipped; the result has
 * an entry, possibly empty, for every member; the same input gives the same output.
 *
 * @example
 * ```ts
 * const a = RangeAssignor.assign(new Map([['orders', 4]]), new Map([['m1', { topics: ['orders'] }], ['m2', { topics: ['orders'] }]]));
 * a.get('m1'); // [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]
 * ```
 */
export interface PartitionAssignor {
  /** The protocol name sent in JoinGroup: 'range', 'roundrobin', 'sticky', ... */
  readonly name: string;
  assign(
    partitionsPerTopic: ReadonlyMap<string, number>,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, TopicPartition[]>;
  /**
   * Kafka's `subscriptionUserData`: bytes this member sends with its subscription for this protocol; the leader's
   * `assign` sees them as `MemberSubscription.userData`. Absent: null.
   */
  subscriptionUserData?(topics: readonly string[]): Uint8Array | null;
  /**
   * Run by the leader right after `assign` with its result: the user data of each member's assignment (Kafka's
   * `Assignment.userData`). A member missing from the result gets null.
   */
  assignmentUserData?(
    assignment: ReadonlyMap<string, readonly TopicPartition[]>,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): ReadonlyMap<string, Uint8Array | null>;
  /**
   * Kafka's `onAssignment`: called on every member after each completed SyncGroup, before the rebalance listener's
   * `onPartitionsAssigned`, with the member's partitions and the user data the leader sent.
   */
  onAssignment?(assignment: { readonly partitions: readonly TopicPartition[]; readonly userData: Uint8Array | null }, generationId: number): void;
}

/**
 * Kafka's `range` assignor: per topic, members subscribing to it sorted by member id each take a contiguous range;
 * the first `partitions % members` members take one extra. Balanced per topic (counts differ by at most 1), but
 * across topics the first members can carry more; co-partitioned topics land together, which joins rely on.
 *
 * @example
 * ```ts
 * RangeAssignor.assign(new Map([['t', 5]]), new Map([['a', { topics: ['t'] }], ['b', { topics: ['t'] }]]));
 * // a: t-0, t-1, t-2   b: t-3, t-4
 * ```
 */
export const RangeAssignor: PartitionAssignor = Object.freeze({
  name: 'range',
  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, MemberSubscription>) {
    const out = emptyAssignment(subscriptions);
    const byTopic = membersByTopic(partitionsPerTopic, subscriptions);
    for (const topic of [...byTopic.keys()].sort()) {
      const members = byTopic.get(topic) ?? [];
      const n = partitionsPerTopic.get(topic) ?? 0;
      const per = Math.floor(n / members.length);
      const extra = n % members.length;
      for (let i = 0; i < members.length; i++) {
        const start = per * i + Math.min(i, extra);
        const end = start + per + (i < extra ? 1 : 0);
        const list = out.get(members[i] as string) as TopicPartition[];
        for (let p = start; p < end; p++) list.push({ topic, partition: p });
      }
    }
    return out;
  },
});

/**
 * Kafka's `roundrobin` assignor: all subscribed partitions sorted by topic then partition are dealt in turn to members
 * sorted by member id, skipping a member not subscribed to the partition's topic. With identical subscriptions the
 * counts differ by at most 1 across all topics.
 *
 * @example
 * ```ts
 * RoundRobinAssignor.assign(new Map([['t', 3]]), new Map([['a', { topics: ['t'] }], ['b', { topics: ['t'] }]]));
 * // a: t-0, t-2   b: t-1
 * ```
 */
export const RoundRobinAssignor: PartitionAssignor = Object.freeze({
  name: 'roundrobin',
  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, MemberSubscription>) {
    const out = emptyAssignment(subscriptions);
    const members = [...out.keys()];
    const topicSets = new Map(members.map((m) => [m, new Set(subscriptions.get(m)?.topics)] as const));
    let next = 0;
    const byTopic = membersByTopic(partitionsPerTopic, subscriptions);
    for (const topic of [...byTopic.keys()].sort()) {
      const n = partitionsPerTopic.get(topic) ?? 0;
      for (let p = 0; p < n; p++) {
        // terminates: byTopic only holds topics at least one member subscribes to
        while (!(topicSets.get(members[next] as string) as Set<string>).has(topic)) next = (next + 1) % members.length;
        (out.get(members[next] as string) as TopicPartition[]).push({ topic, partition: p });
        next = (next + 1) % members.length;
      }
    }
    return out;
  },
});

/**
 * An eager `sticky` assignor: keeps each member's still-valid `ownedPartitions`, hands the rest to the least-loaded
 * eligible member, then moves partitions (most recently listed first) from a member to an eligible one holding at least
 * two fewer until no such move exists. Balanced like round-robin for identical subscriptions (counts differ by at most
 * 1); an unchanged, balanced group keeps its assignment exactly. A partition claimed by two members stays with the
 * first by member id.
 *
 * @example
 * ```ts
 * StickyAssignor.assign(new Map([['t', 4]]), new Map([
 *   ['a', { topics: ['t'], ownedPartitions: [{ topic: 't', partition: 3 }] }], ['b', { topics: ['t'] }]]));
 * // a keeps t-3 and gets one more; b gets two
 * ```
 */
export const StickyAssignor: PartitionAssignor = Object.freeze({
  name: 'sticky',
  assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, MemberSubscription>) {
    const out = emptyAssignment(subscriptions);
    const members = [...out.keys()];
    const byTopic = membersByTopic(partitionsPerTopic, subscriptions);
    const topics = [...byTopic.keys()].sort();
    const taken = new Set<string>();
    for (const m of members) {
      const list = out.get(m) as TopicPartition[];
      const topicSet = new Set(subscriptions.get(m)?.topics);
      for (const tp of subscriptions.get(m)?.ownedPartitions ?? []) {
        const key = topicPartitionKey(tp.topic, tp.partition);
        const n = byTopic.has(tp.topic) ? (partitionsPerTopic.get(tp.topic) ?? 0) : 0;
        if (!topicSet.has(tp.topic) || !Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition >= n || taken.has(key)) continue;
        taken.add(key);
        list.push({ topic: tp.topic, partition: tp.partition });
      }
    }
    for (const topic of topics) {
      const eligible = byTopic.get(topic) as string[];
      const n = partitionsPerTopic.get(topic) ?? 0;
      for (let p = 0; p < n; p++) {
        if (taken.has(topicPartitionKey(topic, p))) continue;
        (out.get(leastLoaded(eligible, out)) as TopicPartition[]).push({ topic, partition: p });
      }
    }
    // each move lowers the sum of squared counts by at least 2, so this ends
    for (let moved = true; moved; ) {
      moved = false;
      for (const from of [...members].sort((a, b) => size(out, b) - size(out, a))) {
        const list = out.get(from) as TopicPartition[];
        for (let i = list.length - 1; i >= 0; i--) {
          const tp = list[i] as TopicPartition;
          const to = leastLoaded(byTopic.get(tp.topic) as string[], out);
          if (size(out, to) <= list.length - 2) {
            list.splice(i, 1);
            (out.get(to) as TopicPartition[]).push(tp);
            moved = true;
          }
        }
      }
    }
    for (const list of out.values()) list.sort(compareTopicPartitions);
    return out;
  },
});

/**
 * Orders topic-partitions by topic, then partition number (the order Kafka's assignors sort by).
 *
 * @example
 * ```ts
 * partitions.sort(compareTopicPartitions);
 * ```
 */
export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

/** An entry per member, in member-id order, each an empty list. */
function emptyAssignment(subscriptions: ReadonlyMap<string, MemberSubscription>): Map<string, TopicPartition[]> {
  const out = new Map<string, TopicPartition[]>();
  for (const m of [...subscriptions.keys()].sort()) out.set(m, []);
  return out;
}

/** Topics known to metadata with at least one subscriber, each with its subscribers in member-id order. */
function membersByTopic(
  partitionsPerTopic: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): Map<string, string[]> {
  const byTopic = new Map<string, string[]>();
  for (const m of [...subscriptions.keys()].sort()) {
    for (const topic of new Set(subscriptions.get(m)?.topics)) {
      if ((partitionsPerTopic.get(topic) ?? 0) <= 0) continue;
      const list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, [m]);
      else list.push(m);
    }
  }
  return byTopic;
}

function size(out: ReadonlyMap<string, readonly TopicPartition[]>, member: string): number {
  return out.get(member)?.length ?? 0;
}

/** The member with the fewest partitions; ties go to the first in `candidates` (member-id order). */
function leastLoaded(candidates: readonly string[], out: ReadonlyMap<string, readonly TopicPartition[]>): string {
  let best = candidates[0] as string;
  let bestSize = size(out, best);
  for (let i = 1; i < candidates.length; i++) {
    const c = candidates[i] as string;
    const s = size(out, c);
    if (s < bestSize) {
      best = c;
      bestSize = s;
    }
  }
  return best;
}
