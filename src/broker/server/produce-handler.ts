import { isStreamsError } from '../../errors.js';
import type { ApiKey } from '../../protocol/api-keys.js';
import { kafkaErrorCode, KafkaErrorCode } from '../../protocol/error-codes.js';
import type { ProduceResponsePartitionProduceResponse, ProduceResponseTopicProduceResponse } from '../../protocol/messages.js';
import type { TransactionState } from '../transaction-state-topic.js';
import type { AppendInfo } from '../partition-log.js';
import { BATCH_HEADER_BYTES, isTransactionalBatch } from '../record-batch.js';
import type { Broker } from '../broker.js';
import { isAuthorized } from '../security/authorizer.js';
import type { ApiHandler } from './handler.js';

/** Offsets of the v2 batch header fields read here (KAFKA-PROTOCOL.md §6). */
const ATTRIBUTES_AT = 21;
const PRODUCER_ID_AT = 43;
const PRODUCER_EPOCH_AT = 51;

type PartitionResponse = ProduceResponsePartitionProduceResponse & { errorCode: number; baseOffset: number };

/**
 * Produce (3-8): each partition's record batch is appended with `broker.produce` (bytes from the network are never
 * trusted: size, CRC and grammar are checked), one call per partition so one bad partition fails alone, as in Kafka.
 * Internal topics (`__consumer_offsets`, `__transaction_state`) are refused with INVALID_TOPIC_EXCEPTION.
 * Every append starts before the handler first awaits, so the log sees a connection's batches in request order
 * (idempotent sequences rely on it). acks 1 and -1 both wait for the broker's acknowledgement, whose durability is
 * the flush policy's; acks 0 is answered by the server with nothing.
 *
 * A transactional batch is verified against the transaction coordinator first, as Kafka does since 3.6
 * (`transaction.partition.verification.enable`): its partition must have been added with AddPartitionsToTxn to the
 * ongoing transaction of its producer id and epoch, else INVALID_TXN_STATE (or INVALID_PRODUCER_EPOCH /
 * INVALID_PRODUCER_ID_MAPPING for a stale or foreign producer).
 *
 * Authorization as Kafka's KafkaApis.handleProduceRequest: a request holding a transactional batch needs Write on
 * its transactional id, else every partition answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED; each topic needs Write,
 * else its partitions answer TOPIC_AUTHORIZATION_FAILED (checked before existence). Since KIP-679 an idempotent
 * batch needs nothing more (InitProducerId checked its producer id). The request's record bytes count against the
 * principal's producer byte rate: over it, the response carries `throttleTimeMs` and the connection is muted.
 *
 * @example
 * ```ts
 * const response = await handleProduce(ctx, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData });
 * ```
 */
export const handleProduce: ApiHandler<typeof ApiKey.Produce> = async (ctx, req) => {
  const broker = ctx.broker;
  const acks = req.acks;
  const transactionalId = req.transactionalId ?? null;
  const responses: ProduceResponseTopicProduceResponse[] = [];
  const appends: Promise<void>[] = [];
  let txn: TransactionView | null | undefined;
  let bytes = 0;
  let isTransactional = false;
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const b = p.records;
      if (b === null) continue;
      bytes += b.length;
      if (b.length >= BATCH_HEADER_BYTES && isTransactionalBatch(b.readInt16BE(ATTRIBUTES_AT))) isTransactional = true;
    }
  }
  const throttleTimeMs = ctx.quotas === undefined ? 0 : ctx.quotas.record(ctx.principal, 'produce', bytes);
  if (throttleTimeMs > 0) ctx.throttle?.(throttleTimeMs);
  if (isTransactional && (transactionalId === null || !isAuthorized(ctx, 'Write', 'TransactionalId', transactionalId))) {
    return { responses: refuseAll(req.topicData, KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED), throttleTimeMs };
  }
  for (const t of req.topicData) {
    const topic = t.name;
    const partitionResponses: PartitionResponse[] = [];
    responses.push({ name: topic, partitionResponses });
    if (!isAuthorized(ctx, 'Write', 'Topic', topic)) {
      for (const p of t.partitionData) partitionResponses.push(refused(p.index, KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED));
      continue;
    }
    // Only the coordinators write internal topics (Kafka refuses client appends to them the same way).
    const isInternal = broker.hasTopic(topic) && broker.describeTopic(topic).isInternal;
    for (const p of t.partitionData) {
      const r: PartitionResponse = { index: p.index, errorCode: 0, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage: null };
      partitionResponses.push(r);
      if (isInternal) {
        fail(r, KafkaErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${topic}`);
        continue;
      }
      if (acks !== 0 && acks !== 1 && acks !== -1) {
        fail(r, KafkaErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, got ${acks}`);
        continue;
      }
      const batch = p.records;
      if (batch === null || batch.length === 0) {
        fail(r, KafkaErrorCode.CORRUPT_MESSAGE, 'the produce request has no record batch for this partition');
        continue;
      }
      if (batch.length >= BATCH_HEADER_BYTES && isTransactionalBatch(batch.readInt16BE(ATTRIBUTES_AT))) {
        if (txn === undefined) txn = transactionView(broker, transactionalId);
        const refused = verifyTransactional(txn, transactionalId, topic, p.index, batch);
        if (refused !== null) {
          fail(r, refused.code, refused.message);
          continue;
        }
      }
      appends.push(
        broker.produce([{ topic, partition: p.index, batch }]).then(
          (infos) => succeed(broker, r, topic, infos[0]!),
          (e: unknown) => fail(r, produceErrorCode(e), e instanceof Error ? e.message : String(e)),
        ),
      );
    }
  }
  if (appends.length > 0) await Promise.all(appends);
  return { responses, throttleTimeMs };
};

