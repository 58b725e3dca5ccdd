import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { isStreamsError } from '../errors.js';
import type { ProcessorSupplier } from '../processor/processor.js';
import type { StateStore } from '../state/state-store.js';
import type { StoreBuilder } from '../state/store-builder.js';
import { Topology } from './topology.js';
import { TopologyError } from './topology-error.js';
import { groupNodes, validateTopologyGraph } from './topology-graph.js';
import type { StoreEntry } from './topology-graph.js';
import type { ProcessorNode, SourceNode, TopologyNode } from './topology-node.js';

const noop: ProcessorSupplier<unknown, unknown> = () => ({ process() {} });

function store(name: string, loggingEnabled = true): StoreBuilder<StateStore> {
  const builder: StoreBuilder<StateStore> = {
    name,
    loggingEnabled,
    logConfig: {},
    cachingEnabled: false,
    withCachingEnabled: () => builder,
    withCachingDisabled: () => builder,
    withLoggingEnabled: () => store(name, true),
    withLoggingDisabled: () => store(name, false),
    build: () => {
      throw new Error('not built in these tests');
    },
  };
  return builder;
}

/** Runs `fn`, expecting a TopologyError; returns it. */
function topologyError(fn: () => unknown): TopologyError {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof TopologyError) return e;
    throw new Error(`expected a TopologyError, got ${String(e)}`);
  }
  throw new Error('expected a TopologyError, nothing was thrown');
}

function expectInvalid(fn: () => unknown, names: { nodeName?: string; storeName?: string; topic?: string }, ...inMessage: string[]): TopologyError {
  const e = topologyError(fn);
  expect(e.code).toBe('TOPOLOGY_INVALID');
  expect(e.retriable).toBe(false);
  expect(isStreamsError(e, 'TOPOLOGY_INVALID')).toBe(true);
  expect(e.message.startsWith('Invalid topology: ')).toBe(true);
  expect({ nodeName: e.nodeName, storeName: e.storeName, topic: e.topic }).toEqual({
    nodeName: names.nodeName,
    storeName: names.storeName,
    topic: names.topic,
  });
  for (const part of inMessage) expect(e.message).toContain(part);
  return e;
}

const base = (): Topology => new Topology().addSource('src', 'input').addProcessor('proc', noop, 'src');

