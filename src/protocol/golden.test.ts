import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTransactionalBatch, readBatchHeader } from '../broker/record-batch.js';
import { decodeAssignment, decodeSubscription } from '../client/consumer-protocol.js';
import { ApiKey, type ApiKeyNumber } from './api-keys.js';
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse, type RequestBodies, type ResponseBodies } from './codec.js';

// Golden tests against byte captures from real clients (kcat 1.7.1 / librdkafka 2.0.2, kafkajs 2.2.4), recorded by
// test/interop/capture.ts through a proxy in front of tributary's server (see __fixtures__/README.md). Each request
// decodes, its key fields are what the client was told to send, and re-encoding the decoded body gives back exactly
// the captured bytes; the same for the server's responses.

/** One captured request and its response, hex of the frame after its 4-byte size prefix. */
interface Exchange {
  readonly scenario: string;
  readonly api: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly request: string;
  readonly response: string | null;
}

interface Capture {
  readonly client: string;
  readonly capturedAt: string;
  readonly exchanges: readonly Exchange[];
}

/** What the capture script told each client to do, by fixture file: the values the checks expect. */
interface Expected {
  /** `client.id` sent in every request header. */
  readonly clientId: string;
  /** Prefix of the topics of each scenario: `golden-<client>-`. */
  readonly topicPrefix: string;
  readonly groupId: string;
  readonly transactionalId: string;
  /** Name of the first protocol (assignor) the client offers in JoinGroup. */
  readonly assignor: string;
  /** APIs the client must have been seen using, by key. */
  readonly apis: readonly number[];
  /** The `committed` flags of its EndTxn requests (kcat only commits). */
  readonly endTxn: readonly boolean[];
}

const COMMON_APIS = [
  ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.FindCoordinator, ApiKey.JoinGroup,
  ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.InitProducerId,
  ApiKey.AddPartitionsToTxn, ApiKey.EndTxn,
];

const EXPECTED: Readonly<Record<string, Expected>> = {
  'kcat.json': {
    clientId: 'golden-kcat',
    topicPrefix: 'golden-kcat-',
    groupId: 'golden-kcat-group',
    transactionalId: 'golden-kcat-tx',
    assignor: 'range',
    apis: COMMON_APIS,
    endTxn: [true],
  },
  'kafkajs.json': {
    clientId: 'golden-kafkajs',
    topicPrefix: 'golden-kafkajs-',
    groupId: 'golden-kafkajs-group',
    transactionalId: 'golden-kafkajs-tx',
    assignor: 'RoundRobinAssigner',
    apis: [
      ...COMMON_APIS, ApiKey.CreateTopics, ApiKey.DeleteTopics, ApiKey.AddOffsetsToTxn, ApiKey.TxnOffsetCommit, ApiKey.ListGroups,
      ApiKey.DescribeGroups, ApiKey.DescribeConfigs,
    ],
    endTxn: [true, false],
  },
};

const UNSUPPORTED_VERSION = 35;
const FIXTURES_DIR = path.join(import.meta.dirname, '__fixtures__');

function loadCapture(file: string): Capture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, file), 'utf8')) as Capture;
}

function sizePrefixed(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
}

/** What a check may look at besides the body. */
interface CheckContext {
  readonly e: Exchange;
  readonly x: Expected;
}

/** Key-field checks per API: the values come from what the capture script made the client do, not from the codec. */
type Checks = {
  readonly [K in ApiKeyNumber]?: {
    readonly request?: (body: RequestBodies[K], c: CheckContext) => void;
    readonly response?: (body: ResponseBodies[K], c: CheckContext) => void;
  };
};

/** The scenario's topic: `produce-transactional` -> `golden-kcat-transactional`. */
function scenarioTopic(c: CheckContext): string {
  return `${c.x.topicPrefix}${c.e.scenario.replace(/^produce-/, '')}`;
}

function expectTopicOfScenario(name: string | null, c: CheckContext): void {
  expect(name?.startsWith(c.x.topicPrefix), `topic ${name}`).toBe(true);
}

