/**
 * The three worked examples of docs/testing.md, as real tests. Keep them in step with the guide: the code blocks
 * there are these, with `tributary` and `tributary/testing` for the relative imports.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  BufferConfig,
  Consumed,
  Grouped,
  Joined,
  Materialized,
  Produced,
  Serdes,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  WindowedSerdes,
  type Topology,
  type Windowed,
} from '../src/index.js';
import { arbStream, laws, type FedRecord, type LawOptions, type ModelRecord } from './index.js';

/* ---------------------------------------------------------------- 1. word count against a Map model */

function wordCount(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream('text-lines', Consumed.with(Serdes.String(), Serdes.String()))
    .flatMapValues((line: string) => line.toLowerCase().split(/\W+/).filter(Boolean))
    .groupBy((_key, word) => word, Grouped.with(Serdes.String(), Serdes.String()))
    .count(Materialized.as('counts'))
    .toStream()
    .to('word-counts', Produced.with(Serdes.String(), Serdes.Number()));
  return builder.build();
}

/** The model: a Map count of the words of every line fed, in any order. */
function countWords(fed: readonly FedRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { value } of fed) {
    for (const word of String(value).toLowerCase().split(/\W+/).filter(Boolean)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

const line = fc.array(fc.constantFrom('River', 'delta', 'stream', 'a', '42'), { maxLength: 5 }).map((words) => words.join(' '));
const wordCountOptions: LawOptions = {
  inputs: { 'text-lines': { keySerde: Serdes.String(), valueSerde: Serdes.String(), records: arbStream({ keys: [null], values: line, maxLength: 15 }) } },
  outputs: { 'word-counts': { keySerde: Serdes.String(), valueSerde: Serdes.Number() } },
  stores: ['counts'],
};

describe('guide, example 1: word count', () => {
  it('matches a Map count, on any partitioning, batched or not, restarted or not', async () => {
    await laws.matchesModel(wordCount, (fed) => ({ outputs: { 'word-counts': countWords(fed) }, stores: { counts: countWords(fed) } }), wordCountOptions);
    await laws.partitionIndependence(wordCount, wordCountOptions);
    await laws.batchIndependence(wordCount, wordCountOptions);
    await laws.restartEquivalence(wordCount, { ...wordCountOptions, numRuns: 3 });
  });
});

/* ---------------------------------------------------------------- 2. a windowed count with late records */

const MINUTE_MS = 60_000;
const GRACE_MS = 10_000;
const perMinute = WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), MINUTE_MS);

/** Page views per minute, final results only: each window's count once, when stream time passes its end + grace. */
function pageViewsPerMinute(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream('page-views', Consumed.with(Serdes.String(), Serdes.String()))
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(MINUTE_MS, GRACE_MS))
    .count(Materialized.as<string, number>('views-per-minute').withRetention(24 * 60 * MINUTE_MS))
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream()
    .to('views-per-minute-final', Produced.with(perMinute, Serdes.Number()));
  return builder.build();
}

/**
 * The model of one partition: stream time is the largest event time so far (this record's included); a record
 * whose window closed (end + grace <= stream time) is dropped; a window is emitted once, when it closes.
 */
function finalCounts(fed: readonly FedRecord[]): { final: ModelRecord[]; stored: Map<Windowed<string>, number> } {
  let streamTimeMs = -1;
  const counts = new Map<string, { key: Windowed<string>; count: number }>();
  for (const view of fed) {
    streamTimeMs = Math.max(streamTimeMs, view.timestampMs);
    const startMs = view.timestampMs - (view.timestampMs % MINUTE_MS);
    if (startMs + MINUTE_MS + GRACE_MS <= streamTimeMs) continue; // late: its window is closed
    const id = `${String(view.key)}@${startMs}`;
    const window = { kind: 'time', startMs, endMs: startMs + MINUTE_MS } as Windowed<string>['window'];
    const entry = counts.get(id) ?? { key: { key: view.key as string, window }, count: 0 };
    entry.count++;
    counts.set(id, entry);
  }
  const closed = [...counts.values()].filter((c) => c.key.window.endMs + GRACE_MS <= streamTimeMs);
  return {
    final: closed.map((c) => ({ key: c.key, value: c.count })),
    stored: new Map([...counts.values()].map((c) => [c.key, c.count])),
  };
}

