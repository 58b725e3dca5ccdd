import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import type { FixedKeyRecord } from '../src/processor/fixed-key-record.js';
import type { FixedKeyProcessorContext, ProcessorContext } from '../src/processor/processor-context.js';
import type { Record } from '../src/processor/record.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { KeyValueStore } from '../src/state/key-value-store.js';
import { Stores } from '../state-stores/stores.js';
import type { KStream } from './kstream.js';
import { Branched } from './options/branched.js';
import { Consumed } from './options/consumed.js';
import { Named } from './options/named.js';
import { Printed } from './options/printed.js';
import { Produced } from './options/produced.js';
import { Repartitioned } from './options/repartitioned.js';
import { StreamsBuilder } from './streams-builder.js';

const STRING = Serdes.String();

/** Builds `program` over the string stream `in`, pipes `input` into it and returns the driver (caller closes). */
function run(
  program: (input: KStream<string, string>, builder: StreamsBuilder) => void,
  input: readonly [string | null, string | null][],
  options: { partitions?: number } = {},
): TopologyTestDriver {
  const builder = new StreamsBuilder();
  program(builder.stream('in', Consumed.with(STRING, STRING)), builder);
  const driver = new TopologyTestDriver(builder.build(), { defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
  const topic = driver.createInputTopic('in', STRING, STRING, { partitions: options.partitions ?? 1 });
  input.forEach(([k, v], i) => topic.pipeInput(k, v, 100 + i));
  return driver;
}

function output(driver: TopologyTestDriver, topic = 'out'): { key: string | null; value: string | null }[] {
  const list = driver.createOutputTopic(topic, STRING, STRING).readKeyValuesToList();
  driver.close();
  return list;
}

describe('KStream stateless operators', () => {
  it('filter and filterNot split records by a predicate', () => {
    const kept = output(run((s) => s.filter((_k, v) => v.length > 2).to('out'), [['a', 'xx'], ['b', 'xxx'], ['c', 'yyyy']]));
    expect(kept).toEqual([{ key: 'b', value: 'xxx' }, { key: 'c', value: 'yyyy' }]);
    const dropped = output(run((s) => s.filterNot((_k, v) => v.length > 2).to('out'), [['a', 'xx'], ['b', 'xxx']]));
    expect(dropped).toEqual([{ key: 'a', value: 'xx' }]);
  });

  it('map, selectKey and mapValues (with and without the key) transform records', () => {
    expect(output(run((s) => s.map((k, v) => ({ key: v, value: k })).to('out'), [['k', 'v']]))).toEqual([{ key: 'v', value: 'k' }]);
    expect(output(run((s) => s.selectKey((_k, v) => v.toUpperCase()).to('out'), [['k', 'v']]))).toEqual([{ key: 'V', value: 'v' }]);
    expect(output(run((s) => s.mapValues((v) => `${v}!`).to('out'), [['k', 'v']]))).toEqual([{ key: 'k', value: 'v!' }]);
    expect(output(run((s) => s.mapValues((v, k) => `${k}=${v}`).to('out'), [['k', 'v']]))).toEqual([{ key: 'k', value: 'k=v' }]);
  });

  it('flatMap and flatMapValues emit zero or more records per record, keeping timestamps', () => {
    const driver = run((s) => s.flatMapValues((v) => v.split(' ')).to('out'), [['k', 'a b c'], ['j', '']]);
    const records = driver.createOutputTopic('out', STRING, STRING).readRecordsToList();
    driver.close();
    expect(records.map((r) => [r.key, r.value, r.timestampMs])).toEqual([['k', 'a', 100], ['k', 'b', 100], ['k', 'c', 100], ['j', '', 101]]);
    // Any iterable works, not only arrays.
    function* distinctChars(value: string): Generator<{ key: string; value: string }> {
      for (const c of new Set(value)) yield { key: c, value };
    }
    const pairs = output(run((s) => s.flatMap((_k, v) => distinctChars(v)).to('out'), [['k', 'aba']]));
    expect(pairs).toEqual([{ key: 'a', value: 'aba' }, { key: 'b', value: 'aba' }]);
  });

  it('peek sees every record and passes it on; foreach and print are terminal', () => {
    const peeked: string[] = [];
    const each: string[] = [];
    const printed: string[] = [];
    const driver = run(
      (s) => {
        s.peek((k, v) => peeked.push(`${k}:${v}`)).to('out');
        s.foreach((k, v) => each.push(`${k}:${v}`));
        s.print(Printed.toWriter<string, string>((line) => printed.push(line)).withLabel('in'));
        s.print(Printed.toWriter<string, string>((line) => printed.push(line)).withKeyValueMapper((k, v) => `${k}->${v}`));
      },
      [['a', '1'], ['b', '2']],
    );
    expect(output(driver)).toHaveLength(2);
    expect(peeked).toEqual(['a:1', 'b:2']);
    expect(each).toEqual(['a:1', 'b:2']);
    expect(printed).toEqual(['[in]: a, 1', '[KSTREAM-SOURCE-0000000000]: a->1', '[in]: b, 2', '[KSTREAM-SOURCE-0000000000]: b->2']);
  });

  it('split routes each record to the first matching branch, else the default branch', () => {
    let branches = new Map<string, KStream<string, string>>();
    const driver = run(
      (s) => {
        branches = s
          .split(Named.as('split-'))
          .branch((_k, v) => v.startsWith('a'), Branched.as('a'))
          .branch((_k, v) => v.startsWith('a') || v.startsWith('b'), Branched.withFunction((b) => b.mapValues((v) => v.toUpperCase()), 'b'))
          .branch((_k, v) => v === 'drop', Branched.withConsumer((b) => b.to('dropped')))
          .defaultBranch();
        branches.get('split-a')!.to('out-a');
        branches.get('split-b')!.to('out-b');
        branches.get('split-0')!.to('out-rest');
      },
      [['1', 'apple'], ['2', 'banana'], ['3', 'cherry'], ['4', 'drop'], ['5', 'avocado']],
    );
    expect([...branches.keys()]).toEqual(['split-a', 'split-b', 'split-0']);
    expect(driver.createOutputTopic('out-b', STRING, STRING).readValuesToList()).toEqual(['BANANA']);
    expect(driver.createOutputTopic('out-rest', STRING, STRING).readValuesToList()).toEqual(['cherry']);
    expect(driver.createOutputTopic('dropped', STRING, STRING).readValuesToList()).toEqual(['drop']);
    expect(output(driver, 'out-a').map((r) => r.value)).toEqual(['apple', 'avocado']);
    const again = run(
      (s) => {
        const b = s.split().branch((_k, v) => v === 'x').noDefaultBranch();
        expect([...b.keys()]).toEqual(['KSTREAM-BRANCH-00000000011']);
        b.get('KSTREAM-BRANCH-00000000011')!.to('out');
      },
      [['1', 'x'], ['2', 'y']],
    );
    expect(output(again)).toEqual([{ key: '1', value: 'x' }]);
  });

  it('split branches get their own outputs (function result, consumer, default)', () => {
    const builder = new StreamsBuilder();
    const branches = builder
      .stream('in', Consumed.with(STRING, STRING))
      .split()
      .branch((_k, v) => v.startsWith('b'), Branched.withFunction((b) => b.mapValues((v) => v.toUpperCase())))
      .branch((_k, v) => v === 'drop', Branched.withConsumer((b) => b.to('dropped')))
      .defaultBranch();
    [...branches.values()][0]!.to('upper');
    [...branches.values()][1]!.to('rest');
    const driver = new TopologyTestDriver(builder.build(), { defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
    const input = driver.createInputTopic('in', STRING, STRING);
    for (const v of ['banana', 'drop', 'cherry']) input.pipeInput('k', v);
    expect(driver.createOutputTopic('upper', STRING, STRING).readValuesToList()).toEqual(['BANANA']);
    expect(driver.createOutputTopic('dropped', STRING, STRING).readValuesToList()).toEqual(['drop']);
    expect(driver.createOutputTopic('rest', STRING, STRING).readValuesToList()).toEqual(['cherry']);
    driver.close();
  });

  it('merge interleaves two streams', () => {
    const builder = new StreamsBuilder();
    const a = builder.stream('a', Consumed.with(STRING, STRING));
    const b = builder.stream('b', Consumed.with(STRING, STRING));
    a.merge(b.mapValues((v) => v.toUpperCase())).to('out', Produced.with(STRING, STRING));
    const driver = new TopologyTestDriver(builder.build());
    driver.createInputTopic('a', STRING, STRING).pipeInput('k', 'x', 1);
    driver.createInputTopic('b', STRING, STRING).pipeInput('k', 'y', 2);
    driver.createInputTopic('a', STRING, STRING).pipeInput('k', 'z', 3);
    expect(output(driver).map((r) => r.value)).toEqual(['x', 'Y', 'z']);
  });

  it('repartition writes through a named internal topic and re-partitions by the new key', () => {
    const driver = run(
      (s) => s.selectKey((_k, v) => v).repartition(Repartitioned.as<string, string>('by-value').withNumberOfPartitions(2)).to('out'),
      [['1', 'x'], ['2', 'y'], ['3', 'x']],
      { partitions: 3 },
    );
    // The driver runs the topology as application 'test': internal topics carry that prefix, as in Kafka Streams.
    expect(driver.broker.hasTopic('test-by-value-repartition')).toBe(true);
    // Repartitioned.withNumberOfPartitions(2) wins over the 3 partitions of the input.
    expect(driver.broker.describeTopic('test-by-value-repartition').numPartitions).toBe(2);
    expect(output(driver).sort((p, q) => String(p.key).localeCompare(String(q.key)))).toEqual([
      { key: 'x', value: 'x' },
      { key: 'x', value: 'x' },
      { key: 'y', value: 'y' },
    ]);
  });

  it('to() with a topic name extractor routes each record', () => {
    const driver = run((s) => s.to((k) => `out-${k}`), [['a', '1'], ['b', '2']]);
    expect(driver.createOutputTopic('out-a', STRING, STRING).readValuesToList()).toEqual(['1']);
    expect(output(driver, 'out-b')).toEqual([{ key: 'b', value: '2' }]);
  });

  it('process and processValues run Processor API code with connected stores', () => {
    const seenStore = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('seen'), STRING, Serdes.Integer());
    const dedupe = () => {
      let context!: ProcessorContext<string, string>;
      let seen!: KeyValueStore<string, number>;
      return {
        init(c: ProcessorContext<string, string>) {
          context = c;
          seen = c.getStateStore<KeyValueStore<string, number>>('seen');
        },
        process(record: Record<string, string>) {
          if (seen.get(record.value) !== null) return;
          seen.put(record.value, 1);
          context.forward(record.withKey(record.value));
        },
      };
    };
    const driver = run(
      (s, builder) => {
        builder.addStateStore(seenStore);
        s.process(dedupe, 'seen')
          .processValues(() => {
            let context!: FixedKeyProcessorContext<string, string>;
            return {
              init: (c: FixedKeyProcessorContext<string, string>) => void (context = c),
              process: (r: FixedKeyRecord<string, string>) => context.forward(r.withValue(r.value.length.toString())),
            };
          })
          .to('out');
      },
      [['1', 'aa'], ['2', 'aa'], ['3', 'bbb']],
    );
    expect(output(driver)).toEqual([{ key: 'aa', value: '2' }, { key: 'bbb', value: '3' }]);
  });
});

describe('KStream to tables and groupings', () => {
  it('toTable keeps the latest value per key and deletes on tombstones', () => {
    const driver = run((s) => s.toTable().toStream().to('out'), [['a', '1'], ['a', '2'], ['b', '3'], ['a', null]]);
    expect(output(driver)).toEqual([
      { key: 'a', value: '1' },
      { key: 'a', value: '2' },
      { key: 'b', value: '3' },
      { key: 'a', value: null },
    ]);
  });

  it('toTable after a key change repartitions first', () => {
    const builder = new StreamsBuilder();
    builder.stream<string, string>('in').selectKey((_k, v) => v).toTable().toStream().to('out');
    expect(builder.build().describe().toString()).toContain('Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-TOTABLE-0000000002-repartition)');
  });

  it('groupByKey().count() drops records with null keys or values, as Kafka Streams does', () => {
    const builder = new StreamsBuilder();
    builder.stream('in', Consumed.with(STRING, STRING)).groupByKey().count().toStream().mapValues((n) => String(n)).to('out');
    const driver = new TopologyTestDriver(builder.build(), { defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
    const input = driver.createInputTopic('in', STRING, STRING);
    input.pipeInput('a', 'x');
    input.pipeInput(null, 'x');
    input.pipeInput('a', null);
    input.pipeInput('a', 'y');
    expect(output(driver)).toEqual([{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
  });
});
