import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import { Consumed } from './options/consumed.js';
import { Joined } from './options/joined.js';
import { Materialized } from './options/materialized.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';

const STRING = Serdes.String();
const show = (l: string | null, r: string | null): string => `${l} - ${r}`;

function driverFor(builder: StreamsBuilder): TopologyTestDriver {
  return new TopologyTestDriver(builder.build(), { defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
}

function lines(...rows: string[]): string {
  return rows.join('\n') + '\n';
}

/**
 * The KStream-KTable join semantics table of the Kafka Streams wiki ("Kafka Streams Join Semantics", KStream-KTable
 * Join): every record has the same key; a table `null` is a tombstone; results as `left - right`.
 */
const STREAM_TABLE_ROWS: readonly { ts: number; stream?: string | null; table?: string | null; inner: string[]; left: string[] }[] = [
  { ts: 1, stream: null, inner: [], left: [] },
  { ts: 2, table: null, inner: [], left: [] },
  { ts: 3, stream: 'A', inner: [], left: ['A - null'] },
  { ts: 4, table: 'a', inner: [], left: [] },
  { ts: 5, stream: 'B', inner: ['B - a'], left: ['B - a'] },
  { ts: 6, table: 'b', inner: [], left: [] },
  { ts: 7, stream: null, inner: [], left: [] },
  { ts: 8, table: null, inner: [], left: [] },
  { ts: 9, stream: 'C', inner: [], left: ['C - null'] },
  { ts: 10, table: 'c', inner: [], left: [] },
  { ts: 11, table: null, inner: [], left: [] },
  { ts: 12, stream: null, inner: [], left: [] },
  { ts: 13, table: null, inner: [], left: [] },
  { ts: 14, table: 'd', inner: [], left: [] },
  { ts: 15, stream: 'D', inner: ['D - d'], left: ['D - d'] },
];

describe('KStream-KTable join', () => {
  for (const variant of ['inner', 'left'] as const) {
    it(`reproduces Kafka's ${variant} join semantics table row by row`, () => {
      const builder = new StreamsBuilder();
      const stream = builder.stream('left', Consumed.with(STRING, STRING));
      const table = builder.table('right', Consumed.with(STRING, STRING));
      const joined = variant === 'inner' ? stream.join(table, show) : stream.leftJoin(table, show);
      joined.to('out', Produced.with(STRING, STRING));
      const driver = driverFor(builder);
      const left = driver.createInputTopic('left', STRING, STRING);
      const right = driver.createInputTopic('right', STRING, STRING);
      const out = driver.createOutputTopic('out', STRING, STRING);
      for (const row of STREAM_TABLE_ROWS) {
        if ('stream' in row) left.pipeInput('k', row.stream ?? null, row.ts);
        else right.pipeInput('k', row.table ?? null, row.ts);
        const results = out.readRecordsToList();
        expect(results.map((r) => r.value), `ts ${row.ts}`).toEqual(row[variant]);
        // A result carries the stream record's key and timestamp.
        for (const r of results) expect([r.key, r.timestampMs]).toEqual(['k', row.ts]);
      }
      driver.close();
    });
  }

  it('joins a record with a null key in a left join only (KIP-962)', () => {
    const builder = new StreamsBuilder();
    const stream = builder.stream('left', Consumed.with(STRING, STRING));
    const table = builder.table('right', Consumed.with(STRING, STRING));
    stream.join(table, show).to('inner', Produced.with(STRING, STRING));
    stream.leftJoin(table, show).to('outer', Produced.with(STRING, STRING));
    const driver = driverFor(builder);
    driver.createInputTopic('left', STRING, STRING).pipeInput(null, 'X', 1);
    expect(driver.createOutputTopic('inner', STRING, STRING).readValuesToList()).toEqual([]);
    expect(driver.createOutputTopic('outer', STRING, STRING).readKeyValuesToList()).toEqual([{ key: null, value: 'X - null' }]);
    driver.close();
  });

  it('looks up filtered and mapped tables through their parents (the source table is materialized)', () => {
    const builder = new StreamsBuilder();
    const prices = builder.table('prices', Consumed.with(STRING, Serdes.Number()));
    const expensive = prices.filter((_k, p) => p > 100).mapValues((p) => `$${p}`);
    builder.stream('orders', Consumed.with(STRING, STRING)).leftJoin(expensive, show).to('out', Produced.with(STRING, STRING));
    const topology = builder.build();
    expect(topology.describe().toString()).toContain('Processor: KSTREAM-LEFTJOIN-0000000006 (stores: [prices-STATE-STORE-0000000000])');
    const driver = new TopologyTestDriver(topology);
    const priceInput = driver.createInputTopic('prices', STRING, Serdes.Number());
    const orders = driver.createInputTopic('orders', STRING, STRING);
    priceInput.pipeInput('A', 150, 1);
    priceInput.pipeInput('B', 50, 2);
    orders.pipeInput('A', 'o1', 3);
    orders.pipeInput('B', 'o2', 4);
    priceInput.pipeInput('A', 90, 5);
    orders.pipeInput('A', 'o3', 6);
    expect(driver.createOutputTopic('out', STRING, STRING).readValuesToList()).toEqual(['o1 - $150', 'o2 - null', 'o3 - null']);
    driver.close();
  });

  it('repartitions a stream whose key changed before the join, named after Joined.as', () => {
    const builder = new StreamsBuilder();
    const users = builder.table('users', Consumed.with(STRING, STRING), Materialized.as('users'));
    builder
      .stream('clicks', Consumed.with(STRING, STRING))
      .selectKey((_k, user) => user)
      .join(users, (user, region) => `${user}@${region}`, Joined.as('enrich'))
      .to('out', Produced.with(STRING, STRING));
    const topology = builder.build();
    const text = topology.describe().toString();
    expect(text).toContain('Sink: enrich-repartition-sink (topic: enrich-repartition)');
    expect(text).toContain('Processor: enrich (stores: [users])');
    const driver = driverFor(builder);
    driver.createInputTopic('users', STRING, STRING).pipeInput('ann', 'eu', 1);
    driver.createInputTopic('clicks', STRING, STRING).pipeInput('page-1', 'ann', 2);
    expect(driver.createOutputTopic('out', STRING, STRING).readKeyValuesToList()).toEqual([{ key: 'ann', value: 'ann@eu' }]);
    driver.close();
  });

  it('describes a stream-table join as Kafka Streams does', () => {
    const builder = new StreamsBuilder();
    const stream = builder.stream<string, string>('stream-topic');
    const table = builder.table<string, string>('table-topic');
    stream.join(table, show).to('output-topic');
    expect(builder.build().describe().toString()).toBe(
      lines(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [stream-topic])',
        '      --> KSTREAM-JOIN-0000000004',
        '    Processor: KSTREAM-JOIN-0000000004 (stores: [table-topic-STATE-STORE-0000000001])',
        '      --> KSTREAM-SINK-0000000005',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Source: KSTREAM-SOURCE-0000000002 (topics: [table-topic])',
        '      --> KTABLE-SOURCE-0000000003',
        '    Sink: KSTREAM-SINK-0000000005 (topic: output-topic)',
        '      <-- KSTREAM-JOIN-0000000004',
        '    Processor: KTABLE-SOURCE-0000000003 (stores: [table-topic-STATE-STORE-0000000001])',
        '      --> none',
        '      <-- KSTREAM-SOURCE-0000000002',
        '',
      ),
    );
  });

  type Op = { kind: 'stream'; key: string; value: string } | { kind: 'table'; key: string; value: string | null };
  const keyArb = fc.constantFrom('a', 'b', 'c');
  const opArb = fc.oneof(
    fc.record({ kind: fc.constant('stream' as const), key: keyArb, value: fc.string({ minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('table' as const), key: keyArb, value: fc.option(fc.string({ minLength: 1, maxLength: 3 })) }),
  );

  test.prop([fc.array(opArb, { maxLength: 30 }), fc.boolean()], { numRuns: 25 })(
    'emits, per stream record, the join with the table row of its key at processing time (a Map model)',
    (ops: Op[], isLeft) => {
      const builder = new StreamsBuilder();
      const stream = builder.stream('s', Consumed.with(STRING, STRING));
      const table = builder.table('t', Consumed.with(STRING, STRING));
      (isLeft ? stream.leftJoin(table, show) : stream.join(table, show)).to('out', Produced.with(STRING, STRING));
      const driver = driverFor(builder);
      const s = driver.createInputTopic('s', STRING, STRING);
      const t = driver.createInputTopic('t', STRING, STRING);
      const model = new Map<string, string>();
      const expected: { key: string; value: string }[] = [];
      ops.forEach((op, i) => {
        if (op.kind === 'table') {
          t.pipeInput(op.key, op.value, i);
          if (op.value === null) model.delete(op.key);
          else model.set(op.key, op.value);
        } else {
          s.pipeInput(op.key, op.value, i);
          const row = model.get(op.key) ?? null;
          if (row !== null || isLeft) expected.push({ key: op.key, value: show(op.value, row) });
        }
      });
      expect(driver.createOutputTopic('out', STRING, STRING).readKeyValuesToList()).toEqual(expected);
      driver.close();
    },
  );
});
