/**
 * `KStream.flatMap`: each record becomes zero or more records with new keys and values.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import type { KeyValue } from '../../src/state/key-value-store.js';
import type { KeyValueMapper } from '../functions.js';

class KStreamFlatMapProcessor<K, V, KR, VR> implements Processor<K, V, KR, VR> {
  #context!: ProcessorContext<KR, VR>;

  constructor(private readonly mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>) {}

  init(context: ProcessorContext<KR, VR>): void {
    this.#context = context;
  }

  process(record: Record<K, V>): void {
    const pairs = this.mapper(record.key, record.value);
    const { timestampMs, headers } = record;
    if (Array.isArray(pairs)) {
      // Arrays are the common case: index them rather than allocate an iterator per record.
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i] as KeyValue<KR, VR>;
        this.#context.forward(new Record(pair.key, pair.value, timestampMs, headers));
      }
      return;
    }
    for (const pair of pairs) this.#context.forward(new Record(pair.key, pair.value, timestampMs, headers));
  }
}

/**
 * Forwards one record per pair of the iterable `mapper` returns (none for an empty one), each with the input's
 * timestamp and headers.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-FLATMAP-0000000001', kstreamFlatMap((_k, line: string) => line.split(' ').map((w) => ({ key: w, value: 1 }))), 'lines');
 * ```
 */
export function kstreamFlatMap<K, V, KR, VR>(mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>): ProcessorSupplier<K, V, KR, VR> {
  return () => new KStreamFlatMapProcessor(mapper);
}
