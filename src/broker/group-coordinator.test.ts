import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isStreamsError, type StreamsErrorCode } from '../errors.js';
import { ManualClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { systemTimers } from '../util/timers.js';
import { type CommittedOffset, GroupCoordinator, type GroupCoordinatorOptions, type JoinGroupRequest, type JoinGroupResult, type OffsetStore } from './group-coordinator.js';

const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

let clock: ManualClock;
let persisted: { groupId: string; commits: readonly CommittedOffset[] }[];
let gc: GroupCoordinator;

function coordinator(options: Partial<GroupCoordinatorOptions> = {}): GroupCoordinator {
  const store: OffsetStore = {
    persist: (groupId, commits) => {
      persisted.push({ groupId, commits });
      return Promise.resolve();
    },
  };
  gc = new GroupCoordinator({ clock, timers: systemTimers, logger: silentLogger(), offsetStore: store, minSessionTimeoutMs: 1_000, ...options });
  return gc;
}

function join(memberId = '', overrides: Partial<JoinGroupRequest> = {}): Promise<JoinGroupResult> {
  return gc.joinGroup({
    groupId: 'g',
    memberId,
    clientId: 'client',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: enc('sub') }],
    ...overrides,
  });
}

/** Settles a promise without awaiting it, so a test can see whether it is still pending. */
function track<T>(p: Promise<T>): { readonly settled: boolean; readonly value: T | undefined; readonly error: unknown } {
  const state = { settled: false, value: undefined as T | undefined, error: undefined as unknown };
  p.then(
    (v) => Object.assign(state, { settled: true, value: v }),
    (e: unknown) => Object.assign(state, { settled: true, error: e }),
  );
  return state;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: StreamsErrorCode): Promise<void> {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e: unknown) {
    error = e;
  }
  expect(isStreamsError(error) ? error.code : error).toBe(code);
}

/** Joins `n` new members at once and completes the rebalance with assignments `m<i>` for member i. */
async function stableGroup(n: number): Promise<JoinGroupResult[]> {
  const joins = Array.from({ length: n }, () => join());
  await vi.advanceTimersByTimeAsync(0);
  const results = await Promise.all(joins);
  await syncAll(results);
  return results;
}

async function syncAll(results: readonly JoinGroupResult[]): Promise<string[]> {
  const leader = results.find((r) => r.memberId === r.leaderId);
  if (leader === undefined) throw new Error('no leader');
  const assignments = leader.members.map((m, i) => ({ memberId: m.memberId, assignment: enc(`a${i}`) }));
  const syncs = results.map((r) =>
    gc.syncGroup({ groupId: 'g', memberId: r.memberId, generationId: r.generationId, assignments: r === leader ? assignments : [] }),
  );
  return (await Promise.all(syncs)).map((s) => dec(s.assignment));
}

beforeEach(() => {
  vi.useFakeTimers();
  clock = new ManualClock(1_000);
  persisted = [];
  coordinator();
});

afterEach(() => {
  gc.close();
  vi.useRealTimers();
});

