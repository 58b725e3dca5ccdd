/**
 * Whole-graph checks and grouping for a low-level topology: {@link validateTopologyGraph} rejects what cannot run,
 * {@link groupNodes} finds the sub-topologies (connected components) in Kafka Streams' numbering.
 */
import type { StateStore } from '../state/state-store.js';
import type { StoreBuilder } from '../state/store-builder.js';
import { parentsOf } from './topology-node.js';
import type { TopologyNode } from './topology-node.js';
import { TopologyError } from './topology-error.js';

/**
 * A store registered with a topology: its builder, the processors connected to it (in connection order), and
 * whether it is a global store (maintained by a global processor, readable by every processor).
 *
 * @example
 * ```ts
 * const entry = topology.build().stores.get('counts'); // { builder, users: ['count'], isGlobal: false }
 * ```
 */
export interface StoreEntry {
  readonly builder: StoreBuilder<StateStore>;
  readonly users: readonly string[];
  readonly isGlobal: boolean;
}

/**
 * Kafka's rule for pattern sources: the pattern must match the whole topic name. Returns a non-global, non-sticky
 * copy anchored at both ends.
 *
 * @example
 * ```ts
 * wholeNameMatcher(/orders-.+/).test('orders-eu'); // true
 * wholeNameMatcher(/orders/).test('old-orders');   // false
 * ```
 */
export function wholeNameMatcher(pattern: RegExp): RegExp {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
}

/**
 * Checks the parents a node is about to be added with (or has): at least one, none repeated, none itself, each an
 * existing non-sink node; a global node's only parent is its own global source, and no other node hangs off a global
 * node. Throws a {@link TopologyError} naming `name`.
 *
 * @example
 * ```ts
 * checkParents('count', ['words'], nodes, false); // throws if 'words' is unknown or a sink
 * ```
 */
export function checkParents(
  name: string,
  parents: readonly string[],
  nodes: ReadonlyMap<string, TopologyNode>,
  isGlobal: boolean,
): void {
  if (parents.length === 0) throw new TopologyError(`node "${name}" must have at least one parent`, { nodeName: name });
  const seen = new Set<string>();
  for (const parentName of parents) {
    if (typeof parentName !== 'string') throw new TopologyError(`node "${name}" has a parent name that is not a string`, { nodeName: name });
    if (parentName === name) throw new TopologyError(`node "${name}" cannot be its own parent`, { nodeName: name });
    if (seen.has(parentName)) throw new TopologyError(`node "${name}" lists parent "${parentName}" twice`, { nodeName: name });
    seen.add(parentName);
    const parent = nodes.get(parentName);
    if (parent === undefined) {
      throw new TopologyError(`parent "${parentName}" of node "${name}" has not been added (add parents first)`, { nodeName: name });
    }
    if (parent.kind === 'sink') throw new TopologyError(`sink "${parentName}" cannot be the parent of "${name}"`, { nodeName: name });
    const parentIsGlobal = parent.isGlobal;
    if (parentIsGlobal !== isGlobal || (isGlobal && parent.kind !== 'source')) {
      throw new TopologyError(
        isGlobal
          ? `global store processor "${name}" can only have its global source as parent, not "${parentName}"`
          : `node "${name}" cannot hang off "${parentName}", which belongs to a global store`,
        { nodeName: name },
      );
    }
  }
}

/**
 * Rejects a topology graph that cannot run, with a {@link TopologyError} naming the node (or store) at fault: a
 * duplicate name; a source with parents, without topics or with both topics and a pattern; a topic read by two
 * sources or matched by another source's pattern; a processor or sink without parents, with an unknown or sink parent;
 * a cycle; a store connected to nobody or to a node that is not a processor; a global store connected to a regular
 * processor (or the reverse); a processor using an unknown store.
 *
 * `Topology` already checks most of this as each node is added; `build()` runs the whole check again, which also
 * covers graphs assembled by other means (the DSL compiler, untyped callers).
 *
 * @example
 * ```ts
 * validateTopologyGraph(topology.build().nodes.values(), stores); // throws TopologyError('... cycle ...')
 * ```
 */
