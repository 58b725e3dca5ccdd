import type { Clients } from '../../src/client/in-process/in-process-clients.js';
import type { Processor } from '../../src/processor/processor.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import { Record } from '../../src/processor/record.js';
import type { Serde } from '../../src/serdes/serde.js';
import { Serdes } from '../../src/serdes/serdes.js';
import { isCachedStateStore, type KeyValueStore } from '../../src/state/key-value-store.js';
import { Topology } from '../../src/topology/topology.js';
import { Stores } from '../../state-stores/stores.js';

/**
 * Options of {@link wordCountTopology}; every field has a default.
 *
 * @example
 * ```ts
 * const options: WordCountOptions = { store: 'persistent', caching: true };
 * ```
 */
export interface WordCountOptions {
  /** The store engine: 'in-memory' (default, restored from the changelog) or 'persistent' (SQLite, checkpointed). */
  readonly store?: 'in-memory' | 'persistent';
  /** Put a caching layer in front of the engine (default false). */
  readonly caching?: boolean;
  /**
   * Forward counts only when the cache flushes (as a cached KTable does) instead of after every record; needs
   * `caching` (default false).
   */
  readonly forwardOnFlush?: boolean;
  /** Source topic of text lines (default 'lines'). */
  readonly inputTopic?: string;
  /** Topic between the split and the count (default 'wc-words-repartition'). */
  readonly repartitionTopic?: string;
  /** Output topic of `word -> count` (default 'counts'). */
  readonly outputTopic?: string;
  /** Name of the count store (default 'counts'). */
  readonly storeName?: string;
  /** Serde of the input lines' values (default String); Json lets tests write bytes that fail to deserialize. */
  readonly lineSerde?: Serde<string>;
  /** Called by the split processor for every line before it is split; may throw to test processing errors. */
  readonly onLine?: (line: string) => void;
}

/**
 * The words of a line as the word-count topology splits them: lower case, split on non-word characters.
 *
 * @example
 * ```ts
 * splitWords('Hello, hello world'); // ['hello', 'hello', 'world']
 * ```
 */
export function splitWords(line: string): string[] {
  return line
    .toLowerCase()
    .split(/\W+/)
    .filter((w) => w !== '');
}

/**
 * The exact counts the word-count topology must end with for `lines` (the model the runs are compared with).
 *
 * @example
 * ```ts
 * expectedCounts(['a b', 'a']); // Map { 'a' => 2n, 'b' => 1n }
 * ```
 */
export function expectedCounts(lines: Iterable<string>): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const line of lines) for (const w of splitWords(line)) m.set(w, (m.get(w) ?? 0n) + 1n);
  return m;
}

class SplitProcessor implements Processor<string | null, string, string, string> {
  #context!: ProcessorContext<string, string>;
  constructor(private readonly onLine: ((line: string) => void) | undefined) {}
  init(context: ProcessorContext<string, string>): void {
    this.#context = context;
  }
  process(record: Record<string | null, string>): void {
    this.onLine?.(record.value);
    for (const w of splitWords(record.value)) this.#context.forward(record.withKey(w).withValue(w));
  }
}

