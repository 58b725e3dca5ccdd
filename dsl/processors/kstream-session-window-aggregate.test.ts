import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../../runtime/testing/topology-test-driver.js';
import { Consumed } from '../options/consumed.js';
import { StreamsBuilder } from '../streams-builder.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { StateStore } from '../../src/state/state-store.js';
import type { StoreBuilder } from '../../src/state/store-builder.js';
import { Stores } from '../../state-stores/stores.js';
import { longSerde } from '../long-serde.js';
import { SessionWindows } from '../windows/session-windows.js';
import { COUNT } from './kstream-aggregate.js';
import { kstreamSessionWindowAggregate } from './kstream-session-window-aggregate.js';
import { WindowedAggregateHarness } from './windowed-aggregate-harness.js';
import type { Emitted } from './windowed-aggregate-harness.js';

const sum = (_k: unknown, a: number, b: number): number => a + b;

/** A session count over an in-memory session store of `retentionMs` (default gap + grace, the DSL's default). */
function harness(windows: SessionWindows, emitsOnWindowClose: boolean, retentionMs = windows.inactivityGapMs + windows.graceMs): WindowedAggregateHarness {
  const store = (): StoreBuilder<StateStore> =>
    Stores.sessionStoreBuilder(Stores.inMemorySessionStore('s', retentionMs), Serdes.String(), longSerde()).withCachingDisabled();
  return new WindowedAggregateHarness(
    kstreamSessionWindowAggregate('s', windows, COUNT.initializer, COUNT.aggregator, sum, false, emitsOnWindowClose, retentionMs),
    store,
  );
}

describe('session windows, EmitStrategy.onWindowClose()', () => {
  // SessionWindows Javadoc: gap 5; A@10, A@12 and A@20 make [10,12] and [20,20]; A@16 merges them into [10,20] (4 records).
  it('forwards only the final merged session, once stream time reaches end + gap + grace (SessionWindows Javadoc)', () => {
    // Default retention (gap + grace): final when the store stops returning the session, as suppress would emit it.
    const h = harness(SessionWindows.ofInactivityGapAndGrace(5, 5), true);
    for (const t of [10, 12, 20, 16]) expect(h.pipe('A', 1, t)).toEqual([]);
    expect(h.pipe('B', 1, 29)).toEqual([]);
    expect(h.pipe('B', 1, 30, 'closer')).toEqual([['A', 10, 20, 4, 20, 'closer']]); // 20 + 5 + 5 <= 30
    expect(h.pipe('A', 1, 14)).toEqual([]); // too late: dropped, the session stays final
    expect(h.droppedRecords).toBe(1);
  });

  it('with the store at its minimum retention (gap + grace), a session is final when the store stops returning it', () => {
    // The store hides sessions ending at or before stream time - retention: one ms before Kafka's close.
    const h = harness(SessionWindows.ofInactivityGapWithNoGrace(5), true, 5);
    h.pipe('a', 1, 0);
    expect(h.pipe('b', 1, 5)).toEqual([['a', 0, 0, 1, 0, null]]);
    expect(h.pipe('a', 1, 0)).toEqual([]); // would end at 0: final already, dropped
    expect(h.droppedRecords).toBe(1);
    // One ms more retention: Kafka's rule, `end < stream time - gap - grace`.
    const k = harness(SessionWindows.ofInactivityGapWithNoGrace(5), true, 6);
    k.pipe('a', 1, 0);
    expect(k.pipe('b', 1, 5)).toEqual([]);
    expect(k.pipe('a', 1, 0)).toEqual([]); // still open: joins [0,0]
    expect(k.pipe('b', 1, 6)).toEqual([['a', 0, 0, 2, 0, null]]);
  });

  it('final sessions come out by end, then start, then key', () => {
    const h = harness(SessionWindows.ofInactivityGapAndGrace(1, 10), true, 100);
    for (const [k, t] of [['a', 0], ['a', 2], ['b', 1], ['b', 2]] as const) h.pipe(k, 1, t);
    expect(h.pipe('c', 1, 50)).toEqual([
      ['a', 0, 0, 1, 0, null],
      ['b', 1, 2, 2, 2, null],
      ['a', 2, 2, 1, 2, null],
    ]);
  });

  it('as in Kafka, a late record within the gap of a final session still merges it into a new one: both are forwarded', () => {
    const h = harness(SessionWindows.ofInactivityGapWithNoGrace(5), true, 100);
    h.pipe('a', 1, 10);
    h.pipe('a', 1, 14);
    expect(h.pipe('b', 1, 20)).toEqual([['a', 10, 14, 2, 14, null]]); // 14 < 20 - 5
    expect(h.pipe('a', 1, 18)).toEqual([]); // 18 - 5 <= 14: merges [10,14]; [10,18] ends after the close time 15
    expect(h.pipe('b', 1, 24)).toEqual([['a', 10, 18, 3, 18, null]]);
  });
});

/**
 * Reference sessionization of a prefix of the input (the documented rules, store expiry ignored): a record is
 * accepted unless the session it would join ends before stream time - gap - grace; sessions are the runs of a key's
 * accepted timestamps whose consecutive differences are at most `gap`.
 */
