import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { TopicPartition } from '../record.js';
import { topicPartitionKey } from '../record.js';
import { type MemberSubscription, type PartitionAssignor, RangeAssignor, RoundRobinAssignor, StickyAssignor } from './assignors.js';

const ASSIGNORS: readonly PartitionAssignor[] = [RangeAssignor, RoundRobinAssignor, StickyAssignor];

const tps = (spec: string): TopicPartition[] =>
  spec === ''
    ? []
    : spec.split(' ').map((s) => {
        const i = s.lastIndexOf('-');
        return { topic: s.slice(0, i), partition: Number(s.slice(i + 1)) };
      });
const show = (a: Map<string, TopicPartition[]>): Record<string, string> =>
  Object.fromEntries([...a].map(([m, list]) => [m, list.map((tp) => topicPartitionKey(tp.topic, tp.partition)).join(' ')]));
const subs = (entries: Record<string, readonly string[]>): Map<string, MemberSubscription> =>
  new Map(Object.entries(entries).map(([m, topics]) => [m, { topics }]));

describe('examples from Kafka', () => {
  const counts = new Map([
    ['t0', 3],
    ['t1', 3],
  ]);
  const group = subs({ C1: ['t0', 't1'], C0: ['t0', 't1'] });

  it('range gives each member a contiguous range per topic, extras to the first by member id', () => {
    expect(show(RangeAssignor.assign(counts, group))).toEqual({ C0: 't0-0 t0-1 t1-0 t1-1', C1: 't0-2 t1-2' });
  });

  it('roundrobin deals all partitions, sorted, in turn', () => {
    expect(show(RoundRobinAssignor.assign(counts, group))).toEqual({ C0: 't0-0 t0-2 t1-1', C1: 't0-1 t1-0 t1-2' });
  });

  it('roundrobin skips members not subscribed to a topic', () => {
    const a = RoundRobinAssignor.assign(new Map([['t0', 1], ['t1', 2], ['t2', 3]]), subs({ C0: ['t0'], C1: ['t0', 't1'], C2: ['t0', 't1', 't2'] }));
    expect(show(a)).toEqual({ C0: 't0-0', C1: 't1-0', C2: 't1-1 t2-0 t2-1 t2-2' });
  });

  it('skips topics unknown to metadata and lists members with nothing', () => {
    for (const assignor of ASSIGNORS) {
      expect(show(assignor.assign(new Map([['t0', 1]]), subs({ a: ['t0', 'missing'], b: ['missing'] })))).toEqual({ a: 't0-0', b: '' });
    }
  });

  it('sticky keeps owned partitions and gives a newcomer its share', () => {
    const owned = new Map<string, MemberSubscription>([
      ['a', { topics: ['t'], ownedPartitions: tps('t-0 t-1 t-2') }],
      ['b', { topics: ['t'], ownedPartitions: tps('t-3 t-4 t-5') }],
      ['c', { topics: ['t'] }],
    ]);
    const a = StickyAssignor.assign(new Map([['t', 6]]), owned);
    expect(show(a)).toEqual({ a: 't-0 t-1', b: 't-3 t-4', c: 't-2 t-5' });
  });

  it('sticky: a partition two members claim stays with the first by member id; invalid claims are dropped', () => {
    const owned = new Map<string, MemberSubscription>([
      ['b', { topics: ['t'], ownedPartitions: tps('t-0 t-9 u-0') }],
      ['a', { topics: ['t'], ownedPartitions: tps('t-0') }],
    ]);
    expect(show(StickyAssignor.assign(new Map([['t', 2], ['u', 1]]), owned))).toEqual({ a: 't-0', b: 't-1' });
  });
});

// ---- properties ---------------------------------------------------------------------------------------------

interface Scenario {
  readonly partitionsPerTopic: Map<string, number>;
  readonly subscriptions: Map<string, MemberSubscription>;
}

const TOPICS = ['a', 'b', 'c', 'd', 'e'];

const scenario = (homogeneous: boolean): fc.Arbitrary<Scenario> =>
  fc
    .record({
      counts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: TOPICS.length, maxLength: TOPICS.length }),
      members: fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,6}$/), { minLength: 1, maxLength: 8 }),
      shared: fc.subarray([...TOPICS, 'unknown'], { minLength: 1 }),
      each: fc.array(fc.subarray([...TOPICS, 'unknown'], { minLength: 1 }), { minLength: 8, maxLength: 8 }),
    })
    .map(({ counts, members, shared, each }) => ({
      // a count of 0 stands for a topic missing from metadata
      partitionsPerTopic: new Map(TOPICS.flatMap((t, i) => ((counts[i] ?? 0) > 0 ? [[t, counts[i] ?? 0] as [string, number]] : []))),
      subscriptions: new Map(members.map((m, i) => [m, { topics: homogeneous ? shared : (each[i] ?? shared) }])),
    }));

