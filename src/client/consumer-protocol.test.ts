import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../errors.js';
import type { TopicPartition } from '../record.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

// Golden fixtures written out from the grammar in ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json.
const SUB_V0 = '0000 00000001 0003666f6f ffffffff';
const SUB_V1 =
  '0001 00000002 0003666f6f 0003626172 00000002 0102' +
  ' 00000002 0003666f6f 00000002 00000000 00000002 0003626172 00000001 00000001';
const SUB_V3 = '0003 00000001 0001 74 ffffffff 00000000 00000005 0002 7231';
const ASSIGN_V0 = '0000 00000001 000174 00000002 00000000 00000001 ffffffff';
const ASSIGN_V1_USERDATA = '0001 00000000 00000003 0a0b0c';

describe('ConsumerProtocolSubscription', () => {
  it('encodes v0 as Kafka does: version, topics, null user data', () => {
    expect(hex(encodeSubscription({ topics: ['foo'] }, 0))).toBe(SUB_V0.replace(/\s+/g, ''));
    expect(decodeSubscription(bytes(SUB_V0))).toEqual({ version: 0, topics: ['foo'], userData: null, ownedPartitions: [], generationId: -1, rackId: null });
  });

  it('encodes v1 owned partitions grouped by topic in order of first appearance', () => {
    const owned: TopicPartition[] = [
      { topic: 'foo', partition: 0 },
      { topic: 'bar', partition: 1 },
      { topic: 'foo', partition: 2 },
    ];
    const encoded = encodeSubscription({ topics: ['foo', 'bar'], userData: new Uint8Array([1, 2]), ownedPartitions: owned }, 1);
    expect(hex(encoded)).toBe(SUB_V1.replace(/\s+/g, ''));
    const decoded = decodeSubscription(encoded);
    expect(decoded.version).toBe(1);
    expect(decoded.topics).toEqual(['foo', 'bar']);
    expect([...(decoded.userData ?? [])]).toEqual([1, 2]);
    expect(decoded.ownedPartitions).toEqual([
      { topic: 'foo', partition: 0 },
      { topic: 'foo', partition: 2 },
      { topic: 'bar', partition: 1 },
    ]);
  });

  it('encodes v3 generation id and rack id', () => {
    const encoded = encodeSubscription({ topics: ['t'], generationId: 5, rackId: 'r1' }, 3);
    expect(hex(encoded)).toBe(SUB_V3.replace(/\s+/g, ''));
    expect(decodeSubscription(encoded)).toMatchObject({ version: 3, generationId: 5, rackId: 'r1', ownedPartitions: [] });
  });

  it('reads a newer version with the newest grammar it knows, ignoring trailing fields', () => {
    const future = bytes('0009' + SUB_V3.replace(/\s+/g, '').slice(4) + 'deadbeef');
    expect(decodeSubscription(future)).toMatchObject({ version: 3, topics: ['t'], generationId: 5, rackId: 'r1' });
  });

  it('rejects truncated or malformed bytes with CORRUPT_RECORD', () => {
    const whole = bytes(SUB_V1);
    for (const cut of [1, 5, 9, whole.length - 1]) {
      let error: unknown;
      try {
        decodeSubscription(whole.subarray(0, cut));
      } catch (e: unknown) {
        error = e;
      }
      expect(isStreamsError(error, 'CORRUPT_RECORD'), `cut at ${cut}`).toBe(true);
    }
    expect(() => decodeSubscription(bytes('ffff 00000000 ffffffff'))).toThrow(/negative version/);
    expect(() => decodeSubscription(bytes('0000 7fffffff'))).toThrow(/bad array length/);
  });

  it('refuses to encode an unknown version', () => {
    expect(() => encodeSubscription({ topics: [] }, 4)).toThrow(/version 4/);
  });
});

describe('ConsumerProtocolAssignment', () => {
  it('encodes v0 as Kafka does', () => {
    const a = encodeAssignment({ assignedPartitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }] }, 0);
    expect(hex(a)).toBe(ASSIGN_V0.replace(/\s+/g, ''));
    expect(decodeAssignment(a)).toEqual({ version: 0, assignedPartitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }], userData: null });
  });

  it('carries user data', () => {
    const a = encodeAssignment({ assignedPartitions: [], userData: new Uint8Array([10, 11, 12]) });
    expect(hex(a)).toBe(ASSIGN_V1_USERDATA.replace(/\s+/g, ''));
    expect([...(decodeAssignment(a).userData ?? [])]).toEqual([10, 11, 12]);
  });

  it('decodes empty bytes (a member the leader left out) as an empty assignment', () => {
    expect(decodeAssignment(new Uint8Array(0)).assignedPartitions).toEqual([]);
  });
});

/** What grouping by topic (first appearance) does to a partition list. */
function groupByTopic(list: readonly TopicPartition[]): TopicPartition[] {
  const order: string[] = [];
  const by = new Map<string, TopicPartition[]>();
  for (const tp of list) {
    if (!by.has(tp.topic)) {
      by.set(tp.topic, []);
      order.push(tp.topic);
    }
    by.get(tp.topic)?.push({ topic: tp.topic, partition: tp.partition });
  }
  return order.flatMap((t) => by.get(t) ?? []);
}

const topicName = fc.string({ unit: 'grapheme', maxLength: 20 });
const partitions = fc.array(fc.record({ topic: topicName, partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }), { maxLength: 20 });
const userData = fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null });

describe('round trips', () => {
  test.prop([fc.array(topicName, { maxLength: 10 }), userData, partitions, fc.integer({ min: -1, max: 2 ** 31 - 1 }), fc.option(topicName, { nil: null }), fc.integer({ min: 0, max: 3 })])(
    'subscription: decode(encode(s)) keeps every field its version carries',
    (topics, data, owned, generationId, rackId, version) => {
      const d = decodeSubscription(encodeSubscription({ topics, userData: data, ownedPartitions: owned, generationId, rackId }, version));
      expect(d.version).toBe(version);
      expect(d.topics).toEqual(topics);
      expect(d.userData === null ? null : [...d.userData]).toEqual(data === null ? null : [...data]);
      expect(d.ownedPartitions).toEqual(version >= 1 ? groupByTopic(owned) : []);
      expect(d.generationId).toBe(version >= 2 ? generationId : -1);
      expect(d.rackId).toBe(version >= 3 ? rackId : null);
    },
  );

  test.prop([partitions, userData, fc.integer({ min: 0, max: 3 })])('assignment: decode(encode(a)) keeps partitions and user data', (owned, data, version) => {
    const d = decodeAssignment(encodeAssignment({ assignedPartitions: owned, userData: data }, version));
    expect(d.version).toBe(version);
    expect(d.assignedPartitions).toEqual(groupByTopic(owned));
    expect(d.userData === null ? null : [...d.userData]).toEqual(data === null ? null : [...data]);
  });
});
