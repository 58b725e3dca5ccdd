import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { KStream } from './kstream.js';
import { Consumed } from './options/consumed.js';
import { Produced } from './options/produced.js';
import { StreamJoined } from './options/stream-joined.js';
import { StreamsBuilder } from './streams-builder.js';
import { JoinWindows } from './windows/join-windows.js';

const STRING = Serdes.String();
const show = (l: string | null, r: string | null): string => `${l} - ${r}`;
type Variant = 'inner' | 'left' | 'outer';

function joinOf(variant: Variant, left: KStream<string, string>, right: KStream<string, string>, windows: JoinWindows, sj?: StreamJoined<string, string, string>): KStream<string, string> {
  switch (variant) {
    case 'inner':
      return left.join(right, show, windows, sj);
    case 'left':
      return left.leftJoin(right, show, windows, sj);
    case 'outer':
      return left.outerJoin(right, show, windows, sj);
  }
}

function setup(variant: Variant, windows: JoinWindows) {
  const builder = new StreamsBuilder();
  const left = builder.stream('left', Consumed.with(STRING, STRING));
  const right = builder.stream('right', Consumed.with(STRING, STRING));
  joinOf(variant, left, right, windows).to('out', Produced.with(STRING, STRING));
  const driver = new TopologyTestDriver(builder.build(), { defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
  return {
    driver,
    left: driver.createInputTopic('left', STRING, STRING),
    right: driver.createInputTopic('right', STRING, STRING),
    out: driver.createOutputTopic('out', STRING, STRING),
  };
}

describe('KStream-KStream join topology', () => {
  it('names processors and stores as Kafka Streams (TopologyTest streamStreamJoin describe)', () => {
    const builder = new StreamsBuilder();
    const a = builder.stream('input-topic1');
    const b = builder.stream('input-topic2');
    a.join(b, (x, y) => `${String(x)}${String(y)}`, JoinWindows.ofTimeDifferenceWithNoGrace(100)).to('output-topic');
    expect(builder.build().describe().toString()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic1])',
        '      --> KSTREAM-WINDOWED-0000000002',
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic2])',
        '      --> KSTREAM-WINDOWED-0000000003',
        '    Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])',
        '      --> KSTREAM-JOINTHIS-0000000004',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-JOINOTHER-0000000005-store])',
        '      --> KSTREAM-JOINOTHER-0000000005',
        '      <-- KSTREAM-SOURCE-0000000001',
        '    Processor: KSTREAM-JOINOTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store])',
        '      --> KSTREAM-MERGE-0000000006',
        '      <-- KSTREAM-WINDOWED-0000000003',
        '    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-JOINOTHER-0000000005-store])',
        '      --> KSTREAM-MERGE-0000000006',
        '      <-- KSTREAM-WINDOWED-0000000002',
        '    Processor: KSTREAM-MERGE-0000000006 (stores: [])',
        '      --> KSTREAM-SINK-0000000007',
        '      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005',
        '    Sink: KSTREAM-SINK-0000000007 (topic: output-topic)',
        '      <-- KSTREAM-MERGE-0000000006',
        '',
        '',
      ].join('\n'),
    );
  });

  it('names a named left join as Kafka Streams (NamedTopologyTest / StreamsGraphTest: store and operation names)', () => {
    const builder = new StreamsBuilder();
    const a = builder.stream<string, string>('one');
    const b = builder.stream<string, string>('two');
    a.leftJoin(b, (x) => x, JoinWindows.ofTimeDifferenceWithNoGrace(3_600_000), StreamJoined.with(STRING, STRING, STRING).withName('op'));
    const text = builder.build().describe().toString();
    for (const expected of [
      'Processor: op-this-windowed (stores: [KSTREAM-JOINTHIS-0000000004-store])',
      'Processor: op-other-windowed (stores: [KSTREAM-OUTEROTHER-0000000005-store])',
      'Processor: op-this-join (stores: [KSTREAM-OUTEROTHER-0000000005-store, KSTREAM-OUTERSHARED-0000000004-store])',
      'Processor: op-outer-other-join (stores: [KSTREAM-JOINTHIS-0000000004-store, KSTREAM-OUTERSHARED-0000000004-store])',
      'Processor: op-merge (stores: [])',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('names stores after StreamJoined.withStoreName and repartitions a re-keyed side', () => {
    const builder = new StreamsBuilder();
    const a = builder.stream<string, string>('one').selectKey((_k, v) => v);
    const b = builder.stream<string, string>('two');
    a.outerJoin(b, show, JoinWindows.ofTimeDifferenceWithNoGrace(10), StreamJoined.with(STRING, STRING, STRING).withStoreName('s').withName('j'))
      .to('out');
    const text = builder.build().describe().toString();
    expect(text).toContain('Sink: j-left-repartition-sink (topic: j-left-repartition)');
    expect(text).toContain('Processor: j-outer-this-join (stores: [s-outer-shared-join-store, s-outer-other-join-store])');
    expect(text).toContain('Processor: j-this-windowed (stores: [s-outer-this-join-store])');
    expect(text).not.toContain('j-right-repartition');
  });
});

/**
 * The stream-stream rows of the "Kafka Streams Join Semantics" wiki page
 * (https://cwiki.apache.org/confluence/display/KAFKA/Kafka+Streams+Join+Semantics): one key, a window wide enough for
 * every pair, results as `left - right`. Since Kafka Streams 3.1 (KAFKA-10847, the spurious-result fix this join
 * implements) the page's eager `A - null` row for the left/outer join is no longer emitted: `A` later joins `a`, so
 * left and outer produce exactly the inner results here; their non-joined output is tested below.
 */
const STREAM_STREAM_ROWS: readonly { ts: number; left?: string | null; right?: string | null; out: string[] }[] = [
  { ts: 1, left: null, out: [] },
  { ts: 2, right: null, out: [] },
  { ts: 3, left: 'A', out: [] },
  { ts: 4, right: 'a', out: ['A - a'] },
  { ts: 5, left: 'B', out: ['B - a'] },
  { ts: 6, right: 'b', out: ['A - b', 'B - b'] },
  { ts: 7, left: null, out: [] },
  { ts: 8, right: null, out: [] },
  { ts: 9, left: 'C', out: ['C - a', 'C - b'] },
  { ts: 10, right: 'c', out: ['A - c', 'B - c', 'C - c'] },
  { ts: 11, right: null, out: [] },
  { ts: 12, left: null, out: [] },
  { ts: 13, right: null, out: [] },
  { ts: 14, right: 'd', out: ['A - d', 'B - d', 'C - d'] },
  { ts: 15, left: 'D', out: ['D - a', 'D - b', 'D - c', 'D - d'] },
];

describe('KStream-KStream join semantics', () => {
  for (const variant of ['inner', 'left', 'outer'] as const) {
    it(`reproduces the wiki's ${variant} join table row by row`, () => {
      const { driver, left, right, out } = setup(variant, JoinWindows.ofTimeDifferenceWithNoGrace(15));
      for (const row of STREAM_STREAM_ROWS) {
        if ('left' in row) left.pipeInput('k', row.left ?? null, row.ts);
        else right.pipeInput('k', row.right ?? null, row.ts);
        const results = out.readRecordsToList();
        expect(results.map((r) => r.value), `ts ${row.ts}`).toEqual(row.out);
        // A joined result carries the later timestamp of its pair: the record just processed here.
        for (const r of results) expect([r.key, r.timestampMs]).toEqual(['k', row.ts]);
      }
      driver.close();
    });
  }

  it('joins within [t - before, t + after] on this side and the mirror on the other', () => {
    const windows = JoinWindows.ofTimeDifferenceAndGrace(0, 1_000).before(2).after(5);
    const { driver, left, right, out } = setup('inner', windows);
    left.pipeInput('k', 'L', 100);
    for (const t of [97, 98, 105, 106]) right.pipeInput('k', `r${t}`, t);
    expect(out.readValuesToList()).toEqual(['L - r98', 'L - r105']);
    // A right record at t joins left records in [t - after, t + before] = [t - 5, t + 2].
    right.pipeInput('k2', 'R', 200);
    for (const t of [194, 195, 202, 203]) left.pipeInput('k2', `l${t}`, t);
    expect(out.readValuesToList()).toEqual(['l195 - R', 'l202 - R']);
    driver.close();
  });

  it('emits a left join non-joined result once, only after the window and grace closed', () => {
    const { driver, left, right, out } = setup('left', JoinWindows.ofTimeDifferenceAndGrace(10, 5));
    left.pipeInput('k', 'A', 100);
    right.pipeInput('other', 'x', 115); // stream time 115 = 100 + after + grace: still open
    expect(out.readValuesToList()).toEqual([]);
    right.pipeInput('other', 'y', 116);
    expect(out.readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([['k', 'A - null', 100]]);
    right.pipeInput('other', 'z', 200);
    expect(out.readValuesToList()).toEqual([]);
    driver.close();
  });

  it('never emits a non-joined result for a record that joined later, within grace', () => {
    const { driver, left, right, out } = setup('outer', JoinWindows.ofTimeDifferenceAndGrace(10, 20));
    left.pipeInput('k', 'A', 100);
    left.pipeInput('z', 'Z', 125); // stream time moves past A's window, but not past its grace
    right.pipeInput('k', 'a', 108); // out of order, joins A
    expect(out.readValuesToList()).toEqual(['A - a']);
    left.pipeInput('z', 'Z2', 300);
    // Only the records that never joined come out, oldest first: Z (left) at 125; A and a joined.
    expect(out.readValuesToList()).toEqual(['Z - null']);
    driver.close();
  });

  it('emits an outer join right-only result with a null left value', () => {
    const { driver, left, right, out } = setup('outer', JoinWindows.ofTimeDifferenceWithNoGrace(10));
    right.pipeInput('k', 'a', 50);
    left.pipeInput('k2', 'B', 61); // 61 > 50 + before(10) + grace(0): a's window closed
    expect(out.readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([['k', 'null - a', 50]]);
    driver.close();
  });

  it('drops records later than the grace period', () => {
    const { driver, left, right, out } = setup('left', JoinWindows.ofTimeDifferenceAndGrace(10, 5));
    right.pipeInput('k', 'a', 100);
    left.pipeInput('x', 'X', 200);
    left.pipeInput('k', 'late', 101); // 101 + 10 + 5 < 200: dropped, neither joined nor emitted
    right.pipeInput('x', 'x', 205);
    expect(out.readValuesToList()).toEqual(['X - x']);
    driver.close();
  });

  it('emits a keyless record at once in a left join and drops it in an inner join (KIP-962)', () => {
    const inner = setup('inner', JoinWindows.ofTimeDifferenceWithNoGrace(10));
    inner.left.pipeInput(null, 'A', 1);
    expect(inner.out.readValuesToList()).toEqual([]);
    inner.driver.close();
    const leftJoin = setup('left', JoinWindows.ofTimeDifferenceWithNoGrace(10));
    leftJoin.left.pipeInput(null, 'A', 1);
    leftJoin.right.pipeInput(null, 'b', 1);
    expect(leftJoin.out.readValuesToList()).toEqual(['A - null']);
    leftJoin.driver.close();
  });
});

interface Input {
  readonly isLeft: boolean;
  readonly key: string;
  readonly timestampMs: number;
  readonly value: string;
}

const inputsArb = (maxTs: number) =>
  fc.array(fc.record({ isLeft: fc.boolean(), key: fc.constantFrom('a', 'b'), timestampMs: fc.integer({ min: 0, max: maxTs }) }), { maxLength: 25 }).map((rows) =>
    rows.map((r, i): Input => ({ ...r, value: `${r.isLeft ? 'L' : 'R'}${i}` })),
  );

function joins(l: Input, r: Input, windows: JoinWindows): boolean {
  // Kafka clamps both bounds of the lookup at 0 (KStreamKStreamJoin: Math.max(0L, ts - before/ts + after)), so near
  // the epoch a window with a negative `after` still reaches timestamp 0.
  return l.key === r.key && r.timestampMs >= Math.max(0, l.timestampMs - windows.beforeMs) && r.timestampMs <= Math.max(0, l.timestampMs + windows.afterMs);
}

function run(variant: Variant, windows: JoinWindows, inputs: readonly Input[]): { value: string; timestampMs: number }[] {
  const { driver, left, right, out } = setup(variant, windows);
  for (const i of inputs) (i.isLeft ? left : right).pipeInput(i.key, i.value, i.timestampMs);
  const results = out.readRecordsToList().map((r) => ({ value: r.value!, timestampMs: r.timestampMs }));
  driver.close();
  return results;
}

describe('KStream-KStream join properties', () => {
  it('inner join output is the multiset of all pairs within the window, whatever the arrival order', () => {
    fc.assert(
      fc.property(inputsArb(50), fc.integer({ min: 0, max: 6 }), fc.integer({ min: -3, max: 6 }), (inputs, before, after) => {
        fc.pre(before + after >= 0);
        // Grace covers every timestamp: nothing is late, so order cannot matter.
        const windows = JoinWindows.ofTimeDifferenceAndGrace(0, 100).before(before).after(after);
        const expected: string[] = [];
        for (const l of inputs) for (const r of inputs) if (l.isLeft && !r.isLeft && joins(l, r, windows)) expected.push(`${l.value} - ${r.value}@${Math.max(l.timestampMs, r.timestampMs)}`);
        const actual = run('inner', windows, inputs).map((o) => `${o.value}@${o.timestampMs}`);
        expect(actual.sort()).toEqual(expected.sort());
      }),
      { numRuns: 300 },
    );
  });

  for (const variant of ['left', 'outer'] as const) {
    it(`${variant} join: non-joined results appear exactly once, after their window closed, never for records that joined`, () => {
      fc.assert(
        fc.property(inputsArb(40), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }), (raw, before, after, grace) => {
          // In timestamp order (stable), then a far-future record of another key closes every window.
          const inputs = [...raw].sort((x, y) => x.timestampMs - y.timestampMs);
          const flush: Input = { isLeft: true, key: 'zz', timestampMs: 1_000, value: 'flush' };
          const windows = JoinWindows.ofTimeDifferenceAndGrace(0, grace).before(before).after(after);
          const { driver, left, right, out } = setup(variant, windows);
          const emittedAt = new Map<string, number>();
          const pairs: string[] = [];
          let streamTimeMs = -1;
          for (const i of [...inputs, flush]) {
            (i.isLeft ? left : right).pipeInput(i.key, i.value, i.timestampMs);
            streamTimeMs = Math.max(streamTimeMs, i.timestampMs);
            for (const o of out.readValuesToList()) {
              const [l, r] = o!.split(' - ') as [string, string];
              if (l !== 'null' && r !== 'null') {
                pairs.push(o!);
                continue;
              }
              const who = l === 'null' ? r : l;
              expect(emittedAt.has(who), `${who} emitted twice`).toBe(false);
              emittedAt.set(who, streamTimeMs);
            }
          }
          driver.close();
          const expectedPairs: string[] = [];
          for (const l of inputs) for (const r of inputs) if (l.isLeft && !r.isLeft && joins(l, r, windows)) expectedPairs.push(`${l.value} - ${r.value}`);
          expect(pairs.sort()).toEqual(expectedPairs.sort());
          const expectedUnjoined = [...inputs, flush].filter((i) =>
            i.isLeft ? !inputs.some((r) => !r.isLeft && joins(i, r, windows)) : variant === 'outer' && !inputs.some((l) => l.isLeft && joins(l, i, windows)),
          );
          expect([...emittedAt.keys()].sort()).toEqual(expectedUnjoined.filter((i) => i !== flush).map((i) => i.value).sort());
          for (const i of expectedUnjoined) {
            if (i === flush) continue;
            const closesAfterMs = i.timestampMs + (i.isLeft ? after : before) + grace;
            // Emitted once stream time passed the window's close, not earlier.
            expect(emittedAt.get(i.value)!, i.value).toBeGreaterThan(closesAfterMs);
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});
