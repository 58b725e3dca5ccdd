import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualTimers } from '../../../test/helpers/broker-test-doubles.js';
import { ApiKey, type ApiKeyNumber } from '../../protocol/api-keys.js';
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse, type RequestBodies, type ResponseBodies } from '../../protocol/codec.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import { ManualClock } from '../../util/clock.js';
import { silentLogger } from '../../util/logger.js';
import { Broker } from '../broker.js';
import { encodeBatch } from '../record-batch.js';
import { coordinatorHandlers } from './coordinator-handlers.js';
import type { ApiHandler, RequestContext } from './handler.js';

const E = KafkaErrorCode;
let dir: string;
let broker: Broker;
let timers: ManualTimers;
const clock = new ManualClock(1_700_000_000_000);

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-coordinator-'));
  timers = new ManualTimers();
  broker = await Broker.open({ dataDir: dir, clock, timers, logger: silentLogger(), maintenanceIntervalMs: 0, transactionAbortTimedOutIntervalMs: 0, offsetsTopicPartitions: 2, transactionStateTopicPartitions: 1 });
  broker.createTopic('t', 2);
  broker.createTopic('out', 2);
});

afterEach(async () => {
  await broker.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function context(apiVersion: number, signal: AbortSignal): RequestContext {
  return {
    broker,
    apiVersion,
    clientId: 'test-client',
    peer: '127.0.0.1:50000',
    logger: silentLogger(),
    nodeId: 0,
    advertisedHost: '127.0.0.1',
    advertisedPort: 9092,
    signal,
    principal: 'User:ANONYMOUS',
  };
}

/**
 * Serves one request as the server would: the body is encoded and decoded at `version` (so the handler sees the
 * codec's defaults), and the response goes through the codec too (so it must fit that version's schema).
 */
async function call<K extends ApiKeyNumber>(key: K, version: number, body: RequestBodies[K], signal = new AbortController().signal): Promise<ResponseBodies[K]> {
  const request = Buffer.concat(encodeRequest(key, version, 7, 'test-client', body)).subarray(4);
  const header = decodeRequestHeader(request);
  const decoded = decodeRequestBody(key, version, request, header.bodyOffset);
  const handler = coordinatorHandlers[key] as ApiHandler<K> | undefined;
  if (handler === undefined) throw new Error(`no handler for api ${key}`);
  const response = await handler(context(version, signal), decoded);
  const frame = Buffer.concat(encodeResponse(key, version, 7, response)).subarray(4);
  return decodeResponse(key, version, frame).body;
}

const join = (groupId: string, memberId: string, metadata: string, version = 5, signal?: AbortSignal) =>
  call(
    ApiKey.JoinGroup,
    version,
    {
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from(metadata) }],
    },
    signal,
  );

const sync = (groupId: string, memberId: string, generationId: number, assignments: Record<string, string> = {}) =>
  call(ApiKey.SyncGroup, 3, {
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    assignments: Object.entries(assignments).map(([m, a]) => ({ memberId: m, assignment: Buffer.from(a) })),
  });

const heartbeat = (groupId: string, memberId: string, generationId: number) =>
  call(ApiKey.Heartbeat, 3, { groupId, generationId, memberId, groupInstanceId: null });

