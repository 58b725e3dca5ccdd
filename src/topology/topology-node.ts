/**
 * The nodes of a low-level {@link Topology}, as frozen tagged records: sources read topics, processors run user code,
 * sinks write topics. The runtime builds its tasks from them (see `Topology.build()`).
 */
import type { ProcessorSupplier } from '../processor/processor.js';
import type { StreamPartitioner } from '../processor/stream-partitioner.js';
import type { TimestampExtractor } from '../processor/timestamp-extractor.js';
import type { TopicNameExtractor } from '../processor/topic-name-extractor.js';
import type { Serde } from '../serdes/serde.js';

/**
 * Where a source starts reading a partition that has no committed offset: the oldest record (`'earliest'`) or only
 * new records (`'latest'`). Unset: the application's default.
 *
 * @example
 * ```ts
 * topology.addSource('clicks', 'clicks', { autoOffsetReset: 'latest' });
 * ```
 */
export type AutoOffsetReset = 'earliest' | 'latest';

/**
 * A node that reads records from topics (a fixed list, or every topic whose whole name matches `pattern`),
 * deserializes them and timestamps them. Sources have no parents. `isGlobal` marks the source of a global store.
 *
 * @example
 * ```ts
 * const node = topology.build().nodes.get('words'); // { kind: 'source', name: 'words', topics: ['words'], ... }
 * ```
 */
export interface SourceNode {
  readonly kind: 'source';
  readonly name: string;
  /** The topics read, in the order given; empty for a pattern source. */
  readonly topics: readonly string[];
  /** The pattern of a pattern source (matching whole topic names), else `null`. */
  readonly pattern: RegExp | null;
  readonly keySerde?: Serde<unknown>;
  readonly valueSerde?: Serde<unknown>;
  readonly timestampExtractor?: TimestampExtractor;
  readonly autoOffsetReset?: AutoOffsetReset;
  readonly isGlobal: boolean;
}

/**
 * A node running a user {@link ProcessorSupplier}'s processors, fed by its parents, with access to the stores it is
 * connected to (in connection order). `isGlobal` marks the processor that maintains a global store.
 *
 * @example
 * ```ts
 * const node = topology.build().nodes.get('count'); // { kind: 'processor', parents: ['words'], stores: ['counts'], ... }
 * ```
 */
export interface ProcessorNode {
  readonly kind: 'processor';
  readonly name: string;
  /** Parent node names, in the order given to `addProcessor`. */
  readonly parents: readonly string[];
  readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  /** Names of the stores connected to this processor, in connection order. */
  readonly stores: readonly string[];
  readonly isGlobal: boolean;
}

/**
 * A node that serializes the records its parents forward and writes them to a topic: a fixed `topic`, or the one
 * `topicExtractor` chooses per record. Sinks have no children.
 *
 * @example
 * ```ts
 * const node = topology.build().nodes.get('out'); // { kind: 'sink', topic: 'counts', topicExtractor: null, ... }
 * ```
 */
export interface SinkNode {
  readonly kind: 'sink';
  readonly name: string;
  /** Parent node names, in the order given to `addSink`. */
  readonly parents: readonly string[];
  /** The topic written, or `null` when `topicExtractor` chooses it. */
  readonly topic: string | null;
  readonly topicExtractor: TopicNameExtractor<unknown, unknown> | null;
  readonly keySerde?: Serde<unknown>;
  readonly valueSerde?: Serde<unknown>;
  readonly partitioner?: StreamPartitioner<unknown, unknown>;
}

/**
 * Any node of a low-level topology; switch on `kind` (exhaustively, with `assertNever` in the default branch).
 *
 * @example
 * ```ts
 * function parentsOf(node: TopologyNode): readonly string[] {
 *   switch (node.kind) {
 *     case 'source': return [];
 *     case 'processor': case 'sink': return node.parents;
 *     default: return assertNever(node);
 *   }
 * }
 * ```
 */
export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

/**
 * The parents of any node, in the order given when it was added (none for a source).
 *
 * @example
 * ```ts
 * for (const node of topology.build().nodes.values()) console.log(node.name, '<--', parentsOf(node).join(', '));
 * ```
 */
export function parentsOf(node: TopologyNode): readonly string[] {
  return node.kind === 'source' ? [] : node.parents;
}