describe('join and sync', () => {
  it('a single member joins, leads, and gets its assignment', async () => {
    const p = join();
    expect(gc.describeGroup('g').state).toBe('PreparingRebalance');
    await vi.advanceTimersByTimeAsync(0);
    const r = await p;
    expect(r.memberId).toMatch(/^client-[0-9a-f-]{36}$/);
    expect(r).toMatchObject({ generationId: 1, leaderId: r.memberId, protocolName: 'range', protocolType: 'consumer', skipAssignment: false });
    expect(r.members.map((m) => [m.memberId, dec(m.metadata)])).toEqual([[r.memberId, 'sub']]);
    expect(gc.describeGroup('g').state).toBe('CompletingRebalance');
    const s = await gc.syncGroup({ groupId: 'g', memberId: r.memberId, generationId: 1, assignments: [{ memberId: r.memberId, assignment: enc('mine') }] });
    expect(dec(s.assignment)).toBe('mine');
    expect(gc.describeGroup('g')).toMatchObject({ state: 'Stable', generationId: 1, protocol: 'range', leaderId: r.memberId });
  });

  it('three members joining at once form one generation; only the leader sees the members', async () => {
    const results = await stableGroup(3);
    expect(new Set(results.map((r) => r.generationId))).toEqual(new Set([1]));
    const leaderId = results[0]?.memberId;
    expect(results.every((r) => r.leaderId === leaderId)).toBe(true);
    expect(results.map((r) => r.members.length)).toEqual([3, 0, 0]);
    const d = gc.describeGroup('g');
    expect(d.state).toBe('Stable');
    expect(d.members.map((m) => dec(m.assignment))).toEqual(['a0', 'a1', 'a2']);
  });

  it('followers wait for the leader’s sync; members it left out get empty bytes', async () => {
    const joins = [join(), join()];
    await vi.advanceTimersByTimeAsync(0);
    const [leader, follower] = (await Promise.all(joins)) as [JoinGroupResult, JoinGroupResult];
    const followerSync = track(gc.syncGroup({ groupId: 'g', memberId: follower.memberId, generationId: 1, assignments: [] }));
    await vi.advanceTimersByTimeAsync(0);
    expect(followerSync.settled).toBe(false);
    await gc.syncGroup({ groupId: 'g', memberId: leader.memberId, generationId: 1, assignments: [{ memberId: leader.memberId, assignment: enc('x') }] });
    await vi.advanceTimersByTimeAsync(0);
    expect(followerSync.settled).toBe(true);
    expect(followerSync.value?.assignment.length).toBe(0);
  });

  it('a sync in Stable returns the stored assignment; a follower rejoining unchanged gets the current generation', async () => {
    const [, follower] = (await stableGroup(2)) as [JoinGroupResult, JoinGroupResult];
    const again = await join(follower.memberId);
    expect(again).toMatchObject({ generationId: 1, memberId: follower.memberId, members: [] });
    expect(gc.describeGroup('g').state).toBe('Stable');
    const s = await gc.syncGroup({ groupId: 'g', memberId: follower.memberId, generationId: 1, assignments: [] });
    expect(dec(s.assignment)).toBe('a1');
  });

  it('the leader rejoining a stable group starts a rebalance and stays leader', async () => {
    const [leader, follower] = (await stableGroup(2)) as [JoinGroupResult, JoinGroupResult];
    const lj = join(leader.memberId);
    expect(gc.describeGroup('g').state).toBe('PreparingRebalance');
    const fj = join(follower.memberId);
    const [l2, f2] = await Promise.all([lj, fj]);
    expect(l2).toMatchObject({ generationId: 2, leaderId: leader.memberId });
    expect(l2.members).toHaveLength(2);
    expect(f2.members).toHaveLength(0);
  });

  it('chooses the protocol with the most first-choice votes among those all support; ties follow the leader', async () => {
    const p = (...names: string[]) => ({ protocols: names.map((name) => ({ name, metadata: enc(name) })) });
    const joins = [join('', p('range', 'roundrobin')), join('', p('roundrobin', 'range')), join('', p('roundrobin', 'range'))];
    await vi.advanceTimersByTimeAsync(0);
    const results = await Promise.all(joins);
    expect(results.map((r) => r.protocolName)).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
    expect(results[0]?.members.map((m) => dec(m.metadata))).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);

    coordinator();
    const tie = [join('', p('range', 'roundrobin')), join('', p('roundrobin', 'range'))];
    await vi.advanceTimersByTimeAsync(0);
    expect((await Promise.all(tie)).map((r) => r.protocolName)).toEqual(['range', 'range']);
  });

  it('refuses a member sharing no protocol, or of another protocol type', async () => {
    await stableGroup(1);
    await expectCode(join('', { protocols: [{ name: 'sticky', metadata: enc('') }] }), 'INCONSISTENT_GROUP_PROTOCOL');
    await expectCode(join('', { protocolType: 'connect' }), 'INCONSISTENT_GROUP_PROTOCOL');
    await expectCode(join('', { protocols: [] }), 'INCONSISTENT_GROUP_PROTOCOL');
  });

  it('refuses session timeouts outside the configured range', async () => {
    await expectCode(join('', { sessionTimeoutMs: 10 }), 'INVALID_CONFIG');
  });

  it('the initial rebalance delay waits for more joiners, extending while they come', async () => {
    coordinator({ initialRebalanceDelayMs: 3_000 });
    const first = track(join());
    await vi.advanceTimersByTimeAsync(2_000);
    const second = track(join());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(first.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(first.settled && second.settled).toBe(true);
    expect(first.value?.generationId).toBe(1);
    expect(second.value?.generationId).toBe(1);
    expect(first.value?.members).toHaveLength(2);
  });
});

