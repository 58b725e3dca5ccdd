/**
 * The one mutable piece of the DSL: the append-only list of graph nodes a StreamsBuilder collects, and the counter
 * behind generated names. Nodes themselves are frozen once added.
 */
import { StreamsError } from '../../src/errors.js';
import { nameFor } from '../../src/topology/node-names.js';
import type { GraphNode, NodeId } from './graph-node.js';
import type { Graph, NewGraphNode } from './graph.js';

/**
 * Collects the nodes of one StreamsBuilder and hands out generated names exactly as Kafka Streams'
 * `InternalStreamsBuilder` does: one counter shared by processor names (`KSTREAM-FILTER-0000000003`) and store names
 * (`KSTREAM-AGGREGATE-STATE-STORE-0000000004`), so that the same program gets the same names as in Kafka Streams.
 *
 * @example
 * ```ts
 * const b = new GraphBuilder();
 * b.newProcessorName('KSTREAM-SOURCE-'); // 'KSTREAM-SOURCE-0000000000'
 * b.newStoreName('KSTREAM-AGGREGATE-');  // 'KSTREAM-AGGREGATE-STATE-STORE-0000000001'
 * ```
 */
export class GraphBuilder {
  readonly #nodes: GraphNode[] = [];
  #index = 0;

  /** The next processor name with this prefix (the prefix ends with `-`). */
  newProcessorName(prefix: string): string {
    return nameFor(prefix, this.#index++);
  }

  /** The next store name with this prefix: `<prefix>STATE-STORE-<index>`. */
  newStoreName(prefix: string): string {
    return nameFor(`${prefix}STATE-STORE-`, this.#index++);
  }

  /** Appends a node (freezing it and its parent list) and returns it with its id. */
  add<N extends NewGraphNode>(node: N): N & { readonly id: NodeId } {
    for (const parent of node.parents) {
      if (!Number.isInteger(parent) || parent < 0 || parent >= this.#nodes.length) {
        throw new StreamsError('ILLEGAL_STATE', `node ${node.name} names an unknown parent ${parent}`);
      }
    }
    const added = Object.freeze({ ...node, id: this.#nodes.length, parents: Object.freeze([...node.parents]) }) as unknown as N & { readonly id: NodeId };
    this.#nodes.push(added as unknown as GraphNode);
    return added;
  }

  /** The node with this id. */
  node(id: NodeId): GraphNode {
    const node = this.#nodes[id];
    if (node === undefined) throw new StreamsError('ILLEGAL_STATE', `no graph node ${id}`);
    return node;
  }

  /** A snapshot of the graph so far (later DSL calls do not change it). */
  snapshot(): Graph {
    return Object.freeze({ nodes: Object.freeze([...this.#nodes]), nextIndex: this.#index });
  }
}
