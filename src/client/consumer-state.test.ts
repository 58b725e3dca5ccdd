import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../broker/broker.js';
import { encodeBatch } from '../broker/record-batch.js';
import type { OffsetCommitRequest } from '../broker/group-coordinator.js';
import { errorCodeOf } from '../../test/helpers/error-code.js';
import { StreamsError } from '../errors.js';
import type { ConsumerBatch, TopicPartition } from '../record.js';
import { ManualClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import type { ConsumerConfig } from './consumer.js';
import { ConsumerState, type PartitionState } from './consumer-state.js';
import { FetchedRecords } from './decode-fetched.js';

const tp = (partition: number): TopicPartition => ({ topic: 't', partition });
const newState = (p: TopicPartition): PartitionState => ({ tp: p, position: null, isPaused: false, fetched: null, fetchedNextOffset: -1, endOffset: -1 });

function stateOf(config: ConsumerConfig, commitOffsets: (req: OffsetCommitRequest) => Promise<void> = async () => undefined): ConsumerState<PartitionState> {
  return new ConsumerState(config, { clock: new ManualClock(0), newState, commitOffsets });
}

/** `count` records at offsets base.. with values `v<offset>`. */
function batch(base: number, count: number, isControl = false): Buffer {
  return encodeBatch(
    Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${base + i}`), timestampMs: base + i })),
    { baseOffset: base, isControl },
  );
}

const brokers: Broker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

describe('ConsumerState', () => {
  it('refuses an unknown isolation level', async () => {
    expect(await errorCodeOf(() => stateOf({ isolationLevel: 'read_dirty' as 'read_committed' }))).toBe('INVALID_CONFIG');
    expect(stateOf({}).isolationLevel).toBe('read_uncommitted');
  });

  it('assign and subscribe exclude each other; subscribe needs a group and a topic', async () => {
    expect(await errorCodeOf(() => stateOf({}).checkSubscribe(['t']))).toBe('ILLEGAL_STATE');
    const s = stateOf({ groupId: 'g' });
    expect(await errorCodeOf(() => s.checkSubscribe([]))).toBe('ILLEGAL_STATE');
    s.checkAssign();
    s.assign([tp(0)]);
    expect(await errorCodeOf(() => s.checkSubscribe(['t']))).toBe('ILLEGAL_STATE');
    s.assign([]);
    expect(s.checkSubscribe(['t'])).toBe('g');
  });

  it('a new assignment keeps the state of the partitions it keeps and drops the others', async () => {
    const s = stateOf({});
    s.assign([tp(0), tp(1)]);
    s.seek(tp(0), 5);
    s.assign([tp(2), tp(0)]);
    expect(s.assignment()).toEqual([tp(0), tp(2)]);
    expect(s.get(tp(0))?.position).toBe(5);
    expect(s.get(tp(2))?.position).toBeNull();
    expect(await errorCodeOf(() => s.require(tp(1)))).toBe('ILLEGAL_STATE');
  });

  it('seek, pause, resume and lag act on assigned partitions only', async () => {
    const s = stateOf({});
    s.assign([tp(0), tp(1)]);
    expect(await errorCodeOf(() => s.seek(tp(0), -1))).toBe('OFFSET_OUT_OF_RANGE');
    expect(await errorCodeOf(() => s.seek(tp(9), 1))).toBe('ILLEGAL_STATE');
    expect(await errorCodeOf(() => s.pause([tp(9)]))).toBe('ILLEGAL_STATE');
    const p0 = s.require(tp(0));
    p0.fetched = new FetchedRecords('t', 0, batch(0, 3), 0, true);
    expect(s.seek(tp(0), 4)).toBe(p0);
    expect(p0.fetched).toBeNull();
    s.pause([tp(1)]);
    expect(s.paused()).toEqual([tp(1)]);
    s.resume([tp(1)]);
    expect(s.paused()).toEqual([]);
    expect(s.currentLag(tp(0))).toBeNull(); // no fetch answer yet
    p0.endOffset = 10;
    expect(s.currentLag(tp(0))).toBe(6);
    s.seek(tp(0), 12);
    expect(s.currentLag(tp(0))).toBe(0);
    expect(s.currentLag(tp(9))).toBeNull();
  });

  it('drain hands out fetched records up to maxRecords, skips paused partitions, and steps over trailing control batches', () => {
    const s = stateOf({});
    s.assign([tp(0), tp(1)]);
    const p0 = s.require(tp(0));
    const p1 = s.require(tp(1));
    const control = batch(3, 1, true);
    p0.position = 0;
    p0.fetched = new FetchedRecords('t', 0, Buffer.concat([batch(0, 3), control]), 0, true);
    p0.fetchedNextOffset = 4;
    p1.position = 0;
    p1.fetched = new FetchedRecords('t', 1, batch(0, 2), 0, true);
    p1.fetchedNextOffset = 2;
    const out: ConsumerBatch[] = [];
    expect(s.drain(out, 4)).toBe(4);
    expect(out.map((b) => [b.partition, b.records.map((r) => r.offset)])).toEqual([
      [0, [0, 1, 2]],
      [1, [0]],
    ]);
    expect(p0.position).toBe(4);
    expect(p0.fetched).toBeNull();
    expect(p1.position).toBe(1);
    s.pause([tp(1)]);
    expect(s.drain([], 10)).toBe(0);
    s.resume([tp(1)]);
    const rest: ConsumerBatch[] = [];
    expect(s.drain(rest, 10)).toBe(1);
    expect(rest[0]?.records[0]?.value?.toString()).toBe('v1');
    expect(p1.position).toBe(2);
  });

  it('commits the positions (or the offsets given) for the group; nothing to commit sends nothing', async () => {
    const commits: OffsetCommitRequest[] = [];
    const s = stateOf({ groupId: 'g' }, async (req) => {
      commits.push(req);
    });
    s.assign([tp(0), tp(1)]);
    await s.commit();
    expect(commits).toEqual([]);
    s.seek(tp(1), 7);
    await s.commit();
    await s.commit([{ topic: 'u', partition: 3, offset: 1, metadata: 'm' }]);
    expect(commits).toEqual([
      { groupId: 'g', generationId: -1, offsets: [{ topic: 't', partition: 1, offset: 7, metadata: '' }] },
      { groupId: 'g', generationId: -1, offsets: [{ topic: 'u', partition: 3, offset: 1, metadata: 'm' }] },
    ]);
    expect(await errorCodeOf(stateOf({}).commit([{ topic: 't', partition: 0, offset: 1 }]))).toBe('ILLEGAL_STATE');
  });

  it('position() runs the initialisation until the partition has a position', async () => {
    const s = stateOf({});
    s.assign([tp(0)]);
    let runs = 0;
    const position = await s.position(tp(0), async () => {
      runs++;
      if (runs === 2) s.require(tp(0)).position = 9;
    });
    expect([position, runs]).toEqual([9, 2]);
    expect(await errorCodeOf(s.position(tp(5), async () => undefined))).toBe('ILLEGAL_STATE');
  });

  it('a subscribed consumer joins at the first poll, commits with its generation, and is closed even when its final auto-commit fails', async () => {
    const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupInitialRebalanceDelayMs: 0 });
    brokers.push(broker);
    broker.createTopic('t', 2);
    let isCommitFailing = false;
    const s = new ConsumerState<PartitionState>(
      { groupId: 'g', enableAutoCommit: true },
      {
        clock: broker.clock,
        newState,
        commitOffsets: (req) => (isCommitFailing ? Promise.reject(new StreamsError('COORDINATOR_NOT_AVAILABLE', 'gone')) : broker.groups.commitOffsets(req)),
      },
    );
    const assigned: TopicPartition[][] = [];
    s.subscribe(s.checkSubscribe(['t']), ['t'], { onPartitionsAssigned: (ps) => void assigned.push(ps) }, {
      coordinator: broker.groups,
      defaultClientId: 'test',
      partitionsPerTopic: () => new Map([['t', 2]]),
      timers: broker.timers,
      logger: broker.logger,
    });
    expect(await errorCodeOf(() => s.checkAssign())).toBe('ILLEGAL_STATE');
    expect(await errorCodeOf(s.commit([{ topic: 't', partition: 0, offset: 1 }]))).toBe('REBALANCE_IN_PROGRESS');
    await s.beforePoll();
    expect(assigned).toEqual([[tp(0), tp(1)]]);
    expect(s.assignment()).toEqual([tp(0), tp(1)]);
    const meta = s.groupMetadata();
    expect(meta?.groupId).toBe('g');
    s.seek(tp(1), 3);
    await s.commit();
    expect(broker.groups.fetchOffsets('g').get('t-1')?.offset).toBe(3);
    isCommitFailing = true;
    expect(await errorCodeOf(s.close())).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(s.isClosed).toBe(true);
    expect(await errorCodeOf(() => s.assertOpen())).toBe('CLOSED');
    await s.close(); // once only
  });
});
