import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKey, type ApiKeyNumber } from '../../protocol/api-keys.js';
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse, type RequestBodies, type ResponseBodies } from '../../protocol/codec.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import { silentLogger } from '../../util/logger.js';
import { Broker } from '../broker.js';
import { encodeBatch } from '../record-batch.js';
import type { ApiHandler, RequestContext } from '../server/handler.js';
import { builtInHandlers } from '../server/kafka-server.js';
import { CLUSTER_RESOURCE_NAME, type AclBinding } from './acl.js';
import { AclAuthorizer } from './authorizer.js';

// Every API the server serves, called through its handler as the server would (bodies through the codec), once by
// a principal the ACLs allow and once by one they do not, checking the error codes Kafka's KafkaApis answers.

const E = KafkaErrorCode;
const ALICE = 'User:alice';
const MALLORY = 'User:mallory';
const ADMIN = 'User:admin';

let dir: string;
let broker: Broker;
let authorizer: AclAuthorizer;

const allow = (principal: string, operation: AclBinding['operation'], resourceType: AclBinding['resourceType'], resourceName: string, patternType: AclBinding['patternType'] = 'Literal'): AclBinding => ({
  principal,
  host: '*',
  operation,
  permission: 'Allow',
  resourceType,
  resourceName,
  patternType,
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-authz-'));
  broker = await Broker.open({
    dataDir: dir,
    logger: silentLogger(),
    maintenanceIntervalMs: 0,
    transactionAbortTimedOutIntervalMs: 0,
    groupInitialRebalanceDelayMs: 0,
    offsetsTopicPartitions: 2,
    transactionStateTopicPartitions: 1,
  });
  broker.createTopic('a-in', 2);
  broker.createTopic('secret', 1);
  authorizer = new AclAuthorizer(
    [
      // alice: everything on topics starting with a-, Describe only on topics starting with d-
      allow(ALICE, 'All', 'Topic', 'a-', 'Prefixed'),
      allow(ALICE, 'Describe', 'Topic', 'd-', 'Prefixed'),
      allow(ALICE, 'Read', 'Group', 'g'),
      allow(ALICE, 'Write', 'TransactionalId', 'tx'),
    ],
    { superUsers: [ADMIN] },
  );
});