describe('Topology validation (each error names the node)', () => {
  it('rejects an unknown parent, naming the node being added', () => {
    expectInvalid(() => base().addProcessor('p2', noop, 'nope'), { nodeName: 'p2' }, '"nope"', 'not been added');
    expectInvalid(() => base().addSink('out', 'output', {}, 'nope'), { nodeName: 'out' }, '"nope"');
  });

  it('rejects a sink as parent', () => {
    const t = base().addSink('out', 'output', {}, 'proc');
    expectInvalid(() => t.addProcessor('after', noop, 'out'), { nodeName: 'after' }, 'sink "out"');
    expectInvalid(() => t.addSink('out2', 'output2', {}, 'out'), { nodeName: 'out2' }, 'sink "out"');
  });

  it('rejects a node that is its own parent or lists a parent twice', () => {
    expectInvalid(() => base().addProcessor('self', noop, 'self'), { nodeName: 'self' }, 'own parent');
    expectInvalid(() => base().addProcessor('twice', noop, 'src', 'src'), { nodeName: 'twice' }, 'twice');
  });

  it('rejects duplicate node names, whatever the kinds', () => {
    expectInvalid(() => base().addSource('proc', 'other'), { nodeName: 'proc' }, 'already used');
    expectInvalid(() => base().addProcessor('src', noop, 'proc'), { nodeName: 'src' }, 'already used');
    expectInvalid(() => base().addSink('proc', 'output', {}, 'src'), { nodeName: 'proc' }, 'already used');
    expectInvalid(() => base().addGlobalStore(store('g', false), 'src', {}, 'g-topic', 'g-proc', noop), { nodeName: 'src' });
  });

  it('rejects empty names', () => {
    expectInvalid(() => new Topology().addSource('', 'input'), {}, 'non-empty name');
    expectInvalid(() => base().addStateStore(store('')), {}, 'non-empty name');
  });

  it('rejects a source without topics, and invalid topic names (with the broker error as cause)', () => {
    expectInvalid(() => new Topology().addSource('src', []), { nodeName: 'src' }, 'at least one topic');
    const e = expectInvalid(() => new Topology().addSource('src', '../etc'), { nodeName: 'src', topic: '../etc' });
    expect(isStreamsError(e.cause, 'INVALID_TOPIC')).toBe(true);
    expectInvalid(() => base().addSink('out', 'bad topic', {}, 'proc'), { nodeName: 'out', topic: 'bad topic' });
  });

  it('rejects a sink (or processor) without parents', () => {
    expectInvalid(() => base().addSink('out', 'output', {}), { nodeName: 'out' }, 'at least one parent');
    expectInvalid(() => base().addProcessor('p2', noop), { nodeName: 'p2' }, 'at least one parent');
  });

  it('rejects a topic read by two sources (also within one source, and through patterns either way)', () => {
    expectInvalid(() => base().addSource('src2', ['x', 'input']), { nodeName: 'src2', topic: 'input' }, 'already read by source "src"');
    expectInvalid(() => new Topology().addSource('s', ['a', 'a']), { nodeName: 's', topic: 'a' });
    expectInvalid(() => base().addSource('pat', /inp.*/), { nodeName: 'pat', topic: 'input' }, 'matches topic "input"');
    const withPattern = new Topology().addSource('pat', /f.*/);
    expectInvalid(() => withPattern.addSource('foo', 'foo'), { nodeName: 'foo', topic: 'foo' }, 'pattern of source "pat"');
    // Patterns match whole names, as Java's Pattern.matches: /f.*/ does not claim "off".
    expect(() => withPattern.addSource('off', 'off')).not.toThrow();
    expectInvalid(() => base().addGlobalStore(store('g', false), 'g-src', {}, 'input', 'g-proc', noop), { nodeName: 'g-src', topic: 'input' });
  });

  it('rejects a store name used twice with different builders, but accepts the same builder again', () => {
    const counts = store('counts');
    const t = base().addStateStore(counts, 'proc').addProcessor('proc2', noop, 'src');
    expect(() => t.addStateStore(counts, 'proc2')).not.toThrow();
    expect(t.build().stores.get('counts')!.users).toEqual(['proc', 'proc2']);
    expectInvalid(() => t.addStateStore(store('counts'), 'proc2'), { storeName: 'counts' }, 'another store builder');
    t.addGlobalStore(store('global', false), 'g-src', {}, 'g-topic', 'g-proc', noop);
    expectInvalid(() => t.addStateStore(store('global'), 'proc'), { storeName: 'global' }, 'global store');
    expectInvalid(() => t.addGlobalStore(store('counts', false), 'g2', {}, 'g2-topic', 'g2-proc', noop), { storeName: 'counts' });
  });

  it('rejects connecting stores to sources, sinks, unknown nodes and unknown stores', () => {
    const t = base().addSink('out', 'output', {}, 'proc');
    expectInvalid(() => t.addStateStore(store('s1'), 'src'), { nodeName: 'src', storeName: 's1' }, 'a source');
    expectInvalid(() => t.addStateStore(store('s2'), 'out'), { nodeName: 'out', storeName: 's2' }, 'a sink');
    expectInvalid(() => t.addStateStore(store('s3'), 'ghost'), { nodeName: 'ghost', storeName: 's3' }, 'no such node');
    expectInvalid(() => t.connectProcessorAndStateStores('proc', 'never-added'), { nodeName: 'proc', storeName: 'never-added' });
    expectInvalid(() => t.connectProcessorAndStateStores('proc'), { nodeName: 'proc' }, 'no store names');
  });

  it('changes nothing when an add call fails', () => {
    const t = base();
    expect(() => t.addStateStore(store('s'), 'proc', 'ghost')).toThrow(TopologyError);
    expect(t.build().stores.has('s')).toBe(false);
    expect(t.build().nodes.get('proc')).toMatchObject({ stores: [] });
    expect(() => t.addSource('s2', ['fresh', 'input'])).toThrow(TopologyError);
    expect(() => t.addSource('s3', 'fresh')).not.toThrow(); // 'fresh' was not claimed by the failed call
  });

  it('rejects, at build(), a store connected to nobody', () => {
    const t = base().addStateStore(store('lonely'));
    expect(() => t.describe()).not.toThrow(); // describe works on a topology being assembled
    expectInvalid(() => t.build(), { storeName: 'lonely' }, 'not connected to any processor');
    t.connectProcessorAndStateStores('proc', 'lonely');
    expect(t.build().stores.get('lonely')!.users).toEqual(['proc']);
  });

  it('checks global stores: logging disabled, distinct names, nothing hanging off them, no explicit connections', () => {
    expectInvalid(() => base().addGlobalStore(store('g'), 'g-src', {}, 'g-topic', 'g-proc', noop), { storeName: 'g', topic: 'g-topic' }, 'logging disabled');
    expectInvalid(() => base().addGlobalStore(store('g', false), 'same', {}, 'g-topic', 'same', noop), { nodeName: 'same' }, 'different names');
    const t = base().addGlobalStore(store('g', false), 'g-src', {}, 'g-topic', 'g-proc', noop);
    expectInvalid(() => t.addProcessor('child', noop, 'g-proc'), { nodeName: 'child' }, 'global store');
    expectInvalid(() => t.addProcessor('child', noop, 'g-src'), { nodeName: 'child' }, 'global store');
    expectInvalid(() => t.connectProcessorAndStateStores('proc', 'g'), { nodeName: 'proc', storeName: 'g' }, 'readable by every processor');
    t.addStateStore(store('local'));
    expectInvalid(() => t.connectProcessorAndStateStores('g-proc', 'local'), { nodeName: 'g-proc', storeName: 'local' }, 'global store processor');
  });
});

