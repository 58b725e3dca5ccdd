import { describe, expect, it } from 'vitest';
import { Consumed } from '../dsl/options/consumed.js';
import { Grouped } from '../dsl/options/grouped.js';
import { Materialized } from '../dsl/options/materialized.js';
import { Produced } from '../dsl/options/produced.js';
import { StreamsBuilder } from '../dsl/streams-builder.js';
import { SessionWindows } from '../dsl/windows/session-windows.js';
import { TimeWindows } from '../dsl/windows/time-windows.js';
import { partitionForKey } from '../src/client/murmur2.js';
import { isStreamsError } from '../src/errors.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { Topology } from '../src/topology/topology.js';
import { runEvents } from './run-options.js';
import { runTopology } from './run-topology.js';
import { feedOrder, partitionOf, type TestRecord, type TopologyInputs } from './test-records.js';

const S = Serdes.String();
const N = Serdes.Number();

function wordCount(): Topology {
  const b = new StreamsBuilder();
  b.stream('lines', Consumed.with(S, S))
    .flatMapValues((line: string) => line.split(' ').filter((w) => w !== ''))
    .groupBy((_k, w) => w, Grouped.with(S, S))
    .count(Materialized.as('counts'))
    .toStream()
    .to('word-counts', Produced.with(S, N));
  return b.build();
}

const LINES = ['a b a', 'c', 'b a', 'c c d', 'a', 'e b'];
const lineInputs: TopologyInputs = {
  lines: { keySerde: S, valueSerde: S, records: LINES.map((value, i): TestRecord<string, string> => ({ key: `line-${i}`, value, timestampMs: i * 100 })) },
};
const EXPECTED = new Map([
  ['a', 4],
  ['b', 3],
  ['c', 3],
  ['d', 1],
  ['e', 1],
]);
const countsOptions = { outputs: { 'word-counts': { keySerde: S, valueSerde: N } }, stores: ['counts'] } as const;

function lastPerKey(records: readonly { key: unknown; value: unknown }[]): Map<unknown, unknown> {
  return new Map(records.map((r) => [r.key, r.value]));
}

describe('runTopology over the TopologyTestDriver', () => {
  it('returns every output record (with its partition) and the final store contents', async () => {
    const run = await runTopology(wordCount, lineInputs, { ...countsOptions, partitioning: { partitions: 3, salt: null } });
    expect(run.stores.get('counts')).toEqual(EXPECTED);
    const out = run.outputs.get('word-counts')!;
    expect(lastPerKey(out)).toEqual(EXPECTED);
    // Counted after a repartition by word: each word's counts sit in its murmur2 partition of 3.
    for (const r of out) expect(r.partition).toBe(partitionForKey(S.serialize('t', r.key as string)!, 3));
    // Record at a time: a commit after each line, so one update per word of each line (the cache folds 'a b a').
    expect(out).toHaveLength(10);
  });

  it('batches: one poll and one commit per batch, so caching folds updates; the final table is the same', async () => {
    const run = await runTopology(wordCount, lineInputs, { ...countsOptions, commitSchedule: { batchSizes: [LINES.length] } });
    const out = run.outputs.get('word-counts')!;
    expect(lastPerKey(out)).toEqual(EXPECTED);
    expect(out).toHaveLength(EXPECTED.size);
    const uncached = await runTopology(wordCount, lineInputs, { ...countsOptions, commitSchedule: { batchSizes: [LINES.length], cacheMaxBytes: 0 } });
    // Without a cache, every update of every word (12 words in all).
    expect(uncached.outputs.get('word-counts')).toHaveLength(12);
  });

  it('reads window and session stores as Windowed<K> -> value', async () => {
    const factory = (): Topology => {
      const b = new StreamsBuilder();
      const clicks = b.stream('clicks', Consumed.with(S, S)).groupByKey();
      clicks.windowedBy(TimeWindows.ofSizeWithNoGrace(1_000)).count(Materialized.as<string, number>('per-second').withRetention(60_000));
      clicks.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(500)).count(Materialized.as<string, number>('sessions').withRetention(60_000));
      return b.build();
    };
    const clicks = [0, 200, 900, 2_000].map((timestampMs): TestRecord<string, string> => ({ key: 'p', value: 'u', timestampMs }));
    const run = await runTopology(factory, { clicks: { keySerde: S, valueSerde: S, records: clicks } }, {
      outputs: {},
      stores: [
        { name: 'per-second', kind: 'window' },
        { name: 'sessions', kind: 'session' },
      ],
    });
    const windows = [...run.stores.get('per-second')!].map(([k, v]) => [(k as { window: { startMs: number } }).window.startMs, v]);
    expect(windows).toEqual([
      [0, 3],
      [2_000, 1],
    ]);
    const sessions = [...run.stores.get('sessions')!].map(([k, v]) => [(k as { window: { startMs: number; endMs: number } }).window, v]);
    expect(sessions).toEqual([
      [expect.objectContaining({ startMs: 0, endMs: 200 }), 2],
      [expect.objectContaining({ startMs: 900, endMs: 900 }), 1],
      [expect.objectContaining({ startMs: 2_000, endMs: 2_000 }), 1],
    ]);
  });

  it('restarts and several instances need the broker', async () => {
    for (const extra of [{ restartAt: [1] }, { instances: 2 }]) {
      await expect(runTopology(wordCount, lineInputs, { ...countsOptions, ...extra })).rejects.toSatisfy((e: unknown) => isStreamsError(e, 'INVALID_CONFIG'));
    }
  });
});

