/**
 * `KStream.filter` / `filterNot`.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { Predicate } from '../functions.js';

class KStreamFilterProcessor<K, V> implements Processor<K, V, K, V> {
  #context!: ProcessorContext<K, V>;

  constructor(
    private readonly predicate: Predicate<K, V>,
    private readonly isNot: boolean,
  ) {}

  init(context: ProcessorContext<K, V>): void {
    this.#context = context;
  }

  process(record: Record<K, V>): void {
    if (this.predicate(record.key, record.value) !== this.isNot) this.#context.forward(record);
  }
}

/**
 * Forwards the records `predicate` accepts (`isNot`: the records it rejects), unchanged.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-FILTER-0000000001', kstreamFilter((_k, v: string) => v !== '', false), 'source');
 * ```
 */
export function kstreamFilter<K, V>(predicate: Predicate<K, V>, isNot: boolean): ProcessorSupplier<K, V, K, V> {
  return () => new KStreamFilterProcessor(predicate, isNot);
}
