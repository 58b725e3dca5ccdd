import type { Broker, FetchPartition } from '../../broker/broker.js';
import { FetchedRecords } from '../decode-fetched.js';
import { StreamsError } from '../../errors.js';
import { topicPartitionKey, type ConsumerBatch, type TopicPartition } from '../../record.js';
import { RangeAssignor, RoundRobinAssignor } from '../assignors.js';
import type {
  CommittedOffsetInfo,
  Consumer,
  ConsumerConfig,
  ConsumerGroupMetadata,
  ConsumerRecords,
  IsolationLevel,
  OffsetToCommit,
} from '../consumer.js';
import { GroupMembership, type RebalanceListener } from '../group-membership.js';
import { keepAlive } from '../../util/keep-alive.js';

interface PartitionState {
  readonly tp: TopicPartition;
  /** Next offset to return; null until initialised from the committed offset or the reset policy. */
  position: number | null;
  isPaused: boolean;
  /** Fetched records not yet returned (a poll returned fewer than were fetched), decoded as they are taken. */
  fetched: FetchedRecords | null;
  /** The offset after the fetched bytes: the position once they are all returned (skips trailing control batches). */
  fetchedNextOffset: number;
  /** The end offset (high watermark; last stable offset under read_committed) of the last fetch answer; -1 before. */
  endOffset: number;
}

const EMPTY_RECORDS: ConsumerRecords = Object.freeze({ count: 0, batches: Object.freeze([]) as readonly ConsumerBatch[] });

/**
 * The consumer over an embedded broker. Long polls wait on the broker's append notifications (no busy loop);
 * each batch's CRC32C is verified before its records are returned (CORRUPT_RECORD otherwise, never bad data).
 * Under read_committed it fetches up to the last stable offset and skips aborted transactions' batches.
 */
export class InProcessConsumer implements Consumer {
  readonly #broker: Broker;
  readonly #config: ConsumerConfig;
  readonly #states = new Map<string, PartitionState>();
  #membership: GroupMembership | null = null;
  #mode: 'none' | 'assign' | 'subscribe' = 'none';
  #lastAutoCommitMs: number;
  #closed = false;
  readonly #isolationLevel: IsolationLevel;

  constructor(broker: Broker, config: ConsumerConfig = {}) {
    this.#broker = broker;
    this.#config = config;
    this.#lastAutoCommitMs = broker.clock.nowMs();
    const level = config.isolationLevel ?? 'read_uncommitted';
    if (level !== 'read_uncommitted' && level !== 'read_committed') {
      throw new StreamsError('INVALID_CONFIG', `isolationLevel must be 'read_uncommitted' or 'read_committed', got ${String(level)}`);
    }
    this.#isolationLevel = level;
  }

  subscribe(topics: readonly string[], listener?: RebalanceListener): void {
    this.#assertOpen();
    const groupId = this.#config.groupId;
    if (groupId === undefined) throw new StreamsError('ILLEGAL_STATE', 'subscribe() needs a groupId in the consumer config');
    if (this.#mode === 'assign') throw new StreamsError('ILLEGAL_STATE', 'subscribe() after assign(): unsubscribe first');
    if (topics.length === 0) throw new StreamsError('ILLEGAL_STATE', 'subscribe() needs at least one topic');
    for (const t of topics) this.#broker.describeTopic(t);
    this.#membership?.close();
    this.#mode = 'subscribe';
    const broker = this.#broker;
    this.#membership = new GroupMembership({
      coordinator: broker.groups,
      groupId,
      clientId: this.#config.clientId ?? 'consumer',
      topics,
      // The leader assigns for every member's topics, not only this consumer's.
      partitionsPerTopic: (ts) => new Map(ts.filter((t) => broker.hasTopic(t)).map((t) => [t, broker.describeTopic(t).numPartitions])),
      assignors: this.#config.assignors ?? [RangeAssignor, RoundRobinAssignor],
      sessionTimeoutMs: this.#config.sessionTimeoutMs ?? 45_000,
      rebalanceTimeoutMs: this.#config.maxPollIntervalMs ?? 300_000,
      heartbeatIntervalMs: this.#config.heartbeatIntervalMs ?? 3_000,
      listener: {
        onPartitionsRevoked: async (parts) => {
          if (this.#config.enableAutoCommit === true) await this.commit();
          await listener?.onPartitionsRevoked?.(parts);
          for (const tp of parts) this.#states.delete(topicPartitionKey(tp.topic, tp.partition));
        },
        onPartitionsAssigned: async (parts) => {
          for (const tp of parts) this.#track(tp);
          await listener?.onPartitionsAssigned?.(parts);
        },
        onPartitionsLost: async (parts) => {
          await listener?.onPartitionsLost?.(parts);
          for (const tp of parts) this.#states.delete(topicPartitionKey(tp.topic, tp.partition));
        },
      },
      timers: broker.timers,
      clock: broker.clock,
      logger: broker.logger,
    });
  }

