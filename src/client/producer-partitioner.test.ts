import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { isStreamsError } from '../errors.js';
import type { ProducerRecord } from '../record.js';
import { partitionForKey } from './murmur2.js';
import { ProducerPartitioner, type PartitionGroup } from './producer-partitioner.js';
import { estimateBytes } from './record-sizing.js';

const record = (key: string | null, value: string, extra: Partial<ProducerRecord> = {}): ProducerRecord => ({
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(value),
  ...extra,
});

const valuesByPartition = (groups: Map<string, PartitionGroup>): Record<number, string[]> =>
  Object.fromEntries([...groups.values()].map((g) => [g.partition, g.records.map((r) => r.value!.toString())]));

describe('ProducerPartitioner', () => {
  test.prop([fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 40 }), fc.integer({ min: 1, max: 12 })])(
    'puts every keyed record in murmur2 partition of its key, in send order, with sizes summed',
    (keys, n) => {
      const groups = new Map<string, PartitionGroup>();
      new ProducerPartitioner(undefined).group(groups, 't', keys.map((k, i) => record(k, `${i}`)), n, 5);
      for (const g of groups.values()) {
        expect(g.records.every((r) => partitionForKey(r.key!, n) === g.partition)).toBe(true);
        const order = g.records.map((r) => Number(r.value!.toString()));
        expect(order).toEqual([...order].sort((a, b) => a - b));
        expect(g.estimatedBytes).toBe(g.records.reduce((s, r) => s + estimateBytes(r), 0));
      }
      expect([...groups.values()].reduce((s, g) => s + g.records.length, 0)).toBe(keys.length);
    },
  );

  it('sends the null-key records of one send to one partition, the next send to the next (sticky)', () => {
    const p = new ProducerPartitioner(undefined);
    const sends = [0, 1, 2, 3].map((s) => {
      const groups = new Map<string, PartitionGroup>();
      p.group(groups, 't', [record(null, `${s}a`), record(null, `${s}b`)], 3, 0);
      return valuesByPartition(groups);
    });
    expect(sends).toEqual([{ 0: ['0a', '0b'] }, { 1: ['1a', '1b'] }, { 2: ['2a', '2b'] }, { 0: ['3a', '3b'] }]);
  });

  it('honours an explicit partition, then the configured partitioner; refuses a partition the topic lacks', () => {
    const p = new ProducerPartitioner((topic, key, n) => (key === null ? n - 1 : topic.length % n));
    const groups = new Map<string, PartitionGroup>();
    p.group(groups, 'abcd', [record('k', 'to 1', { partition: 1 }), record('k', 'by length'), record(null, 'null key')], 3, 0);
    expect(valuesByPartition(groups)).toEqual({ 1: ['to 1', 'by length'], 2: ['null key'] });
    let error: unknown;
    try {
      p.group(groups, 'abcd', [record('k', 'x', { partition: 3 })], 3, 0);
    } catch (e: unknown) {
      error = e;
    }
    expect(isStreamsError(error, 'UNKNOWN_TOPIC_OR_PARTITION') && error.partition).toBe(3);
  });

  it('stamps records without a timestamp with the send time and joins a topic sent twice into the same groups', () => {
    const p = new ProducerPartitioner(undefined);
    const groups = new Map<string, PartitionGroup>();
    p.group(groups, 't', [record('a', '1', { partition: 0 }), record('a', '2', { partition: 0, timestampMs: 7 })], 2, 99);
    p.group(groups, 't', [record('a', '3', { partition: 0 })], 2, 100);
    expect(groups.size).toBe(1);
    expect(groups.get(`0\u0000t`)?.records.map((r) => [r.value!.toString(), r.timestampMs])).toEqual([
      ['1', 99],
      ['2', 7],
      ['3', 100],
    ]);
  });
});
