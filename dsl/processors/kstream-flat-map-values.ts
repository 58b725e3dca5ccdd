/**
 * `KStream.flatMapValues`: each record becomes zero or more records with the same key.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { ValueMapper } from '../functions.js';

class KStreamFlatMapValuesProcessor<K, V, VR> implements Processor<K, V, K, VR> {
  #context!: ProcessorContext<K, VR>;

  constructor(private readonly mapper: ValueMapper<K, V, Iterable<VR>>) {}

  init(context: ProcessorContext<K, VR>): void {
    this.#context = context;
  }

  process(record: Record<K, V>): void {
    const values = this.mapper(record.value, record.key);
    if (Array.isArray(values)) {
      // Arrays are the common case (word count's split): index them rather than allocate an iterator per record.
      for (let i = 0; i < values.length; i++) this.#context.forward(record.withValue(values[i] as VR));
      return;
    }
    for (const value of values) this.#context.forward(record.withValue(value));
  }
}

/**
 * Forwards one record per value of the iterable `mapper(value, key)` returns, each with the input's key, timestamp
 * and headers.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-FLATMAPVALUES-0000000001', kstreamFlatMapValues((line: string) => line.split(' ')), 'lines');
 * ```
 */
export function kstreamFlatMapValues<K, V, VR>(mapper: ValueMapper<K, V, Iterable<VR>>): ProcessorSupplier<K, V, K, VR> {
  return () => new KStreamFlatMapValuesProcessor(mapper);
}
