import type { CommittedOffset } from './group-coordinator.js';

interface Waiter {
  readonly groupId: string;
  readonly keys: readonly string[];
  readonly resolve: () => void;
}

/**
 * Offsets committed inside transactions that have not completed yet (Kafka's pendingTransactionalOffsetCommits),
 * per producer id, then group, then partition key. They become committed offsets when the transaction's COMMIT
 * marker is written, and are dropped on ABORT; until then a stable read (KIP-447 requireStable) of those partitions
 * waits.
 *
 * @example
 * ```ts
 * pending.add(7, 'app', [commit]);
 * const settled = pending.take(7); // Map { 'app' => [commit] }
 * ```
 */
export class PendingTransactionalOffsets {
  readonly #byProducer = new Map<number, Map<string, Map<string, CommittedOffset>>>();
  #waiters: Waiter[] = [];

  /** Adds offsets of producer `producerId`'s open transaction; a later one for the same partition replaces it. */
  add(producerId: number, groupId: string, commits: readonly (readonly [string, CommittedOffset])[]): void {
    let groups = this.#byProducer.get(producerId);
    if (groups === undefined) this.#byProducer.set(producerId, (groups = new Map()));
    let offsets = groups.get(groupId);
    if (offsets === undefined) groups.set(groupId, (offsets = new Map()));
    for (const [key, c] of commits) offsets.set(key, c);
  }

  /** Removes and returns the producer's pending offsets per group (in commit order per group), and wakes stable reads. */
  take(producerId: number): Map<string, Map<string, CommittedOffset>> | undefined {
    const groups = this.#byProducer.get(producerId);
    if (groups === undefined) return undefined;
    this.#byProducer.delete(producerId);
    return groups;
  }

  /** Whether some open transaction holds an offset for the group's partition key. */
  has(groupId: string, key: string): boolean {
    for (const groups of this.#byProducer.values()) if (groups.get(groupId)?.has(key) === true) return true;
    return false;
  }

  /** Null when none of the keys has a pending offset, else a promise resolved once none has. */
  whenStable(groupId: string, keys: readonly string[]): Promise<void> | null {
    if (this.#byProducer.size === 0 || !keys.some((k) => this.has(groupId, k))) return null;
    return new Promise((resolve) => this.#waiters.push({ groupId, keys, resolve }));
  }

  /** Resolves the waiters whose partitions are now stable (call after take). */
  notify(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.keys.some((k) => this.has(w.groupId, k))) still.push(w);
      else w.resolve();
    }
    this.#waiters = still;
  }
}