describe('validateTopologyGraph (graphs not made through Topology)', () => {
  const source = (name: string, topics: string[]): SourceNode => ({ kind: 'source', name, topics, pattern: null, isGlobal: false });
  const processor = (name: string, parents: string[], stores: string[] = []): ProcessorNode => ({
    kind: 'processor',
    name,
    parents,
    supplier: noop,
    stores,
    isGlobal: false,
  });
  const noStores = new Map<string, StoreEntry>();

  it('rejects a cycle, naming a node on it', () => {
    const nodes: TopologyNode[] = [source('s', ['in']), processor('a', ['s', 'c']), processor('b', ['a']), processor('c', ['b'])];
    const e = expectInvalid(() => validateTopologyGraph(nodes, noStores), { nodeName: 'a' }, 'cycle', 'a -> b -> c -> a');
    expect(e.message).toContain('cycle through node "a"');
  });

  it('rejects a source with parents', () => {
    const withParents = { ...source('s2', ['in2']), parents: ['s'] } as SourceNode;
    expectInvalid(() => validateTopologyGraph([source('s', ['in']), withParents], noStores), { nodeName: 's2' }, 'cannot have parents');
  });

  it('rejects duplicate names, unknown parents and stores used but not added', () => {
    expectInvalid(() => validateTopologyGraph([source('s', ['a']), source('s', ['b'])], noStores), { nodeName: 's' }, 'used twice');
    expectInvalid(() => validateTopologyGraph([source('s', ['a']), processor('p', ['x'])], noStores), { nodeName: 'p' }, '"x"');
    expectInvalid(() => validateTopologyGraph([source('s', ['a']), processor('p', ['s'], ['st'])], noStores), { nodeName: 'p', storeName: 'st' });
    expectInvalid(() => validateTopologyGraph([source('s', ['a']), source('t', ['a'])], noStores), { nodeName: 't', topic: 'a' });
    const both = { ...source('s', ['a']), pattern: /b/ };
    expectInvalid(() => validateTopologyGraph([both], noStores), { nodeName: 's' }, 'either a topic list or a pattern');
  });

  it('accepts a valid graph', () => {
    expect(() => validateTopologyGraph([source('s', ['in']), processor('a', ['s']), processor('b', ['a', 's'])], noStores)).not.toThrow();
  });
});

