import { StreamsError } from '../../errors.js';
import type { ApiKey } from '../../protocol/api-keys.js';
import { kafkaErrorCode, KafkaErrorCode } from '../../protocol/error-codes.js';
import type {
  CreateTopicsRequestCreatableTopic,
  CreateTopicsResponseCreatableTopicResult,
  DeleteTopicsResponseDeletableTopicResult,
  DescribeConfigsResponseDescribeConfigsResourceResult,
  DescribeConfigsResponseDescribeConfigsResult,
} from '../../protocol/messages.js';
import type { Broker } from '../broker.js';
import { isAuthorized, isClusterAuthorized } from '../security/authorizer.js';
import { DEFAULT_TOPIC_CONFIG, parseTopicConfig, validateTopicName, type TopicConfig, type TopicConfigInput } from '../topic-config.js';
import type { ApiHandler, RequestContext } from './handler.js';

/** The broker's own checks of a partition count (Broker.createTopic), repeated for validateOnly. */
const MAX_PARTITIONS = 100_000;

/**
 * CreateTopics (0-4): creates each topic with its partition count (-1: the broker's default; with a manual
 * assignment, one partition per entry), ignoring the replication factor (one node holds every replica) and applying
 * its configs. `validateOnly` checks everything and creates nothing. Errors per topic: TOPIC_ALREADY_EXISTS (any
 * existing topic, as Kafka), INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS, INVALID_CONFIG, INVALID_REQUEST (a name
 * given twice), and TOPIC_AUTHORIZATION_FAILED unless the principal may Create on the Cluster or on the topic (as
 * Kafka's KafkaApis.handleCreateTopicsRequest).
 *
 * @example
 * ```ts
 * await handleCreateTopics(ctx, { topics: [{ name: 'lines', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
 * ```
 */