describe('membership changes', () => {
  it('a member leaving starts a rebalance; the others rejoin into generation + 1', async () => {
    const [a, b, c] = (await stableGroup(3)) as [JoinGroupResult, JoinGroupResult, JoinGroupResult];
    gc.leaveGroup({ groupId: 'g', memberId: c.memberId });
    expect(gc.describeGroup('g').state).toBe('PreparingRebalance');
    await expectCode(() => gc.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 }), 'REBALANCE_IN_PROGRESS');
    const [a2, b2] = await Promise.all([join(a.memberId), join(b.memberId)]);
    expect(a2).toMatchObject({ generationId: 2, leaderId: a.memberId });
    expect(a2.members.map((m) => m.memberId)).toEqual([a.memberId, b.memberId]);
    expect(b2.generationId).toBe(2);
    await expectCode(() => gc.heartbeat({ groupId: 'g', memberId: c.memberId, generationId: 1 }), 'UNKNOWN_MEMBER_ID');
  });

  it('the last member leaving empties the group', async () => {
    const [a] = (await stableGroup(1)) as [JoinGroupResult];
    gc.leaveGroup({ groupId: 'g', memberId: a.memberId });
    expect(gc.describeGroup('g')).toMatchObject({ state: 'Empty', generationId: 2, members: [] });
    expect(gc.listGroups()).toEqual([{ groupId: 'g', state: 'Empty', protocolType: 'consumer' }]);
  });

  it('a member that stops heartbeating is removed after its session timeout; heartbeats keep the others', async () => {
    const [a, b] = (await stableGroup(2)) as [JoinGroupResult, JoinGroupResult];
    for (let t = 0; t < 3; t++) {
      await vi.advanceTimersByTimeAsync(3_000);
      gc.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 });
    }
    expect(gc.describeGroup('g').members).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(gc.describeGroup('g').members.map((m) => m.memberId)).toEqual([a.memberId]);
    expect(gc.describeGroup('g').state).toBe('PreparingRebalance');
    await expectCode(() => gc.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 }), 'UNKNOWN_MEMBER_ID');
    const a2 = await join(a.memberId);
    expect(a2).toMatchObject({ generationId: 2, leaderId: a.memberId });
  });

  it('the rebalance timeout drops members that do not rejoin, even if they heartbeat', async () => {
    const [a, b] = (await stableGroup(2)) as [JoinGroupResult, JoinGroupResult];
    const newcomer = track(join());
    const aRejoin = track(join(a.memberId));
    for (let t = 0; t < 10; t++) {
      await vi.advanceTimersByTimeAsync(2_900);
      await expectCode(() => gc.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 }), 'REBALANCE_IN_PROGRESS');
    }
    expect(aRejoin.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(aRejoin.value).toMatchObject({ generationId: 2, leaderId: a.memberId });
    expect(aRejoin.value?.members.map((m) => m.memberId)).toEqual([a.memberId, newcomer.value?.memberId]);
    await expectCode(() => gc.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 }), 'UNKNOWN_MEMBER_ID');
  });

  it('a leader that heartbeats but never syncs is removed after the rebalance timeout; the followers are told to rejoin', async () => {
    // 25 s, so the pending-sync timeout does not coincide with a session deadline (every 10 s)
    const joins = [join('', { rebalanceTimeoutMs: 25_000 }), join('', { rebalanceTimeoutMs: 25_000 })];
    await vi.advanceTimersByTimeAsync(0);
    const [leader, follower] = (await Promise.all(joins)) as [JoinGroupResult, JoinGroupResult];
    const sync = track(gc.syncGroup({ groupId: 'g', memberId: follower.memberId, generationId: 1, assignments: [] }));
    for (let t = 0; t < 8; t++) {
      await vi.advanceTimersByTimeAsync(3_000);
      gc.heartbeat({ groupId: 'g', memberId: leader.memberId, generationId: 1 });
    }
    expect(sync.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(isStreamsError(sync.error, 'REBALANCE_IN_PROGRESS')).toBe(true);
    expect(gc.describeGroup('g')).toMatchObject({ state: 'PreparingRebalance', members: [{ memberId: follower.memberId }] });
  });

  it('a new member joining during CompletingRebalance fails pending syncs with REBALANCE_IN_PROGRESS', async () => {
    const joins = [join(), join()];
    await vi.advanceTimersByTimeAsync(0);
    const [, follower] = (await Promise.all(joins)) as [JoinGroupResult, JoinGroupResult];
    const sync = track(gc.syncGroup({ groupId: 'g', memberId: follower.memberId, generationId: 1, assignments: [] }));
    void join().catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(isStreamsError(sync.error, 'REBALANCE_IN_PROGRESS')).toBe(true);
  });
});

