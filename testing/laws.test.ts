import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Consumed } from '../dsl/options/consumed.js';
import { Grouped } from '../dsl/options/grouped.js';
import { Materialized } from '../dsl/options/materialized.js';
import { Produced } from '../dsl/options/produced.js';
import { StreamsBuilder } from '../dsl/streams-builder.js';
import type { Processor } from '../src/processor/processor.js';
import type { ProcessorContext } from '../src/processor/processor-context.js';
import type { Record } from '../src/processor/record.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { KeyValueStore } from '../src/state/key-value-store.js';
import type { Topology } from '../src/topology/topology.js';
import { Stores } from '../state-stores/stores.js';
import { arbStream } from './arbitraries.js';
import { LawViolation, type LawOptions } from './law-options.js';
import { lawProperties, laws } from './laws.js';
import type { FedRecord } from './test-records.js';

const S = Serdes.String();
const N = Serdes.Number();
const WORDS = ['river', 'delta', 'stream', 'lake'];

/** Lines of 0..3 words keyed by a line id; few words, so counts repeat. */
const lines = arbStream({
  keys: ['l1', 'l2', 'l3', 'l4', 'l5'],
  values: fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }).map((ws) => ws.join(' ')),
  maxLength: 15,
});

const wordCountOptions: LawOptions = {
  inputs: { lines: { keySerde: S, valueSerde: S, records: lines } },
  outputs: { counts: { keySerde: S, valueSerde: N } },
  stores: ['word-counts'],
};

/** The DSL word count: a correct topology every law must accept. */
function wordCount(): Topology {
  const b = new StreamsBuilder();
  b.stream('lines', Consumed.with(S, S))
    .flatMapValues((line: string) => line.split(' ').filter((w) => w !== ''))
    .groupBy((_k, w) => w, Grouped.with(S, S))
    .count(Materialized.as('word-counts'))
    .toStream()
    .to('counts', Produced.with(S, N));
  return b.build();
}

function wordCountModel(fed: readonly FedRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of fed) for (const w of String(r.value).split(' ').filter((x) => x !== '')) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** Fails with a LawViolation whose message has the counterexample and the topology's describe(). */
async function violation(check: Promise<void>): Promise<LawViolation> {
  try {
    await check;
  } catch (e: unknown) {
    if (e instanceof LawViolation) return e;
    throw e;
  }
  throw new Error('the law held for a broken topology');
}

function expectReport(v: LawViolation, law: string): void {
  expect(v.law).toBe(law);
  expect(v.message).toContain(`law ${law} does not hold`);
  expect(v.message).toContain('Counterexample');
  expect(v.message).toMatch(/seed/);
  expect(v.message).toContain('Sub-topology');
  expect(v.counterexample).toBeDefined();
}

/** A counter shared by every topology built: state outside any store, living across runs and restarts. */
let sharedSequence = 0;

/** Numbers each line with a counter kept in a module variable: a second run continues where the first stopped. */
function numberedBySharedCounter(): Topology {
  const b = new StreamsBuilder();
  b.stream('lines', Consumed.with(S, S))
    .mapValues((line: string) => `${++sharedSequence}:${line}`)
    .to('numbered', Produced.with(S, S));
  return b.build();
}

/** Tags each line with Math.random(). */
function randomTagged(): Topology {
  const b = new StreamsBuilder();
  b.stream('lines', Consumed.with(S, S))
    .mapValues((line: string) => `${line}#${Math.random() < 0.5 ? 'heads' : 'tails'}`)
    .to('numbered', Produced.with(S, S));
  return b.build();
}

/** Counts all lines in a task-local store under one key, without repartitioning: each task counts its partition only. */
class TotalProcessor implements Processor<string, string, string, number> {
  #context!: ProcessorContext<string, number>;
  #store!: KeyValueStore<string, number>;
  init(context: ProcessorContext<string, number>): void {
    this.#context = context;
    this.#store = context.getStateStore<KeyValueStore<string, number>>('totals');
  }
  process(record: Record<string, string>): void {
    const n = (this.#store.get('total') ?? 0) + 1;
    this.#store.put('total', n);
    this.#context.forward(record.withKey('total').withValue(n));
  }
}

function totalPerTask(): Topology {
  const b = new StreamsBuilder();
  b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('totals'), S, N));
  b.stream('lines', Consumed.with(S, S))
    .process(() => new TotalProcessor(), 'totals')
    .to('totals-out', Produced.with(S, N));
  return b.build();
}

/** Sums the updates of a count table as if they were events: the sum depends on how many updates caching keeps. */
function sumOfCountUpdates(): Topology {
  const b = new StreamsBuilder();
  b.stream('lines', Consumed.with(S, S))
    .groupByKey(Grouped.with(S, S))
    .count(Materialized.as('line-counts'))
    .toStream()
    .groupBy(() => 'all', Grouped.with(S, N))
    .reduce((a, c) => a + c, Materialized.as('sum'))
    .toStream()
    .to('sum-out', Produced.with(S, N));
  return b.build();
}