export const handleCreateTopics: ApiHandler<typeof ApiKey.CreateTopics> = (ctx, req) => {
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const validateOnly = req.validateOnly === true;
  const mayCreateAny = isClusterAuthorized(ctx, 'Create', false);
  const topics: CreateTopicsResponseCreatableTopicResult[] = req.topics.map((t) => {
    try {
      if (counts.get(t.name)! > 1) throw new StreamsError('INVALID_REQUEST', `topic ${t.name} is named more than once in the request`, { topic: t.name });
      if (!mayCreateAny && !isAuthorized(ctx, 'Create', 'Topic', t.name)) {
        return { name: t.name, errorCode: KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
      }
      createTopic(ctx, t, validateOnly);
      return { name: t.name, errorCode: KafkaErrorCode.NONE, errorMessage: null };
    } catch (e: unknown) {
      return { name: t.name, errorCode: kafkaErrorCode(e), errorMessage: e instanceof Error ? e.message : String(e) };
    }
  });
  return { throttleTimeMs: 0, topics };
};

function createTopic(ctx: RequestContext, t: CreateTopicsRequestCreatableTopic, validateOnly: boolean): void {
  const broker = ctx.broker;
  const name = t.name;
  validateTopicName(name);
  if (broker.hasTopic(name)) throw new StreamsError('TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
  const numPartitions = partitionCount(broker, t);
  const configs: Record<string, string> = {};
  for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
  // parseTopicConfig refuses keys that are not topic configs, so the cast only names what it checks.
  const input = configs as TopicConfigInput;
  if (validateOnly) {
    parseTopicConfig(input);
    return;
  }
  broker.createTopic(name, numPartitions, input);
  ctx.logger.info({ topic: name, numPartitions, peer: ctx.peer }, 'created topic (CreateTopics)');
}

function partitionCount(broker: Broker, t: CreateTopicsRequestCreatableTopic): number {
  let n = t.numPartitions;
  if (t.assignments.length > 0) {
    if (n !== -1) throw new StreamsError('INVALID_REQUEST', `topic ${t.name}: give either numPartitions or a manual assignment, not both`, { topic: t.name });
    const indexes = new Set(t.assignments.map((a) => a.partitionIndex));
    n = t.assignments.length;
    for (let p = 0; p < n; p++) {
      if (!indexes.has(p)) throw new StreamsError('INVALID_REQUEST', `topic ${t.name}: the manual assignment must list partitions 0..${n - 1}`, { topic: t.name });
    }
  } else if (n === -1) n = broker.defaultNumPartitions;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PARTITIONS) {
    throw new StreamsError('INVALID_PARTITIONS', `topic ${t.name}: partition count must be an integer in 1..${MAX_PARTITIONS} (or -1 for the default), got ${n}`, { topic: t.name });
  }
  return n;
}

/**
 * DeleteTopics (0-3): deletes each named topic with its files. Errors per topic: UNKNOWN_TOPIC_OR_PARTITION,
 * INVALID_TOPIC_EXCEPTION, and INVALID_REQUEST for internal topics (`__consumer_offsets`, `__transaction_state`),
 * which the coordinators need; TOPIC_AUTHORIZATION_FAILED without Delete on the topic (checked first, as Kafka's
 * KafkaApis.handleDeleteTopicsRequest, so existence does not leak).
 *
 * @example
 * ```ts
 * await handleDeleteTopics(ctx, { topicNames: ['lines'], timeoutMs: 5000 });
 * ```
 */
export const handleDeleteTopics: ApiHandler<typeof ApiKey.DeleteTopics> = (ctx, req) => {
  const broker = ctx.broker;
  const responses: DeleteTopicsResponseDeletableTopicResult[] = req.topicNames.map((name) => {
    if (!isAuthorized(ctx, 'Delete', 'Topic', name)) return { name, errorCode: KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
    try {
      if (broker.hasTopic(name) && broker.describeTopic(name).isInternal) {
        throw new StreamsError('INVALID_REQUEST', `internal topic ${name} cannot be deleted`, { topic: name });
      }
      broker.deleteTopic(name);
      ctx.logger.info({ topic: name, peer: ctx.peer }, 'deleted topic (DeleteTopics)');
      return { name, errorCode: KafkaErrorCode.NONE };
    } catch (e: unknown) {
      return { name, errorCode: kafkaErrorCode(e), errorMessage: e instanceof Error ? e.message : String(e) };
    }
  });
  return { throttleTimeMs: 0, responses };
};

/** Kafka's ConfigResource.Type values. */
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
/** Kafka's DescribeConfigsResponse ConfigSource values. */
const SOURCE_DYNAMIC_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;
/** Kafka's DescribeConfigsResponse ConfigType values. */
const TYPE_STRING = 2;
const TYPE_INT = 3;
const TYPE_LONG = 5;
const TYPE_BOOLEAN = 1;
const TYPE_LIST = 7;

const TOPIC_CONFIG_TYPES: Readonly<Record<keyof TopicConfig, number>> = {
  'cleanup.policy': TYPE_LIST,
  'retention.ms': TYPE_LONG,
  'retention.bytes': TYPE_LONG,
  'segment.bytes': TYPE_INT,
  'segment.ms': TYPE_LONG,
  'max.message.bytes': TYPE_INT,
  'min.compaction.lag.ms': TYPE_LONG,
  'delete.retention.ms': TYPE_LONG,
  'index.interval.bytes': TYPE_INT,
  'message.timestamp.type': TYPE_STRING,
  'compression.type': TYPE_STRING,
};

interface ConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly isDefault: boolean;
  readonly source: number;
  readonly type: number;
}

/**
 * DescribeConfigs (0-3): a topic resource lists the topic's effective config (every key tributary knows; a value
 * equal to Kafka's default is reported as DEFAULT_CONFIG, any other as DYNAMIC_TOPIC_CONFIG); a broker resource
 * (this node's id, or "" for the cluster default) lists a few read-only broker settings. `configurationKeys`
 * filters (null = all). Errors per resource: UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, INVALID_REQUEST
 * (another broker id or an unsupported resource type). As Kafka's KafkaApis.handleDescribeConfigsRequest, a topic
 * needs DescribeConfigs on it (else TOPIC_AUTHORIZATION_FAILED), a broker DescribeConfigs on the Cluster (else
 * CLUSTER_AUTHORIZATION_FAILED).
 *
 * @example
 * ```ts
 * await handleDescribeConfigs(ctx, { resources: [{ resourceType: 2, resourceName: 'lines', configurationKeys: null }], includeSynonyms: false });
 * ```
 */
export const handleDescribeConfigs: ApiHandler<typeof ApiKey.DescribeConfigs> = (ctx, req) => {
  const results: DescribeConfigsResponseDescribeConfigsResult[] = req.resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    const refused =
      r.resourceType === RESOURCE_TOPIC && !isAuthorized(ctx, 'DescribeConfigs', 'Topic', r.resourceName)
        ? KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED
        : r.resourceType === RESOURCE_BROKER && !isClusterAuthorized(ctx, 'DescribeConfigs')
          ? KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED
          : KafkaErrorCode.NONE;
    if (refused !== KafkaErrorCode.NONE) return { ...base, errorCode: refused, errorMessage: 'Authorization failed.', configs: [] };
    try {
      const entries = r.resourceType === RESOURCE_TOPIC ? topicEntries(ctx, r.resourceName) : brokerEntries(ctx, r.resourceType, r.resourceName);
      const keys = r.configurationKeys === null ? null : new Set(r.configurationKeys);
      const configs = entries.filter((e) => keys === null || keys.has(e.name)).map(configResult);
      return { ...base, errorCode: KafkaErrorCode.NONE, errorMessage: null, configs };
    } catch (e: unknown) {
      return { ...base, errorCode: kafkaErrorCode(e), errorMessage: e instanceof Error ? e.message : String(e), configs: [] };
    }
  });
  return { throttleTimeMs: 0, results };
};

