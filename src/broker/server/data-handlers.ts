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
import { handleFetch, handleListOffsets, LEADER_EPOCH } from './fetch-handlers.js';
import type { ApiHandler, HandlerTable, RequestContext } from './handler.js';
import { handleProduce } from './produce-handler.js';
import { handleCreateTopics, handleDeleteTopics, handleDescribeConfigs } from './topic-admin-handlers.js';

/** Kafka's "authorized operations not requested" (Integer.MIN_VALUE). */
const OPERATIONS_UNKNOWN = -2147483648;

const API_KEYS: readonly ApiVersionsResponseApiVersion[] = Object.freeze(
  [...SUPPORTED_VERSIONS]
    .sort(([a], [b]) => a - b)
    .map(([apiKey, [minVersion, maxVersion]]) => Object.freeze({ apiKey, minVersion, maxVersion })),
);

/**
 * The ApiVersions response body: every API in SUPPORTED_VERSIONS with its range, and `errorCode` (0, or
 * UNSUPPORTED_VERSION when the client asked for a version we do not have: KIP-511's v0-format answer).
 *
 * @example
 * ```ts
 * encodeResponse(ApiKey.ApiVersions, 0, correlationId, apiVersionsBody(KafkaErrorCode.UNSUPPORTED_VERSION));
 * ```
 */
export function apiVersionsBody(errorCode: number): ApiVersionsResponse {
  return { errorCode, apiKeys: API_KEYS, throttleTimeMs: 0 };
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
    for (const info of broker.listTopics({ includeInternal: true })) topics.push(topicMetadata(ctx, info));
  } else {
    const mayCreate = ctx.apiVersion < 4 || req.allowAutoTopicCreation !== false;
    const seen = new Set<string>();
    for (const t of requested) {
      if (seen.has(t.name)) continue;
      seen.add(t.name);
      topics.push(requestedTopic(ctx, t.name, mayCreate));
    }
  }
  const response: MetadataResponse = {
    throttleTimeMs: 0,
    brokers: [{ nodeId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort, rack: null }],
    clusterId: clusterIdOf(broker),
    controllerId: ctx.nodeId,
    topics,
    clusterAuthorizedOperations: OPERATIONS_UNKNOWN,
  };
  return response;
};

function requestedTopic(ctx: RequestContext, name: string, mayCreate: boolean): MetadataResponseTopic {
  const broker = ctx.broker;
  try {
    if (broker.hasTopic(name)) return topicMetadata(ctx, broker.describeTopic(name));
    if (!mayCreate) throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    const info = broker.createTopic(name, broker.defaultNumPartitions);
    ctx.logger.info({ topic: name, numPartitions: info.numPartitions, peer: ctx.peer }, 'auto-created topic on a metadata request');
    return topicMetadata(ctx, info);
  } catch (e: unknown) {
    return { errorCode: kafkaErrorCode(e), name, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_UNKNOWN };
  }
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
