/** The in-memory {@link Segments}: a Map of segments, each a B+tree from key bytes to that key's sorted slots. */
import type { StateStoreContext } from '../../src/state/state-store.js';
import { BytesBTree } from '../bytes-b-tree.js';
import { compareBytes } from '../compare-bytes.js';
import { lowerBoundByTimes, segmentIdOf } from './segments.js';
import type { SegmentEntry, Segments } from './segments.js';

interface Slot {
  readonly t1: number;
  readonly t2: number;
  value: Uint8Array;
}

/**
 * {@link Segments} kept in memory: `Map<segmentId, BytesBTree<Slot[]>>`; dropping a segment deletes its map entry.
 *
 * @example
 * ```ts
 * const s = new InMemorySegments(60_000);
 * s.put(Buffer.from('k'), 0, 0, Buffer.from([1]));
 * s.segmentIds(); // [0]
 * ```
 */
export class InMemorySegments implements Segments {
  readonly persistent = false;
  readonly #segments = new Map<number, BytesBTree<Slot[]>>();
  #meta: number | undefined = undefined;

  constructor(readonly segmentIntervalMs: number) {}

  open(_context: StateStoreContext, _storeName: string): void {}

  get(key: Uint8Array, t1: number, t2: number): Uint8Array | null {
    const slots = this.#segments.get(segmentIdOf(t1, this.segmentIntervalMs))?.get(key);
    if (slots === undefined) return null;
    const i = lowerBoundByTimes(slots, t1, t2);
    const slot = slots[i];
    return slot !== undefined && slot.t1 === t1 && slot.t2 === t2 ? slot.value : null;
  }

  put(key: Uint8Array, t1: number, t2: number, value: Uint8Array): void {
    const id = segmentIdOf(t1, this.segmentIntervalMs);
    let tree = this.#segments.get(id);
    if (tree === undefined) {
      tree = new BytesBTree<Slot[]>();
      this.#segments.set(id, tree);
    }
    const slots = tree.get(key);
    if (slots === undefined) {
      tree.set(key, [{ t1, t2, value }]);
      return;
    }
    const i = lowerBoundByTimes(slots, t1, t2);
    const slot = slots[i];
    if (slot !== undefined && slot.t1 === t1 && slot.t2 === t2) slot.value = value;
    else slots.splice(i, 0, { t1, t2, value });
  }

  delete(key: Uint8Array, t1: number, t2: number): void {
    const id = segmentIdOf(t1, this.segmentIntervalMs);
    const tree = this.#segments.get(id);
    const slots = tree?.get(key);
    if (tree === undefined || slots === undefined) return;
    const i = lowerBoundByTimes(slots, t1, t2);
    const slot = slots[i];
    if (slot === undefined || slot.t1 !== t1 || slot.t2 !== t2) return;
    slots.splice(i, 1);
    if (slots.length === 0) {
      tree.delete(key);
      if (tree.size === 0) this.#segments.delete(id);
    }
  }

  *fetch(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    t1From: number,
    t1To: number,
    backward: boolean,
  ): Generator<SegmentEntry, undefined> {
    if (t1From > t1To || (keyFrom !== null && keyTo !== null && compareBytes(keyFrom, keyTo) > 0)) return undefined;
    const ids = this.#idsBetween(t1From, t1To);
    if (backward) ids.reverse();
    for (const id of ids) {
      const tree = this.#segments.get(id);
      if (tree === undefined) continue;
      const cursor = tree.cursor(keyFrom, true, keyTo, true, backward);
      while (cursor.advance()) {
        const key = cursor.key;
        // A copy: writes while iterating must not shift the slots under us.
        const slots = cursor.value!.slice();
        if (backward) {
          for (let i = slots.length - 1; i >= 0; i--) {
            const s = slots[i]!;
            if (s.t1 >= t1From && s.t1 <= t1To) yield { key, t1: s.t1, t2: s.t2, value: s.value };
          }
        } else {
          for (const s of slots) if (s.t1 >= t1From && s.t1 <= t1To) yield { key, t1: s.t1, t2: s.t2, value: s.value };
        }
      }
    }
    return undefined;
  }

  dropBefore(segmentId: number): void {
    for (const id of this.#segments.keys()) if (id < segmentId) this.#segments.delete(id);
  }

  segmentIds(): number[] {
    return [...this.#segments.keys()].sort((a, b) => a - b);
  }

  loadMeta(): number | undefined {
    return this.#meta;
  }

  saveMeta(value: number): void {
    this.#meta = value;
  }

  flush(): void {}

  close(): void {
    this.#segments.clear();
  }

  #idsBetween(t1From: number, t1To: number): number[] {
    const lo = t1From === -Infinity ? -Infinity : segmentIdOf(t1From, this.segmentIntervalMs);
    const hi = t1To === Infinity ? Infinity : segmentIdOf(t1To, this.segmentIntervalMs);
    const ids: number[] = [];
    for (const id of this.#segments.keys()) if (id >= lo && id <= hi) ids.push(id);
    return ids.sort((a, b) => a - b);
  }
}
