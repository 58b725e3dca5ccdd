/**
 * The aborted-transactions index of one partition: one `<base offset>.txnindex` file per segment, in Kafka's
 * TxnIndex entry layout (34 bytes each):
 *
 * ```
 * version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
 * ```
 *
 * An entry is appended to the file of the segment that holds the ABORT marker when the marker is appended
 * (`lastOffset` = the marker's offset, `lastStableOffset` = the partition's LSO just after it). The files are
 * persisted per segment and deleted with their segment; after an unclean shutdown the entries at or after the
 * producer-state snapshot are dropped and rebuilt by replaying the log from there (see PartitionLog).
 */
import * as path from 'node:path';
import type { LogFile, Storage } from './storage.js';
import { readInt64BE, writeInt64BE } from './varint.js';

const ENTRY_BYTES = 34;
const SUFFIX = '.txnindex';

/**
 * One aborted transaction in a partition: its producer, the offset of its first batch here and the offset of its
 * ABORT marker. A read_committed reader skips the producer's transactional batches from `firstOffset` until it
 * meets the marker.
 *
 * @example
 * ```ts
 * const [a] = fetched.abortedTransactions ?? [];
 * if (a !== undefined && batch.producerId === a.producerId && batch.baseOffset >= a.firstOffset) skip(batch);
 * ```
 */
export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

interface Entry extends AbortedTransaction {
  readonly lastStableOffset: number;
  readonly segmentBase: number;
}

const NONE: readonly AbortedTransaction[] = Object.freeze([]);

/** The `.txnindex` file name of a segment: base offset as 20 zero-padded digits, as Kafka names it. */
function fileName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0') + SUFFIX;
}

/**
 * Aborted transactions of a partition, in memory (in marker order) and in one file per segment.
 *
 * @example
 * ```ts
 * const index = new AbortedTransactionsIndex(storage, dir);
 * index.load([0, 1000], recoveredFrom);
 * index.append(1000, { producerId: 7, firstOffset: 990, lastOffset: 1012 }, 1013);
 * index.collect(995, 2000); // [{ producerId: 7, firstOffset: 990, lastOffset: 1012 }]
 * ```
 */
export class AbortedTransactionsIndex {
  readonly #storage: Storage;
  readonly #dir: string;
  #entries: Entry[] = [];
  readonly #files = new Map<number, LogFile>();
  readonly #unsynced = new Set<LogFile>();

  constructor(storage: Storage, dir: string) {
    this.#storage = storage;
    this.#dir = dir;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Loads the files of the given segments (ascending bases), keeping only entries whose marker lies below
   * `keepBelow` (the rest are rebuilt by the caller's replay); files of other segments are deleted.
   */
  load(segmentBases: readonly number[], keepBelow: number): void {
    this.close();
    this.#entries = [];
    const wanted = new Set(segmentBases.map(fileName));
    for (const name of this.#storage.list(this.#dir)) {
      if (name.endsWith(SUFFIX) && !wanted.has(name)) this.#storage.remove(path.join(this.#dir, name));
    }
    for (const base of segmentBases) {
      const raw = this.#storage.readFile(path.join(this.#dir, fileName(base)));
      if (raw === null) continue;
      let kept = 0;
      for (let p = 0; p + ENTRY_BYTES <= raw.length; p += ENTRY_BYTES) {
        const lastOffset = readInt64BE(raw, p + 18);
        if (raw.readInt16BE(p) !== 0 || lastOffset >= keepBelow) break;
        this.#entries.push({
          producerId: readInt64BE(raw, p + 2),
          firstOffset: readInt64BE(raw, p + 10),
          lastOffset,
          lastStableOffset: readInt64BE(raw, p + 26),
          segmentBase: base,
        });
        kept++;
      }
      if (kept * ENTRY_BYTES !== raw.length) {
        const f = this.#file(base);
        f.truncate(kept * ENTRY_BYTES);
        this.#unsynced.add(f);
      }
    }
    // Files hold entries in marker order and segments ascend, so the concatenation is ordered; keep it so anyway.
    this.#entries.sort((a, b) => a.lastOffset - b.lastOffset);
  }

  /** Records an aborted transaction whose marker was appended to the segment at `segmentBase`. */
  append(segmentBase: number, txn: AbortedTransaction, lastStableOffset: number): void {
    const e: Entry = { producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset, lastStableOffset, segmentBase };
    this.#entries.push(e);
    const b = Buffer.allocUnsafe(ENTRY_BYTES);
    b.writeInt16BE(0, 0);
    writeInt64BE(b, 2, e.producerId);
    writeInt64BE(b, 10, e.firstOffset);
    writeInt64BE(b, 18, e.lastOffset);
    writeInt64BE(b, 26, e.lastStableOffset);
    const f = this.#file(segmentBase);
    f.append(b);
    this.#unsynced.add(f);
  }

  /**
   * Aborted transactions a fetch of [fromOffset, upToOffset) must know: marker at or after `fromOffset` and first
   * offset before `upToOffset`. Stops early, as Kafka does, at an entry whose LSO reached `upToOffset` (no
   * transaction aborted later can have started before it).
   */
  collect(fromOffset: number, upToOffset: number): readonly AbortedTransaction[] {
    const es = this.#entries;
    if (es.length === 0 || es[es.length - 1]!.lastOffset < fromOffset) return NONE;
    let lo = 0;
    let hi = es.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (es[mid]!.lastOffset < fromOffset) lo = mid + 1;
      else hi = mid;
    }
    let out: AbortedTransaction[] | null = null;
    for (let i = lo; i < es.length; i++) {
      const e = es[i]!;
      if (e.firstOffset < upToOffset) (out ??= []).push({ producerId: e.producerId, firstOffset: e.firstOffset, lastOffset: e.lastOffset });
      if (e.lastStableOffset >= upToOffset) break;
    }
    return out ?? NONE;
  }

  /** Forgets a deleted segment's entries and removes its file. */
  dropSegment(segmentBase: number): void {
    const f = this.#files.get(segmentBase);
    if (f !== undefined) {
      f.close();
      this.#unsynced.delete(f);
      this.#files.delete(segmentBase);
    }
    this.#storage.remove(path.join(this.#dir, fileName(segmentBase)));
    if (this.#entries.some((e) => e.segmentBase === segmentBase)) this.#entries = this.#entries.filter((e) => e.segmentBase !== segmentBase);
  }

  /** fdatasync of every file appended to since the last sync. */
  async sync(): Promise<void> {
    const files = [...this.#unsynced];
    this.#unsynced.clear();
    await Promise.all(files.map((f) => f.sync()));
  }

  /** Makes everything durable and closes the files. */
  close(): void {
    for (const f of this.#unsynced) f.syncNow();
    this.#unsynced.clear();
    for (const f of this.#files.values()) f.close();
    this.#files.clear();
  }

  #file(segmentBase: number): LogFile {
    let f = this.#files.get(segmentBase);
    if (f === undefined) {
      f = this.#storage.open(path.join(this.#dir, fileName(segmentBase)));
      this.#files.set(segmentBase, f);
    }
    return f;
  }
}
