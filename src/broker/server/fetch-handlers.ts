import { decodeRecords } from '../record-batch.js';
import type { ApiKey } from '../../protocol/api-keys.js';
import { kafkaErrorCode, KafkaErrorCode } from '../../protocol/error-codes.js';
import type {
  FetchResponsePartitionData,
  FetchResponseFetchableTopicResponse,
  ListOffsetsResponseListOffsetsPartitionResponse,
  ListOffsetsResponseListOffsetsTopicResponse,
} from '../../protocol/messages.js';
import { isStreamsError } from '../../errors.js';
import type { Broker, FetchedPartition, FetchIsolationLevel, FetchPartition } from '../broker.js';
import type { PartitionLog } from '../partition-log.js';
import { isAuthorized } from '../security/authorizer.js';
import type { ApiHandler } from './handler.js';

/**
 * The leader epoch of every partition: one node never changes leader, so it stays 0 (Metadata and ListOffsets).
 *
 * @example
 * ```ts
 * partition.leaderEpoch = LEADER_EPOCH;
 * ```
 */
export const LEADER_EPOCH = 0;

const READ_COMMITTED = 1;
const EARLIEST = -2;
const LATEST = -1;

/** Kafka's fetch.max.bytes (55 MiB): the most one Fetch response holds, whatever the client asks (beyond one batch). */
export const FETCH_MAX_BYTES = 57_671_680;

/**
 * Fetch (4-11): a long poll over `broker.fetch`, which answers once `minBytes` are available or `maxWaitMs` passed
 * (woken by appends, never polling). Batches are returned verbatim (the response references the log's bytes).
 * `maxBytes` bounds the whole response and `partitionMaxBytes` each partition, except that the first non-empty
 * partition always gets one whole batch (KIP-74). read_committed (isolation level 1) reads up to the last stable
 * offset and lists the aborted transactions in range (empty when none; null under read_uncommitted). Sizes are capped
 * at {@link FETCH_MAX_BYTES}. No fetch sessions: sessionId is always 0,
 * so clients send full requests. When the connection closes or the server stops (`ctx.signal`), a parked fetch
 * answers at once with what is there.
 *
 * Authorization as Kafka's KafkaApis.handleFetchRequest: each topic needs Read, else its partitions answer
 * TOPIC_AUTHORIZATION_FAILED and are not read. The bytes returned count against the principal's consumer byte rate:
 * over it, the response carries `throttleTimeMs` and the connection is muted for that long. (Kafka answers a
 * throttled fetch with no records and un-counts them; tributary returns the records it already read, counted, so the
 * mute that follows keeps the same average rate without reading the log twice.)
 *
 * @example
 * ```ts
 * const res = await handleFetch(ctx, { maxWaitMs: 500, minBytes: 1, maxBytes: 52_428_800, isolationLevel: 1, topics });
 * ```
 */
export const handleFetch: ApiHandler<typeof ApiKey.Fetch> = async (ctx, req) => {
  const broker = ctx.broker;
  const requests: FetchPartition[] = [];
  // Per topic of the request: whether the principal may Read it (null: no authorizer, all may).
  const isReadable: boolean[] | null = ctx.authorizer === undefined ? null : req.topics.map((t) => isAuthorized(ctx, 'Read', 'Topic', t.topic));
  for (let ti = 0; ti < req.topics.length; ti++) {
    const t = req.topics[ti]!;
    if (isReadable !== null && !isReadable[ti]) continue;
    for (const p of t.partitions) {
      requests.push({ topic: t.topic, partition: p.partition, offset: p.fetchOffset, maxBytes: Math.max(0, Math.min(p.partitionMaxBytes, FETCH_MAX_BYTES)) });
    }
  }
  const isolationLevel: FetchIsolationLevel = req.isolationLevel === READ_COMMITTED ? 'read_committed' : 'read_uncommitted';
  const options = { maxWaitMs: ctx.signal.aborted ? 0 : req.maxWaitMs, minBytes: req.minBytes, maxBytes: Math.max(0, Math.min(req.maxBytes ?? FETCH_MAX_BYTES, FETCH_MAX_BYTES)), isolationLevel };
  let results: FetchedPartition[] | null;
  try {
    // The broker stops waiting (and drops its timer) as soon as the connection closes or the server stops.
    // Nothing left to read once every topic was refused: answer at once, as Kafka does (no long poll over nothing).
    results = requests.length === 0 && isReadable !== null ? [] : await broker.fetch(requests, { ...options, signal: ctx.signal });
  } catch (e: unknown) {
    // A broker that is closing: every partition answers NOT_LEADER_OR_FOLLOWER, so clients look for it again.
    if (!isStreamsError(e, 'CLOSED')) throw e;
    results = null;
  }
  let i = 0;
  let bytes = 0;
  const responses: FetchResponseFetchableTopicResponse[] = req.topics.map((t, ti) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      if (isReadable !== null && !isReadable[ti]) return refusedPartition(p.partition, KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED);
      if (results === null) return refusedPartition(p.partition, KafkaErrorCode.NOT_LEADER_OR_FOLLOWER);
      const r = results[i++]!;
      bytes += r.bytes.length;
      return partitionData(r, isolationLevel === 'read_committed');
    }),
  }));
  const throttleTimeMs = ctx.quotas === undefined ? 0 : ctx.quotas.record(ctx.principal, 'fetch', bytes);
  if (throttleTimeMs > 0) ctx.throttle?.(throttleTimeMs);
  return { throttleTimeMs, errorCode: KafkaErrorCode.NONE, sessionId: 0, responses };
};

