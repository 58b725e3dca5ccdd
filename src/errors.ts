/**
 * Errors raised by tributary.
 *
 * Every error is a {@link StreamsError} carrying a typed {@link StreamsErrorCode}. Codes are API (stable, match on
 * them); messages are for people and may change. `retriable` says whether the same call may succeed if tried again.
 *
 * | code                        | retriable | raised when                                                                |
 * | --------------------------- | --------- | -------------------------------------------------------------------------- |
 * | `INVALID_TOPIC`             | no        | a topic name breaks Kafka's rule: `[a-zA-Z0-9._-]`, 1..249 chars, not `.`/`..` |
 * | `UNKNOWN_TOPIC_OR_PARTITION`| no        | the topic does not exist, or the partition number is out of range/negative  |
 * | `TOPIC_ALREADY_EXISTS`      | no        | createTopics with a partition count or config that conflicts with the topic |
 * | `INVALID_CONFIG`            | no        | a config key is unknown or its value is out of range                        |
 * | `INVALID_PARTITIONS`        | no        | a partition count below 1 or not an integer                                 |
 * | `RECORD_TOO_LARGE`          | no        | a batch is larger than the topic's `max.message.bytes`                      |
 * | `INVALID_RECORD`            | no        | records that cannot be encoded (no records, non-integer timestamp, ...)    |
 * | `CORRUPT_RECORD`            | no        | stored or received bytes fail their CRC32C or their grammar                 |
 * | `OFFSET_OUT_OF_RANGE`       | no        | a fetch or seek names an offset outside [logStartOffset, logEndOffset]      |
 * | `OUT_OF_ORDER_SEQUENCE`     | no        | an idempotent producer's batch skips sequence numbers                       |
 * | `PRODUCER_FENCED`           | no        | a producer epoch older than the current one for its producer id             |
 * | `INVALID_TXN_STATE`         | no        | a transaction call its state does not allow (commit while aborting, ...)    |
 * | `TRANSACTION_TIMED_OUT`     | no        | the broker aborted the transaction after its timeout; abort and begin anew  |
 * | `UNKNOWN_MEMBER_ID`         | no        | a group call names a member the coordinator does not know (evicted)         |
 * | `ILLEGAL_GENERATION`        | no        | a group call carries a generation that is no longer current                 |
 * | `REBALANCE_IN_PROGRESS`     | yes       | the group is rebalancing; rejoin                                            |
 * | `INCONSISTENT_GROUP_PROTOCOL`| no       | a member's protocol does not match the group's                              |
 * | `SERDE_FAILED`              | no        | a serializer or deserializer failed; names topic/partition/offset if known  |
 * | `ILLEGAL_STATE`             | no        | a call not allowed in the object's current lifecycle state                  |
 * | `CLOSED`                    | no        | a call on a closed broker, client or store                                  |
 * | `TIMEOUT`                   | yes       | an operation did not finish in time                                         |
 * | `STORAGE_FAILED`            | no        | the file system refused an operation (wraps the system error as `cause`)    |
 * | `TOPOLOGY_INVALID`          | no        | a topology cannot be built (unknown parent, cycle, duplicate name, ...)     |
 * | `PROCESSING_FAILED`         | no        | a processor threw for a record and the handler said 'fail'; names the record |
 * | `PRODUCTION_FAILED`         | no        | the log refused an output record and the handler said 'fail'               |
 * | `CORRUPT_MESSAGE`           | no        | a Kafka protocol frame could not be decoded (truncated, bad length, bad enum) |
 * | `UNSUPPORTED_VERSION`       | no        | an API or API version neither side supports                                |
 * | `NETWORK_FAILED`            | yes       | a connection to a broker failed or closed with requests in flight          |
 * | `NOT_COORDINATOR`           | yes       | the group/transaction coordinator moved; look it up again                  |
 * | `COORDINATOR_NOT_AVAILABLE` | yes       | no coordinator can be found just now                                       |
 * | `NOT_LEADER_OR_FOLLOWER`    | yes       | the partition's leader moved; refresh metadata and retry                   |
 * | `CONCURRENT_TRANSACTIONS`   | yes       | the transaction coordinator is still completing the previous transaction   |
 * | `INVALID_REQUEST`           | no        | a well-formed request that the broker cannot honour (wrong shape, bad value) |
 * | `UNSUPPORTED_COMPRESSION_TYPE` | no     | a record batch uses a codec this side cannot read                          |
 * | `POLICY_VIOLATION`          | no        | refused by a broker policy                                                  |
 * | `UNKNOWN_SERVER_ERROR`      | no        | a broker answered with an error it did not explain                          |
 * | `FENCED_INSTANCE_ID`        | no        | a newer member with the same group.instance.id replaced this static member  |
 * | `AUTHENTICATION_FAILED`     | no        | TLS or SASL authentication with a broker failed (wrong credentials, mechanism, certificate) |
 * | `AUTHORIZATION_FAILED`      | no        | the broker's ACLs deny this principal the operation (the message names Kafka's error: topic, group, transactional id, cluster) |
 *
 * @example
 * ```ts
 * try {
 *   await admin.createTopics([{ topic: '../etc', numPartitions: 1 }]);
 * } catch (e: unknown) {
 *   if (e instanceof StreamsError && e.code === 'INVALID_TOPIC') console.error(e.message);
 * }
 * ```
 */
