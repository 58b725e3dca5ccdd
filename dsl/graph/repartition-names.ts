/**
 * The names of a repartition's topic and nodes, generated exactly as Kafka Streams' `createRepartitionedSource`.
 */
import type { Serde } from '../../src/serdes/serde.js';
import { nameFor } from '../../src/topology/node-names.js';
import type { NodeId, RepartitionNode } from './graph-node.js';

/**
 * Hands out generated processor names from a builder's counter.
 *
 * @example `const names: NameProvider = new GraphBuilder(); names.newProcessorName('KSTREAM-SINK-');`
 */
export interface NameProvider {
  newProcessorName(prefix: string): string;
}

/**
 * The topic and node names of one repartition.
 *
 * @example
 * ```ts
 * const names: RepartitionNames = { topic: 'counts-repartition', sinkName: 'counts-repartition-sink',
 *   filterName: 'counts-repartition-filter', sourceName: 'counts-repartition-source' };
 * ```
 */
export interface RepartitionNames {
  /** Undecorated: the application id is prefixed when the topology is compiled for an application. */
  readonly topic: string;
  readonly sinkName: string;
  readonly filterName: string;
  readonly sourceName: string;
}

const GENERATED = /^KSTREAM.*-[0-9]{10}$/s;
const SUFFIX = '-repartition';

/**
 * Names a repartition after `prefix`: the topic is `<prefix>-repartition` (a prefix already ending in `-repartition`
 * is kept), and three generated names are always drawn (sink, filter, source, in that order, so indexes match Kafka
 * Streams). When the prefix is itself generated (`KSTREAM-...-0000000003`) the nodes take the generated names,
 * otherwise `<topic>-sink`, `<topic>-filter` and `<topic>-source`.
 *
 * @example
 * ```ts
 * repartitionNames(builder, 'KSTREAM-AGGREGATE-STATE-STORE-0000000003');
 * // { topic: 'KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition', sinkName: 'KSTREAM-SINK-0000000005', ... }
 * repartitionNames(builder, 'counts'); // { topic: 'counts-repartition', sinkName: 'counts-repartition-sink', ... }
 * ```
 */
export function repartitionNames(names: NameProvider, prefix: string): RepartitionNames {
  const topic = prefix.endsWith(SUFFIX) ? prefix : `${prefix}${SUFFIX}`;
  const sinkName = names.newProcessorName('KSTREAM-SINK-');
  const filterName = names.newProcessorName('KSTREAM-FILTER-');
  const sourceName = names.newProcessorName('KSTREAM-SOURCE-');
  if (GENERATED.test(prefix)) return { topic, sinkName, filterName, sourceName };
  return { topic, sinkName: `${topic}-sink`, filterName: `${topic}-filter`, sourceName: `${topic}-source` };
}

/**
 * A name provider continuing a graph's counter (the optimizer's, after the DSL calls).
 *
 * @example
 * ```ts
 * const names = counterFrom(graph.nextIndex);
 * names.newProcessorName('KSTREAM-SINK-'); // 'KSTREAM-SINK-0000000012' when nextIndex is 12
 * ```
 */
export function counterFrom(start: number): NameProvider & { readonly next: number } {
  let next = start;
  return {
    newProcessorName: (prefix: string) => nameFor(prefix, next++),
    get next() {
      return next;
    },
  };
}

/**
 * The node of a repartition the DSL inserts by itself before a stateful operation on a key-changed stream (Kafka's
 * optimizable repartition): sink to `names.topic`, filter, source; no partitioner, the writer's partition count.
 *
 * @example `builder.add(optimizableRepartition(repartitionNames(builder, 'counts'), parent, keySerde, valueSerde))`
 */
export function optimizableRepartition(
  names: RepartitionNames,
  parent: NodeId,
  keySerde: Serde<unknown> | undefined,
  valueSerde: Serde<unknown> | undefined,
): Omit<RepartitionNode, 'id'> {
  return {
    kind: 'repartition',
    variant: 'optimizable',
    name: names.sourceName,
    parents: [parent],
    ...names,
    keySerde,
    valueSerde,
    partitioner: undefined,
    numberOfPartitions: undefined,
  };
}
