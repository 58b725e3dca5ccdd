import { describe, expect, it } from 'vitest';
import type { ProcessorSupplier } from '../processor/processor.js';
import type { TopicNameExtractor } from '../processor/topic-name-extractor.js';
import type { StateStore } from '../state/state-store.js';
import type { StoreBuilder } from '../state/store-builder.js';
import { Topology } from './topology.js';

// Golden strings below are Kafka Streams' own `describe().toString()` output for topologies built here with the
// same node names, node order and store connections as Kafka's DSL builds them; each names its source.

const noop: ProcessorSupplier<unknown, unknown> = () => ({ process() {} });

function store(name: string, loggingEnabled = true): StoreBuilder<StateStore> {
  const builder: StoreBuilder<StateStore> = {
    name,
    loggingEnabled,
    logConfig: {},
    cachingEnabled: false,
    withCachingEnabled: () => builder,
    withCachingDisabled: () => builder,
    withLoggingEnabled: () => builder,
    withLoggingDisabled: () => store(name, false),
    build: () => {
      throw new Error('not built in these tests');
    },
  };
  return builder;
}

const text = (...lines: string[]): string => lines.join('\n') + '\n';

/** The nodes Kafka's StreamStreamJoinNode writes for `stream1.<join>(stream2, ...)` (KStreamImplJoin). */
function streamStreamJoin(thisJoin: string, otherJoin: string, stores: { self: string; other: string; shared?: string }): Topology {
  const t = new Topology()
    .addSource('KSTREAM-SOURCE-0000000000', 'input-topic1')
    .addSource('KSTREAM-SOURCE-0000000001', 'input-topic2')
    .addProcessor('KSTREAM-WINDOWED-0000000002', noop, 'KSTREAM-SOURCE-0000000000')
    .addProcessor('KSTREAM-WINDOWED-0000000003', noop, 'KSTREAM-SOURCE-0000000001')
    .addProcessor(thisJoin, noop, 'KSTREAM-WINDOWED-0000000002')
    .addProcessor(otherJoin, noop, 'KSTREAM-WINDOWED-0000000003')
    .addProcessor('KSTREAM-MERGE-0000000006', noop, thisJoin, otherJoin)
    .addStateStore(store(stores.self), 'KSTREAM-WINDOWED-0000000002', otherJoin)
    .addStateStore(store(stores.other), 'KSTREAM-WINDOWED-0000000003', thisJoin);
  if (stores.shared !== undefined) t.addStateStore(store(stores.shared), thisJoin, otherJoin);
  return t;
}