describe('sub-topologies', () => {
  it('gives unconnected sources their own sub-topologies, numbered in insertion order (TopologyTest.multipleSourcesShouldHaveDistinctSubtopologies)', () => {
    const built = new Topology().addSource('source3', 'topic3').addSource('source1', 'topic1').addSource('source2', 'topic2').build();
    expect(built.subtopologies.map((s) => [s.id, s.sourceNames])).toEqual([
      [0, ['source3']],
      [1, ['source1']],
      [2, ['source2']],
    ]);
  });

  it('joins sources through a shared sink and through shared stores (TopologyTest.processorsWithSameSinkShouldHaveSameSubtopology, processorsWithSharedStateShouldHaveSameSubtopology)', () => {
    const sharedSink = new Topology()
      .addSource('source', 'topic')
      .addProcessor('processor1', noop, 'source')
      .addSource('source2', 'topic2')
      .addProcessor('processor2', noop, 'source2')
      .addSource('source3', 'topic3')
      .addProcessor('processor3', noop, 'source3')
      .addSink('sink', 'sinkTopic', {}, 'processor1', 'processor2', 'processor3')
      .build();
    expect(sharedSink.subtopologies).toHaveLength(1);
    expect(sharedSink.subtopologies[0]!.sourceTopics).toEqual(['topic', 'topic2', 'topic3']);

    const sharedState = new Topology()
      .addSource('source', 'topic')
      .addProcessor('processor1', noop, 'source')
      .addStateStore(store('store1'), 'processor1')
      .addSource('source2', 'topic2')
      .addProcessor('processor2', noop, 'source2')
      .addStateStore(store('store2'), 'processor2')
      .addSource('source3', 'topic3')
      .addProcessor('processor3', noop, 'source3')
      .connectProcessorAndStateStores('processor3', 'store1', 'store2')
      .build();
    expect(sharedState.subtopologies).toHaveLength(1);
    expect(sharedState.subtopologies[0]!.storeNames).toEqual(['store1', 'store2']);
  });

  it('does not join across a topic written by a sink and read by a source (repartition boundary)', () => {
    const built = new Topology()
      .addSource('lines', 'text-lines')
      .addProcessor('split', noop, 'lines')
      .addSink('to-words', 'words-repartition', {}, 'split')
      .addSource('words', 'words-repartition')
      .addProcessor('count', noop, 'words')
      .addStateStore(store('counts'), 'count')
      .addSink('out', 'word-counts', {}, 'count')
      .build();
    expect(built.subtopologies).toEqual([
      {
        id: 0,
        nodeNames: ['lines', 'split', 'to-words'],
        sourceNames: ['lines'],
        sourceTopics: ['text-lines'],
        sourcePatterns: [],
        sinkTopics: ['words-repartition'],
        storeNames: [],
        repartitionTopics: [],
      },
      {
        id: 1,
        nodeNames: ['words', 'count', 'out'],
        sourceNames: ['words'],
        sourceTopics: ['words-repartition'],
        sourcePatterns: [],
        sinkTopics: ['word-counts'],
        storeNames: ['counts'],
        repartitionTopics: ['words-repartition'],
      },
    ]);
  });

  it('numbers groups by their first node even when a later store merges them', () => {
    const built = new Topology()
      .addSource('x', 'tx')
      .addSource('y', 'ty')
      .addSource('z', 'tz')
      .addProcessor('px', noop, 'x')
      .addProcessor('pz', noop, 'z')
      .addStateStore(store('shared'), 'pz', 'px')
      .addGlobalStore(store('g', false), 'g-src', {}, 'g-topic', 'g-proc', noop)
      .addSource('w', /w-.*/)
      .build();
    expect(built.subtopologies.map((s) => [s.id, s.nodeNames])).toEqual([
      [0, ['x', 'z', 'px', 'pz']],
      [1, ['y']],
      [3, ['w']],
    ]);
    expect(built.subtopologies[2]!.sourcePatterns.map(String)).toEqual(['/w-.*/']);
    expect(built.globalStores).toEqual([
      { id: 2, storeName: 'g', storeBuilder: built.stores.get('g')!.builder, sourceName: 'g-src', processorName: 'g-proc', topic: 'g-topic' },
    ]);
  });

  // Property: the groups are the connected components of the undirected graph (parent links and store sharing),
  // numbered by first node in insertion order. The oracle is a plain BFS, independent of the union-find.
  const topologyShape = fc.array(fc.tuple(fc.nat(), fc.array(fc.nat(), { maxLength: 3 }), fc.nat(5)), { minLength: 1, maxLength: 30 });
  test.prop([topologyShape, fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { maxLength: 4 })])(
    'groups are the connected components, numbered by first node',
    (shape, storeUsers) => {
      const t = new Topology();
      const added: string[] = [];
      const nonSinks: string[] = [];
      const processors: string[] = [];
      const edges = new Map<string, Set<string>>();
      const link = (a: string, b: string): void => {
        edges.get(a)!.add(b);
        edges.get(b)!.add(a);
      };
      shape.forEach(([kind, parentPicks, topicPick], i) => {
        const name = `n${i}`;
        const parents = [...new Set(parentPicks.map((p) => nonSinks[p % Math.max(1, nonSinks.length)]!))].filter((p) => p !== undefined);
        edges.set(name, new Set());
        if (nonSinks.length === 0 || kind % 4 === 0 || parents.length === 0) {
          t.addSource(name, `topic-${i}`);
          nonSinks.push(name);
        } else if (kind % 4 === 1) {
          t.addSink(name, `topic-${topicPick}`, {}, ...parents); // may write a topic a source reads: no join
          for (const p of parents) link(name, p);
        } else {
          t.addProcessor(name, noop, ...parents);
          for (const p of parents) link(name, p);
          nonSinks.push(name);
          processors.push(name);
        }
        added.push(name);
      });
      storeUsers.forEach((picks, s) => {
        if (processors.length === 0) return;
        const users = [...new Set(picks.map((p) => processors[p % processors.length]!))];
        t.addStateStore(store(`store-${s}`), ...users);
        for (const u of users) link(users[0]!, u);
      });

      const expected: string[][] = [];
      const seen = new Set<string>();
      for (const start of added) {
        if (seen.has(start)) continue;
        const component = new Set<string>([start]);
        const queue = [start];
        while (queue.length > 0) for (const next of edges.get(queue.shift()!)!) if (!component.has(next)) component.add(next), queue.push(next);
        for (const n of component) seen.add(n);
        expected.push(added.filter((n) => component.has(n)));
      }
      const built = t.build();
      expect(built.subtopologies.map((s) => s.nodeNames)).toEqual(expected);
      expect(built.subtopologies.map((s) => s.id)).toEqual(expected.map((_, i) => i));
      expect(groupNodes(built.nodes, built.stores)).toEqual(expected);
      expect(t.describe().subtopologies.map((s) => s.nodes.map((n) => n.name).sort())).toEqual(expected.map((g) => [...g].sort()));
    },
  );
});

