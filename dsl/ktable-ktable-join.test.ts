import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Materialized } from './options/materialized.js';
import { Named } from './options/named.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';

const STRING = Serdes.String();
const show = (l: string | null, r: string | null): string => `${l} - ${r}`;
type Variant = 'inner' | 'left' | 'outer';

function driverFor(builder: StreamsBuilder): TopologyTestDriver {
  return new TopologyTestDriver(builder.build(), { defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
}

function lines(...rows: string[]): string {
  return rows.join('\n') + '\n';
}

/**
 * The KTable-KTable join semantics table of the Kafka Streams wiki ("Kafka Streams Join Semantics", KTable-KTable
 * Join): one key; `null` inputs are tombstones; `null` results are tombstones, `X - Y` a joined row.
 */
const TABLE_TABLE_ROWS: readonly { ts: number; left?: string | null; right?: string | null; inner: (string | null)[]; leftJoin: (string | null)[]; outer: (string | null)[] }[] = [
  { ts: 1, left: null, inner: [], leftJoin: [], outer: [] },
  { ts: 2, right: null, inner: [], leftJoin: [], outer: [] },
  { ts: 3, left: 'A', inner: [], leftJoin: ['A - null'], outer: ['A - null'] },
  { ts: 4, right: 'a', inner: ['A - a'], leftJoin: ['A - a'], outer: ['A - a'] },
  { ts: 5, left: 'B', inner: ['B - a'], leftJoin: ['B - a'], outer: ['B - a'] },
  { ts: 6, right: 'b', inner: ['B - b'], leftJoin: ['B - b'], outer: ['B - b'] },
  { ts: 7, left: null, inner: [null], leftJoin: [null], outer: ['null - b'] },
  { ts: 8, right: null, inner: [], leftJoin: [], outer: [null] },
  { ts: 9, left: 'C', inner: [], leftJoin: ['C - null'], outer: ['C - null'] },
  { ts: 10, right: 'c', inner: ['C - c'], leftJoin: ['C - c'], outer: ['C - c'] },
  { ts: 11, right: null, inner: [null], leftJoin: ['C - null'], outer: ['C - null'] },
  { ts: 12, left: null, inner: [], leftJoin: [null], outer: [null] },
  { ts: 13, right: null, inner: [], leftJoin: [], outer: [] },
  { ts: 14, right: 'd', inner: [], leftJoin: [], outer: ['null - d'] },
  { ts: 15, left: 'D', inner: ['D - d'], leftJoin: ['D - d'], outer: ['D - d'] },
];

function joinOf(builder: StreamsBuilder, variant: Variant, materialized?: Materialized<string, string>) {
  const left = builder.table('left', Consumed.with(STRING, STRING));
  const right = builder.table('right', Consumed.with(STRING, STRING));
  const m = materialized === undefined ? [] : [materialized];
  if (variant === 'inner') return left.join(right, show, ...m);
  if (variant === 'left') return left.leftJoin(right, show, ...m);
  return left.outerJoin(right, show, ...m);
}

describe('KTable-KTable join', () => {
  for (const variant of ['inner', 'left', 'outer'] as const) {
    for (const isMaterialized of [false, true]) {
      it(`reproduces Kafka's ${variant} join semantics table row by row${isMaterialized ? ' (materialized result)' : ''}`, () => {
        const builder = new StreamsBuilder();
        const materialized = isMaterialized ? Materialized.as<string, string>('joined').withCachingDisabled() : undefined;
        joinOf(builder, variant, materialized).toStream().to('out', Produced.with(STRING, STRING));
        const driver = driverFor(builder);
        const left = driver.createInputTopic('left', STRING, STRING);
        const right = driver.createInputTopic('right', STRING, STRING);
        const out = driver.createOutputTopic('out', STRING, STRING);
        const column = variant === 'left' ? 'leftJoin' : variant;
        for (const row of TABLE_TABLE_ROWS) {
          if ('left' in row) left.pipeInput('k', row.left ?? null, row.ts);
          else right.pipeInput('k', row.right ?? null, row.ts);
          const expected = row[column];
          expect(out.readValuesToList(), `ts ${row.ts}`).toEqual(expected);
        }
        if (isMaterialized) expect(driver.getTimestampedKeyValueStore<string, string>('joined').get('k')).toEqual({ value: 'D - d', timestampMs: 15 });
        driver.close();
      });
    }
  }

  it('stamps a result with the larger timestamp of the two rows', () => {
    const builder = new StreamsBuilder();
    joinOf(builder, 'inner').toStream().to('out', Produced.with(STRING, STRING));
    const driver = driverFor(builder);
    driver.createInputTopic('right', STRING, STRING).pipeInput('k', 'a', 50);
    driver.createInputTopic('left', STRING, STRING).pipeInput('k', 'A', 10);
    expect(driver.createOutputTopic('out', STRING, STRING).readRecordsToList().map((r) => r.timestampMs)).toEqual([50]);
    driver.close();
  });

  it('sends old values downstream when a groupBy reads the join, so counts stay right', () => {
    const builder = new StreamsBuilder();
    joinOf(builder, 'left')
      .groupBy((_k, v) => ({ key: v.endsWith('null') ? 'unmatched' : 'matched', value: v }))
      .count()
      .toStream()
      .to('counts', Produced.with(STRING, longSerde()));
    const driver = driverFor(builder);
    const left = driver.createInputTopic('left', STRING, STRING);
    const right = driver.createInputTopic('right', STRING, STRING);
    left.pipeInput('x', 'X', 1);
    left.pipeInput('y', 'Y', 2);
    right.pipeInput('x', 'x', 3);
    left.pipeInput('y', null, 4);
    expect(driver.createOutputTopic('counts', STRING, longSerde()).readKeyValuesToMap()).toEqual(
      new Map([
        ['unmatched', 0],
        ['matched', 1],
      ]),
    );
    driver.close();
  });

  it('describes a table-table join as Kafka Streams does, with Named suffixes', () => {
    const builder = new StreamsBuilder();
    const left = builder.table<string, string>('left');
    const right = builder.table<string, string>('right');
    left.join(right, show, Named.as('j')).toStream().to('out');
    expect(builder.build().describe().toString()).toBe(
      lines(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [left])',
        '      --> KTABLE-SOURCE-0000000002',
        '    Source: KSTREAM-SOURCE-0000000004 (topics: [right])',
        '      --> KTABLE-SOURCE-0000000005',
        '    Processor: KTABLE-SOURCE-0000000002 (stores: [left-STATE-STORE-0000000000])',
        '      --> j-join-this',
        '      <-- KSTREAM-SOURCE-0000000001',
        '    Processor: KTABLE-SOURCE-0000000005 (stores: [right-STATE-STORE-0000000003])',
        '      --> j-join-other',
        '      <-- KSTREAM-SOURCE-0000000004',
        '    Processor: j-join-other (stores: [left-STATE-STORE-0000000000])',
        '      --> j',
        '      <-- KTABLE-SOURCE-0000000005',
        '    Processor: j-join-this (stores: [right-STATE-STORE-0000000003])',
        '      --> j',
        '      <-- KTABLE-SOURCE-0000000002',
        '    Processor: j (stores: [])',
        '      --> KTABLE-TOSTREAM-0000000006',
        '      <-- j-join-this, j-join-other',
        '    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])',
        '      --> KSTREAM-SINK-0000000007',
        '      <-- j',
        '    Sink: KSTREAM-SINK-0000000007 (topic: out)',
        '      <-- KTABLE-TOSTREAM-0000000006',
        '',
      ),
    );
  });

  const keyArb = fc.constantFrom('a', 'b');
  const opArb = fc.record({ isLeft: fc.boolean(), key: keyArb, value: fc.option(fc.constantFrom('1', '2', '3'), { freq: 3 }) });

  test.prop([fc.array(opArb, { maxLength: 25 }), fc.constantFrom<Variant>('inner', 'left', 'outer')], { numRuns: 25 })(
    'the result table always equals the join of the two input tables (a Map model)',
    (ops, variant) => {
      const builder = new StreamsBuilder();
      joinOf(builder, variant).toStream().to('out', Produced.with(STRING, STRING));
      const driver = driverFor(builder);
      const left = driver.createInputTopic('left', STRING, STRING);
      const right = driver.createInputTopic('right', STRING, STRING);
      const out = driver.createOutputTopic('out', STRING, STRING);
      const l = new Map<string, string>();
      const r = new Map<string, string>();
      const result = new Map<string, string>();
      ops.forEach((op, i) => {
        (op.isLeft ? left : right).pipeInput(op.key, op.value, i);
        const side = op.isLeft ? l : r;
        if (op.value === null) side.delete(op.key);
        else side.set(op.key, op.value);
        for (const { key, value } of out.readKeyValuesToList()) {
          if (value === null) result.delete(key!);
          else result.set(key!, value);
        }
        const a = l.get(op.key) ?? null;
        const b = r.get(op.key) ?? null;
        const keep = variant === 'inner' ? a !== null && b !== null : variant === 'left' ? a !== null : a !== null || b !== null;
        expect(result.get(op.key) ?? null).toBe(keep ? show(a, b) : null);
      });
      driver.close();
    },
  );
});
