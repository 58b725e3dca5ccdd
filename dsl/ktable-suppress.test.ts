import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import { StreamsError } from '../src/errors.js';
import { Serdes } from '../src/serdes/serdes.js';
import { EmitStrategy } from './emit-strategy.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Produced } from './options/produced.js';
import { BufferConfig, Suppressed } from './options/suppressed.js';
import { StreamsBuilder } from './streams-builder.js';
import { WindowedSerdes } from './windowed-serdes.js';
import { SessionWindows } from './windows/session-windows.js';
import { TimeWindows } from './windows/time-windows.js';

const STRING = Serdes.String();
const NUMBER = Serdes.Number();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Out = [key: string, startMs: number, endMs: number, count: number | null];
type Mode = 'suppress' | 'emit-on-close';

/** Tumbling windowed counts, final results only; `batches` are fed one pipeInputList call each. */
function finalCounts(windows: TimeWindows, batches: readonly (readonly [string, number])[][], mode: Mode = 'suppress'): Out[] {
  const builder = new StreamsBuilder();
  let windowed = builder.stream('in', Consumed.with(STRING, NUMBER)).groupByKey().windowedBy(windows);
  if (mode === 'emit-on-close') windowed = windowed.emitStrategy(EmitStrategy.onWindowClose());
  let table = windowed.count();
  if (mode === 'suppress') table = table.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()));
  const windowedSerde = WindowedSerdes.timeWindowedSerdeFrom(STRING, windows.sizeMs);
  table.toStream().to('out', Produced.with(windowedSerde, longSerde()));
  const driver = new TopologyTestDriver(builder.build());
  try {
    const one = NUMBER.serialize('in', 1);
    // One poll batch per element of `batches` (the driver processes and commits after each pipeRaw call).
    for (const batch of batches) driver.pipeRaw('in', batch.map(([key, t]) => ({ key: STRING.serialize('in', key), value: one, timestampMs: t })));
    return driver
      .createOutputTopic('out', windowedSerde, longSerde())
      .readRecordsToList()
      .map((r): Out => [r.key!.key, r.key!.window.startMs, r.key!.window.endMs, r.value]);
  } finally {
    driver.close();
  }
}

