/**
 * A scratch copy of a graph for optimizer passes: passes read and rewire nodes here and emit a new frozen graph; the
 * input graph is never changed.
 */
import { StreamsError } from '../../src/errors.js';
import type { GraphNode, NodeId } from './graph-node.js';
import type { Graph } from './graph.js';

/**
 * Editable view of a {@link Graph}: nodes by id, their order (build priority), and parent links that passes may
 * rewrite. Children are derived from parent links, in priority order.
 *
 * @example
 * ```ts
 * const editor = new GraphEditor(graph);
 * editor.setParents(child.id, [newParent.id]);
 * const optimized = editor.toGraph(graph.nextIndex);
 * ```
 */
export class GraphEditor {
  readonly #nodes = new Map<NodeId, GraphNode>();
  #order: NodeId[];
  #nextId: NodeId;

  constructor(graph: Graph) {
    for (const node of graph.nodes) this.#nodes.set(node.id, node);
    this.#order = graph.nodes.map((n) => n.id);
    this.#nextId = graph.nodes.reduce((max, n) => Math.max(max, n.id + 1), 0);
  }

  /** The nodes, in priority order. */
  get nodes(): GraphNode[] {
    return this.#order.map((id) => this.#nodes.get(id)!);
  }

  node(id: NodeId): GraphNode {
    const node = this.#nodes.get(id);
    if (node === undefined) throw new StreamsError('ILLEGAL_STATE', `no graph node ${id}`);
    return node;
  }

  parents(id: NodeId): readonly NodeId[] {
    return this.node(id).parents;
  }

  /** The nodes that have `id` as a parent, in priority order. */
  children(id: NodeId): NodeId[] {
    return this.#order.filter((c) => this.#nodes.get(c)!.parents.includes(id));
  }

  /** Replaces the node with the same id (a new frozen object). */
  replace(node: GraphNode): void {
    this.node(node.id);
    this.#nodes.set(node.id, Object.freeze(node));
  }

  /** Rewrites a node's parent list (duplicates removed, order kept). */
  setParents(id: NodeId, parents: readonly NodeId[]): void {
    const node = this.node(id);
    this.#nodes.set(id, Object.freeze({ ...node, parents: Object.freeze([...new Set(parents)]) }));
  }

  /** Drops a node (its children must have been rewired first). */
  remove(id: NodeId): void {
    this.#nodes.delete(id);
    this.#order = this.#order.filter((n) => n !== id);
  }

  /** A fresh node id, for nodes a pass creates. */
  newId(): NodeId {
    return this.#nextId++;
  }

  /** Adds a node right after `afterId` in priority order (an optimized node takes its parent's priority). */
  insertAfter(afterId: NodeId, node: GraphNode): void {
    const at = this.#order.indexOf(afterId);
    if (at < 0) throw new StreamsError('ILLEGAL_STATE', `no graph node ${afterId}`);
    this.#nodes.set(node.id, Object.freeze(node));
    this.#order.splice(at + 1, 0, node.id);
  }

  /**
   * The first node matching `predicate` walking up from `start` (itself included), with Kafka Streams' search order:
   * a direct parent that matches wins, else the result of searching the last parent's ancestors.
   */
  findAncestor(start: NodeId, predicate: (node: GraphNode) => boolean): GraphNode | null {
    const node = this.node(start);
    if (predicate(node)) return node;
    let found: GraphNode | null = null;
    for (const parent of node.parents) {
      const p = this.node(parent);
      if (predicate(p)) return p;
      found = this.findAncestor(parent, predicate);
    }
    return found;
  }

  toGraph(nextIndex: number): Graph {
    return Object.freeze({ nodes: Object.freeze(this.nodes), nextIndex });
  }
}
