import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { ProcessorSupplier } from '../../src/processor/processor.js';
import { Serdes } from '../../src/serdes/serdes.js';
import { Topology } from '../../src/topology/topology.js';
import { Stores } from '../../state-stores/stores.js';
import { topologyGraph, type TopologyGraph } from './topology-graph.js';

const noop: ProcessorSupplier<unknown, unknown> = () => ({ process() {} });

function keyValueStore(name: string) {
  return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.String());
}

/** Every node id of the graph (sub-topology nodes and topics). */
function ids(graph: TopologyGraph): string[] {
  return [...graph.subtopologies.flatMap((s) => s.nodes.map((n) => n.id)), ...graph.topics.map((t) => t.id)];
}

describe('topologyGraph', () => {
  it('draws a word count: two sub-topologies linked by the repartition topic, the store beside the count', () => {
    const topology = new Topology()
      .addSource('Source', 'lines')
      .addProcessor('Split', noop, 'Source')
      .addSink('ToRepartition', 'words-repartition', {}, 'Split')
      .addSource('Words', 'words-repartition')
      .addProcessor('Count', noop, 'Words')
      .addStateStore(keyValueStore('counts'), 'Count')
      .addSink('Out', 'counts', {}, 'Count');
    const graph = topologyGraph(topology.describe());
    expect(graph.subtopologies).toEqual([
      {
        id: 0,
        isGlobal: false,
        nodes: [
          { id: 'node:Source', kind: 'source', label: 'Source' },
          { id: 'node:Split', kind: 'processor', label: 'Split' },
          { id: 'node:ToRepartition', kind: 'sink', label: 'ToRepartition' },
        ],
      },
      {
        id: 1,
        isGlobal: false,
        nodes: [
          { id: 'node:Words', kind: 'source', label: 'Words' },
          { id: 'node:Count', kind: 'processor', label: 'Count' },
          { id: 'node:Out', kind: 'sink', label: 'Out' },
          { id: 'store:counts', kind: 'store', label: 'counts' },
        ],
      },
    ]);
    expect(graph.topics).toEqual([
      { id: 'topic:lines', kind: 'topic', label: 'lines' },
      { id: 'topic:words-repartition', kind: 'topic', label: 'words-repartition' },
      { id: 'topic:counts', kind: 'topic', label: 'counts' },
    ]);
    expect(graph.edges.map((e) => `${e.from} ${e.kind === 'flow' ? '-->' : '---'} ${e.to}`)).toEqual([
      'topic:lines --> node:Source',
      'node:Source --> node:Split',
      'node:Split --> node:ToRepartition',
      'node:ToRepartition --> topic:words-repartition',
      'topic:words-repartition --> node:Words',
      'node:Words --> node:Count',
      'node:Count --> node:Out',
      'node:Count --- store:counts',
      'node:Out --> topic:counts',
    ]);
  });

  it('labels pattern sources and extractor sinks as Mermaid does, and keeps global stores as their own sub-topology', () => {
    const topology = new Topology()
      .addSource('orders', /orders-.+/)
      .addProcessor('enrich', noop, 'orders')
      .addSink('route', Object.assign(() => 'x', { toString: () => 'by region' }), {}, 'enrich')
      .addGlobalStore(keyValueStore('regions').withLoggingDisabled(), 'regions-source', {}, 'regions', 'regions-update', noop)
      .addSource('payments', 'payments')
      .addProcessor('match', noop, 'payments')
      .addStateStore(keyValueStore('seen'), 'match')
      .addStateStore(keyValueStore('shared'), 'enrich', 'match');
    const graph = topologyGraph(topology.describe());
    expect(graph.subtopologies.map((s) => [s.id, s.isGlobal, s.nodes.map((n) => n.id)])).toEqual([
      [0, false, ['node:orders', 'node:enrich', 'node:payments', 'node:match', 'node:route', 'store:shared', 'store:seen']],
      [1, true, ['node:regions-source', 'node:regions-update', 'store:regions']],
    ]);
    expect(graph.topics.map((t) => t.label)).toEqual(['/orders-.+/', 'payments', 'extractor: by region', 'regions']);
    expect(graph.edges).toContainEqual({ from: 'node:route', to: 'topic:extractor: by region', kind: 'flow' });
    expect(graph.edges).toContainEqual({ from: 'node:regions-update', to: 'store:regions', kind: 'store' });
    expect(graph.edges.filter((e) => e.to === 'store:shared').map((e) => e.from)).toEqual(['node:enrich', 'node:match']);
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
  });

  it('keeps a node and a topic of the same name apart', () => {
    const topology = new Topology().addSource('events', 'events').addSink('out', 'events-copy', {}, 'events');
    const graph = topologyGraph(topology.describe());
    expect(ids(graph)).toEqual(['node:events', 'node:out', 'topic:events', 'topic:events-copy']);
  });

  /** A random low-level topology: sources, then processors and sinks hanging off earlier nodes, then stores. */
  const plans = fc.record({
    sources: fc.integer({ min: 1, max: 3 }),
    steps: fc.array(
      fc.record({ isSink: fc.boolean(), parents: fc.uniqueArray(fc.nat(20), { minLength: 1, maxLength: 3 }), topic: fc.nat(4) }),
      { maxLength: 10 },
    ),
    stores: fc.array(fc.uniqueArray(fc.nat(20), { minLength: 1, maxLength: 2 }), { maxLength: 3 }),
  });

  test.prop([plans])('shows every node, topic, store and edge of any description exactly once', (plan) => {
    const topology = new Topology();
    const parents: string[] = [];
    const processors: string[] = [];
    for (let i = 0; i < plan.sources; i++) {
      topology.addSource(`src-${i}`, `in-${i}`);
      parents.push(`src-${i}`);
    }
    plan.steps.forEach((step, i) => {
      const chosen = [...new Set(step.parents.map((p) => parents[p % parents.length]!))];
      if (step.isSink) {
        // Sinks may write into a topic some source reads: a repartition boundary between sub-topologies.
        topology.addSink(`sink-${i}`, step.topic < 2 ? `in-${step.topic % plan.sources}` : `out-${step.topic}`, {}, ...chosen);
      } else {
        topology.addProcessor(`proc-${i}`, noop, ...chosen);
        parents.push(`proc-${i}`);
        processors.push(`proc-${i}`);
      }
    });
    if (processors.length > 0) {
      plan.stores.forEach((users, i) => {
        topology.addStateStore(keyValueStore(`store-${i}`), ...new Set(users.map((u) => processors[u % processors.length]!)));
      });
    }
    const description = topology.describe();
    const graph = topologyGraph(description);

    const all = ids(graph);
    expect(new Set(all).size).toBe(all.length);
    const described = description.subtopologies.flatMap((s) => s.nodes);
    const drawn = graph.subtopologies.flatMap((s) => s.nodes.filter((n) => n.kind !== 'store'));
    expect(drawn.map((n) => [n.kind, n.label]).sort()).toEqual(described.map((n) => [n.kind, n.name]).sort());
    const storeNames = new Set(described.flatMap((n) => (n.kind === 'processor' ? n.stores : [])));
    expect(graph.subtopologies.flatMap((s) => s.nodes.filter((n) => n.kind === 'store').map((n) => n.label)).sort()).toEqual([...storeNames].sort());
    const topicNames = new Set(described.flatMap((n) => (n.kind === 'source' ? (n.topics ?? []) : n.kind === 'sink' ? [n.topic!] : [])));
    expect(graph.topics.map((t) => t.label).sort()).toEqual([...topicNames].sort());

    // Edges: one per successor link, per topic read, per sink, per store use; both ends are drawn.
    const subOf = new Map(graph.subtopologies.flatMap((s) => s.nodes.map((n) => [n.id, s.id] as const)));
    const known = new Set(all);
    let expected = 0;
    for (const n of described) {
      expected += n.successors.length + (n.kind === 'source' ? n.topics!.length : n.kind === 'sink' ? 1 : n.stores.length);
    }
    expect(graph.edges.length).toBe(expected);
    for (const e of graph.edges) {
      expect(known.has(e.from) && known.has(e.to)).toBe(true);
      // Only topics cross sub-topologies.
      if (subOf.has(e.from) && subOf.has(e.to)) expect(subOf.get(e.from)).toBe(subOf.get(e.to));
      if (e.kind === 'store') expect([e.from.startsWith('node:'), e.to.startsWith('store:')]).toEqual([true, true]);
    }
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
  });
});
