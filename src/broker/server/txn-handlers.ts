/**
 * Kafka-protocol handlers for producer ids and transactions: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit and EndTxn, mapped onto `broker.transactions` (the TransactionCoordinator), `broker.groups` and
 * `broker.allocateProducerId()` the way the in-process producer calls them (in-process-transaction-calls.ts and transaction-manager.ts).
 *
 * Fencing answers as Kafka's KafkaApis does (KIP-588): PRODUCER_FENCED (90) to clients new enough to know it
 * (InitProducerId v4+, AddPartitionsToTxn / AddOffsetsToTxn / EndTxn v2+), INVALID_PRODUCER_EPOCH (47) to older ones
 * and to TxnOffsetCommit (whose epoch check is the log's). A producer id that is not the transactional id's current
 * one, or an unknown transactional id, is INVALID_PRODUCER_ID_MAPPING (49).
 *
 * Authorization mirrors KafkaApis (handleInitProducerIdRequest, handleAddPartitionsToTxnRequest,
 * handleAddOffsetsToTxnRequest, handleTxnOffsetCommitRequest, handleEndTxnRequest): Write on the transactional id
 * (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 53); Write on each added topic (else TOPIC_AUTHORIZATION_FAILED, 29);
 * Read on the group whose offsets join the transaction (else GROUP_AUTHORIZATION_FAILED, 30) and on the committed
 * topics; an idempotent producer id needs IdempotentWrite on the Cluster or Write on some topic (KIP-679, else
 * CLUSTER_AUTHORIZATION_FAILED, 31).
 */
