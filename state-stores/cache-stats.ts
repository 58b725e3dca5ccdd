/**
 * Hit and miss counts of a caching layer's point reads, which the metered layer exposes as `cacheStats` and the
 * runtime lists as the store's `hit-ratio` metric.
 *
 * @example
 * ```ts
 * const stats = (store as MeteredKeyValueStore<string, bigint>).cacheStats; // null without a caching layer
 * const ratio = stats === null ? 0 : stats.hits / Math.max(1, stats.hits + stats.misses);
 * ```
 */
export interface CacheStats {
  /** Point reads answered from the cache (a cached tombstone counts: the cache knew the key is absent). */
  readonly hits: number;
  /** Point reads that went to the wrapped store. */
  readonly misses: number;
}

/**
 * The mutable counters a caching layer increments (plain fields: one increment per read).
 *
 * @example
 * ```ts
 * readonly cacheStats = new CacheHitCounter();
 * // in get(): found ? this.cacheStats.hits++ : this.cacheStats.misses++;
 * ```
 */
export class CacheHitCounter implements CacheStats {
  hits = 0;
  misses = 0;
}

/** The `cacheStats` of a store layer that has them (a caching layer), else null. */
export function cacheStatsOf(store: unknown): CacheStats | null {
  const stats = (store as { readonly cacheStats?: unknown } | null)?.cacheStats;
  return stats instanceof CacheHitCounter ? stats : null;
}