describe('TopologyDescription.toString() (Kafka Streams goldens)', () => {
  it('prints an empty topology as Kafka does (TopologyDescription.toString in InternalTopologyBuilder)', () => {
    expect(new Topology().describe().toString()).toBe('Topologies:\n ');
  });

  it("prints Kafka's WordCountProcessorDemo (streams/examples; golden as in io.confluent.devx TopologyVisualizer)", () => {
    const t = new Topology()
      .addSource('Source', 'streams-plaintext-input')
      .addProcessor('Process', noop, 'Source')
      .addStateStore(store('Counts'), 'Process')
      .addSink('Sink', 'streams-wordcount-processor-output', {}, 'Process');
    expect(t.describe().toString()).toBe(
      text(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: Source (topics: [streams-plaintext-input])',
        '      --> Process',
        '    Processor: Process (stores: [Counts])',
        '      --> Sink',
        '      <-- Source',
        '    Sink: Sink (topic: streams-wordcount-processor-output)',
        '      <-- Process',
        '',
      ),
    );
  });

  it('prints the word count of the Kafka docs\' Streams tutorial ("Tutorial: Write a Kafka Streams Application")', () => {
    const t = new Topology()
      .addSource('KSTREAM-SOURCE-0000000000', 'streams-plaintext-input')
      .addProcessor('KSTREAM-FLATMAPVALUES-0000000001', noop, 'KSTREAM-SOURCE-0000000000')
      .addProcessor('KSTREAM-KEY-SELECT-0000000002', noop, 'KSTREAM-FLATMAPVALUES-0000000001')
      .addProcessor('counts-store-repartition-filter', noop, 'KSTREAM-KEY-SELECT-0000000002')
      .addSink('counts-store-repartition-sink', 'counts-store-repartition', {}, 'counts-store-repartition-filter')
      .addSource('counts-store-repartition-source', 'counts-store-repartition')
      .addProcessor('KSTREAM-AGGREGATE-0000000003', noop, 'counts-store-repartition-source')
      .addStateStore(store('counts-store'), 'KSTREAM-AGGREGATE-0000000003')
      .addProcessor('KTABLE-TOSTREAM-0000000007', noop, 'KSTREAM-AGGREGATE-0000000003')
      .addSink('KSTREAM-SINK-0000000008', 'streams-wordcount-output', {}, 'KTABLE-TOSTREAM-0000000007');
    // The docs show the text trimmed; toString() ends each sub-topology with a blank line.
    expect(t.describe().toString()).toBe(
      text(
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
      ),
    );
  });

  it('orders parents by sub-tree size as the sets were filled (TopologyTest.streamStreamJoinTopologyWithDefaultStoresNames)', () => {
    const t = streamStreamJoin('KSTREAM-JOINTHIS-0000000004', 'KSTREAM-JOINOTHER-0000000005', {
      self: 'KSTREAM-JOINTHIS-0000000004-store',
      other: 'KSTREAM-JOINOTHER-0000000005-store',
    });
    expect(t.describe().toString()).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic1])\n' +
        '      --> KSTREAM-WINDOWED-0000000002\n' +
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic2])\n' +
        '      --> KSTREAM-WINDOWED-0000000003\n' +
        '    Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n' +
        '      --> KSTREAM-JOINTHIS-0000000004\n' +
        '      <-- KSTREAM-SOURCE-0000000000\n' +
        '    Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n' +
        '      --> KSTREAM-JOINOTHER-0000000005\n' +
        '      <-- KSTREAM-SOURCE-0000000001\n' +
        '    Processor: KSTREAM-JOINOTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n' +
        '      --> KSTREAM-MERGE-0000000006\n' +
        '      <-- KSTREAM-WINDOWED-0000000003\n' +
        '    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n' +
        '      --> KSTREAM-MERGE-0000000006\n' +
        '      <-- KSTREAM-WINDOWED-0000000002\n' +
        '    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n' +
        '      --> none\n' +
        '      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005\n\n',
    );
  });

  it('prints store lists in Java HashSet order (TopologyTest.streamStreamLeftJoinTopologyWithDefaultStoresNames)', () => {
    const t = streamStreamJoin('KSTREAM-JOINTHIS-0000000004', 'KSTREAM-OUTEROTHER-0000000005', {
      self: 'KSTREAM-JOINTHIS-0000000004-store',
      other: 'KSTREAM-OUTEROTHER-0000000005-store',
      shared: 'KSTREAM-OUTERSHARED-0000000004-store',
    });
    const lines = t.describe().toString().split('\n');
    expect(lines).toContain(
      '    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-OUTEROTHER-0000000005-store, KSTREAM-OUTERSHARED-0000000004-store])',
    );
    expect(lines).toContain(
      '    Processor: KSTREAM-OUTEROTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store, KSTREAM-OUTERSHARED-0000000004-store])',
    );
    expect(lines.at(-3)).toBe('      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-OUTEROTHER-0000000005');
  });

  it('prints stores neither sorted nor in connection order (TopologyTest.streamStreamOuterJoinTopologyWithCustomStoresSuppliers)', () => {
    const t = streamStreamJoin('KSTREAM-OUTERTHIS-0000000004', 'KSTREAM-OUTEROTHER-0000000005', {
      self: 'in-memory-join-store',
      other: 'in-memory-join-store-other',
      shared: 'in-memory-join-store-outer-shared-join-store',
    });
    expect(t.describe().toString()).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic1])\n' +
        '      --> KSTREAM-WINDOWED-0000000002\n' +
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic2])\n' +
        '      --> KSTREAM-WINDOWED-0000000003\n' +
        '    Processor: KSTREAM-WINDOWED-0000000002 (stores: [in-memory-join-store])\n' +
        '      --> KSTREAM-OUTERTHIS-0000000004\n' +
        '      <-- KSTREAM-SOURCE-0000000000\n' +
        '    Processor: KSTREAM-WINDOWED-0000000003 (stores: [in-memory-join-store-other])\n' +
        '      --> KSTREAM-OUTEROTHER-0000000005\n' +
        '      <-- KSTREAM-SOURCE-0000000001\n' +
        '    Processor: KSTREAM-OUTEROTHER-0000000005 (stores: [in-memory-join-store-outer-shared-join-store, in-memory-join-store])\n' +
        '      --> KSTREAM-MERGE-0000000006\n' +
        '      <-- KSTREAM-WINDOWED-0000000003\n' +
        '    Processor: KSTREAM-OUTERTHIS-0000000004 (stores: [in-memory-join-store-other, in-memory-join-store-outer-shared-join-store])\n' +
        '      --> KSTREAM-MERGE-0000000006\n' +
        '      <-- KSTREAM-WINDOWED-0000000002\n' +
        '    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n' +
        '      --> none\n' +
        '      <-- KSTREAM-OUTERTHIS-0000000004, KSTREAM-OUTEROTHER-0000000005\n\n',
    );
  });

  it('prints a dynamic sink with its extractor (TopologyTest.topologyWithDynamicRoutingShouldDescribeExtractorClass)', () => {
    const extractor: TopicNameExtractor<unknown, unknown> = Object.assign(
      (key: unknown, _value: unknown, ctx: { topic: string | null }) => `${ctx.topic ?? ''}-${String(key)}`,
      { toString: () => 'anonymous topic name extractor. topic is [recordContext.topic()]-[key]' },
    );
    const t = new Topology()
      .addSource('KSTREAM-SOURCE-0000000000', 'input-topic')
      .addSink('KSTREAM-SINK-0000000001', extractor, {}, 'KSTREAM-SOURCE-0000000000');
    expect(t.describe().toString()).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n' +
        '      --> KSTREAM-SINK-0000000001\n' +
        '    Sink: KSTREAM-SINK-0000000001 (extractor class: anonymous topic name extractor. topic is [recordContext.topic()]-[key])\n' +
        '      <-- KSTREAM-SOURCE-0000000000\n\n',
    );
    const named = function byKey(): string {
      return 'x';
    };
    const described = new Topology().addSource('s', 'in').addSink('k', named, {}, 's').describe().toString();
    expect(described).toContain('Sink: k (extractor class: byKey)');
  });

  it('prints a KTable count with its repartition (TopologyTest.tableZeroArgCountShouldPreserveTopologyStructure)', () => {
    const t = new Topology()
      .addSource('KSTREAM-SOURCE-0000000001', 'input-topic')
      .addProcessor('KTABLE-SOURCE-0000000002', noop, 'KSTREAM-SOURCE-0000000001')
      .addStateStore(store('input-topic-STATE-STORE-0000000000'), 'KTABLE-SOURCE-0000000002')
      .addProcessor('KTABLE-SELECT-0000000003', noop, 'KTABLE-SOURCE-0000000002')
      .addSink('KSTREAM-SINK-0000000005', 'KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition', {}, 'KTABLE-SELECT-0000000003')
      .addSource('KSTREAM-SOURCE-0000000006', 'KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition')
      .addProcessor('KTABLE-AGGREGATE-0000000007', noop, 'KSTREAM-SOURCE-0000000006')
      .addStateStore(store('KTABLE-AGGREGATE-STATE-STORE-0000000004'), 'KTABLE-AGGREGATE-0000000007');
    expect(t.describe().toString()).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n' +
        '      --> KTABLE-SOURCE-0000000002\n' +
        '    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n' +
        '      --> KTABLE-SELECT-0000000003\n' +
        '      <-- KSTREAM-SOURCE-0000000001\n' +
        '    Processor: KTABLE-SELECT-0000000003 (stores: [])\n' +
        '      --> KSTREAM-SINK-0000000005\n' +
        '      <-- KTABLE-SOURCE-0000000002\n' +
        '    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n' +
        '      <-- KTABLE-SELECT-0000000003\n' +
        '\n' +
        '  Sub-topology: 1\n' +
        '    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n' +
        '      --> KTABLE-AGGREGATE-0000000007\n' +
        '    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n' +
        '      --> none\n' +
        '      <-- KSTREAM-SOURCE-0000000006\n' +
        '\n',
    );
  });

  it('prints a lone global store (Kafka Streams Internals, "Demo: GlobalKTable": println(topology.describe))', () => {
    const t = new Topology().addGlobalStore(
      store('demo-global-table-STATE-STORE-0000000000', false),
      'KSTREAM-SOURCE-0000000001',
      {},
      'demo-global-table',
      'KTABLE-SOURCE-0000000002',
      noop,
    );
    expect(t.describe().toString()).toBe(
      text(
        'Topologies:',
        '   Sub-topology: 0 for global store (will not generate tasks)',
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [demo-global-table])',
        '      --> KTABLE-SOURCE-0000000002',
        '    Processor: KTABLE-SOURCE-0000000002 (stores: [demo-global-table-STATE-STORE-0000000000])',
        '      --> none',
        '      <-- KSTREAM-SOURCE-0000000001',
      ),
    );
  });

  it("interleaves a global store by id and orders a node's four children as Kafka did (logged output of a Kafka Streams 3 app, com.whipitupitude.streams.Streams)", () => {
    // Final sub-tree sizes would put MAP (3) before LEFTJOIN (2); Kafka's sizes while filling the set say otherwise.
    const lambda = Object.assign(() => 'trades.stream.buy', {
      toString: () => 'com.whipitupitude.streams.Streams$$Lambda$4/0x0000000800c143a0@70ed52de',
    });
    const t = new Topology()
      .addSource('KSTREAM-SOURCE-0000000000', 'trades')
      .addSink('KSTREAM-SINK-0000000001', lambda, {}, 'KSTREAM-SOURCE-0000000000')
      .addGlobalStore(store('positions-STATE-STORE-0000000002', false), 'KSTREAM-SOURCE-0000000003', {}, 'positions', 'KTABLE-SOURCE-0000000004', noop)
      .addProcessor('KSTREAM-LEFTJOIN-0000000005', noop, 'KSTREAM-SOURCE-0000000000')
      .addSink('KSTREAM-SINK-0000000006', 'trades.stream.opportunities', {}, 'KSTREAM-LEFTJOIN-0000000005')
      .addProcessor('KSTREAM-MAPVALUES-0000000007', noop, 'KSTREAM-SOURCE-0000000000')
      .addProcessor('KSTREAM-MAP-0000000008', noop, 'KSTREAM-SOURCE-0000000000')
      .addProcessor('KSTREAM-FILTER-0000000011', noop, 'KSTREAM-MAP-0000000008')
      .addSink('KSTREAM-SINK-0000000010', 'KSTREAM-TOTABLE-0000000009-repartition', {}, 'KSTREAM-FILTER-0000000011')
      .addSource('KSTREAM-SOURCE-0000000012', 'KSTREAM-TOTABLE-0000000009-repartition')
      .addProcessor('KSTREAM-TOTABLE-0000000009', noop, 'KSTREAM-SOURCE-0000000012')
      .addStateStore(store('prices-table'), 'KSTREAM-TOTABLE-0000000009')
      .addProcessor('KTABLE-TOSTREAM-0000000013', noop, 'KSTREAM-TOTABLE-0000000009')
      .addSink('KSTREAM-SINK-0000000014', 'prices', {}, 'KTABLE-TOSTREAM-0000000013');
    expect(t.describe().toString()).toBe(
      text(
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [trades])',
        '      --> KSTREAM-LEFTJOIN-0000000005, KSTREAM-MAP-0000000008, KSTREAM-MAPVALUES-0000000007, KSTREAM-SINK-0000000001',
        '    Processor: KSTREAM-MAP-0000000008 (stores: [])',
        '      --> KSTREAM-FILTER-0000000011',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-FILTER-0000000011 (stores: [])',
        '      --> KSTREAM-SINK-0000000010',
        '      <-- KSTREAM-MAP-0000000008',
        '    Processor: KSTREAM-LEFTJOIN-0000000005 (stores: [])',
        '      --> KSTREAM-SINK-0000000006',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-MAPVALUES-0000000007 (stores: [])',
        '      --> none',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Sink: KSTREAM-SINK-0000000001 (extractor class: com.whipitupitude.streams.Streams$$Lambda$4/0x0000000800c143a0@70ed52de)',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Sink: KSTREAM-SINK-0000000006 (topic: trades.stream.opportunities)',
        '      <-- KSTREAM-LEFTJOIN-0000000005',
        '    Sink: KSTREAM-SINK-0000000010 (topic: KSTREAM-TOTABLE-0000000009-repartition)',
        '      <-- KSTREAM-FILTER-0000000011',
        '',
        '  Sub-topology: 1 for global store (will not generate tasks)',
        '    Source: KSTREAM-SOURCE-0000000003 (topics: [positions])',
        '      --> KTABLE-SOURCE-0000000004',
        '    Processor: KTABLE-SOURCE-0000000004 (stores: [positions-STATE-STORE-0000000002])',
        '      --> none',
        '      <-- KSTREAM-SOURCE-0000000003',
        '  Sub-topology: 2',
        '    Source: KSTREAM-SOURCE-0000000012 (topics: [KSTREAM-TOTABLE-0000000009-repartition])',
        '      --> KSTREAM-TOTABLE-0000000009',
        '    Processor: KSTREAM-TOTABLE-0000000009 (stores: [prices-table])',
        '      --> KTABLE-TOSTREAM-0000000013',
        '      <-- KSTREAM-SOURCE-0000000012',
        '    Processor: KTABLE-TOSTREAM-0000000013 (stores: [])',
        '      --> KSTREAM-SINK-0000000014',
        '      <-- KSTREAM-TOTABLE-0000000009',
        '    Sink: KSTREAM-SINK-0000000014 (topic: prices)',
        '      <-- KTABLE-TOSTREAM-0000000013',
        '',
      ),
    );
  });

  it('prints pattern sources by their pattern and topic lists in HashSet order (Source.toString in InternalTopologyBuilder)', () => {
    const t = new Topology().addSource('metrics', /metrics-\d+/).addSource('orders', ['orders-us', 'orders-eu', 'orders-apac']);
    const out = t.describe().toString();
    expect(out).toContain('    Source: metrics (topics: metrics-\\d+)\n      --> none\n');
    // Checked with OpenJDK 17: new HashSet<>(Arrays.asList("orders-us", "orders-eu", "orders-apac")) prints
    // [orders-us, orders-apac, orders-eu]; Pattern.compile("metrics-\\d+") prints metrics-\d+.
    expect(out).toContain('    Source: orders (topics: [orders-us, orders-apac, orders-eu])\n      --> none\n');
  });
});

