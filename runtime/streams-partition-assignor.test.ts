import { describe, expect, it } from 'vitest';
import type { MemberSubscription } from '../src/client/assignors.js';
import type { TopicPartition } from '../src/record.js';
import { decodeAssignmentInfo, decodeSubscriptionInfo, encodeSubscriptionInfo, type AssignmentInfo } from './streams-assignment-info.js';
import { streamsPartitionAssignor } from './streams-partition-assignor.js';

const SUBTOPOLOGIES = [
  { id: 0, sourceTopics: ['lines'] },
  { id: 1, sourceTopics: ['words-repartition', 'dictionary'] },
];
const COUNTS = new Map([
  ['lines', 4],
  ['words-repartition', 4],
  ['dictionary', 4],
  ['unrelated', 9],
]);
const TOPICS = ['lines', 'words-repartition', 'dictionary'];

function subscriptions(endpoints: Record<string, string | null>): Map<string, MemberSubscription> {
  return new Map(Object.entries(endpoints).map(([m, e]) => [m, { topics: TOPICS, userData: encodeSubscriptionInfo(e) }]));
}

const key = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

describe('streamsPartitionAssignor', () => {
  it('assigns whole tasks: co-partitioned topics together, every partition once, balanced', () => {
    const assignor = streamsPartitionAssignor(SUBTOPOLOGIES);
    const out = assignor.assign(COUNTS, subscriptions({ a: null, b: null }));
    const all = [...out.values()].flat().map(key);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(12);
    for (const parts of out.values()) {
      expect(parts.length).toBe(6);
      const repartition = parts.filter((tp) => tp.topic === 'words-repartition').map((tp) => tp.partition).sort();
      const dictionary = parts.filter((tp) => tp.topic === 'dictionary').map((tp) => tp.partition).sort();
      expect(repartition).toEqual(dictionary);
    }
  });

  it('sends its applicationServer in the subscription user data', () => {
    expect(decodeSubscriptionInfo(streamsPartitionAssignor(SUBTOPOLOGIES, { applicationServer: 'node-1:8080' }).subscriptionUserData(TOPICS))).toBe('node-1:8080');
    expect(decodeSubscriptionInfo(streamsPartitionAssignor(SUBTOPOLOGIES).subscriptionUserData(TOPICS))).toBeNull();
  });

  it('hands every member the same partitions-by-host map of the members with an endpoint, and the source topic counts', () => {
    const assignor = streamsPartitionAssignor(SUBTOPOLOGIES);
    const subs = subscriptions({ a: 'node-a:1', b: 'node-b:2', c: null });
    const assignment = assignor.assign(COUNTS, subs);
    const userData = assignor.assignmentUserData(assignment, subs, COUNTS);
    expect([...userData.keys()].sort()).toEqual(['a', 'b', 'c']);
    const bytes = [...userData.values()];
    expect(bytes.every((b) => Buffer.compare(b, bytes[0]!) === 0)).toBe(true);
    const info = decodeAssignmentInfo(bytes[0]!);
    expect(info.partitionCounts).toEqual(new Map([['lines', 4], ['words-repartition', 4], ['dictionary', 4]]));
    expect([...info.partitionsByHost.keys()].sort()).toEqual(['node-a:1', 'node-b:2']);
    expect(info.partitionsByHost.get('node-a:1')!.map(key).sort()).toEqual(assignment.get('a')!.map(key).sort());
    expect(info.partitionsByHost.get('node-b:2')!.map(key).sort()).toEqual(assignment.get('b')!.map(key).sort());
  });

  it('merges two members naming one endpoint, and leaves out a member whose user data is unreadable', () => {
    const assignor = streamsPartitionAssignor(SUBTOPOLOGIES);
    const subs = subscriptions({ a: 'same:1', b: 'same:1' });
    subs.set('c', { topics: TOPICS, userData: Uint8Array.of(0, 1, 0, 40) });
    const assignment = assignor.assign(COUNTS, subs);
    const info = decodeAssignmentInfo(assignor.assignmentUserData(assignment, subs, COUNTS).get('a')!);
    expect([...info.partitionsByHost.keys()]).toEqual(['same:1']);
    expect(info.partitionsByHost.get('same:1')!.map(key).sort()).toEqual([...assignment.get('a')!, ...assignment.get('b')!].map(key).sort());
  });

  it('passes the decoded map to onAssignment; unreadable bytes give an empty map', () => {
    const seen: [AssignmentInfo, number][] = [];
    const assignor = streamsPartitionAssignor(SUBTOPOLOGIES, { onAssignment: (info, generation) => seen.push([info, generation]) });
    const subs = subscriptions({ a: 'node-a:1' });
    const assignment = assignor.assign(COUNTS, subs);
    assignor.onAssignment({ partitions: assignment.get('a')!, userData: assignor.assignmentUserData(assignment, subs, COUNTS).get('a')! }, 7);
    assignor.onAssignment({ partitions: [], userData: Uint8Array.of(1, 2, 3) }, 8);
    assignor.onAssignment({ partitions: [], userData: null }, 9);
    expect(seen.map(([, g]) => g)).toEqual([7, 8, 9]);
    expect(seen[0]![0].partitionsByHost.get('node-a:1')).toHaveLength(12);
    expect(seen[1]![0].partitionsByHost.size).toBe(0);
    expect(seen[2]![0].partitionsByHost.size).toBe(0);
  });
});
