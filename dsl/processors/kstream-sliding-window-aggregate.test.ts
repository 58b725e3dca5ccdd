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
import { SlidingWindows } from '../windows/sliding-windows.js';
import { COUNT } from './kstream-aggregate.js';
import { kstreamSlidingWindowAggregate } from './kstream-sliding-window-aggregate.js';
import { WindowedAggregateHarness } from './windowed-aggregate-harness.js';
import type { Emitted } from './windowed-aggregate-harness.js';

function harness(windows: SlidingWindows, emitsOnWindowClose: boolean): WindowedAggregateHarness {
  const store = (): StoreBuilder<StateStore> =>
    Stores.timestampedWindowStoreBuilder(
      Stores.inMemoryWindowStore('w', 2 * windows.timeDifferenceMs + windows.graceMs, windows.timeDifferenceMs, false),
      Serdes.String(),
      longSerde(),
    ).withCachingDisabled();
  return new WindowedAggregateHarness(kstreamSlidingWindowAggregate('w', windows, COUNT.initializer, COUNT.aggregator, false, emitsOnWindowClose), store);
}

describe('sliding windows, EmitStrategy.onWindowClose()', () => {
  // SlidingWindows Javadoc (Kafka Streams 3.x): time difference 5000 ms, records A@8000, A@9200, A@12400 make the
  // windows [3000;8000] {1}, [4200;9200] {1,2}, [7400;12400] {1,2,3}, [8001;13001] {2,3}, [9201;14201] {3}.
  it('forwards each window once, with its final count, when stream time passes its end (SlidingWindows Javadoc)', () => {
    const h = harness(SlidingWindows.ofTimeDifferenceWithNoGrace(5000), true);
    expect(h.pipe('A', 1, 8000)).toEqual([]);
    expect(h.pipe('A', 2, 9200, 'second')).toEqual([['A', 3000, 8000, 1, 8000, 'second']]);
    expect(h.pipe('A', 3, 12400)).toEqual([['A', 4200, 9200, 2, 9200, null]]);
    expect(h.pipe('B', 1, 20_000, 'closer')).toEqual([
      ['A', 7400, 12400, 3, 12400, 'closer'],
      ['A', 8001, 13001, 2, 12400, 'closer'],
      ['A', 9201, 14201, 1, 12400, 'closer'],
    ]);
  });

  it('with grace, nothing is forwarded until stream time passes end + grace', () => {
    const h = harness(SlidingWindows.ofTimeDifferenceAndGrace(5000, 10_000), true);
    for (const t of [8000, 9200, 12400]) h.pipe('A', 1, t);
    expect(h.pipe('B', 1, 18_000)).toEqual([]); // 8000 + 10000 = 18000: [3000;8000] is not closed yet
    expect(h.pipe('B', 1, 24_201)).toEqual([
      ['A', 3000, 8000, 1, 8000, null],
      ['A', 4200, 9200, 2, 9200, null],
      ['A', 7400, 12400, 3, 12400, null],
      ['A', 8001, 13001, 2, 12400, null],
    ]);
    expect(h.pipe('B', 1, 24_202)).toEqual([['A', 9201, 14201, 1, 12400, null]]); // 14201 + 10000 < 24202
  });

  it('a window is final once window end + grace < stream time; until then a late record still counts in it', () => {
    const h = harness(SlidingWindows.ofTimeDifferenceAndGrace(10, 5), true);
    h.pipe('a', 1, 20); // [10,20] {20}
    expect(h.pipe('b', 1, 25)).toEqual([]); // 20 + 5 = 25: not yet closed
    expect(h.pipe('a', 1, 15)).toEqual([]); // joins [10,20]; its own left window [5,15] is closed: dropped for it
    expect(h.droppedRecords).toBe(1);
    expect(h.pipe('b', 1, 26, 'x')).toEqual([['a', 10, 20, 2, 20, 'x']]);
    // Windows closing together come out by start, then key: a's right window of 15 and b's windows.
    expect(h.pipe('c', 1, 100)).toEqual([
      ['b', 15, 25, 1, 25, null],
      ['a', 16, 26, 1, 20, null],
      ['b', 16, 26, 2, 26, null],
      ['b', 26, 36, 1, 26, null],
    ]);
    expect(h.pipe('a', 1, 30)).toEqual([]); // too late for every window: nothing changes, nothing is forwarded twice
  });

  it('the early window [0, diff] closes like any other', () => {
    const h = harness(SlidingWindows.ofTimeDifferenceWithNoGrace(10), true);
    h.pipe('a', 1, 3);
    h.pipe('a', 1, 5);
    expect(h.pipe('a', 1, 10)).toEqual([]);
    expect(h.pipe('b', 1, 11)).toEqual([['a', 0, 10, 3, 10, null]]);
  });
});

