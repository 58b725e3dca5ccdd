/**
 * Optimizer pass (`optimization: 'all'`): one repartition topic per key-changing operation, however many stateful
 * operations follow it (Kafka Streams' `maybeOptimizeRepartitionOperations`).
 */
import { StreamsError } from '../../src/errors.js';
import type { Serde } from '../../src/serdes/serde.js';
import { GraphEditor } from './graph-editor.js';
import { changesKey, changesValue } from './graph.js';
import type { GraphNode, NodeId, RepartitionNode } from './graph-node.js';
import type { Graph } from './graph.js';
import { counterFrom, repartitionNames } from './repartition-names.js';

/** The key-changing node a repartition belongs to: the nearest key- or value-changing ancestor, if it changes keys. */
function keyChangingParent(editor: GraphEditor, repartition: NodeId): NodeId | null {
  const nearest = editor.findAncestor(repartition, (n) => changesKey(n) || changesValue(n));
  const keyChanger = editor.findAncestor(repartition, changesKey);
  return nearest !== null && keyChanger !== null && nearest.id === keyChanger.id ? keyChanger.id : null;
}

function pushUnique(list: NodeId[], id: NodeId): void {
  if (!list.includes(id)) list.push(id);
}

/** Key changers (or merge nodes fed by them) -> the optimizable repartitions below them, as Kafka Streams finds them. */
function groupRepartitions(editor: GraphEditor, nodes: readonly GraphNode[]): Map<NodeId, NodeId[]> {
  const groups = new Map<NodeId, NodeId[]>();
  const merges: NodeId[] = [];
  for (const node of nodes) {
    if (changesKey(node)) groups.set(node.id, []);
    else if (node.kind === 'repartition' && node.variant === 'optimizable') {
      const owner = keyChangingParent(editor, node.id);
      if (owner !== null) pushUnique(groups.get(owner)!, node.id);
    } else if (node.kind === 'merge') merges.push(node.id);
  }
  // A merge of key-changed streams: its repartitions are moved up to the merge node instead of a single key changer.
  const absorbed = new Set<NodeId>();
  for (const merge of merges) {
    const repartitions: NodeId[] = [];
    for (const [keyChanger, list] of groups) {
      if (absorbed.has(keyChanger) || merges.includes(keyChanger)) continue;
      const allBelowMerge = list.every((r) => editor.findAncestor(r, (n) => n.parents.includes(merge)) !== null);
      if (!allBelowMerge || editor.findAncestor(merge, (n) => n.parents.includes(keyChanger)) === null) continue;
      for (const r of list) pushUnique(repartitions, r);
      absorbed.add(keyChanger);
    }
    groups.set(merge, repartitions);
  }
  for (const keyChanger of absorbed) groups.delete(keyChanger);
  return groups;
}

/**
 * Replaces the optimizable repartitions that follow one key-changing operation (or one merge of key-changed streams)
 * with a single repartition placed right after it: the first repartition's topic is kept, its serdes are the first
 * ones given among the replaced repartitions, and every path that led to a replaced repartition now starts below the
 * new one. Value-changing operations between the key change and the repartition (`mapValues`, `flatMapValues`) block
 * the move, as in Kafka Streams. Unoptimizable repartitions (`repartition()`) are never touched.
 *
 * @example
 * ```ts
 * // stream.selectKey(f) feeding groupByKey().count() and groupByKey().reduce(r): two repartition topics become one
 * const optimized = mergeRepartitions(graph);
 * ```
 */
export function mergeRepartitions(graph: Graph): Graph {
  const editor = new GraphEditor(graph);
  const names = counterFrom(graph.nextIndex);
  for (const [owner, repartitions] of groupRepartitions(editor, graph.nodes)) {
    if (repartitions.length === 0) continue;
    const replaced = repartitions.map((id) => editor.node(id) as RepartitionNode);
    const keySerde: Serde<unknown> | undefined = replaced.find((r) => r.keySerde !== undefined)?.keySerde;
    const valueSerde: Serde<unknown> | undefined = replaced.find((r) => r.valueSerde !== undefined)?.valueSerde;
    const generated = repartitionNames(names, replaced[0]!.topic);
    const merged: RepartitionNode = {
      kind: 'repartition',
      variant: 'optimizable',
      id: editor.newId(),
      name: generated.sourceName,
      parents: [owner],
      topic: replaced[0]!.topic,
      sinkName: generated.sinkName,
      filterName: generated.filterName,
      sourceName: generated.sourceName,
      keySerde,
      valueSerde,
      partitioner: undefined,
      numberOfPartitions: undefined,
    };
    editor.insertAfter(owner, merged);
    for (const repartition of replaced) {
      // The node on the way up from the repartition that hangs off the owner moves below the merged repartition.
      const branchTop = editor.findAncestor(repartition.id, (n) => n.id !== merged.id && (n.parents.includes(owner) || n.parents.includes(merged.id)));
      if (branchTop === null) throw new StreamsError('ILLEGAL_STATE', `no path from ${owner} to repartition ${repartition.name}`);
      if (!branchTop.parents.includes(merged.id)) editor.setParents(branchTop.id, [...branchTop.parents.filter((p) => p !== owner), merged.id]);
      const bypass = editor.parents(repartition.id);
      for (const child of editor.children(repartition.id)) {
        editor.setParents(child, [...editor.parents(child), ...bypass].filter((p) => p !== repartition.id));
      }
      editor.remove(repartition.id);
    }
  }
  return editor.toGraph(names.next);
}