import { isStreamsError } from '../../errors.js';
import type { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import type { TopicPartition } from '../../record.js';
import { javaStringHashCode } from '../../util/java-hash.js';
import { CONSUMER_OFFSETS_TOPIC, type Broker } from '../broker.js';
import { checkCommits, errorCodeOf, fillErrors, partitionCount } from './group-handlers.js';
import { isAuthorized, isAuthorizedOnAny, isClusterAuthorized } from '../security/authorizer.js';
import type { ApiHandler, RequestContext } from './handler.js';

/** The fencing code a client of this API version understands. */
function fencedCode(apiVersion: number, firstVersionWithProducerFenced: number): number {
  return apiVersion >= firstVersionWithProducerFenced ? KafkaErrorCode.PRODUCER_FENCED : KafkaErrorCode.INVALID_PRODUCER_EPOCH;
}

/**
 * The Kafka code for an error of a transaction call. The coordinator throws PRODUCER_FENCED for a wrong producer id
 * as for an old epoch, ILLEGAL_STATE for an unknown transactional id and TRANSACTION_TIMED_OUT for the epoch a timeout
 * abort replaced (Kafka fences that one too); the transactional id's current state tells them apart.
 */
function txnErrorCode(ctx: RequestContext, e: unknown, transactionalId: string, producerId: number, fenced: number, api: string): number {
  if (isStreamsError(e, 'PRODUCER_FENCED') || isStreamsError(e, 'TRANSACTION_TIMED_OUT') || isStreamsError(e, 'ILLEGAL_STATE')) {
    const state = ctx.broker.transactions.describe(transactionalId);
    if (state === undefined || state.producerId !== producerId) return KafkaErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (!isStreamsError(e, 'ILLEGAL_STATE')) return fenced;
  }
  return errorCodeOf(ctx, e, api);
}

/**
 * The `__consumer_offsets` partition of a group, as the broker places it (Kafka's abs(hashCode) % partitions).
 * Computed here because Broker does not expose its OffsetsTopic's partitionFor.
 */
function offsetsPartitionFor(broker: Broker, groupId: string): number {
  const h = javaStringHashCode(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitionCount(broker, CONSUMER_OFFSETS_TOPIC);
}

/**
 * InitProducerId (v0-1): without a transactional id, a fresh producer id at epoch 0 for an idempotent producer;
 * with one, the transaction coordinator's id and (bumped) epoch, which fences older producers of that id and aborts
 * their open transaction. An empty transactional id is INVALID_REQUEST, a timeout outside
 * [1, transaction.max.timeout.ms] INVALID_TRANSACTION_TIMEOUT.
 *
 * @example
 * ```ts
 * await handleInitProducerId(ctx, { transactionalId: 'app-0', transactionTimeoutMs: 60_000 }); // { producerId: 7, producerEpoch: 0 }
 * ```
 */
export const handleInitProducerId: ApiHandler<typeof ApiKey.InitProducerId> = async (ctx, req) => {
  const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });
  const transactionalId = req.transactionalId;
  if (transactionalId !== null && !isAuthorized(ctx, 'Write', 'TransactionalId', transactionalId)) return failed(KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (transactionalId === null && !isClusterAuthorized(ctx, 'IdempotentWrite', false) && !isAuthorizedOnAny(ctx, 'Write', 'Topic')) {
    return failed(KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  }
  try {
    if (transactionalId === null) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, producerId: ctx.broker.allocateProducerId(), producerEpoch: 0 };
    if (transactionalId === '') return failed(KafkaErrorCode.INVALID_REQUEST);
    // v3+ (KIP-360) names the caller's own id and epoch when it re-initialises after an abortable error.
    const producerId = req.producerId ?? -1;
    const current = ctx.apiVersion >= 3 && producerId >= 0 ? { producerId, producerEpoch: req.producerEpoch ?? -1 } : undefined;
    const r = await ctx.broker.transactions.initProducerId(transactionalId, req.transactionTimeoutMs ?? 0, current);
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
  } catch (e: unknown) {
    if (isStreamsError(e, 'INVALID_CONFIG')) return failed(KafkaErrorCode.INVALID_TRANSACTION_TIMEOUT);
    if (isStreamsError(e, 'PRODUCER_FENCED')) return failed(fencedCode(ctx.apiVersion, 4));
    return failed(errorCodeOf(ctx, e, 'InitProducerId'));
  }
};

/**
 * AddPartitionsToTxn (v0-2): per-partition results. If any partition does not exist, it gets
 * UNKNOWN_TOPIC_OR_PARTITION, the others OPERATION_NOT_ATTEMPTED, and nothing is added (as Kafka does); any other
 * error applies to every partition.
 *
 * @example
 * ```ts
 * await handleAddPartitionsToTxn(ctx, { v3AndBelowTransactionalId: 'app-0', v3AndBelowProducerId: 7,
 *   v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'out', partitions: [0, 1] }] });
 * ```
 */
export const handleAddPartitionsToTxn: ApiHandler<typeof ApiKey.AddPartitionsToTxn> = async (ctx, req) => {
  const transactionalId = req.v3AndBelowTransactionalId ?? '';
  const producerId = req.v3AndBelowProducerId ?? -1;
  const producerEpoch = req.v3AndBelowProducerEpoch ?? -1;
  const topics = req.v3AndBelowTopics ?? [];
  const partitions: TopicPartition[] = [];
  let hasUnknown = false;
  const isTxnAuthorized = isAuthorized(ctx, 'Write', 'TransactionalId', transactionalId);
  const codes = topics.map((t) => {
    const topic = t.name ?? '';
    if (!isTxnAuthorized) return (t.partitions ?? []).map(() => KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED as number);
    // Internal topics are never authorized for a client (Kafka filters them out before asking).
    if ((ctx.broker.hasTopic(topic) && ctx.broker.describeTopic(topic).isInternal) || !isAuthorized(ctx, 'Write', 'Topic', topic)) {
      hasUnknown = true;
      return (t.partitions ?? []).map(() => KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED as number);
    }
    const n = partitionCount(ctx.broker, topic);
    return (t.partitions ?? []).map((partition) => {
      if (partition < 0 || partition >= n) {
        hasUnknown = true;
        return KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      }
      partitions.push({ topic, partition });
      return KafkaErrorCode.NONE as number;
    });
  });
  // Without Write on the transactional id every partition already says so; nothing is added.
  if (isTxnAuthorized && hasUnknown) fillErrors(codes, KafkaErrorCode.OPERATION_NOT_ATTEMPTED);
  else if (isTxnAuthorized && partitions.length > 0) {
    try {
      await ctx.broker.transactions.addPartitionsToTxn(transactionalId, producerId, producerEpoch, partitions);
    } catch (e: unknown) {
      fillErrors(codes, txnErrorCode(ctx, e, transactionalId, producerId, fencedCode(ctx.apiVersion, 2), 'AddPartitionsToTxn'));
    }
  }
  return {
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: topics.map((t, i) => ({
      name: t.name,
      resultsByPartition: (t.partitions ?? []).map((partitionIndex, j) => ({ partitionIndex, partitionErrorCode: codes[i]![j]! })),
    })),
  };
};

/**
 * AddOffsetsToTxn (v0-2): the group's `__consumer_offsets` partition joins the transaction, so the EndTxn marker
 * reaches the offsets a TxnOffsetCommit writes there.
 *
 * @example
 * ```ts
 * await handleAddOffsetsToTxn(ctx, { transactionalId: 'app-0', producerId: 7, producerEpoch: 0, groupId: 'app' });
 * ```
 */
export const handleAddOffsetsToTxn: ApiHandler<typeof ApiKey.AddOffsetsToTxn> = async (ctx, req) => {
  const transactionalId = req.transactionalId ?? '';
  const producerId = req.producerId ?? -1;
  const groupId = req.groupId ?? '';
  if (!isAuthorized(ctx, 'Write', 'TransactionalId', transactionalId)) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
  if (!isAuthorized(ctx, 'Read', 'Group', groupId)) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.GROUP_AUTHORIZATION_FAILED };
  if (groupId === '') return { throttleTimeMs: 0, errorCode: KafkaErrorCode.INVALID_GROUP_ID };
  try {
    await ctx.broker.transactions.addOffsetsToTxn(transactionalId, producerId, req.producerEpoch ?? -1, groupId);
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE };
  } catch (e: unknown) {
    return { throttleTimeMs: 0, errorCode: txnErrorCode(ctx, e, transactionalId, producerId, fencedCode(ctx.apiVersion, 2), 'AddOffsetsToTxn') };
  }
};

