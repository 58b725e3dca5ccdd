/**
 * What `Topology.build()` returns for the runtime: a validated, frozen snapshot of the graph with its
 * sub-topologies (the unit of tasks), their topics and stores, and the global stores.
 */
import type { StateStore } from '../state/state-store.js';
import type { StoreBuilder } from '../state/store-builder.js';
import { groupNodes, validateTopologyGraph } from './topology-graph.js';
import type { StoreEntry } from './topology-graph.js';
import { parentsOf } from './topology-node.js';
import type { ProcessorNode, SourceNode, TopologyNode } from './topology-node.js';

/**
 * One sub-topology: a connected part of the graph that runs as one task per input partition. Topic lists keep the
 * order of the sources and sinks that name them, without repeats.
 *
 * @example
 * ```ts
 * const [first] = topology.build().subtopologies;
 * first.sourceTopics;       // ['lines']
 * first.sinkTopics;         // ['words-repartition']
 * first.storeNames;         // []
 * ```
 */
export interface Subtopology {
  readonly id: number;
  /** All its nodes, in insertion order (parents always before children). */
  readonly nodeNames: readonly string[];
  readonly sourceNames: readonly string[];
  /** The topics its sources read by name. */
  readonly sourceTopics: readonly string[];
  /** The patterns its pattern sources read (matching whole topic names). */
  readonly sourcePatterns: readonly RegExp[];
  /** The topics its sinks write by name (topics chosen by extractors are not known in advance). */
  readonly sinkTopics: readonly string[];
  /** The local stores its processors use, in registration order. */
  readonly storeNames: readonly string[];
  /**
   * Its source topics that a sink of the same topology writes: repartition boundaries between sub-topologies. These
   * topics' partition counts follow the upstream sub-topology's.
   */
  readonly repartitionTopics: readonly string[];
}

/**
 * A global store: a source reading one topic from all partitions and the processor writing it into the store, which
 * every task may read. It takes a sub-topology id but generates no tasks.
 *
 * @example
 * ```ts
 * topology.build().globalStores[0]; // { id: 1, storeName: 'rates', topic: 'rates', sourceName: ..., processorName: ... }
 * ```
 */
export interface GlobalStore {
  readonly id: number;
  readonly storeName: string;
  readonly storeBuilder: StoreBuilder<StateStore>;
  readonly sourceName: string;
  readonly processorName: string;
  readonly topic: string;
}

/**
 * A validated topology, ready to run: every node (in insertion order, parents before children) with its children,
 * every store with its users, the sub-topologies by id and the global stores by id. Frozen.
 *
 * @example
 * ```ts
 * const built = topology.build();
 * for (const sub of built.subtopologies) for (const name of sub.nodeNames) console.log(sub.id, name, built.children.get(name));
 * ```
 */
export interface BuiltTopology {
  readonly nodes: ReadonlyMap<string, TopologyNode>;
  /** Child node names of every node, in the order the children were added. */
  readonly children: ReadonlyMap<string, readonly string[]>;
  /** Every store, local and global, by name, in registration order. */
  readonly stores: ReadonlyMap<string, StoreEntry>;
  readonly subtopologies: readonly Subtopology[];
  readonly globalStores: readonly GlobalStore[];
}

/**
 * Validates a graph (see `validateTopologyGraph`) and snapshots it as a {@link BuiltTopology}.
 *
 * @example
 * ```ts
 * const built = buildTopology(nodes, stores); // throws TopologyError when the graph cannot run
 * ```
 */
export function buildTopology(nodes: ReadonlyMap<string, TopologyNode>, stores: ReadonlyMap<string, StoreEntry>): BuiltTopology {
  validateTopologyGraph(nodes.values(), stores);

  const children = new Map<string, string[]>();
  for (const node of nodes.values()) {
    children.set(node.name, []);
    for (const parent of parentsOf(node)) children.get(parent)!.push(node.name);
  }
  const written = new Set<string>();
  for (const node of nodes.values()) if (node.kind === 'sink' && node.topic !== null) written.add(node.topic);

  const subtopologies: Subtopology[] = [];
  const globalStores: GlobalStore[] = [];
  groupNodes(nodes, stores).forEach((names, id) => {
    const members = names.map((name) => nodes.get(name)!);
    const globalSource = members.find((n): n is SourceNode => n.kind === 'source' && n.isGlobal);
    if (globalSource !== undefined) {
      const processor = members.find((n): n is ProcessorNode => n.kind === 'processor')!;
      const storeName = processor.stores[0]!;
      globalStores.push(
        Object.freeze({
          id,
          storeName,
          storeBuilder: stores.get(storeName)!.builder,
          sourceName: globalSource.name,
          processorName: processor.name,
          topic: globalSource.topics[0]!,
        }),
      );
      return;
    }
    const inGroup = new Set(names);
    const sources = members.filter((n): n is SourceNode => n.kind === 'source');
    const sourceTopics = unique(sources.flatMap((s) => s.topics));
    subtopologies.push(
      Object.freeze({
        id,
        nodeNames: Object.freeze([...names]),
        sourceNames: Object.freeze(sources.map((s) => s.name)),
        sourceTopics,
        sourcePatterns: Object.freeze(sources.flatMap((s) => (s.pattern === null ? [] : [s.pattern]))),
        sinkTopics: unique(members.flatMap((n) => (n.kind === 'sink' && n.topic !== null ? [n.topic] : []))),
        storeNames: Object.freeze([...stores].filter(([, e]) => !e.isGlobal && e.users.some((u) => inGroup.has(u))).map(([name]) => name)),
        repartitionTopics: Object.freeze(sourceTopics.filter((t) => written.has(t))),
      }),
    );
  });

  const frozenChildren = new Map<string, readonly string[]>();
  for (const [name, list] of children) frozenChildren.set(name, Object.freeze(list));
  return Object.freeze({
    nodes: new Map(nodes),
    children: frozenChildren,
    stores: new Map(stores),
    subtopologies: Object.freeze(subtopologies),
    globalStores: Object.freeze(globalStores),
  });
}

function unique(items: readonly string[]): readonly string[] {
  return Object.freeze([...new Set(items)]);
}