describe('errors', () => {
  it('stale generations and unknown members are refused', async () => {
    const [a, b] = (await stableGroup(2)) as [JoinGroupResult, JoinGroupResult];
    gc.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 });
    await expectCode(() => gc.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 0 }), 'ILLEGAL_GENERATION');
    await expectCode(() => gc.heartbeat({ groupId: 'g', memberId: 'nobody', generationId: 1 }), 'UNKNOWN_MEMBER_ID');
    await expectCode(() => gc.heartbeat({ groupId: 'other', memberId: a.memberId, generationId: 1 }), 'UNKNOWN_MEMBER_ID');
    await expectCode(gc.syncGroup({ groupId: 'g', memberId: b.memberId, generationId: 7, assignments: [] }), 'ILLEGAL_GENERATION');
    await expectCode(join('nobody'), 'UNKNOWN_MEMBER_ID');
    await expectCode(() => gc.leaveGroup({ groupId: 'g', memberId: 'nobody' }), 'UNKNOWN_MEMBER_ID');
  });

  it('heartbeats are fine while CompletingRebalance', async () => {
    const p = join();
    await vi.advanceTimersByTimeAsync(0);
    const r = await p;
    expect(() => gc.heartbeat({ groupId: 'g', memberId: r.memberId, generationId: 1 })).not.toThrow();
  });

  it('close rejects pending joins and later calls with CLOSED', async () => {
    await stableGroup(1);
    const pending = track(join());
    gc.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(isStreamsError(pending.error, 'CLOSED')).toBe(true);
    await expectCode(join(), 'CLOSED');
    await expectCode(gc.commitOffsets({ groupId: 'g', offsets: [] }), 'CLOSED');
  });
});

