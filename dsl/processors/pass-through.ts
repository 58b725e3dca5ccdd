/**
 * The pass-through processor: forwards every record unchanged (merge nodes, branch children).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';

class PassThroughProcessor<K, V> implements Processor<K, V, K, V> {
  #context!: ProcessorContext<K, V>;

  init(context: ProcessorContext<K, V>): void {
    this.#context = context;
  }

  process(record: Record<K, V>): void {
    this.#context.forward(record);
  }
}

/**
 * A supplier of processors that forward each record as is (Kafka Streams' `PassThrough`), behind `merge` and the
 * branches of `split`.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-MERGE-0000000004', passThrough(), 'left', 'right');
 * ```
 */
export function passThrough<K, V>(): ProcessorSupplier<K, V, K, V> {
  return () => new PassThroughProcessor<K, V>();
}
