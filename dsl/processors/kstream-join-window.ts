/**
 * The KSTREAM-WINDOWED processor of a stream-stream join: remembers each record of one side in that side's window
 * store and forwards it to the side's join processor (Kafka Streams' `KStreamJoinWindow`).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { WindowStore } from '../../src/state/window-store.js';

class KStreamJoinWindowProcessor<K, V> implements Processor<K, V, K, V> {
  #context!: ProcessorContext<K, V>;
  #store!: WindowStore<K, V>;

  constructor(private readonly storeName: string) {}

  init(context: ProcessorContext<K, V>): void {
    this.#context = context;
    this.#store = context.getStateStore<WindowStore<K, V>>(this.storeName);
  }

  process(record: Record<K, V>): void {
    // Forward first, store second, as Kafka Streams: a self-join then pairs a record with itself exactly once.
    this.#context.forward(record);
    const { key, value } = record;
    // A null key or value can never join: not worth keeping (the join processor decides what it produces).
    if (key === null || key === undefined || value === null || value === undefined) return;
    this.#store.put(key, value, record.timestampMs);
  }
}

/**
 * Forwards every record unchanged and puts those with a non-null key and value into the window store `storeName`
 * (a duplicate-keeping store: each record is its own entry at its timestamp), where the other side's join
 * processor finds it.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-WINDOWED-0000000002', kstreamJoinWindow('KSTREAM-JOINTHIS-0000000004-store'), 'KSTREAM-SOURCE-0000000000');
 * ```
 */
export function kstreamJoinWindow<K, V>(storeName: string): ProcessorSupplier<K, V, K, V> {
  return () => new KStreamJoinWindowProcessor<K, V>(storeName);
}
