import type { MemberSubscription, PartitionAssignor } from '../src/client/assignors.js';
import { toError } from '../src/errors.js';
import { topicPartitionKey, type TopicPartition } from '../src/record.js';
import type { Subtopology } from '../src/topology/built-topology.js';
import type { Logger } from '../src/util/logger.js';
import { decodeAssignmentInfo, decodeSubscriptionInfo, encodeAssignmentInfo, encodeSubscriptionInfo, type AssignmentInfo } from './streams-assignment-info.js';
import { taskIdOf } from './stream-task.js';

interface Task {
  readonly id: string;
  readonly subtopology: number;
  readonly partitions: TopicPartition[];
}

/**
 * Options of {@link streamsPartitionAssignor}: what this member tells the group, and where it hears back.
 *
 * @example
 * ```ts
 * const options: StreamsPartitionAssignorOptions = { applicationServer: 'localhost:8080', onAssignment: (info) => metadata.update(info) };
 * ```
 */
export interface StreamsPartitionAssignorOptions {
  /** This instance's interactive-query endpoint (`host:port`), sent to the leader in the subscription user data. */
  readonly applicationServer?: string | null;
  /** Called on this member after every rebalance with the leader's partitions-by-host map (before tasks are created). */
  readonly onAssignment?: (info: AssignmentInfo, generationId: number) => void;
  readonly logger?: Logger;
}

/**
 * The streams assignor with Kafka's ConsumerPartitionAssignor hooks for user data: `subscriptionUserData` (this
 * member's SubscriptionInfo), `assignmentUserData` (the leader's AssignmentInfo for every member, computed from the
 * result of `assign`) and `onAssignment` (the member's side). A group member that knows these hooks sends and
 * delivers the bytes; one that does not simply runs `assign`.
 *
 * @example
 * ```ts
 * const assignor = streamsPartitionAssignor(topology.subtopologies, { applicationServer: 'localhost:8080' });
 * assignor.subscriptionUserData(['lines']); // SubscriptionInfo bytes naming localhost:8080
 * ```
 */
export interface StreamsPartitionAssignor extends PartitionAssignor {
  subscriptionUserData(topics: readonly string[]): Uint8Array;
  assignmentUserData(
    assignment: ReadonlyMap<string, readonly TopicPartition[]>,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): Map<string, Uint8Array>;
  onAssignment(assignment: { readonly partitions: readonly TopicPartition[]; readonly userData: Uint8Array | null }, generationId: number): void;
}

/**
 * The group assignor of a streams application (Kafka's StreamsPartitionAssignor, simplified): it assigns tasks,
 * not partitions. A task is (sub-topology, partition number) and owns that partition of every source topic of its
 * sub-topology, so co-partitioned topics always land on the same instance. Each sub-topology's tasks are spread
 * evenly on their own (so the tasks holding stores are shared too, not only the task count), no member gets more than
 * its fair share of all tasks, and a task stays with the member that owned it before when that keeps the balance,
 * which saves restoring its stores elsewhere.
 *
 * Like Kafka Streams' SubscriptionInfo/AssignmentInfo, each member sends its `applicationServer` endpoint and every
 * member receives the partitions held by every endpoint (see {@link AssignmentInfo}); members without an endpoint
 * are left out of that map. Undecodable user data is logged and treated as absent (the assignment itself stands).
 *
 * @example
 * ```ts
 * const consumer = clients.consumer({ groupId: 'app', assignors: [streamsPartitionAssignor(built.subtopologies)] });
 * ```
 */
export function streamsPartitionAssignor(
  subtopologies: readonly Pick<Subtopology, 'id' | 'sourceTopics'>[],
  options: StreamsPartitionAssignorOptions = {},
): StreamsPartitionAssignor {
  const endpoint = options.applicationServer ?? null;
  return {
    name: 'streams',
    subscriptionUserData(): Uint8Array {
      return encodeSubscriptionInfo(endpoint);
    },
    assignmentUserData(assignment, subscriptions, partitionsPerTopic): Map<string, Uint8Array> {
      const sourceTopics = new Set(subtopologies.flatMap((s) => s.sourceTopics));
      const partitionCounts = new Map<string, number>();
      for (const [t, n] of partitionsPerTopic) if (sourceTopics.has(t)) partitionCounts.set(t, n);
      const partitionsByHost = new Map<string, TopicPartition[]>();
      for (const [member, partitions] of assignment) {
        let host: string | null = null;
        try {
          host = decodeSubscriptionInfo(subscriptions.get(member)?.userData ?? null);
        } catch (e: unknown) {
          options.logger?.warn({ member, err: toError(e) }, 'unreadable subscription info; the member is left out of the partitions-by-host map');
        }
        if (host === null) continue;
        const list = partitionsByHost.get(host);
        if (list !== undefined) options.logger?.warn({ host }, 'two members name the same applicationServer; merging their partitions');
        partitionsByHost.set(host, [...(list ?? []), ...partitions]);
      }
      // Every member gets the same bytes (Kafka's AssignmentInfo also carries the member's own tasks; ours are in the assignment).
      const bytes = encodeAssignmentInfo({ partitionsByHost, partitionCounts });
      return new Map([...assignment.keys()].map((m) => [m, bytes]));
    },
    onAssignment(assignment, generationId): void {
      let info: AssignmentInfo;
      try {
        info = decodeAssignmentInfo(assignment.userData);
      } catch (e: unknown) {
        options.logger?.warn({ err: toError(e) }, 'unreadable assignment info; partitions-by-host unknown until the next rebalance');
        info = decodeAssignmentInfo(null);
      }
      options.onAssignment?.(info, generationId);
    },
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
