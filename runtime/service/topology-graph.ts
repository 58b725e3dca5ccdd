/**
 * The topology as a graph for pictures (the dashboard draws it): sub-topologies holding their nodes and stores,
 * topics outside them, and the edges between all of these, as plain JSON-safe data.
 */
import { assertNever } from '../../src/errors.js';
import type { NodeDescription, TopologyDescription } from '../../src/topology/topology-description.js';
import { extractorName } from '../../src/topology/topology-description.js';

/**
 * What a graph node stands for: a topology node (`source`, `processor`, `sink`), a state store, or a topic.
 *
 * @example
 * ```ts
 * const kind: TopologyGraphNodeKind = 'store';
 * ```
 */
export type TopologyGraphNodeKind = 'source' | 'processor' | 'sink' | 'store' | 'topic';

/**
 * One node of a {@link TopologyGraph}. `id` is unique in the graph and stable for a topology: `node:<name>` for
 * sources, processors and sinks, `store:<name>` for stores, `topic:<label>` for topics. `label` is the name shown:
 * the node's, store's or topic's name; `/<pattern>/` for a pattern source's topics; `extractor: <name>` for the topics
 * a sink chooses per record.
 *
 * @example
 * ```ts
 * const node: TopologyGraphNode = { id: 'store:counts', kind: 'store', label: 'counts' };
 * ```
 */
export interface TopologyGraphNode {
  readonly id: string;
  readonly kind: TopologyGraphNodeKind;
  readonly label: string;
}

/**
 * One sub-topology of a {@link TopologyGraph}: its id as `describe()` numbers it, its sources, processors and sinks in
 * Kafka's print order followed by its stores (in order of first use). A global store is a sub-topology with
 * `isGlobal` (its source, its processor and the store; it runs no tasks).
 *
 * @example
 * ```ts
 * graph.subtopologies[1]!.nodes.map((n) => n.kind); // ['source', 'processor', 'processor', 'sink', 'store']
 * ```
 */
export interface TopologyGraphSubtopology {
  readonly id: number;
  readonly isGlobal: boolean;
  readonly nodes: readonly TopologyGraphNode[];
}

/**
 * A directed edge between two node ids of a {@link TopologyGraph}. `flow` edges carry records (topic to source, node
 * to child, sink to topic); `store` edges join a processor to a store it uses (drawn without direction).
 *
 * @example
 * ```ts
 * const edge: TopologyGraphEdge = { from: 'node:KSTREAM-AGGREGATE-0000000003', to: 'store:counts', kind: 'store' };
 * ```
 */
export interface TopologyGraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'flow' | 'store';
}

/**
 * A topology as a graph. Topics are not inside any sub-topology: a repartition topic is written by a sink of one
 * sub-topology and read by a source of another, so it links them. Every edge's ends are ids of `topics` or of a
 * sub-topology's `nodes`. The graph holds only strings, numbers and booleans, so `JSON.stringify` keeps all of it.
 *
 * @example
 * ```ts
 * const graph = topologyGraph(topology.describe());
 * graph.topics.map((t) => t.label); // ['text-lines', 'counts-repartition', 'word-counts']
 * ```
 */
export interface TopologyGraph {
  readonly subtopologies: readonly TopologyGraphSubtopology[];
  /** Every topic read or written, in order of first appearance (sub-topologies in id order, nodes in print order). */
  readonly topics: readonly TopologyGraphNode[];
  /** Per sub-topology in id order: topic-to-source, node-to-child, sink-to-topic and processor-to-store edges. */
  readonly edges: readonly TopologyGraphEdge[];
}

/** The id of a source, processor or sink named `name`. */
function nodeId(name: string): string {
  return `node:${name}`;
}

/** The topics a source reads, as labels. */
function sourceTopics(node: NodeDescription & { readonly kind: 'source' }): readonly string[] {
  return node.topics ?? [`/${node.topicPattern?.source ?? ''}/`];
}

/** The topic a sink writes, as a label. */
function sinkTopic(node: NodeDescription & { readonly kind: 'sink' }): string {
  return node.topic ?? `extractor: ${extractorName(node.topicNameExtractor)}`;
}

/**
 * The graph of a topology description (see {@link TopologyGraph}): sub-topologies and global stores in id order, each
 * with its nodes and stores; the topics; and the edges. Names are shown as `describe()` prints them, so internal
 * topics carry no application-id prefix (`counts-repartition`, as Kafka Streams describes it). The same description
 * always gives the same graph.
 *
 * @example
 * ```ts
 * const graph = topologyGraph(streams.describe());
 * response.end(JSON.stringify(graph));
 * ```
 */
export function topologyGraph(description: TopologyDescription): TopologyGraph {
  const groups: { readonly id: number; readonly isGlobal: boolean; readonly nodes: readonly NodeDescription[] }[] = [
    ...description.subtopologies.map((s) => ({ id: s.id, isGlobal: false, nodes: s.nodes })),
    ...description.globalStores.map((g) => ({ id: g.id, isGlobal: true, nodes: [g.source, g.processor] })),
  ].sort((a, b) => a.id - b.id);

  const topics = new Map<string, TopologyGraphNode>();
  const topicId = (label: string): string => {
    let topic = topics.get(label);
    if (topic === undefined) {
      topic = Object.freeze({ id: `topic:${label}`, kind: 'topic', label });
      topics.set(label, topic);
    }
    return topic.id;
  };
  const storesSeen = new Set<string>();
  const edges: TopologyGraphEdge[] = [];
  const edge = (from: string, to: string, kind: TopologyGraphEdge['kind']): void => {
    edges.push(Object.freeze({ from, to, kind }));
  };

  const subtopologies = groups.map((group): TopologyGraphSubtopology => {
    const nodes: TopologyGraphNode[] = [];
    const stores: TopologyGraphNode[] = [];
    for (const node of group.nodes) {
      const id = nodeId(node.name);
      nodes.push(Object.freeze({ id, kind: node.kind, label: node.name }));
      switch (node.kind) {
        case 'source':
          for (const topic of sourceTopics(node)) edge(topicId(topic), id, 'flow');
          break;
        case 'processor':
          for (const store of node.stores) {
            // A store belongs to one sub-topology (its users are joined into one); keep the first if not.
            if (!storesSeen.has(store)) {
              storesSeen.add(store);
              stores.push(Object.freeze({ id: `store:${store}`, kind: 'store', label: store }));
            }
          }
          break;
        case 'sink':
          break;
        default:
          assertNever(node);
      }
      for (const child of node.successors) edge(id, nodeId(child.name), 'flow');
      if (node.kind === 'sink') edge(id, topicId(sinkTopic(node)), 'flow');
      if (node.kind === 'processor') for (const store of node.stores) edge(id, `store:${store}`, 'store');
    }
    return Object.freeze({ id: group.id, isGlobal: group.isGlobal, nodes: Object.freeze([...nodes, ...stores]) });
  });

  return Object.freeze({
    subtopologies: Object.freeze(subtopologies),
    topics: Object.freeze([...topics.values()]),
    edges: Object.freeze(edges),
  });
}
