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
import { SessionWindows } from './windows/session-windows.js';

const STRING = Serdes.String();
const NUMBER = Serdes.Number();
const KEY = WindowedSerdes.sessionWindowedSerdeFrom(STRING);

type Out = [key: string, startMs: number, endMs: number, value: number | null, timestampMs: number];

function run(windows: SessionWindows, input: readonly [string, number][], retentionMs?: number, strategy = EmitStrategy.onWindowUpdate()): Out[] {
  const builder = new StreamsBuilder();
  const windowed = builder.stream('in', Consumed.with(STRING, NUMBER)).groupByKey().windowedBy(windows).emitStrategy(strategy);
  (retentionMs === undefined ? windowed.count() : windowed.count(Materialized.as('sessions').withRetention(retentionMs)))
    .toStream().to('out', Produced.with(KEY, longSerde()));
  const driver = new TopologyTestDriver(builder.build());
  const topic = driver.createInputTopic('in', STRING, NUMBER);
  for (const [key, t] of input) topic.pipeInput(key, 1, t);
  const out = driver
    .createOutputTopic('out', KEY, longSerde())
    .readRecordsToList()
    .map((r): Out => [r.key!.key, r.key!.window.startMs, r.key!.window.endMs, r.value, r.timestampMs]);
  driver.close();
  return out;
}

describe('SessionWindowedKStream', () => {
  it('merges sessions a record bridges, forwarding tombstones for the merged ones; drops records for closed sessions', () => {
    // gap 5, grace 10: the store keeps sessions for gap + grace = 15 ms after the latest session end.
    expect(run(SessionWindows.ofInactivityGapAndGrace(5, 10), [['a', 0], ['a', 10], ['a', 5], ['a', 30], ['a', 12], ['b', 28]])).toEqual([
      ['a', 0, 0, 1, 0],
      ['a', 10, 10, 1, 10],
      ['a', 0, 0, null, 0],
      ['a', 10, 10, null, 10],
      ['a', 0, 10, 3, 10],
      ['a', 30, 30, 1, 30],
      // a@12 would extend [0,10] to [0,12]; 12 < 30 - 5 (gap) - 10 (grace): dropped.
      ['b', 28, 28, 1, 28],
    ]);
  });

  /** Reference sessionization of the accepted records: sort per key, split where consecutive gaps exceed `gap`. */
  function sessionize(gap: number, grace: number, input: readonly [string, number][]): Map<string, number> {
    const accepted = new Map<string, number[]>();
    let streamTime = -1;
    for (const [key, t] of input) {
      streamTime = Math.max(streamTime, t);
      const ts = accepted.get(key) ?? [];
      // The session the record would join: every accepted timestamp chained to t within the gap.
      const sorted = [...ts, t].sort((x, y) => x - y);
      let start = t;
      let end = t;
      for (let i = sorted.indexOf(t); i + 1 < sorted.length && sorted[i + 1]! - sorted[i]! <= gap; i++) end = sorted[i + 1]!;
      for (let i = sorted.lastIndexOf(t); i > 0 && sorted[i]! - sorted[i - 1]! <= gap; i--) start = sorted[i - 1]!;
      if (end < streamTime - gap - grace) continue;
      void start;
      accepted.set(key, [...ts, t]);
    }
    const sessions = new Map<string, number>();
    for (const [key, ts] of accepted) {
      const sorted = [...ts].sort((x, y) => x - y);
      let start = sorted[0]!;
      let count = 0;
      for (let i = 0; i < sorted.length; i++) {
        count++;
        if (i + 1 === sorted.length || sorted[i + 1]! - sorted[i]! > gap) {
          sessions.set(`${key}@${start}-${sorted[i]!}`, count);
          start = sorted[i + 1]!;
          count = 0;
        }
      }
    }
    return sessions;
  }

  test.prop(
    [fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 10 }), fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 80 })), { maxLength: 30 })],
    { numRuns: 40 },
  )('the live sessions (after tombstones) equal a reference sessionization', (gap, grace, input) => {
    const live = new Map<string, number>();
    // A long retention: the reference ignores the store expiring sessions a late record could still reach.
    for (const [key, start, end, value] of run(SessionWindows.ofInactivityGapAndGrace(gap, grace), input, 1_000)) {
      if (value === null) live.delete(`${key}@${start}-${end}`);
      else live.set(`${key}@${start}-${end}`, value);
    }
    expect(live).toEqual(sessionize(gap, grace, input));
  });
  describe('with EmitStrategy.onWindowClose()', () => {
    const onClose = EmitStrategy.onWindowClose();
    const MINUTE = 60_000;
    const m = (minutes: number): number => minutes * MINUTE;

    // The developer guide's session example (gap 5 minutes; green@0, blue@2, green@6, then the out-of-order green@4
    // and blue@5, and blue@11), with 5 minutes grace: only the three final sessions come out, none of the merged ones.
    it('forwards only final sessions, by end, once stream time reaches end + gap + grace (developer guide example)', () => {
      const input: [string, number][] = [['green', m(0)], ['blue', m(2)], ['green', m(6)], ['green', m(4)], ['blue', m(5)], ['blue', m(11)]];
      const windows = SessionWindows.ofInactivityGapAndGrace(m(5), m(5));
      expect(run(windows, input, undefined, onClose)).toEqual([]);
      expect(run(windows, [...input, ['red', m(14)]], undefined, onClose)).toEqual([]);
      expect(run(windows, [...input, ['red', m(15)]], undefined, onClose)).toEqual([['blue', m(2), m(5), 2, m(5)]]); // 5 + 5 + 5
      expect(run(windows, [...input, ['red', m(30)]], undefined, onClose)).toEqual([
        ['blue', m(2), m(5), 2, m(5)],
        ['green', m(0), m(6), 3, m(6)],
        ['blue', m(11), m(11), 1, m(11)],
      ]);
    });

    it('does not change the topology: same processor and store names as without it', () => {
      const described = (strategy: EmitStrategy): string => {
        const builder = new StreamsBuilder();
        builder.stream<string, string>('in').groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5)).emitStrategy(strategy).count();
        return builder.build().describe().toString();
      };
      expect(described(onClose)).toBe(described(EmitStrategy.onWindowUpdate()));
    });

    test.prop(
      [fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 10 }), fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 80 })), { maxLength: 30 })],
      { numRuns: 30 },
    )('forwards each session of the reference once, when stream time passes its end + gap + grace', (gap, grace, input) => {
      // What the reference sessionization has closed after each record (a session merged away later stays closed).
      const expected = new Map<string, number>();
      let streamTime = -1;
      input.forEach(([, t], i) => {
        streamTime = Math.max(streamTime, t);
        for (const [id, n] of sessionize(gap, grace, input.slice(0, i + 1))) {
          if (Number(id.slice(id.lastIndexOf('-') + 1)) < streamTime - gap - grace) expected.set(id, n);
        }
      });
      const out = run(SessionWindows.ofInactivityGapAndGrace(gap, grace), input, 1_000, onClose);
      expect(new Map(out.map(([key, start, end, n]) => [`${key}@${start}-${end}`, n]))).toEqual(expected);
      expect(out.length).toBe(expected.size);
      for (const [, , end, , timestampMs] of out) expect(timestampMs).toBe(end);
    });
  });
});