/** Counts words per key in a JS Map field of the processor: lost whenever the task is closed and recreated. */
class MemoryCountProcessor implements Processor<string, string, string, number> {
  readonly #counts = new Map<string, number>();
  #context!: ProcessorContext<string, number>;
  init(context: ProcessorContext<string, number>): void {
    this.#context = context;
  }
  process(record: Record<string, string>): void {
    const n = (this.#counts.get(record.key) ?? 0) + 1;
    this.#counts.set(record.key, n);
    this.#context.forward(record.withValue(n));
  }
}

function countInJsMemory(): Topology {
  const b = new StreamsBuilder();
  b.stream('lines', Consumed.with(S, S))
    .process(() => new MemoryCountProcessor())
    .to('memory-counts', Produced.with(S, N));
  return b.build();
}

/** Word count that splits on single spaces: double spaces make empty "words" the model does not count. */
function sloppyWordCount(): Topology {
  const b = new StreamsBuilder();
  b.stream('lines', Consumed.with(S, S))
    .flatMapValues((line: string) => line.split(' '))
    .groupBy((_k, w) => w, Grouped.with(S, S))
    .count(Materialized.as('word-counts'))
    .toStream()
    .to('counts', Produced.with(S, N));
  return b.build();
}

describe('every law accepts a correct word count', () => {
  it('determinism, partitionIndependence, batchIndependence and matchesModel over the driver', async () => {
    await laws.determinism(wordCount, { ...wordCountOptions, numRuns: 10 });
    await laws.partitionIndependence(wordCount, { ...wordCountOptions, numRuns: 15 });
    await laws.batchIndependence(wordCount, { ...wordCountOptions, numRuns: 15 });
    await laws.matchesModel(wordCount, (fed) => ({ outputs: { counts: wordCountModel(fed) }, stores: { 'word-counts': wordCountModel(fed) } }), { ...wordCountOptions, numRuns: 15 });
  });

  it('restartEquivalence and rebalanceEquivalence over the broker', async () => {
    await laws.restartEquivalence(wordCount, { ...wordCountOptions, numRuns: 4 });
    await laws.rebalanceEquivalence(wordCount, { ...wordCountOptions, numRuns: 3 });
  });

  it('the laws are fast-check properties too, for fc.assert', async () => {
    await fc.assert(lawProperties.partitionIndependence(wordCount, wordCountOptions), { numRuns: 5 });
  });
});

describe('each law catches a deliberately broken topology', () => {
  const lineOptions: LawOptions = {
    inputs: { lines: { keySerde: S, valueSerde: S, records: lines } },
    outputs: { numbered: { keySerde: S, valueSerde: S } },
  };

  it('determinism: state in a module variable shared by every run', async () => {
    const v = await violation(laws.determinism(numberedBySharedCounter, { ...lineOptions, numRuns: 20 }));
    expectReport(v, 'determinism');
    expect(v.message).toContain('two runs of the same input differ');
    // Shrunk to one line: the smallest input on which two runs number it differently.
    expect((v.counterexample as [{ lines: unknown[] }])[0].lines).toHaveLength(1);
  });

  it('determinism: Math.random()', async () => {
    const v = await violation(laws.determinism(randomTagged, { ...lineOptions, numRuns: 30 }));
    expectReport(v, 'determinism');
  });

  it('partitionIndependence: a total kept per task without repartitioning', async () => {
    const v = await violation(
      laws.partitionIndependence(totalPerTask, { ...lineOptions, outputs: { 'totals-out': { keySerde: S, valueSerde: N } }, stores: ['totals'], numRuns: 30 }),
    );
    expectReport(v, 'partitionIndependence');
    expect(v.message).toMatch(/key "total": expected \d+, got \d+/);
  });

  it('batchIndependence: a changelog summed as if it were an event stream (caching drops updates)', async () => {
    const v = await violation(laws.batchIndependence(sumOfCountUpdates, { ...lineOptions, outputs: { 'sum-out': { keySerde: S, valueSerde: N } }, numRuns: 40 }));
    expectReport(v, 'batchIndependence');
    expect(v.message).toContain('record-at-a-time and batched processing end differently');
  });

  it('restartEquivalence: counts kept in a JS Map instead of a store', async () => {
    const short = arbStream({ keys: ['l1', 'l2', 'l3'], values: ['x'], maxLength: 8 });
    const v = await violation(
      laws.restartEquivalence(countInJsMemory, {
        ...lineOptions,
        inputs: { lines: { keySerde: S, valueSerde: S, records: short } },
        outputs: { 'memory-counts': { keySerde: S, valueSerde: N } },
        numRuns: 10,
      }),
    );
    expectReport(v, 'restartEquivalence');
  });

  it('rebalanceEquivalence: counts kept in a JS Map instead of a store', async () => {
    // Lines of six keys over four partitions, and an instance joining mid-way: the tasks that move to it lose their
    // counts (only those: a task that stays keeps its processor).
    const sixKeys = arbStream({ keys: ['l1', 'l2', 'l3', 'l4', 'l5', 'l6'], values: ['x'], minLength: 10, maxLength: 14 });
    const joinMidway = fc.integer({ min: 4, max: 6 }).map((atRecord) => [{ atRecord, kind: 'addInstance' as const }]);
    const v = await violation(
      laws.rebalanceEquivalence(countInJsMemory, {
        ...lineOptions,
        inputs: { lines: { keySerde: S, valueSerde: S, records: sixKeys } },
        partitioning: fc.constant({ partitions: 4, salt: null }),
        outputs: { 'memory-counts': { keySerde: S, valueSerde: N } },
        changes: joinMidway,
        numRuns: 10,
        // Shrinking through rebalancing runs takes long; the restart test above shows a shrunk report.
        endOnFailure: true,
      }),
    );
    expectReport(v, 'rebalanceEquivalence');
  });

  it('matchesModel: a word count that counts empty words', async () => {
    const spaced = arbStream({ keys: ['l1'], values: fc.array(fc.constantFrom('a', 'b', ''), { maxLength: 4 }).map((ws) => ws.join(' ')), maxLength: 6 });
    const v = await violation(
      laws.matchesModel(sloppyWordCount, (fed) => ({ outputs: { counts: wordCountModel(fed) } }), {
        ...wordCountOptions,
        inputs: { lines: { keySerde: S, valueSerde: S, records: spaced } },
        numRuns: 50,
      }),
    );
    expectReport(v, 'matchesModel');
    expect(v.message).toContain('key "": expected no row');
  });
});