const inputArb = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 120 })), { maxLength: 40 });
const windowsArb = fc.record({ diff: fc.integer({ min: 1, max: 15 }), grace: fc.integer({ min: 0, max: 10 }) });
const idOf = (e: Emitted): string => `${e[0]}@${e[1]}-${e[2]}`;

describe('sliding windows, properties of final results', () => {
  test.prop([windowsArb, inputArb], { numRuns: 60 })(
    'after every record, the final results forwarded so far are exactly the closed windows of the updating aggregation',
    ({ diff, grace }, input) => {
      const windows = SlidingWindows.ofTimeDifferenceAndGrace(diff, grace);
      const updating = harness(windows, false);
      const closing = harness(windows, true);
      const table = new Map<string, Emitted>();
      const finals = new Map<string, Emitted>();
      const streamTimeAt = input.map((_, j) => Math.max(...input.slice(0, j + 1).map(([, ts]) => ts)));
      let streamTime = -1;
      input.forEach(([key, t], i) => {
        for (const e of updating.pipe(key, 1, t)) table.set(idOf(e), e);
        for (const e of closing.pipe(key, 1, t)) {
          expect(finals.has(idOf(e)), `${idOf(e)} forwarded twice`).toBe(false);
          finals.set(idOf(e), e);
          // The key's records in [start, end] that arrived before it closed, all of them counted if none came after its
          // own left window had closed; such a late record only updates windows that exist (Kafka's algorithm).
          const inWindow = input.slice(0, i).map(([k, ts], j) => ({ k, ts, j })).filter(({ k, ts }) => k === e[0] && ts >= e[1] && ts <= e[2]);
          const onTime = inWindow.filter(({ ts, j }) => ts >= streamTimeAt[j]! - grace);
          expect(e[3]).toBeLessThanOrEqual(inWindow.length);
          expect(e[3]).toBeGreaterThanOrEqual(onTime.length);
        }
        streamTime = Math.max(streamTime, t);
        const closed = [...table].filter(([, e]) => e[2] < streamTime - grace).map(([id, e]) => [id, e.slice(0, 5)] as const);
        expect(new Map([...finals].map(([id, e]) => [id, e.slice(0, 5)]))).toEqual(new Map(closed));
      });
      expect(closing.droppedRecords).toBe(updating.droppedRecords);
    },
  );

  test.prop([windowsArb, inputArb, fc.nat()], { numRuns: 40 })(
    'a restart over the store restored from its changelog forwards the same final results, none twice',
    ({ diff, grace }, input, cut) => {
      const windows = SlidingWindows.ofTimeDifferenceAndGrace(diff, grace);
      const once = harness(windows, true);
      for (const [key, t] of input) once.pipe(key, 1, t);
      const split = input.length === 0 ? 0 : cut % (input.length + 1);
      const first = harness(windows, true);
      for (const [key, t] of input.slice(0, split)) first.pipe(key, 1, t);
      const second = first.restart();
      for (const [key, t] of input.slice(split)) second.pipe(key, 1, t);
      expect([...first.outputs, ...second.outputs]).toEqual(once.outputs);
    },
  );
});

describe('sliding windows: dropped records', () => {
  it('records too late for all their windows count in the task metric dropped-records-total', () => {
    const builder = new StreamsBuilder();
    builder.stream('in', Consumed.with(Serdes.String(), Serdes.Number())).groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(5)).count();
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.Number());
    for (const [key, t] of [['a', 0], ['a', 20], ['a', 3], ['b', 21]] as const) input.pipeInput(key, 1, t);
    const dropped = driver.metrics().filter((m) => m.name === 'dropped-records-total').reduce((n, m) => n + m.value, 0);
    expect(dropped).toBe(1); // a@3 at stream time 20
    driver.close();
  });
});