class CountProcessor implements Processor<string, string, string, bigint> {
  #context!: ProcessorContext<string, bigint>;
  #store!: KeyValueStore<string, bigint>;
  #forwardEach = true;
  constructor(
    private readonly storeName: string,
    private readonly forwardOnFlush: boolean,
  ) {}
  init(context: ProcessorContext<string, bigint>): void {
    this.#context = context;
    this.#store = context.getStateStore<KeyValueStore<string, bigint>>(this.storeName);
    if (this.forwardOnFlush && isCachedStateStore<string, bigint>(this.#store)) {
      const ctx = context;
      this.#forwardEach = !this.#store.setFlushListener((key, newValue, _old, timestampMs) => {
        if (newValue !== null) ctx.forward(new Record(key, newValue, timestampMs));
      }, false);
    }
  }
  process(record: Record<string, string>): void {
    const n = (this.#store.get(record.key) ?? 0n) + 1n;
    this.#store.put(record.key, n);
    if (this.#forwardEach) this.#context.forward(record.withValue(n));
  }
}

/**
 * The hand-built word count of the runtime tests (Processor API only): `Source` reads lines, `Split` forwards one
 * record per word keyed by the word, `ToRepartition` writes them to the repartition topic (so counting runs in a
 * second sub-topology, partitioned by word), `Words` reads them back, `Count` keeps `word -> count` (bigint) in a
 * key-value store, and `Out` writes every new count to the output topic. The last value per key of the output is
 * therefore the final count.
 *
 * @example
 * ```ts
 * const driver = new TopologyTestDriver(wordCountTopology({ caching: true }));
 * driver.createInputTopic('lines', Serdes.String(), Serdes.String()).pipeInput(null, 'a b a');
 * driver.createOutputTopic('counts', Serdes.String(), Serdes.BigInt()).readKeyValuesToMap(); // a -> 2n, b -> 1n
 * ```
 */
export function wordCountTopology(options: WordCountOptions = {}): Topology {
  const storeName = options.storeName ?? 'counts';
  const repartition = options.repartitionTopic ?? 'wc-words-repartition';
  const supplier = options.store === 'persistent' ? Stores.persistentKeyValueStore(storeName) : Stores.inMemoryKeyValueStore(storeName);
  let builder = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.BigInt());
  if (options.caching === true) builder = builder.withCachingEnabled();
  const forwardOnFlush = options.forwardOnFlush === true;
  return new Topology()
    .addSource('Source', [options.inputTopic ?? 'lines'], { keySerde: Serdes.String(), valueSerde: options.lineSerde ?? Serdes.String() })
    .addProcessor('Split', () => new SplitProcessor(options.onLine), 'Source')
    .addSink('ToRepartition', repartition, { keySerde: Serdes.String(), valueSerde: Serdes.String() }, 'Split')
    .addSource('Words', [repartition], { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .addProcessor('Count', () => new CountProcessor(storeName, forwardOnFlush), 'Words')
    .addStateStore(builder, 'Count')
    .addSink('Out', options.outputTopic ?? 'counts', { keySerde: Serdes.String(), valueSerde: Serdes.BigInt() }, 'Count');
}

/**
 * Waits (real time, polling every 10 ms) until `condition` holds; throws with `what` after `timeoutMs`. For the
 * end-to-end tests over a running KafkaStreams, whose loop runs on real timers.
 *
 * @example
 * ```ts
 * await waitUntil(() => streams.state === 'RUNNING', 'streams running');
 * ```
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The last value per key of a whole topic (a table over it), read with a plain consumer from the log start to the
 * current end of every partition; a null value removes its key.
 *
 * @example
 * ```ts
 * const table = await readTable(clients, 'counts', Serdes.String(), Serdes.BigInt());
 * ```
 */
export async function readTable<K, V>(clients: Clients, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): Promise<Map<K, V>> {
  const [description] = await clients.admin.describeTopics([topic]);
  const partitions = description!.partitions.map((p) => ({ topic, partition: p.partition }));
  const ends = await clients.admin.listOffsets(partitions.map((tp) => ({ ...tp, spec: 'latest' as const })));
  const consumer = clients.consumer({ autoOffsetReset: 'earliest' });
  const table = new Map<K, V>();
  try {
    consumer.assign(partitions);
    const isDone = async (): Promise<boolean> => {
      for (let i = 0; i < partitions.length; i++) if ((await consumer.position(partitions[i]!)) < ends[i]!.offset) return false;
      return true;
    };
    while (!(await isDone())) {
      const polled = await consumer.poll({ maxWaitMs: 50 });
      for (const b of polled.batches) {
        for (const r of b.records) {
          const key = keySerde.deserialize(topic, r.key, r.headers) as K;
          const value = valueSerde.deserialize(topic, r.value, r.headers);
          if (value === null) table.delete(key);
          else table.set(key, value);
        }
      }
    }
  } finally {
    await consumer.close();
  }
  return table;
}

/**
 * A seeded generator of integers in `[0, bound)` (mulberry32), for test data that replays exactly.
 *
 * @example
 * ```ts
 * const next = randomInts(42);
 * next(10); // the same number every run
 * ```
 */
export function randomInts(seed: number): (bound: number) => number {
  let a = seed >>> 0;
  return (bound) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * bound);
  };
}