describe('Topology.build()', () => {
  it('snapshots nodes (insertion order), children, stores and options, frozen and independent of later changes', () => {
    const extractor = (): number => 0;
    const t = new Topology()
      .addSource('src', ['a', 'b'], { timestampExtractor: extractor, autoOffsetReset: 'earliest' })
      .addProcessor('p1', noop, 'src')
      .addProcessor('p2', noop, 'src', 'p1')
      .addStateStore(store('st'), 'p2');
    const built = t.build();
    expect([...built.nodes.keys()]).toEqual(['src', 'p1', 'p2']);
    expect(Object.fromEntries(built.children)).toEqual({ src: ['p1', 'p2'], p1: ['p2'], p2: [] });
    expect(built.nodes.get('src')).toEqual({
      kind: 'source',
      name: 'src',
      topics: ['a', 'b'],
      pattern: null,
      timestampExtractor: extractor,
      autoOffsetReset: 'earliest',
      isGlobal: false,
    });
    expect(built.nodes.get('p2')).toMatchObject({ kind: 'processor', parents: ['src', 'p1'], stores: ['st'] });
    expect(Object.isFrozen(built)).toBe(true);
    expect(Object.isFrozen(built.nodes.get('p2'))).toBe(true);
    expect(Object.isFrozen(built.subtopologies[0]!.nodeNames)).toBe(true);
    expect(Object.isFrozen(built.children.get('src'))).toBe(true);

    t.addSink('later', 'out', {}, 'p2');
    expect(built.nodes.has('later')).toBe(false);
    expect(built.children.get('p2')).toEqual([]);
  });
});