/** Views 0-20 s apart; some out of order within grace, some 10-70 s late. */
const pageViews = arbStream({ keys: ['/', '/docs', '/pricing'], values: ['ann', 'bob'], maxLength: 30, maxStepMs: 20_000, outOfOrderMs: GRACE_MS, lateMs: MINUTE_MS });
const windowOptions: LawOptions = {
  inputs: { 'page-views': { keySerde: Serdes.String(), valueSerde: Serdes.String(), records: pageViews } },
  outputs: { 'views-per-minute-final': { keySerde: perMinute, valueSerde: Serdes.Number() } },
  stores: [{ name: 'views-per-minute', kind: 'window' }],
};

describe('guide, example 2: a windowed count with late records', () => {
  it('emits each closed window once with the count of its on-time views, batched or not', async () => {
    await laws.matchesModel(
      pageViewsPerMinute,
      (fed) => {
        const { final, stored } = finalCounts(fed);
        return { outputs: { 'views-per-minute-final': final }, stores: { 'views-per-minute': stored } };
      },
      windowOptions,
    );
    await laws.batchIndependence(pageViewsPerMinute, { ...windowOptions, view: 'multiset' });
  });
});

/* ---------------------------------------------------------------- 3. a stream-table join */

/** Orders (keyed by customer) enriched with the customer's name from a table; orders of unknown customers are dropped. */
function enrichOrders(): Topology {
  const builder = new StreamsBuilder();
  const customers = builder.table('customers', Consumed.with(Serdes.String(), Serdes.String()), Materialized.as('customers'));
  builder
    .stream('orders', Consumed.with(Serdes.String(), Serdes.Number()))
    .join(customers, (amount, name) => `${name} ordered ${amount}`, Joined.with(Serdes.String(), Serdes.Number(), Serdes.String()))
    .to('enriched-orders', Produced.with(Serdes.String(), Serdes.String()));
  return builder.build();
}

/** The model: the table as of each order (in feed order), and a result for each order whose customer is known. */
function enriched(fed: readonly FedRecord[]): ModelRecord[] {
  const names = new Map<unknown, unknown>();
  const out: ModelRecord[] = [];
  for (const r of fed) {
    if (r.topic === 'customers') {
      if (r.value === null) names.delete(r.key);
      else names.set(r.key, r.value);
    } else if (names.has(r.key)) out.push({ key: r.key, value: `${String(names.get(r.key))} ordered ${String(r.value)}` });
  }
  return out;
}

const customerIds = ['c1', 'c2', 'c3'];
const joinOptions: LawOptions = {
  inputs: {
    customers: { keySerde: Serdes.String(), valueSerde: Serdes.String(), records: arbStream({ keys: customerIds, values: ['Ann', 'Bob'], tombstones: 0.2, maxLength: 8 }) },
    orders: { keySerde: Serdes.String(), valueSerde: Serdes.Number(), records: arbStream({ keys: customerIds, values: fc.integer({ min: 1, max: 99 }), maxLength: 12 }) },
  },
  outputs: { 'enriched-orders': { keySerde: Serdes.String(), valueSerde: Serdes.String() } },
  // The join's output is a stream: compare every record, in any order across partitions.
  view: 'multiset',
};

describe('guide, example 3: a stream-table join', () => {
  it('joins each order with the table as it was at that order, whatever the partitioning', async () => {
    await laws.matchesModel(enrichOrders, (fed) => ({ outputs: { 'enriched-orders': enriched(fed) } }), joinOptions);
    await laws.partitionIndependence(enrichOrders, joinOptions);
    await laws.determinism(enrichOrders, joinOptions);
  });
});
