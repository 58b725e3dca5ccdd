/**
 * Optimizer pass (always on): one source node per topic subscription, as Kafka Streams' `mergeDuplicateSourceNodes`.
 */
import { StreamsError } from '../../src/errors.js';
import { GraphEditor } from './graph-editor.js';
import type { NodeId, StreamSourceNode } from './graph-node.js';
import type { Graph } from './graph.js';

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((t) => set.has(t));
}

/**
 * Merges stream sources that read the same topics (or the same pattern): `builder.stream('a')` called twice yields
 * one source node whose children are both streams' children. Sources reading overlapping but different topic sets
 * cannot be merged and throw `StreamsError('TOPOLOGY_INVALID')`.
 *
 * @example
 * ```ts
 * const graph = mergeDuplicateSources(builder.snapshot());
 * ```
 */
export function mergeDuplicateSources(graph: Graph): Graph {
  const editor = new GraphEditor(graph);
  const byTopic = new Map<string, StreamSourceNode>();
  const byPattern = new Map<string, StreamSourceNode>();
  const merged = new Map<NodeId, NodeId>();
  for (const node of graph.nodes) {
    if (node.kind !== 'stream-source') continue;
    let main: StreamSourceNode | undefined;
    if (node.pattern !== null) {
      const key = `${node.pattern.source}/${node.pattern.flags}`;
      main = byPattern.get(key);
      if (main === undefined) byPattern.set(key, node);
    } else {
      for (const topic of node.topics) {
        const other = byTopic.get(topic);
        if (other === undefined) continue;
        if (!sameTopics(other.topics, node.topics)) {
          throw new StreamsError(
            'TOPOLOGY_INVALID',
            `sources ${other.name} and ${node.name} read overlapping but different topics ([${other.topics.join(', ')}] and [${node.topics.join(', ')}])`,
            { topic },
          );
        }
        main = other;
      }
      if (main === undefined) for (const topic of node.topics) byTopic.set(topic, node);
    }
    if (main !== undefined) merged.set(node.id, main.id);
  }
  if (merged.size === 0) return graph;
  for (const node of editor.nodes) {
    if (node.parents.some((p) => merged.has(p))) editor.setParents(node.id, node.parents.map((p) => merged.get(p) ?? p));
  }
  for (const id of merged.keys()) editor.remove(id);
  return editor.toGraph(graph.nextIndex);
}