const anyScenario = fc.oneof(scenario(true), scenario(false));

function checkValid(s: Scenario, result: Map<string, TopicPartition[]>): void {
  expect([...result.keys()].sort()).toEqual([...s.subscriptions.keys()].sort());
  const owner = new Map<string, string>();
  for (const [member, list] of result) {
    const topics = new Set(s.subscriptions.get(member)?.topics);
    for (const tp of list) {
      const key = topicPartitionKey(tp.topic, tp.partition);
      expect(owner.has(key), `${key} assigned twice`).toBe(false);
      owner.set(key, member);
      expect(topics.has(tp.topic), `${member} got ${key} without subscribing`).toBe(true);
      expect(tp.partition).toBeGreaterThanOrEqual(0);
      expect(tp.partition).toBeLessThan(s.partitionsPerTopic.get(tp.topic) ?? 0);
    }
  }
  for (const [topic, n] of s.partitionsPerTopic) {
    const subscribed = [...s.subscriptions.values()].some((sub) => sub.topics.includes(topic));
    for (let p = 0; p < n; p++) expect(owner.has(topicPartitionKey(topic, p)), `${topic}-${p}`).toBe(subscribed);
  }
}

const spread = (counts: readonly number[]): number => (counts.length === 0 ? 0 : Math.max(...counts) - Math.min(...counts));
const reversed = (s: Scenario): Map<string, MemberSubscription> => new Map([...s.subscriptions].reverse());

describe.each(ASSIGNORS.map((a) => [a.name, a] as const))('%s assignor', (_name, assignor) => {
  test.prop([anyScenario])('assigns every subscribed partition exactly once, to a subscriber', (s) => {
    checkValid(s, assignor.assign(s.partitionsPerTopic, s.subscriptions));
  });

  test.prop([anyScenario])('is deterministic, whatever the order of the subscriptions', (s) => {
    const first = assignor.assign(s.partitionsPerTopic, s.subscriptions);
    expect(show(assignor.assign(s.partitionsPerTopic, reversed(s)))).toEqual(show(first));
  });
});

describe('balance', () => {
  test.prop([anyScenario])('range: per topic, the subscribers’ counts differ by at most 1', (s) => {
    const result = RangeAssignor.assign(s.partitionsPerTopic, s.subscriptions);
    for (const topic of s.partitionsPerTopic.keys()) {
      const subscribers = [...s.subscriptions].filter(([, sub]) => sub.topics.includes(topic)).map(([m]) => m);
      expect(spread(subscribers.map((m) => (result.get(m) ?? []).filter((tp) => tp.topic === topic).length))).toBeLessThanOrEqual(1);
    }
  });

  test.prop([scenario(true)])('roundrobin and sticky: with identical subscriptions, counts differ by at most 1', (s) => {
    for (const assignor of [RoundRobinAssignor, StickyAssignor]) {
      expect(spread([...assignor.assign(s.partitionsPerTopic, s.subscriptions).values()].map((l) => l.length))).toBeLessThanOrEqual(1);
    }
  });

  test.prop([scenario(false)])('sticky: no partition could move to an eligible member holding two fewer', (s) => {
    const result = StickyAssignor.assign(s.partitionsPerTopic, s.subscriptions);
    for (const [member, list] of result) {
      for (const tp of list) {
        for (const [other, sub] of s.subscriptions) {
          if (sub.topics.includes(tp.topic)) expect((result.get(other) ?? []).length, `${member} -> ${other}`).toBeGreaterThanOrEqual(list.length - 1);
        }
      }
    }
  });
});

describe('stickiness', () => {
  const withOwned = (s: Scenario, owned: Map<string, TopicPartition[]>, without?: string): Map<string, MemberSubscription> =>
    new Map([...s.subscriptions].filter(([m]) => m !== without).map(([m, sub]) => [m, { ...sub, ownedPartitions: owned.get(m) ?? [] }]));

  test.prop([anyScenario])('an unchanged group keeps its assignment', (s) => {
    const first = StickyAssignor.assign(s.partitionsPerTopic, s.subscriptions);
    expect(show(StickyAssignor.assign(s.partitionsPerTopic, withOwned(s, first)))).toEqual(show(first));
  });

  test.prop([scenario(true).filter((s) => s.subscriptions.size >= 2)])('when a member leaves, the others keep all they had', (s) => {
    const first = StickyAssignor.assign(s.partitionsPerTopic, s.subscriptions);
    const leaver = [...s.subscriptions.keys()][0] as string;
    const next = StickyAssignor.assign(s.partitionsPerTopic, withOwned(s, first, leaver));
    for (const [member, list] of next) {
      const now = new Set(list.map((tp) => topicPartitionKey(tp.topic, tp.partition)));
      for (const tp of first.get(member) ?? []) expect(now.has(topicPartitionKey(tp.topic, tp.partition))).toBe(true);
    }
  });
});
