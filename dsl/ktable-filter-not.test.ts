import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Grouped } from './options/grouped.js';
import { Materialized } from './options/materialized.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';

const STRING = Serdes.String();
const NUMBER = Serdes.Number();

function driverFor(builder: StreamsBuilder): TopologyTestDriver {
  return new TopologyTestDriver(builder.build(), { defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
}

const isExpensive = (_symbol: string, price: number): boolean => price > 100;

describe('KTable.filterNot', () => {
  it('keeps the rows the predicate rejects and sends a tombstone when a row starts matching', () => {
    const builder = new StreamsBuilder();
    builder.table('prices', Consumed.with(STRING, NUMBER)).filterNot(isExpensive).toStream().to('cheap', Produced.with(STRING, NUMBER));
    const driver = driverFor(builder);
    const input = driver.createInputTopic('prices', STRING, NUMBER);
    input.pipeInput('A', 50, 1);
    input.pipeInput('A', 150, 2);
    input.pipeInput('A', 30, 3);
    input.pipeInput('B', 200, 4);
    input.pipeInput('A', null, 5);
    expect(driver.createOutputTopic('cheap', STRING, NUMBER).readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['A', 50, 1],
      // A starts matching the predicate: it leaves the filtered table.
      ['A', null, 2],
      ['A', 30, 3],
      // Without old values the filter cannot know B was never in the table: a tombstone, as Kafka Streams sends.
      ['B', null, 4],
      ['A', null, 5],
    ]);
    driver.close();
  });

  it('materialized: the store holds exactly the rows the predicate rejects', () => {
    const builder = new StreamsBuilder();
    builder
      .table('prices', Consumed.with(STRING, NUMBER))
      .filterNot(isExpensive, Materialized.as<string, number>('cheap-prices'))
      .toStream()
      .to('cheap', Produced.with(STRING, NUMBER));
    const driver = driverFor(builder);
    const input = driver.createInputTopic('prices', STRING, NUMBER);
    const store = driver.getTimestampedKeyValueStore<string, number>('cheap-prices');
    input.pipeInput('A', 50, 1);
    input.pipeInput('B', 60, 2);
    expect(store.get('A')).toEqual({ value: 50, timestampMs: 1 });
    input.pipeInput('A', 150, 3);
    expect(store.get('A')).toBeNull();
    expect(store.get('B')).toEqual({ value: 60, timestampMs: 2 });
    input.pipeInput('C', 500, 4);
    expect(store.get('C')).toBeNull();
    const out = driver.createOutputTopic('cheap', STRING, NUMBER).readKeyValuesToList();
    // The last update per key is what the table holds (a cache may fold earlier updates together). C was never in
    // the filtered table: its store forwards nothing for it (no tombstone for a row that was never there).
    const latest = new Map(out.map((kv) => [kv.key, kv.value]));
    expect(Object.fromEntries(latest)).toEqual({ A: null, B: 60 });
    expect(out).toContainEqual({ key: 'A', value: 50 });
    driver.close();
  });

  it('an unmaterialized filterNot table looked up by a stream join sees only the rows the predicate rejects', () => {
    const builder = new StreamsBuilder();
    const cheap = builder.table('prices', Consumed.with(STRING, NUMBER)).filterNot(isExpensive);
    builder
      .stream('orders', Consumed.with(STRING, STRING))
      .leftJoin(cheap, (order, price) => `${order}@${price ?? 'none'}`)
      .to('priced', Produced.with(STRING, STRING));
    const driver = driverFor(builder);
    const prices = driver.createInputTopic('prices', STRING, NUMBER);
    const orders = driver.createInputTopic('orders', STRING, STRING);
    prices.pipeInput('A', 50, 1);
    prices.pipeInput('B', 150, 2);
    orders.pipeInput('A', 'o1', 3);
    orders.pipeInput('B', 'o2', 4);
    prices.pipeInput('A', 120, 5);
    prices.pipeInput('B', 80, 6);
    orders.pipeInput('A', 'o3', 7);
    orders.pipeInput('B', 'o4', 8);
    expect(driver.createOutputTopic('priced', STRING, STRING).readValuesToList()).toEqual(['o1@50', 'o2@none', 'o3@none', 'o4@80']);
    driver.close();
  });

  it.each([
    ['unmaterialized (old values derived from the source table)', undefined],
    ['materialized (old values from its own store)', Materialized.as<string, number>('low-scores')],
  ])('a row that starts matching is subtracted downstream: %s', (_label, materialized) => {
    const builder = new StreamsBuilder();
    builder
      .table('scores', Consumed.with(STRING, NUMBER))
      .filterNot((_player, score) => score >= 10, materialized)
      .groupBy((player, score) => ({ key: 'low', value: `${player}:${score}` }), Grouped.with(STRING, STRING))
      .count(Materialized.as<string, number>('low-count'))
      .toStream()
      .to('low', Produced.with(STRING, longSerde()));
    const driver = driverFor(builder);
    const scores = driver.createInputTopic('scores', STRING, NUMBER);
    scores.pipeInput('p1', 2);
    scores.pipeInput('p2', 3);
    scores.pipeInput('p1', 20);
    scores.pipeInput('p3', 50);
    scores.pipeInput('p2', 4);
    scores.pipeInput('p3', 5);
    // p1 20 leaves the filtered table (subtracted); p3 50 never entered it (no update); p2 4 replaces p2 3 (subtract
    // and add in one update of the count); p3 5 enters it (added, and its old 50 is not subtracted).
    expect(driver.createOutputTopic('low', STRING, longSerde()).readValuesToList()).toEqual([1, 2, 1, 1, 2]);
    expect(driver.getTimestampedKeyValueStore<string, number>('low-count').get('low')?.value).toBe(2);
    driver.close();
  });

  test.prop([fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.option(fc.integer({ min: 0, max: 20 }), { nil: null })), { maxLength: 30 })], {
    numRuns: 30,
  })('filter(p) and filterNot(p) split the table into two disjoint parts whose union is the table', (updates) => {
    const p = (_k: string, v: number): boolean => v % 3 === 0;
    const builder = new StreamsBuilder();
    const table = builder.table('t', Consumed.with(STRING, NUMBER));
    table.filter(p).toStream().to('yes', Produced.with(STRING, NUMBER));
    table.filterNot(p).toStream().to('no', Produced.with(STRING, NUMBER));
    const driver = driverFor(builder);
    const input = driver.createInputTopic('t', STRING, NUMBER);
    const model = new Map<string, number>();
    updates.forEach(([k, v], i) => {
      input.pipeInput(k, v, i);
      if (v === null) model.delete(k);
      else model.set(k, v);
    });
    const tableOf = (topic: string): Map<string, number> => {
      const m = new Map<string, number>();
      for (const { key, value } of driver.createOutputTopic(topic, STRING, NUMBER).readKeyValuesToList()) {
        if (value === null) m.delete(key!);
        else m.set(key!, value);
      }
      return m;
    };
    const yes = tableOf('yes');
    const no = tableOf('no');
    expect(new Map([...model].filter(([k, v]) => p(k, v)))).toEqual(yes);
    expect(new Map([...model].filter(([k, v]) => !p(k, v)))).toEqual(no);
    driver.close();
  });
});
