import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { Topology } from '../src/topology/topology.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Grouped } from './options/grouped.js';
import { Materialized } from './options/materialized.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';

const splitWords = (line: string): string[] => line.toLowerCase().split(/\W+/).filter(Boolean);

function wordCountTopology(options: { optimization?: 'all' | 'none' } = {}): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream('text-lines', Consumed.with(Serdes.String(), Serdes.String()))
    .flatMapValues(splitWords)
    .groupBy((_key, word) => word, Grouped.with(Serdes.String(), Serdes.String()))
    .count(Materialized.as('counts'))
    .toStream()
    .to('word-counts', Produced.with(Serdes.String(), longSerde()));
  return builder.build({ applicationId: 'word-count', ...options });
}

/** Runs word count over `input` lines and returns the last count written per word. */
function runWordCount(input: readonly string[], partitions: number, topology = wordCountTopology()): Map<string | null, number> {
  const driver = new TopologyTestDriver(topology, { applicationId: 'word-count' });
  try {
    const lines = driver.createInputTopic('text-lines', Serdes.String(), Serdes.String(), { partitions });
    const counts = driver.createOutputTopic('word-counts', Serdes.String(), longSerde());
    input.forEach((line, i) => lines.pipeInput(`line-${i}`, line, 1_000 + i));
    return counts.readKeyValuesToMap();
  } finally {
    driver.close();
  }
}

function referenceCount(input: readonly string[]): Map<string, number> {
  const expected = new Map<string, number>();
  for (const line of input) for (const word of splitWords(line)) expected.set(word, (expected.get(word) ?? 0) + 1);
  return expected;
}

describe('word count, end to end on the TopologyTestDriver', () => {
  it('counts words across lines, through the repartition topic, with a changelogged store', () => {
    const driver = new TopologyTestDriver(wordCountTopology(), { applicationId: 'word-count' });
    try {
      const lines = driver.createInputTopic('text-lines', Serdes.String(), Serdes.String(), { partitions: 4 });
      const counts = driver.createOutputTopic('word-counts', Serdes.String(), longSerde());
      lines.pipeInput('a', 'Hello Kafka Streams', 1);
      expect(counts.readKeyValuesToMap()).toEqual(new Map([['hello', 1], ['kafka', 1], ['streams', 1]]));
      lines.pipeInput('b', 'hello world, hello!', 2);
      // The cache is flushed at each commit (after each piped record), so each word is forwarded once per record.
      expect(counts.readKeyValuesToList()).toEqual(
        expect.arrayContaining([
          { key: 'hello', value: 3 },
          { key: 'world', value: 1 },
        ]),
      );
      expect(counts.isEmpty()).toBe(true);
      const store = driver.getTimestampedKeyValueStore<string, number>('counts');
      expect(store.get('hello')).toEqual({ value: 3, timestampMs: 2 });
      expect(driver.broker.hasTopic('word-count-counts-repartition')).toBe(true);
      expect(driver.broker.hasTopic('word-count-counts-changelog')).toBe(true);
    } finally {
      driver.close();
    }
  });

  for (const partitions of [1, 4]) {
    it(`equals a Map count for any lines, with ${partitions} input partition(s)`, () => {
      const word = fc.constantFrom('kafka', 'Streams', 'log', 'TOPIC', 'a', 'b', 'é', '42', 'under_score');
      const line = fc.array(fc.tuple(word, fc.constantFrom(' ', '  ', ', ', '-', '!', '\t')), { maxLength: 8 }).map((parts) => parts.flat().join(''));
      fc.assert(
        fc.property(fc.array(line, { maxLength: 12 }), (input) => {
          expect(runWordCount(input, partitions)).toEqual(referenceCount(input));
        }),
        { numRuns: 25 },
      );
    });
  }

  it('gives the same counts with optimization: all', () => {
    const input = ['a b a', 'c a', 'b b b', ''];
    expect(runWordCount(input, 3, wordCountTopology({ optimization: 'all' }))).toEqual(referenceCount(input));
  });
});
