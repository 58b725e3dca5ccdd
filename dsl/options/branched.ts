/**
 * `Branched`: the name of a branch of `KStream.split()` and what to do with it.
 */
import type { KStream } from '../kstream.js';
import { validateName } from './named.js';

/**
 * What a branch does with its stream: nothing (it is returned in the result map), a function whose result is
 * returned instead (`null`/`undefined`: left out of the map), or a consumer (the branch is left out of the map).
 *
 * @example
 * ```ts
 * const chain: BranchChain<string, number> = { kind: 'function', fn: (s) => s.mapValues((v) => v * 2) };
 * ```
 */
export type BranchChain<K, V> =
  | { readonly kind: 'none' }
  | { readonly kind: 'function'; readonly fn: (branch: KStream<K, V>) => KStream<K, V> | null | undefined | void }
  | { readonly kind: 'consumer'; readonly fn: (branch: KStream<K, V>) => void };

/**
 * Options of one branch of `split()` (Kafka Streams' `Branched`): its name, appended to the split's name to key the
 * result map and name the branch processor (else the branch's 1-based position, `0` for the default branch), and
 * optionally a function or consumer applied to the branch stream.
 *
 * @example
 * ```ts
 * const branches = stream.split(Named.as('split-'))
 *   .branch((_k, v) => v > 0, Branched.as('positive'))
 *   .branch((_k, v) => v < 0, Branched.withConsumer((s) => s.to('negatives')))
 *   .defaultBranch(Branched.as('zero'));
 * branches.get('split-positive'); // KStream
 * ```
 */
export class Branched<K, V> {
  private constructor(
    readonly name: string | undefined,
    readonly chain: BranchChain<K, V>,
  ) {
    Object.freeze(this);
  }

  /** A branch with this name. @example `Branched.as('large')` */
  static as<K = unknown, V = unknown>(name: string): Branched<K, V> {
    return new Branched<K, V>(validateName(name), { kind: 'none' });
  }

  /**
   * A branch whose stream goes through `fn`; the map holds what `fn` returns (nothing if it returns null/undefined).
   *
   * @example
   * ```ts
   * Branched.withFunction((s: KStream<string, number>) => s.filter((_k, v) => v > 10), 'big');
   * ```
   */
  static withFunction<K, V>(fn: (branch: KStream<K, V>) => KStream<K, V> | null | undefined | void, name?: string): Branched<K, V> {
    return new Branched<K, V>(name === undefined ? undefined : validateName(name), { kind: 'function', fn });
  }

  /**
   * A branch whose stream is handed to `fn` (for example to write it somewhere); it is left out of the result map.
   *
   * @example
   * ```ts
   * Branched.withConsumer((s: KStream<string, string>) => s.to('errors'), 'errors');
   * ```
   */
  static withConsumer<K, V>(fn: (branch: KStream<K, V>) => void, name?: string): Branched<K, V> {
    return new Branched<K, V>(name === undefined ? undefined : validateName(name), { kind: 'consumer', fn });
  }
}