describe('TopologyDescription structure', () => {
  it('exposes frozen sub-topologies and nodes with neighbours in print order', () => {
    const d = new Topology()
      .addSource('src', 'in')
      .addProcessor('b', noop, 'src')
      .addProcessor('a', noop, 'src')
      .addSink('out', 'result', {}, 'a', 'b')
      .describe();
    expect(d.subtopologies.map((s) => s.id)).toEqual([0]);
    const nodes = d.subtopologies[0]!.nodes;
    expect(nodes.map((n) => n.name)).toEqual(['src', 'a', 'b', 'out']);
    expect(nodes[0]!.successors.map((n) => n.name)).toEqual(['a', 'b']);
    const sink = nodes[3]!;
    expect(sink.kind === 'sink' && sink.topic).toBe('result');
    expect(sink.predecessors.map((n) => n.name)).toEqual(['a', 'b']);
    expect(Object.isFrozen(d)).toBe(true);
    expect(Object.isFrozen(nodes)).toBe(true);
    expect(Object.isFrozen(sink)).toBe(true);
    expect(Object.isFrozen(sink.predecessors)).toBe(true);
  });
});

describe('TopologyDescription.toMermaid()', () => {
  it('draws sub-topologies, global stores, topics and stores (golden)', () => {
    const t = new Topology()
      .addSource('lines', 'text-lines')
      .addProcessor('split', noop, 'lines')
      .addSink('to-repartition', 'words-repartition', {}, 'split')
      .addSource('words', 'words-repartition')
      .addProcessor('count', noop, 'words')
      .addStateStore(store('counts'), 'count')
      .addSink('out', 'word-counts', {}, 'count')
      .addGlobalStore(store('stop-words', false), 'stop-source', {}, 'stop-words', 'stop-updater', noop)
      .addSource('audit', /audit-.*/)
      .addSink('route', function byLanguage(): string {
        return 'x';
      }, {}, 'audit');
    expect(t.describe().toMermaid()).toBe(
      text(
        'flowchart TD',
        '  t0[/"text-lines"/]',
        '  t1[/"words-repartition"/]',
        '  t2[/"word-counts"/]',
        '  t3[/"stop-words"/]',
        '  t4[/"/audit-.*/"/]',
        '  t5[/"extractor: byLanguage"/]',
        '  subgraph sub0["Sub-topology: 0"]',
        '    n0(["lines"])',
        '    n1["split"]',
        '    n2[/"to-repartition"\\]',
        '  end',
        '  subgraph sub1["Sub-topology: 1"]',
        '    n3(["words"])',
        '    n4["count"]',
        '    n5[/"out"\\]',
        '    s0[("counts")]',
        '  end',
        '  subgraph sub2["Sub-topology: 2 for global store"]',
        '    n6(["stop-source"])',
        '    n7["stop-updater"]',
        '    s1[("stop-words")]',
        '  end',
        '  subgraph sub3["Sub-topology: 3"]',
        '    n8(["audit"])',
        '    n9[/"route"\\]',
        '  end',
        '  t0 --> n0',
        '  n0 --> n1',
        '  n1 --> n2',
        '  n2 --> t1',
        '  t1 --> n3',
        '  n3 --> n4',
        '  n4 --> n5',
        '  n4 -.- s0',
        '  n5 --> t2',
        '  t3 --> n6',
        '  n6 --> n7',
        '  n7 -.- s1',
        '  t4 --> n8',
        '  n8 --> n9',
        '  n9 --> t5',
      ),
    );
  });

  it('escapes quotes, # and angle brackets in labels', () => {
    const out = new Topology().addSource('say "hi" #1 <x>', 'in').describe().toMermaid();
    expect(out).toContain('n0(["say #quot;hi#quot; #35;1 #lt;x#gt;"])');
  });
});