afterEach(async () => {
  await broker.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function context(principal: string, apiVersion: number): RequestContext {
  return {
    broker,
    apiVersion,
    clientId: 'authz-test',
    peer: '127.0.0.1:50000',
    logger: silentLogger(),
    nodeId: 0,
    advertisedHost: '127.0.0.1',
    advertisedPort: 9092,
    signal: new AbortController().signal,
    principal,
    authorizer,
  };
}

/** Serves one request as the server would: body and response through the codec at `version`. */
async function call<K extends ApiKeyNumber>(principal: string, key: K, version: number, body: RequestBodies[K]): Promise<ResponseBodies[K]> {
  const request = Buffer.concat(encodeRequest(key, version, 7, 'authz-test', body)).subarray(4);
  const header = decodeRequestHeader(request);
  const decoded = decodeRequestBody(key, version, request, header.bodyOffset);
  const handler = builtInHandlers[key] as ApiHandler<K>;
  const response = await handler(context(principal, version), decoded);
  const frame = Buffer.concat(encodeResponse(key, version, 7, response)).subarray(4);
  return decodeResponse(key, version, frame).body;
}

const batch = (value: string, options: Parameters<typeof encodeBatch>[1] = {}): Buffer => encodeBatch([{ key: null, value: Buffer.from(value), timestampMs: 1000 }], options);

function produce(principal: string, topic: string, records: Buffer, transactionalId: string | null = null) {
  return call(principal, ApiKey.Produce, 8, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
}

const partitionCodes = (topics: readonly { partitions?: readonly { errorCode?: number }[]; partitionResponses?: readonly { errorCode?: number }[] }[]) =>
  topics.map((t) => (t.partitions ?? t.partitionResponses ?? []).map((p) => p.errorCode));

describe('Metadata', () => {
  const metadata = (principal: string, topics: string[] | null, allowAutoTopicCreation = false) =>
    call(principal, ApiKey.Metadata, 8, { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });

  it('lists only the topics the principal may describe, and leaks nothing about the others', async () => {
    const all = await metadata(ALICE, null);
    expect(all.topics.map((t) => t.name)).toEqual(['a-in']);
    expect((await metadata(MALLORY, null)).topics).toEqual([]);
    expect((await metadata(ADMIN, null)).topics.map((t) => t.name).sort()).toEqual(['__consumer_offsets', 'a-in', 'secret']);
    // Named: an existing and a missing topic answer alike, so existence does not leak.
    const named = await metadata(MALLORY, ['secret', 'no-such-topic']);
    expect(named.topics.map((t) => [t.name, t.errorCode, t.partitions.length, t.isInternal])).toEqual([
      ['secret', E.TOPIC_AUTHORIZATION_FAILED, 0, false],
      ['no-such-topic', E.TOPIC_AUTHORIZATION_FAILED, 0, false],
    ]);
    const mine = await metadata(ALICE, ['a-in']);
    expect(mine.topics[0]).toMatchObject({ errorCode: 0, name: 'a-in' });
    // Read, Write, Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs: bits 3-8, 10, 11.
    expect(mine.topics[0]!.topicAuthorizedOperations).toBe(0b110111111000);
    expect(mine.clusterAuthorizedOperations).toBe(0); // no Describe on the cluster
  });

  it('auto-creates only with Create on the topic or the cluster', async () => {
    expect((await metadata(ALICE, ['a-auto'], true)).topics[0]).toMatchObject({ errorCode: 0, name: 'a-auto' });
    expect(broker.hasTopic('a-auto')).toBe(true);
    // alice may describe d-* but not create them.
    expect((await metadata(ALICE, ['d-auto'], true)).topics[0]!.errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
    expect(broker.hasTopic('d-auto')).toBe(false);
    expect((await metadata(ALICE, ['d-auto'], false)).topics[0]!.errorCode).toBe(E.UNKNOWN_TOPIC_OR_PARTITION);
    authorizer.update([...authorizer.acls, allow(MALLORY, 'Create', 'Cluster', CLUSTER_RESOURCE_NAME), allow(MALLORY, 'Describe', 'Topic', '*')]);
    expect((await metadata(MALLORY, ['m-auto'], true)).topics[0]!.errorCode).toBe(E.NONE);
    expect((await metadata(MALLORY, null)).clusterAuthorizedOperations).toBe(0); // Create, but not Describe, on the cluster
  });
});

describe('Produce, Fetch, ListOffsets, DeleteRecords', () => {
  it('Produce needs Write on the topic', async () => {
    expect(partitionCodes((await produce(ALICE, 'a-in', batch('x'))).responses)).toEqual([[E.NONE]]);
    expect(partitionCodes((await produce(ALICE, 'secret', batch('x'))).responses)).toEqual([[E.TOPIC_AUTHORIZATION_FAILED]]);
    expect(partitionCodes((await produce(MALLORY, 'a-in', batch('x'))).responses)).toEqual([[E.TOPIC_AUTHORIZATION_FAILED]]);
    // Not authorized and missing: still TOPIC_AUTHORIZATION_FAILED (checked first).
    expect(partitionCodes((await produce(MALLORY, 'nowhere', batch('x'))).responses)).toEqual([[E.TOPIC_AUTHORIZATION_FAILED]]);
    expect(broker.partitionLog('secret', 0).highWatermark).toBe(0);
  });

  it('a transactional Produce needs Write on its transactional id', async () => {
    const txnBatch = batch('t', { producerId: 1, producerEpoch: 0, baseSequence: 0, isTransactional: true });
    authorizer.update([...authorizer.acls, allow(MALLORY, 'Write', 'Topic', 'a-in')]);
    expect(partitionCodes((await produce(MALLORY, 'a-in', txnBatch, 'tx')).responses)).toEqual([[E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]]);
    // alice may write 'tx', so the request goes on to the coordinator's checks (no InitProducerId yet).
    expect(partitionCodes((await produce(ALICE, 'a-in', txnBatch, 'tx')).responses)).toEqual([[E.INVALID_PRODUCER_ID_MAPPING]]);
  });

  it('Fetch needs Read, ListOffsets Describe, DeleteRecords Delete', async () => {
    await produce(ADMIN, 'a-in', batch('v0'));
    await produce(ADMIN, 'secret', batch('s0'));
    const fetch = (principal: string) =>
      call(principal, ApiKey.Fetch, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: ['a-in', 'secret'].map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] })),
        forgottenTopicsData: [],
        rackId: '',
      });
    const f = await fetch(ALICE);
    expect(partitionCodes(f.responses)).toEqual([[E.NONE], [E.TOPIC_AUTHORIZATION_FAILED]]);
    expect(f.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    expect(f.responses[1]!.partitions[0]!.records!.length).toBe(0);
    expect(partitionCodes((await fetch(MALLORY)).responses)).toEqual([[E.TOPIC_AUTHORIZATION_FAILED], [E.TOPIC_AUTHORIZATION_FAILED]]);

    const listOffsets = (principal: string) =>
      call(principal, ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: ['a-in', 'secret'].map((name) => ({ name, partitions: [{ partitionIndex: 0, timestamp: -1 }] })) });
    const lo = await listOffsets(ALICE);
    expect(partitionCodes(lo.topics)).toEqual([[E.NONE], [E.TOPIC_AUTHORIZATION_FAILED]]);
    expect(lo.topics[0]!.partitions[0]!.offset).toBe(1);

    const deleteRecords = (principal: string) =>
      call(principal, ApiKey.DeleteRecords, 2, { topics: ['a-in', 'secret'].map((name) => ({ name, partitions: [{ partitionIndex: 0, offset: 1 }] })), timeoutMs: 5000 });
    expect(partitionCodes((await deleteRecords(MALLORY)).topics)).toEqual([[E.TOPIC_AUTHORIZATION_FAILED], [E.TOPIC_AUTHORIZATION_FAILED]]);
    expect(partitionCodes((await deleteRecords(ALICE)).topics)).toEqual([[E.NONE], [E.TOPIC_AUTHORIZATION_FAILED]]);
    expect(broker.partitionLog('a-in', 0).logStartOffset).toBe(1);
    expect(broker.partitionLog('secret', 0).logStartOffset).toBe(0);
  });
});

