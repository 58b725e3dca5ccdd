/**
 * `KTable.toStream`: the changelog stream of a table (each update's new value; deletions as null values).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { Change } from '../change.js';

class KTableToStreamProcessor<K, V> implements Processor<K, Change<V>, K, V | null> {
  #context!: ProcessorContext<K, V | null>;

  init(context: ProcessorContext<K, V | null>): void {
    this.#context = context;
  }

  process(record: Record<K, Change<V>>): void {
    this.#context.forward(record.withValue(record.value.newValue));
  }
}

/**
 * Forwards each table update as a record with the row's new value (`null` for a deletion: a tombstone).
 *
 * @example
 * ```ts
 * topology.addProcessor('KTABLE-TOSTREAM-0000000004', ktableToStream(), 'KSTREAM-AGGREGATE-0000000003');
 * ```
 */
export function ktableToStream<K, V>(): ProcessorSupplier<K, Change<V>, K, V | null> {
  return () => new KTableToStreamProcessor<K, V>();
}
