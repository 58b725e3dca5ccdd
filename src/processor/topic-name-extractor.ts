/**
 * Dynamic routing: a {@link TopicNameExtractor} chooses, per record, the topic a sink writes to.
 */
import type { RecordContext } from './record-context.js';

/**
 * Chooses the output topic of each record a sink receives. The topic must exist when the record is sent (the
 * runtime does not create topics chosen this way). `describe()` prints the extractor as
 * `Sink: NAME (extractor class: X)` where X is the function's own `toString()` if it defines one, else its name.
 *
 * @example
 * ```ts
 * const byRegion: TopicNameExtractor<string, Order> = (_key, order) => `orders-${order.region}`;
 * topology.addSink('route', byRegion, { valueSerde: Serdes.Json() }, 'enrich');
 * ```
 */
export type TopicNameExtractor<K, V> = (key: K, value: V, recordContext: RecordContext) => string;
