import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../../src/errors.js';
import type { ProcessorContext } from '../../src/processor/processor-context.js';
import type { Cancellable } from '../../src/processor/punctuation.js';
import { Record } from '../../src/processor/record.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { KeyValueStore } from '../../src/state/key-value-store.js';
import { Topology } from '../../src/topology/topology.js';
import { Stores } from '../../state-stores/stores.js';
import { expectedCounts, wordCountTopology } from '../../test/helpers/word-count-topology.js';
import { TopologyTestDriver } from './topology-test-driver.js';

const S = Serdes.String();

/** Merges what the output topic holds now into `table` (last value per key), as a KTable over it would. */
function readInto<K, V>(table: Map<K, V>, out: { readKeyValuesToMap(): Map<K | null, V> }): Map<K, V> {
  for (const [k, v] of out.readKeyValuesToMap()) table.set(k as K, v);
  return table;
}

describe('TopologyTestDriver: the Processor API', () => {
  it('forwards to all children, or only to the child named', () => {
    const t = new Topology()
      .addSource('in', 'input', { keySerde: S, valueSerde: S })
      .addProcessor(
        'route',
        () => {
          let ctx!: ProcessorContext<string, string>;
          return {
            init: (c: ProcessorContext<string, string>) => (ctx = c),
            process: (r: Record<string, string>) => {
              if (r.value === 'all') ctx.forward(r);
              else ctx.forward(r.withValue(`${r.value}!`), r.value);
            },
          };
        },
        'in',
      )
      .addSink('a', 'out-a', { keySerde: S, valueSerde: S }, 'route')
      .addSink('b', 'out-b', { keySerde: S, valueSerde: S }, 'route');
    const d = new TopologyTestDriver(t);
    const input = d.createInputTopic('input', S, S);
    const a = d.createOutputTopic('out-a', S, S);
    const b = d.createOutputTopic('out-b', S, S);
    input.pipeInput('k1', 'all');
    input.pipeInput('k2', 'a');
    input.pipeInput('k3', 'b');
    expect(a.readKeyValuesToList()).toEqual([
      { key: 'k1', value: 'all' },
      { key: 'k2', value: 'a!' },
    ]);
    expect(b.readKeyValuesToList()).toEqual([
      { key: 'k1', value: 'all' },
      { key: 'k3', value: 'b!' },
    ]);
    d.close();
  });

  it('forwarding to a child that does not exist is an error naming it', () => {
    const t = new Topology()
      .addSource('in', 'input', { keySerde: S, valueSerde: S })
      .addProcessor('route', () => {
        let ctx!: ProcessorContext<string, string>;
        return { init: (c: ProcessorContext<string, string>) => (ctx = c), process: (r: Record<string, string>) => ctx.forward(r, 'nope') };
      }, 'in')
      .addSink('a', 'out-a', { keySerde: S, valueSerde: S }, 'route');
    const d = new TopologyTestDriver(t);
    let error: unknown;
    try {
      d.createInputTopic('input', S, S).pipeInput('k', 'v');
    } catch (e: unknown) {
      error = e;
    }
    expect(isStreamsError(error, 'PROCESSING_FAILED')).toBe(true);
    expect((error as Error).message).toContain('nope');
    d.close();
  });

  it('stream-time punctuation is aligned to 0, fires after the record that passes a boundary, and skips missed intervals', () => {
    const events: string[] = [];
    let cancel: Cancellable | null = null;
    const t = new Topology()
      .addSource('in', 'input', { keySerde: S, valueSerde: S })
      .addProcessor('p', () => ({
        init(c: ProcessorContext<string, string>) {
          cancel = c.schedule(10, 'STREAM_TIME', (ts) => events.push(`punctuate@${ts} streamTime=${c.currentStreamTimeMs()} meta=${String(c.recordMetadata())}`));
        },
        process(r: Record<string, string>) {
          events.push(`record@${r.timestampMs}`);
        },
      }), 'in');
    const d = new TopologyTestDriver(t);
    const input = d.createInputTopic('input', S, S);
    input.pipeInput('k', 'v', 3); // first record: stream time 3 >= 0, fires at once
    input.pipeInput('k', 'v', 7); // next boundary is 10
    input.pipeInput('k', 'v', 12); // passes 10
    input.pipeInput('k', 'v', 5); // out of order: stream time stays 12
    input.pipeInput('k', 'v', 19);
    input.pipeInput('k', 'v', 45); // 20, 30, 40 missed: fires once, next at 50
    input.pipeInput('k', 'v', 49);
    input.pipeInput('k', 'v', 50);
    expect(events).toEqual([
      'record@3',
      'punctuate@3 streamTime=3 meta=null',
      'record@7',
      'record@12',
      'punctuate@12 streamTime=12 meta=null',
      'record@5',
      'record@19',
      'record@45',
      'punctuate@45 streamTime=45 meta=null',
      'record@49',
      'record@50',
      'punctuate@50 streamTime=50 meta=null',
    ]);
    events.length = 0;
    cancel!.cancel();
    input.pipeInput('k', 'v', 100);
    expect(events).toEqual(['record@100']);
    // Wall-clock time does not drive stream-time punctuation.
    d.advanceWallClockTime(1_000);
    expect(events).toEqual(['record@100']);
    d.close();
  });

  it('wall-clock punctuation fires one interval after scheduling, on advanceWallClockTime, skipping missed intervals; its output is written', () => {
    const fired: number[] = [];
    const t = new Topology()
      .addSource('in', 'input', { keySerde: S, valueSerde: S })
      .addProcessor('p', () => {
        let cancel!: Cancellable;
        return {
          init(c: ProcessorContext<string, string>) {
            cancel = c.schedule(1_000, 'WALL_CLOCK_TIME', (ts) => {
              fired.push(ts);
              c.forward(new Record('tick', String(ts), ts));
              if (fired.length === 3) cancel.cancel();
            });
          },
          process() {},
        };
      }, 'in')
      .addSink('out', 'ticks', { keySerde: S, valueSerde: S }, 'p');
    const d = new TopologyTestDriver(t, { initialWallClockTimeMs: 500 });
    const out = d.createOutputTopic('ticks', S, S);
    d.advanceWallClockTime(999);
    expect(fired).toEqual([]);
    d.advanceWallClockTime(1); // 1500 = 500 + 1000
    expect(fired).toEqual([1_500]);
    d.advanceWallClockTime(3_700); // 5200: 2500, 3500, 4500 missed; fires once
    expect(fired).toEqual([1_500, 5_200]);
    d.advanceWallClockTime(299); // 5499: next is 5500
    expect(fired).toEqual([1_500, 5_200]);
    d.advanceWallClockTime(1);
    expect(fired).toEqual([1_500, 5_200, 5_500]);
    d.advanceWallClockTime(10_000); // cancelled after the third
    expect(fired).toEqual([1_500, 5_200, 5_500]);
    expect(out.readKeyValuesToList()).toEqual(['1500', '5200', '5500'].map((value) => ({ key: 'tick', value })));
    expect(d.wallClockTimeMs).toBe(15_500);
    d.close();
  });

  it('getStateStore gives only the stores connected to the processor', () => {
    const seen: string[] = [];
    const probe = (name: string) => () => ({
      init(c: ProcessorContext<never, never>) {
        for (const store of ['s1', 's2', 'nope']) {
          try {
            const s = c.getStateStore<KeyValueStore<string, string>>(store);
            seen.push(`${name}:${store}=${s.name}`);
          } catch (e: unknown) {
            seen.push(`${name}:${store}=${isStreamsError(e, 'ILLEGAL_STATE') && e.message.includes(name) && e.message.includes(store) ? 'refused' : String(e)}`);
          }
        }
      },
      process() {},
    });
    const t = new Topology()
      .addSource('in', 'input', { keySerde: S, valueSerde: S })
      .addProcessor('p1', probe('p1'), 'in')
      .addProcessor('p2', probe('p2'), 'in')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('s1'), S, S), 'p1', 'p2')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('s2'), S, S), 'p2');
    const d = new TopologyTestDriver(t);
    d.createInputTopic('input', S, S).pipeInput('k', 'v');
    expect(seen).toEqual(['p1:s1=s1', 'p1:s2=refused', 'p1:nope=refused', 'p2:s1=s1', 'p2:s2=s2', 'p2:nope=refused']);
    d.close();
  });

  it('recordMetadata names the topic, partition and offset of the record being processed', () => {
    const t = new Topology()
      .addSource('in', 'input', { keySerde: S, valueSerde: S })
      .addProcessor('meta', () => {
        let ctx!: ProcessorContext<string, string>;
        return {
          init: (c: ProcessorContext<string, string>) => (ctx = c),
          process: (r: Record<string, string>) => {
            const m = ctx.recordMetadata()!;
            ctx.forward(r.withValue(`${m.topic}/${m.partition}/${m.offset} task ${ctx.taskId}`));
          },
        };
      }, 'in')
      .addSink('toRepartition', 'meta-repartition', { keySerde: S, valueSerde: S }, 'meta')
      .addSource('again', 'meta-repartition', { keySerde: S, valueSerde: S })
      .addProcessor('meta2', () => {
        let ctx!: ProcessorContext<string, string>;
        return {
          init: (c: ProcessorContext<string, string>) => (ctx = c),
          process: (r: Record<string, string>) => {
            const m = ctx.recordMetadata()!;
            ctx.forward(r.withValue(`${r.value} | ${m.topic}/${m.partition}/${m.offset}`));
          },
        };
      }, 'again')
      .addSink('out', 'output', { keySerde: S, valueSerde: S }, 'meta2');
    const d = new TopologyTestDriver(t, { applicationId: 'meta-app' });
    const input = d.createInputTopic('input', S, S, { partitions: 3 });
    const out = d.createOutputTopic('output', S, S);
    input.pipeInputToPartition(2, 'x', 'v');
    input.pipeInputToPartition(0, 'y', 'v');
    input.pipeInputToPartition(2, 'z', 'v');
    const values = out.readRecordsToList().map((r) => r.value);
    expect(values).toHaveLength(3);
    // The repartition topic has 3 partitions too (the key decides which); x and z may share one.
    const pattern = /^input\/(\d)\/(\d) task 0_(\d) \| meta-repartition\/(\d)\/(\d)$/;
    const parsed = values.map((v) => pattern.exec(v!)!.slice(1).map(Number));
    expect(parsed.map(([p, o, task]) => `${p}/${o}/${task}`).sort()).toEqual(['0/0/0', '2/0/2', '2/1/2']);
    const offsetsPerRepartitionPartition = new Map<number, number[]>();
    for (const [, , , rp, ro] of parsed) offsetsPerRepartitionPartition.set(rp!, [...(offsetsPerRepartitionPartition.get(rp!) ?? []), ro!]);
    for (const offsets of offsetsPerRepartitionPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
    d.close();
  });

  it("processes a task's two co-partitioned input partitions in timestamp order (lowest head first)", () => {
    const order: string[] = [];
    const t = new Topology()
      .addSource('events', 'events', { keySerde: S, valueSerde: S })
      // "l:5 r:3" -> a record with timestamp 5 to the left topic, one with timestamp 3 to the right topic, in that order.
      .addProcessor('fan', () => {
        let ctx!: ProcessorContext<string, string>;
        return {
          init: (c: ProcessorContext<string, string>) => (ctx = c),
          process: (r: Record<string, string>) => {
            for (const part of r.value.split(' ')) {
              const [side, ts] = part.split(':');
              ctx.forward(r.withValue(part).withTimestamp(Number(ts)), side === 'l' ? 'toLeft' : 'toRight');
            }
          },
        };
      }, 'events')
      .addSink('toLeft', 'left', { keySerde: S, valueSerde: S }, 'fan')
      .addSink('toRight', 'right', { keySerde: S, valueSerde: S }, 'fan')
      .addSource('L', 'left', { keySerde: S, valueSerde: S })
      .addSource('R', 'right', { keySerde: S, valueSerde: S })
      .addProcessor('merge', () => {
        let ctx!: ProcessorContext<never, never>;
        return {
          init: (c: ProcessorContext<never, never>) => (ctx = c),
          process: (r: Record<string, string>) => {
            order.push(`${r.value}@${ctx.recordMetadata()!.topic} streamTime=${ctx.currentStreamTimeMs()}`);
          },
        };
      }, 'L', 'R');
    const d = new TopologyTestDriver(t);
    const input = d.createInputTopic('events', S, S, { partitions: 2 });
    // One piped record: both partitions of the merge task fill in the same round, then it picks by timestamp.
    input.pipeInputToPartition(1, 'k', 'l:5 r:3 l:9 r:1 r:20', 0);
    expect(order).toEqual([
      'r:3@right streamTime=3',
      'r:1@right streamTime=3',
      'l:5@left streamTime=5',
      'l:9@left streamTime=9',
      'r:20@right streamTime=20',
    ]);
    d.close();
  });

  it('rejects co-partitioned sources with different partition counts', () => {
    const t = new Topology()
      .addSource('L', 'left', { keySerde: S, valueSerde: S })
      .addSource('R', 'right', { keySerde: S, valueSerde: S })
      .addProcessor('merge', () => ({ process() {} }), 'L', 'R');
    const d = new TopologyTestDriver(t);
    const left = d.createInputTopic('left', S, S, { partitions: 2 });
    d.createInputTopic('right', S, S, { partitions: 3 });
    expect(() => left.pipeInput('k', 'v')).toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID', message: expect.stringContaining('left=2') }) as Error);
    d.close();
  });
});

