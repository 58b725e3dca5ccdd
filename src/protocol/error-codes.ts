/**
 * Kafka's numeric error codes and their mapping to and from tributary's {@link StreamsError} codes: the broker turns
 * what its log and coordinators throw into the codes clients expect; the client turns codes in responses back into
 * the same StreamsErrors the in-process clients throw, so callers see one vocabulary whichever way they connect.
 */
import { isStreamsError, StreamsError, type StreamsErrorCode } from '../errors.js';

/**
 * Kafka's error codes by name (the subset tributary produces or understands).
 *
 * @example
 * ```ts
 * if (partition.errorCode === KafkaErrorCode.NOT_LEADER_OR_FOLLOWER) await cluster.refreshMetadata();
 * ```
 */
export const KafkaErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REQUEST: 42,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SECURITY_DISABLED: 54,
  OPERATION_NOT_ATTEMPTED: 55,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  KAFKA_STORAGE_ERROR: 56,
  GROUP_ID_NOT_FOUND: 69,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  MEMBER_ID_REQUIRED: 79,
  FENCED_INSTANCE_ID: 82,
  UNSTABLE_OFFSET_COMMIT: 88,
  PRODUCER_FENCED: 90,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
} as const;

/** tributary code -> Kafka code. Codes with no Kafka counterpart are UNKNOWN_SERVER_ERROR. */
const TO_KAFKA: Partial<Record<StreamsErrorCode, number>> = {
  INVALID_TOPIC: KafkaErrorCode.INVALID_TOPIC_EXCEPTION,
  UNKNOWN_TOPIC_OR_PARTITION: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  TOPIC_ALREADY_EXISTS: KafkaErrorCode.TOPIC_ALREADY_EXISTS,
  INVALID_CONFIG: KafkaErrorCode.INVALID_CONFIG,
  INVALID_PARTITIONS: KafkaErrorCode.INVALID_PARTITIONS,
  RECORD_TOO_LARGE: KafkaErrorCode.MESSAGE_TOO_LARGE,
  INVALID_RECORD: KafkaErrorCode.CORRUPT_MESSAGE,
  CORRUPT_RECORD: KafkaErrorCode.CORRUPT_MESSAGE,
  CORRUPT_MESSAGE: KafkaErrorCode.CORRUPT_MESSAGE,
  OFFSET_OUT_OF_RANGE: KafkaErrorCode.OFFSET_OUT_OF_RANGE,
  OUT_OF_ORDER_SEQUENCE: KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  PRODUCER_FENCED: KafkaErrorCode.PRODUCER_FENCED,
  INVALID_TXN_STATE: KafkaErrorCode.INVALID_TXN_STATE,
  TRANSACTION_TIMED_OUT: KafkaErrorCode.INVALID_PRODUCER_EPOCH,
  UNKNOWN_MEMBER_ID: KafkaErrorCode.UNKNOWN_MEMBER_ID,
  ILLEGAL_GENERATION: KafkaErrorCode.ILLEGAL_GENERATION,
  REBALANCE_IN_PROGRESS: KafkaErrorCode.REBALANCE_IN_PROGRESS,
  INCONSISTENT_GROUP_PROTOCOL: KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  TIMEOUT: KafkaErrorCode.REQUEST_TIMED_OUT,
  STORAGE_FAILED: KafkaErrorCode.KAFKA_STORAGE_ERROR,
  CLOSED: KafkaErrorCode.NOT_COORDINATOR,
  UNSUPPORTED_VERSION: KafkaErrorCode.UNSUPPORTED_VERSION,
  NETWORK_FAILED: KafkaErrorCode.NETWORK_EXCEPTION,
  NOT_COORDINATOR: KafkaErrorCode.NOT_COORDINATOR,
  COORDINATOR_NOT_AVAILABLE: KafkaErrorCode.COORDINATOR_NOT_AVAILABLE,
  NOT_LEADER_OR_FOLLOWER: KafkaErrorCode.NOT_LEADER_OR_FOLLOWER,
  CONCURRENT_TRANSACTIONS: KafkaErrorCode.CONCURRENT_TRANSACTIONS,
  INVALID_REQUEST: KafkaErrorCode.INVALID_REQUEST,
  UNSUPPORTED_COMPRESSION_TYPE: KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  POLICY_VIOLATION: KafkaErrorCode.POLICY_VIOLATION,
  FENCED_INSTANCE_ID: KafkaErrorCode.FENCED_INSTANCE_ID,
};

