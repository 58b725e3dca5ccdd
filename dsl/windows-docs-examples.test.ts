/**
 * The windowing examples of Kafka Streams' documentation, reproduced through the TopologyTestDriver with their exact
 * outputs: the developer guide (docs/streams/developer-guide/dsl-api.html, "Windowing": tumbling and hopping window
 * boundaries, the session windows example with a 5-minute inactivity gap) and the Javadoc of SlidingWindows and
 * SessionWindows (the record tables there). "Window Final Results" (hourly windows, 10 minutes grace, suppress) is in
 * ktable-suppress.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { Windowed } from '../src/state/windowed.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Produced } from './options/produced.js';
import { BufferConfig, Suppressed } from './options/suppressed.js';
import { StreamsBuilder } from './streams-builder.js';
import type { TimeWindowedKStream } from './time-windowed-kstream.js';
import { WindowedSerdes } from './windowed-serdes.js';
import { SessionWindows } from './windows/session-windows.js';
import { SlidingWindows } from './windows/sliding-windows.js';
import { TimeWindows } from './windows/time-windows.js';

const STRING = Serdes.String();
const NUMBER = Serdes.Number();
const MINUTE = 60_000;
/**
 * The examples predate `ofInactivityGapWithNoGrace`: their `SessionWindows.with(gap)` is, in Kafka Streams 3.x,
 * `ofInactivityGapAndGrace(gap, 24 h - gap)` (the old default grace, kept by the deprecated factory).
 */
const OLD_DEFAULT_GRACE_MS = 24 * 60 * MINUTE;

type Out = [key: string, startMs: number, endMs: number, value: number | null, timestampMs: number];

/** Pipes `input` (key, value, timestamp) through `windowed(stream)` to a topic and returns every record written. */
function run(
  build: (builder: StreamsBuilder) => { toStream(): { to(topic: string, produced: Produced<Windowed<string>, number>): void } },
  keySerde: Serde<Windowed<string>>,
  valueSerde: Serde<number>,
  input: readonly (readonly [string, number, number])[],
): Out[] {
  const builder = new StreamsBuilder();
  build(builder).toStream().to('out', Produced.with(keySerde, valueSerde));
  const driver = new TopologyTestDriver(builder.build());
  try {
    const topic = driver.createInputTopic('in', STRING, NUMBER);
    for (const [key, value, t] of input) topic.pipeInput(key, value, t);
    return driver
      .createOutputTopic('out', keySerde, valueSerde)
      .readRecordsToList()
      .map((r): Out => [r.key!.key, r.key!.window.startMs, r.key!.window.endMs, r.value, r.timestampMs]);
  } finally {
    driver.close();
  }
}

/** The table an output stream of windowed updates describes: the latest value per window, tombstones delete. */
function table(out: readonly Out[]): Map<string, number> {
  const t = new Map<string, number>();
  for (const [key, start, end, value] of out) {
    if (value === null) t.delete(`${key}@${start}-${end}`);
    else t.set(`${key}@${start}-${end}`, value);
  }
  return t;
}

const windowedBy = (builder: StreamsBuilder, windows: TimeWindows | SlidingWindows): TimeWindowedKStream<string, number> =>
  builder.stream('in', Consumed.with(STRING, NUMBER)).groupByKey().windowedBy(windows);

