/**
 * Builds a {@link TopologyDescription} from a topology graph by replaying what Kafka Streams'
 * `InternalTopologyBuilder.describe()` does, step for step, so the printed order of nodes, children, parents, topics
 * and stores is Kafka's:
 *
 * 1. node groups (sub-topologies) are numbered by their first node in insertion order;
 * 2. each group's nodes are visited in `HashMap<String, ...>` iteration order; each node is linked to its parents in
 *    the order they were given, inserting into `TreeSet`s ordered by sub-tree size (descending) then name, and after
 *    each link the parent's size and all its ancestors' sizes grow by the child's current size. Sizes change while
 *    the sets fill, so the order of a node's children depends on this exact sequence;
 * 3. a sub-topology lists its nodes by final size (descending), then name;
 * 4. topic and store lists print in `HashSet` order.
 */
import { JavaTreeSet, javaHashSetCopyOrder, javaHashSetOrder } from './java-collections.js';
import type {
  GlobalStoreDescription,
  NodeDescription,
  ProcessorNodeDescription,
  SourceNodeDescription,
  SubtopologyDescription,
} from './topology-description.js';
import { TopologyDescription } from './topology-description.js';
import { groupNodes } from './topology-graph.js';
import type { StoreEntry } from './topology-graph.js';
import { parentsOf } from './topology-node.js';
import type { ProcessorNode, SourceNode, TopologyNode } from './topology-node.js';

/** A node while the description is being assembled: mutable links and Kafka's running sub-tree size. */
interface Draft {
  readonly node: TopologyNode;
  size: number;
  readonly predecessors: JavaTreeSet<Draft>;
  readonly successors: JavaTreeSet<Draft>;
}

/** Kafka's NodeComparator: larger sub-tree first, then by name (String.compareTo, i.e. UTF-16 code unit order). */
function compareDrafts(a: Draft, b: Draft): number {
  if (a === b) return 0;
  if (a.size !== b.size) return b.size - a.size;
  const x = a.node.name;
  const y = b.node.name;
  return x < y ? -1 : x > y ? 1 : 0;
}

function growSubtree(draft: Draft, delta: number): void {
  draft.size += delta;
  for (const parent of draft.predecessors.values()) growSubtree(parent, delta);
}

/**
 * Describes a topology graph (nodes in insertion order, stores with their users) as Kafka Streams would.
 *
 * @example
 * ```ts
 * describeTopology(nodes, stores).toString(); // 'Topologies:\n   Sub-topology: 0\n ...'
 * ```
 */
export function describeTopology(
  nodes: ReadonlyMap<string, TopologyNode>,
  stores: ReadonlyMap<string, StoreEntry>,
): TopologyDescription {
  const subtopologies: SubtopologyDescription[] = [];
  const globalStores: GlobalStoreDescription[] = [];
  groupNodes(nodes, stores).forEach((group, id) => {
    const members = group.map((name) => nodes.get(name)!);
    const globalSource = members.find((n): n is SourceNode => n.kind === 'source' && n.isGlobal);
    if (globalSource === undefined) {
      subtopologies.push(describeSubtopology(id, members));
    } else {
      const processor = members.find((n): n is ProcessorNode => n.kind === 'processor' && n.isGlobal)!;
      globalStores.push(describeGlobalStore(id, globalSource, processor));
    }
  });
  return new TopologyDescription(Object.freeze(subtopologies), Object.freeze(globalStores));
}

function describeSubtopology(id: number, members: readonly TopologyNode[]): SubtopologyDescription {
  const drafts = new Map<string, Draft>();
  for (const node of members) {
    drafts.set(node.name, {
      node,
      size: 1,
      predecessors: new JavaTreeSet(compareDrafts),
      successors: new JavaTreeSet(compareDrafts),
    });
  }
  // Kafka walks a HashMap filled from a HashSet that was filled in insertion order.
  const visitOrder = javaHashSetOrder(javaHashSetOrder(members.map((n) => n.name)));
  for (const name of visitOrder) {
    const draft = drafts.get(name)!;
    for (const parentName of parentsOf(draft.node)) {
      const parent = drafts.get(parentName)!;
      draft.predecessors.add(parent);
      parent.successors.add(draft);
      growSubtree(parent, draft.size);
    }
  }

  const ordered = [...drafts.values()].sort(compareDrafts);
  const described = new Map<Draft, NodeDescription>();
  for (const draft of ordered) described.set(draft, nodeDescription(draft.node, [], []));
  for (const draft of ordered) {
    const d = described.get(draft)!;
    linkAndFreeze(
      d,
      draft.predecessors.values().map((p) => described.get(p)!),
      draft.successors.values().map((s) => described.get(s)!),
    );
  }
  return Object.freeze({ id, nodes: Object.freeze(ordered.map((d) => described.get(d)!)) });
}

function describeGlobalStore(id: number, source: SourceNode, processor: ProcessorNode): GlobalStoreDescription {
  const s = nodeDescription(source, [], []) as SourceNodeDescription;
  const p = nodeDescription(processor, [], []) as ProcessorNodeDescription;
  linkAndFreeze(s, [], [p]);
  linkAndFreeze(p, [s], []);
  return Object.freeze({ id, source: s, processor: p });
}

/** A description of `node` whose neighbour arrays are filled in later by {@link linkAndFreeze}. */
function nodeDescription(node: TopologyNode, predecessors: NodeDescription[], successors: NodeDescription[]): NodeDescription {
  switch (node.kind) {
    case 'source':
      return {
        kind: 'source',
        name: node.name,
        topics: node.pattern === null ? Object.freeze(javaHashSetCopyOrder(node.topics)) : null,
        topicPattern: node.pattern,
        predecessors,
        successors,
      };
    case 'processor':
      return {
        kind: 'processor',
        name: node.name,
        // The processor factory's HashSet of store names, copied into a new HashSet for the description.
        stores: Object.freeze(javaHashSetCopyOrder(javaHashSetOrder(node.stores))),
        predecessors,
        successors,
      };
    case 'sink':
      return {
        kind: 'sink',
        name: node.name,
        topic: node.topic,
        topicNameExtractor: node.topicExtractor,
        predecessors,
        successors,
      };
  }
}

function linkAndFreeze(d: NodeDescription, predecessors: readonly NodeDescription[], successors: readonly NodeDescription[]): void {
  (d.predecessors as NodeDescription[]).push(...predecessors);
  (d.successors as NodeDescription[]).push(...successors);
  Object.freeze(d.predecessors);
  Object.freeze(d.successors);
  Object.freeze(d);
}
