/**
 * The implementation of {@link BranchedKStream}: the branches of one `split()`. Internal.
 */
import { StreamsError } from '../src/errors.js';
import { erase, requireFunction } from './dsl-context.js';
import type { Predicate } from './functions.js';
import type { NodeId } from './graph/graph-node.js';
import { KStreamImpl } from './kstream-impl.js';
import type { StreamState } from './kstream-impl.js';
import type { BranchedKStream, KStream } from './kstream.js';
import type { Branched } from './options/branched.js';

/**
 * Adds a branch node under the split node per `branch()` call; the split node's processor is assembled from its
 * branches when the topology is built (first matching predicate wins, in call order).
 *
 * @example
 * ```ts
 * const branches = new BranchedKStreamImpl(state, split.id, split.name).branch((_k, v) => v > 0).noDefaultBranch();
 * ```
 */
export class BranchedKStreamImpl<K, V> implements BranchedKStream<K, V> {
  readonly #branches = new Map<string, KStream<K, V>>();
  #count = 0;
  #hasDefault = false;

  constructor(
    private readonly source: StreamState<K, V>,
    private readonly splitId: NodeId,
    private readonly splitName: string,
  ) {}

  branch(predicate: Predicate<K, V>, branched?: Branched<K, V>): BranchedKStream<K, V> {
    requireFunction(predicate, 'predicate');
    this.#add(predicate, branched, ++this.#count);
    return this;
  }

  defaultBranch(branched?: Branched<K, V>): Map<string, KStream<K, V>> {
    if (this.#hasDefault) throw new StreamsError('TOPOLOGY_INVALID', `split ${this.splitName} already has a default branch`);
    this.#hasDefault = true;
    this.#add(null, branched, 0);
    return this.#branches;
  }

  noDefaultBranch(): Map<string, KStream<K, V>> {
    return this.#branches;
  }

  #add(predicate: Predicate<K, V> | null, branched: Branched<K, V> | undefined, index: number): void {
    const { builder } = this.source;
    const name = `${this.splitName}${branched?.name ?? String(index)}`;
    // Kafka Streams draws a generated index for every branch, though it names the branch itself.
    builder.newProcessorName(name);
    const node = builder.add({ kind: 'branch', name, parents: [this.splitId], predicate: erase(predicate) });
    const stream = new KStreamImpl<K, V>({ ...this.source, nodeId: node.id, name });
    const chain = branched?.chain ?? { kind: 'none' };
    switch (chain.kind) {
      case 'none':
        this.#branches.set(name, stream);
        break;
      case 'function': {
        const result = chain.fn(stream);
        if (result !== null && result !== undefined) this.#branches.set(name, result);
        break;
      }
      case 'consumer':
        chain.fn(stream);
        break;
    }
  }
}