/**
 * TxnOffsetCommit (v0-3): offsets committed inside the producer's transaction, visible to OffsetFetch only once it
 * commits. The producer must be current and its transaction must hold the group's offsets partition (AddOffsetsToTxn
 * first; else INVALID_TXN_STATE, since no marker would ever reach those offsets). v3 carries the consumer's
 * generation, member id and group.instance.id (KIP-447): a stale one is ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID.
 *
 * @example
 * ```ts
 * await handleTxnOffsetCommit(ctx, { transactionalId: 'app-0', groupId: 'app', producerId: 7, producerEpoch: 0,
 *   generationId: 3, memberId, groupInstanceId: null,
 *   topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: null }] }] });
 * ```
 */
export const handleTxnOffsetCommit: ApiHandler<typeof ApiKey.TxnOffsetCommit> = async (ctx, req) => {
  const { broker } = ctx;
  const transactionalId = req.transactionalId ?? '';
  const groupId = req.groupId ?? '';
  const producerId = req.producerId ?? -1;
  const producerEpoch = req.producerEpoch ?? -1;
  const topics = req.topics ?? [];
  const refusal = !isAuthorized(ctx, 'Write', 'TransactionalId', transactionalId)
    ? KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    : !isAuthorized(ctx, 'Read', 'Group', groupId)
      ? KafkaErrorCode.GROUP_AUTHORIZATION_FAILED
      : KafkaErrorCode.NONE;
  const { codes, entries } = checkCommits(broker, topics, refusal === KafkaErrorCode.NONE ? ctx : undefined);
  if (refusal !== KafkaErrorCode.NONE) for (const row of codes) row.fill(refusal);
  const error = ((): number => {
    if (refusal !== KafkaErrorCode.NONE) return refusal;
    if (groupId === '') return KafkaErrorCode.INVALID_GROUP_ID;
    try {
      broker.transactions.verify(transactionalId, producerId, producerEpoch);
    } catch (e: unknown) {
      return txnErrorCode(ctx, e, transactionalId, producerId, KafkaErrorCode.INVALID_PRODUCER_EPOCH, 'TxnOffsetCommit');
    }
    const state = broker.transactions.describe(transactionalId);
    const partition = offsetsPartitionFor(broker, groupId);
    const isAdded = state?.status === 'Ongoing' && state.partitions.some((tp) => tp.topic === CONSUMER_OFFSETS_TOPIC && tp.partition === partition);
    return isAdded ? KafkaErrorCode.NONE : KafkaErrorCode.INVALID_TXN_STATE;
  })();
  if (error !== KafkaErrorCode.NONE) fillErrors(codes, error);
  else if (entries.length > 0) {
    const groupInstanceId = req.groupInstanceId ?? null;
    try {
      await broker.groups.commitTransactionalOffsets({
        groupId,
        producerId,
        producerEpoch,
        memberId: req.memberId ?? '',
        generationId: req.generationId ?? -1,
        ...(groupInstanceId === null ? {} : { groupInstanceId }),
        offsets: entries,
      });
    } catch (e: unknown) {
      fillErrors(codes, isStreamsError(e, 'PRODUCER_FENCED') ? KafkaErrorCode.INVALID_PRODUCER_EPOCH : errorCodeOf(ctx, e, 'TxnOffsetCommit'));
    }
  }
  return {
    throttleTimeMs: 0,
    topics: topics.map((t, i) => ({
      name: t.name,
      partitions: (t.partitions ?? []).map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i]![j]! })),
    })),
  };
};

/**
 * EndTxn (v0-2): commits or aborts the producer's transaction (both phases: markers written, offsets settled) before
 * answering. Ending a transaction already ended the same way, or none, succeeds; ending it the other way is
 * INVALID_TXN_STATE.
 *
 * @example
 * ```ts
 * await handleEndTxn(ctx, { transactionalId: 'app-0', producerId: 7, producerEpoch: 0, committed: true });
 * ```
 */
export const handleEndTxn: ApiHandler<typeof ApiKey.EndTxn> = async (ctx, req) => {
  const transactionalId = req.transactionalId ?? '';
  const producerId = req.producerId ?? -1;
  if (!isAuthorized(ctx, 'Write', 'TransactionalId', transactionalId)) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
  try {
    await ctx.broker.transactions.endTxn(transactionalId, producerId, req.producerEpoch ?? -1, req.committed === true);
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE };
  } catch (e: unknown) {
    return { throttleTimeMs: 0, errorCode: txnErrorCode(ctx, e, transactionalId, producerId, fencedCode(ctx.apiVersion, 2), 'EndTxn') };
  }
};