/** Kafka code -> tributary code, for codes a client sees. */
const FROM_KAFKA = new Map<number, StreamsErrorCode>([
  [KafkaErrorCode.UNKNOWN_SERVER_ERROR, 'UNKNOWN_SERVER_ERROR'],
  [KafkaErrorCode.OFFSET_OUT_OF_RANGE, 'OFFSET_OUT_OF_RANGE'],
  [KafkaErrorCode.CORRUPT_MESSAGE, 'CORRUPT_RECORD'],
  [KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'UNKNOWN_TOPIC_OR_PARTITION'],
  [KafkaErrorCode.LEADER_NOT_AVAILABLE, 'NOT_LEADER_OR_FOLLOWER'],
  [KafkaErrorCode.NOT_LEADER_OR_FOLLOWER, 'NOT_LEADER_OR_FOLLOWER'],
  [KafkaErrorCode.REQUEST_TIMED_OUT, 'TIMEOUT'],
  [KafkaErrorCode.MESSAGE_TOO_LARGE, 'RECORD_TOO_LARGE'],
  [KafkaErrorCode.OFFSET_METADATA_TOO_LARGE, 'INVALID_CONFIG'],
  [KafkaErrorCode.OPERATION_NOT_ATTEMPTED, 'INVALID_REQUEST'],
  [KafkaErrorCode.RECORD_LIST_TOO_LARGE, 'RECORD_TOO_LARGE'],
  [KafkaErrorCode.NETWORK_EXCEPTION, 'NETWORK_FAILED'],
  [KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'COORDINATOR_NOT_AVAILABLE'],
  [KafkaErrorCode.COORDINATOR_NOT_AVAILABLE, 'COORDINATOR_NOT_AVAILABLE'],
  [KafkaErrorCode.NOT_COORDINATOR, 'NOT_COORDINATOR'],
  [KafkaErrorCode.INVALID_TOPIC_EXCEPTION, 'INVALID_TOPIC'],
  [KafkaErrorCode.ILLEGAL_GENERATION, 'ILLEGAL_GENERATION'],
  [KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'INCONSISTENT_GROUP_PROTOCOL'],
  [KafkaErrorCode.INVALID_GROUP_ID, 'INVALID_CONFIG'],
  [KafkaErrorCode.UNKNOWN_MEMBER_ID, 'UNKNOWN_MEMBER_ID'],
  [KafkaErrorCode.INVALID_SESSION_TIMEOUT, 'INVALID_CONFIG'],
  [KafkaErrorCode.REBALANCE_IN_PROGRESS, 'REBALANCE_IN_PROGRESS'],
  [KafkaErrorCode.UNSUPPORTED_VERSION, 'UNSUPPORTED_VERSION'],
  [KafkaErrorCode.TOPIC_ALREADY_EXISTS, 'TOPIC_ALREADY_EXISTS'],
  [KafkaErrorCode.INVALID_PARTITIONS, 'INVALID_PARTITIONS'],
  [KafkaErrorCode.INVALID_REPLICATION_FACTOR, 'INVALID_CONFIG'],
  [KafkaErrorCode.INVALID_CONFIG, 'INVALID_CONFIG'],
  [KafkaErrorCode.NOT_CONTROLLER, 'NOT_COORDINATOR'],
  [KafkaErrorCode.INVALID_REQUEST, 'INVALID_REQUEST'],
  [KafkaErrorCode.POLICY_VIOLATION, 'POLICY_VIOLATION'],
  [KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'OUT_OF_ORDER_SEQUENCE'],
  [KafkaErrorCode.INVALID_PRODUCER_EPOCH, 'PRODUCER_FENCED'],
  [KafkaErrorCode.INVALID_TXN_STATE, 'INVALID_TXN_STATE'],
  [KafkaErrorCode.INVALID_PRODUCER_ID_MAPPING, 'INVALID_TXN_STATE'],
  [KafkaErrorCode.INVALID_TRANSACTION_TIMEOUT, 'INVALID_CONFIG'],
  [KafkaErrorCode.CONCURRENT_TRANSACTIONS, 'CONCURRENT_TRANSACTIONS'],
  [KafkaErrorCode.TRANSACTION_COORDINATOR_FENCED, 'PRODUCER_FENCED'],
  [KafkaErrorCode.UNKNOWN_PRODUCER_ID, 'OUT_OF_ORDER_SEQUENCE'],
  [KafkaErrorCode.KAFKA_STORAGE_ERROR, 'STORAGE_FAILED'],
  [KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'UNSUPPORTED_COMPRESSION_TYPE'],
  [KafkaErrorCode.FENCED_INSTANCE_ID, 'FENCED_INSTANCE_ID'],
  [KafkaErrorCode.UNSTABLE_OFFSET_COMMIT, 'REBALANCE_IN_PROGRESS'],
  [KafkaErrorCode.PRODUCER_FENCED, 'PRODUCER_FENCED'],
  [KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED, 'AUTHORIZATION_FAILED'],
  [KafkaErrorCode.GROUP_AUTHORIZATION_FAILED, 'AUTHORIZATION_FAILED'],
  [KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'AUTHORIZATION_FAILED'],
  [KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'AUTHORIZATION_FAILED'],
  [KafkaErrorCode.SASL_AUTHENTICATION_FAILED, 'AUTHENTICATION_FAILED'],
  [KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, 'AUTHENTICATION_FAILED'],
  [KafkaErrorCode.ILLEGAL_SASL_STATE, 'AUTHENTICATION_FAILED'],
]);

