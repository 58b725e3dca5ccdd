/**
 * What a processor sees of the task running it: the {@link ProcessorContext} (forward, schedule, commit, stores,
 * metadata). Only interfaces: the runtime implements them, and tests may fake them.
 */
import type { Logger } from 'pino';
import type { StateStore } from '../state/state-store.js';
import type { FixedKeyRecord } from './fixed-key-record.js';
import type { Cancellable, PunctuationType, Punctuator } from './punctuation.js';
import type { Record } from './record.js';
import type { ProcessorRecordMetadata } from './record-context.js';
import type { StreamsMetrics } from './streams-metrics.js';

/**
 * The part of a processor's context that does not depend on what it forwards: identity, time, stores, punctuation
 * and commit requests. Shared by {@link ProcessorContext} and {@link FixedKeyProcessorContext}.
 *
 * All calls are synchronous and valid from `init`, `process` and punctuators; none may be used after `close`.
 *
 * @example
 * ```ts
 * function describeTask(context: ProcessingContext): string {
 *   return `${context.applicationId}/${context.taskId} at stream time ${context.currentStreamTimeMs()}`;
 * }
 * ```
 */
export interface ProcessingContext {
  /** The application id (the consumer group id and the prefix of internal topic names). */
  readonly applicationId: string;
  /** The task running this processor, as Kafka Streams prints it: `<subtopology>_<partition>`, e.g. `0_3`. */
  readonly taskId: string;
  /** The task's metrics: sensors listed by `KafkaStreams.metrics()` (e.g. the shared `dropped-records`). */
  readonly metrics: StreamsMetrics;
  /** The runtime's pino logger, bound to the application and task ids. */
  readonly logger: Logger;

  /**
   * Where the input record behind the current call was read from, or `null` inside a punctuator (no input record).
   * Records forwarded by parents keep the metadata of the input record that caused them.
   */
  recordMetadata(): ProcessorRecordMetadata | null;

  /** The task's stream time: the highest timestamp of the records it has processed (-1 before the first one). */
  currentStreamTimeMs(): number;

  /** The runtime's wall-clock time in epoch ms (the injected Clock: virtual in the TopologyTestDriver). */
  currentSystemTimeMs(): number;

  /**
   * The store named `name`, as the processor may use it: one connected to this processor (`addStateStore`,
   * `connectProcessorAndStateStores`) or a global store (read-only). The same instance for the task's lifetime.
   * Throws `StreamsError('ILLEGAL_STATE')` for a store that is neither.
   *
   * @example
   * ```ts
   * this.counts = context.getStateStore<KeyValueStore<string, bigint>>('counts');
   * ```
   */
  getStateStore<S extends StateStore>(name: string): S;

  /**
   * Calls `punctuator` every `intervalMs` of stream time or wall-clock time (see {@link PunctuationType}) until the
   * returned handle is cancelled or the task closes. Throws `StreamsError('INVALID_CONFIG')` when `intervalMs` is not
   * an integer of at least 1.
   *
   * @example
   * ```ts
   * const tick = context.schedule(1_000, 'STREAM_TIME', (ts) => this.emitUpTo(ts));
   * ```
   */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable;

  /**
   * Asks the runtime to commit the task as soon as it can: after the current record, not inside this call. A request,
   * not a guarantee of durability on return; repeated calls before the commit are one request.
   */
  commit(): void;
}

/**
 * The context handed to {@link Processor.init}: the task's {@link ProcessingContext} plus `forward`, typed by what the
 * processor may send downstream (`never` for a terminal processor, which therefore cannot forward).
 *
 * `forward` is synchronous: the children (all of them, or only `childName`) process the record before it returns. A
 * `childName` that is not a child of this processor throws `StreamsError('ILLEGAL_STATE')`. Records are immutable, so
 * the same record may be forwarded to several children.
 *
 * @example
 * ```ts
 * class Split implements Processor<string, string, string, string> {
 *   private context!: ProcessorContext<string, string>;
 *   init(context: ProcessorContext<string, string>): void { this.context = context; }
 *   process(record: Record<string, string>): void {
 *     for (const word of record.value.split(/\W+/)) if (word) this.context.forward(record.withKey(word).withValue(word));
 *   }
 * }
 * ```
 */
export interface ProcessorContext<KForward = never, VForward = never> extends ProcessingContext {
  /** Sends `record` to all children, or only to the child named `childName`. */
  forward(record: Record<KForward, VForward>, childName?: string): void;
}

/**
 * The context of a {@link FixedKeyProcessor}: like {@link ProcessorContext}, but it forwards only
 * {@link FixedKeyRecord}s, so the key (and the partitioning) stays what it was.
 *
 * @example
 * ```ts
 * const context: FixedKeyProcessorContext<string, number> = ...;
 * context.forward(record.withValue(record.value.length));
 * ```
 */
export interface FixedKeyProcessorContext<KForward, VForward> extends ProcessingContext {
  /** Sends `record` to all children, or only to the child named `childName`. */
  forward(record: FixedKeyRecord<KForward, VForward>, childName?: string): void;
}
