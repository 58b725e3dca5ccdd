/**
 * The workload of the exactly-once crash harness, shared by the child (which runs it) and the checker (which
 * computes what it must produce): deterministic input batches and the topology.
 *
 * - `lines` (2 partitions, keyed by line id): text lines; word count (SQLite store) -> `counts` (word -> count).
 * - `clicks` (2 partitions, keyed by user): one click per record; per-user counts in 5 s tumbling windows without
 *   grace, `suppress(untilWindowCloses)` -> `window-finals` (one final count per user and window). Batch `b` holds
 *   clicks at event times `b * 1000 + j`, so within a partition timestamps only grow: no click is ever late.
 */
import { Serdes } from '../../src/serdes/serdes.js';
import { BufferConfig, Suppressed } from '../../dsl/options/suppressed.js';
import { Consumed } from '../../dsl/options/consumed.js';
import { Grouped } from '../../dsl/options/grouped.js';
import { Materialized } from '../../dsl/options/materialized.js';
import { Produced } from '../../dsl/options/produced.js';
import { StreamsBuilder } from '../../dsl/streams-builder.js';
import { longSerde } from '../../dsl/long-serde.js';
import { WindowedSerdes } from '../../dsl/windowed-serdes.js';
import { TimeWindows } from '../../dsl/windows/time-windows.js';
import type { Topology } from '../../src/topology/topology.js';
import { randomInts, splitWords } from '../helpers/word-count-topology.js';

export const LINES = 'lines';
export const CLICKS = 'clicks';
export const COUNTS = 'counts';
export const WINDOW_FINALS = 'window-finals';
export const PARTITIONS = 2;
export const WINDOW_MS = 5_000;
export const APPLICATION_ID = 'eos-crash';

const WORDS = ['river', 'delta', 'stream', 'brook', 'creek', 'lake', 'rain', 'snow', 'ice', 'mist', 'fog', 'tide'];
const USERS = 8;
const LINES_PER_BATCH = 20;
const CLICKS_PER_BATCH = 30;

export const S = Serdes.String();
export const WINDOWED = WindowedSerdes.timeWindowedSerdeFrom(S, WINDOW_MS);

/** Batch `b` of the run seeded `seed`: lines keyed `line-<b>-<i>` and clicks keyed by user. */
export function batch(seed: number, b: number): { lines: [string, string][]; clicks: [string, number][] } {
  const next = randomInts(seed * 1_000_003 + b);
  const lines: [string, string][] = Array.from({ length: LINES_PER_BATCH }, (_, i) => [
    `line-${b}-${i}`,
    Array.from({ length: 1 + next(6) }, () => WORDS[next(WORDS.length)]!).join(' '),
  ]);
  const clicks: [string, number][] = Array.from({ length: CLICKS_PER_BATCH }, (_, j) => [`user-${next(USERS)}`, b * 1_000 + j]);
  return { lines, clicks };
}

/** Word count and the suppressed windowed click count, as one application. */
export function topology(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(LINES, Consumed.with(S, S))
    .flatMapValues((line) => splitWords(line))
    .groupBy((_k, w) => w, Grouped.with(S, S))
    // SQLite: a persistent store may hold writes of a transaction that never committed; under exactly-once it must
    // be rebuilt after a crash, which this exercises.
    .count(Materialized.as<string, number>('word-counts').withStoreType('sqlite'))
    .toStream()
    .to(COUNTS, Produced.with(S, longSerde()));
  builder
    .stream(CLICKS, Consumed.with(S, S))
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeWithNoGrace(WINDOW_MS))
    .count()
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream()
    .to(WINDOW_FINALS, Produced.with(WINDOWED, longSerde()));
  return builder.build({ applicationId: APPLICATION_ID });
}
