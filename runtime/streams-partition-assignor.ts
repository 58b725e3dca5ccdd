import type { MemberSubscription, PartitionAssignor } from '../src/client/assignors.js';
import { topicPartitionKey, type TopicPartition } from '../src/record.js';
import type { Subtopology } from '../src/topology/built-topology.js';
import { taskIdOf } from './stream-task.js';

interface Task {
  readonly id: string;
  readonly subtopology: number;
  readonly partitions: TopicPartition[];
}

/**
 * The group assignor of a streams application (Kafka's StreamsPartitionAssignor, simplified): it assigns tasks,
 * not partitions. A task is (sub-topology, partition number) and owns that partition of every source topic of its
 * sub-topology, so co-partitioned topics always land on the same instance. Each sub-topology's tasks are spread
 * evenly on their own (so the tasks holding stores are shared too, not only the task count), no member gets more than
 * its fair share of all tasks, and a task stays with the member that owned it before when that keeps the balance,
 * which saves restoring its stores elsewhere.
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
          tasks.push({ id: taskIdOf(sub.id, p), subtopology: sub.id, partitions: sub.sourceTopics.filter((t) => (partitionsPerTopic.get(t) ?? 0) > p).map((topic) => ({ topic, partition: p })) });
        }
      }
      const members = [...subscriptions.keys()].sort();
      const out = new Map<string, TopicPartition[]>(members.map((m) => [m, []]));
      if (members.length === 0) return out;
      const owner = new Map<string, string>();
      for (const [m, sub] of subscriptions) for (const tp of sub.ownedPartitions ?? []) owner.set(topicPartitionKey(tp.topic, tp.partition), m);
      const load = new Map<string, number>(members.map((m) => [m, 0]));
      const capacity = Math.ceil(tasks.length / members.length);
      const place = (t: Task, m: string, subLoad: Map<string, number>): void => {
        out.get(m)!.push(...t.partitions);
        load.set(m, load.get(m)! + 1);
        subLoad.set(m, subLoad.get(m)! + 1);
      };
      // One sub-topology at a time: with one cap for the whole group, a member that owned every task before would
      // keep all of one sub-topology and the stateful tasks of another would all move (and restore) elsewhere.
      for (const sub of subtopologies) {
        const subTasks = tasks.filter((t) => t.subtopology === sub.id);
        const subCapacity = Math.ceil(subTasks.length / members.length);
        const subLoad = new Map<string, number>(members.map((m) => [m, 0]));
        const unplaced: Task[] = [];
        // Sticky first: a task goes back to its previous owner while that owner is under its fair shares.
        for (const t of subTasks) {
          const first = t.partitions[0];
          const prev = first === undefined ? undefined : owner.get(topicPartitionKey(first.topic, first.partition));
          if (prev !== undefined && out.has(prev) && subLoad.get(prev)! < subCapacity && load.get(prev)! < capacity) place(t, prev, subLoad);
          else unplaced.push(t);
        }
        // Then to a member under its total share, with the fewest tasks of this sub-topology, then the fewest in all.
        const rank = (m: string): [number, number, number] => [load.get(m)! < capacity ? 0 : 1, subLoad.get(m)!, load.get(m)!];
        for (const t of unplaced) {
          let best = members[0]!;
          for (const m of members) {
            const [a, b, c] = rank(m);
            const [x, y, z] = rank(best);
            if (a < x || (a === x && (b < y || (b === y && c < z)))) best = m;
          }
          place(t, best, subLoad);
        }
      }
      return out;
    },
  };
}