describe('Kafka docs: tumbling and hopping time windows (developer guide, Windowing)', () => {
  // "tumbling windows with a size of 5000ms have predictable window boundaries [0;5000),[5000;10000),... — and not
  // [1000;6000),[6000;11000),... or even something 'random' like [1452;6452),[6452;11452),..."
  it('tumbling windows of 5000 ms are aligned to the epoch, start inclusive, end exclusive', () => {
    const windows = TimeWindows.ofSizeWithNoGrace(5000);
    const serde = WindowedSerdes.timeWindowedSerdeFrom(STRING, 5000);
    expect(run((b) => windowedBy(b, windows).count(), serde, longSerde(), [['k', 1, 1452], ['k', 1, 4999], ['k', 1, 5000], ['k', 1, 6452]])).toEqual([
      ['k', 0, 5000, 1, 1452],
      ['k', 0, 5000, 2, 4999],
      ['k', 5000, 10000, 1, 5000],
      ['k', 5000, 10000, 2, 6452],
    ]);
  });

  // "hopping windows with a size of 5000ms and an advance interval ("hop") of 3000ms have predictable window
  // boundaries [0;5000),[3000;8000),... — and not [1000;6000),[4000;9000),..."
  it('hopping windows of 5000 ms advancing by 3000 ms: a record falls into every window covering it', () => {
    const windows = TimeWindows.ofSizeWithNoGrace(5000).advanceBy(3000);
    const serde = WindowedSerdes.timeWindowedSerdeFrom(STRING, 5000);
    expect(run((b) => windowedBy(b, windows).count(), serde, longSerde(), [['k', 1, 1452], ['k', 1, 4000], ['k', 1, 6452]])).toEqual([
      ['k', 0, 5000, 1, 1452],
      ['k', 0, 5000, 2, 4000],
      ['k', 3000, 8000, 1, 4000],
      ['k', 3000, 8000, 2, 6452],
      ['k', 6000, 11000, 1, 6452],
    ]);
  });
});

describe('Kafka docs: sliding windows (SlidingWindows Javadoc)', () => {
  // "if we have a time difference of 5000ms and the following data arrives: A 1 @8000, A 2 @9200, A 3 @12400 — we'd
  // have the following 5 windows: [3000;8000] contains [1], [4200;9200] contains [1,2], [7400;12400] contains
  // [1,2,3], [8001;13001] contains [2,3], [9201;14201] contains [3]".
  const input = [['A', 1, 8000], ['A', 2, 9200], ['A', 3, 12400]] as const;
  const windows = SlidingWindows.ofTimeDifferenceWithNoGrace(5000);
  const serde = WindowedSerdes.timeWindowedSerdeFrom(STRING, 5000);

  it('each record creates its left window and the windows it makes non-empty; the updates in order', () => {
    const out = run((b) => windowedBy(b, windows).reduce((a, v) => a + v), serde, NUMBER, input);
    expect(out).toEqual([
      ['A', 3000, 8000, 1, 8000], // created when the first record enters
      ['A', 8001, 13001, 2, 9200], // 1 drops out of the window when 2 enters: the right window of 1
      ['A', 4200, 9200, 3, 9200],
      ['A', 8001, 13001, 5, 12400],
      ['A', 9201, 14201, 3, 12400], // 2 drops out: the right window of 2
      ['A', 7400, 12400, 6, 12400],
    ]);
    // The five windows of the Javadoc with the sums of the values they contain.
    expect(table(out)).toEqual(
      new Map([
        ['A@3000-8000', 1],
        ['A@4200-9200', 1 + 2],
        ['A@7400-12400', 1 + 2 + 3],
        ['A@8001-13001', 2 + 3],
        ['A@9201-14201', 3],
      ]),
    );
  });

  it('with suppress(untilWindowCloses), each of the five windows comes out once, when stream time passes its end', () => {
    const out = run(
      (b) => windowedBy(b, windows).count().suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())),
      serde,
      longSerde(),
      [...input, ['B', 1, 20_000]],
    );
    // (B's own window [15000;20000] comes out too: suppress closes a window at stream time >= end + grace.)
    expect(out.filter(([key]) => key === 'A')).toEqual([
      ['A', 3000, 8000, 1, 8000],
      ['A', 4200, 9200, 2, 9200],
      ['A', 7400, 12400, 3, 12400],
      ['A', 8001, 13001, 2, 12400],
      ['A', 9201, 14201, 1, 12400],
    ]);
  });
});