describe('KTable.suppress(untilWindowCloses)', () => {
  // Kafka Streams docs, Streams DSL > Windowing > "Window Final Results" (docs/streams/developer-guide/dsl-api.html):
  // hourly windows with 10 minutes grace, count().suppress(untilWindowCloses(unbounded())), alert when count < 3.
  // "the final result for the window [12:00, 13:00) is emitted once stream time passes 13:10" — records at 12:xx,
  // a late one at 13:05 for the 12:00 window is still counted, one at 13:10 closes it.
  it('emits one final count per hourly window once stream time passes end + 10 min grace (docs: Window Final Results)', () => {
    const windows = TimeWindows.ofSizeAndGrace(HOUR, 10 * MINUTE);
    const t = (h: number, m: number): number => h * HOUR + m * MINUTE;
    const out = finalCounts(windows, [
      [['alice', t(12, 0)], ['alice', t(12, 30)], ['bob', t(12, 45)]],
      [['alice', t(13, 1)]], // the 12:00 window ended but is open for 10 more minutes
      [['alice', t(12, 59)]], // out of order, within grace: counted in the 12:00 window
      [['bob', t(13, 9)]], // stream time 13:09: still nothing final
    ]);
    expect(out).toEqual([]);
    const closed = finalCounts(windows, [
      [['alice', t(12, 0)], ['alice', t(12, 30)], ['bob', t(12, 45)]],
      [['alice', t(13, 1)], ['alice', t(12, 59)], ['bob', t(13, 9)]],
      [['carol', t(13, 10)]], // stream time reaches 13:10 = end + grace: the 12:00 window closes
      [['alice', t(12, 50)]], // too late: dropped, no second result
      [['carol', t(14, 10)]], // closes the 13:00 window
    ]);
    expect(closed).toEqual([
      ['alice', t(12, 0), t(13, 0), 3],
      ['bob', t(12, 0), t(13, 0), 1],
      ['alice', t(13, 0), t(14, 0), 1],
      ['bob', t(13, 0), t(14, 0), 1],
      ['carol', t(13, 0), t(14, 0), 1],
    ]);
  });

  // KIP-328 ("Ability to suppress updates for KTables"), "Final results" example and the Confluent blog
  // "Kafka Streams' Take on Watermarks and Triggers" (out-of-order and late events): a window's updates are held
  // until it closes; events later than the grace period are dropped by the aggregation and change nothing.
  it('holds updates of out-of-order records and ignores late ones (KIP-328 final results)', () => {
    const windows = TimeWindows.ofSizeAndGrace(10, 5);
    expect(finalCounts(windows, [[['a', 1], ['a', 12], ['a', 8], ['a', 20], ['a', 3], ['a', 14], ['b', 9], ['a', 30], ['a', 45]]])).toEqual([
      // [0,10) closes at stream time 15 (reached by a@20): a@1, a@8 -> 2; a@3 and b@9 come after and are dropped.
      ['a', 0, 10, 2],
      ['a', 10, 20, 2], // closes at 25 (a@30)
      ['a', 20, 30, 1], // closes at 35 (a@45)
      ['a', 30, 40, 1], // closes at 45 (a@45)
    ]);
  });

  it('the boundary is exact: a window closes when stream time >= end + grace', () => {
    const windows = TimeWindows.ofSizeAndGrace(10, 5);
    expect(finalCounts(windows, [[['a', 1], ['a', 14]]])).toEqual([]);
    expect(finalCounts(windows, [[['a', 1], ['a', 15]]])).toEqual([['a', 0, 10, 1]]);
  });

  it('session windows close gap + grace after the session end (Kafka: grace + inactivity gap)', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in', Consumed.with(STRING, NUMBER))
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 2))
      .count()
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(STRING), longSerde()));
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic('in', STRING, NUMBER);
    // a@0, a@4 -> session [0,4]; a@8 extends it to [0,8] (4 + 5 > 8): the merged-away [0,4] is a tombstone, never emitted.
    for (const [k, t] of [['a', 0], ['a', 4], ['a', 8], ['b', 14]] as const) input.pipeInput(k, 1, t);
    const out = () =>
      driver
        .createOutputTopic('out', WindowedSerdes.sessionWindowedSerdeFrom(STRING), longSerde())
        .readRecordsToList()
        .map((r) => [r.key!.key, r.key!.window.startMs, r.key!.window.endMs, r.value]);
    expect(out()).toEqual([]); // [0,8] closes at 8 + 5 + 2 = 15
    input.pipeInput('b', 1, 15);
    expect(out()).toEqual([['a', 0, 8, 3]]);
    driver.close();
  });

  it('fails at build without a windowed aggregation upstream, and describes the processor and store with Kafka names', () => {
    const plain = new StreamsBuilder();
    const table = plain.table('t', Consumed.with(STRING, NUMBER));
    expect(() => (table as never as { suppress(s: unknown): unknown }).suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))).toThrow(StreamsError);
    const builder = new StreamsBuilder();
    builder
      .stream('in', Consumed.with(STRING, NUMBER))
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count()
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('out');
    const text = builder.build().describe().toString();
    expect(text).toContain('Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])');
    expect(text).toContain('--> KTABLE-SUPPRESS-0000000003');
  });

  it('names the processor and its store after withName', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in', Consumed.with(STRING, NUMBER))
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count()
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()).withName('final'))
      .toStream()
      .to('out');
    expect(builder.build().describe().toString()).toContain('Processor: final (stores: [final-store])');
  });

  it('rejects a buffer config that may emit early', () => {
    expect(() => Suppressed.untilWindowCloses(BufferConfig.maxRecords(3) as never)).toThrow(StreamsError);
  });
});