export function validateTopologyGraph(nodeList: Iterable<TopologyNode>, stores: ReadonlyMap<string, StoreEntry>): void {
  const nodes = new Map<string, TopologyNode>();
  for (const node of nodeList) {
    if (typeof node.name !== 'string' || node.name === '') throw new TopologyError('every node needs a non-empty name');
    if (nodes.has(node.name)) throw new TopologyError(`node name "${node.name}" is used twice`, { nodeName: node.name });
    nodes.set(node.name, node);
  }

  const topicReaders = new Map<string, string>();
  const patternSources: { name: string; matcher: RegExp }[] = [];
  for (const node of nodes.values()) {
    if (node.kind === 'source') {
      const claimed = (node as { readonly parents?: readonly unknown[] }).parents;
      if (claimed !== undefined && claimed.length > 0) {
        throw new TopologyError(`source "${node.name}" cannot have parents`, { nodeName: node.name });
      }
      if ((node.pattern === null) === (node.topics.length === 0)) {
        throw new TopologyError(`source "${node.name}" needs either a topic list or a pattern`, { nodeName: node.name });
      }
      for (const topic of node.topics) {
        const other = topicReaders.get(topic);
        if (other !== undefined) {
          throw new TopologyError(`topic "${topic}" is read by both "${other}" and "${node.name}"`, { nodeName: node.name, topic });
        }
        topicReaders.set(topic, node.name);
      }
      if (node.pattern !== null) patternSources.push({ name: node.name, matcher: wholeNameMatcher(node.pattern) });
    } else {
      checkParents(node.name, node.parents, nodes, node.kind === 'processor' && node.isGlobal);
    }
  }
  for (const { name, matcher } of patternSources) {
    for (const [topic, reader] of topicReaders) {
      if (matcher.test(topic)) {
        throw new TopologyError(`the pattern of source "${name}" matches topic "${topic}", already read by "${reader}"`, {
          nodeName: name,
          topic,
        });
      }
    }
  }

  checkAcyclic(nodes);

  for (const [storeName, entry] of stores) {
    if (entry.users.length === 0) {
      throw new TopologyError(`store "${storeName}" is not connected to any processor`, { storeName });
    }
    for (const user of entry.users) {
      const node = nodes.get(user);
      if (node?.kind !== 'processor') {
        throw new TopologyError(`store "${storeName}" is connected to "${user}", which is not a processor`, { nodeName: user, storeName });
      }
      if (node.isGlobal !== entry.isGlobal) {
        throw new TopologyError(
          entry.isGlobal
            ? `global store "${storeName}" is readable by every processor; "${user}" must not be connected to it`
            : `global store processor "${user}" cannot be connected to local store "${storeName}"`,
          { nodeName: user, storeName },
        );
      }
    }
  }
  for (const node of nodes.values()) {
    if (node.kind !== 'processor') continue;
    for (const storeName of node.stores) {
      if (!stores.has(storeName)) {
        throw new TopologyError(`processor "${node.name}" uses store "${storeName}", which has not been added`, {
          nodeName: node.name,
          storeName,
        });
      }
    }
  }
}

/** Depth-first search over parent links; a node met again while still on the path closes a cycle. */
function checkAcyclic(nodes: ReadonlyMap<string, TopologyNode>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name].reverse().join(' -> ');
      throw new TopologyError(`cycle through node "${name}": ${cycle}`, { nodeName: name });
    }
    state.set(name, 'visiting');
    path.push(name);
    const node = nodes.get(name);
    if (node !== undefined) for (const parent of parentsOf(node)) visit(parent, path);
    path.pop();
    state.set(name, 'done');
  };
  for (const name of nodes.keys()) visit(name, []);
}

/**
 * The sub-topologies of a graph: the connected components where each node is joined to its parents and all users of a
 * store are joined together. A source reading a topic that a sink of the same topology writes is NOT joined to that
 * sink (the topic is a repartition boundary). Groups come in Kafka Streams' order: numbered by the position of their
 * first node in insertion order, which is always a source; nodes inside a group keep insertion (topological) order.
 *
 * @example
 * ```ts
 * groupNodes(nodes, stores); // [['words', 'split', 'to-repartition'], ['repartitioned', 'count', 'out']]
 * ```
 */
export function groupNodes(nodes: ReadonlyMap<string, TopologyNode>, stores: ReadonlyMap<string, StoreEntry>): string[][] {
  const root = new Map<string, string>();
  const find = (name: string): string => {
    let r = name;
    for (let up = root.get(r); up !== undefined && up !== r; up = root.get(r)) r = up;
    for (let n = name; n !== r; ) {
      const next = root.get(n)!;
      root.set(n, r);
      n = next;
    }
    return r;
  };
  const unite = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) root.set(rb, ra);
  };

  for (const node of nodes.values()) {
    root.set(node.name, node.name);
    for (const parent of parentsOf(node)) if (root.has(parent)) unite(parent, node.name);
  }
  for (const entry of stores.values()) {
    const first = entry.users.find((u) => root.has(u));
    if (first !== undefined) for (const user of entry.users) if (root.has(user)) unite(first, user);
  }

  const groups = new Map<string, string[]>();
  for (const name of nodes.keys()) {
    const r = find(name);
    let group = groups.get(r);
    if (group === undefined) {
      group = [];
      groups.set(r, group);
    }
    group.push(name);
  }
  return [...groups.values()];
}
