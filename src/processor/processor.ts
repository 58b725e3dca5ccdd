/**
 * The Processor API: a {@link Processor} turns each record it receives into zero or more records it forwards, with
 * access to state stores and punctuation through its context; a {@link ProcessorSupplier} makes one per task.
 */
import type { FixedKeyRecord } from './fixed-key-record.js';
import type { FixedKeyProcessorContext, ProcessorContext } from './processor-context.js';
import type { Record } from './record.js';

/**
 * One step of a topology: receives records of type `Record<KIn, VIn>` one at a time and may forward
 * `Record<KOut, VOut>` to its children through the context given to `init`.
 *
 * Life cycle (per task): `init(context)` once, before any record (look up stores and schedule punctuators here), then
 * `process(record)` for each record, synchronously, in the task's order; then `close()` once when the task closes
 * (release resources; do not forward). Stores are flushed and closed by the runtime, not by the processor. A throw from
 * `process` goes to the processing exception handler with the record's topic/partition/offset.
 *
 * The defaults `KOut = never, VOut = never` make a terminal processor, whose context cannot forward.
 *
 * @example
 * ```ts
 * class Count implements Processor<string, string, string, bigint> {
 *   private context!: ProcessorContext<string, bigint>;
 *   private store!: KeyValueStore<string, bigint>;
 *   init(context: ProcessorContext<string, bigint>): void {
 *     this.context = context;
 *     this.store = context.getStateStore('counts');
 *   }
 *   process(record: Record<string, string>): void {
 *     const n = (this.store.get(record.key) ?? 0n) + 1n;
 *     this.store.put(record.key, n);
 *     this.context.forward(record.withValue(n));
 *   }
 * }
 * topology.addProcessor('count', () => new Count(), 'words');
 * ```
 */
export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: Record<KIn, VIn>): void;
  close?(): void;
}

/**
 * Makes the processor instances of one topology node: called once per task, and it must return a new instance each
 * time (processors keep per-task state; sharing one between tasks mixes their records).
 *
 * @example
 * ```ts
 * const upper: ProcessorSupplier<string, string, string, string> = () => {
 *   let context: ProcessorContext<string, string>;
 *   return {
 *     init: (c) => { context = c; },
 *     process: (record) => context.forward(record.withValue(record.value.toUpperCase())),
 *   };
 * };
 * ```
 */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> = () => Processor<KIn, VIn, KOut, VOut>;

/**
 * A processor that may change values but never keys (Kafka Streams' `FixedKeyProcessor`, behind `processValues`):
 * it receives and forwards {@link FixedKeyRecord}s, so no repartition is ever needed after it. Same life cycle as
 * {@link Processor}.
 *
 * @example
 * ```ts
 * class Length implements FixedKeyProcessor<string, string, number> {
 *   private context!: FixedKeyProcessorContext<string, number>;
 *   init(context: FixedKeyProcessorContext<string, number>): void { this.context = context; }
 *   process(record: FixedKeyRecord<string, string>): void { this.context.forward(record.withValue(record.value.length)); }
 * }
 * ```
 */
export interface FixedKeyProcessor<KIn, VIn, VOut = never> {
  init?(context: FixedKeyProcessorContext<KIn, VOut>): void;
  process(record: FixedKeyRecord<KIn, VIn>): void;
  close?(): void;
}

/**
 * Makes a new {@link FixedKeyProcessor} per task.
 *
 * @example
 * ```ts
 * stream.processValues(() => new Length());
 * ```
 */
export type FixedKeyProcessorSupplier<KIn, VIn, VOut = never> = () => FixedKeyProcessor<KIn, VIn, VOut>;
