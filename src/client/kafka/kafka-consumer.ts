import { isStreamsError, StreamsError } from '../../errors.js';
import type { ConsumerBatch, TopicPartition } from '../../record.js';
import { keepAlive } from '../../util/keep-alive.js';
import type { CommittedOffsetInfo, Consumer, ConsumerConfig, ConsumerGroupMetadata, ConsumerRecords, OffsetToCommit } from '../consumer.js';
import { decodeSubscription } from '../consumer-protocol.js';
import { ConsumerState, EMPTY_RECORDS } from '../consumer-state.js';
import type { GroupCoordinatorClient, RebalanceListener } from '../group-membership.js';
import type { KafkaCluster } from './cluster.js';
import { KafkaFetcher, type FetchPartitionState } from './kafka-fetcher.js';
import { KafkaGroupCoordinatorClient } from './kafka-group-client.js';

/** Kafka's fetch.max.wait.ms: the longest a fetch parks on the broker, so a rebalance or a seek is never long delayed. */
const FETCH_MAX_WAIT_MS = 500;
const EARLIEST = -2;
const LATEST = -1;

function newPartitionState(tp: TopicPartition): FetchPartitionState {
  return { tp, position: null, isPaused: false, fetched: null, fetchedNextOffset: -1, isFetching: false, resetCause: null, endOffset: -1 };
}

/**
 * The consumer over Kafka's wire protocol, with the in-process consumer's semantics: `assign` or `subscribe` with a
 * group ({@link GroupMembership} over {@link KafkaGroupCoordinatorClient}), positions from committed offsets or
 * autoOffsetReset (ListOffsets), long-poll Fetch (v11 at most) grouped by leader, one fetch in flight per broker;
 * under read_committed aborted transactions' batches are skipped; every batch's CRC32C is verified before its
 * records are returned (CORRUPT_RECORD, never bad data).
 *
 * While the application processes what a poll returned, the next fetch is already in flight for the partitions whose
 * records were all returned (Kafka's fetcher does the same); a partition with fetched records left is not fetched
 * again, so at most one fetch response per partition is held. Fetches and group requests use this consumer's own
 * connections, so a parked fetch or JoinGroup never delays another client's requests.
 *
 * A lost broker makes poll throw a retriable NETWORK_FAILED once its wait is over and nothing could be returned;
 * the next poll connects again. What does not depend on the transport (positions, pause, seek, assign/subscribe,
 * commits) is {@link ConsumerState}, shared with the in-process consumer.
 *
 * @example
 * ```ts
 * const consumer = new KafkaConsumer(cluster, { groupId: 'app', autoOffsetReset: 'earliest' });
 * consumer.subscribe(['lines']);
 * const polled = await consumer.poll({ maxRecords: 1000, maxWaitMs: 100 });
 * await consumer.commit();
 * await consumer.close();
 * ```
 */
export class KafkaConsumer implements Consumer {
  readonly #cluster: KafkaCluster;
  readonly #state: ConsumerState<FetchPartitionState>;
  readonly #fetcher: KafkaFetcher;
  readonly #groups: KafkaGroupCoordinatorClient;
  /** Partition counts of the topics the group leader assigns, loaded after JoinGroup (assignors are synchronous). */
  readonly #partitionCounts = new Map<string, number>();
  #topicsToCheck: readonly string[] | null = null;

