import { StreamsError } from '../errors.js';
import { isCompressionCodec, type CompressionCodec } from './compression.js';

/**
 * A topic's configuration, with Kafka's keys and defaults. Values given as strings (as Kafka's tools do) or numbers
 * are both accepted by {@link parseTopicConfig}.
 *
 * | key                     | default          | meaning                                                         |
 * | ----------------------- | ---------------- | --------------------------------------------------------------- |
 * | `cleanup.policy`        | `delete`         | `delete`, `compact` or `compact,delete`                         |
 * | `retention.ms`          | 604800000 (7 d)  | delete segments whose newest record is older; -1 = forever      |
 * | `retention.bytes`       | -1               | delete oldest segments while the partition is larger; -1 = off  |
 * | `segment.bytes`         | 1073741824       | roll to a new segment file past this size                       |
 * | `segment.ms`            | 604800000        | roll a segment this long after its first append                 |
 * | `max.message.bytes`     | 1048588          | largest batch accepted (RECORD_TOO_LARGE beyond)                |
 * | `min.compaction.lag.ms` | 0                | records younger than this are never compacted                   |
 * | `delete.retention.ms`   | 86400000 (1 d)   | how long compaction keeps a tombstone after it first cleans it  |
 * | `index.interval.bytes`  | 4096             | bytes between two sparse offset/time index entries              |
 * | `message.timestamp.type`| `CreateTime`     | `CreateTime` keeps the producer's timestamp; `LogAppendTime` stamps the broker's clock |
 * | `compression.type`      | `producer`       | `producer` stores batches as the producer compressed them; `uncompressed`, `gzip`, `snappy`, `lz4` or `zstd` makes the broker re-code every other batch to that codec as it appends it (Kafka's recompression) |
 *
 * @example
 * ```ts
 * await admin.createTopics([{ topic: 'counts-changelog', numPartitions: 4, configs: { 'cleanup.policy': 'compact' } }]);
 * ```
 */
export interface TopicConfig {
  readonly 'cleanup.policy': CleanupPolicy;
  readonly 'retention.ms': number;
  readonly 'retention.bytes': number;
  readonly 'segment.bytes': number;
  readonly 'segment.ms': number;
  readonly 'max.message.bytes': number;
  readonly 'min.compaction.lag.ms': number;
  readonly 'delete.retention.ms': number;
  readonly 'index.interval.bytes': number;
  readonly 'message.timestamp.type': 'CreateTime' | 'LogAppendTime';
  readonly 'compression.type': TopicCompressionType;
}

/**
 * A topic's `compression.type`: `producer` keeps what producers send; any other value is the codec the broker
 * stores batches with (`uncompressed` = none), re-coding those that use another one.
 *
 * @example
 * ```ts
 * broker.createTopic('events', 3, { 'compression.type': 'zstd' });
 * ```
 */
export type TopicCompressionType = 'producer' | 'uncompressed' | Exclude<CompressionCodec, 'none'>;

/**
 * The codec a broker re-codes appended batches to under `compression.type`, or null for `producer` (store as sent).
 *
 * @example
 * ```ts
 * storedCodec(parseTopicConfig({ 'compression.type': 'uncompressed' })); // 'none'
 * ```
 */
export function storedCodec(config: TopicConfig): CompressionCodec | null {
  const type = config['compression.type'];
  return type === 'producer' ? null : type === 'uncompressed' ? 'none' : type;
}

/** `delete`, `compact`, or both. */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

/** Config as given by a caller: any subset, strings or numbers. */
export type TopicConfigInput = { readonly [K in keyof TopicConfig]?: TopicConfig[K] | string };

/** Kafka's defaults. */
export const DEFAULT_TOPIC_CONFIG: TopicConfig = Object.freeze({
  'cleanup.policy': 'delete',
  'retention.ms': 604_800_000,
  'retention.bytes': -1,
  'segment.bytes': 1_073_741_824,
  'segment.ms': 604_800_000,
  'max.message.bytes': 1_048_588,
  'min.compaction.lag.ms': 0,
  'delete.retention.ms': 86_400_000,
  'index.interval.bytes': 4096,
  'message.timestamp.type': 'CreateTime',
  'compression.type': 'producer',
});

