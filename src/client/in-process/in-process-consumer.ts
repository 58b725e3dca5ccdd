import type { Broker, FetchPartition } from '../../broker/broker.js';
import { StreamsError } from '../../errors.js';
import { topicPartitionKey, type ConsumerBatch, type TopicPartition } from '../../record.js';
import { keepAlive } from '../../util/keep-alive.js';
import type { CommittedOffsetInfo, Consumer, ConsumerConfig, ConsumerGroupMetadata, ConsumerRecords, OffsetToCommit } from '../consumer.js';
import { ConsumerState, EMPTY_RECORDS, type PartitionState } from '../consumer-state.js';
import { FetchedRecords } from '../decode-fetched.js';
import type { RebalanceListener } from '../group-membership.js';

function newPartitionState(tp: TopicPartition): PartitionState {
  return { tp, position: null, isPaused: false, fetched: null, fetchedNextOffset: -1, endOffset: -1 };
}

/**
 * The consumer over an embedded broker. Long polls wait on the broker's append notifications (no busy loop);
 * each batch's CRC32C is verified before its records are returned (CORRUPT_RECORD otherwise, never bad data).
 * Under read_committed it fetches up to the last stable offset and skips aborted transactions' batches. What does
 * not depend on the broker (positions, pause, seek, assign/subscribe, commits) is {@link ConsumerState}.
 */
export class InProcessConsumer implements Consumer {
  readonly #broker: Broker;
  readonly #state: ConsumerState<PartitionState>;

  constructor(broker: Broker, config: ConsumerConfig = {}) {
    this.#broker = broker;
    this.#state = new ConsumerState(config, { clock: broker.clock, newState: newPartitionState, commitOffsets: (req) => broker.groups.commitOffsets(req) });
  }

  subscribe(topics: readonly string[], listener?: RebalanceListener): void {
    const state = this.#state;
    const groupId = state.checkSubscribe(topics);
    const broker = this.#broker;
    for (const t of topics) broker.describeTopic(t);
    state.subscribe(groupId, topics, listener, {
      coordinator: broker.groups,
      defaultClientId: 'consumer',
      // The leader assigns for every member's topics, not only this consumer's.
      partitionsPerTopic: (ts) => new Map(ts.filter((t) => broker.hasTopic(t)).map((t) => [t, broker.describeTopic(t).numPartitions])),
      timers: broker.timers,
      logger: broker.logger,
    });
  }

  assign(partitions: readonly TopicPartition[]): void {
    this.#state.checkAssign();
    for (const tp of partitions) this.#broker.partitionLog(tp.topic, tp.partition);
    this.#state.assign(partitions);
  }