  constructor(cluster: KafkaCluster, config: ConsumerConfig = {}) {
    this.#cluster = cluster;
    const groups = new KafkaGroupCoordinatorClient(cluster);
    this.#groups = groups;
    const state = new ConsumerState(config, { clock: cluster.clock, newState: newPartitionState, commitOffsets: (req) => groups.commitOffsets(req) });
    this.#state = state;
    this.#fetcher = new KafkaFetcher(cluster, {
      isolationLevel: state.isolationLevel,
      maxPartitionFetchBytes: config.maxPartitionFetchBytes ?? 1_048_576,
      fetchMaxBytes: config.fetchMaxBytes ?? 52_428_800,
      checkCrcs: config.checkCrcs ?? true,
      isCurrent: (s) => state.isCurrent(s),
    });
  }

  subscribe(topics: readonly string[], listener?: RebalanceListener): void {
    const state = this.#state;
    const groupId = state.checkSubscribe(topics);
    this.#topicsToCheck = [...topics];
    const groups = this.#groups;
    const coordinator: GroupCoordinatorClient = {
      joinGroup: async (req) => {
        const join = await groups.joinGroup(req);
        if (join.leaderId === join.memberId && !join.skipAssignment) await this.#loadPartitionCounts(join.members);
        return join;
      },
      syncGroup: (req) => groups.syncGroup(req),
      heartbeat: (req) => groups.heartbeat(req),
      leaveGroup: (req) => groups.leaveGroup(req),
    };
    const counts = this.#partitionCounts;
    state.subscribe(groupId, topics, listener, {
      coordinator,
      defaultClientId: this.#cluster.clientId,
      // The leader assigns for every member's topics, not only this consumer's.
      partitionsPerTopic: (ts) => new Map(ts.filter((t) => counts.has(t)).map((t) => [t, counts.get(t)!])),
      timers: this.#cluster.timers,
      logger: this.#cluster.logger,
    });
  }

  /** The leader's assignor needs partition counts synchronously: load them (fresh metadata) before it runs. */
  async #loadPartitionCounts(members: readonly { readonly metadata: Uint8Array }[]): Promise<void> {
    const topics = new Set<string>();
    for (const m of members) for (const t of decodeSubscription(m.metadata).topics) topics.add(t);
    await this.#cluster.refreshMetadata([...topics]);
    for (const t of topics) {
      try {
        this.#partitionCounts.set(t, await this.#cluster.partitionCount(t));
      } catch (e: unknown) {
        if (!isStreamsError(e, 'UNKNOWN_TOPIC_OR_PARTITION')) throw e;
        this.#partitionCounts.delete(t);
      }
    }
  }

  /** Partitions are checked against the cluster's metadata by the next poll (assign itself cannot wait for it). */
  assign(partitions: readonly TopicPartition[]): void {
    this.#state.checkAssign();
    this.#state.assign(partitions);
  }

  unsubscribe(): Promise<void> {
    return keepAlive(this.#unsubscribe());
  }

  async #unsubscribe(): Promise<void> {
    await this.#state.unsubscribe();
    this.#topicsToCheck = null;
  }

  assignment(): TopicPartition[] {
    return this.#state.assignment();
  }

  poll(options: { readonly maxRecords?: number; readonly maxWaitMs?: number } = {}): Promise<ConsumerRecords> {
    return keepAlive(this.#poll(options));
  }

  async #poll(options: { readonly maxRecords?: number; readonly maxWaitMs?: number }): Promise<ConsumerRecords> {
    const state = this.#state;
    state.assertOpen();
    const { maxRecords, maxWaitMs } = state.pollLimits(options);
    if (this.#topicsToCheck !== null) {
      await this.#cluster.refreshMetadata(this.#topicsToCheck);
      for (const t of this.#topicsToCheck) await this.#cluster.partitionCount(t);
      this.#topicsToCheck = null;
    }
    await state.beforePoll();
    const fetcher = this.#fetcher;
    fetcher.throwFatal();
    await this.#initPositions(maxWaitMs);

    const out: ConsumerBatch[] = [];
    let count = state.drain(out, maxRecords);
    if (count > 0) return this.#returning(out, count);

    fetcher.clearTransientError();
    const timers = this.#cluster.timers;
    const deadlineMs = this.#cluster.clock.nowMs() + maxWaitMs;
    let isTimedOut = maxWaitMs <= 0;
    const timer = isTimedOut
      ? null
      : timers.setTimeout(() => {
          isTimedOut = true;
          fetcher.wake();
        }, maxWaitMs, true);
    const owned = new Set<number>();
    try {
      for (let isFirst = true; ; isFirst = false) {
        // Once the wait is over nothing new is sent (a poll with maxWaitMs 0 sends one round of fetches).
        if (fetcher.transientError === null && (isFirst || !isTimedOut)) {
          const remainingMs = isTimedOut ? 0 : Math.max(0, deadlineMs - this.#cluster.clock.nowMs());
          for (const node of await fetcher.send(state.states.values(), Math.min(remainingMs, FETCH_MAX_WAIT_MS))) owned.add(node);
        }
        fetcher.throwFatal();
        // Fetches may have come back during the awaits above (a metadata refresh is real I/O).
        count = state.drain(out, maxRecords);
        if (count > 0) return this.#returning(out, count);
        if (fetcher.inFlightCount === 0 && fetcher.transientError === null) {
          // Nothing to fetch (no assignment yet, every partition paused). Returning at once would let a poll loop
          // run on microtasks alone and starve timers (heartbeats): wait a little on a real timer, as in-process.
          await new Promise<void>((resolve) => setTimeout(resolve, Math.min(maxWaitMs, 10)));
          return EMPTY_RECORDS;
        }
        let isOwnInFlight = false;
        for (const node of owned) if (fetcher.isInFlight(node)) isOwnInFlight = true;
        if (isTimedOut && !isOwnInFlight) break;
        await fetcher.next();
        if (state.isInterrupted) return EMPTY_RECORDS;
      }
    } finally {
      if (timer !== null) timers.clearTimeout(timer);
    }
    const transient = fetcher.transientError;
    fetcher.clearTransientError();
    if (transient !== null) throw transient;
    return EMPTY_RECORDS;
  }

  /**
   * Returns a poll's records, first sending the next fetch for the partitions they emptied (prefetch). It does not
   * park on the broker: a parked fetch would hold back, until it returns, the fetch a seek, a resume or a new
   * assignment needs (one fetch per broker at a time); the next poll long-polls instead when there was nothing.
   */
  #returning(out: ConsumerBatch[], count: number): ConsumerRecords {
    if (!this.#state.isInterrupted) void this.#fetcher.send(this.#state.states.values(), 0);
    return { count, batches: out };
  }

  /**
   * Positions of newly assigned partitions: the committed offset, else the reset policy; a partition the broker
   * answered OFFSET_OUT_OF_RANGE for is reset by the policy. Under read_committed a committed offset a transaction
   * still holds (reported unstable) keeps the partition without a position, unfetched, until a later poll.
   */
  async #initPositions(maxWaitMs: number): Promise<void> {
    const state = this.#state;
    const missing = [...state.states.values()].filter((s) => s.position === null);
    if (missing.length === 0) return;
    const toReset = missing.filter((s) => s.resetCause !== null);
    const fresh = missing.filter((s) => s.resetCause === null);
    const groupId = state.config.groupId;
    if (fresh.length > 0 && groupId !== undefined) {
      const isCommitted = state.isolationLevel === 'read_committed';
      const committed = await this.#groups.fetchOffsets(groupId, fresh.map((s) => s.tp), { requireStable: isCommitted });
      let isUnstable = false;
      for (let i = 0; i < fresh.length; i++) {
        const s = fresh[i]!;
        const c = committed[i]!;
        if (!state.isCurrent(s) || s.position !== null) continue;
        if (c.isUnstable) isUnstable = true;
        else if (c.offset >= 0) s.position = c.offset;
        else toReset.push(s);
      }
      if (isUnstable && maxWaitMs > 0) await this.#sleep(Math.min(maxWaitMs, 100));
    } else {
      toReset.push(...fresh);
    }
    if (toReset.length > 0) await this.#reset(toReset);
  }

  async #reset(states: readonly FetchPartitionState[]): Promise<void> {
    const policy = this.#state.config.autoOffsetReset ?? 'latest';
    if (policy === 'none') {
      const s = states[0]!;
      throw new StreamsError('OFFSET_OUT_OF_RANGE', `no valid offset for ${s.tp.topic}-${s.tp.partition} and autoOffsetReset is 'none'`, {
        topic: s.tp.topic,
        partition: s.tp.partition,
        ...(s.resetCause === null ? {} : { cause: s.resetCause }),
      });
    }
    const offsets = await this.#fetcher.listOffsets(states.map((s) => s.tp), policy === 'earliest' ? EARLIEST : LATEST);
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      if (!this.#state.isCurrent(s)) continue;
      s.position = offsets[i]!;
      s.fetched = null;
      if (s.resetCause !== null) this.#cluster.logger.info({ topic: s.tp.topic, partition: s.tp.partition, position: s.position, policy }, 'offset out of range; reset');
      s.resetCause = null;
    }
  }

  seek(partition: TopicPartition, offset: number): void {
    this.#state.seek(partition, offset).resetCause = null;
  }

  seekToBeginning(partitions: readonly TopicPartition[]): Promise<void> {
    return keepAlive(this.#seekTo(partitions, EARLIEST));
  }

  seekToEnd(partitions: readonly TopicPartition[]): Promise<void> {
    return keepAlive(this.#seekTo(partitions, LATEST));
  }

  async #seekTo(partitions: readonly TopicPartition[], timestamp: number): Promise<void> {
    for (const tp of partitions) this.#state.require(tp);
    const offsets = await this.#fetcher.listOffsets(partitions, timestamp);
    for (let i = 0; i < partitions.length; i++) this.seek(partitions[i]!, offsets[i]!);
  }

  async endOffsets(partitions: readonly TopicPartition[]): Promise<(TopicPartition & { readonly offset: number })[]> {
    const offsets = await keepAlive(this.#fetcher.listOffsets(partitions, LATEST));
    return partitions.map((tp, i) => ({ topic: tp.topic, partition: tp.partition, offset: offsets[i]! }));
  }

  currentLag(partition: TopicPartition): number | null {
    return this.#state.currentLag(partition);
  }

  position(partition: TopicPartition): Promise<number> {
    return this.#state.position(partition, () => keepAlive(this.#initPositions(Number.POSITIVE_INFINITY)));
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.#state.pause(partitions);
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.#state.resume(partitions);
  }

  paused(): TopicPartition[] {
    return this.#state.paused();
  }

  commit(offsets?: readonly OffsetToCommit[]): Promise<void> {
    return this.#state.commit(offsets);
  }

  committed(partitions: readonly TopicPartition[]): Promise<(CommittedOffsetInfo | null)[]> {
    return keepAlive(this.#committed(partitions));
  }

  async #committed(partitions: readonly TopicPartition[]): Promise<(CommittedOffsetInfo | null)[]> {
    const groupId = this.#state.groupId('committed()');
    const requireStable = this.#state.isolationLevel === 'read_committed';
    for (let attempt = 0; ; attempt++) {
      const found = await this.#groups.fetchOffsets(groupId, partitions, { requireStable });
      // Under read_committed, wait while a transaction holds a pending offset (KIP-447), as in-process does.
      if (found.some((c) => c.isUnstable)) {
        await this.#sleep(this.#cluster.backoffMs(attempt));
        continue;
      }
      return found.map((c) => (c.offset < 0 ? null : { topic: c.topic, partition: c.partition, offset: c.offset, metadata: c.metadata }));
    }
  }

  groupMetadata(): ConsumerGroupMetadata | null {
    return this.#state.groupMetadata();
  }

  /** Test hook: stop heartbeating and drop the connections without leaving, as a crashed process would. */
  simulateCrash(): void {
    this.#state.simulateCrash();
    void this.#fetcher.close();
    void this.#groups.close();
  }

  close(): Promise<void> {
    return keepAlive(this.#close());
  }

  async #close(): Promise<void> {
    if (this.#state.isClosed) return;
    try {
      await this.#state.close();
    } finally {
      await Promise.all([this.#fetcher.close(), this.#groups.close()]);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#cluster.timers.setTimeout(resolve, ms, true));
  }
}