const NUMERIC_KEYS = {
  'retention.ms': { min: -1 },
  'retention.bytes': { min: -1 },
  'segment.bytes': { min: 14 },
  'segment.ms': { min: 1 },
  'max.message.bytes': { min: 0 },
  'min.compaction.lag.ms': { min: 0 },
  'delete.retention.ms': { min: 0 },
  'index.interval.bytes': { min: 0 },
} as const;

/**
 * Validates and completes a topic config over `base` (Kafka's defaults unless given). Unknown keys and values
 * out of range are refused with INVALID_CONFIG naming the key.
 *
 * @example
 * ```ts
 * parseTopicConfig({ 'cleanup.policy': 'compact', 'segment.bytes': '1048576' })['segment.bytes']; // 1048576
 * ```
 */
export function parseTopicConfig(input: TopicConfigInput | undefined, base: TopicConfig = DEFAULT_TOPIC_CONFIG): TopicConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [key, raw] of Object.entries(input ?? {})) {
    if (raw === undefined) continue;
    if (key === 'cleanup.policy') {
      const v = String(raw).split(',').map((s) => s.trim()).sort().join(',');
      if (v !== 'delete' && v !== 'compact' && v !== 'compact,delete') {
        throw new StreamsError('INVALID_CONFIG', `cleanup.policy must be delete, compact or compact,delete, got '${String(raw)}'`);
      }
      out[key] = v;
    } else if (key === 'message.timestamp.type') {
      if (raw !== 'CreateTime' && raw !== 'LogAppendTime') {
        throw new StreamsError('INVALID_CONFIG', `message.timestamp.type must be CreateTime or LogAppendTime, got '${String(raw)}'`);
      }
      out[key] = raw;
    } else if (key === 'compression.type') {
      if (raw !== 'producer' && raw !== 'uncompressed' && (raw === 'none' || !isCompressionCodec(raw))) {
        throw new StreamsError('INVALID_CONFIG', `compression.type must be producer, uncompressed, gzip, snappy, lz4 or zstd, got '${String(raw)}'`);
      }
      out[key] = raw;
    } else if (Object.hasOwn(NUMERIC_KEYS, key)) {
      // Strings must be plain decimal integers: '' , ' ' or '0x400' are not silently read as numbers.
      const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(raw) ? Number(raw) : NaN;
      const { min } = NUMERIC_KEYS[key as keyof typeof NUMERIC_KEYS];
      if (!Number.isSafeInteger(n) || n < min) {
        throw new StreamsError('INVALID_CONFIG', `${key} must be an integer >= ${min}, got '${String(raw)}'`);
      }
      out[key] = n;
    } else {
      throw new StreamsError('INVALID_CONFIG', `unknown topic config '${key}'`);
    }
  }
  return Object.freeze(out) as unknown as TopicConfig;
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Refuses a topic name that breaks Kafka's rule (`[a-zA-Z0-9._-]`, 1..249 characters, not `.` or `..`), so no
 * name ever reaches the file system as a path.
 *
 * @example
 * ```ts
 * validateTopicName('../x'); // throws StreamsError INVALID_TOPIC
 * ```
 */
export function validateTopicName(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || !LEGAL_TOPIC.test(topic) || topic === '.' || topic === '..') {
    const shown = typeof topic === 'string' ? JSON.stringify(topic.length > 60 ? topic.slice(0, 60) + '…' : topic) : String(topic);
    throw new StreamsError(
      'INVALID_TOPIC',
      `invalid topic name ${shown}: use 1..249 characters of [a-zA-Z0-9._-], not '.' or '..'`,
    );
  }
}

/** True for compacted topics (`compact` or `compact,delete`). */
export function isCompacted(config: TopicConfig): boolean {
  return config['cleanup.policy'] !== 'delete';
}

/** True for topics whose old segments are deleted by time/size (`delete` or `compact,delete`). */
export function isDeleteRetained(config: TopicConfig): boolean {
  return config['cleanup.policy'] !== 'compact';
}