describe('CreateTopics, DeleteTopics, DescribeConfigs', () => {
  const create = (principal: string, names: string[]) =>
    call(principal, ApiKey.CreateTopics, 4, { topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly: false });

  it('CreateTopics needs Create on the topic or the cluster', async () => {
    expect((await create(ALICE, ['a-new', 'other'])).topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['a-new', E.NONE],
      ['other', E.TOPIC_AUTHORIZATION_FAILED],
    ]);
    expect(broker.hasTopic('other')).toBe(false);
    authorizer.update([...authorizer.acls, allow(MALLORY, 'Create', 'Cluster', CLUSTER_RESOURCE_NAME)]);
    expect((await create(MALLORY, ['other'])).topics[0]!.errorCode).toBe(E.NONE);
  });

  it('DeleteTopics needs Delete, before existence is checked', async () => {
    broker.createTopic('a-del', 1);
    const del = (principal: string, names: string[]) => call(principal, ApiKey.DeleteTopics, 3, { topicNames: names, timeoutMs: 5000 });
    expect((await del(MALLORY, ['a-del', 'missing'])).responses.map((r) => r.errorCode)).toEqual([E.TOPIC_AUTHORIZATION_FAILED, E.TOPIC_AUTHORIZATION_FAILED]);
    expect((await del(ALICE, ['a-del', 'a-missing', 'secret'])).responses.map((r) => r.errorCode)).toEqual([E.NONE, E.UNKNOWN_TOPIC_OR_PARTITION, E.TOPIC_AUTHORIZATION_FAILED]);
    expect(broker.hasTopic('a-del')).toBe(false);
    expect(broker.hasTopic('secret')).toBe(true);
  });

  it('DescribeConfigs needs DescribeConfigs on the topic, or on the cluster for the broker', async () => {
    const res = await call(ALICE, ApiKey.DescribeConfigs, 3, {
      resources: [
        { resourceType: 2, resourceName: 'a-in', configurationKeys: ['retention.ms'] },
        { resourceType: 2, resourceName: 'secret', configurationKeys: null },
        { resourceType: 4, resourceName: '0', configurationKeys: null },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(res.results.map((r) => [r.resourceName, r.errorCode, r.configs.length])).toEqual([
      ['a-in', E.NONE, 1],
      ['secret', E.TOPIC_AUTHORIZATION_FAILED, 0],
      ['0', E.CLUSTER_AUTHORIZATION_FAILED, 0],
    ]);
    const admin = await call(ADMIN, ApiKey.DescribeConfigs, 3, { resources: [{ resourceType: 4, resourceName: '0', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
    expect(admin.results[0]!.errorCode).toBe(E.NONE);
  });
});

describe('groups', () => {
  const join = (principal: string, groupId: string, memberId = '') =>
    call(principal, ApiKey.JoinGroup, 5, {
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    });
  const commit = (principal: string, groupId: string, topics: string[]) =>
    call(principal, ApiKey.OffsetCommit, 7, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] })),
    });

  it('FindCoordinator needs Describe on the group or the transactional id', async () => {
    expect((await call(ALICE, ApiKey.FindCoordinator, 2, { key: 'g', keyType: 0 })).errorCode).toBe(E.NONE);
    expect((await call(MALLORY, ApiKey.FindCoordinator, 2, { key: 'g', keyType: 0 })).errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
    // Write on the transactional id implies Describe.
    expect((await call(ALICE, ApiKey.FindCoordinator, 2, { key: 'tx', keyType: 1 })).errorCode).toBe(E.NONE);
    expect((await call(MALLORY, ApiKey.FindCoordinator, 2, { key: 'tx', keyType: 1 })).errorCode).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it('JoinGroup, SyncGroup, Heartbeat and LeaveGroup need Read on the group', async () => {
    const joined = await join(ALICE, 'g');
    expect(joined.errorCode).toBe(E.NONE);
    const memberId = joined.memberId;
    const generationId = joined.generationId ?? -1;
    const sync = (principal: string) =>
      call(principal, ApiKey.SyncGroup, 3, { groupId: 'g', generationId, memberId, groupInstanceId: null, assignments: [{ memberId, assignment: Buffer.from('a') }] });
    expect((await sync(MALLORY)).errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
    expect((await sync(ALICE)).errorCode).toBe(E.NONE);
    const heartbeat = (principal: string) => call(principal, ApiKey.Heartbeat, 3, { groupId: 'g', generationId, memberId, groupInstanceId: null });
    expect((await heartbeat(MALLORY)).errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
    expect((await heartbeat(ALICE)).errorCode).toBe(E.NONE);
    expect((await join(MALLORY, 'g')).errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
    expect((await join(ALICE, 'other-group')).errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
    const leave = (principal: string, version: number) => call(principal, ApiKey.LeaveGroup, version, { groupId: 'g', memberId, members: [{ memberId, groupInstanceId: null }] });
    expect((await leave(MALLORY, 3)).errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
    expect((await leave(MALLORY, 1)).errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
    expect(await leave(ALICE, 3)).toMatchObject({ errorCode: E.NONE, members: [{ memberId, errorCode: E.NONE }] });
  });

  it('OffsetCommit needs Read on the group and on each topic', async () => {
    expect(partitionCodes((await commit(MALLORY, 'g', ['a-in'])).topics)).toEqual([[E.GROUP_AUTHORIZATION_FAILED]]);
    expect(partitionCodes((await commit(ALICE, 'g', ['a-in', 'secret', 'a-missing'])).topics)).toEqual([[E.NONE], [E.TOPIC_AUTHORIZATION_FAILED], [E.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(broker.groups.fetchOffsets('g').size).toBe(1);
  });

  it('OffsetFetch needs Describe on the group and hides topics the principal may not describe', async () => {
    await commit(ADMIN, 'g', ['a-in', 'secret']);
    const fetchOffsets = (principal: string, topics: string[] | null, version = 7) =>
      call(principal, ApiKey.OffsetFetch, version, { groupId: 'g', topics: topics === null ? null : topics.map((name) => ({ name, partitionIndexes: [0] })), requireStable: false });
    const named = await fetchOffsets(ALICE, ['a-in', 'secret']);
    expect(named.errorCode).toBe(E.NONE);
    expect(named.topics.map((t) => [t.name, t.partitions[0]!.errorCode, t.partitions[0]!.committedOffset])).toEqual([
      ['a-in', E.NONE, 5],
      ['secret', E.TOPIC_AUTHORIZATION_FAILED, -1],
    ]);
    expect((await fetchOffsets(ALICE, null)).topics.map((t) => t.name)).toEqual(['a-in']);
    expect((await fetchOffsets(ADMIN, null)).topics.map((t) => t.name).sort()).toEqual(['a-in', 'secret']);
    expect((await fetchOffsets(MALLORY, null)).errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
    // v1 has no top-level error: every partition carries it.
    expect(partitionCodes((await fetchOffsets(MALLORY, ['a-in'], 1)).topics)).toEqual([[E.GROUP_AUTHORIZATION_FAILED]]);
  });

  it('DescribeGroups needs Describe on the group; ListGroups shows only describable groups', async () => {
    await commit(ADMIN, 'g', ['a-in']);
    await commit(ADMIN, 'h', ['a-in']);
    const described = await call(ALICE, ApiKey.DescribeGroups, 4, { groups: ['g', 'h'], includeAuthorizedOperations: true });
    expect(described.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
      ['g', E.NONE],
      ['h', E.GROUP_AUTHORIZATION_FAILED],
    ]);
    expect(described.groups[0]!.authorizedOperations).toBe((1 << 3) | (1 << 8)); // Read, and the Describe it implies
    const list = async (principal: string) => (await call(principal, ApiKey.ListGroups, 2, {})).groups.map((g) => g.groupId).sort();
    expect(await list(ALICE)).toEqual(['g']);
    expect(await list(MALLORY)).toEqual([]);
    expect(await list(ADMIN)).toEqual(['g', 'h']);
    authorizer.update([...authorizer.acls, allow(MALLORY, 'Describe', 'Cluster', CLUSTER_RESOURCE_NAME)]);
    expect(await list(MALLORY)).toEqual(['g', 'h']);
  });
});

describe('producer ids and transactions', () => {
  const init = (principal: string, transactionalId: string | null) => call(principal, ApiKey.InitProducerId, 1, { transactionalId, transactionTimeoutMs: 60_000 });

  it('InitProducerId needs Write on the transactional id, or for an idempotent producer IdempotentWrite or Write on some topic', async () => {
    expect((await init(ALICE, 'tx')).errorCode).toBe(E.NONE);
    expect((await init(MALLORY, 'tx')).errorCode).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect((await init(ALICE, null)).errorCode).toBe(E.NONE); // Write on a-* topics (KIP-679)
    expect((await init(MALLORY, null)).errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED);
    authorizer.update([...authorizer.acls, allow(MALLORY, 'IdempotentWrite', 'Cluster', CLUSTER_RESOURCE_NAME)]);
    expect((await init(MALLORY, null)).errorCode).toBe(E.NONE);
  });

  it('AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn check the transactional id, topics and group', async () => {
    const initialized = await init(ALICE, 'tx');
    const producerId = initialized.producerId ?? -1;
    const producerEpoch = initialized.producerEpoch ?? -1;
    const addPartitions = (principal: string, topics: string[]) =>
      call(principal, ApiKey.AddPartitionsToTxn, 2, {
        v3AndBelowTransactionalId: 'tx',
        v3AndBelowProducerId: producerId,
        v3AndBelowProducerEpoch: producerEpoch,
        v3AndBelowTopics: topics.map((name) => ({ name, partitions: [0] })),
      });
    const codes = (r: ResponseBodies[typeof ApiKey.AddPartitionsToTxn]) => (r.resultsByTopicV3AndBelow ?? []).map((t) => t.resultsByPartition.map((p) => p.partitionErrorCode));
    expect(codes(await addPartitions(MALLORY, ['a-in']))).toEqual([[E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]]);
    expect(codes(await addPartitions(ALICE, ['a-in', 'secret']))).toEqual([[E.OPERATION_NOT_ATTEMPTED], [E.TOPIC_AUTHORIZATION_FAILED]]);
    expect(codes(await addPartitions(ALICE, ['a-in']))).toEqual([[E.NONE]]);

    const addOffsets = (principal: string, groupId: string) => call(principal, ApiKey.AddOffsetsToTxn, 2, { transactionalId: 'tx', producerId, producerEpoch, groupId });
    expect((await addOffsets(MALLORY, 'g')).errorCode).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect((await addOffsets(ALICE, 'h')).errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
    expect((await addOffsets(ALICE, 'g')).errorCode).toBe(E.NONE);

    const txnCommit = (principal: string, groupId: string, topics: string[]) =>
      call(principal, ApiKey.TxnOffsetCommit, 3, {
        transactionalId: 'tx',
        groupId,
        producerId,
        producerEpoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null }] })),
      });
    expect(partitionCodes((await txnCommit(MALLORY, 'g', ['a-in'])).topics)).toEqual([[E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]]);
    expect(partitionCodes((await txnCommit(ALICE, 'h', ['a-in'])).topics)).toEqual([[E.GROUP_AUTHORIZATION_FAILED]]);
    expect(partitionCodes((await txnCommit(ALICE, 'g', ['a-in', 'secret'])).topics)).toEqual([[E.NONE], [E.TOPIC_AUTHORIZATION_FAILED]]);

    const endTxn = (principal: string) => call(principal, ApiKey.EndTxn, 2, { transactionalId: 'tx', producerId, producerEpoch, committed: true });
    expect((await endTxn(MALLORY)).errorCode).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect((await endTxn(ALICE)).errorCode).toBe(E.NONE);
    expect([...broker.groups.fetchOffsets('g').values()].map((c) => [c.topic, c.partition, c.offset])).toEqual([['a-in', 0, 3]]);
  });
});

describe('without an authorizer', () => {
  it('allows every principal everything, as before security', async () => {
    const open = { ...context(MALLORY, 8), authorizer: undefined };
    const md = await (builtInHandlers[ApiKey.Metadata] as ApiHandler<typeof ApiKey.Metadata>)(open, { topics: null, allowAutoTopicCreation: false });
    expect(md.topics.map((t) => t.name).sort()).toEqual(['__consumer_offsets', 'a-in', 'secret']);
  });
});