/** Kafka codes its clients retry (Kafka's RetriableException subclasses). */
const RETRIABLE_KAFKA: ReadonlySet<number> = new Set<number>([
  KafkaErrorCode.CORRUPT_MESSAGE,
  KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  KafkaErrorCode.LEADER_NOT_AVAILABLE,
  KafkaErrorCode.NOT_LEADER_OR_FOLLOWER,
  KafkaErrorCode.REQUEST_TIMED_OUT,
  KafkaErrorCode.NETWORK_EXCEPTION,
  KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  KafkaErrorCode.COORDINATOR_NOT_AVAILABLE,
  KafkaErrorCode.NOT_COORDINATOR,
  KafkaErrorCode.NOT_CONTROLLER,
  KafkaErrorCode.CONCURRENT_TRANSACTIONS,
  KafkaErrorCode.KAFKA_STORAGE_ERROR,
  KafkaErrorCode.UNSTABLE_OFFSET_COMMIT,
  KafkaErrorCode.REBALANCE_IN_PROGRESS,
]);

const NAMES = new Map<number, string>(Object.entries(KafkaErrorCode).map(([name, code]) => [code, name]));

/**
 * Kafka's name of an error code (`kafkaErrorName(6) === 'NOT_LEADER_OR_FOLLOWER'`).
 *
 * @example
 * ```ts
 * logger.warn({ error: kafkaErrorName(code) }, 'produce failed');
 * ```
 */
export function kafkaErrorName(code: number): string {
  return NAMES.get(code) ?? `error ${code}`;
}

/**
 * Kafka's numeric error code for a thrown value: a StreamsError's code mapped, anything else UNKNOWN_SERVER_ERROR (-1).
 *
 * @example
 * ```ts
 * try { await broker.produce(entries); } catch (e) { partition.errorCode = kafkaErrorCode(e); }
 * ```
 */
export function kafkaErrorCode(e: unknown): number {
  if (!isStreamsError(e)) return KafkaErrorCode.UNKNOWN_SERVER_ERROR;
  return TO_KAFKA[e.code] ?? KafkaErrorCode.UNKNOWN_SERVER_ERROR;
}

/**
 * The StreamsError a client raises for a Kafka error code in a response, or null for 0 (no error). Retriable as Kafka
 * says; the message names Kafka's error and the context (what was being done).
 *
 * @example
 * ```ts
 * const err = errorFromKafkaCode(res.errorCode, `join group ${groupId}`);
 * if (err !== null) throw err;
 * ```
 */
export function errorFromKafkaCode(code: number, context?: string, extra?: { readonly message?: string | null; readonly topic?: string; readonly partition?: number }): StreamsError | null {
  if (code === KafkaErrorCode.NONE) return null;
  const mapped = FROM_KAFKA.get(code) ?? 'UNKNOWN_SERVER_ERROR';
  const detail = extra?.message !== undefined && extra.message !== null && extra.message !== '' ? `: ${extra.message}` : '';
  const message = `${context === undefined ? '' : `${context}: `}the broker answered ${kafkaErrorName(code)} (${code})${detail}`;
  const options: { retriable: boolean; topic?: string; partition?: number } = { retriable: RETRIABLE_KAFKA.has(code) };
  if (extra?.topic !== undefined) options.topic = extra.topic;
  if (extra?.partition !== undefined) options.partition = extra.partition;
  return new StreamsError(mapped, message, options);
}
