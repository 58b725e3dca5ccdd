import type { MemberSubscription, PartitionAssignor } from '../src/client/assignors.js';
import { topicPartitionKey, type TopicPartition } from '../src/record.js';
import type { Subtopology } from '../src/topology/built-topology.js';
import { taskIdOf } from './stream-task.js';

interface Task {
  readonly id: string;
  readonly partitions: TopicPartition[];
}

/**
 * The group assignor of a streams application (Kafka's StreamsPartitionAssignor, simplified): it assigns tasks,
 * not partitions. A task is (sub-topology, partition number) and owns that partition of every source topic of its
 * sub-topology, so co-partitioned topics always land on the same instance. Tasks are spread evenly (counts differ
 * by at most one) and stay with the member that owned them before when that keeps the balance, which saves
 * restoring their stores elsewhere.
 */
export function streamsPartitionAssignor(subtopologies: readonly Pick<Subtopology, 'id' | 'sourceTopics'>[]): PartitionAssignor {
  return {
    name: 'streams',
    assign(partitionsPerTopic: ReadonlyMap<string, number>, subscriptions: ReadonlyMap<string, MemberSubscription>): Map<string, TopicPartition[]> {
      const tasks: Task[] = [];
      for (const sub of subtopologies) {
        const counts = sub.sourceTopics.map((t) => partitionsPerTopic.get(t) ?? 0);
        const n = Math.max(0, ...counts);
        for (let p = 0; p < n; p++) {
          tasks.push({ id: taskIdOf(sub.id, p), partitions: sub.sourceTopics.filter((t) => (partitionsPerTopic.get(t) ?? 0) > p).map((topic) => ({ topic, partition: p })) });
        }
      }
      const members = [...subscriptions.keys()].sort();
      const out = new Map<string, TopicPartition[]>(members.map((m) => [m, []]));
      if (members.length === 0) return out;
      const owner = new Map<string, string>();
      for (const [m, sub] of subscriptions) for (const tp of sub.ownedPartitions ?? []) owner.set(topicPartitionKey(tp.topic, tp.partition), m);
      const load = new Map<string, number>(members.map((m) => [m, 0]));
      const capacity = Math.ceil(tasks.length / members.length);
      const unplaced: Task[] = [];
      // Sticky first: a task goes back to its previous owner while that owner is under its fair share.
      for (const t of tasks) {
        const first = t.partitions[0];
        const prev = first === undefined ? undefined : owner.get(topicPartitionKey(first.topic, first.partition));
        if (prev !== undefined && out.has(prev) && load.get(prev)! < capacity) {
          out.get(prev)!.push(...t.partitions);
          load.set(prev, load.get(prev)! + 1);
        } else unplaced.push(t);
      }
      for (const t of unplaced) {
        let best = members[0]!;
        for (const m of members) if (load.get(m)! < load.get(best)!) best = m;
        out.get(best)!.push(...t.partitions);
        load.set(best, load.get(best)! + 1);
      }
      return out;
    },
  };
}