/** Reference: for tumbling windows, the final counts of the windows closed by the end of the input, in close order. */
function model(sizeMs: number, graceMs: number, input: readonly (readonly [string, number])[]): Map<string, number> {
  const counts = new Map<string, number>();
  let streamTime = -1;
  for (const [key, t] of input) {
    streamTime = Math.max(streamTime, t);
    const start = t - (t % sizeMs);
    if (start + sizeMs + graceMs <= streamTime) continue; // late: dropped
    const id = `${key}@${start}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const closed = new Map<string, number>();
  for (const [id, n] of counts) {
    const start = Number(id.slice(id.lastIndexOf('@') + 1));
    if (start + sizeMs + graceMs <= streamTime) closed.set(id, n);
  }
  return closed;
}

const inputArb = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 200 })), { maxLength: 40 });

describe('properties of final results', () => {
  test.prop([inputArb, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 20 })], { numRuns: 40 })(
    'exactly one output per closed window, with the reference count, and none for open ones',
    (input, sizeMs, graceMs) => {
      for (const mode of ['suppress', 'emit-on-close'] as const) {
        const out = finalCounts(TimeWindows.ofSizeAndGrace(sizeMs, graceMs), [input], mode);
        const ids = out.map(([k, s]) => `${k}@${s}`);
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Map(out.map(([k, s, , n]) => [`${k}@${s}`, n]))).toEqual(model(sizeMs, graceMs, input));
      }
    },
  );

  test.prop([inputArb, fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 10 })], { numRuns: 30 })(
    'results do not depend on how the input is split into pipe calls',
    (input, cuts) => {
      const batches: (readonly [string, number])[][] = [];
      let i = 0;
      for (let c = 0; i < input.length; c++) {
        const n = cuts[c % cuts.length]!;
        batches.push(input.slice(i, i + n));
        i += n;
      }
      const windows = TimeWindows.ofSizeAndGrace(10, 3);
      expect(finalCounts(windows, batches)).toEqual(finalCounts(windows, [input]));
      expect(finalCounts(windows, batches, 'emit-on-close')).toEqual(finalCounts(windows, [input], 'emit-on-close'));
    },
  );
});

describe('KTable.suppress(untilTimeLimit)', () => {
  function rateLimited(suppressed: Suppressed<unknown>, input: readonly (readonly [string, number, number])[]): [string, number | null, number][] {
    const builder = new StreamsBuilder();
    builder
      .table('in', Consumed.with(STRING, NUMBER))
      .suppress(suppressed)
      .toStream()
      .to('out', Produced.with(STRING, NUMBER));
    const driver = new TopologyTestDriver(builder.build());
    try {
      const topic = driver.createInputTopic('in', STRING, NUMBER);
      for (const [k, v, t] of input) topic.pipeInput(k, v, t);
      return driver
        .createOutputTopic('out', STRING, NUMBER)
        .readRecordsToList()
        .map((r): [string, number | null, number] => [r.key!, r.value, r.timestampMs]);
    } finally {
      driver.close();
    }
  }

  // KIP-328, "Rate control" example: suppress(untilTimeLimit(Duration.ofMinutes(5), maxRecords(1_000).emitEarlyWhenFull()))
  // forwards a key's latest value once stream time is 5 minutes past its latest update.
  it('forwards the latest value of a key once stream time is timeToWait past its last update (KIP-328 rate control)', () => {
    const s = Suppressed.untilTimeLimit(5 * MINUTE, BufferConfig.maxRecords(1_000).emitEarlyWhenFull());
    expect(
      rateLimited(s, [
        ['x', 1, 0],
        ['x', 2, MINUTE],
        ['y', 7, 2 * MINUTE],
        ['x', 3, 3 * MINUTE],
        ['z', 0, 7 * MINUTE], // y (2 min) expires; x was last updated at 3 min
        ['z', 1, 8 * MINUTE], // x expires
      ]),
    ).toEqual([
      ['y', 7, 2 * MINUTE],
      ['x', 3, 3 * MINUTE],
    ]);
  });

  it('emits early when full, oldest first', () => {
    const s = Suppressed.untilTimeLimit(HOUR, BufferConfig.maxRecords(2));
    expect(rateLimited(s, [['a', 1, 0], ['b', 2, 1], ['a', 3, 2], ['c', 4, 3]])).toEqual([['b', 2, 1]]);
  });

  it('fails the task when a shut-down buffer is full', () => {
    const s = Suppressed.untilTimeLimit(HOUR, BufferConfig.maxRecords(1).shutDownWhenFull());
    let error: unknown;
    try {
      rateLimited(s, [['a', 1, 0], ['b', 2, 1]]);
    } catch (e: unknown) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamsError);
    expect((error as StreamsError).code).toBe('PROCESSING_FAILED');
  });

  it('forwards tombstones (only final window results drop them)', () => {
    const builder = new StreamsBuilder();
    builder.table('in', Consumed.with(STRING, NUMBER)).suppress(Suppressed.untilTimeLimit(0, BufferConfig.unbounded())).toStream().to('out', Produced.with(STRING, NUMBER));
    const driver = new TopologyTestDriver(builder.build());
    const topic = driver.createInputTopic('in', STRING, NUMBER);
    topic.pipeInput('a', 1, 5);
    topic.pipeInput('a', null, 6);
    expect(driver.createOutputTopic('out', STRING, NUMBER).readKeyValuesToList()).toEqual([
      { key: 'a', value: 1 },
      { key: 'a', value: null },
    ]);
    driver.close();
  });
});
