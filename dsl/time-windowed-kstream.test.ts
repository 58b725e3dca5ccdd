import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import { Serdes } from '../src/serdes/serdes.js';
import { EmitStrategy } from './emit-strategy.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Materialized } from './options/materialized.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';
import { WindowedSerdes } from './windowed-serdes.js';
import { SlidingWindows } from './windows/sliding-windows.js';
import { TimeWindows } from './windows/time-windows.js';

const STRING = Serdes.String();
const NUMBER = Serdes.Number();

type Out = [key: string, startMs: number, endMs: number, value: number | null, timestampMs: number];

function run(windows: TimeWindows | SlidingWindows, input: readonly [string, number][], reduce = false, strategy = EmitStrategy.onWindowUpdate()): Out[] {
  const builder = new StreamsBuilder();
  const windowed = builder.stream('in', Consumed.with(STRING, NUMBER)).groupByKey().windowedBy(windows).emitStrategy(strategy);
  const table = reduce ? windowed.reduce((a, b) => a + b) : windowed.count();
  const size = windows.kind === 'time' ? windows.sizeMs : windows.timeDifferenceMs;
  table.toStream().to('out', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(STRING, size), reduce ? NUMBER : longSerde()));
  const driver = new TopologyTestDriver(builder.build());
  const topic = driver.createInputTopic('in', STRING, NUMBER);
  for (const [key, t] of input) topic.pipeInput(key, 1, t);
  const out = driver
    .createOutputTopic('out', WindowedSerdes.timeWindowedSerdeFrom(STRING, size), reduce ? NUMBER : longSerde())
    .readRecordsToList()
    .map((r): Out => [r.key!.key, r.key!.window.startMs, r.key!.window.endMs, r.value, r.timestampMs]);
  driver.close();
  return out;
}

