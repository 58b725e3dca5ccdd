import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../src/errors.js';
import { Serdes } from '../src/serdes/serdes.js';
import { Stores } from '../state-stores/stores.js';
import type { CompiledTopology } from './graph/compiled-topology.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Grouped } from './options/grouped.js';
import { Materialized } from './options/materialized.js';
import { Named } from './options/named.js';
import { StreamsBuilder } from './streams-builder.js';

const lines = (...parts: string[]): string => parts.join('\n');

describe('StreamsBuilder describe() parity with Kafka Streams', () => {
  // The Kafka docs' tutorial prints this program's repartition nodes as KSTREAM-SINK-0000000004/FILTER-5/SOURCE-6:
  // that text is from Kafka 1.x; current Kafka Streams names the nodes of a named repartition after its topic
  // (`counts-store-repartition-sink`, ...), as a Kafka 3.x run prints, while still drawing indexes 4-6.
  it('word count with a named store (Kafka docs tutorial program, current naming of named repartitions)', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('streams-plaintext-input')
      .flatMapValues((value) => value.toLowerCase().split(/\W+/))
      .groupBy((_key, value) => value)
      .count(Materialized.as('counts-store'))
      .toStream()
      .to('streams-wordcount-output');
    expect(builder.build().describe().toString()).toBe(
      lines(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])',
        '      --> KSTREAM-FLATMAPVALUES-0000000001',
        '    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])',
        '      --> KSTREAM-KEY-SELECT-0000000002',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])',
        '      --> counts-store-repartition-filter',
        '      <-- KSTREAM-FLATMAPVALUES-0000000001',
        '    Processor: counts-store-repartition-filter (stores: [])',
        '      --> counts-store-repartition-sink',
        '      <-- KSTREAM-KEY-SELECT-0000000002',
        '    Sink: counts-store-repartition-sink (topic: counts-store-repartition)',
        '      <-- counts-store-repartition-filter',
        '',
        '  Sub-topology: 1',
        '    Source: counts-store-repartition-source (topics: [counts-store-repartition])',
        '      --> KSTREAM-AGGREGATE-0000000003',
        '    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts-store])',
        '      --> KTABLE-TOSTREAM-0000000007',
        '      <-- counts-store-repartition-source',
        '    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])',
        '      --> KSTREAM-SINK-0000000008',
        '      <-- KSTREAM-AGGREGATE-0000000003',
        '    Sink: KSTREAM-SINK-0000000008 (topic: streams-wordcount-output)',
        '      <-- KTABLE-TOSTREAM-0000000007',
        '',
        '',
      ),
    );
  });

  it('word count without a store name: generated store, repartition and node names (indexes burned as in Kafka)', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('streams-plaintext-input')
      .flatMapValues((value) => value.split(' '))
      .groupBy((_key, value) => value)
      .count()
      .toStream()
      .to('streams-wordcount-output');
    expect(builder.build().describe().toString()).toBe(
      lines(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])',
        '      --> KSTREAM-FLATMAPVALUES-0000000001',
        '    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])',
        '      --> KSTREAM-KEY-SELECT-0000000002',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])',
        '      --> KSTREAM-FILTER-0000000006',
        '      <-- KSTREAM-FLATMAPVALUES-0000000001',
        '    Processor: KSTREAM-FILTER-0000000006 (stores: [])',
        '      --> KSTREAM-SINK-0000000005',
        '      <-- KSTREAM-KEY-SELECT-0000000002',
        '    Sink: KSTREAM-SINK-0000000005 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)',
        '      <-- KSTREAM-FILTER-0000000006',
        '',
        '  Sub-topology: 1',
        '    Source: KSTREAM-SOURCE-0000000007 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])',
        '      --> KSTREAM-AGGREGATE-0000000004',
        '    Processor: KSTREAM-AGGREGATE-0000000004 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000003])',
        '      --> KTABLE-TOSTREAM-0000000008',
        '      <-- KSTREAM-SOURCE-0000000007',
        '    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])',
        '      --> KSTREAM-SINK-0000000009',
        '      <-- KSTREAM-AGGREGATE-0000000004',
        '    Sink: KSTREAM-SINK-0000000009 (topic: streams-wordcount-output)',
        '      <-- KTABLE-TOSTREAM-0000000008',
        '',
        '',
      ),
    );
  });

  // Kafka Streams' TopologyTest: kGroupedStream{ZeroArg,NamedMaterialized,AnonymousMaterialized}CountShouldPreserveTopologyStructure
  it.each([
    ['count()', (b: StreamsBuilder) => b.stream('input-topic').groupByKey().count(), 'KSTREAM-AGGREGATE-0000000002', 'KSTREAM-AGGREGATE-STATE-STORE-0000000001'],
    ['count(Materialized.as)', (b: StreamsBuilder) => b.stream('input-topic').groupByKey().count(Materialized.as('count-store')), 'KSTREAM-AGGREGATE-0000000001', 'count-store'],
    [
      'count(Materialized.with)',
      (b: StreamsBuilder) => b.stream('input-topic').groupByKey().count(Materialized.with(undefined, longSerde())),
      'KSTREAM-AGGREGATE-0000000003',
      'KSTREAM-AGGREGATE-STATE-STORE-0000000002',
    ],
  ])('grouped stream %s keeps Kafka topology structure', (_label, program, aggregate, store) => {
    const builder = new StreamsBuilder();
    program(builder);
    expect(builder.build().describe().toString()).toBe(
      lines(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])',
        `      --> ${aggregate}`,
        `    Processor: ${aggregate} (stores: [${store}])`,
        '      --> none',
        '      <-- KSTREAM-SOURCE-0000000000',
        '',
        '',
      ),
    );
  });

  // Kafka Streams' TopologyTest: table{ZeroArg,NamedMaterialized,AnonymousMaterialized}CountShouldPreserveTopologyStructure
  it.each([
    ['count()', undefined, 'KSTREAM-SINK-0000000005', 'KSTREAM-SOURCE-0000000006', 'KTABLE-AGGREGATE-0000000007', 'KTABLE-AGGREGATE-STATE-STORE-0000000004'],
    ['count(Materialized.as)', Materialized.as<unknown, number>('count-store'), 'KSTREAM-SINK-0000000004', 'KSTREAM-SOURCE-0000000005', 'KTABLE-AGGREGATE-0000000006', 'count-store'],
    [
      'count(Materialized.with)',
      Materialized.with<unknown, number>(undefined, longSerde()),
      'KSTREAM-SINK-0000000005',
      'KSTREAM-SOURCE-0000000006',
      'KTABLE-AGGREGATE-0000000007',
      'KTABLE-AGGREGATE-STATE-STORE-0000000004',
    ],
  ])('grouped table %s: the groupBy-aggregate structure Kafka pins', (_label, materialized, sink, source, aggregate, store) => {
    const builder = new StreamsBuilder();
    builder
      .table('input-topic')
      .groupBy((key, value) => ({ key: value, value: key }))
      .count(materialized);
    expect(builder.build().describe().toString()).toBe(
      lines(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])',
        '      --> KTABLE-SOURCE-0000000002',
        '    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])',
        '      --> KTABLE-SELECT-0000000003',
        '      <-- KSTREAM-SOURCE-0000000001',
        '    Processor: KTABLE-SELECT-0000000003 (stores: [])',
        `      --> ${sink}`,
        '      <-- KTABLE-SOURCE-0000000002',
        `    Sink: ${sink} (topic: ${store}-repartition)`,
        '      <-- KTABLE-SELECT-0000000003',
        '',
        '  Sub-topology: 1',
        `    Source: ${source} (topics: [${store}-repartition])`,
        `      --> ${aggregate}`,
        `    Processor: ${aggregate} (stores: [${store}])`,
        '      --> none',
        `      <-- ${source}`,
        '',
        '',
      ),
    );
  });

  // Kafka Streams' TopologyTest: kTable{Non,Anonymous,Named}Materialized{Filter,MapValues}ShouldPreserveTopologyStructure
  it.each([
    ['filter', (t: ReturnType<StreamsBuilder['table']>) => t.filter(() => false), 'KTABLE-FILTER-0000000003', ''],
    ['filter + Materialized.with', (t: ReturnType<StreamsBuilder['table']>) => t.filter(() => false, Materialized.with(undefined, undefined)), 'KTABLE-FILTER-0000000004', ''],
    ['filter + Materialized.as', (t: ReturnType<StreamsBuilder['table']>) => t.filter(() => false, Materialized.as('store-name')), 'KTABLE-FILTER-0000000003', 'store-name'],
    ['mapValues', (t: ReturnType<StreamsBuilder['table']>) => t.mapValues(() => null), 'KTABLE-MAPVALUES-0000000003', ''],
    ['mapValues + Materialized.with', (t: ReturnType<StreamsBuilder['table']>) => t.mapValues(() => null, Materialized.with(undefined, undefined)), 'KTABLE-MAPVALUES-0000000004', ''],
    ['mapValues + Materialized.as', (t: ReturnType<StreamsBuilder['table']>) => t.mapValues(() => null, Materialized.as('store-name')), 'KTABLE-MAPVALUES-0000000003', 'store-name'],
  ])('table %s materializes only named stores', (_label, op, processor, store) => {
    const builder = new StreamsBuilder();
    op(builder.table('input-topic'));
    expect(builder.build().describe().toString()).toBe(
      lines(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])',
        '      --> KTABLE-SOURCE-0000000002',
        '    Processor: KTABLE-SOURCE-0000000002 (stores: [])',
        `      --> ${processor}`,
        '      <-- KSTREAM-SOURCE-0000000001',
        `    Processor: ${processor} (stores: [${store}])`,
        '      --> none',
        '      <-- KTABLE-SOURCE-0000000002',
        '',
        '',
      ),
    );
  });

  it('names the store and repartition after the operation index, as the Confluent naming tutorial shows', () => {
    const plain = new StreamsBuilder();
    plain.stream<number, string>('input', Consumed.with(Serdes.Integer(), Serdes.String())).selectKey((_k, v) => Number(v[0])).groupByKey().count().toStream();
    const text = plain.build().describe().toString();
    expect(text).toContain('Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])');
    expect(text).toContain('Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition)');

    const filtered = new StreamsBuilder();
    filtered
      .stream<number, string>('input', Consumed.with(Serdes.Integer(), Serdes.String()))
      .selectKey((_k, v) => Number(v[0]))
      .filter((k) => k !== 100)
      .groupByKey()
      .count()
      .toStream();
    expect(filtered.build().describe().toString()).toContain('(topic: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)');
  });

  it('uses Named, Grouped and Consumed names for nodes and topics', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('input', Consumed.as('read-input'))
      .filter((_k, v) => v !== '', Named.as('non-empty'))
      .groupBy((_k, v) => v, Grouped.as('by-value'))
      .count(Named.as('count'), Materialized.as('counts'))
      .toStream(Named.as('changes'));
    const text = builder.build().describe().toString();
    expect(text).toContain('Source: read-input (topics: [input])');
    expect(text).toContain('Processor: non-empty (stores: [])');
    expect(text).toContain('Processor: by-value (stores: [])\n      --> by-value-repartition-filter');
    expect(text).toContain('Sink: by-value-repartition-sink (topic: by-value-repartition)');
    expect(text).toContain('Processor: count (stores: [counts])\n      --> changes');
  });

  it('matches Kafka StreamsGraphTest: merges of key-changed streams with optimization', () => {
    const builder = new StreamsBuilder();
    const parent = builder.stream('input_topic', Consumed.with(Serdes.Integer(), Serdes.Integer())).selectKey((k, v) => k + v);
    const child1 = parent.mapValues((v) => v + 1);
    const child2 = parent.mapValues((v) => v + 2);
    const child3 = parent.mapValues((v) => v + 3);
    child1.merge(child2).merge(child3).to('output_topic');
    expect(builder.build({ optimization: 'all' }).describe().toString()).toBe(
      lines(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input_topic])',
        '      --> KSTREAM-KEY-SELECT-0000000001',
        '    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])',
        '      --> KSTREAM-MAPVALUES-0000000002, KSTREAM-MAPVALUES-0000000003, KSTREAM-MAPVALUES-0000000004',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])',
        '      --> KSTREAM-MERGE-0000000005',
        '      <-- KSTREAM-KEY-SELECT-0000000001',
        '    Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])',
        '      --> KSTREAM-MERGE-0000000005',
        '      <-- KSTREAM-KEY-SELECT-0000000001',
        '    Processor: KSTREAM-MAPVALUES-0000000004 (stores: [])',
        '      --> KSTREAM-MERGE-0000000006',
        '      <-- KSTREAM-KEY-SELECT-0000000001',
        '    Processor: KSTREAM-MERGE-0000000005 (stores: [])',
        '      --> KSTREAM-MERGE-0000000006',
        '      <-- KSTREAM-MAPVALUES-0000000002, KSTREAM-MAPVALUES-0000000003',
        '    Processor: KSTREAM-MERGE-0000000006 (stores: [])',
        '      --> KSTREAM-SINK-0000000007',
        '      <-- KSTREAM-MERGE-0000000005, KSTREAM-MAPVALUES-0000000004',
        '    Sink: KSTREAM-SINK-0000000007 (topic: output_topic)',
        '      <-- KSTREAM-MERGE-0000000006',
        '',
        '',
      ),
    );
  });
});

