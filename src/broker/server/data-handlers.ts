/**
 * The data-plane handlers of the Kafka-protocol server: ApiVersions and Metadata here; Produce, Fetch and
 * ListOffsets, and the topic admin APIs in their own files; all gathered in {@link dataHandlers}.
 */
import { createHash } from 'node:crypto';
import { StreamsError } from '../../errors.js';
import { ApiKey, SUPPORTED_VERSIONS } from '../../protocol/api-keys.js';
import { kafkaErrorCode, KafkaErrorCode } from '../../protocol/error-codes.js';
import type {
  ApiVersionsResponse,
  ApiVersionsResponseApiVersion,
  MetadataResponse,
  MetadataResponsePartition,
  MetadataResponseTopic,
} from '../../protocol/messages.js';
import type { Broker, TopicInfo } from '../broker.js';
import { SASL_VERSIONS } from '../security/sasl-mechanism.js';
import { CLUSTER_RESOURCE_NAME } from '../security/acl.js';
import { authorizedOperations, isAuthorized, isClusterAuthorized } from '../security/authorizer.js';
import { handleFetch, handleListOffsets, LEADER_EPOCH } from './fetch-handlers.js';
import type { ApiHandler, HandlerTable, RequestContext } from './handler.js';
import { handleProduce } from './produce-handler.js';
import { handleCreateTopics, handleDeleteTopics, handleDescribeConfigs } from './topic-admin-handlers.js';

/** Kafka's "authorized operations not requested" (Integer.MIN_VALUE). */
const OPERATIONS_UNKNOWN = -2147483648;

function apiVersionList(versions: Iterable<readonly [number, readonly [number, number]]>): readonly ApiVersionsResponseApiVersion[] {
  return Object.freeze(
    [...versions].sort(([a], [b]) => a - b).map(([apiKey, [minVersion, maxVersion]]) => Object.freeze({ apiKey, minVersion, maxVersion })),
  );
}

const API_KEYS = apiVersionList(SUPPORTED_VERSIONS);
/** What a SASL listener advertises: the SASL APIs too (Kafka lists them on every listener; we only where they work). */
const API_KEYS_WITH_SASL = apiVersionList([...SUPPORTED_VERSIONS, ...SASL_VERSIONS]);

/**
 * The ApiVersions response body: every API in SUPPORTED_VERSIONS with its range (plus SaslHandshake and
 * SaslAuthenticate with `withSasl`, on a SASL listener), and `errorCode` (0, or UNSUPPORTED_VERSION when the client
 * asked for a version we do not have: KIP-511's v0-format answer).
 *
 * @example
 * ```ts
 * encodeResponse(ApiKey.ApiVersions, 0, correlationId, apiVersionsBody(KafkaErrorCode.UNSUPPORTED_VERSION));
 * ```
 */
export function apiVersionsBody(errorCode: number, withSasl = false): ApiVersionsResponse {
  return { errorCode, apiKeys: withSasl ? API_KEYS_WITH_SASL : API_KEYS, throttleTimeMs: 0 };
}

/**
 * ApiVersions (0-3): what this broker speaks (v3 is flexible; its response header stays v0, which the codec does).
 *
 * @example
 * ```ts
 * handleApiVersions(ctx, { clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7.1' }).apiKeys; // every SUPPORTED_VERSIONS entry
 * ```
 */
export const handleApiVersions: ApiHandler<typeof ApiKey.ApiVersions> = () => apiVersionsBody(KafkaErrorCode.NONE);

/**
 * ApiVersions on a SASL listener: {@link handleApiVersions} plus SaslHandshake v1 and SaslAuthenticate v0-2.
 *
 * @example
 * ```ts
 * const handlers: HandlerTable = { ...builtInHandlers, [ApiKey.ApiVersions]: handleSaslApiVersions };
 * ```
 */
export const handleSaslApiVersions: ApiHandler<typeof ApiKey.ApiVersions> = () => apiVersionsBody(KafkaErrorCode.NONE, true);

const clusterIds = new WeakMap<Broker, string>();

/**
 * A stable cluster id for a broker: derived from its data directory (22 characters of base64url, shaped like
 * Kafka's), so it is the same across restarts of the same log.
 *
 * @example
 * ```ts
 * clusterIdOf(broker); // 'q3Xv...'
 * ```
 */
export function clusterIdOf(broker: Broker): string {
  let id = clusterIds.get(broker);
  if (id === undefined) {
    id = createHash('sha256').update(`tributary:${broker.dataDir}`).digest().subarray(0, 16).toString('base64url');
    clusterIds.set(broker, id);
  }
  return id;
}

/**
 * Metadata (0-8): this one node as the only broker and controller, and the requested topics (all, internal ones
 * included, for a null list, or an empty one in v0). A missing topic is created with the broker's default partition
 * count when the request allows it (v4+ `allowAutoTopicCreation`; always before v4), else UNKNOWN_TOPIC_OR_PARTITION.
 * Every partition is led by this node at leader epoch 0, with this node as its only replica and in-sync replica.
 *
 * Authorization as Kafka's KafkaApis.handleTopicMetadataRequest: a topic the principal may not Describe is left out
 * of an all-topics answer, and answers TOPIC_AUTHORIZATION_FAILED when named (whether it exists or not, so nothing
 * leaks); auto-creating a missing topic needs Create on the Cluster or on the topic, else TOPIC_AUTHORIZATION_FAILED.
 * Authorized operations (v8+) are filled in when the request asks for them.
 *
 * @example
 * ```ts
 * handleMetadata(ctx, { topics: [{ name: 'lines' }], allowAutoTopicCreation: false }); // 'lines' or UNKNOWN_TOPIC_OR_PARTITION
 * ```
 */
