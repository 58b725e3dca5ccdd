/**
 * What `Topology.describe()` returns: the sub-topologies and global stores of a topology with their nodes, printable
 * in Kafka Streams' exact text format (`toString()`) or as a Mermaid flowchart (`toMermaid()`).
 */
import { assertNever } from '../errors.js';
import type { TopicNameExtractor } from '../processor/topic-name-extractor.js';
import { toMermaid } from './topology-mermaid.js';

/** What every node description has: its name and its neighbours, in the order Kafka Streams prints them. */
interface NodeDescriptionBase {
  readonly name: string;
  /** Parents, in Kafka Streams' print order (larger sub-trees first, then by name, as the sets were filled). */
  readonly predecessors: readonly NodeDescription[];
  /** Children, in Kafka Streams' print order. */
  readonly successors: readonly NodeDescription[];
}

/**
 * A source in a description: the topics it reads (in Kafka's print order) or its pattern; no predecessors.
 *
 * @example
 * ```ts
 * const source = topology.describe().subtopologies[0]!.nodes[0] as SourceNodeDescription;
 * source.topics; // ['input']
 * ```
 */
export interface SourceNodeDescription extends NodeDescriptionBase {
  readonly kind: 'source';
  /** The topics read, or `null` for a pattern source. */
  readonly topics: readonly string[] | null;
  /** The pattern of a pattern source, else `null`. */
  readonly topicPattern: RegExp | null;
}

/**
 * A processor in a description, with the names of the stores connected to it (in Kafka's print order).
 *
 * @example
 * ```ts
 * (node as ProcessorNodeDescription).stores; // ['counts']
 * ```
 */
export interface ProcessorNodeDescription extends NodeDescriptionBase {
  readonly kind: 'processor';
  readonly stores: readonly string[];
}

/**
 * A sink in a description: the topic it writes, or the extractor that chooses one per record; no successors.
 *
 * @example
 * ```ts
 * (node as SinkNodeDescription).topic; // 'counts' (null when `topicNameExtractor` is set)
 * ```
 */
export interface SinkNodeDescription extends NodeDescriptionBase {
  readonly kind: 'sink';
  readonly topic: string | null;
  readonly topicNameExtractor: TopicNameExtractor<unknown, unknown> | null;
}

/**
 * Any node of a description; switch on `kind`.
 *
 * @example
 * ```ts
 * for (const node of description.subtopologies[0]!.nodes) if (node.kind === 'processor') console.log(node.stores);
 * ```
 */
export type NodeDescription = SourceNodeDescription | ProcessorNodeDescription | SinkNodeDescription;

/**
 * One sub-topology (one task per input partition at run time): its id and its nodes in Kafka's print order (larger
 * sub-trees first, ties by name).
 *
 * @example
 * ```ts
 * description.subtopologies.map((s) => s.id); // [0, 1]
 * ```
 */
export interface SubtopologyDescription {
  readonly id: number;
  readonly nodes: readonly NodeDescription[];
}

/**
 * A global store: the source reading its topic and the processor maintaining it. Its id is counted with the
 * sub-topologies', but it generates no tasks.
 *
 * @example
 * ```ts
 * description.globalStores[0]!.processor.stores; // ['rates']
 * ```
 */
export interface GlobalStoreDescription {
  readonly id: number;
  readonly source: SourceNodeDescription;
  readonly processor: ProcessorNodeDescription;
}

const INDENT = '    ';
const EDGE_INDENT = '\n      ';

/**
 * A topology's structure as Kafka Streams describes it. `toString()` is byte for byte what
 * `Topology.describe().toString()` prints in Kafka Streams for the same graph, quirks included (the first
 * sub-topology line is indented by three spaces, the others by two; global stores have no blank line after them), so
 * tools and habits that read that text carry over.
 *
 * @example
 * ```ts
 * const topology = new Topology()
 *   .addSource('KSTREAM-SOURCE-0000000000', 'input-topic')
 *   .addSink('KSTREAM-SINK-0000000001', 'output-topic', {}, 'KSTREAM-SOURCE-0000000000');
 * console.log(topology.describe().toString());
 * // Topologies:
 * //    Sub-topology: 0
 * //     Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])
 * //       --> KSTREAM-SINK-0000000001
 * //     Sink: KSTREAM-SINK-0000000001 (topic: output-topic)
 * //       <-- KSTREAM-SOURCE-0000000000
 * ```
 */