function topicEntries(ctx: RequestContext, topic: string): ConfigEntry[] {
  const config = ctx.broker.describeTopic(topic).config;
  return (Object.keys(TOPIC_CONFIG_TYPES) as (keyof TopicConfig)[]).map((name) => {
    const isDefault = config[name] === DEFAULT_TOPIC_CONFIG[name];
    return { name, value: String(config[name]), isDefault, source: isDefault ? SOURCE_DEFAULT : SOURCE_DYNAMIC_TOPIC, type: TOPIC_CONFIG_TYPES[name] };
  });
}

function brokerEntries(ctx: RequestContext, resourceType: number, resourceName: string): ConfigEntry[] {
  if (resourceType !== RESOURCE_BROKER) throw new StreamsError('INVALID_REQUEST', `resource type ${resourceType} is not supported (topic 2 and broker 4 are)`);
  if (resourceName !== '' && resourceName !== String(ctx.nodeId)) {
    throw new StreamsError('INVALID_REQUEST', `broker ${resourceName} is not this broker (node ${ctx.nodeId})`);
  }
  const broker = ctx.broker;
  const entry = (name: string, value: string, type: number): ConfigEntry => ({ name, value, isDefault: false, source: SOURCE_STATIC_BROKER, type });
  return [
    entry('broker.id', String(ctx.nodeId), TYPE_INT),
    entry('advertised.listeners', `PLAINTEXT://${ctx.advertisedHost}:${ctx.advertisedPort}`, TYPE_STRING),
    entry('log.dirs', broker.dataDir, TYPE_STRING),
    entry('num.partitions', String(broker.defaultNumPartitions), TYPE_INT),
    entry('default.replication.factor', '1', TYPE_INT),
    entry('offsets.topic.replication.factor', '1', TYPE_INT),
    entry('transaction.state.log.replication.factor', '1', TYPE_INT),
    entry('auto.create.topics.enable', 'true', TYPE_BOOLEAN),
    entry('delete.topic.enable', 'true', TYPE_BOOLEAN),
  ];
}

function configResult(e: ConfigEntry): DescribeConfigsResponseDescribeConfigsResourceResult {
  return {
    name: e.name,
    value: e.value,
    readOnly: e.source === SOURCE_STATIC_BROKER,
    isDefault: e.isDefault,
    configSource: e.source,
    isSensitive: false,
    synonyms: [],
    configType: e.type,
    // Documentation (v3, on request) is left null: Kafka's own docs describe these keys.
    documentation: null,
  };
}