  assign(partitions: readonly TopicPartition[]): void {
    this.#assertOpen();
    if (this.#mode === 'subscribe') throw new StreamsError('ILLEGAL_STATE', 'assign() after subscribe(): unsubscribe first');
    for (const tp of partitions) this.#broker.partitionLog(tp.topic, tp.partition);
    this.#mode = partitions.length === 0 ? 'none' : 'assign';
    const keep = new Set(partitions.map((tp) => topicPartitionKey(tp.topic, tp.partition)));
    for (const k of [...this.#states.keys()]) if (!keep.has(k)) this.#states.delete(k);
    for (const tp of partitions) this.#track(tp);
  }

  #track(tp: TopicPartition): void {
    const k = topicPartitionKey(tp.topic, tp.partition);
    if (!this.#states.has(k)) {
      this.#states.set(k, { tp: { topic: tp.topic, partition: tp.partition }, position: null, isPaused: false, fetched: null, fetchedNextOffset: -1, endOffset: -1 });
    }
  }

  unsubscribe(): Promise<void> {
    return keepAlive(this.#unsubscribe());
  }

  async #unsubscribe(): Promise<void> {
    if (this.#membership !== null) {
      await this.#membership.leave();
      this.#membership.close();
      this.#membership = null;
    }
    this.#states.clear();
    this.#mode = 'none';
  }

  assignment(): TopicPartition[] {
    return [...this.#states.values()].map((s) => s.tp);
  }

  poll(options: { readonly maxRecords?: number; readonly maxWaitMs?: number } = {}): Promise<ConsumerRecords> {
    return keepAlive(this.#poll(options));
  }

  async #poll(options: { readonly maxRecords?: number; readonly maxWaitMs?: number }): Promise<ConsumerRecords> {
    this.#assertOpen();
    const maxRecords = options.maxRecords ?? this.#config.maxPollRecords ?? 500;
    const maxWaitMs = options.maxWaitMs ?? 500;
    if (this.#membership !== null) await this.#membership.ensureActive();
    await this.#maybeAutoCommit();
    await this.#initPositions(maxWaitMs);

    const out: ConsumerBatch[] = [];
    let count = this.#drainBuffers(out, maxRecords);
    if (count > 0) return { count, batches: out };

    const requests: FetchPartition[] = [];
    const maxPartitionBytes = this.#config.maxPartitionFetchBytes ?? 1_048_576;
    for (const s of this.#states.values()) {
      if (!s.isPaused && s.position !== null) requests.push({ topic: s.tp.topic, partition: s.tp.partition, offset: s.position, maxBytes: maxPartitionBytes });
    }
    if (requests.length === 0) {
      // Nothing to fetch (no assignment yet, or every partition paused). Returning at once would let a poll loop run
      // on microtasks alone and starve timers (heartbeats, rebalances): wait a little, on a real timer (a test's
      // virtual clock may not be advancing), as Kafka's poll waits out its timeout.
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(maxWaitMs, 10)));
      return EMPTY_RECORDS;
    }
    const fetched = await this.#broker.fetch(requests, {
      maxWaitMs,
      maxBytes: this.#config.fetchMaxBytes ?? 52_428_800,
      isolationLevel: this.#isolationLevel,
    });
    if (this.#closed || this.#membership?.needsRejoin === true) return EMPTY_RECORDS;
    const checkCrcs = this.#config.checkCrcs ?? true;
    for (const f of fetched) {
      const s = this.#states.get(topicPartitionKey(f.topic, f.partition));
      if (s === undefined || s.position === null || s.isPaused) continue;
      if (f.error !== undefined) {
        if (f.error.code === 'OFFSET_OUT_OF_RANGE') {
          await this.#reset(s, f.error);
          continue;
        }
        throw f.error;
      }
      s.endOffset = this.#isolationLevel === 'read_committed' ? f.lastStableOffset : f.highWatermark;
      if (f.bytes.length === 0) {
        s.position = Math.max(s.position, f.nextOffset);
        continue;
      }
      s.fetched = new FetchedRecords(f.topic, f.partition, f.bytes, s.position, checkCrcs, f.abortedTransactions ?? null);
      s.fetchedNextOffset = f.nextOffset;
    }
    count = this.#drainBuffers(out, maxRecords);
    return count === 0 ? EMPTY_RECORDS : { count, batches: out };
  }

  #drainBuffers(out: ConsumerBatch[], maxRecords: number): number {
    // A partition whose last poll stopped before a corrupt batch fails this poll first, so the error surfaces on the
    // poll after the good records (as Kafka's fetcher), however much the other partitions have to give.
    for (const s of this.#states.values()) if (!s.isPaused && s.fetched?.isBlocked === true) s.fetched.take(1, true);
    let count = 0;
    for (const s of this.#states.values()) {
      if (count >= maxRecords) break;
      const fetched = s.fetched;
      if (s.isPaused || fetched === null) continue;
      // A corrupt batch throws only when nothing was taken before it in this poll: records already taken are
      // returned first, and the next poll meets the batch again.
      const records = fetched.take(maxRecords - count, count === 0);
      if (records.length > 0) {
        s.position = records[records.length - 1]!.offset + 1;
        out.push({ topic: s.tp.topic, partition: s.tp.partition, records });
        count += records.length;
      }
      if (fetched.isDone) {
        s.position = Math.max(s.position!, s.fetchedNextOffset);
        s.fetched = null;
      }
    }
    return count;
  }

  /**
   * Positions of newly assigned partitions: the committed offset, else the reset policy. Under read_committed the
   * committed offsets are read stably (KIP-447): a partition whose offset a transaction still holds waits up to
   * `maxWaitMs` and, if still pending, keeps no position (not fetched) until a later poll.
   */
  async #initPositions(maxWaitMs: number): Promise<void> {
    let missing = [...this.#states.values()].filter((s) => s.position === null);
    if (missing.length === 0) return;
    const groupId = this.#config.groupId;
    const groups = this.#broker.groups;
    if (groupId !== undefined && this.#isolationLevel === 'read_committed') {
      const stable = groups.whenOffsetsStable(groupId, missing.map((s) => s.tp));
      if (stable !== null && maxWaitMs > 0) await this.#waitAtMost(stable, maxWaitMs);
      missing = missing.filter((s) => s.position === null && this.#states.get(topicPartitionKey(s.tp.topic, s.tp.partition)) === s);
      missing = missing.filter((s) => !groups.hasPendingTransactionalOffset(groupId, s.tp));
      if (missing.length === 0) return;
    }
    const committed = groupId === undefined ? new Map() : groups.fetchOffsets(groupId, missing.map((s) => s.tp));
    for (const s of missing) {
      const c = committed.get(topicPartitionKey(s.tp.topic, s.tp.partition));
      const log = this.#broker.partitionLog(s.tp.topic, s.tp.partition);
      if (c !== undefined && c.offset >= log.logStartOffset && c.offset <= log.logEndOffset) s.position = c.offset;
      else await this.#reset(s, null);
    }
  }

  async #reset(s: PartitionState, cause: StreamsError | null): Promise<void> {
    const policy = this.#config.autoOffsetReset ?? 'latest';
    if (policy === 'none') {
      throw new StreamsError('OFFSET_OUT_OF_RANGE', `no valid offset for ${s.tp.topic}-${s.tp.partition} and autoOffsetReset is 'none'`, {
        topic: s.tp.topic,
        partition: s.tp.partition,
        ...(cause === null ? {} : { cause }),
      });
    }
    s.position = this.#broker.listOffset(s.tp.topic, s.tp.partition, policy, this.#isolationLevel);
    s.fetched = null;
    if (cause !== null) this.#broker.logger.info({ topic: s.tp.topic, partition: s.tp.partition, position: s.position, policy }, 'offset out of range; reset');
  }

  async #maybeAutoCommit(): Promise<void> {
    if (this.#config.enableAutoCommit !== true || this.#config.groupId === undefined) return;
    const now = this.#broker.clock.nowMs();
    if (now - this.#lastAutoCommitMs < (this.#config.autoCommitIntervalMs ?? 5_000)) return;
    this.#lastAutoCommitMs = now;
    await this.commit();
  }

  seek(partition: TopicPartition, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new StreamsError('OFFSET_OUT_OF_RANGE', `cannot seek ${partition.topic}-${partition.partition} to ${offset}`, { ...partition, offset });
    }
    const s = this.#require(partition);
    s.position = offset;
    s.fetched = null;
  }

  async seekToBeginning(partitions: readonly TopicPartition[]): Promise<void> {
    for (const tp of partitions) this.seek(tp, this.#broker.listOffset(tp.topic, tp.partition, 'earliest'));
  }

  async seekToEnd(partitions: readonly TopicPartition[]): Promise<void> {
    for (const tp of partitions) this.seek(tp, this.#broker.listOffset(tp.topic, tp.partition, 'latest', this.#isolationLevel));
  }

  async endOffsets(partitions: readonly TopicPartition[]): Promise<(TopicPartition & { readonly offset: number })[]> {
    return partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: this.#broker.listOffset(tp.topic, tp.partition, 'latest', this.#isolationLevel) }));
  }

  currentLag(partition: TopicPartition): number | null {
    const s = this.#states.get(topicPartitionKey(partition.topic, partition.partition));
    if (s === undefined || s.position === null || s.endOffset < 0) return null;
    return Math.max(0, s.endOffset - s.position);
  }

  async position(partition: TopicPartition): Promise<number> {
    const s = this.#require(partition);
    while (s.position === null) {
      await this.#initPositions(Number.POSITIVE_INFINITY);
      if (this.#states.get(topicPartitionKey(partition.topic, partition.partition)) !== s) return this.position(partition);
    }
    return s.position;
  }

  /** Resolves when `p` does or after `ms`, whichever comes first (broker timers, so tests drive it). */
  async #waitAtMost(p: Promise<void>, ms: number): Promise<void> {
    if (ms === Number.POSITIVE_INFINITY) return p;
    const timers = this.#broker.timers;
    await new Promise<void>((resolve) => {
      const t = timers.setTimeout(resolve, ms, true);
      void p.then(() => {
        timers.clearTimeout(t);
        resolve();
      });
    });
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#require(tp).isPaused = true;
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#require(tp).isPaused = false;
  }

  paused(): TopicPartition[] {
    return [...this.#states.values()].filter((s) => s.isPaused).map((s) => s.tp);
  }

  #require(tp: TopicPartition): PartitionState {
    const s = this.#states.get(topicPartitionKey(tp.topic, tp.partition));
    if (s === undefined) throw new StreamsError('ILLEGAL_STATE', `${tp.topic}-${tp.partition} is not assigned to this consumer`, tp);
    return s;
  }

  commit(offsets?: readonly OffsetToCommit[]): Promise<void> {
    return keepAlive(this.#commit(offsets));
  }

  async #commit(offsets?: readonly OffsetToCommit[]): Promise<void> {
    this.#assertOpen();
    const groupId = this.#config.groupId;
    if (groupId === undefined) throw new StreamsError('ILLEGAL_STATE', 'commit() needs a groupId in the consumer config');
    const list: readonly OffsetToCommit[] =
      offsets ??
      [...this.#states.values()].filter((s) => s.position !== null).map((s) => ({ topic: s.tp.topic, partition: s.tp.partition, offset: s.position! }));
    if (list.length === 0) return;
    const ctx = this.#membership?.commitContext() ?? null;
    if (this.#membership !== null && ctx === null) {
      throw new StreamsError('REBALANCE_IN_PROGRESS', `cannot commit for group ${groupId} before this member has joined a generation; poll first`);
    }
    await this.#broker.groups.commitOffsets({
      groupId,
      ...(ctx === null ? { generationId: -1 } : { memberId: ctx.memberId, generationId: ctx.generationId }),
      offsets: list.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' })),
    });
  }

  async committed(partitions: readonly TopicPartition[]): Promise<(CommittedOffsetInfo | null)[]> {
    const groupId = this.#config.groupId;
    if (groupId === undefined) throw new StreamsError('ILLEGAL_STATE', 'committed() needs a groupId in the consumer config');
    if (this.#isolationLevel === 'read_committed') {
      const stable = this.#broker.groups.whenOffsetsStable(groupId, partitions);
      if (stable !== null) await stable;
    }
    const m = this.#broker.groups.fetchOffsets(groupId, partitions);
    return partitions.map((tp) => {
      const c = m.get(topicPartitionKey(tp.topic, tp.partition));
      return c === undefined ? null : { topic: tp.topic, partition: tp.partition, offset: c.offset, metadata: c.metadata };
    });
  }

  groupMetadata(): ConsumerGroupMetadata | null {
    const ctx = this.#membership?.commitContext() ?? null;
    if (ctx === null || this.#config.groupId === undefined) return null;
    return { groupId: this.#config.groupId, memberId: ctx.memberId, generationId: ctx.generationId };
  }

  /** Test hook: stop heartbeating without leaving, as a crashed process would. */
  simulateCrash(): void {
    this.#membership?.simulateCrash();
    this.#closed = true;
  }

  close(): Promise<void> {
    return keepAlive(this.#close());
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    if (this.#membership !== null) {
      try {
        if (this.#config.enableAutoCommit === true) await this.commit();
        await this.#membership.leave();
      } finally {
        this.#membership.close();
      }
    }
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StreamsError('CLOSED', 'the consumer is closed');
  }
}
