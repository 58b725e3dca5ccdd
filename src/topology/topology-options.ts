/**
 * The options of `Topology.addSource`, `addSink` and `addGlobalStore`: serdes, timestamp extraction, offset reset
 * and partitioning per node.
 */
import type { StreamPartitioner } from '../processor/stream-partitioner.js';
import type { TimestampExtractor } from '../processor/timestamp-extractor.js';
import type { Serde } from '../serdes/serde.js';
import type { AutoOffsetReset } from './topology-node.js';

/**
 * How a source reads: serdes for keys and values (else the application's defaults), a timestamp extractor (else the
 * log timestamp), and where to start without a committed offset (else the application's default).
 *
 * @example
 * ```ts
 * const options: SourceOptions<string, Order> = { keySerde: Serdes.String(), valueSerde: Serdes.Json(), autoOffsetReset: 'earliest' };
 * ```
 */
export interface SourceOptions<K = unknown, V = unknown> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly timestampExtractor?: TimestampExtractor;
  readonly autoOffsetReset?: AutoOffsetReset;
}

/**
 * How a global store's source reads its topic (always from the beginning: a global store is rebuilt from its topic).
 *
 * @example
 * ```ts
 * const options: GlobalSourceOptions<string, number> = { keySerde: Serdes.String(), valueSerde: Serdes.Number() };
 * ```
 */
export type GlobalSourceOptions<K = unknown, V = unknown> = Omit<SourceOptions<K, V>, 'autoOffsetReset'>;

/**
 * How a sink writes: serdes for keys and values (else the application's defaults) and a partitioner (else murmur2 of
 * the serialized key, as Kafka's producer).
 *
 * @example
 * ```ts
 * const options: SinkOptions<string, bigint> = { keySerde: Serdes.String(), valueSerde: Serdes.BigInt() };
 * ```
 */
export interface SinkOptions<K = unknown, V = unknown> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly partitioner?: StreamPartitioner<K, V>;
}
