/**
 * Deterministic node names in Kafka Streams' style, for the DSL: `KSTREAM-FILTER-0000000003`.
 */
import { TopologyError } from './topology-error.js';

/**
 * The name of the `index`-th generated node with this prefix, as Kafka Streams makes them: the prefix, a dash, and
 * the index zero-padded to 10 digits. A trailing dash on the prefix is optional (`'KSTREAM-FILTER'` and
 * `'KSTREAM-FILTER-'` give the same name). `index` is a non-negative integer (else a `TopologyError`): a counter
 * shared by all generated names of one builder, so names are unique and sort in creation order.
 *
 * @example
 * ```ts
 * nameFor('KSTREAM-FILTER', 3);  // 'KSTREAM-FILTER-0000000003'
 * nameFor('KTABLE-SOURCE-', 12); // 'KTABLE-SOURCE-0000000012'
 * ```
 */
export function nameFor(prefix: string, index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new TopologyError(`generated node index must be a non-negative integer, got ${index} (prefix ${prefix})`);
  }
  const dash = prefix.endsWith('-') ? '' : '-';
  return `${prefix}${dash}${String(index).padStart(10, '0')}`;
}
