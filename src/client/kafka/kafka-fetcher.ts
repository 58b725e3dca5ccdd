import type { AbortedTransaction } from '../../broker/aborted-transactions-index.js';
import { BATCH } from '../../broker/log-segment.js';
import { readInt64BE } from '../../broker/varint.js';
import { isStreamsError, StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { errorFromKafkaCode, KafkaErrorCode } from '../../protocol/error-codes.js';
import type { FetchRequestFetchTopic, FetchResponsePartitionData, ListOffsetsRequestListOffsetsTopic } from '../../protocol/messages.js';
import { topicPartitionKey, type TopicPartition } from '../../record.js';
import type { IsolationLevel } from '../consumer.js';
import type { PartitionState } from '../consumer-state.js';
import { FetchedRecords } from '../decode-fetched.js';
import type { KafkaCluster } from './cluster.js';
import { DedicatedConnections } from './kafka-group-client.js';

/**
 * A consumer's state of one assigned partition ({@link PartitionState}) with what {@link KafkaFetcher} adds: it fills
 * `fetched` (and resets `position` on OFFSET_OUT_OF_RANGE) when a fetch comes back.
 *
 * @example
 * ```ts
 * const s: FetchPartitionState = { tp, position: null, isPaused: false, fetched: null, fetchedNextOffset: -1, isFetching: false, resetCause: null, endOffset: -1 };
 * ```
 */
export interface FetchPartitionState extends PartitionState {
  /** A fetch for this partition is in flight; no other is sent until it is back. */
  isFetching: boolean;
  /** The broker answered OFFSET_OUT_OF_RANGE: the consumer resets the position by its reset policy. */
  resetCause: StreamsError | null;
}

/**
 * Options of a {@link KafkaFetcher}, from the consumer's config.
 *
 * @example
 * ```ts
 * const options: KafkaFetcherOptions = { isolationLevel: 'read_committed', maxPartitionFetchBytes: 1_048_576,
 *   fetchMaxBytes: 52_428_800, checkCrcs: true, isCurrent: (s) => states.get(key(s.tp)) === s };
 * ```
 */
export interface KafkaFetcherOptions {
  readonly isolationLevel: IsolationLevel;
  readonly maxPartitionFetchBytes: number;
  readonly fetchMaxBytes: number;
  readonly checkCrcs: boolean;
  /** False once the consumer dropped the state (revoked, unassigned): answers for it are thrown away. */
  readonly isCurrent: (s: FetchPartitionState) => boolean;
}

/** One partition of a fetch request, with the state and position it was sent for (stale answers are dropped). */
interface FetchEntry {
  readonly state: FetchPartitionState;
  readonly offset: number;
}

/** Partition errors after which the leader is looked up again and the partition fetched anew (Kafka's fetcher). */
const REFRESH_LEADER_CODES: ReadonlySet<number> = new Set([3, 5, 6, 9, 56, 74, 75]);

/**
 * The consumer's fetching half, as Kafka's Fetcher: Fetch (v11 at most) grouped by partition leader, one fetch in
 * flight per broker on the consumer's own connections, answers applied to the partitions' states as they arrive
 * (stale ones, for a partition seeked, reset or revoked meanwhile, dropped), then handed out by the consumer's
 * {@link ConsumerState.drain}. A partition with fetched records left is not fetched again, so at most one fetch
 * response per partition is held. Failures are kept, not thrown: a retriable one (a lost broker) as
 * {@link transientError}, any other for {@link throwFatal}. Also the consumer's ListOffsets.
 *
 * @example
 * ```ts
 * const fetcher = new KafkaFetcher(cluster, options);
 * await fetcher.send(states.values(), 500);
 * await fetcher.next();
 * const count = state.drain(out, 500);
 * ```
 */
export class KafkaFetcher {
  readonly #cluster: KafkaCluster;
  readonly #options: KafkaFetcherOptions;
  readonly #lane: DedicatedConnections;
  readonly #inFlight = new Map<number, Promise<void>>();
  readonly #waiters: (() => void)[] = [];
  #transientError: StreamsError | null = null;
  #fatalError: unknown = null;
  #closed = false;

  constructor(cluster: KafkaCluster, options: KafkaFetcherOptions) {
    this.#cluster = cluster;
    this.#options = options;
    this.#lane = new DedicatedConnections(cluster);
  }

  /** Fetches in flight (at most one per broker). */
  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  /** A retriable failure (broker unreachable, timed out) since {@link clearTransientError}, or null. */
  get transientError(): StreamsError | null {
    return this.#transientError;
  }

  clearTransientError(): void {
    this.#transientError = null;
  }

  isInFlight(node: number): boolean {
    return this.#inFlight.has(node);
  }

  /** Throws (once) the first non-retriable failure of a fetch: a corrupt message, an unknown topic, ... */
  throwFatal(): void {
    const e = this.#fatalError;
    if (e === null) return;
    this.#fatalError = null;
    throw e;
  }

  /** Resolves when the next fetch comes back, or at {@link wake}. */
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves every {@link next} waiting. */
  wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /**
   * Sends a fetch to every leader with no fetch in flight, for those of `states` with a position, not paused and with
   * nothing fetched left, parking at most `maxWaitMs` on the broker; resolves with the nodes it sent to. Never
   * rejects: failures are kept (see the class doc).
   */
  async send(states: Iterable<FetchPartitionState>, maxWaitMs: number): Promise<number[]> {
    const byNode = new Map<number, FetchPartitionState[]>();
    for (const s of [...states]) {
      if (!isFetchable(s)) continue;
      let node: number;
      try {
        node = await this.#cluster.leaderFor(s.tp.topic, s.tp.partition);
      } catch (e: unknown) {
        this.#recordFailure(e);
        if (isStreamsError(e) && e.retriable) break; // the cluster is unreachable: do not ask once per partition
        continue;
      }
      if (this.#inFlight.has(node)) continue;
      let group = byNode.get(node);
      if (group === undefined) byNode.set(node, (group = []));
      group.push(s);
    }
    const sent: number[] = [];
    for (const [node, group] of byNode) {
      // Re-checked after the awaits above: a concurrent call may have sent some, a seek or rebalance changed others.
      if (this.#closed || this.#inFlight.has(node)) continue;
      const entries: FetchEntry[] = [];
      for (const s of group) {
        if (!this.#options.isCurrent(s) || !isFetchable(s)) continue;
        s.isFetching = true;
        entries.push({ state: s, offset: s.position! });
      }
      if (entries.length === 0) continue;
      const p = this.#fetchFrom(node, entries, maxWaitMs).finally(() => {
        this.#inFlight.delete(node);
        this.wake();
      });
      this.#inFlight.set(node, p);
      sent.push(node);
    }
    return sent;
  }

  /** Kafka's ListOffsets (v5 at most) to each leader: the earliest (-2) or latest (-1; the LSO under read_committed) offsets. */
  async listOffsets(partitions: readonly TopicPartition[], timestamp: number): Promise<number[]> {
    if (partitions.length === 0) return [];
    const cluster = this.#cluster;
    const isolationLevel = this.#options.isolationLevel === 'read_committed' ? 1 : 0;
    const found = await cluster.retry('ListOffsets', async () => {
      const byNode = new Map<number, Map<string, ListOffsetsRequestListOffsetsTopic['partitions'][number][]>>();
      for (const tp of partitions) {
        const node = await cluster.leaderFor(tp.topic, tp.partition);
        let topics = byNode.get(node);
        if (topics === undefined) byNode.set(node, (topics = new Map()));
        let ps = topics.get(tp.topic);
        if (ps === undefined) topics.set(tp.topic, (ps = []));
        ps.push({ partitionIndex: tp.partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 });
      }
      const m = new Map<string, number>();
      await Promise.all(
        [...byNode].map(async ([node, topics]) => {
          const { body } = await cluster.send(node, ApiKey.ListOffsets, {
            replicaId: -1,
            isolationLevel,
            topics: [...topics].map(([name, ps]) => ({ name, partitions: ps })),
          });
          for (const t of body.topics) {
            for (const p of t.partitions) {
              const err = errorFromKafkaCode(p.errorCode, `list offsets of ${t.name}-${p.partitionIndex}`, { topic: t.name, partition: p.partitionIndex });
              if (err !== null) throw err;
              m.set(topicPartitionKey(t.name, p.partitionIndex), p.offset ?? -1);
            }
          }
        }),
      );
      return m;
    });
    return partitions.map((tp) => {
      const o = found.get(topicPartitionKey(tp.topic, tp.partition));
      if (o === undefined || o < 0) throw new StreamsError('UNKNOWN_SERVER_ERROR', `the broker returned no offset for ${tp.topic}-${tp.partition}`, tp);
      return o;
    });
  }

  /** Closes the fetch connections (fetches in flight are dropped) and wakes every {@link next}. */
  async close(): Promise<void> {
    this.#closed = true;
    this.wake();
    await this.#lane.close();
  }

  async #fetchFrom(node: number, entries: readonly FetchEntry[], maxWaitMs: number): Promise<void> {
    const options = this.#options;
    const topics = new Map<string, FetchRequestFetchTopic['partitions'][number][]>();
    const byKey = new Map<string, FetchEntry>();
    for (const e of entries) {
      const { topic, partition } = e.state.tp;
      let ps = topics.get(topic);
      if (ps === undefined) topics.set(topic, (ps = []));
      ps.push({ partition, currentLeaderEpoch: -1, fetchOffset: e.offset, logStartOffset: -1, partitionMaxBytes: options.maxPartitionFetchBytes });
      byKey.set(topicPartitionKey(topic, partition), e);
    }
    try {
      const { body } = await this.#lane.send(
        node,
        ApiKey.Fetch,
        {
          replicaId: -1,
          maxWaitMs,
          minBytes: 1,
          maxBytes: options.fetchMaxBytes,
          isolationLevel: options.isolationLevel === 'read_committed' ? 1 : 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
          forgottenTopicsData: [],
          rackId: '',
        },
        { timeoutMs: this.#cluster.requestTimeoutMs + maxWaitMs },
      );
      if (this.#closed) return;
      const topLevel = errorFromKafkaCode(body.errorCode ?? 0, `fetch from broker ${node}`);
      if (topLevel !== null) throw topLevel;
      for (const t of body.responses) {
        for (const p of t.partitions) {
          const e = byKey.get(topicPartitionKey(t.topic, p.partitionIndex));
          if (e !== undefined) this.#apply(e, p);
        }
      }
    } catch (e: unknown) {
      if (this.#closed) return;
      for (const entry of entries) this.#cluster.invalidateLeader(entry.state.tp.topic, entry.state.tp.partition);
      this.#recordFailure(e);
    } finally {
      for (const entry of entries) entry.state.isFetching = false;
    }
  }

  #apply(e: FetchEntry, p: FetchResponsePartitionData): void {
    const s = e.state;
    const { topic, partition } = s.tp;
    // Dropped when the partition was revoked, seeked or reset while the fetch was out (Kafka's fetcher does too).
    if (!this.#options.isCurrent(s)) return;
    // For records-lag: known even when the records themselves are stale.
    if (p.errorCode === KafkaErrorCode.NONE) {
      const end = this.#options.isolationLevel === 'read_committed' ? (p.lastStableOffset ?? p.highWatermark) : p.highWatermark;
      if (end >= 0) s.endOffset = end;
    }
    if (s.position !== e.offset || s.fetched !== null) return;
    const code = p.errorCode;
    if (code !== KafkaErrorCode.NONE) {
      const err = errorFromKafkaCode(code, `fetch ${topic}-${partition} at offset ${e.offset}`, { topic, partition });
      if (code === KafkaErrorCode.OFFSET_OUT_OF_RANGE) {
        s.position = null;
        s.resetCause = err;
      } else if (REFRESH_LEADER_CODES.has(code)) {
        this.#cluster.invalidateLeader(topic, partition);
        this.#cluster.logger.debug({ topic, partition, code }, 'fetch: leader moved or unknown; looking it up again');
      } else {
        this.#fatalError ??= err;
      }
      return;
    }
    const records = p.records;
    if (records === null || records.length === 0) return;
    const { end, nextOffset } = completeBatches(records);
    if (end === 0) {
      this.#fatalError ??= new StreamsError('CORRUPT_RECORD', `fetched bytes of ${topic}-${partition} at offset ${e.offset} hold no complete record batch`, {
        topic,
        partition,
        offset: e.offset,
      });
      return;
    }
    const aborted = this.#options.isolationLevel === 'read_committed' ? toAborted(p.abortedTransactions) : null;
    s.fetched = new FetchedRecords(topic, partition, end === records.length ? records : records.subarray(0, end), e.offset, this.#options.checkCrcs, aborted);
    s.fetchedNextOffset = nextOffset;
  }

  #recordFailure(e: unknown): void {
    if (isStreamsError(e) && e.retriable) this.#transientError ??= e;
    else this.#fatalError ??= e;
  }
}

function isFetchable(s: FetchPartitionState): boolean {
  return !s.isPaused && s.position !== null && s.fetched === null && !s.isFetching;
}

/**
 * The bytes up to the end of the last whole record batch, and the offset after that batch. A broker may cut the last
 * batch of a response short at the byte limit; that tail is dropped (fetched again from the next position).
 */
function completeBatches(bytes: Buffer): { end: number; nextOffset: number } {
  let p = 0;
  let nextOffset = -1;
  while (p + BATCH.headerBytes <= bytes.length) {
    const size = bytes.readInt32BE(p + BATCH.length) + 12;
    // A length no batch can have is corruption, not a cut: left in, so FetchedRecords reports it.
    if (size < BATCH.headerBytes) return { end: bytes.length, nextOffset: nextOffset < 0 ? readInt64BE(bytes, p) : nextOffset };
    if (p + size > bytes.length) break;
    nextOffset = readInt64BE(bytes, p) + bytes.readInt32BE(p + BATCH.lastOffsetDelta) + 1;
    p += size;
  }
  return { end: p, nextOffset };
}

function toAborted(list: FetchResponsePartitionData['abortedTransactions']): AbortedTransaction[] | null {
  if (list === null || list.length === 0) return null;
  // The wire carries no last offset; FetchedRecords ends a producer's skipping at its ABORT marker instead.
  return list.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset, lastOffset: Number.MAX_SAFE_INTEGER }));
}
