/**
 * Kafka API keys tributary speaks, and the version ranges its broker advertises and its client may use.
 *
 * The ranges are the "advertise" column of KAFKA-PROTOCOL.md §1.2: non-flexible versions (plus ApiVersions v3 and
 * TxnOffsetCommit v3, flexible, which carries KIP-447's generation fencing, and OffsetFetch v6-7, whose requireStable lets
 * a read_committed consumer wait for offsets of an open transaction). The lower bounds are what librdkafka
 * 2.0.2's feature gates test (Debian's kcat needs JoinGroup/SyncGroup/Heartbeat/LeaveGroup/FindCoordinator v0); the
 * upper bounds are all at or above Kafka 2.1's, the floor Apache Kafka 4.x keeps (KIP-896), so a client that picks
 * the top of each range also works against Kafka 4.x.
 */

/**
 * The API keys of the requests tributary's broker serves, by Kafka's names.
 *
 * @example
 * ```ts
 * const frame = encodeRequest(ApiKey.Metadata, 8, 1, 'app', { topics: null, allowAutoTopicCreation: false });
 * ```
 */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  SaslAuthenticate: 36,
} as const;

/**
 * One of the numbers in {@link ApiKey}.
 *
 * @example
 * ```ts
 * const key: ApiKeyNumber = ApiKey.Fetch;
 * ```
 */
export type ApiKeyNumber = (typeof ApiKey)[keyof typeof ApiKey];

/**
 * Kafka's name of an API key (`apiName(1) === 'Fetch'`), or `api-<n>` for one tributary does not know.
 *
 * @example
 * ```ts
 * logger.warn({ api: apiName(header.apiKey) }, 'unsupported request');
 * ```
 */
export function apiName(apiKey: number): string {
  return API_NAMES.get(apiKey) ?? `api-${apiKey}`;
}

const API_NAMES = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key, name]));

/**
 * `[min, max]` versions per API key: what the broker advertises in ApiVersions and what the client may pick from
 * (the highest version both sides support). SASL keys are listed by the security layer when it is configured.
 *
 * @example
 * ```ts
 * const [, max] = SUPPORTED_VERSIONS.get(ApiKey.Fetch)!; // 11
 * ```
 */
export const SUPPORTED_VERSIONS: ReadonlyMap<number, readonly [number, number]> = new Map<number, readonly [number, number]>([
  // Produce v0-2 carry the old message formats, which the broker refuses per partition (CORRUPT_MESSAGE): no client
  // sends them while v3+ is offered. Advertising 0 matters to librdkafka < 2.11 (Debian's kcat 2.0.2): it compresses
  // gzip, snappy and lz4 only when the broker's Produce range reaches down to v0, else it sends batches uncompressed.
  [ApiKey.Produce, [0, 8]],
  [ApiKey.Fetch, [4, 11]],
  [ApiKey.ListOffsets, [1, 5]],
  [ApiKey.Metadata, [0, 8]],
  [ApiKey.OffsetCommit, [2, 7]],
  [ApiKey.OffsetFetch, [1, 7]],
  [ApiKey.FindCoordinator, [0, 2]],
  [ApiKey.JoinGroup, [0, 5]],
  [ApiKey.Heartbeat, [0, 3]],
  [ApiKey.LeaveGroup, [0, 3]],
  [ApiKey.SyncGroup, [0, 3]],
  [ApiKey.DescribeGroups, [0, 4]],
  [ApiKey.ListGroups, [0, 2]],
  [ApiKey.ApiVersions, [0, 3]],
  [ApiKey.CreateTopics, [0, 4]],
  [ApiKey.DeleteTopics, [0, 3]],
  [ApiKey.DeleteRecords, [0, 2]],
  [ApiKey.InitProducerId, [0, 1]],
  [ApiKey.AddPartitionsToTxn, [0, 2]],
  [ApiKey.AddOffsetsToTxn, [0, 2]],
  [ApiKey.EndTxn, [0, 2]],
  [ApiKey.TxnOffsetCommit, [0, 3]],
  [ApiKey.DescribeConfigs, [0, 3]],
]);