  unsubscribe(): Promise<void> {
    return keepAlive(this.#state.unsubscribe());
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
    await state.beforePoll();
    await this.#initPositions(maxWaitMs);

    const out: ConsumerBatch[] = [];
    let count = state.drain(out, maxRecords);
    if (count > 0) return { count, batches: out };

    const requests: FetchPartition[] = [];
    const maxPartitionBytes = state.config.maxPartitionFetchBytes ?? 1_048_576;
    for (const s of state.states.values()) {
      if (!s.isPaused && s.position !== null) requests.push({ topic: s.tp.topic, partition: s.tp.partition, offset: s.position, maxBytes: maxPartitionBytes });
    }
    if (requests.length === 0) {
      // Nothing to fetch (no assignment yet, or every partition paused). Returning at once would let a poll loop run
      // on microtasks alone and starve timers (heartbeats, rebalances): wait a little, on a real timer (a test's
      // virtual clock may not be advancing), as Kafka's poll waits out its timeout.
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(maxWaitMs, 10)));
      return EMPTY_RECORDS;
    }
    const isolationLevel = state.isolationLevel;
    const fetched = await this.#broker.fetch(requests, { maxWaitMs, maxBytes: state.config.fetchMaxBytes ?? 52_428_800, isolationLevel });
    if (state.isInterrupted) return EMPTY_RECORDS;
    const checkCrcs = state.config.checkCrcs ?? true;
    for (const f of fetched) {
      const s = state.states.get(topicPartitionKey(f.topic, f.partition));
      if (s === undefined || s.position === null || s.isPaused) continue;
      if (f.error !== undefined) {
        if (f.error.code === 'OFFSET_OUT_OF_RANGE') {
          await this.#reset(s, f.error);
          continue;
        }
        throw f.error;
      }
      s.endOffset = isolationLevel === 'read_committed' ? f.lastStableOffset : f.highWatermark;
      if (f.bytes.length === 0) {
        s.position = Math.max(s.position, f.nextOffset);
        continue;
      }
      s.fetched = new FetchedRecords(f.topic, f.partition, f.bytes, s.position, checkCrcs, f.abortedTransactions ?? null);
      s.fetchedNextOffset = f.nextOffset;
    }
    count = state.drain(out, maxRecords);
    return count === 0 ? EMPTY_RECORDS : { count, batches: out };
  }

  /**
   * Positions of newly assigned partitions: the committed offset, else the reset policy. Under read_committed the
   * committed offsets are read stably (KIP-447): a partition whose offset a transaction still holds waits up to
   * `maxWaitMs` and, if still pending, keeps no position (not fetched) until a later poll.
   */
  async #initPositions(maxWaitMs: number): Promise<void> {
    const state = this.#state;
    let missing = [...state.states.values()].filter((s) => s.position === null);
    if (missing.length === 0) return;
    const groupId = state.config.groupId;
    const groups = this.#broker.groups;
    if (groupId !== undefined && state.isolationLevel === 'read_committed') {
      const stable = groups.whenOffsetsStable(groupId, missing.map((s) => s.tp));
      if (stable !== null && maxWaitMs > 0) await this.#waitAtMost(stable, maxWaitMs);
      missing = missing.filter((s) => s.position === null && state.isCurrent(s));
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
    const policy = this.#state.config.autoOffsetReset ?? 'latest';
    if (policy === 'none') {
      throw new StreamsError('OFFSET_OUT_OF_RANGE', `no valid offset for ${s.tp.topic}-${s.tp.partition} and autoOffsetReset is 'none'`, {
        topic: s.tp.topic,
        partition: s.tp.partition,
        ...(cause === null ? {} : { cause }),
      });
    }
    s.position = this.#broker.listOffset(s.tp.topic, s.tp.partition, policy, this.#state.isolationLevel);
    s.fetched = null;
    if (cause !== null) this.#broker.logger.info({ topic: s.tp.topic, partition: s.tp.partition, position: s.position, policy }, 'offset out of range; reset');
  }

  seek(partition: TopicPartition, offset: number): void {
    this.#state.seek(partition, offset);
  }

  async seekToBeginning(partitions: readonly TopicPartition[]): Promise<void> {
    for (const tp of partitions) this.seek(tp, this.#broker.listOffset(tp.topic, tp.partition, 'earliest'));
  }

  async seekToEnd(partitions: readonly TopicPartition[]): Promise<void> {
    for (const tp of partitions) this.seek(tp, this.#broker.listOffset(tp.topic, tp.partition, 'latest', this.#state.isolationLevel));
  }

  async endOffsets(partitions: readonly TopicPartition[]): Promise<(TopicPartition & { readonly offset: number })[]> {
    const level = this.#state.isolationLevel;
    return partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: this.#broker.listOffset(tp.topic, tp.partition, 'latest', level) }));
  }

  currentLag(partition: TopicPartition): number | null {
    return this.#state.currentLag(partition);
  }

  position(partition: TopicPartition): Promise<number> {
    return this.#state.position(partition, () => this.#initPositions(Number.POSITIVE_INFINITY));
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

  async committed(partitions: readonly TopicPartition[]): Promise<(CommittedOffsetInfo | null)[]> {
    const groupId = this.#state.groupId('committed()');
    if (this.#state.isolationLevel === 'read_committed') {
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
    return this.#state.groupMetadata();
  }

  /** Test hook: stop heartbeating without leaving, as a crashed process would. */
  simulateCrash(): void {
    this.#state.simulateCrash();
  }

  close(): Promise<void> {
    return keepAlive(this.#state.close());
  }
}
