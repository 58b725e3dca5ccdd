import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { ProcessorSupplier } from '../../../src/processor/processor.js';
import { Serdes } from '../../../src/serdes/serdes.js';
import { Topology } from '../../../src/topology/topology.js';
import { Stores } from '../../../state-stores/stores.js';
import { topologyGraph, type TopologyGraph, type TopologyGraphNode, type TopologyGraphSubtopology } from '../topology-graph.js';

/** The shape of the browser module static/layout.js (plain JavaScript, so typed here by hand for the test). */
interface Placed {
  readonly node: TopologyGraphNode;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}
interface LayoutModule {
  layoutGraph(graph: TopologyGraph): {
    readonly width: number;
    readonly height: number;
    readonly boxes: readonly { readonly sub: TopologyGraphSubtopology; readonly x: number; readonly y: number; readonly w: number; readonly h: number }[];
    readonly nodes: ReadonlyMap<string, Placed>;
  };
}
// A specifier TypeScript does not resolve: the module is JavaScript without declarations.
const layoutModule = './static/layout.js';
const { layoutGraph } = (await import(layoutModule)) as LayoutModule;

const noop: ProcessorSupplier<unknown, unknown> = () => ({ process() {} });

function keyValueStore(name: string) {
  return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.String());
}

interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}
const isApart = (a: Rect, b: Rect): boolean => a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;

/** Checks what every layout must hold; returns it for more checks. */
function checkLayout(graph: TopologyGraph): ReturnType<LayoutModule['layoutGraph']> {
  const layout = layoutGraph(graph);
  const all = [...layout.nodes.values()];
  // Every node and topic placed once, inside the drawing, none overlapping another.
  expect([...layout.nodes.keys()].sort()).toEqual([...graph.subtopologies.flatMap((s) => s.nodes.map((n) => n.id)), ...graph.topics.map((t) => t.id)].sort());
  for (const p of all) expect(p.x >= 0 && p.y >= 0 && p.x + p.w <= layout.width && p.y + p.h <= layout.height, p.node.id).toBe(true);
  for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(isApart(all[i]!, all[j]!), `${all[i]!.node.id} / ${all[j]!.node.id}`).toBe(true);
  // Each sub-topology's nodes inside its box; topics outside every box; boxes apart.
  for (const box of layout.boxes) {
    for (const n of box.sub.nodes) {
      const p = layout.nodes.get(n.id)!;
      expect(p.x >= box.x && p.y >= box.y && p.x + p.w <= box.x + box.w && p.y + p.h <= box.y + box.h, n.id).toBe(true);
    }
    for (const t of graph.topics) expect(isApart(layout.nodes.get(t.id)!, box), t.id).toBe(true);
    for (const other of layout.boxes) if (other !== box) expect(isApart(box, other), `boxes ${box.sub.id} / ${other.sub.id}`).toBe(true);
  }
  // Records flow down: inside a sub-topology a child is below its parent, a topic above the sources reading it.
  for (const e of graph.edges) {
    const from = layout.nodes.get(e.from)!;
    const to = layout.nodes.get(e.to)!;
    if (e.kind !== 'store' && from.node.kind !== 'sink') expect(from.y + from.h, `${e.from} -> ${e.to}`).toBeLessThanOrEqual(to.y);
  }
  // A store on the row of a processor using it.
  for (const box of layout.boxes) {
    for (const store of box.sub.nodes.filter((n) => n.kind === 'store')) {
      const rows = graph.edges.filter((e) => e.kind === 'store' && e.to === store.id).map((e) => layout.nodes.get(e.from)!.y);
      expect(rows, store.id).toContain(layout.nodes.get(store.id)!.y);
    }
  }
  return layout;
}

describe('layoutGraph (static/layout.js)', () => {
  it('stacks the word count: input topic, sub-topology 0, repartition topic, sub-topology 1 with its store beside the count, output', () => {
    const graph = topologyGraph(
      new Topology()
        .addSource('Source', 'lines')
        .addProcessor('Split', noop, 'Source')
        .addSink('ToRepartition', 'words-repartition', {}, 'Split')
        .addSource('Words', 'words-repartition')
        .addProcessor('Count', noop, 'Words')
        .addStateStore(keyValueStore('counts'), 'Count')
        .addSink('Out', 'counts', {}, 'Count')
        .describe(),
    );
    const layout = checkLayout(graph);
    const y = (id: string) => layout.nodes.get(id)!.y;
    const order = ['topic:lines', 'node:Source', 'node:Split', 'node:ToRepartition', 'topic:words-repartition', 'node:Words', 'node:Count', 'node:Out', 'topic:counts'];
    expect(order.map(y)).toEqual([...order.map(y)].sort((a, b) => a - b));
    expect(new Set(order.map(y)).size).toBe(order.length);
    expect(y('store:counts')).toBe(y('node:Count'));
    expect(layout.nodes.get('store:counts')!.x).toBeGreaterThan(layout.nodes.get('node:Count')!.x);
    // The same graph, the same picture.
    expect(layoutGraph(graph)).toEqual(layout);
  });

  const plans = fc.record({
    sources: fc.integer({ min: 1, max: 3 }),
    steps: fc.array(
      fc.record({ isSink: fc.boolean(), parents: fc.uniqueArray(fc.nat(20), { minLength: 1, maxLength: 3 }), topic: fc.nat(4) }),
      { maxLength: 12 },
    ),
    stores: fc.array(fc.uniqueArray(fc.nat(20), { minLength: 1, maxLength: 2 }), { maxLength: 3 }),
    hasGlobalStore: fc.boolean(),
  });

  test.prop([plans])('places any topology without overlaps, each node in its box, records flowing down', (plan) => {
    const topology = new Topology();
    const parents: string[] = [];
    const processors: string[] = [];
    for (let i = 0; i < plan.sources; i++) {
      topology.addSource(`src-${i}`, `in-${i}`);
      parents.push(`src-${i}`);
    }
    plan.steps.forEach((step, i) => {
      const chosen = [...new Set(step.parents.map((p) => parents[p % parents.length]!))];
      if (step.isSink) topology.addSink(`sink-${i}`, step.topic < 2 ? `in-${step.topic % plan.sources}` : `out-${step.topic}`, {}, ...chosen);
      else {
        topology.addProcessor(`proc-${i}`, noop, ...chosen);
        parents.push(`proc-${i}`);
        processors.push(`proc-${i}`);
      }
    });
    if (processors.length > 0) {
      plan.stores.forEach((users, i) => topology.addStateStore(keyValueStore(`store-${i}`), ...new Set(users.map((u) => processors[u % processors.length]!))));
    }
    if (plan.hasGlobalStore) topology.addGlobalStore(keyValueStore('global').withLoggingDisabled(), 'g-src', {}, 'g-topic', 'g-proc', noop);
    checkLayout(topologyGraph(topology.describe()));
  });
});