const CHECKS: Checks = {
  [ApiKey.ApiVersions]: {
    request: (b, c) => {
      // Only librdkafka sends v3, which names the client software.
      if (c.e.apiVersion >= 3) expect([b.clientSoftwareName, b.clientSoftwareVersion]).toEqual(['librdkafka', expect.stringMatching(/^v?2\.0\.2/)]);
    },
    response: (b) => {
      // An ApiVersions request above our range is answered in v0 format with UNSUPPORTED_VERSION (35), else 0.
      expect([0, UNSUPPORTED_VERSION]).toContain(b.errorCode);
      const produce = b.apiKeys?.find((k) => k.apiKey === ApiKey.Produce);
      expect(produce?.minVersion).toBeLessThanOrEqual(3); // the floor of librdkafka 2.0.2's MsgVer2 feature gate
      expect(produce?.maxVersion).toBeGreaterThanOrEqual(7);
    },
  },
  [ApiKey.Metadata]: {
    request: (b, c) => {
      for (const t of b.topics ?? []) expectTopicOfScenario(t.name, c);
    },
    response: (b, c) => {
      expect(b.brokers?.map((x) => [x.nodeId, x.host])).toEqual([[0, '127.0.0.1']]);
      if (c.e.apiVersion >= 1) expect(b.controllerId).toBe(0);
      for (const t of b.topics ?? []) for (const p of t.partitions ?? []) expect(p.leaderId).toBe(0);
    },
  },
  [ApiKey.Produce]: {
    request: (b, c) => {
      const isTransactional = c.e.scenario === 'produce-transactional';
      const isIdempotent = isTransactional || c.e.scenario === 'produce-idempotent';
      expect(b.acks).toBe(-1);
      expect(b.transactionalId ?? null).toBe(isTransactional ? c.x.transactionalId : null);
      expect(b.topicData.map((t) => t.name)).toEqual([scenarioTopic(c)]);
      for (const t of b.topicData) {
        for (const p of t.partitionData) {
          const records = p.records!;
          const h = readBatchHeader(records, 0);
          expect(h.magic).toBe(2);
          expect(12 + h.batchLength).toBe(records.length);
          expect(h.recordCount).toBeGreaterThan(0);
          expect(isTransactionalBatch(h.attributes)).toBe(isTransactional);
          expect(h.producerId >= 0).toBe(isIdempotent);
        }
      }
    },
    response: (b, c) => {
      expect(b.responses.map((t) => t.name)).toEqual([scenarioTopic(c)]);
      for (const t of b.responses) for (const p of t.partitionResponses) expect([p.errorCode, p.baseOffset >= 0]).toEqual([0, true]);
    },
  },
  [ApiKey.Fetch]: {
    request: (b, c) => {
      expect(b.replicaId ?? -1).toBe(-1);
      expect(b.isolationLevel).toBe(1); // both clients default to read_committed
      for (const t of b.topics) expectTopicOfScenario(t.topic, c);
    },
    response: (b) => {
      for (const t of b.responses) {
        for (const p of t.partitions) {
          expect(p.errorCode).toBe(0);
          expect(p.lastStableOffset).toBeLessThanOrEqual(p.highWatermark);
          if (p.records !== null && p.records.length >= 61) expect(readBatchHeader(p.records, 0).magic).toBe(2);
        }
      }
    },
  },
  [ApiKey.ListOffsets]: {
    request: (b, c) => {
      expect(b.replicaId).toBe(-1);
      for (const t of b.topics) expectTopicOfScenario(t.name, c);
    },
    response: (b) => {
      for (const t of b.topics) for (const p of t.partitions) expect(p.errorCode).toBe(0);
    },
  },
  [ApiKey.FindCoordinator]: {
    request: (b, c) => {
      const keyType = b.keyType ?? 0;
      expect(b.key).toBe(keyType === 1 ? c.x.transactionalId : c.x.groupId);
    },
    response: (b) => expect([b.errorCode, b.nodeId, b.host]).toEqual([0, 0, '127.0.0.1']),
  },
  [ApiKey.JoinGroup]: {
    request: (b, c) => {
      expect(b.groupId).toBe(c.x.groupId);
      expect(b.protocolType).toBe('consumer');
      expect(b.protocols?.[0]?.name).toBe(c.x.assignor);
      for (const p of b.protocols ?? []) expect(decodeSubscription(p.metadata!).topics).toEqual([c.x.groupId]);
    },
    response: (b) => {
      expect(b.errorCode).toBe(0);
      expect(b.memberId).not.toBe('');
      expect(b.generationId).toBeGreaterThan(0);
    },
  },
  [ApiKey.SyncGroup]: {
    request: (b, c) => {
      expect(b.groupId).toBe(c.x.groupId);
      for (const a of b.assignments ?? []) for (const tp of decodeAssignment(a.assignment!).assignedPartitions) expect(tp.topic).toBe(c.x.groupId);
    },
    response: (b, c) => {
      expect(b.errorCode).toBe(0);
      expect(decodeAssignment(b.assignment!).assignedPartitions.map((tp) => tp.topic)).toContain(c.x.groupId);
    },
  },
  [ApiKey.Heartbeat]: {
    request: (b, c) => expect(b.groupId).toBe(c.x.groupId),
    response: (b) => expect([0, 27]).toContain(b.errorCode),
  },
  [ApiKey.LeaveGroup]: {
    request: (b, c) => expect(b.groupId).toBe(c.x.groupId),
    response: (b) => expect(b.errorCode).toBe(0),
  },
  [ApiKey.OffsetCommit]: {
    request: (b, c) => {
      expect(b.groupId).toBe(c.x.groupId);
      expect(b.topics.map((t) => t.name)).toEqual([c.x.groupId]);
      for (const t of b.topics) for (const p of t.partitions) expect(p.committedOffset).toBeGreaterThanOrEqual(0);
    },
    response: (b) => {
      for (const t of b.topics) for (const p of t.partitions) expect(p.errorCode).toBe(0);
    },
  },
  [ApiKey.OffsetFetch]: {
    request: (b, c) => expect(b.groupId).toBe(c.x.groupId),
    response: (b) => {
      for (const t of b.topics) for (const p of t.partitions) expect(p.errorCode).toBe(0);
    },
  },
  [ApiKey.InitProducerId]: {
    request: (b, c) => {
      // kafkajs's transactional producer (idempotent: true) first takes a plain producer id on connect().
      if (b.transactionalId !== null) {
        expect([c.e.scenario, b.transactionalId]).toEqual(['produce-transactional', c.x.transactionalId]);
        expect(b.transactionTimeoutMs).toBeGreaterThan(0);
      }
    },
    response: (b) => {
      expect(b.errorCode).toBe(0);
      expect(b.producerId).toBeGreaterThanOrEqual(0);
    },
  },
  [ApiKey.EndTxn]: {
    request: (b, c) => {
      expect(b.transactionalId).toBe(c.x.transactionalId);
      expect(b.producerId).toBeGreaterThanOrEqual(0);
    },
    response: (b) => expect(b.errorCode).toBe(0),
  },
  [ApiKey.AddOffsetsToTxn]: {
    request: (b, c) => expect([b.transactionalId, b.groupId]).toEqual([c.x.transactionalId, c.x.groupId]),
    response: (b) => expect(b.errorCode).toBe(0),
  },
  [ApiKey.TxnOffsetCommit]: {
    request: (b, c) => {
      expect([b.transactionalId, b.groupId]).toEqual([c.x.transactionalId, c.x.groupId]);
      expect(b.topics?.map((t) => [t.name, t.partitions?.map((p) => [p.partitionIndex, p.committedOffset])])).toEqual([[`${c.x.topicPrefix}plain`, [[0, 1]]]]);
    },
    response: (b) => {
      for (const t of b.topics ?? []) for (const p of t.partitions ?? []) expect(p.errorCode).toBe(0);
    },
  },
  [ApiKey.CreateTopics]: {
    request: (b, c) => expect(b.topics?.map((t) => [t.name, t.numPartitions])).toEqual([[`${c.x.topicPrefix}plain`, 2], [`${c.x.topicPrefix}doomed`, 1]]),
    response: (b) => expect(b.topics?.map((t) => t.errorCode)).toEqual([0, 0]),
  },
  [ApiKey.DeleteTopics]: {
    request: (b, c) => expect(b.topicNames).toEqual([`${c.x.topicPrefix}doomed`]),
    response: (b) => expect(b.responses?.map((t) => [t.name, t.errorCode])).toEqual([[`golden-kafkajs-doomed`, 0]]),
  },
  [ApiKey.DescribeGroups]: {
    request: (b, c) => expect(b.groups).toEqual([c.x.groupId]),
    response: (b, c) => expect(b.groups?.map((g) => [g.groupId, g.errorCode])).toEqual([[c.x.groupId, 0]]),
  },
  [ApiKey.ListGroups]: {
    response: (b, c) => {
      expect(b.errorCode).toBe(0);
      expect(b.groups?.map((g) => g.groupId)).toContain(c.x.groupId);
    },
  },
  [ApiKey.DescribeConfigs]: {
    request: (b, c) => expect(b.resources?.map((r) => [r.resourceType, r.resourceName])).toEqual([[2, `${c.x.topicPrefix}plain`]]),
    response: (b) => {
      expect(b.results?.[0]?.errorCode).toBe(0);
      expect(b.results?.[0]?.configs?.map((x) => x.name)).toContain('cleanup.policy');
    },
  },
};

