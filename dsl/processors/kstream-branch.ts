/**
 * The splitter behind `KStream.split()`: routes each record to the first branch whose predicate accepts it.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Record } from '../../src/processor/record.js';
import type { Predicate } from '../functions.js';

class KStreamBranchProcessor<K, V> implements Processor<K, V, K, V> {
  #context!: ProcessorContext<K, V>;

  constructor(
    private readonly predicates: readonly Predicate<K, V>[],
    private readonly childNames: readonly string[],
    private readonly defaultChild: string | null,
  ) {}

  init(context: ProcessorContext<K, V>): void {
    this.#context = context;
  }

  process(record: Record<K, V>): void {
    const predicates = this.predicates;
    for (let i = 0; i < predicates.length; i++) {
      if (predicates[i]!(record.key, record.value)) {
        this.#context.forward(record, this.childNames[i]);
        return;
      }
    }
    if (this.defaultChild !== null) this.#context.forward(record, this.defaultChild);
  }
}

/**
 * Forwards each record to the child `childNames[i]` of the first predicate `i` that accepts it (first match wins),
 * else to `defaultChild`, else nowhere.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-BRANCH-0000000001', kstreamBranch([(_k, v: number) => v > 0], ['KSTREAM-BRANCH-00000000011'], 'KSTREAM-BRANCH-00000000010'), 'src');
 * ```
 */
export function kstreamBranch<K, V>(
  predicates: readonly Predicate<K, V>[],
  childNames: readonly string[],
  defaultChild: string | null,
): ProcessorSupplier<K, V, K, V> {
  const frozenPredicates = Object.freeze([...predicates]);
  const frozenNames = Object.freeze([...childNames]);
  return () => new KStreamBranchProcessor(frozenPredicates, frozenNames, defaultChild);
}
