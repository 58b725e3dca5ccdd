import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../../runtime/testing/topology-test-driver.js';
import type { Serde } from '../../src/serdes/serde.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { Topology } from '../../src/topology/topology.js';
import { longSerde } from '../long-serde.js';
import { Consumed } from '../options/consumed.js';
import { Materialized } from '../options/materialized.js';
import { Produced } from '../options/produced.js';
import { StreamsBuilder } from '../streams-builder.js';
import type { TopologyConfig } from '../topology-config.js';
import type { CompiledTopology } from './compiled-topology.js';

const STRING = Serdes.String();
const repartitionSinks = (text: string): number => text.match(/Sink: .*-repartition\)/g)?.length ?? 0;

/** selectKey feeding two counts (Kafka's RepartitionOptimizingTest shape, without windows). */
function twoCounts(config: TopologyConfig): Topology {
  const builder = new StreamsBuilder();
  const byFirstLetter = builder.stream('input', Consumed.with(STRING, STRING)).selectKey((_k, v) => v.slice(0, 1));
  byFirstLetter.groupByKey().count().toStream().to('count-1', Produced.with(STRING, longSerde()));
  byFirstLetter.groupByKey().count().toStream().to('count-2', Produced.with(STRING, longSerde()));
  return builder.build(config);
}

function outputs(topology: Topology, values: readonly string[]): Map<string | null, number>[] {
  const driver = new TopologyTestDriver(topology, { defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
  const input = driver.createInputTopic('input', STRING, STRING, { partitions: 3 });
  values.forEach((v, i) => input.pipeInput(`k${i}`, v));
  const result = ['count-1', 'count-2'].map((t) => driver.createOutputTopic(t, STRING, longSerde()).readKeyValuesToMap());
  driver.close();
  return result;
}

describe('optimization: merge.repartition.topics', () => {
  it('uses one repartition topic, right after the key change, for all aggregations that follow it', () => {
    const plain = twoCounts({}).describe().toString();
    const optimized = twoCounts({ optimization: 'all' }).describe().toString();
    expect(repartitionSinks(plain)).toBe(2);
    expect(repartitionSinks(optimized)).toBe(1);
    const topic = 'KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition';
    expect(optimized).toContain(`    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n      --> ${topic}-filter`);
    expect(optimized).toContain(`    Sink: ${topic}-sink (topic: ${topic})`);
    expect(optimized).toContain(`    Source: ${topic}-source (topics: [${topic}])\n      --> KSTREAM-AGGREGATE-0000000003, KSTREAM-AGGREGATE-0000000010`);
  });

  it('computes the same results as the unoptimized topology', () => {
    const values = ['apple', 'avocado', 'banana', 'blueberry', 'cherry', 'apricot'];
    const expected = new Map([['a', 3], ['b', 2], ['c', 1]]);
    expect(outputs(twoCounts({}), values)).toEqual([expected, expected]);
    expect(outputs(twoCounts({ optimization: 'all' }), values)).toEqual([expected, expected]);
  });

  it('moves the repartition above stateless steps between the key change and the aggregations', () => {
    const builder = new StreamsBuilder();
    const keyed = builder.stream<string, string>('input').selectKey((_k, v) => v).peek(() => undefined);
    keyed.groupByKey().count();
    keyed.groupByKey().reduce((a, b) => a + b);
    const text = builder.build({ optimization: ['merge.repartition.topics'] }).describe().toString();
    expect(repartitionSinks(text)).toBe(1);
    expect(text).toContain('Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n      --> KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter');
    expect(text).toContain('Processor: KSTREAM-PEEK-0000000002 (stores: [])\n      --> KSTREAM-AGGREGATE-0000000004, KSTREAM-REDUCE-0000000009\n      <-- KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source');
  });

  it('does not optimize past value-changing operations or explicit repartition() calls (Kafka StreamsGraphTest)', () => {
    const valueChanging = (config: TopologyConfig): string => {
      const builder = new StreamsBuilder();
      const keyed = builder.stream<string, string>('input').selectKey((k, v) => k + v);
      keyed.mapValues((v) => v.toUpperCase()).groupByKey().count().toStream().to('output');
      keyed.flatMapValues((v) => v.split(' ')).groupByKey().count().toStream().to('other-output');
      return builder.build(config).describe().toString();
    };
    expect(valueChanging({ optimization: 'all' })).toBe(valueChanging({}));
    expect(repartitionSinks(valueChanging({ optimization: 'all' }))).toBe(2);

    const explicit = (config: TopologyConfig): string => {
      const builder = new StreamsBuilder();
      const keyed = builder.stream<string, string>('input').selectKey((k, v) => k + v);
      keyed.repartition().groupByKey().count().toStream().to('output');
      keyed.repartition().groupByKey().count().toStream().to('other-output');
      return builder.build(config).describe().toString();
    };
    expect(explicit({ optimization: 'all' })).toBe(explicit({}));
    expect(repartitionSinks(explicit({ optimization: 'all' }))).toBe(2);
  });
});

describe('optimization: reuse.ktable.source.topics', () => {
  it('restores a source table from its topic instead of a changelog of its own', () => {
    const build = (config: TopologyConfig): CompiledTopology => {
      const builder = new StreamsBuilder();
      builder.table('prices', Consumed.with(STRING, Serdes.Number()), Materialized.as('prices-store')).toStream().to('out');
      return builder.build(config) as CompiledTopology;
    };
    const plain = build({});
    const optimized = build({ optimization: 'all' });
    expect(optimized.describe().toString()).toBe(plain.describe().toString());
    expect([...plain.sourceChangelogTopics]).toEqual([]);
    expect([...optimized.sourceChangelogTopics]).toEqual([['prices-store', 'prices']]);
    expect(optimized.build().stores.get('prices-store')!.builder.loggingEnabled).toBe(false);
    expect(plain.build().stores.get('prices-store')!.builder.loggingEnabled).toBe(true);

    const driver = new TopologyTestDriver(optimized, { applicationId: 'app' });
    driver.createInputTopic('prices', STRING, Serdes.Number()).pipeInput('A', 1);
    expect(driver.getTimestampedKeyValueStore<string, number>('prices-store').get('A')?.value).toBe(1);
    expect(driver.broker.hasTopic('app-prices-store-changelog')).toBe(false);
    driver.close();
  });
});