function runChecks(e: Exchange, x: Expected, request: unknown, response: unknown): void {
  const checks = CHECKS[e.apiKey as ApiKeyNumber] as { request?: (b: unknown, c: CheckContext) => void; response?: (b: unknown, c: CheckContext) => void } | undefined;
  checks?.request?.(request, { e, x });
  if (response !== undefined) checks?.response?.(response, { e, x });
}

for (const [file, x] of Object.entries(EXPECTED)) {
  describe(`golden frames of ${file}`, () => {
    const capture = loadCapture(file);

    it('covers every API the client uses', () => {
      const seen = new Set(capture.exchanges.map((e) => e.apiKey));
      expect(x.apis.filter((k) => !seen.has(k))).toEqual([]);
      // Produce is captured for each producer kind.
      const produceScenarios = capture.exchanges.filter((e) => e.apiKey === ApiKey.Produce).map((e) => e.scenario);
      expect(new Set(produceScenarios)).toEqual(new Set(['produce-plain', 'produce-idempotent', 'produce-transactional']));
      const requests = <K extends ApiKeyNumber>(apiKey: K): RequestBodies[K][] =>
        capture.exchanges
          .filter((e) => e.apiKey === apiKey)
          .map((e) => {
            const frame = Buffer.from(e.request, 'hex');
            return decodeRequestBody(apiKey, e.apiVersion, frame, decodeRequestHeader(frame).bodyOffset);
          });
      expect(requests(ApiKey.InitProducerId).map((b) => b.transactionalId)).toEqual(expect.arrayContaining([null, x.transactionalId]));
      expect(new Set(requests(ApiKey.EndTxn).map((b) => b.committed))).toEqual(new Set(x.endTxn));
      expect(new Set(requests(ApiKey.FindCoordinator).map((b) => b.keyType ?? 0))).toEqual(new Set([0, 1]));
    });

    it.each(capture.exchanges.map((e) => [`${e.scenario}: ${e.api} v${e.apiVersion}`, e] as const))('%s', (_, e) => {
      const frame = Buffer.from(e.request, 'hex');
      const header = decodeRequestHeader(frame);
      expect([header.apiKey, header.apiVersion, header.correlationId, header.clientId]).toEqual([e.apiKey, e.apiVersion, e.correlationId, x.clientId]);
      const apiKey = e.apiKey as ApiKeyNumber;
      const request = decodeRequestBody(apiKey, e.apiVersion, frame, header.bodyOffset);
      expect(Buffer.concat(encodeRequest(apiKey, e.apiVersion, e.correlationId, header.clientId, request)).equals(sizePrefixed(frame))).toBe(true);

      let response: ResponseBodies[ApiKeyNumber] | undefined;
      if (e.response !== null) {
        const responseFrame = Buffer.from(e.response, 'hex');
        // An ApiVersions request above the supported range is answered with a v0 body whose error code (right after
        // the v0 header's correlation id) is UNSUPPORTED_VERSION.
        const isV0Fallback = apiKey === ApiKey.ApiVersions && responseFrame.readInt16BE(4) === UNSUPPORTED_VERSION;
        const responseVersion = isV0Fallback ? 0 : e.apiVersion;
        const decoded = decodeResponse(apiKey, responseVersion, responseFrame);
        expect(decoded.correlationId).toBe(e.correlationId);
        response = decoded.body;
        expect(Buffer.concat(encodeResponse(apiKey, responseVersion, e.correlationId, response)).equals(sizePrefixed(responseFrame))).toBe(true);
      }
      runChecks(e, x, request, response);
    });
  });
}
