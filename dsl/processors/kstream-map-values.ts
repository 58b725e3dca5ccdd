/**
 * `KStream.mapValues`: a value mapper that keeps the key.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { ValueMapper } from '../functions.js';

class KStreamMapValuesProcessor<K, V, VR> implements Processor<K, V, K, VR> {
  #context!: ProcessorContext<K, VR>;

  constructor(private readonly mapper: ValueMapper<K, V, VR>) {}

  init(context: ProcessorContext<K, VR>): void {
    this.#context = context;
  }

  process(record: Record<K, V>): void {
    this.#context.forward(record.withValue(this.mapper(record.value, record.key)));
  }
}

/**
 * Replaces each record's value with `mapper(value, key)`; key, timestamp and headers are kept.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-MAPVALUES-0000000001', kstreamMapValues((v: string) => v.length), 'source');
 * ```
 */
export function kstreamMapValues<K, V, VR>(mapper: ValueMapper<K, V, VR>): ProcessorSupplier<K, V, K, VR> {
  return () => new KStreamMapValuesProcessor(mapper);
}
