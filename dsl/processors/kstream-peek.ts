/**
 * `KStream.peek` (a side effect, then forward) and `foreach` (a side effect, terminal).
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { ForeachAction } from '../functions.js';

class KStreamPeekProcessor<K, V> implements Processor<K, V, K, V> {
  #context!: ProcessorContext<K, V>;

  constructor(
    private readonly action: ForeachAction<K, V>,
    private readonly isTerminal: boolean,
  ) {}

  init(context: ProcessorContext<K, V>): void {
    this.#context = context;
  }

  process(record: Record<K, V>): void {
    this.action(record.key, record.value);
    if (!this.isTerminal) this.#context.forward(record);
  }
}

/**
 * Calls `action(key, value)` for each record, then forwards it unchanged.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-PEEK-0000000002', kstreamPeek((k, v) => seen.push([k, v])), 'source');
 * ```
 */
export function kstreamPeek<K, V>(action: ForeachAction<K, V>): ProcessorSupplier<K, V, K, V> {
  return () => new KStreamPeekProcessor(action, false);
}

/**
 * Calls `action(key, value)` for each record and forwards nothing.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-FOREACH-0000000002', kstreamForeach((k, v) => console.info(k, v)), 'source');
 * ```
 */
export function kstreamForeach<K, V>(action: ForeachAction<K, V>): ProcessorSupplier<K, V, K, V> {
  return () => new KStreamPeekProcessor(action, true);
}
