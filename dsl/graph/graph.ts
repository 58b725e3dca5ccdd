/**
 * The DSL graph as a whole: its nodes in build-priority order, and helpers over nodes that optimizer passes share.
 */
import type { GraphNode } from './graph-node.js';

/**
 * A node without its id, as the DSL describes a new one.
 *
 * @example `builder.add({ kind: 'to-stream', name: 'KTABLE-TOSTREAM-0000000003', parents: [2] })`
 */
export type NewGraphNode = GraphNode extends infer N ? (N extends GraphNode ? Omit<N, 'id'> : never) : never;

/**
 * The whole graph: nodes in build-priority order, and the generated-name counter after the last DSL call (the
 * optimizer continues it, as Kafka Streams does).
 *
 * @example
 * ```ts
 * const graph: Graph = { nodes: [], nextIndex: 0 };
 * ```
 */
export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly nextIndex: number;
}

/**
 * True for operations that may change the key (`map`, `selectKey`, `flatMap`, `groupBy`'s key selection): a stateful
 * operation after them needs a repartition.
 *
 * @example
 * ```ts
 * graph.nodes.filter(changesKey).map((n) => n.name); // ['KSTREAM-KEY-SELECT-0000000002']
 * ```
 */
export function changesKey(node: GraphNode): boolean {
  return node.kind === 'map' || node.kind === 'select-key' || node.kind === 'flat-map';
}

/**
 * True for operations that change only values (`mapValues`, `flatMapValues`): they never cause a repartition, but
 * they stop the optimizer from moving a repartition above them.
 *
 * @example
 * ```ts
 * changesValue(node); // true for KSTREAM-MAPVALUES-...
 * ```
 */
export function changesValue(node: GraphNode): boolean {
  return node.kind === 'map-values' || node.kind === 'flat-map-values';
}