describe('offsets', () => {
  const offsets = [{ topic: 't', partition: 0, offset: 5 }];

  it('commits with the current generation are accepted in Stable and PreparingRebalance, refused when stale or CompletingRebalance', async () => {
    const [a, b] = (await stableGroup(2)) as [JoinGroupResult, JoinGroupResult];
    await gc.commitOffsets({ groupId: 'g', memberId: a.memberId, generationId: 1, offsets });
    await expectCode(gc.commitOffsets({ groupId: 'g', memberId: a.memberId, generationId: 0, offsets }), 'ILLEGAL_GENERATION');
    await expectCode(gc.commitOffsets({ groupId: 'g', memberId: 'nobody', generationId: 1, offsets }), 'UNKNOWN_MEMBER_ID');
    await expectCode(gc.commitOffsets({ groupId: 'g', offsets }), 'UNKNOWN_MEMBER_ID'); // standalone while members exist
    const aj = join(a.memberId); // PreparingRebalance: members commit while revoking
    await gc.commitOffsets({ groupId: 'g', memberId: b.memberId, generationId: 1, offsets: [{ topic: 't', partition: 1, offset: 9 }] });
    const bj = join(b.memberId);
    await Promise.all([aj, bj]); // CompletingRebalance, generation 2
    await expectCode(gc.commitOffsets({ groupId: 'g', memberId: b.memberId, generationId: 1, offsets }), 'ILLEGAL_GENERATION');
    await expectCode(gc.commitOffsets({ groupId: 'g', memberId: b.memberId, generationId: 2, offsets }), 'REBALANCE_IN_PROGRESS');
    expect(persisted).toHaveLength(2);
    expect([...gc.fetchOffsets('g').values()].map((c) => [c.partition, c.offset])).toEqual([
      [0, 5],
      [1, 9],
    ]);
  });

  it('standalone commits are accepted for a group without members and create it', async () => {
    await gc.commitOffsets({ groupId: 'solo', generationId: -1, offsets: [{ topic: 't', partition: 3, offset: 7, metadata: 'm', leaderEpoch: 2 }] });
    expect(gc.fetchOffsets('solo').get('t-3')).toEqual({ topic: 't', partition: 3, offset: 7, metadata: 'm', commitTimestampMs: 1_000, leaderEpoch: 2 });
    expect(gc.describeGroup('solo').state).toBe('Empty');
    await expectCode(gc.commitOffsets({ groupId: 'nope', memberId: 'm', generationId: 3, offsets }), 'ILLEGAL_GENERATION');
  });

  it('a commit resolves, and becomes visible, only once the store has persisted it', async () => {
    const pending: { resolve: () => void; reject: (e: unknown) => void; commits: readonly CommittedOffset[] }[] = [];
    coordinator({
      offsetStore: {
        persist: (_g, commits) => new Promise<void>((resolve, reject) => pending.push({ resolve, reject, commits })),
      },
    });
    const first = track(gc.commitOffsets({ groupId: 'g', offsets: [{ topic: 't', partition: 0, offset: 1 }] }));
    clock.advance(10);
    const second = track(gc.commitOffsets({ groupId: 'g', offsets: [{ topic: 't', partition: 0, offset: 2 }] }));
    await vi.advanceTimersByTimeAsync(0);
    expect(first.settled || second.settled).toBe(false);
    expect(gc.fetchOffsets('g').size).toBe(0);
    pending[1]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(second.settled && !first.settled).toBe(true);
    expect(gc.fetchOffsets('g').get('t-0')?.offset).toBe(2);
    pending[0]?.resolve(); // the older commit finishing late must not win
    await vi.advanceTimersByTimeAsync(0);
    expect(first.settled).toBe(true);
    expect(gc.fetchOffsets('g').get('t-0')).toMatchObject({ offset: 2, commitTimestampMs: 1_010 });

    const failed = track(gc.commitOffsets({ groupId: 'g', offsets: [{ topic: 't', partition: 0, offset: 3 }] }));
    pending[2]?.reject(new Error('disk full'));
    await vi.advanceTimersByTimeAsync(0);
    expect(isStreamsError(failed.error, 'STORAGE_FAILED')).toBe(true);
    expect(gc.fetchOffsets('g').get('t-0')?.offset).toBe(2);
  });

  it('loads offsets from the log and fetches all or some of them', () => {
    gc.loadOffsets('g', [
      { topic: 't', partition: 0, offset: 1, metadata: '', commitTimestampMs: 1 },
      { topic: 't', partition: 1, offset: 4, metadata: '', commitTimestampMs: 1 },
      { topic: 't', partition: 0, offset: 3, metadata: '', commitTimestampMs: 2 },
    ]);
    expect(persisted).toHaveLength(0);
    expect(gc.fetchOffsets('g').get('t-0')?.offset).toBe(3);
    expect([...gc.fetchOffsets('g', [{ topic: 't', partition: 1 }, { topic: 't', partition: 9 }]).keys()]).toEqual(['t-1']);
    expect(gc.fetchOffsets('unknown').size).toBe(0);
  });

  it('deletes only an empty group, with its offsets', async () => {
    const deleted: string[] = [];
    coordinator({ offsetStore: { persist: () => Promise.resolve(), deleteGroup: (g, parts) => (deleted.push(`${g}:${parts.length}`), Promise.resolve()) } });
    const [a] = (await stableGroup(1)) as [JoinGroupResult];
    await gc.commitOffsets({ groupId: 'g', memberId: a.memberId, generationId: 1, offsets });
    await expectCode(gc.deleteGroup('g'), 'ILLEGAL_STATE');
    gc.leaveGroup({ groupId: 'g', memberId: a.memberId });
    await gc.deleteGroup('g');
    expect(deleted).toEqual(['g:1']);
    expect(gc.describeGroup('g').state).toBe('Dead');
    expect(gc.fetchOffsets('g').size).toBe(0);
    expect(gc.listGroups()).toEqual([]);
  });
});

