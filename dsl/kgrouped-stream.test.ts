import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Grouped } from './options/grouped.js';
import { Materialized } from './options/materialized.js';
import { Named } from './options/named.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';

const STRING = Serdes.String();
const NUMBER = Serdes.Number();

describe('KGroupedStream aggregations', () => {
  it('reduce and aggregate fold values per key; the aggregate carries the latest timestamp of its key', () => {
    const builder = new StreamsBuilder();
    const grouped = builder.stream('sales', Consumed.with(STRING, NUMBER)).groupByKey();
    grouped.reduce((max, v) => Math.max(max, v), Named.as('max'), Materialized.as('max-store')).toStream().to('max', Produced.with(STRING, NUMBER));
    grouped
      .aggregate(() => ({ n: 0, sum: 0 }), (_k, v, a) => ({ n: a.n + 1, sum: a.sum + v }), Materialized.with(STRING, Serdes.Json<{ n: number; sum: number }>()))
      .toStream()
      .mapValues((a) => (a === null ? null : a.sum / a.n))
      .to('avg', Produced.with(STRING, NUMBER));
    const driver = new TopologyTestDriver(builder.build());
    const sales = driver.createInputTopic('sales', STRING, NUMBER);
    sales.pipeInput('x', 4, 10);
    sales.pipeInput('x', 2, 5);
    sales.pipeInput('y', 1, 7);
    sales.pipeInput('x', 9, 8);
    expect(driver.createOutputTopic('max', STRING, NUMBER).readKeyValuesToList()).toEqual([
      { key: 'x', value: 4 },
      { key: 'x', value: 4 },
      { key: 'y', value: 1 },
      { key: 'x', value: 9 },
    ]);
    expect(driver.createOutputTopic('avg', STRING, NUMBER).readValuesToList()).toEqual([4, 3, 1, 5]);
    expect(driver.getTimestampedKeyValueStore<string, number>('max-store').get('x')).toEqual({ value: 9, timestampMs: 10 });
    driver.close();
  });

  it('resolves serdes no operation named from the build config, else from the application defaults', () => {
    const program = (builder: StreamsBuilder): void => {
      builder.stream<string, string>('words').groupBy((_k, w) => w).count(Materialized.as('counts')).toStream().to('counts', Produced.valueSerde(longSerde()));
    };
    const fromBuild = new StreamsBuilder();
    program(fromBuild);
    const viaBuild = new TopologyTestDriver(fromBuild.build({ defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> }));
    viaBuild.createInputTopic('words', STRING, STRING).pipeInput('k', 'kafka');
    expect(viaBuild.createOutputTopic('counts', STRING, longSerde()).readKeyValuesToMap()).toEqual(new Map([['kafka', 1]]));
    viaBuild.close();

    const fromApp = new StreamsBuilder();
    program(fromApp);
    const viaApp = new TopologyTestDriver(fromApp.build(), { defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
    viaApp.createInputTopic('words', STRING, STRING).pipeInput('k', 'kafka');
    expect(viaApp.createOutputTopic('counts', STRING, longSerde()).readKeyValuesToMap()).toEqual(new Map([['kafka', 1]]));
    expect(viaApp.getTimestampedKeyValueStore<string, number>('counts').get('kafka')?.value).toBe(1);
    viaApp.close();
  });

  it('a named grouping shares one repartition topic between its aggregations', () => {
    const builder = new StreamsBuilder();
    const grouped = builder.stream<string, string>('in').groupBy((_k, v) => v, Grouped.as('by-value'));
    grouped.count();
    grouped.reduce((a, b) => a + b);
    const text = builder.build().describe().toString();
    expect(text.match(/Sink: .*-repartition\)/g)).toEqual(['Sink: by-value-repartition-sink (topic: by-value-repartition)']);
    expect(text).toContain('Source: by-value-repartition-source (topics: [by-value-repartition])\n      --> KSTREAM-AGGREGATE-0000000002, KSTREAM-REDUCE-0000000007');
  });
});
