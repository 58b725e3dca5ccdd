/**
 * `KStream.map` and `selectKey` (and the key selection of `KStream.groupBy`): key-changing record mappers.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import type { KeyValue } from '../../src/state/key-value-store.js';
import type { KeyValueMapper } from '../functions.js';

class KStreamMapProcessor<K, V, KR, VR> implements Processor<K, V, KR, VR> {
  #context!: ProcessorContext<KR, VR>;

  constructor(private readonly mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>) {}

  init(context: ProcessorContext<KR, VR>): void {
    this.#context = context;
  }

  process(record: Record<K, V>): void {
    const pair = this.mapper(record.key, record.value);
    this.#context.forward(new Record(pair.key, pair.value, record.timestampMs, record.headers));
  }
}

class KStreamSelectKeyProcessor<K, V, KR> implements Processor<K, V, KR, V> {
  #context!: ProcessorContext<KR, V>;

  constructor(private readonly mapper: KeyValueMapper<K, V, KR>) {}

  init(context: ProcessorContext<KR, V>): void {
    this.#context = context;
  }

  process(record: Record<K, V>): void {
    this.#context.forward(record.withKey(this.mapper(record.key, record.value)));
  }
}

/**
 * Replaces each record's key and value with the pair `mapper` returns (timestamp and headers kept).
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-MAP-0000000001', kstreamMap((k: string, v: number) => ({ key: v, value: k })), 'source');
 * ```
 */
export function kstreamMap<K, V, KR, VR>(mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>): ProcessorSupplier<K, V, KR, VR> {
  return () => new KStreamMapProcessor(mapper);
}

/**
 * Replaces each record's key with what `mapper` returns; the value is kept.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-KEY-SELECT-0000000002', kstreamSelectKey((_k, word: string) => word), 'words');
 * ```
 */
export function kstreamSelectKey<K, V, KR>(mapper: KeyValueMapper<K, V, KR>): ProcessorSupplier<K, V, KR, V> {
  return () => new KStreamSelectKeyProcessor(mapper);
}