describe('StreamsBuilder.build()', () => {
  it('prefixes repartition topics with the application id but describes them without it', () => {
    const builder = new StreamsBuilder();
    builder.stream<string, string>('words').groupBy((_k, w) => w).count(Materialized.as('counts'));
    const topology = builder.build({ applicationId: 'wc' }) as CompiledTopology;
    const built = topology.build();
    expect(built.subtopologies.flatMap((s) => s.sinkTopics)).toEqual(['wc-counts-repartition']);
    expect(built.subtopologies[1]!.repartitionTopics).toEqual(['wc-counts-repartition']);
    expect(topology.describe().toString()).toContain('Sink: counts-repartition-sink (topic: counts-repartition)');
    expect([...topology.repartitionTopics.keys()]).toEqual(['wc-counts-repartition']);
  });

  it('forApplication() recompiles the same program for an application id, keeping names', () => {
    const builder = new StreamsBuilder();
    builder.stream<string, string>('words').groupBy((_k, w) => w).count();
    const bare = builder.build() as CompiledTopology;
    expect(bare.build().subtopologies[0]!.sinkTopics).toEqual(['KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition']);
    const forApp = bare.forApplication({ applicationId: 'app' });
    expect(forApp.build().subtopologies[0]!.sinkTopics).toEqual(['app-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition']);
    expect(forApp.describe().toString()).toBe(bare.describe().toString());
    expect(forApp.forApplication({ applicationId: 'app' })).toBe(forApp);
  });

  it('merges two stream() calls on the same topic into one source, and rejects overlapping topic sets', () => {
    const builder = new StreamsBuilder();
    builder.stream('a').to('out-1');
    builder.stream('a').to('out-2');
    const text = builder.build().describe().toString();
    expect(text).toContain('Source: KSTREAM-SOURCE-0000000000 (topics: [a])\n      --> KSTREAM-SINK-0000000001, KSTREAM-SINK-0000000003');
    expect(text).not.toContain('KSTREAM-SOURCE-0000000002');

    const overlapping = new StreamsBuilder();
    overlapping.stream(['a', 'b']).to('x');
    overlapping.stream('a').to('y');
    expect(() => overlapping.build()).toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID' }));
  });

  it('connects process() to stores added with addStateStore, in any order', () => {
    const builder = new StreamsBuilder();
    builder.stream<string, string>('in').process(() => ({ process: () => undefined }), 'seen');
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('seen'), Serdes.String(), Serdes.String()));
    expect(builder.build().describe().toString()).toContain('Processor: KSTREAM-PROCESSOR-0000000001 (stores: [seen])');
  });

  it('rejects bad configs, bad names and unsupported operations with typed errors', () => {
    const builder = new StreamsBuilder();
    expect(() => builder.build({ optimization: 'most' as never })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => builder.build({ applicationId: 'a b' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => Named.as('has space')).toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID' }));
    expect(() => builder.globalTable('')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => builder.stream([])).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => builder.stream('x').filter(null as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    const dup = new StreamsBuilder();
    dup.stream('a').filter(() => true, Named.as('same')).filter(() => true, Named.as('same'));
    let error: unknown;
    try {
      dup.build();
    } catch (e: unknown) {
      error = e;
    }
    expect(isStreamsError(error, 'TOPOLOGY_INVALID')).toBe(true);
  });
});
