import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import { Serdes } from '../src/serdes/serdes.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';
import { WindowedSerdes } from './windowed-serdes.js';
import { JoinWindows } from './windows/join-windows.js';
import { TimeWindows } from './windows/time-windows.js';

const S = Serdes.String();

function capturingLogger(lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

const dropped = (driver: TopologyTestDriver): number =>
  driver
    .metrics()
    .filter((m) => m.name === 'dropped-records-total' && m.group === 'stream-task-metrics')
    .reduce((n, m) => n + m.value, 0);

describe('dropped-records', () => {
  it('a windowed count counts records too late for their window in the task metric and logs them at debug', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream('clicks', Consumed.with(S, S))
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
      .count()
      .toStream()
      .to('counts', Produced.with(WindowedSerdes.timeWindowedSerdeFrom(S, 10), longSerde()));
    const lines: Record<string, unknown>[] = [];
    const driver = new TopologyTestDriver(builder.build(), { logger: capturingLogger(lines) });
    const input = driver.createInputTopic('clicks', S, S);
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 20); // stream time 20: window [0,10) closed at 15
    input.pipeInput('a', 'x', 3); // too late
    input.pipeInput(null, 'x', 21); // no key
    input.pipeInput('a', 'x', 12); // [10,20) still open (closes at 25)
    expect(dropped(driver)).toBe(2);
    expect(driver.metrics()[0]!.tags).toEqual({ 'thread-id': 'test-driver', 'task-id': '0_0' });
    await new Promise((r) => setImmediate(r));
    const skipped = lines.filter((l) => l['msg'] === 'Skipping record: expired window');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ topic: 'clicks', partition: 0, offset: 2, timestampMs: 3, windowStartMs: 0, windowEndMs: 10, closeTimeMs: 15 });
    driver.close();
  });

  it('a stream-stream join counts records later than window plus grace', () => {
    const builder = new StreamsBuilder();
    const left = builder.stream('left', Consumed.with(S, S));
    const right = builder.stream('right', Consumed.with(S, S));
    left.join(right, (a, b) => a + b, JoinWindows.ofTimeDifferenceAndGrace(5, 0)).to('out', Produced.with(S, S));
    const driver = new TopologyTestDriver(builder.build());
    const l = driver.createInputTopic('left', S, S);
    const r = driver.createInputTopic('right', S, S);
    l.pipeInput('k', 'a', 100);
    r.pipeInput('k', 'b', 50); // 50 + 5 + 0 < 100: dropped
    r.pipeInput('k', 'c', 98);
    l.pipeInput('k', null, 101); // null value: dropped
    expect(driver.createOutputTopic('out', S, S).readValuesToList()).toEqual(['ac']);
    expect(dropped(driver)).toBe(2);
    driver.close();
  });
});
