import { describe, expect, it } from 'vitest';
import { Consumed } from '../dsl/options/consumed.js';
import { Produced } from '../dsl/options/produced.js';
import { StreamsBuilder } from '../dsl/streams-builder.js';
import { Serdes } from '../src/serdes/serdes.js';
import { TopologyTestDriver } from './testing/topology-test-driver.js';

const S = Serdes.String();
const header = (headers: readonly { key: string; value: Uint8Array | null }[], key: string): string | undefined => {
  const h = headers.find((x) => x.key === key);
  return h?.value == null ? undefined : Buffer.from(h.value).toString('utf8');
};

function driver(dlq: string | undefined) {
  const builder = new StreamsBuilder();
  builder
    .stream('in', Consumed.with(S, Serdes.Json<{ n: number }>()))
    .mapValues((v) => {
      if (v.n < 0) throw new Error(`negative: ${v.n}`);
      return String(v.n * 2);
    })
    .to('out', Produced.with(S, S));
  return new TopologyTestDriver(builder.build(), {
    deserializationExceptionHandler: 'continue',
    processingExceptionHandler: 'continue',
    ...(dlq === undefined ? {} : { errors: { deadLetterQueueTopic: dlq } }),
  });
}

describe('errors.deadLetterQueueTopic', () => {
  it("sends records the handlers skipped, raw, with headers naming the source and the error; good records flow on", () => {
    const d = driver('dlq');
    d.pipeRaw('in', [
      { key: Buffer.from('a'), value: Buffer.from('{"n":1}') },
      { key: Buffer.from('b'), value: Buffer.from('not json') },
      { key: Buffer.from('c'), value: Buffer.from('{"n":-3}') },
      { key: Buffer.from('d'), value: Buffer.from('{"n":4}') },
    ]);
    expect(d.createOutputTopic('out', S, S).readKeyValuesToList()).toEqual([
      { key: 'a', value: '2' },
      { key: 'd', value: '8' },
    ]);
    const dead = d.readRaw('dlq', new Map());
    expect(dead.map((r) => [Buffer.from(r.key!).toString(), Buffer.from(r.value!).toString()])).toEqual([
      ['b', 'not json'],
      ['c', '{"n":-3}'],
    ]);
    expect(header(dead[0]!.headers, '__streams.errors.topic')).toBe('in');
    expect(header(dead[0]!.headers, '__streams.errors.partition')).toBe('0');
    expect(header(dead[0]!.headers, '__streams.errors.offset')).toBe('1');
    expect(header(dead[0]!.headers, '__streams.errors.exception')).toMatch(/StreamsError|Error/);
    expect(header(dead[1]!.headers, '__streams.errors.offset')).toBe('2');
    expect(header(dead[1]!.headers, '__streams.errors.message')).toBe('negative: -3');
    expect(header(dead[1]!.headers, '__streams.errors.stacktrace')).toContain('negative: -3');
    d.close();
  });

  it('without the option nothing is written anywhere else', () => {
    const d = driver(undefined);
    d.pipeRaw('in', [{ key: Buffer.from('b'), value: Buffer.from('not json') }]);
    expect(d.broker.listTopics().map((t) => t.name)).not.toContain('dlq');
    d.close();
  });

  it('rejects a bad topic name', () => {
    expect(() => new TopologyTestDriver(new StreamsBuilder().build(), { errors: { deadLetterQueueTopic: 'bad name' } })).toThrow(/deadLetterQueueTopic/);
  });
});