export const handleMetadata: ApiHandler<typeof ApiKey.Metadata> = (ctx, req) => {
  const broker = ctx.broker;
  const topics: MetadataResponseTopic[] = [];
  const requested = req.topics;
  if (requested === null || (ctx.apiVersion === 0 && requested.length === 0)) {
    for (const info of broker.listTopics({ includeInternal: true })) {
      if (isAuthorized(ctx, 'Describe', 'Topic', info.name, false)) topics.push(topicMetadata(ctx, info));
    }
  } else {
    const mayCreate = ctx.apiVersion < 4 || req.allowAutoTopicCreation !== false;
    const seen = new Set<string>();
    for (const t of requested) {
      if (seen.has(t.name)) continue;
      seen.add(t.name);
      topics.push(requestedTopic(ctx, t.name, mayCreate));
    }
  }
  if (ctx.apiVersion >= 8 && req.includeTopicAuthorizedOperations === true) {
    for (const t of topics) if (t.errorCode === KafkaErrorCode.NONE) t.topicAuthorizedOperations = authorizedOperations(ctx, 'Topic', t.name);
  }
  let clusterOperations = OPERATIONS_UNKNOWN;
  if (ctx.apiVersion >= 8 && req.includeClusterAuthorizedOperations === true) {
    clusterOperations = isClusterAuthorized(ctx, 'Describe') ? authorizedOperations(ctx, 'Cluster', CLUSTER_RESOURCE_NAME) : 0;
  }
  const response: MetadataResponse = {
    throttleTimeMs: 0,
    brokers: [{ nodeId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort, rack: null }],
    clusterId: clusterIdOf(broker),
    controllerId: ctx.nodeId,
    topics,
    clusterAuthorizedOperations: clusterOperations,
  };
  return response;
};

function requestedTopic(ctx: RequestContext, name: string, mayCreate: boolean): MetadataResponseTopic {
  const broker = ctx.broker;
  // Checked before existence: a principal that may not describe a topic cannot learn whether it exists.
  if (!isAuthorized(ctx, 'Describe', 'Topic', name)) return unauthorizedTopic(name);
  try {
    if (broker.hasTopic(name)) return topicMetadata(ctx, broker.describeTopic(name));
    if (!mayCreate) throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    if (!isClusterAuthorized(ctx, 'Create', false) && !isAuthorized(ctx, 'Create', 'Topic', name)) return unauthorizedTopic(name);
    const info = broker.createTopic(name, broker.defaultNumPartitions);
    ctx.logger.info({ topic: name, numPartitions: info.numPartitions, peer: ctx.peer }, 'auto-created topic on a metadata request');
    return topicMetadata(ctx, info);
  } catch (e: unknown) {
    return { errorCode: kafkaErrorCode(e), name, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_UNKNOWN };
  }
}

function unauthorizedTopic(name: string): MetadataResponseTopic {
  return { errorCode: KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED, name, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_UNKNOWN };
}

function topicMetadata(ctx: RequestContext, info: TopicInfo): MetadataResponseTopic {
  const nodes = [ctx.nodeId];
  const partitions: MetadataResponsePartition[] = new Array<MetadataResponsePartition>(info.numPartitions);
  for (let p = 0; p < info.numPartitions; p++) {
    partitions[p] = {
      errorCode: KafkaErrorCode.NONE,
      partitionIndex: p,
      leaderId: ctx.nodeId,
      leaderEpoch: LEADER_EPOCH,
      replicaNodes: nodes,
      isrNodes: nodes,
      offlineReplicas: [],
    };
  }
  return { errorCode: KafkaErrorCode.NONE, name: info.name, isInternal: info.isInternal, partitions, topicAuthorizedOperations: OPERATIONS_UNKNOWN };
}

/**
 * The data-plane APIs of the Kafka-protocol server: ApiVersions, Metadata, Produce, Fetch, ListOffsets,
 * CreateTopics, DeleteTopics and DescribeConfigs, each mapped onto the {@link Broker}. Errors concerning a topic or a
 * partition come back as that entry's error code; only a broken request closes the connection.
 *
 * @example
 * ```ts
 * const handlers: HandlerTable = { ...dataHandlers, ...coordinatorHandlers };
 * ```
 */
export const dataHandlers: HandlerTable = {
  [ApiKey.ApiVersions]: handleApiVersions,
  [ApiKey.Metadata]: handleMetadata,
  [ApiKey.Produce]: handleProduce,
  [ApiKey.Fetch]: handleFetch,
  [ApiKey.ListOffsets]: handleListOffsets,
  [ApiKey.CreateTopics]: handleCreateTopics,
  [ApiKey.DeleteTopics]: handleDeleteTopics,
  [ApiKey.DescribeConfigs]: handleDescribeConfigs,
};
