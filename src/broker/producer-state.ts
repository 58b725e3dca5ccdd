import { StreamsError } from '../errors.js';

/** How many recent batches per producer are remembered to recognise a retried batch (Kafka keeps 5). */
const REMEMBERED_BATCHES = 5;

interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
}

/** What the idempotence check decided for an incoming batch. */
export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly baseOffset: number; readonly lastOffset: number };

/** Serialized form, written as a snapshot beside the segments so recovery does not rescan the whole log. */
export interface ProducerStateSnapshot {
  readonly offset: number;
  readonly producers: readonly { id: number; epoch: number; batches: BatchMetadata[] }[];
  /** Open transactions at `offset`: producer id and the offset of its transaction's first batch here (absent in old snapshots). */
  readonly ongoing?: readonly (readonly [number, number])[];
}

/**
 * Per-partition idempotent-producer state: for each producer id, its epoch and the sequence numbers of its last
 * five batches. A retried batch (same first and last sequence) is answered with its original offsets instead of
 * being appended twice; a gap in sequences is OUT_OF_ORDER_SEQUENCE; an older epoch is PRODUCER_FENCED.
 *
 * It also tracks the open transactions of this partition (Kafka's currentTxnFirstOffset per producer): the first
 * offset of each producer's transaction that has data here and no marker yet. The smallest is the first unstable
 * offset, which bounds the last stable offset.
 */
export class ProducerStateManager {
  readonly #producers = new Map<number, ProducerEntry>();
  readonly #ongoing = new Map<number, number>();

  /** Checks a batch before it is appended. Non-idempotent batches (producerId < 0) always append. */
  check(producerId: number, epoch: number, baseSequence: number, lastSequence: number, where: { topic: string; partition: number }): SequenceCheck {
    if (producerId < 0 || baseSequence < 0) return { kind: 'append' };
    const e = this.#producers.get(producerId);
    if (e === undefined || epoch > e.epoch) {
      if (baseSequence !== 0 && e !== undefined) {
        throw new StreamsError('OUT_OF_ORDER_SEQUENCE', `producer ${producerId} epoch ${epoch} must start at sequence 0, got ${baseSequence}`, where);
      }
      return { kind: 'append' };
    }
    if (epoch < e.epoch) {
      throw new StreamsError('PRODUCER_FENCED', `producer ${producerId} epoch ${epoch} is older than the current epoch ${e.epoch}`, where);
    }
    for (const b of e.batches) {
      if (b.firstSeq === baseSequence && b.lastSeq === lastSequence) {
        return { kind: 'duplicate', baseOffset: b.baseOffset, lastOffset: b.lastOffset };
      }
    }
    const last = e.batches[e.batches.length - 1];
    const expected = last === undefined ? 0 : nextSequence(last.lastSeq);
    if (baseSequence !== expected) {
      throw new StreamsError(
        'OUT_OF_ORDER_SEQUENCE',
        `producer ${producerId} sent sequence ${baseSequence}, expected ${expected}`,
        where,
      );
    }
    return { kind: 'append' };
  }

  /** Records an appended batch (also used when replaying the log at recovery). */
  update(producerId: number, epoch: number, baseSequence: number, lastSequence: number, baseOffset: number, lastOffset: number): void {
    if (producerId < 0) return;
    let e = this.#producers.get(producerId);
    if (e === undefined || epoch > e.epoch) {
      e = { epoch, batches: [] };
      this.#producers.set(producerId, e);
    } else if (epoch < e.epoch) return;
    if (baseSequence < 0) return;
    e.batches.push({ firstSeq: baseSequence, lastSeq: lastSequence, baseOffset, lastOffset });
    if (e.batches.length > REMEMBERED_BATCHES) e.batches.shift();
  }

  /** Notes a transactional data batch at `baseOffset`: opens the producer's transaction here unless it is open. */
  beginTransaction(producerId: number, baseOffset: number): void {
    if (!this.#ongoing.has(producerId)) this.#ongoing.set(producerId, baseOffset);
  }

  /** Closes the producer's open transaction (a marker was appended); returns its first offset, or undefined if none was open. */
  endTransaction(producerId: number): number | undefined {
    const first = this.#ongoing.get(producerId);
    if (first !== undefined) this.#ongoing.delete(producerId);
    return first;
  }

  /** The first offset of the oldest open transaction, or Infinity when none is open. */
  get firstUnstableOffset(): number {
    if (this.#ongoing.size === 0) return Infinity;
    let min = Infinity;
    for (const first of this.#ongoing.values()) if (first < min) min = first;
    return min;
  }

  /** Open transactions: producer id -> first offset. */
  get ongoingTransactions(): ReadonlyMap<number, number> {
    return this.#ongoing;
  }

  /** The highest epoch seen for a producer, or undefined. */
  epochOf(producerId: number): number | undefined {
    return this.#producers.get(producerId)?.epoch;
  }

  snapshot(offset: number): ProducerStateSnapshot {
    return {
      offset,
      producers: [...this.#producers].map(([id, e]) => ({ id, epoch: e.epoch, batches: [...e.batches] })),
      ongoing: [...this.#ongoing],
    };
  }

  load(snapshot: ProducerStateSnapshot): void {
    this.clear();
    for (const p of snapshot.producers) this.#producers.set(p.id, { epoch: p.epoch, batches: [...p.batches] });
    for (const [id, first] of snapshot.ongoing ?? []) this.#ongoing.set(id, first);
  }

  clear(): void {
    this.#producers.clear();
    this.#ongoing.clear();
  }
}

/** Sequence numbers wrap from int32 max to 0, as Kafka's do. */
export function nextSequence(seq: number): number {
  return seq === 0x7fffffff ? 0 : seq + 1;
}

/** The last sequence of a batch starting at `baseSequence` with `count` records. */
export function lastSequenceOf(baseSequence: number, count: number): number {
  if (baseSequence < 0) return -1;
  return (baseSequence + count - 1) % 0x80000000;
}