describe('TimeWindowedKStream over TimeWindows', () => {
  it('counts tumbling windows, takes out-of-order records within grace and drops later ones', () => {
    // size 10, grace 5: the window [0,10) closes when stream time reaches 15.
    expect(run(TimeWindows.ofSizeAndGrace(10, 5), [['a', 1], ['a', 12], ['a', 8], ['a', 20], ['a', 3], ['a', 14], ['b', 9]])).toEqual([
      ['a', 0, 10, 1, 1],
      ['a', 10, 20, 1, 12],
      ['a', 0, 10, 2, 8],
      ['a', 20, 30, 1, 20],
      // a@3 is dropped: 10 + 5 <= 20. b@9 too: stream time is per processor, not per key.
      ['a', 10, 20, 2, 14],
    ]);
  });

  it('the grace boundary is exact: a window is closed once end + grace <= stream time', () => {
    expect(run(TimeWindows.ofSizeAndGrace(10, 5), [['a', 14], ['a', 9]])).toEqual([['a', 10, 20, 1, 14], ['a', 0, 10, 1, 9]]);
    expect(run(TimeWindows.ofSizeAndGrace(10, 5), [['a', 15], ['a', 9]])).toEqual([['a', 10, 20, 1, 15]]);
  });

  it('hopping windows update every window a record falls in; reduce keeps the first value as is', () => {
    expect(run(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5), [['a', 7], ['a', 12]], true)).toEqual([
      ['a', 0, 10, 1, 7],
      ['a', 5, 15, 1, 7],
      ['a', 5, 15, 2, 12],
      ['a', 10, 20, 1, 12],
    ]);
  });

  it('names the store and processor as Kafka Streams and materializes a timestamped window store', () => {
    const builder = new StreamsBuilder();
    builder.stream<string, string>('in').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count();
    const text = builder.build().describe().toString();
    expect(text).toContain('Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])');
  });

  it('rejects a retention below size + grace', () => {
    const builder = new StreamsBuilder();
    const windowed = builder.stream<string, string>('in').groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(60_000, 1_000));
    expect(() => windowed.count(Materialized.as('c').withRetention(60_000))).toThrow(/at least 61000/);
    expect(() => windowed.count(Materialized.as('d').withRetention(61_000))).not.toThrow();
  });

  /** The documented rules: windowsFor(t); a window is closed once end + grace <= max timestamp seen so far. */
  function model(windows: TimeWindows, input: readonly [string, number][]): Map<string, number> {
    const counts = new Map<string, number>();
    let streamTime = -1;
    for (const [key, t] of input) {
      streamTime = Math.max(streamTime, t);
      for (let start = 0; start <= t; start += windows.advanceMs) {
        const end = start + windows.sizeMs;
        if (t >= end || end + windows.graceMs <= streamTime) continue;
        const k = `${key}@${start}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    return counts;
  }

  test.prop(
    [
      fc.record({ size: fc.integer({ min: 1, max: 20 }), advanceDiv: fc.integer({ min: 1, max: 4 }), grace: fc.integer({ min: 0, max: 15 }) }),
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 100 })), { maxLength: 40 }),
    ],
    { numRuns: 40 },
  )('tumbling and hopping counts equal the reference model', ({ size, advanceDiv, grace }, input) => {
    const windows = TimeWindows.ofSizeAndGrace(size, grace).advanceBy(Math.max(1, Math.floor(size / advanceDiv)));
    const last = new Map<string, number>();
    for (const [key, start, end, value] of run(windows, input)) {
      expect(end - start).toBe(size);
      last.set(`${key}@${start}`, value!);
    }
    expect(last).toEqual(model(windows, input));
  });
});

describe('TimeWindowedKStream over SlidingWindows', () => {
  it('creates left windows, the previous record right window and right windows for out-of-order records', () => {
    // time difference 10, grace 5
    expect(run(SlidingWindows.ofTimeDifferenceAndGrace(10, 5), [['a', 20], ['a', 25], ['a', 22]])).toEqual([
      ['a', 10, 20, 1, 20], // left window of 20
      ['a', 21, 31, 1, 25], // right window of 20, holding 25
      ['a', 15, 25, 2, 25], // left window of 25: 20 and 25
      ['a', 15, 25, 3, 25], // 22 falls in [15,25]
      ['a', 21, 31, 2, 25], // and in [21,31]
      ['a', 12, 22, 2, 22], // its own left window: 20 and 22
      ['a', 23, 33, 1, 25], // its right window: 25
    ]);
  });

  it('without grace, an out-of-order record skips its closed left window but updates open ones', () => {
    expect(run(SlidingWindows.ofTimeDifferenceWithNoGrace(10), [['a', 20], ['a', 25], ['a', 22]]).slice(3)).toEqual([
      ['a', 15, 25, 3, 25],
      ['a', 21, 31, 2, 25],
      ['a', 23, 33, 1, 25], // [12,22] ended before stream time 25: not created
    ]);
  });

  it('records below the time difference share the window [0, diff]', () => {
    expect(run(SlidingWindows.ofTimeDifferenceWithNoGrace(10), [['a', 3], ['a', 5]])).toEqual([
      ['a', 0, 10, 1, 3],
      ['a', 4, 14, 1, 5],
      ['a', 0, 10, 2, 5],
    ]);
  });

  it('drops records whose windows are all closed', () => {
    expect(run(SlidingWindows.ofTimeDifferenceAndGrace(10, 2), [['a', 30], ['a', 17]])).toEqual([['a', 20, 30, 1, 30]]);
  });
});

describe('TimeWindowedKStream over SlidingWindows with EmitStrategy.onWindowClose()', () => {
  const onClose = EmitStrategy.onWindowClose();

  // The SlidingWindows Javadoc example (time difference 5000 ms: A@8000, A@9200, A@12400 make five windows), with a
  // grace period so that all five stay open until B@24202 passes the last end + grace (14201 + 10000).
  it('forwards each of the five windows of the SlidingWindows Javadoc once, with its final count, by start', () => {
    const input: [string, number][] = [['A', 8000], ['A', 9200], ['A', 12400], ['B', 24_201]];
    const windows = SlidingWindows.ofTimeDifferenceAndGrace(5000, 10_000);
    expect(run(windows, input, false, onClose)).toEqual([
      ['A', 3000, 8000, 1, 8000],
      ['A', 4200, 9200, 2, 9200],
      ['A', 7400, 12400, 3, 12400],
      ['A', 8001, 13001, 2, 12400],
    ]);
    expect(run(windows, [...input, ['B', 24_202]], false, onClose).slice(4)).toEqual([['A', 9201, 14201, 1, 12400]]);
  });

  it('reduce: the final value of each window, nothing for windows still open', () => {
    expect(run(SlidingWindows.ofTimeDifferenceWithNoGrace(10), [['a', 20], ['a', 25], ['a', 22], ['b', 40]], true, onClose)).toEqual([
      // a@22 came too late for its left window [12,22] (stream time 25): it only joined [15,25] and [21,31].
      ['a', 10, 20, 1, 20],
      ['a', 15, 25, 3, 25],
      ['a', 21, 31, 2, 25],
      ['a', 23, 33, 1, 25],
    ]);
  });

  it('does not change the topology: same processor and store names as without it', () => {
    const described = (strategy: EmitStrategy): string => {
      const builder = new StreamsBuilder();
      builder.stream<string, string>('in').groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10)).emitStrategy(strategy).count();
      return builder.build().describe().toString();
    };
    expect(described(onClose)).toBe(described(EmitStrategy.onWindowUpdate()));
  });

  test.prop(
    [
      fc.record({ diff: fc.integer({ min: 1, max: 15 }), grace: fc.integer({ min: 0, max: 10 }) }),
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 100 })), { maxLength: 40 }),
    ],
    { numRuns: 30 },
  )('the final results are the closed windows of the updating table, each once with its last value', ({ diff, grace }, input) => {
    const windows = SlidingWindows.ofTimeDifferenceAndGrace(diff, grace);
    const streamTime = Math.max(-1, ...input.map(([, t]) => t));
    const table = new Map<string, number>();
    for (const [key, start, end, value] of run(windows, input)) table.set(`${key}@${start}-${end}`, value!);
    const closed = new Map([...table].filter(([id]) => Number(id.slice(id.lastIndexOf('-') + 1)) + grace < streamTime));
    const finals = run(windows, input, false, onClose).map(([key, start, end, value]) => [`${key}@${start}-${end}`, value!] as const);
    expect(new Map(finals)).toEqual(closed);
    expect(finals.length).toBe(closed.size);
  });
});