export type StreamsErrorCode =
  | 'INVALID_TOPIC'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_CONFIG'
  | 'INVALID_PARTITIONS'
  | 'RECORD_TOO_LARGE'
  | 'INVALID_RECORD'
  | 'CORRUPT_RECORD'
  | 'OFFSET_OUT_OF_RANGE'
  | 'OUT_OF_ORDER_SEQUENCE'
  | 'PRODUCER_FENCED'
  | 'INVALID_TXN_STATE'
  | 'TRANSACTION_TIMED_OUT'
  | 'UNKNOWN_MEMBER_ID'
  | 'ILLEGAL_GENERATION'
  | 'REBALANCE_IN_PROGRESS'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'SERDE_FAILED'
  | 'ILLEGAL_STATE'
  | 'CLOSED'
  | 'TIMEOUT'
  | 'STORAGE_FAILED'
  | 'TOPOLOGY_INVALID'
  | 'PROCESSING_FAILED'
  | 'PRODUCTION_FAILED'
  | 'CORRUPT_MESSAGE'
  | 'UNSUPPORTED_VERSION'
  | 'NETWORK_FAILED'
  | 'NOT_COORDINATOR'
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'CONCURRENT_TRANSACTIONS'
  | 'INVALID_REQUEST'
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'POLICY_VIOLATION'
  | 'UNKNOWN_SERVER_ERROR'
  | 'FENCED_INSTANCE_ID'
  | 'AUTHENTICATION_FAILED'
  | 'AUTHORIZATION_FAILED';

const RETRIABLE: ReadonlySet<StreamsErrorCode> = new Set<StreamsErrorCode>([
  'REBALANCE_IN_PROGRESS',
  'TIMEOUT',
  'NETWORK_FAILED',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'CONCURRENT_TRANSACTIONS',
]);

/** Where in the log an error happened, when known. */
export interface LogPosition {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
}

/** Options accepted by {@link StreamsError}. */
export interface StreamsErrorOptions extends LogPosition {
  readonly cause?: unknown;
  readonly retriable?: boolean;
}

/**
 * The one root error of tributary: a typed `code`, `retriable`, an optional `cause`, and where known the
 * topic/partition/offset the error concerns.
 *
 * @example
 * ```ts
 * throw new StreamsError('RECORD_TOO_LARGE', 'batch of 2000000 bytes exceeds max.message.bytes 1048588', { topic: 'lines', partition: 0 });
 * ```
 */
export class StreamsError extends Error {
  readonly code: StreamsErrorCode;
  readonly retriable: boolean;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: number | undefined;

  constructor(code: StreamsErrorCode, message: string, options: StreamsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StreamsError';
    this.code = code;
    this.retriable = options.retriable ?? RETRIABLE.has(code);
    this.topic = options.topic;
    this.partition = options.partition;
    this.offset = options.offset;
  }
}

/**
 * True when `e` is a {@link StreamsError}, optionally with the given code.
 *
 * @example
 * ```ts
 * if (isStreamsError(e, 'CORRUPT_RECORD')) logger.error({ offset: e.offset }, 'corrupt record');
 * ```
 */
export function isStreamsError(e: unknown, code?: StreamsErrorCode): e is StreamsError {
  return e instanceof StreamsError && (code === undefined || e.code === code);
}

/** Narrows an unknown thrown value to an Error for logging and `cause`. */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** For exhaustive switches over tagged unions: a new case without a branch does not compile. */
export function assertNever(value: never): never {
  throw new StreamsError('ILLEGAL_STATE', `unexpected value ${JSON.stringify(value)}`);
}