export class TopologyDescription {
  constructor(
    /** The sub-topologies, by id. */
    readonly subtopologies: readonly SubtopologyDescription[],
    /** The global stores, by id. */
    readonly globalStores: readonly GlobalStoreDescription[],
  ) {
    Object.freeze(this);
  }

  /** Kafka Streams' text form (see the class comment). */
  toString(): string {
    let out = 'Topologies:\n ';
    // Kafka interleaves sub-topologies and global stores by id, walking both sorted lists.
    let s = 0;
    let g = 0;
    let expectedId = 0;
    while (s < this.subtopologies.length && g < this.globalStores.length) {
      const sub = this.subtopologies[s]!;
      if (sub.id === expectedId) {
        out += '  ' + subtopologyToString(sub);
        s++;
      } else {
        out += '  ' + globalStoreToString(this.globalStores[g]!);
        g++;
      }
      expectedId++;
    }
    for (; s < this.subtopologies.length; s++) out += '  ' + subtopologyToString(this.subtopologies[s]!);
    for (; g < this.globalStores.length; g++) out += '  ' + globalStoreToString(this.globalStores[g]!);
    return out;
  }

  /**
   * The same graph as a Mermaid flowchart: one subgraph per sub-topology (and per global store); sources as
   * stadiums, processors as rectangles, sinks as trapezoids, topics as parallelograms outside the subgraphs (so a
   * repartition topic links two of them), stores as cylinders joined to their processors by dotted lines. The output
   * is stable: the same topology always gives the same text.
   *
   * @example
   * ```ts
   * await writeFile('topology.mmd', topology.describe().toMermaid());
   * ```
   */
  toMermaid(): string {
    return toMermaid(this);
  }
}

function subtopologyToString(sub: SubtopologyDescription): string {
  let out = `Sub-topology: ${sub.id}\n`;
  for (const node of sub.nodes) out += INDENT + nodeToString(node) + '\n';
  return out + '\n';
}

function globalStoreToString(store: GlobalStoreDescription): string {
  return (
    `Sub-topology: ${store.id} for global store (will not generate tasks)\n` +
    INDENT + nodeToString(store.source) + '\n' +
    INDENT + nodeToString(store.processor) + '\n'
  );
}

/**
 * One node as Kafka prints it: its line, then `-->` children and `<--` parents (`none` when there are none).
 *
 * @example
 * ```ts
 * nodeToString(description.subtopologies[0]!.nodes[0]!);
 * // 'Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n      --> KSTREAM-MAPVALUES-0000000001'
 * ```
 */
export function nodeToString(node: NodeDescription): string {
  switch (node.kind) {
    case 'source': {
      const topics = node.topics === null ? (node.topicPattern?.source ?? '') : `[${node.topics.join(', ')}]`;
      return `Source: ${node.name} (topics: ${topics})${EDGE_INDENT}--> ${names(node.successors)}`;
    }
    case 'processor':
      return (
        `Processor: ${node.name} (stores: [${node.stores.join(', ')}])` +
        `${EDGE_INDENT}--> ${names(node.successors)}${EDGE_INDENT}<-- ${names(node.predecessors)}`
      );
    case 'sink': {
      const target = node.topic !== null ? `topic: ${node.topic}` : `extractor class: ${extractorName(node.topicNameExtractor)}`;
      return `Sink: ${node.name} (${target})${EDGE_INDENT}<-- ${names(node.predecessors)}`;
    }
    default:
      return assertNever(node);
  }
}

function names(nodes: readonly NodeDescription[]): string {
  return nodes.length === 0 ? 'none' : nodes.map((n) => n.name).join(', ');
}

/**
 * How a topic name extractor is printed: its own `toString()` when it defines one (as Kafka prints the extractor
 * object), else its function name, else `<anonymous>`.
 *
 * @example
 * ```ts
 * extractorName(Object.assign((k: string) => k, { toString: () => 'by key' })); // 'by key'
 * ```
 */
export function extractorName(extractor: TopicNameExtractor<unknown, unknown> | null): string {
  if (extractor === null) return '<none>';
  if (extractor.toString !== Function.prototype.toString) return String(extractor);
  return extractor.name === '' ? '<anonymous>' : extractor.name;
}