describe('Kafka docs: session windows', () => {
  const serde = WindowedSerdes.sessionWindowedSerdeFrom(STRING);
  const sessions = (builder: StreamsBuilder, gapMs: number) =>
    builder.stream('in', Consumed.with(STRING, NUMBER)).groupByKey().windowedBy(SessionWindows.ofInactivityGapAndGrace(gapMs, OLD_DEFAULT_GRACE_MS - gapMs));

  // SessionWindows Javadoc: "if we have a session gap of 5 and the following data arrives: A 1 @10, A 2 @12, A 3 @20 —
  // we'd have 2 sessions for key A. One starting from time 10 and ending at time 12 and another starting and ending at
  // time 20 ... If we then received another record: A 4 @16 — the previous 2 sessions would be merged into a single
  // session with start time 10 and end time 20. The aggregate value for this session would be the result of
  // aggregating all 4 values."
  it('two sessions, then one record bridges them: tombstones for both, one merged session (SessionWindows Javadoc)', () => {
    const input = [['A', 1, 10], ['A', 2, 12], ['A', 3, 20]] as const;
    const before = run((b) => sessions(b, 5).reduce((a, v) => a + v), serde, NUMBER, input);
    expect(table(before)).toEqual(new Map([['A@10-12', 3], ['A@20-20', 3]]));
    expect(run((b) => sessions(b, 5).reduce((a, v) => a + v), serde, NUMBER, [...input, ['A', 4, 16]])).toEqual([
      ['A', 10, 10, 1, 10],
      ['A', 10, 10, null, 10],
      ['A', 10, 12, 3, 12],
      ['A', 20, 20, 3, 20],
      ['A', 10, 12, null, 12],
      ['A', 20, 20, null, 20],
      ['A', 10, 20, 10, 20],
    ]);
  });

  // Developer guide, Session Windows, inactivity gap 5 minutes: "When the first three records arrive ... we'd have
  // three sessions ...: two for the green record key, with one session starting and ending at the 0-minute mark ...,
  // and another starting and ending at the 6-minute mark; and one session for the blue record key, starting and
  // ending at the 2-minute mark." Then "three additional records (including two out-of-order records) ... the two
  // existing sessions for the green record key will be merged into a single session starting at time 0 and ending at
  // time 6, consisting of a total of three records. The existing session for the blue record key will be extended to
  // end at time 5, consisting of a total of two records. And, finally, there will be a new session for the blue key
  // starting and ending at time 11." (out-of-order records: green at t=4, blue at t=5).
  const m = (minutes: number): number => minutes * MINUTE;
  const first = [['green', 1, m(0)], ['blue', 1, m(2)], ['green', 1, m(6)]] as const;
  const more = [['green', 1, m(4)], ['blue', 1, m(5)], ['blue', 1, m(11)]] as const;

  it('three records make three sessions; three more merge, extend and start sessions (developer guide)', () => {
    const afterThree = run((b) => sessions(b, m(5)).count(), serde, longSerde(), first);
    expect(table(afterThree)).toEqual(new Map([['green@0-0', 1], ['green@360000-360000', 1], ['blue@120000-120000', 1]]));
    const afterSix = run((b) => sessions(b, m(5)).count(), serde, longSerde(), [...first, ...more]);
    expect(afterSix.slice(afterThree.length)).toEqual([
      ['green', m(0), m(0), null, m(0)],
      ['green', m(6), m(6), null, m(6)],
      ['green', m(0), m(6), 3, m(6)],
      ['blue', m(2), m(2), null, m(2)],
      ['blue', m(2), m(5), 2, m(5)],
      ['blue', m(11), m(11), 1, m(11)],
    ]);
    expect(table(afterSix)).toEqual(new Map([['green@0-360000', 3], ['blue@120000-300000', 2], ['blue@660000-660000', 1]]));
  });

  it('with suppress(untilWindowCloses) and 5 minutes grace, the same sessions come out once each, when they close', () => {
    const out = run(
      (b) =>
        b
          .stream('in', Consumed.with(STRING, NUMBER))
          .groupByKey()
          .windowedBy(SessionWindows.ofInactivityGapAndGrace(m(5), m(5)))
          .count()
          .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())),
      serde,
      longSerde(),
      [...first, ...more, ['red', 1, m(30)]],
    );
    // A session closes gap + grace after its end; red@30 closes them all. Order: by session end, then key.
    expect(out).toEqual([
      ['blue', m(2), m(5), 2, m(5)],
      ['green', m(0), m(6), 3, m(6)],
      ['blue', m(11), m(11), 1, m(11)],
    ]);
  });
});