/** As Kafka: read_committed answers a list of aborted transactions (empty when none), read_uncommitted null. */
function partitionData(r: FetchedPartition, isCommitted: boolean): FetchResponsePartitionData {
  const aborted = r.abortedTransactions;
  return {
    partitionIndex: r.partition,
    errorCode: r.error === undefined ? KafkaErrorCode.NONE : kafkaErrorCode(r.error),
    highWatermark: r.highWatermark,
    lastStableOffset: r.lastStableOffset,
    logStartOffset: r.logStartOffset,
    abortedTransactions: !isCommitted ? null : (aborted ?? []).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })),
    preferredReadReplica: -1,
    records: r.bytes,
  };
}

/** A partition answered without reading it: not authorized, or the broker is closing. */
function refusedPartition(partition: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

const EMPTY = Buffer.alloc(0);


/**
 * ListOffsets (1-5): timestamp -2 is the log start offset, -1 the end (the high watermark, or the last stable
 * offset under read_committed, v2+); any other timestamp finds the first record at or after it and answers its
 * offset and timestamp, or offset -1 when no record that readable is that recent (as Kafka does). Timestamps of
 * -2/-1 answer timestamp -1. Errors are per partition; a topic the principal may not Describe answers
 * TOPIC_AUTHORIZATION_FAILED.
 *
 * @example
 * ```ts
 * await handleListOffsets(ctx, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, timestamp: -2 }] }] });
 * ```
 */
export const handleListOffsets: ApiHandler<typeof ApiKey.ListOffsets> = (ctx, req) => {
  const broker = ctx.broker;
  const isolationLevel: FetchIsolationLevel = ctx.apiVersion >= 2 && req.isolationLevel === READ_COMMITTED ? 'read_committed' : 'read_uncommitted';
  const topics: ListOffsetsResponseListOffsetsTopicResponse[] = req.topics.map((t) => {
    // Describe on the topic, as Kafka's handleListOffsetRequestV1AndAbove.
    if (!isAuthorized(ctx, 'Describe', 'Topic', t.name)) {
      return { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED, timestamp: -1, offset: -1, leaderEpoch: -1 })) };
    }
    return { name: t.name, partitions: t.partitions.map((p) => listOffset(broker, t.name, p.partitionIndex, p.timestamp, isolationLevel)) };
  });
  return { throttleTimeMs: 0, topics };
};

function listOffset(broker: Broker, topic: string, partition: number, timestamp: number, isolationLevel: FetchIsolationLevel): ListOffsetsResponseListOffsetsPartitionResponse {
  try {
    if (timestamp === EARLIEST || timestamp === LATEST) {
      const offset = broker.listOffset(topic, partition, timestamp === EARLIEST ? 'earliest' : 'latest', isolationLevel);
      return { partitionIndex: partition, errorCode: KafkaErrorCode.NONE, timestamp: -1, offset, leaderEpoch: LEADER_EPOCH };
    }
    const log = broker.partitionLog(topic, partition);
    const end = isolationLevel === 'read_committed' ? log.lastStableOffset : log.highWatermark;
    const found = log.offsetForTimestamp(timestamp);
    if (found === null || found >= end) return { partitionIndex: partition, errorCode: KafkaErrorCode.NONE, timestamp: -1, offset: -1, leaderEpoch: LEADER_EPOCH };
    return { partitionIndex: partition, errorCode: KafkaErrorCode.NONE, timestamp: timestampAt(log, found, end), offset: found, leaderEpoch: LEADER_EPOCH };
  } catch (e: unknown) {
    return { partitionIndex: partition, errorCode: kafkaErrorCode(e), timestamp: -1, offset: -1, leaderEpoch: -1 };
  }
}

/** The timestamp of the record at `offset` (read from its batch; the batch's max timestamp if it cannot be decoded). */
function timestampAt(log: PartitionLog, offset: number, end: number): number {
  const read = log.read(offset, 1, end);
  const bytes = read.bytes;
  if (bytes.length === 0) return -1;
  try {
    for (const r of decodeRecords(bytes, 0)) if (r.offset >= offset) return r.timestampMs;
  } catch {
    // A codec this side cannot decode: the batch header still bounds the answer.
  }
  return bytes.length >= 43 ? Number(bytes.readBigInt64BE(35)) : -1;
}
