/**
 * Optimizer pass (`optimization: 'all'`): a source KTable's store uses its input topic as its changelog.
 */
import type { GraphNode } from './graph-node.js';
import type { Graph } from './graph.js';

/**
 * Marks every table source so that, when materialized, its store keeps no changelog topic of its own and is restored
 * from the table's input topic instead (Kafka Streams' `optimizeKTableSourceTopics`): the topic already holds every
 * update of the table, so writing them again to `<applicationId>-<store>-changelog` is redundant.
 *
 * @example
 * ```ts
 * const graph = reuseSourceChangelogs(mergeDuplicateSources(snapshot));
 * ```
 */
export function reuseSourceChangelogs(graph: Graph): Graph {
  if (!graph.nodes.some((n) => n.kind === 'table-source')) return graph;
  const nodes = graph.nodes.map((n): GraphNode => (n.kind === 'table-source' ? Object.freeze({ ...n, reusesSourceTopic: true }) : n));
  return Object.freeze({ nodes: Object.freeze(nodes), nextIndex: graph.nextIndex });
}
