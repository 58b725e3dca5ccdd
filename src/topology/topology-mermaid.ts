/**
 * Draws a {@link TopologyDescription} as a Mermaid flowchart (see `TopologyDescription.toMermaid()`).
 */
import { assertNever } from '../errors.js';
import type { NodeDescription, TopologyDescription } from './topology-description.js';
import { extractorName } from './topology-description.js';

/**
 * Text safe inside a quoted Mermaid label: `#`, `"`, `<` and `>` become Mermaid entity codes.
 *
 * @example
 * ```ts
 * mermaidLabel('say "hi"'); // 'say #quot;hi#quot;'
 * ```
 */
export function mermaidLabel(text: string): string {
  return text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

function shape(node: NodeDescription, label: string): string {
  switch (node.kind) {
    case 'source':
      return `(["${label}"])`;
    case 'processor':
      return `["${label}"]`;
    case 'sink':
      return `[/"${label}"\\]`;
    default:
      return assertNever(node);
  }
}

/**
 * The Mermaid flowchart of a description: topics first (parallelograms, outside every subgraph, in order of first
 * appearance), then one subgraph per sub-topology or global store in id order holding its nodes (in Kafka's print
 * order) and stores (cylinders), then the edges: topic to source, node to child, sink to topic, and a dotted line
 * between each processor and its stores. Ids are positional (`t0`, `n0`, `s0`, `sub0`), so the text is stable.
 *
 * @example
 * ```ts
 * toMermaid(topology.describe());
 * // flowchart TD
 * //   t0[/"input"/]
 * //   subgraph sub0["Sub-topology: 0"]
 * //     n0(["KSTREAM-SOURCE-0000000000"])
 * //   ...
 * ```
 */
export function toMermaid(description: TopologyDescription): string {
  const groups: { readonly title: string; readonly nodes: readonly NodeDescription[] }[] = [];
  let s = 0;
  let g = 0;
  while (s < description.subtopologies.length || g < description.globalStores.length) {
    const sub = description.subtopologies[s];
    const global = description.globalStores[g];
    if (sub !== undefined && (global === undefined || sub.id < global.id)) {
      groups.push({ title: `Sub-topology: ${sub.id}`, nodes: sub.nodes });
      s++;
    } else if (global !== undefined) {
      groups.push({ title: `Sub-topology: ${global.id} for global store`, nodes: [global.source, global.processor] });
      g++;
    }
  }

  const topicIds = new Map<string, string>();
  const topicId = (label: string): string => {
    let id = topicIds.get(label);
    if (id === undefined) {
      id = `t${topicIds.size}`;
      topicIds.set(label, id);
    }
    return id;
  };
  const nodeIds = new Map<NodeDescription, string>();
  const storeIds = new Map<string, string>();
  const body: string[] = [];
  const edges: string[] = [];

  groups.forEach((group, index) => {
    body.push(`  subgraph sub${index}["${mermaidLabel(group.title)}"]`);
    for (const node of group.nodes) {
      const id = `n${nodeIds.size}`;
      nodeIds.set(node, id);
      body.push(`    ${id}${shape(node, mermaidLabel(node.name))}`);
    }
    for (const node of group.nodes) {
      if (node.kind !== 'processor') continue;
      for (const store of node.stores) {
        if (storeIds.has(store)) continue;
        const id = `s${storeIds.size}`;
        storeIds.set(store, id);
        body.push(`    ${id}[("${mermaidLabel(store)}")]`);
      }
    }
    body.push('  end');
  });

  for (const group of groups) {
    for (const node of group.nodes) {
      const id = nodeIds.get(node)!;
      if (node.kind === 'source') {
        if (node.topics === null) edges.push(`  ${topicId(`/${node.topicPattern?.source ?? ''}/`)} --> ${id}`);
        else for (const topic of node.topics) edges.push(`  ${topicId(topic)} --> ${id}`);
      }
      for (const child of node.successors) edges.push(`  ${id} --> ${nodeIds.get(child)!}`);
      if (node.kind === 'sink') {
        const target = node.topic ?? `extractor: ${extractorName(node.topicNameExtractor)}`;
        edges.push(`  ${id} --> ${topicId(target)}`);
      }
      if (node.kind === 'processor') for (const store of node.stores) edges.push(`  ${id} -.- ${storeIds.get(store)!}`);
    }
  }

  const topics = [...topicIds].map(([label, id]) => `  ${id}[/"${mermaidLabel(label)}"/]`);
  return ['flowchart TD', ...topics, ...body, ...edges].join('\n') + '\n';
}
