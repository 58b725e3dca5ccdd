import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCoordinator } from '../broker/group-coordinator.js';
import { isStreamsError } from '../errors.js';
import type { TopicPartition } from '../record.js';
import { ManualClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { systemTimers } from '../util/timers.js';
import { type PartitionAssignor, RangeAssignor, RoundRobinAssignor } from './assignors.js';
import { type GroupCoordinatorClient, GroupMembership, type GroupMembershipOptions } from './group-membership.js';

const SESSION_MS = 10_000;
const HEARTBEAT_MS = 3_000;
const REBALANCE_MS = 30_000;
const COUNTS = new Map([['t', 12]]);

interface Event {
  readonly member: string;
  readonly kind: 'assigned' | 'revoked' | 'lost';
  readonly partitions: number;
}

let clock: ManualClock;
let gc: GroupCoordinator;
let events: Event[];
let members: GroupMembership[];

function member(name: string, options: Partial<GroupMembershipOptions> = {}): GroupMembership {
  const record = (kind: Event['kind']) => (partitions: TopicPartition[]) => {
    events.push({ member: name, kind, partitions: partitions.length });
  };
  const m = new GroupMembership({
    coordinator: gc,
    groupId: 'g',
    clientId: name,
    topics: ['t'],
    partitionsPerTopic: () => COUNTS,
    assignors: [RangeAssignor, RoundRobinAssignor],
    sessionTimeoutMs: SESSION_MS,
    heartbeatIntervalMs: HEARTBEAT_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    listener: { onPartitionsAssigned: record('assigned'), onPartitionsRevoked: record('revoked'), onPartitionsLost: record('lost') },
    timers: systemTimers,
    clock,
    logger: silentLogger(),
    ...options,
  });
  members.push(m);
  return m;
}

/** Runs ensureActive on every member at once, moving virtual time on until all are done. */
async function activate(...ms: GroupMembership[]): Promise<(readonly TopicPartition[])[]> {
  const done = Promise.all(ms.map((m) => m.ensureActive()));
  await vi.advanceTimersByTimeAsync(1_000);
  return done;
}

const keys = (list: readonly TopicPartition[]): string[] => list.map((tp) => `${tp.topic}-${tp.partition}`);
const of = (name: string): string[] => events.filter((e) => e.member === name).map((e) => `${e.kind} ${e.partitions}`);

beforeEach(() => {
  vi.useFakeTimers();
  clock = new ManualClock(0);
  events = [];
  members = [];
  gc = new GroupCoordinator({
    clock,
    timers: systemTimers,
    logger: silentLogger(),
    offsetStore: { persist: () => Promise.resolve() },
    initialRebalanceDelayMs: 100,
    minSessionTimeoutMs: 1_000,
  });
});

afterEach(() => {
  for (const m of members) m.close();
  gc.close();
  vi.useRealTimers();
});

describe.each<[string, PartitionAssignor]>([
  ['range', RangeAssignor],
  ['roundrobin', RoundRobinAssignor],
])('three members with %s', (_name, assignor) => {
  it('share 12 partitions 4/4/4; after one leaves 6/6; after one crashes the last owns all 12', async () => {
    const [a, b, c] = [member('a', { assignors: [assignor] }), member('b', { assignors: [assignor] }), member('c', { assignors: [assignor] })];
    const first = await activate(a, b, c);
    expect(first.map((l) => l.length)).toEqual([4, 4, 4]);
    expect(new Set(first.flatMap(keys)).size).toBe(12);
    expect([a.generationId, b.generationId, c.generationId]).toEqual([1, 1, 1]);
    expect(gc.describeGroup('g')).toMatchObject({ state: 'Stable', protocol: assignor.name });

    // c leaves: the others learn of the rebalance from their next heartbeat
    await c.leave();
    expect(a.needsRejoin || b.needsRejoin).toBe(false);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(a.needsRejoin && b.needsRejoin).toBe(true);
    const second = await activate(a, b);
    expect(second.map((l) => l.length)).toEqual([6, 6]);
    expect(new Set(second.flatMap(keys)).size).toBe(12);
    expect([a.generationId, b.generationId]).toEqual([2, 2]);

    // b crashes: after its session times out the coordinator drops it, and a takes everything
    b.simulateCrash();
    await vi.advanceTimersByTimeAsync(SESSION_MS);
    expect(gc.describeGroup('g').members.map((m) => m.memberId)).toEqual([a.memberId]);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(a.needsRejoin).toBe(true);
    const third = await activate(a);
    expect(keys(third[0] ?? [])).toHaveLength(12);
    expect(a.generationId).toBe(3);

    expect(of('a')).toEqual(['assigned 4', 'revoked 4', 'assigned 6', 'revoked 6', 'assigned 12']);
    expect(of('b')).toEqual(['assigned 4', 'revoked 4', 'assigned 6']);
    expect(of('c')).toEqual(['assigned 4', 'revoked 4']);
    // eager protocol: every revocation of a rebalance comes before any assignment of the next generation
    expect(events.map((e) => e.kind)).toEqual(['assigned', 'assigned', 'assigned', 'revoked', 'revoked', 'revoked', 'assigned', 'assigned', 'revoked', 'assigned']);
  });
});

describe('GroupMembership', () => {
  it('is cheap when stable: the same resolved promise, no coordinator call', async () => {
    const joinGroup = vi.spyOn(gc, 'joinGroup');
    const a = member('a');
    const [p1, p2] = [a.ensureActive(), a.ensureActive()];
    expect(p1).toBe(p2); // concurrent calls share one rebalance
    await vi.advanceTimersByTimeAsync(1_000);
    await p1;
    expect(joinGroup).toHaveBeenCalledTimes(1);
    expect(a.ensureActive()).toBe(a.ensureActive());
    expect(await a.ensureActive()).toHaveLength(12);
    expect(joinGroup).toHaveBeenCalledTimes(1);
  });

  it('gives commit context for the ending generation inside onPartitionsRevoked, none while joining', async () => {
    const seen: ({ memberId: string; generationId: number } | null)[] = [];
    let a: GroupMembership | undefined;
    a = member('a', {
      listener: {
        onPartitionsRevoked: async (parts) => {
          const ctx = a?.commitContext() ?? null;
          seen.push(ctx);
          if (ctx !== null) await gc.commitOffsets({ groupId: 'g', ...ctx, offsets: parts.map((tp) => ({ ...tp, offset: 1 })) });
        },
      },
    });
    expect(a.commitContext()).toBeNull();
    await activate(a);
    expect(a.commitContext()).toEqual({ memberId: a.memberId, generationId: 1 });
    const b = member('b');
    const bDone = b.ensureActive();
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(a.needsRejoin).toBe(true);
    await Promise.all([a.ensureActive(), bDone]);
    expect(seen).toEqual([{ memberId: a.memberId, generationId: 1 }]);
    expect(gc.fetchOffsets('g').size).toBe(12);
    expect(a.commitContext()).toEqual({ memberId: a.memberId, generationId: 2 });
  });

  it('an evicted member reports its partitions lost, not revoked, and rejoins under a new id', async () => {
    const a = member('a');
    await activate(a);
    const oldId = a.memberId;
    gc.leaveGroup({ groupId: 'g', memberId: oldId }); // as an admin removing the member would
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(a.needsRejoin).toBe(true);
    expect(a.commitContext()).toBeNull();
    expect(a.memberId).toBe('');
    await activate(a);
    expect(a.memberId).not.toBe(oldId);
    expect(of('a')).toEqual(['assigned 12', 'lost 12', 'assigned 12']);
  });

  it('lost partitions go to onPartitionsRevoked when the listener has no onPartitionsLost', async () => {
    const revoked: number[] = [];
    const a = member('a', { listener: { onPartitionsRevoked: (p) => void revoked.push(p.length) } });
    await activate(a);
    gc.leaveGroup({ groupId: 'g', memberId: a.memberId });
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    await activate(a);
    expect(revoked).toEqual([12]);
  });

  it('leaves the group when not polled within the rebalance timeout', async () => {
    const a = member('a');
    const b = member('b');
    await activate(a, b);
    clock.advance(REBALANCE_MS + 1);
    void b.ensureActive(); // b keeps polling; a does not
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(gc.describeGroup('g').members.map((m) => m.memberId)).toEqual([b.memberId]);
    expect(a.needsRejoin).toBe(true);
    expect(a.commitContext()).toBeNull();
  });

  it('leave() stops heartbeats and sends LeaveGroup; a static member keeps its place', async () => {
    const heartbeat = vi.spyOn(gc, 'heartbeat');
    const a = member('a');
    const s = member('s', { groupInstanceId: 'static-1' });
    await activate(a, s);
    await a.leave();
    await s.leave();
    expect(of('a')).toEqual(['assigned 6', 'revoked 6']);
    expect(gc.describeGroup('g').members.map((m) => m.groupInstanceId)).toEqual(['static-1']);
    heartbeat.mockClear();
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS * 2);
    expect(heartbeat).not.toHaveBeenCalled();
  });

  it('leave() during a join abandons it: the join is left, and ensureActive rejects with CLOSED', async () => {
    const a = member('a');
    await activate(a);
    const b = member('b');
    const bDone = b.ensureActive().then(
      () => 'joined',
      (e: unknown) => (isStreamsError(e, 'CLOSED') ? 'closed' : String(e)),
    );
    await vi.advanceTimersByTimeAsync(0);
    await b.leave();
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    // a's rejoin completes generation 2 with b, whose join then leaves at once, so a's sync is refused and a rejoins alone
    expect(await a.ensureActive()).toHaveLength(12);
    expect(await bDone).toBe('closed');
    expect(a.generationId).toBe(3);
    expect(gc.describeGroup('g')).toMatchObject({ state: 'Stable', generationId: 3, members: [{ memberId: a.memberId }] });
    expect(of('b')).toEqual([]);
  });

  it('works against any GroupCoordinatorClient, including one answering heartbeats asynchronously', async () => {
    const client: GroupCoordinatorClient = {
      joinGroup: (r) => gc.joinGroup(r),
      syncGroup: (r) => gc.syncGroup(r),
      heartbeat: async (r) => gc.heartbeat(r),
      leaveGroup: async (r) => gc.leaveGroup(r),
    };
    const a = member('a', { coordinator: client });
    const b = member('b', { coordinator: client });
    await activate(a, b);
    await b.leave();
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(a.needsRejoin).toBe(true);
    expect(await a.ensureActive()).toHaveLength(12);
  });

  it('a static member replaced by a newer instance with its group.instance.id is fenced for good (no flapping)', async () => {
    const old = member('old', { groupInstanceId: 'i1' });
    await activate(old);
    old.simulateCrash(); // gone without leaving; a new process with the same instance id takes the place
    const fresh = member('fresh', { groupInstanceId: 'i1' });
    expect(keys((await activate(fresh))[0]!)).toHaveLength(12);
    // The old one was only paused: it comes back, learns it was fenced, and never rejoins.
    const back = member('back', { groupInstanceId: 'i1' });
    await activate(back); // takes the place again (as a restarted instance would)
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    await expect(fresh.ensureActive()).rejects.toMatchObject({ code: 'FENCED_INSTANCE_ID' });
    await expect(fresh.ensureActive()).rejects.toMatchObject({ code: 'FENCED_INSTANCE_ID' });
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(back.needsRejoin).toBe(false);
    expect(gc.describeGroup('g').members).toHaveLength(1);
  });

  it('rejects ensureActive after close or a crash', async () => {
    const a = member('a');
    a.close();
    await expect(a.ensureActive()).rejects.toMatchObject({ code: 'CLOSED' });
    const b = member('b');
    b.simulateCrash();
    await expect(b.ensureActive()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('carries assignor user data: subscriptions reach the leader, assignments reach each member before onPartitionsAssigned', async () => {
    const leaderSaw: string[][] = [];
    const seen: [string, number, string | null, number][] = [];
    const text = (bytes: Uint8Array | null | undefined): string | null => (bytes === null || bytes === undefined ? null : Buffer.from(bytes).toString());
    const echo = (name: string): PartitionAssignor => ({
      name: 'echo',
      assign: (counts, subs) => RangeAssignor.assign(counts, subs),
      subscriptionUserData: () => Buffer.from(`from-${name}`),
      assignmentUserData: (assignment, subs) => {
        leaderSaw.push([...subs.values()].map((s) => text(s.userData) ?? 'none').sort());
        return new Map([...assignment].map(([m, parts]) => [m, Buffer.from(`to-${parts.length}`)]));
      },
      onAssignment: (assignment, generation) => {
        seen.push([name, assignment.partitions.length, text(assignment.userData), events.filter((e) => e.member === name && e.kind === 'assigned').length]);
        expect(generation).toBeGreaterThan(0);
      },
    });
    const a = member('a', { assignors: [echo('a')] });
    const b = member('b', { assignors: [echo('b')] });
    await activate(a, b);
    expect(leaderSaw).toEqual([['from-a', 'from-b']]);
    expect(seen.sort()).toEqual([
      ['a', 6, 'to-6', 0],
      ['b', 6, 'to-6', 0],
    ]);
  });

  it('the broker coordinator satisfies GroupCoordinatorClient', () => {
    const client: GroupCoordinatorClient = gc;
    expect(typeof client.joinGroup).toBe('function');
  });
});
