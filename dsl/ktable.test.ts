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

describe('KTable from a topic', () => {
  it('keeps the latest value per key, forwards deletions as tombstones and drops records without a key', () => {
    const builder = new StreamsBuilder();
    builder.table('users', Consumed.with(STRING, STRING), Materialized.as('users')).toStream().to('out', Produced.with(STRING, STRING));
    const driver = driverFor(builder);
    const input = driver.createInputTopic('users', STRING, STRING);
    input.pipeInput('alice', 'eu', 1);
    input.pipeInput(null, 'nowhere', 2);
    input.pipeInput('alice', 'us', 3);
    input.pipeInput('bob', 'eu', 4);
    input.pipeInput('alice', null, 5);
    const out = driver.createOutputTopic('out', STRING, STRING);
    expect(out.readKeyValuesToList()).toEqual([
      { key: 'alice', value: 'eu' },
      { key: 'alice', value: 'us' },
      { key: 'bob', value: 'eu' },
      { key: 'alice', value: null },
    ]);
    const store = driver.getTimestampedKeyValueStore<string, string>('users');
    expect(store.get('alice')).toBeNull();
    expect(store.get('bob')).toEqual({ value: 'eu', timestampMs: 4 });
    driver.close();
  });

  it('filter turns rows that stop matching into deletions; mapValues maps new values', () => {
    const builder = new StreamsBuilder();
    const prices = builder.table('prices', Consumed.with(STRING, NUMBER));
    prices.filter((_k, p) => p > 100).toStream().to('expensive', Produced.with(STRING, NUMBER));
    prices.mapValues((p, symbol) => `${symbol}@${p}`, Materialized.as('labels')).toStream().to('labels', Produced.with(STRING, STRING));
    const driver = driverFor(builder);
    const input = driver.createInputTopic('prices', STRING, NUMBER);
    input.pipeInput('A', 150);
    input.pipeInput('A', 50);
    input.pipeInput('B', 20);
    expect(driver.createOutputTopic('expensive', STRING, NUMBER).readKeyValuesToList()).toEqual([
      { key: 'A', value: 150 },
      { key: 'A', value: null },
      { key: 'B', value: null },
    ]);
    expect(driver.createOutputTopic('labels', STRING, STRING).readValuesToList()).toEqual(['A@150', 'A@50', 'B@20']);
    expect(driver.getTimestampedKeyValueStore<string, string>('labels').get('B')?.value).toBe('B@20');
    driver.close();
  });
});

describe('KTable.groupBy aggregations', () => {
  it('calls the subtractor with the old value, then the adder with the new one; a tombstone only subtracts', () => {
    const calls: string[] = [];
    const builder = new StreamsBuilder();
    builder
      .table('users', Consumed.with(STRING, STRING))
      .groupBy((user, region) => ({ key: region, value: user }), Grouped.with(STRING, STRING))
      .aggregate(
        (): string[] => [],
        (region, user, members) => {
          calls.push(`add ${region} ${user}`);
          return [...members, user].sort();
        },
        (region, user, members) => {
          calls.push(`sub ${region} ${user}`);
          return members.filter((m) => m !== user);
        },
        Materialized.with(STRING, Serdes.Json<string[]>()),
      )
      .toStream()
      .to('members', Produced.with(STRING, Serdes.Json<string[]>()));
    const driver = driverFor(builder);
    const users = driver.createInputTopic('users', STRING, STRING);
    users.pipeInput('alice', 'eu');
    users.pipeInput('bob', 'eu');
    users.pipeInput('alice', 'us');
    users.pipeInput('alice', 'us');
    users.pipeInput('bob', null);
    users.pipeInput('carol', 'us');
    expect(calls).toEqual([
      'add eu alice',
      'add eu bob',
      'sub eu alice',
      'add us alice',
      'sub us alice',
      'add us alice',
      'sub eu bob',
      'add us carol',
    ]);
    expect(driver.createOutputTopic('members', STRING, Serdes.Json<string[]>()).readKeyValuesToList()).toEqual([
      { key: 'eu', value: ['alice'] },
      { key: 'eu', value: ['alice', 'bob'] },
      { key: 'eu', value: ['bob'] },
      { key: 'us', value: ['alice'] },
      { key: 'us', value: ['alice'] },
      { key: 'eu', value: [] },
      { key: 'us', value: ['alice', 'carol'] },
    ]);
    driver.close();
  });

  it('count and reduce follow updates and deletions; rows grouped under a null key are left out', () => {
    const builder = new StreamsBuilder();
    const amounts = builder.table('amounts', Consumed.with(STRING, NUMBER));
    const byPrefix = amounts.groupBy((k, v) => ({ key: k.startsWith('x') ? (null as unknown as string) : k[0]!, value: v }), Grouped.with(STRING, NUMBER));
    byPrefix.count(Materialized.as('counts')).toStream().to('counts', Produced.with(STRING, longSerde()));
    byPrefix.reduce((a, v) => a + v, (a, v) => a - v, Materialized.as('sums')).toStream().to('sums', Produced.with(STRING, NUMBER));
    const driver = driverFor(builder);
    const input = driver.createInputTopic('amounts', STRING, NUMBER);
    input.pipeInput('a1', 10);
    input.pipeInput('a2', 5);
    input.pipeInput('x9', 1000);
    input.pipeInput('a1', 7);
    input.pipeInput('a2', null);
    input.pipeInput('b1', 1);
    expect(driver.createOutputTopic('counts', STRING, longSerde()).readKeyValuesToMap()).toEqual(new Map([['a', 1], ['b', 1]]));
    expect(driver.createOutputTopic('sums', STRING, NUMBER).readKeyValuesToList()).toEqual([
      { key: 'a', value: 10 },
      { key: 'a', value: 15 },
      { key: 'a', value: 12 },
      { key: 'a', value: 7 },
      { key: 'b', value: 1 },
    ]);
    expect(driver.getTimestampedKeyValueStore<string, number>('sums').get('a')?.value).toBe(7);
    driver.close();
  });

  it.each([
    ['an unmaterialized filter (old values derived from the source table)', undefined],
    ['a materialized filter (old values from its own store)', Materialized.as<string, number>('high-scores')],
  ])('old values reach the grouping through %s', (_label, materialized) => {
    const builder = new StreamsBuilder();
    builder
      .table('scores', Consumed.with(STRING, NUMBER))
      .filter((_player, score) => score >= 10, materialized)
      .groupBy((player, score) => ({ key: 'high', value: `${player}:${score}` }), Grouped.with(STRING, STRING))
      .count()
      .toStream()
      .to('high', Produced.with(STRING, longSerde()));
    const driver = driverFor(builder);
    const scores = driver.createInputTopic('scores', STRING, NUMBER);
    scores.pipeInput('p1', 20);
    scores.pipeInput('p2', 30);
    scores.pipeInput('p1', 5);
    scores.pipeInput('p3', 1);
    expect(driver.createOutputTopic('high', STRING, longSerde()).readValuesToList()).toEqual([1, 2, 1]);
    driver.close();
  });
});