function sessionize(gap: number, grace: number, input: readonly (readonly [string, number])[]): Map<string, number> {
  const accepted = new Map<string, number[]>();
  let streamTime = -1;
  for (const [key, t] of input) {
    streamTime = Math.max(streamTime, t);
    const sorted = [...(accepted.get(key) ?? []), t].sort((x, y) => x - y);
    let end = t;
    for (let i = sorted.lastIndexOf(t); i + 1 < sorted.length && sorted[i + 1]! - sorted[i]! <= gap; i++) end = sorted[i + 1]!;
    if (end < streamTime - gap - grace) continue;
    accepted.set(key, sorted);
  }
  const sessions = new Map<string, number>();
  for (const [key, ts] of accepted) {
    let start = ts[0]!;
    for (let i = 0; i < ts.length; i++) {
      if (i + 1 === ts.length || ts[i + 1]! - ts[i]! > gap) {
        sessions.set(`${key}@${start}-${ts[i]!}`, ts.filter((x) => x >= start && x <= ts[i]!).length);
        start = ts[i + 1]!;
      }
    }
  }
  return sessions;
}

const inputArb = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 80 })), { maxLength: 30 });
const windowsArb = fc.record({ gap: fc.integer({ min: 1, max: 10 }), grace: fc.integer({ min: 0, max: 10 }) });
const idOf = (e: Emitted): string => `${e[0]}@${e[1]}-${e[2]}`;

describe('session windows, properties of final results', () => {
  test.prop([windowsArb, inputArb], { numRuns: 60 })(
    'after every record, the sessions forwarded so far are exactly those the reference closed so far, each once',
    ({ gap, grace }, input) => {
      // A long retention: the reference ignores the store expiring sessions a late record could still reach.
      const h = harness(SessionWindows.ofInactivityGapAndGrace(gap, grace), true, 1_000);
      const forwarded = new Map<string, number>();
      const expected = new Map<string, number>();
      let streamTime = -1;
      input.forEach(([key, t], i) => {
        for (const e of h.pipe(key, 1, t)) {
          expect(forwarded.has(idOf(e)), `${idOf(e)} forwarded twice`).toBe(false);
          expect(e[4]).toBe(e[2]);
          forwarded.set(idOf(e), e[3]!);
        }
        streamTime = Math.max(streamTime, t);
        for (const [id, n] of sessionize(gap, grace, input.slice(0, i + 1))) {
          if (Number(id.slice(id.lastIndexOf('-') + 1)) < streamTime - gap - grace) expected.set(id, n);
        }
        expect(forwarded).toEqual(expected);
      });
    },
  );

  test.prop([windowsArb, inputArb, fc.integer({ min: 0, max: 3 })], { numRuns: 60 })(
    'the final results are the closed sessions of the updating aggregation, at any retention',
    ({ gap, grace }, input, extraRetention) => {
      const windows = SessionWindows.ofInactivityGapAndGrace(gap, grace);
      const retentionMs = gap + grace + 1 + extraRetention;
      const updating = harness(windows, false, retentionMs);
      const closing = harness(windows, true, retentionMs);
      const table = new Map<string, Emitted>();
      const closed = new Map<string, number>();
      let streamTime = -1;
      for (const [key, t] of input) {
        for (const e of updating.pipe(key, 1, t)) {
          if (e[3] === null) table.delete(idOf(e));
          else table.set(idOf(e), e);
        }
        closing.pipe(key, 1, t);
        streamTime = Math.max(streamTime, t);
        for (const [id, e] of table) if (e[2] < streamTime - gap - grace) closed.set(id, e[3]!);
      }
      expect(new Map(closing.outputs.map((e) => [idOf(e), e[3]]))).toEqual(closed);
      expect(closing.outputs.length).toBe(closed.size);
      expect(closing.droppedRecords).toBe(updating.droppedRecords);
    },
  );

  test.prop([windowsArb, inputArb, fc.nat(), fc.constantFrom(0, 1, 1_000)], { numRuns: 60 })(
    'a restart over the store restored from its changelog forwards the same final results, none twice',
    ({ gap, grace }, input, cut, extraRetention) => {
      const windows = SessionWindows.ofInactivityGapAndGrace(gap, grace);
      const retentionMs = gap + grace + extraRetention;
      const once = harness(windows, true, retentionMs);
      for (const [key, t] of input) once.pipe(key, 1, t);
      const split = input.length === 0 ? 0 : cut % (input.length + 1);
      const first = harness(windows, true, retentionMs);
      for (const [key, t] of input.slice(0, split)) first.pipe(key, 1, t);
      const second = first.restart();
      for (const [key, t] of input.slice(split)) second.pipe(key, 1, t);
      expect([...first.outputs, ...second.outputs]).toEqual(once.outputs);
    },
  );
});

describe('session windows: dropped records', () => {
  it('records too late for all their windows count in the task metric dropped-records-total', () => {
    const builder = new StreamsBuilder();
    builder.stream('in', Consumed.with(Serdes.String(), Serdes.Number())).groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5)).count();
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Number());
    for (const [key, t] of [['a', 0], ['a', 20], ['a', 3], ['b', 21]] as const) input.pipeInput(key, 1, t);
    const dropped = driver.metrics().filter((m) => m.name === 'dropped-records-total').reduce((n, m) => n + m.value, 0);
    expect(dropped).toBe(1); // a@3 at stream time 20
    driver.close();
  });
});
