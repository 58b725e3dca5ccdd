/**
 * Test harness for the windowed aggregation processors: runs one processor over one real store stack (Metered ->
 * ChangeLogging -> in-memory engine) with a recording context, and restarts it over a store restored from the
 * recorded changelog, as the runtime does after a crash. Test-only; not part of the package.
 */
import type { ProcessorSupplier } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import { StreamsError } from '../../src/errors.js';
import type { StateStore } from '../../src/state/state-store.js';
import type { StoreBuilder } from '../../src/state/store-builder.js';
import type { Windowed } from '../../src/state/windowed.js';
import { silentLogger } from '../../src/util/logger.js';
import { RecordingStateStoreContext } from '../../state-stores/recording-state-store-context.js';
import type { Change } from '../change.js';

/**
 * One forwarded record, flattened: key, window bounds, new value (null: tombstone), timestamp and the record's first
 * header value as text (or `null`).
 *
 * @example `const out: Emitted = ['a', 0, 10, 2, 9, null];`
 */
export type Emitted = [key: string, startMs: number, endMs: number, value: number | null, timestampMs: number, header: string | null];

/**
 * A windowed aggregation processor under test. `pipe` processes one record and returns what it forwarded;
 * `restart()` returns a new harness whose processor (a new instance from the same supplier) runs over a new store
 * restored from everything this one's store logged.
 *
 * @example
 * ```ts
 * const h = new WindowedAggregateHarness(supplier, () => Stores.sessionStoreBuilder(Stores.inMemorySessionStore('s', 10), STRING, NUMBER));
 * h.pipe('a', 1, 5); // [['a', 5, 5, 1, 5, null]]
 * ```
 */
export class WindowedAggregateHarness {
  readonly outputs: Emitted[] = [];
  readonly context = new RecordingStateStoreContext();
  readonly #store: StateStore;
  readonly #processor: ReturnType<ProcessorSupplier<string, number, Windowed<string>, Change<number>>>;
  #pending: Emitted[] = [];

  constructor(
    private readonly supplier: ProcessorSupplier<string, number, Windowed<string>, Change<number>>,
    private readonly storeBuilder: () => StoreBuilder<StateStore>,
    restoreFrom?: RecordingStateStoreContext,
  ) {
    this.#store = storeBuilder().build();
    this.#store.init(this.context, this.#store);
    if (restoreFrom !== undefined) this.context.restore(this.#store.name, restoreFrom.changelog);
    const store = this.#store;
    const pending = (): Emitted[] => this.#pending;
    const context = {
      applicationId: 'test',
      taskId: '0_0',
      metrics: { taskSensor: () => ({ record: () => undefined, total: 0 }) },
      logger: silentLogger(),
      recordMetadata: () => null,
      currentStreamTimeMs: () => -1,
      getStateStore: (name: string) => {
        if (name !== store.name) throw new StreamsError('ILLEGAL_STATE', `no store ${name}`);
        return store;
      },
      forward: (r: Record<Windowed<string>, Change<number>>) => {
        const header = r.headers[0]?.value;
        pending().push([r.key.key, r.key.window.startMs, r.key.window.endMs, r.value.newValue, r.timestampMs, header == null ? null : Buffer.from(header).toString()]);
      },
    } as unknown as ProcessorContext<Windowed<string>, Change<number>>;
    this.#processor = supplier();
    this.#processor.init?.(context);
  }

  /** The processor's `droppedRecords` metric. */
  get droppedRecords(): number {
    return (this.#processor as unknown as { droppedRecords: number }).droppedRecords;
  }

  /** Processes one record (value 1 unless given; `header` becomes header `h`) and returns what it forwarded. */
  pipe(key: string, value: number, timestampMs: number, header?: string): Emitted[] {
    this.#pending = [];
    const headers = header === undefined ? [] : [{ key: 'h', value: Buffer.from(header) }];
    this.#processor.process(new Record<string, number>(key, value, timestampMs, headers));
    this.outputs.push(...this.#pending);
    return this.#pending;
  }

  /** A new processor instance over a store restored from this store's changelog (the runtime after a crash). */
  restart(): WindowedAggregateHarness {
    return new WindowedAggregateHarness(this.supplier, this.storeBuilder, this.context);
  }
}