describe('runTopology over the broker', () => {
  it('gives the driver’s results with 3 partitions and 2 instances (stores read across instances)', async () => {
    const run = await runTopology(wordCount, lineInputs, { ...countsOptions, mode: 'broker', partitioning: { partitions: 3, salt: null }, instances: 2 });
    expect(run.stores.get('counts')).toEqual(EXPECTED);
    expect(lastPerKey(run.outputs.get('word-counts')!)).toEqual(EXPECTED);
  });

  // Regression (found by rebalanceEquivalence; shrunk counterexample: one record, 2 partitions, 3 instances): an
  // instance left without partitions polled in a loop that never yielded to timers, and the whole process hung.
  it('runs an instance that gets no partitions without starving the process', async () => {
    const one: TopologyInputs = { lines: { keySerde: S, valueSerde: S, records: [{ key: 'l0', value: 'hello', timestampMs: 0 }] } };
    const run = await runTopology(wordCount, one, { ...countsOptions, mode: 'broker', partitioning: { partitions: 2, salt: null }, instances: 3 });
    expect(run.stores.get('counts')).toEqual(new Map([['hello', 1]]));
  });

  it('keeps the counts across restarts and instance changes (stores restored from changelogs)', async () => {
    const run = await runTopology(wordCount, lineInputs, {
      ...countsOptions,
      mode: 'broker',
      partitioning: { partitions: 2, salt: 5 },
      restartAt: [2, 4],
      events: [
        { atRecord: 3, kind: 'addInstance' },
        { atRecord: 5, kind: 'removeInstance' },
      ],
      commitSchedule: { batchSizes: [2, 1], maxPollRecords: 3, commitIntervalMs: 5 },
    });
    expect(run.stores.get('counts')).toEqual(EXPECTED);
    expect(lastPerKey(run.outputs.get('word-counts')!)).toEqual(EXPECTED);
  });

  it('fails fast with the application’s error when a processor throws', async () => {
    const failing = (): Topology => {
      const b = new StreamsBuilder();
      b.stream('lines', Consumed.with(S, S))
        .mapValues((line: string) => {
          if (line === 'c') throw new Error('no c please');
          return line;
        })
        .to('out', Produced.with(S, S));
      return b.build();
    };
    const started = Date.now();
    const error = await runTopology(failing, lineInputs, { outputs: { out: { keySerde: S, valueSerde: S } }, mode: 'broker' }).catch((e: unknown) => e);
    expect(isStreamsError(error, 'PROCESSING_FAILED')).toBe(true);
    expect((error as Error).message).toContain('no c please');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('feed order and partitioning', () => {
  it('merges topics by event time, ties by the given topic order, keeping each topic’s own order', () => {
    const inputs: TopologyInputs = {
      a: { keySerde: S, valueSerde: S, records: [5, 1, 9].map((timestampMs) => ({ key: 'k', value: `a${timestampMs}`, timestampMs })) },
      b: { keySerde: S, valueSerde: S, records: [3, 5].map((timestampMs) => ({ key: 'k', value: `b${timestampMs}`, timestampMs })) },
    };
    // a's 1 comes after its 5 (a topic is never reordered); a5 and b5 tie: a is listed first.
    expect(feedOrder(inputs).map((r) => r.value)).toEqual(['b3', 'a5', 'a1', 'b5', 'a9']);
    expect(feedOrder(inputs, undefined, ['b', 'a']).map((r) => r.value)).toEqual(['b3', 'b5', 'a5', 'a1', 'a9']);
  });

  it('with partitions, merges topics per partition, as each task does', () => {
    // a5 and a1 land in different partitions: a1 is no longer held back behind a5 in its own partition.
    const key = (p: number): string => ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'].find((k) => partitionForKey(S.serialize('t', k)!, 2) === p)!;
    const [k0, k1] = [key(0), key(1)];
    const inputs: TopologyInputs = {
      a: { keySerde: S, valueSerde: S, records: [{ key: k0, value: 'a5', timestampMs: 5 }, { key: k1, value: 'a1', timestampMs: 1 }] },
      b: { keySerde: S, valueSerde: S, records: [{ key: k1, value: 'b3', timestampMs: 3 }] },
    };
    expect(feedOrder(inputs).map((r) => r.value)).toEqual(['b3', 'a5', 'a1']);
    const fed = feedOrder(inputs, { partitions: 2, salt: null });
    expect(fed.map((r) => r.value)).toEqual(['a1', 'b3', 'a5']);
    expect(fed.map((r) => r.partition)).toEqual([1, 1, 0]);
  });

  it('spreads keys with Kafka’s partitioner or a salted mapping, the same key always to the same partition', () => {
    const key = S.serialize('t', 'user-7')!;
    expect(partitionOf(key, 0, { partitions: 5, salt: null })).toBe(partitionForKey(key, 5));
    expect(partitionOf(key, 3, { partitions: 5, salt: 11 })).toBe(partitionOf(key, 9, { partitions: 5, salt: 11 }));
    const spread = new Set(Array.from({ length: 20 }, (_, salt) => partitionOf(key, 0, { partitions: 5, salt })));
    expect(spread.size).toBeGreaterThan(1);
    expect([0, 1, 2, 3].map((i) => partitionOf(null, i, { partitions: 2, salt: null }))).toEqual([0, 1, 0, 1]);
  });

  it('takes event points modulo the input length + 1, in order', () => {
    expect(runEvents({ restartAt: [7, 2], events: [{ atRecord: 4, kind: 'addInstance' }] }, 5)).toEqual([
      { atRecord: 1, kind: 'restart' },
      { atRecord: 2, kind: 'restart' },
      { atRecord: 4, kind: 'addInstance' },
    ]);
  });
});