function refused(index: number, errorCode: number): PartitionResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage: null };
}

function refuseAll(topicData: readonly { name: string; partitionData: readonly { index: number }[] }[], errorCode: number): ProduceResponseTopicProduceResponse[] {
  return topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => refused(p.index, errorCode)) }));
}

function succeed(broker: Broker, r: PartitionResponse, topic: string, info: AppendInfo): void {
  r.baseOffset = info.baseOffset;
  r.logAppendTimeMs = info.logAppendTimeMs;
  // The topic may have been deleted since the append was acknowledged.
  r.logStartOffset = broker.hasTopic(topic) ? broker.partitionLog(topic, r.index).logStartOffset : -1;
}

function fail(r: PartitionResponse, code: number, message: string): void {
  r.errorCode = code;
  r.errorMessage = message;
}

/**
 * Kafka answers a stale producer epoch on Produce with INVALID_PRODUCER_EPOCH, whatever fenced it; a broker that is
 * closing answers NOT_LEADER_OR_FOLLOWER, so the producer refreshes its metadata and retries.
 */
function produceErrorCode(e: unknown): number {
  if (isStreamsError(e, 'PRODUCER_FENCED')) return KafkaErrorCode.INVALID_PRODUCER_EPOCH;
  if (isStreamsError(e, 'CLOSED')) return KafkaErrorCode.NOT_LEADER_OR_FOLLOWER;
  return kafkaErrorCode(e);
}

/** The coordinator's view of one transactional id, read once per request. */
interface TransactionView {
  readonly state: TransactionState;
  readonly partitions: ReadonlySet<string>;
}

function transactionView(broker: Broker, transactionalId: string | null): TransactionView | null {
  if (transactionalId === null) return null;
  const state = broker.transactions.describe(transactionalId);
  if (state === undefined) return null;
  return { state, partitions: new Set(state.partitions.map((tp) => `${tp.topic}\u0000${tp.partition}`)) };
}

function verifyTransactional(
  txn: TransactionView | null,
  transactionalId: string | null,
  topic: string,
  partition: number,
  batch: Buffer,
): { code: number; message: string } | null {
  if (transactionalId === null) {
    return { code: KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, message: 'a transactional batch needs the transactional id in the produce request' };
  }
  if (txn === null) {
    return { code: KafkaErrorCode.INVALID_PRODUCER_ID_MAPPING, message: `transactional id ${transactionalId} is unknown: call InitProducerId first` };
  }
  const producerId = batch.readInt32BE(PRODUCER_ID_AT) * 0x1_0000_0000 + batch.readUInt32BE(PRODUCER_ID_AT + 4);
  const producerEpoch = batch.readInt16BE(PRODUCER_EPOCH_AT);
  const s = txn.state;
  if (producerId !== s.producerId) {
    return { code: KafkaErrorCode.INVALID_PRODUCER_ID_MAPPING, message: `producer id ${producerId} does not hold transactional id ${transactionalId}` };
  }
  if (producerEpoch !== s.producerEpoch) {
    return { code: KafkaErrorCode.INVALID_PRODUCER_EPOCH, message: `producer epoch ${producerEpoch} of ${transactionalId} is not the current epoch ${s.producerEpoch}` };
  }
  if (s.status !== 'Ongoing' || !txn.partitions.has(`${topic}\u0000${partition}`)) {
    return { code: KafkaErrorCode.INVALID_TXN_STATE, message: `${topic}-${partition} was not added to the ongoing transaction of ${transactionalId} (AddPartitionsToTxn)` };
  }
  return null;
}
