import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../src/errors.js';
import type { TopicPartition } from '../src/record.js';
import { decodeAssignmentInfo, decodeSubscriptionInfo, encodeAssignmentInfo, encodeSubscriptionInfo, type AssignmentInfo } from './streams-assignment-info.js';

const topic = fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/);
const endpoint = fc.tuple(fc.stringMatching(/^[a-z0-9.-]{1,15}$/), fc.integer({ min: 0, max: 65_535 })).map(([h, p]) => `${h}:${p}`);

/** Infos whose partitions all name topics with a count, as the assignor builds them. */
const assignmentInfo: fc.Arbitrary<AssignmentInfo> = fc
  .uniqueArray(fc.tuple(topic, fc.integer({ min: 1, max: 64 })), { selector: ([t]) => t, maxLength: 6 })
  .chain((counts) =>
    fc
      .uniqueArray(
        fc.tuple(
          endpoint,
          counts.length === 0 ? fc.constant([] as TopicPartition[]) : fc.array(fc.constantFrom(...counts).chain(([t, n]) => fc.integer({ min: 0, max: n - 1 }).map((partition) => ({ topic: t, partition }))), { maxLength: 20 }),
        ),
        { selector: ([e]) => e, maxLength: 5 },
      )
      .map((hosts) => ({ partitionsByHost: new Map(hosts), partitionCounts: new Map(counts) })),
  );

/** Partitions grouped by topic in first-appearance order: the order the encoding keeps. */
function grouped(partitions: readonly TopicPartition[]): TopicPartition[] {
  const byTopic = new Map<string, TopicPartition[]>();
  for (const tp of partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp]);
  return [...byTopic.values()].flat();
}

describe('SubscriptionInfo', () => {
  test.prop([fc.option(endpoint, { nil: null })])('round-trips the endpoint', (e) => {
    expect(decodeSubscriptionInfo(encodeSubscriptionInfo(e))).toBe(e);
  });

  it('reads no user data as no endpoint and refuses garbage', () => {
    expect(decodeSubscriptionInfo(null)).toBeNull();
    expect(decodeSubscriptionInfo(new Uint8Array(0))).toBeNull();
    expect(() => decodeSubscriptionInfo(Uint8Array.of(0, 1, 0, 9, 0x61))).toThrow(expect.objectContaining({ code: 'CORRUPT_RECORD' }) as Error);
    expect(() => decodeSubscriptionInfo(Uint8Array.of(0, 0, 0xff, 0xff))).toThrow(/unknown version 0/);
  });
});

describe('AssignmentInfo', () => {
  test.prop([assignmentInfo])('round-trips partitions-by-host (grouped by topic per host) and partition counts', (info) => {
    const back = decodeAssignmentInfo(encodeAssignmentInfo(info));
    expect(back.partitionCounts).toEqual(info.partitionCounts);
    expect([...back.partitionsByHost.keys()]).toEqual([...info.partitionsByHost.keys()]);
    for (const [host, partitions] of info.partitionsByHost) expect(back.partitionsByHost.get(host)).toEqual(grouped(partitions));
  });

  test.prop([assignmentInfo, fc.nat()])('every truncation of the bytes is CORRUPT_RECORD, never a wrong answer', (info, cut) => {
    const bytes = encodeAssignmentInfo(info);
    const end = 1 + (cut % (bytes.length - 1));
    try {
      decodeAssignmentInfo(bytes.subarray(0, end));
      // A prefix may only decode when it ends exactly where an empty trailing section would be; it never does here.
      expect.unreachable(`a prefix of ${end}/${bytes.length} bytes decoded`);
    } catch (e: unknown) {
      expect(isStreamsError(e, 'CORRUPT_RECORD')).toBe(true);
    }
  });

  it('is empty for no user data, and refuses a topic index out of the table', () => {
    expect(decodeAssignmentInfo(null)).toEqual({ partitionsByHost: new Map(), partitionCounts: new Map() });
    const bytes = Buffer.from(encodeAssignmentInfo({ partitionsByHost: new Map([['h:1', [{ topic: 't', partition: 0 }]]]), partitionCounts: new Map([['t', 1]]) }));
    // version(2) topics: count(4) 't'(2+1) partitions(4) hosts: count(4) 'h:1'(2+3) topics count(4) -> topic index
    bytes.writeInt16BE(7, 2 + 4 + 3 + 4 + 4 + 5 + 4);
    expect(() => decodeAssignmentInfo(bytes)).toThrow(/topic index 7 of 1 topics/);
    expect(() => encodeAssignmentInfo({ partitionsByHost: new Map([['h:1', [{ topic: 'x', partition: 0 }]]]), partitionCounts: new Map() })).toThrow(/no partition count/);
  });
});