describe('TopologyTestDriver: word count', () => {
  const lines = fc.array(
    fc.array(fc.constantFrom('apple', 'Banana', 'cherry', 'date', 'elder', 'fig', 'grape'), { minLength: 0, maxLength: 6 }).map((ws) => ws.join(' ')),
    { minLength: 1, maxLength: 25 },
  );

  test.prop([lines], { numRuns: 25 })('4 input partitions give the same final counts as 1, and the exact counts', (input) => {
    const finals: Map<string, bigint>[] = [];
    for (const partitions of [1, 4]) {
      const d = new TopologyTestDriver(wordCountTopology());
      const topic = d.createInputTopic('lines', S, S, { partitions });
      const out = d.createOutputTopic('counts', S, Serdes.BigInt());
      input.forEach((line, i) => topic.pipeInput(`key-${i}`, line, i));
      const table = readInto(new Map<string, bigint>(), out);
      const store = d.getKeyValueStore<string, bigint>('counts');
      for (const [word, n] of table) expect(store.get(word)).toBe(n);
      finals.push(table);
      d.close();
    }
    expect(finals[1]).toEqual(finals[0]);
    expect(finals[0]).toEqual(expectedCounts(input));
  });

  const cachingCases = [
    { name: 'forwarding every count', forwardOnFlush: false, cacheMaxBytes: undefined },
    { name: 'forwarding on cache flush', forwardOnFlush: true, cacheMaxBytes: undefined },
    { name: 'forwarding on cache flush, with a tiny cache that evicts', forwardOnFlush: true, cacheMaxBytes: 64 },
  ] as const;
  for (const c of cachingCases) {
    test.prop([lines, fc.constantFrom(1, 3)], { numRuns: 15 })(`with caching (${c.name}), the output after each piped record has the last count per key`, (input, partitions) => {
      const d = new TopologyTestDriver(wordCountTopology({ caching: true, forwardOnFlush: c.forwardOnFlush }), c.cacheMaxBytes === undefined ? {} : { cacheMaxBytes: c.cacheMaxBytes });
      const topic = d.createInputTopic('lines', S, S, { partitions });
      const out = d.createOutputTopic('counts', S, Serdes.BigInt());
      const store = d.getKeyValueStore<string, bigint>('counts');
      const table = new Map<string, bigint>();
      input.forEach((line, i) => {
        topic.pipeInput(null, line, i);
        const expected = expectedCounts(input.slice(0, i + 1));
        expect(readInto(table, out)).toEqual(expected);
        for (const [word, n] of expected) expect(store.get(word)).toBe(n);
      });
      d.close();
    });
  }

  it('a cache forwarding on flush sends one record per key and commit, with the latest count', () => {
    for (const forwardOnFlush of [false, true]) {
      const d = new TopologyTestDriver(wordCountTopology({ caching: true, forwardOnFlush }));
      const topic = d.createInputTopic('lines', S, S);
      const out = d.createOutputTopic('counts', S, Serdes.BigInt());
      topic.pipeInput(null, 'a b a a');
      const records = out.readKeyValuesToList();
      if (forwardOnFlush) {
        // Flush order is the cache's (last write last), not the key order.
        expect(records).toHaveLength(2);
        expect(records).toEqual(
          expect.arrayContaining([
            { key: 'a', value: 3n },
            { key: 'b', value: 1n },
          ]),
        );
      } else {
        expect(records).toEqual([
          { key: 'a', value: 1n },
          { key: 'b', value: 1n },
          { key: 'a', value: 2n },
          { key: 'a', value: 3n },
        ]);
      }
      d.close();
    }
  });

  it('writes the changelog topic of a logged store, compacted, with the task count as partitions', () => {
    const d = new TopologyTestDriver(wordCountTopology(), { applicationId: 'wc' });
    d.createInputTopic('lines', S, S, { partitions: 3 }).pipeInput(null, 'x y x');
    const changelog = d.broker.describeTopic('wc-counts-changelog');
    expect(changelog.numPartitions).toBe(3);
    expect(changelog.config['cleanup.policy']).toBe('compact');
    const entries = d.createOutputTopic('wc-counts-changelog', S, Serdes.BigInt()).readKeyValuesToList();
    expect(entries.filter((e) => e.key === 'x').map((e) => e.value)).toEqual([1n, 2n]);
    d.close();
  });

  it('is closed after close()', () => {
    const d = new TopologyTestDriver(wordCountTopology());
    const topic = d.createInputTopic('lines', S, S);
    d.close();
    expect(() => topic.pipeInput(null, 'a')).toThrow(expect.objectContaining({ code: 'CLOSED' }) as Error);
  });
});