describe('static members', () => {
  it('a static member coming back with a new member id takes its old place without a rebalance', async () => {
    const joins = [join('', { groupInstanceId: 'i1' }), join()];
    await vi.advanceTimersByTimeAsync(0);
    const results = (await Promise.all(joins)) as [JoinGroupResult, JoinGroupResult];
    await syncAll(results);
    const [old] = results;
    const back = await join('', { groupInstanceId: 'i1' });
    expect(back.memberId).not.toBe(old.memberId);
    expect(back).toMatchObject({ generationId: 1, leaderId: back.memberId, skipAssignment: true });
    expect(gc.describeGroup('g').state).toBe('Stable');
    const s = await gc.syncGroup({ groupId: 'g', memberId: back.memberId, groupInstanceId: 'i1', generationId: 1, assignments: [] });
    expect(dec(s.assignment)).toBe('a0');
    await expectCode(() => gc.heartbeat({ groupId: 'g', memberId: old.memberId, groupInstanceId: 'i1', generationId: 1 }), 'FENCED_INSTANCE_ID');
  });

  it('a static member that does not rejoin stays in the group (unlike a dynamic one) while its session lasts', async () => {
    const joins = [join('', { groupInstanceId: 'i1' }), join()];
    await vi.advanceTimersByTimeAsync(0);
    const [s1, d1] = (await Promise.all(joins)) as [JoinGroupResult, JoinGroupResult];
    await syncAll([s1, d1]);
    const rejoin = track(join(d1.memberId, { protocols: [{ name: 'range', metadata: enc('changed') }] }));
    for (let t = 0; t < 11; t++) {
      await vi.advanceTimersByTimeAsync(2_900);
      try {
        gc.heartbeat({ groupId: 'g', memberId: s1.memberId, groupInstanceId: 'i1', generationId: 1 });
      } catch {
        // REBALANCE_IN_PROGRESS (still a heartbeat) until the rebalance completes, ILLEGAL_GENERATION after
      }
    }
    expect(rejoin.value).toMatchObject({ generationId: 2, leaderId: d1.memberId });
    expect(rejoin.value?.members.map((m) => m.groupInstanceId ?? m.memberId)).toEqual(['i1', d1.memberId]);
    expect(gc.describeGroup('g').members.map((m) => m.groupInstanceId ?? m.memberId)).toEqual(['i1', d1.memberId]);
    await expectCode(() => gc.heartbeat({ groupId: 'g', memberId: s1.memberId, groupInstanceId: 'i1', generationId: 1 }), 'ILLEGAL_GENERATION');
  });
});