/** Two members in group `g`, Stable at generation 2, `a` leading; `a` got 'p0' and `b` got 'p1'. */
async function twoMembers(): Promise<{ a: string; b: string }> {
  const first = join('g', '', 'meta-a');
  timers.advance(0); // the initial rebalance delay (0 ms) of an empty group
  const a1 = await first;
  expect(a1).toMatchObject({ errorCode: E.NONE, generationId: 1, leader: a1.memberId, protocolName: 'range' });
  const a = a1.memberId!;
  expect((await sync('g', a, 1, { [a]: 'all' })).assignment).toEqual(Buffer.from('all'));

  const joinB = join('g', '', 'meta-b');
  // a learns of the rebalance from its heartbeat, then rejoins
  expect((await heartbeat('g', a, 1)).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
  const [a2, b2] = await Promise.all([join('g', a, 'meta-a'), joinB]);
  const b = b2.memberId!;
  expect(a2).toMatchObject({ errorCode: E.NONE, generationId: 2, leader: a, memberId: a });
  expect(b2).toMatchObject({ errorCode: E.NONE, generationId: 2, leader: a, memberId: b, members: [] });
  const leaderView = new Map(a2.members!.map((m) => [m.memberId, m.metadata!.toString()]));
  expect(leaderView).toEqual(new Map([[a, 'meta-a'], [b, 'meta-b']]));

  const followerSync = sync('g', b, 2); // waits for the leader's assignment
  const leaderSync = await sync('g', a, 2, { [a]: 'p0', [b]: 'p1' });
  expect(leaderSync).toMatchObject({ errorCode: E.NONE, assignment: Buffer.from('p0') });
  expect(await followerSync).toMatchObject({ errorCode: E.NONE, assignment: Buffer.from('p1') });
  return { a, b };
}

describe('FindCoordinator', () => {
  it('names this node for groups and transactions, refuses an unknown key type', async () => {
    expect(await call(ApiKey.FindCoordinator, 0, { key: 'g' })).toMatchObject({ errorCode: 0, nodeId: 0, host: '127.0.0.1', port: 9092 });
    expect(await call(ApiKey.FindCoordinator, 2, { key: 'tx', keyType: 1 })).toMatchObject({ errorCode: 0, errorMessage: null, nodeId: 0, port: 9092 });
    expect(await call(ApiKey.FindCoordinator, 1, { key: 'x', keyType: 7 })).toMatchObject({ errorCode: E.INVALID_REQUEST, nodeId: -1 });
  });
});

describe('group membership', () => {
  it('joins and syncs two members with the leader assignment, heartbeats and describes them', async () => {
    const { a, b } = await twoMembers();
    expect((await heartbeat('g', a, 2)).errorCode).toBe(E.NONE);
    expect((await heartbeat('g', b, 2)).errorCode).toBe(E.NONE);
    expect((await heartbeat('g', b, 1)).errorCode).toBe(E.ILLEGAL_GENERATION);
    expect((await heartbeat('g', 'ghost', 2)).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await sync('g', b, 1)).errorCode).toBe(E.ILLEGAL_GENERATION);

    const described = await call(ApiKey.DescribeGroups, 4, { groups: ['g', 'nobody'], includeAuthorizedOperations: true });
    const [g, nobody] = described.groups!;
    expect(g).toMatchObject({ errorCode: 0, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', authorizedOperations: 328 });
    const members = new Map(g!.members!.map((m) => [m.memberId, [m.clientId, m.memberMetadata!.toString(), m.memberAssignment!.toString()]]));
    expect(members).toEqual(new Map([[a, ['test-client', 'meta-a', 'p0']], [b, ['test-client', 'meta-b', 'p1']]]));
    expect(nobody).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });

    const listed = await call(ApiKey.ListGroups, 2, {});
    expect(listed.errorCode).toBe(0);
    expect(listed.groups!.map((g) => [g.groupId, g.protocolType])).toContainEqual(['g', 'consumer']);
    const stable = await call(ApiKey.ListGroups, 4, { statesFilter: ['STABLE'] });
    expect(stable.groups!.map((g) => [g.groupId, g.groupState])).toEqual([['g', 'Stable']]);
    expect((await call(ApiKey.ListGroups, 4, { statesFilter: ['Empty'] })).groups).toEqual([]);
  });

  it('answers join errors with codes: empty group id, session timeout, protocol mismatch', async () => {
    expect((await call(ApiKey.JoinGroup, 0, { groupId: '', sessionTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [] })).errorCode).toBe(E.INVALID_GROUP_ID);
    const tooShort = await call(ApiKey.JoinGroup, 1, {
      groupId: 'g',
      sessionTimeoutMs: 100,
      rebalanceTimeoutMs: 1_000,
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
    expect(tooShort).toMatchObject({ errorCode: E.INVALID_SESSION_TIMEOUT, generationId: -1, memberId: '' });
    await twoMembers();
    const other = await call(ApiKey.JoinGroup, 5, {
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'connect',
      protocols: [{ name: 'sessioned', metadata: Buffer.alloc(0) }],
    });
    expect(other.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await heartbeat('', 'x', 1)).errorCode).toBe(E.INVALID_GROUP_ID);
  });

  it('answers a parked join with NOT_COORDINATOR when its connection closes', async () => {
    const { a } = await twoMembers();
    const closing = new AbortController();
    const parked = join('g', '', 'meta-c', 5, closing.signal); // waits for a and b to rejoin
    expect((await heartbeat('g', a, 2)).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    closing.abort();
    expect((await parked).errorCode).toBe(E.NOT_COORDINATOR);
  });

  it('lets a static leader rejoin a stable group under a new member id without a rebalance', async () => {
    const staticJoin = (memberId: string) =>
      call(ApiKey.JoinGroup, 5, {
        groupId: 's',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 30_000,
        memberId,
        groupInstanceId: 'instance-1',
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from('meta') }],
      });
    const first = staticJoin('');
    timers.advance(0);
    const j1 = await first;
    expect(j1).toMatchObject({ errorCode: 0, generationId: 1, leader: j1.memberId });
    const s1 = await call(ApiKey.SyncGroup, 3, { groupId: 's', generationId: 1, memberId: j1.memberId, groupInstanceId: 'instance-1', assignments: [{ memberId: j1.memberId, assignment: Buffer.from('mine') }] });
    expect(s1.assignment).toEqual(Buffer.from('mine'));

    const j2 = await staticJoin(''); // restarted: same instance id, no member id; answered at once
    expect(j2).toMatchObject({ errorCode: 0, generationId: 1, members: [] });
    expect(j2.memberId).not.toBe(j1.memberId);
    expect(j2.leader).not.toBe(j2.memberId); // a follower below v9: it must not reassign
    const s2 = await call(ApiKey.SyncGroup, 3, { groupId: 's', generationId: 1, memberId: j2.memberId, groupInstanceId: 'instance-1', assignments: [] });
    expect(s2).toMatchObject({ errorCode: 0, assignment: Buffer.from('mine') });
    expect((await call(ApiKey.Heartbeat, 3, { groupId: 's', generationId: 1, memberId: j1.memberId, groupInstanceId: 'instance-1' })).errorCode).toBe(E.FENCED_INSTANCE_ID); // the replaced instance is fenced, as Kafka
  });

  it('leaves with v3 batched members (per-member errors) and v1 single members', async () => {
    const { a, b } = await twoMembers();
    const left = await call(ApiKey.LeaveGroup, 3, {
      groupId: 'g',
      members: [
        { memberId: a, groupInstanceId: null },
        { memberId: 'ghost', groupInstanceId: null },
        { memberId: b, groupInstanceId: null },
      ],
    });
    expect(left.errorCode).toBe(E.NONE);
    expect(left.members).toEqual([
      { memberId: a, groupInstanceId: null, errorCode: E.NONE },
      { memberId: 'ghost', groupInstanceId: null, errorCode: E.UNKNOWN_MEMBER_ID },
      { memberId: b, groupInstanceId: null, errorCode: E.NONE },
    ]);
    expect((await call(ApiKey.DescribeGroups, 0, { groups: ['g'] })).groups![0]).toMatchObject({ groupState: 'Empty', members: [] });
    expect((await call(ApiKey.LeaveGroup, 1, { groupId: 'g', memberId: a })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(await call(ApiKey.LeaveGroup, 3, { groupId: '', members: [{ memberId: a, groupInstanceId: null }] })).toMatchObject({ errorCode: E.INVALID_GROUP_ID, members: [] });
  });
});

describe('offsets', () => {
  const commit = (groupId: string, generationId: number, memberId: string, offsets: [string, number, number, string | null][], version = 2) =>
    call(ApiKey.OffsetCommit, version, {
      groupId,
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [...new Set(offsets.map((o) => o[0]))].map((name) => ({
        name,
        partitions: offsets.filter((o) => o[0] === name).map(([, p, offset, meta]) => ({ partitionIndex: p, committedOffset: offset, committedLeaderEpoch: 5, committedMetadata: meta })),
      })),
    });
  const codes = (r: ResponseBodies[typeof ApiKey.OffsetCommit]) => r.topics.map((t) => t.partitions.map((p) => p.errorCode));

  it('commits outside a group with per-partition errors and fetches in the v1 and v5 shapes', async () => {
    const r = await commit('solo', -1, '', [['t', 0, 10, 'm0'], ['t', 1, 20, null], ['t', 9, 1, null], ['nope', 0, 1, null]]);
    expect(codes(r)).toEqual([[0, 0, E.UNKNOWN_TOPIC_OR_PARTITION], [E.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(codes(await commit('solo', -1, '', [['t', 0, 11, 'x'.repeat(4097)]]))).toEqual([[12]]); // OFFSET_METADATA_TOO_LARGE
    expect(codes(await commit('solo', -1, '', [['t', 0, 12, 'm0']], 7))).toEqual([[0]]);

    const v1 = await call(ApiKey.OffsetFetch, 1, { groupId: 'solo', topics: [{ name: 't', partitionIndexes: [0, 1, 5] }] });
    expect(v1.topics).toEqual([
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, committedOffset: 12, committedLeaderEpoch: -1, metadata: 'm0', errorCode: 0 }, // no epoch field in v1
          { partitionIndex: 1, committedOffset: 20, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          { partitionIndex: 5, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
    ]);
    const v5 = await call(ApiKey.OffsetFetch, 5, { groupId: 'solo', topics: null });
    expect(v5.errorCode).toBe(0);
    expect(v5.topics).toHaveLength(1);
    expect(v5.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch]).sort()).toEqual([
      [0, 12, 5],
      [1, 20, -1], // committed with v2, which has no leader epoch
    ]);
    expect((await call(ApiKey.OffsetFetch, 3, { groupId: 'none', topics: null })).topics).toEqual([]);
  });

  it('checks generation and member inside a group', async () => {
    const { a } = await twoMembers();
    expect(codes(await commit('g', 2, a, [['t', 0, 3, null]], 5))).toEqual([[0]]);
    expect(codes(await commit('g', 1, a, [['t', 0, 4, null]], 5))).toEqual([[E.ILLEGAL_GENERATION]]);
    expect(codes(await commit('g', 2, 'ghost', [['t', 0, 4, null]], 5))).toEqual([[E.UNKNOWN_MEMBER_ID]]);
    expect(codes(await commit('g', -1, '', [['t', 0, 4, null]]))).toEqual([[E.UNKNOWN_MEMBER_ID]]);
    expect(codes(await commit('', -1, '', [['t', 0, 4, null]]))).toEqual([[E.INVALID_GROUP_ID]]);
    const fetched = await call(ApiKey.OffsetFetch, 5, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] });
    expect(fetched.topics[0]!.partitions[0]!.committedOffset).toBe(3);
  });
});

describe('producer ids and transactions', () => {
  type TxnOffsets = Omit<RequestBodies[typeof ApiKey.TxnOffsetCommit], 'topics'>;
  const init = (transactionalId: string | null, transactionTimeoutMs = 60_000) => call(ApiKey.InitProducerId, 1, { transactionalId, transactionTimeoutMs });
  const addPartitions = (id: string, producerId: number, producerEpoch: number, topics: Record<string, number[]>, version = 1) =>
    call(ApiKey.AddPartitionsToTxn, version, {
      v3AndBelowTransactionalId: id,
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: Object.entries(topics).map(([name, partitions]) => ({ name, partitions })),
    });
  const partitionCodes = (r: ResponseBodies[typeof ApiKey.AddPartitionsToTxn]) => r.resultsByTopicV3AndBelow!.map((t) => t.resultsByPartition!.map((p) => [p.partitionIndex, p.partitionErrorCode]));
  const addOffsets = (id: string, producerId: number, producerEpoch: number, groupId: string, version = 1) =>
    call(ApiKey.AddOffsetsToTxn, version, { transactionalId: id, producerId, producerEpoch, groupId });
  const txnCommit = (fields: TxnOffsets, partition: number, offset: number, version = 3) =>
    call(ApiKey.TxnOffsetCommit, version, {
      ...fields,
      topics: [{ name: 't', partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'txn' }] }],
    });
  const txnCommitCode = async (fields: TxnOffsets, partition: number, offset: number, version = 3) =>
    (await txnCommit(fields, partition, offset, version)).topics![0]!.partitions![0]!.errorCode;
  const endTxn = (id: string, producerId: number, producerEpoch: number, committed: boolean, version = 1) =>
    call(ApiKey.EndTxn, version, { transactionalId: id, producerId, producerEpoch, committed });
  const fetchOffset = async (groupId: string, partition: number) =>
    (await call(ApiKey.OffsetFetch, 5, { groupId, topics: [{ name: 't', partitionIndexes: [partition] }] })).topics[0]!.partitions[0]!.committedOffset;
  const produce = (partition: number, producerId: number, producerEpoch: number, value: string) =>
    broker.produce([
      {
        topic: 'out',
        partition,
        batch: encodeBatch([{ key: null, value: Buffer.from(value), timestampMs: clock.nowMs() }], { producerId, producerEpoch, baseSequence: 0, isTransactional: true }),
      },
    ]);

  it('gives idempotent producers distinct ids at epoch 0', async () => {
    const [x, y] = [await init(null), await init(null)];
    expect(x).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(y).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(x.producerId).not.toBe(y.producerId);
    expect((await init('')).errorCode).toBe(E.INVALID_REQUEST);
    expect(await init('tx', 0)).toMatchObject({ errorCode: E.INVALID_TRANSACTION_TIMEOUT, producerId: -1, producerEpoch: -1 });
  });

  it('commits a transaction: partitions, a transactional batch, offsets, then markers, offsets and LSO', async () => {
    const { producerId, producerEpoch, errorCode } = await init('tx');
    expect(errorCode).toBe(0);
    const pid = producerId!;
    const epoch = producerEpoch!;
    expect(partitionCodes(await addPartitions('tx', pid, epoch, { out: [0, 7] }))).toEqual([[[0, OPERATION_NOT_ATTEMPTED], [7, E.UNKNOWN_TOPIC_OR_PARTITION]]]);
    expect(partitionCodes(await addPartitions('tx', pid, epoch, { out: [0] }))).toEqual([[[0, 0]]]);
    await produce(0, pid, epoch, 'in-txn');
    expect(broker.listOffset('out', 0, 'latest')).toBe(1);
    expect(broker.listOffset('out', 0, 'latest', 'read_committed')).toBe(0);

    const fields: TxnOffsets = { transactionalId: 'tx', groupId: 'g-tx', producerId: pid, producerEpoch: epoch, generationId: -1, memberId: '', groupInstanceId: null };
    expect(await txnCommitCode(fields, 0, 5)).toBe(E.INVALID_TXN_STATE); // the group's offsets partition is not in the transaction yet
    expect((await addOffsets('tx', pid, epoch, 'g-tx')).errorCode).toBe(0);
    expect(await txnCommitCode(fields, 0, 5)).toBe(0);
    expect(await txnCommitCode(fields, 9, 5)).toBe(E.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await fetchOffset('g-tx', 0)).toBe(-1); // pending until the commit
    const stable = await call(ApiKey.OffsetFetch, 7, { groupId: 'g-tx', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: true });
    expect(stable.topics[0]!.partitions[0]!.errorCode).toBe(E.UNSTABLE_OFFSET_COMMIT);

    expect((await endTxn('tx', pid, epoch, true)).errorCode).toBe(0);
    expect(await fetchOffset('g-tx', 0)).toBe(5);
    expect(broker.listOffset('out', 0, 'latest')).toBe(2); // the record and the COMMIT marker
    expect(broker.listOffset('out', 0, 'latest', 'read_committed')).toBe(2);
    expect((await endTxn('tx', pid, epoch, true)).errorCode).toBe(0); // a retry succeeds
  });

  it('aborts a transaction: offsets dropped, LSO advanced, the batch listed as aborted', async () => {
    const { producerId, producerEpoch } = await init('tx');
    const [pid, epoch] = [producerId!, producerEpoch!];
    expect(partitionCodes(await addPartitions('tx', pid, epoch, { out: [1] }, 2))).toEqual([[[1, 0]]]);
    await produce(1, pid, epoch, 'doomed');
    expect((await addOffsets('tx', pid, epoch, 'g-tx', 2)).errorCode).toBe(0);
    const fields: TxnOffsets = { transactionalId: 'tx', groupId: 'g-tx', producerId: pid, producerEpoch: epoch };
    expect(await txnCommitCode(fields, 1, 9, 1)).toBe(0);
    expect((await endTxn('tx', pid, epoch, false, 2)).errorCode).toBe(0);
    expect(await fetchOffset('g-tx', 1)).toBe(-1);
    expect(broker.listOffset('out', 1, 'latest', 'read_committed')).toBe(2);
    const [fetched] = await broker.fetch([{ topic: 'out', partition: 1, offset: 0 }], { isolationLevel: 'read_committed', maxWaitMs: 0 });
    expect(fetched!.abortedTransactions).toMatchObject([{ producerId: pid, firstOffset: 0 }]);
    expect((await endTxn('tx', pid, epoch, true)).errorCode).toBe(E.INVALID_TXN_STATE); // committing what was aborted
  });

  it('fences the old epoch: INVALID_PRODUCER_EPOCH for old versions, PRODUCER_FENCED for new ones', async () => {
    const first = await init('tx');
    const [pid, old] = [first.producerId!, first.producerEpoch!];
    expect(partitionCodes(await addPartitions('tx', pid, old, { out: [0] }))).toEqual([[[0, 0]]]);
    const second = await init('tx'); // aborts the open transaction (one bump), then bumps again, as Kafka does
    expect(second).toMatchObject({ errorCode: 0, producerId: pid });
    const current = second.producerEpoch!;
    expect(current).toBeGreaterThan(old);

    expect(partitionCodes(await addPartitions('tx', pid, old, { out: [1] }, 1))).toEqual([[[1, E.INVALID_PRODUCER_EPOCH]]]);
    expect(partitionCodes(await addPartitions('tx', pid, old, { out: [1] }, 2))).toEqual([[[1, E.PRODUCER_FENCED]]]);
    expect((await addOffsets('tx', pid, old, 'g-tx', 0)).errorCode).toBe(E.INVALID_PRODUCER_EPOCH);
    expect((await endTxn('tx', pid, old, true, 1)).errorCode).toBe(E.INVALID_PRODUCER_EPOCH);
    expect((await endTxn('tx', pid, old, true, 2)).errorCode).toBe(E.PRODUCER_FENCED);
    expect(await txnCommitCode({ transactionalId: 'tx', groupId: 'g-tx', producerId: pid, producerEpoch: old }, 0, 1, 1)).toBe(E.INVALID_PRODUCER_EPOCH);
    await expect(produce(0, pid, old, 'zombie')).rejects.toMatchObject({ code: 'PRODUCER_FENCED' });

    expect((await endTxn('tx', pid + 1000, current, true)).errorCode).toBe(E.INVALID_PRODUCER_ID_MAPPING);
    expect((await endTxn('unknown', pid, 0, true)).errorCode).toBe(E.INVALID_PRODUCER_ID_MAPPING);
    expect((await endTxn('tx', pid, current, false)).errorCode).toBe(0); // nothing open: nothing to abort
  });

  it('fences a stale consumer generation in TxnOffsetCommit v3 (KIP-447)', async () => {
    const { a } = await twoMembers();
    const { producerId, producerEpoch } = await init('tx');
    const [pid, epoch] = [producerId!, producerEpoch!];
    expect((await addOffsets('tx', pid, epoch, 'g')).errorCode).toBe(0);
    const base = { transactionalId: 'tx', groupId: 'g', producerId: pid, producerEpoch: epoch, groupInstanceId: null };
    expect(await txnCommitCode({ ...base, generationId: 1, memberId: a }, 0, 7)).toBe(E.ILLEGAL_GENERATION);
    expect(await txnCommitCode({ ...base, generationId: 2, memberId: 'ghost' }, 0, 7)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(await txnCommitCode({ ...base, generationId: 2, memberId: a }, 0, 7)).toBe(0);
    expect((await endTxn('tx', pid, epoch, true)).errorCode).toBe(0);
    expect(await fetchOffset('g', 0)).toBe(7);
  });
});

/** Kafka's OPERATION_NOT_ATTEMPTED. */
const OPERATION_NOT_ATTEMPTED = 55;
