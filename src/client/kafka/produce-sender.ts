import { encodeBatch, type CompressionCodec, type RecordInput } from '../../broker/record-batch.js';
import { StreamsError, toError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import type { ProduceRequestTopicProduceData, ProduceResponse } from '../../protocol/messages.js';
import type { RecordMetadata } from '../producer.js';
import { responseError, type KafkaCluster } from './cluster.js';
import { chunkBySize, sizeOf } from '../record-sizing.js';

/** Largest Produce request the sender builds for one broker; more batches go in a second request. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/**
 * Records for one partition, from one send.
 *
 * @example
 * ```ts
 * const g: PartitionRecords = { topic: 'lines', partition: 0, records, estimatedBytes: 1200 };
 * ```
 */
export interface PartitionRecords {
  readonly topic: string;
  readonly partition: number;
  readonly records: RecordInput[];
  readonly estimatedBytes: number;
}

/**
 * The pending result of one send: resolves with one RecordMetadata per partition range written.
 *
 * @example
 * ```ts
 * const metas = await sender.enqueue(groups).promise;
 * ```
 */
export interface SendAck {
  readonly promise: Promise<RecordMetadata[]>;
}

/**
 * What the sender needs from its producer.
 *
 * @example
 * ```ts
 * const options: ProduceSenderOptions = { acks: -1, transactionalId: null, maxBatchBytes: 1_000_000, isIdempotent: true,
 *   isTransactional: false, identity: () => ({ producerId, producerEpoch }), ensureIdentity: init, onFatal: reset, sendError: () => null };
 * ```
 */
export interface ProduceSenderOptions {
  readonly acks: -1 | 0 | 1;
  readonly transactionalId: string | null;
  readonly maxBatchBytes: number;
  readonly isIdempotent: boolean;
  readonly isTransactional: boolean;
  /** The codec of every batch (ProducerConfig.compressionType); default 'none'. */
  readonly compression?: CompressionCodec;
  /** Producer id and epoch to stamp on new batches (-1 when none yet). */
  readonly identity: () => { readonly producerId: number; readonly producerEpoch: number };
  /** Gets a producer id when an idempotent producer has none (after a reset). */
  readonly ensureIdentity: () => Promise<void>;
  /** A batch failed for good (not retriable, or out of retries). */
  readonly onFatal: (error: StreamsError) => void;
  /** Why batches must not be sent now (a failed transaction), else null. */
  readonly sendError: () => StreamsError | null;
}

class Ack implements SendAck {
  readonly promise: Promise<RecordMetadata[]>;
  readonly results: (RecordMetadata | null)[] = [];
  remaining = 0;
  #resolve!: (r: RecordMetadata[]) => void;
  #reject!: (e: unknown) => void;
  #settled = false;

  constructor() {
    this.promise = new Promise<RecordMetadata[]>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  set(slot: number, meta: RecordMetadata): void {
    this.results[slot] = meta;
    if (--this.remaining === 0 && !this.#settled) {
      this.#settled = true;
      this.#resolve(mergeAdjacent(this.results as RecordMetadata[]));
    }
  }

  fail(e: StreamsError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(e);
  }
}

interface Chunk {
  readonly records: RecordInput[];
  readonly bytes: number;
  readonly ack: Ack;
  readonly slot: number;
}

interface PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  readonly chunks: Chunk[];
  /** A batch of this partition is in flight or waiting to be retried: the next waits (keeps sequences in order). */
  inFlight: boolean;
  nextSequence: number;
  retry: Batch | null;
}

interface Batch {
  readonly queue: PartitionQueue;
  readonly chunks: readonly Chunk[];
  readonly bytes: Buffer;
  attempts: number;
}

/**
 * The send loop of the Kafka-protocol producer (Kafka's RecordAccumulator + Sender in one): queues records per
 * partition, drains ready partitions into one record batch v2 each, groups them by leader into Produce requests,
 * and completes each send when all its batches are acknowledged.
 *
 * Ordering: at most one batch per partition is in flight, so sequence numbers reach the broker in order and a
 * retried batch (same bytes, same sequence) never overtakes a later one; records queued meanwhile are combined
 * into the next batch (up to maxBatchBytes). Retriable errors (NOT_LEADER_OR_FOLLOWER, a lost connection, ...)
 * are retried with the cluster's backoff up to its retries; other errors fail the sends of that batch.
 *
 * @example
 * ```ts
 * const sender = new ProduceSender(cluster, options);
 * const ack = sender.enqueue([{ topic: 'lines', partition: 0, records, estimatedBytes }]);
 * const [meta] = await ack.promise;
 * ```
 */
export class ProduceSender {
  readonly #cluster: KafkaCluster;
  readonly #options: ProduceSenderOptions;
  readonly #queues = new Map<string, PartitionQueue>();
  /** Queues that may have something to send: the drain looks only at these. */
  #ready = new Set<PartitionQueue>();
  #drainScheduled = false;
  #outstanding = 0;
  #idle: (() => void)[] = [];
  #ensuring = false;

  constructor(cluster: KafkaCluster, options: ProduceSenderOptions) {
    this.#cluster = cluster;
    this.#options = options;
  }

  /** Queues one send's records (split into chunks under maxBatchBytes) and returns its pending result. */
  enqueue(groups: Iterable<PartitionRecords>): SendAck {
    const ack = new Ack();
    const max = this.#options.maxBatchBytes;
    for (const g of groups) {
      const key = `${g.partition}\u0000${g.topic}`;
      let q = this.#queues.get(key);
      if (q === undefined) {
        q = { topic: g.topic, partition: g.partition, chunks: [], inFlight: false, nextSequence: 0, retry: null };
        this.#queues.set(key, q);
      }
      if (g.estimatedBytes <= max) this.#push(q, ack, g.records, g.estimatedBytes);
      else for (const c of chunkBySize(g.records, max)) this.#push(q, ack, c, sizeOf(c));
      this.#ready.add(q);
    }
    if (ack.remaining === 0) return { promise: Promise.resolve([]) };
    this.#scheduleDrain();
    return ack;
  }

  /** A new producer id or epoch: sequences restart at 0 for every partition. */
  resetSequences(): void {
    for (const q of this.#queues.values()) q.nextSequence = 0;
  }

  /** Resolves when nothing is queued or in flight. */
  flush(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  #push(q: PartitionQueue, ack: Ack, records: RecordInput[], bytes: number): void {
    q.chunks.push({ records, bytes, ack, slot: ack.results.length });
    ack.results.push(null);
    ack.remaining++;
    this.#outstanding++;
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    // A microtask, not a timer: concurrent sends of this tick still combine, and fake timers cannot stall it.
    queueMicrotask(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    const blocked = this.#options.sendError();
    const { producerId, producerEpoch } = this.#options.identity();
    if (blocked === null && this.#options.isIdempotent && producerId < 0) {
      if (!this.#ensuring) {
        this.#ensuring = true;
        this.#options.ensureIdentity().then(
          () => {
            this.#ensuring = false;
            this.#scheduleDrain();
          },
          (e: unknown) => {
            this.#ensuring = false;
            const err = toStreamsError(e);
            for (const q of this.#ready) {
              if (q.inFlight) continue;
              // A batch parked for a retry fails too: nothing may be left that no drain will ever pick up again.
              if (q.retry !== null) {
                this.#failChunks(q.retry.chunks, err);
                q.retry = null;
              }
              this.#failChunks(q.chunks.splice(0), err);
            }
            this.#ready.clear();
          },
        );
      }
      return;
    }
    const ready: Batch[] = [];
    const queues = this.#ready;
    this.#ready = new Set();
    for (const q of queues) {
      if (q.inFlight) continue;
      if (q.retry !== null) {
        ready.push(q.retry);
        q.retry = null;
        q.inFlight = true;
        continue;
      }
      if (q.chunks.length === 0) continue;
      if (blocked !== null) {
        this.#failChunks(q.chunks.splice(0), blocked);
        continue;
      }
      const batch = this.#nextBatch(q, producerId, producerEpoch);
      if (batch !== null) ready.push(batch);
    }
    if (ready.length > 0) void this.#dispatch(ready);
  }

  /** Takes queued chunks (up to maxBatchBytes, at least one) into one encoded batch with the next sequence. */
  #nextBatch(q: PartitionQueue, producerId: number, producerEpoch: number): Batch | null {
    let n = 1;
    let bytes = q.chunks[0]!.bytes;
    while (n < q.chunks.length && bytes + q.chunks[n]!.bytes <= this.#options.maxBatchBytes) bytes += q.chunks[n++]!.bytes;
    const chunks = q.chunks.splice(0, n);
    const records = chunks.length === 1 ? chunks[0]!.records : chunks.flatMap((c) => c.records);
    let encoded: Buffer;
    try {
      const compression = this.#options.compression ?? 'none';
      encoded = this.#options.isIdempotent
        ? encodeBatch(records, { producerId, producerEpoch, baseSequence: q.nextSequence, isTransactional: this.#options.isTransactional, compression })
        : encodeBatch(records, { compression });
    } catch (e: unknown) {
      this.#failChunks(chunks, toStreamsError(e));
      return null;
    }
    if (this.#options.isIdempotent) q.nextSequence = (q.nextSequence + records.length) % 0x80000000;
    q.inFlight = true;
    return { queue: q, chunks, bytes: encoded, attempts: 0 };
  }

  async #dispatch(batches: readonly Batch[]): Promise<void> {
    const byNode = new Map<number, Batch[]>();
    for (const b of batches) {
      let leader: number;
      try {
        leader = await this.#cluster.leaderFor(b.queue.topic, b.queue.partition);
      } catch (e: unknown) {
        this.#onError(b, e);
        continue;
      }
      let list = byNode.get(leader);
      if (list === undefined) byNode.set(leader, (list = []));
      list.push(b);
    }
    const sends: Promise<void>[] = [];
    for (const [node, list] of byNode) {
      let start = 0;
      let size = 0;
      for (let i = 0; i < list.length; i++) {
        size += list[i]!.bytes.length;
        if (size > MAX_REQUEST_BYTES && i > start) {
          sends.push(this.#produce(node, list.slice(start, i)));
          start = i;
          size = list[i]!.bytes.length;
        }
      }
      sends.push(this.#produce(node, start === 0 ? list : list.slice(start)));
    }
    await Promise.all(sends);
  }

  async #produce(node: number, batches: readonly Batch[]): Promise<void> {
    const topics = new Map<string, ProduceRequestTopicProduceData & { partitionData: { index: number; records: Buffer }[] }>();
    for (const b of batches) {
      let t = topics.get(b.queue.topic);
      if (t === undefined) topics.set(b.queue.topic, (t = { name: b.queue.topic, partitionData: [] }));
      t.partitionData.push({ index: b.queue.partition, records: b.bytes });
    }
    let body: ProduceResponse;
    try {
      ({ body } = await this.#cluster.send(node, ApiKey.Produce, {
        transactionalId: this.#options.transactionalId,
        acks: this.#options.acks,
        timeoutMs: this.#cluster.requestTimeoutMs,
        topicData: [...topics.values()],
      }));
    } catch (e: unknown) {
      for (const b of batches) this.#onError(b, e);
      return;
    }
    if (this.#options.acks === 0) {
      for (const b of batches) this.#complete(b, -1, -1);
      return;
    }
    for (const b of batches) {
      const { topic, partition } = b.queue;
      const p = body.responses.find((t) => t.name === topic)?.partitionResponses.find((x) => x.index === partition);
      if (p === undefined) {
        this.#onError(b, new StreamsError('UNKNOWN_SERVER_ERROR', `Produce response has no result for ${topic}-${partition}`, { topic, partition }));
      } else if (p.errorCode === KafkaErrorCode.NONE || p.errorCode === KafkaErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        // A duplicate is a retry of a batch the broker already has: it was written once, which is what we want.
        this.#complete(b, p.baseOffset, p.logAppendTimeMs ?? -1);
      } else {
        this.#onError(b, responseError(p.errorCode, `produce to ${topic}-${partition}`, { topic, partition, message: p.errorMessage ?? null }));
      }
    }
  }

  #complete(b: Batch, baseOffset: number, logAppendTimeMs: number): void {
    const { topic, partition } = b.queue;
    let offset = baseOffset;
    for (const c of b.chunks) {
      c.ack.set(c.slot, { topic, partition, baseOffset: offset, recordCount: c.records.length, logAppendTimeMs });
      if (offset >= 0) offset += c.records.length;
    }
    this.#settled(b.chunks.length);
    this.#release(b.queue);
  }

  #onError(b: Batch, e: unknown): void {
    const err = toStreamsError(e);
    const q = b.queue;
    if (err.retriable && b.attempts < this.#cluster.retries && this.#options.sendError() === null) {
      if (err.code === 'NOT_LEADER_OR_FOLLOWER' || err.code === 'UNKNOWN_TOPIC_OR_PARTITION') this.#cluster.invalidateLeader(q.topic, q.partition);
      const delayMs = this.#cluster.backoffMs(b.attempts);
      b.attempts++;
      q.retry = b;
      this.#cluster.logger.debug({ topic: q.topic, partition: q.partition, attempt: b.attempts, delayMs, err: err.message }, 'retrying a produce');
      // inFlight stays set through the backoff, so no later batch of the partition overtakes this one.
      this.#cluster.timers.setTimeout(
        () => {
          q.inFlight = false;
          this.#ready.add(q);
          this.#scheduleDrain();
        },
        delayMs,
        true,
      );
      return;
    }
    this.#failChunks(b.chunks, err);
    this.#options.onFatal(err);
    this.#release(q);
  }

  #failChunks(chunks: readonly Chunk[], err: StreamsError): void {
    for (const c of chunks) c.ack.fail(err);
    this.#settled(chunks.length);
  }

  #release(q: PartitionQueue): void {
    q.inFlight = false;
    if (q.chunks.length > 0) {
      this.#ready.add(q);
      this.#scheduleDrain();
    }
  }

  #settled(n: number): void {
    this.#outstanding -= n;
    if (this.#outstanding === 0 && this.#idle.length > 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}

/** Joins results of consecutive batches of one partition that follow each other in the log. */
function mergeAdjacent(results: readonly RecordMetadata[]): RecordMetadata[] {
  const out: RecordMetadata[] = [];
  for (const r of results) {
    const last = out[out.length - 1];
    if (last !== undefined && last.topic === r.topic && last.partition === r.partition && last.baseOffset >= 0 && last.baseOffset + last.recordCount === r.baseOffset) {
      out[out.length - 1] = { ...last, recordCount: last.recordCount + r.recordCount };
    } else out.push(r);
  }
  return out;
}

function toStreamsError(e: unknown): StreamsError {
  return e instanceof StreamsError ? e : new StreamsError('PRODUCTION_FAILED', toError(e).message, { cause: e });
}
