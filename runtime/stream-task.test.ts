import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../src/errors.js';
import type { ProcessorContext } from '../src/processor/processor-context.js';
import type { Record } from '../src/processor/record.js';
import { NO_HEADERS, type LogRecord } from '../src/record.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { KeyValueStore } from '../src/state/key-value-store.js';
import { Topology } from '../src/topology/topology.js';
import { ManualClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/logger.js';
import { Stores } from '../state-stores/stores.js';
import type { FailedRecordContext } from './exception-handlers.js';
import { RecordCollector } from './record-collector.js';
import { StreamTask, decodePartitionTime } from './stream-task.js';
import { resolveStreamsConfig, type StreamsConfig } from './streams-config.js';

const S = Serdes.String();

/** A topology of one sub-topology: sources `L` (topic left) and `R` (topic right) feed `P`, which logs and may forward to `out`. */
function twoSourceTopology(log: string[], behaviour: (r: Record<string, string>, ctx: ProcessorContext<string, string>) => void = () => {}): Topology {
  return new Topology()
    .addSource('L', 'left', { keySerde: S, valueSerde: S })
    .addSource('R', 'right', { keySerde: S, valueSerde: S })
    .addProcessor('P', () => {
      let ctx!: ProcessorContext<string, string>;
      return {
        init: (c: ProcessorContext<string, string>) => (ctx = c),
        process: (r: Record<string, string>) => {
          const m = ctx.recordMetadata()!;
          log.push(`${m.topic}@${m.offset}:${r.value}@${r.timestampMs}`);
          behaviour(r, ctx);
        },
      };
    }, 'L', 'R')
    .addSink('out', 'output', { keySerde: S, valueSerde: S }, 'P');
}

function makeTask(topology: Topology, config: Partial<StreamsConfig> = {}, clock = new ManualClock(0)) {
  const built = topology.build();
  const collector = new RecordCollector();
  const resolved = resolveStreamsConfig({ applicationId: 'task-test', ...config }, '');
  const sub = built.subtopologies[0]!;
  const task = new StreamTask({
    topology: built,
    subtopology: sub,
    partition: 0,
    config: resolved,
    collector,
    clock,
    logger: silentLogger(),
    stateDir: null,
    inputPartitions: sub.sourceTopics.map((topic) => ({ topic, partition: 0 })),
    cacheMaxBytesPerStore: 0,
  });
  task.initProcessors(built);
  return { task, collector, clock };
}

function rec(offset: number, timestampMs: number, value: string | Uint8Array, key: string | null = 'k'): LogRecord {
  return {
    offset,
    timestampMs,
    key: key === null ? null : Buffer.from(key),
    value: typeof value === 'string' ? Buffer.from(value) : Buffer.from(value),
    headers: NO_HEADERS,
  };
}

/** Records of one partition from a list of timestamps, offsets from 0, values `<prefix><i>`. */
function partitionRecords(prefix: string, timestamps: readonly number[]): LogRecord[] {
  return timestamps.map((ts, i) => rec(i, ts, `${prefix}${i}`));
}

describe('StreamTask', () => {
  test.prop([fc.array(fc.nat(1_000), { maxLength: 30 }), fc.array(fc.nat(1_000), { maxLength: 30 })], { numRuns: 100 })(
    'picks the queued record with the lowest timestamp across its input partitions (each partition in offset order)',
    (leftTs, rightTs) => {
      const log: string[] = [];
      const { task } = makeTask(twoSourceTopology(log));
      task.addRecords('left', 0, partitionRecords('l', leftTs));
      task.addRecords('right', 0, partitionRecords('r', rightTs));
      expect(task.bufferedCount).toBe(leftTs.length + rightTs.length);
      expect(task.process(Number.MAX_SAFE_INTEGER)).toBe(leftTs.length + rightTs.length);
      expect(task.bufferedCount).toBe(0);
      // Model: repeatedly take the head with the lowest timestamp, the left one on ties (queue order).
      const expected: string[] = [];
      let i = 0;
      let j = 0;
      while (i < leftTs.length || j < rightTs.length) {
        if (j >= rightTs.length || (i < leftTs.length && leftTs[i]! <= rightTs[j]!)) {
          expected.push(`left@${i}:l${i}@${leftTs[i]!}`);
          i++;
        } else {
          expected.push(`right@${j}:r${j}@${rightTs[j]!}`);
          j++;
        }
      }
      expect(log).toEqual(expected);
      expect(task.streamTimeMs).toBe(Math.max(-1, ...leftTs, ...rightTs));
    },
  );

  it('processes at most maxRecords per call, and records added later join the queues in offset order', () => {
    const log: string[] = [];
    const { task } = makeTask(twoSourceTopology(log));
    task.addRecords('left', 0, partitionRecords('l', [1, 2, 3]));
    expect(task.process(2)).toBe(2);
    task.addRecords('left', 0, [rec(3, 4, 'l3')]);
    task.addRecords('right', 0, [rec(0, 0, 'r0')]);
    expect(task.process(10)).toBe(3);
    expect(log).toEqual(['left@0:l0@1', 'left@1:l1@2', 'right@0:r0@0', 'left@2:l2@3', 'left@3:l3@4']);
    expect(() => task.addRecords('other', 0, [])).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }) as Error);
  });

  it('with maxTaskIdleMs, waits for an empty partition that long before processing the others', () => {
    const log: string[] = [];
    const { task, clock } = makeTask(twoSourceTopology(log), { maxTaskIdleMs: 100 });
    task.addRecords('left', 0, partitionRecords('l', [10, 20]));
    expect(task.process(100)).toBe(0);
    clock.advance(99);
    expect(task.process(100)).toBe(0);
    // The late record with a lower timestamp arrives in time and goes first.
    task.addRecords('right', 0, [rec(0, 5, 'r0')]);
    expect(task.process(100)).toBe(1);
    expect(log).toEqual(['right@0:r0@5']);
    // right is empty again: the task idles from now on, then goes on without it.
    clock.advance(99);
    expect(task.process(100)).toBe(0);
    clock.advance(1);
    expect(task.process(100)).toBe(2);
    expect(log).toEqual(['right@0:r0@5', 'left@0:l0@10', 'left@1:l1@20']);
  });

  it('commits the offset after the last record processed, per input partition', () => {
    const log: string[] = [];
    const { task } = makeTask(twoSourceTopology(log));
    expect(task.prepareCommit()).toEqual([]);
    task.addRecords('left', 0, [rec(7, 1, 'a'), rec(8, 2, 'b')]);
    task.addRecords('right', 0, [rec(40, 3, 'c')]);
    task.process(2);
    expect(task.prepareCommit()).toMatchObject([{ topic: 'left', partition: 0, offset: 9 }]);
    task.process(1);
    const committed = task.prepareCommit();
    expect(committed).toMatchObject([
      { topic: 'left', partition: 0, offset: 9 },
      { topic: 'right', partition: 0, offset: 41 },
    ]);
    // Each offset carries its partition's time (Kafka Streams' metadata format), restored when a task starts.
    expect(committed.map((c) => decodePartitionTime(c.metadata))).toEqual([2, 3]);
  });

  it('sinks serialize into the record collector; the changelog gets the task partition', () => {
    const t = new Topology()
      .addSource('src', 'input', { keySerde: S, valueSerde: S })
      .addProcessor('count', () => {
        let store!: KeyValueStore<string, bigint>;
        let ctx!: ProcessorContext<string, bigint>;
        return {
          init: (c: ProcessorContext<string, bigint>) => {
            ctx = c;
            store = c.getStateStore('n');
          },
          process: (r: Record<string, string>) => {
            const n = (store.get(r.key) ?? 0n) + 1n;
            store.put(r.key, n);
            ctx.forward(r.withValue(n));
          },
        };
      }, 'src')
      .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('n'), S, Serdes.BigInt()), 'count')
      .addSink('out', 'output', { keySerde: S, valueSerde: Serdes.BigInt() }, 'count');
    const { task, collector } = makeTask(t);
    task.addRecords('input', 0, [rec(0, 5, 'x', 'a'), rec(1, 6, 'y', 'a')]);
    task.process(10);
    const drained = collector.drain(new Map());
    const byTopic = new Map(drained.map((b) => [b.topic, b.messages]));
    expect(byTopic.get('output')!.map((m) => [S.deserialize('output', m.key), Serdes.BigInt().deserialize('output', m.value), m.timestampMs])).toEqual([
      ['a', 1n, 5],
      ['a', 2n, 6],
    ]);
    const changelog = byTopic.get('task-test-n-changelog')!;
    expect(changelog.map((m) => m.partition)).toEqual([0, 0]);
    expect(changelog.map((m) => Serdes.BigInt().deserialize('c', m.value))).toEqual([1n, 2n]);
  });

  it("deserialization failures go to the handler: 'continue' skips the record (and commits past it), 'fail' names the record", () => {
    const poison = Uint8Array.of(1, 2, 3); // not 8 bytes: the BigInt deserializer refuses it
    const seen: FailedRecordContext[] = [];
    const build = (handler: StreamsConfig['deserializationExceptionHandler']) => {
      const log: string[] = [];
      const t = new Topology().addSource('src', 'input', { keySerde: S, valueSerde: Serdes.BigInt() }).addProcessor('p', () => ({ process: (r: Record<string, bigint>) => void log.push(String(r.value)) }), 'src');
      return { log, ...makeTask(t, handler === undefined ? {} : { deserializationExceptionHandler: handler }) };
    };
    const good = (offset: number, n: bigint) => rec(offset, offset, Serdes.BigInt().serialize('input', n)!);

    const c = build('continue');
    c.task.addRecords('input', 0, [good(0, 1n), rec(1, 1, poison), good(2, 3n)]);
    expect(c.task.process(10)).toBe(3);
    expect(c.log).toEqual(['1', '3']);
    expect(c.task.prepareCommit()).toMatchObject([{ topic: 'input', partition: 0, offset: 3 }]);

    const f = build(undefined); // default 'fail'
    f.task.addRecords('input', 0, [good(0, 1n), rec(1, 1, poison), good(2, 3n)]);
    let error: unknown;
    try {
      f.task.process(10);
    } catch (e: unknown) {
      error = e;
    }
    expect(isStreamsError(error, 'SERDE_FAILED')).toBe(true);
    expect(error).toMatchObject({ topic: 'input', partition: 0, offset: 1 });
    expect((error as Error).message).toContain('input-0@1');
    expect(f.log).toEqual(['1']);
    // Only the record fully processed before the poison may be committed.
    expect(f.task.prepareCommit()).toMatchObject([{ topic: 'input', partition: 0, offset: 1 }]);

    const custom = build((_e, ctx) => {
      seen.push(ctx);
      return 'continue';
    });
    custom.task.addRecords('input', 0, [rec(4, 1, poison, 'key')]);
    custom.task.process(10);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ topic: 'input', partition: 0, offset: 4, taskId: '0_0' });
    expect(Buffer.from((seen[0] as unknown as { value: Uint8Array }).value)).toEqual(Buffer.from(poison));
  });

  it('processing failures name the node that threw; with a function handler it decides per record', () => {
    const log: string[] = [];
    const contexts: FailedRecordContext[] = [];
    const { task } = makeTask(
      twoSourceTopology(log, (r) => {
        if (r.value === 'bad') throw new Error('boom');
      }),
      {
        processingExceptionHandler: (e, ctx) => {
          contexts.push(ctx);
          return e.message === 'boom' ? 'continue' : 'fail';
        },
      },
    );
    task.addRecords('left', 0, [rec(0, 1, 'ok'), rec(1, 2, 'bad'), rec(2, 3, 'ok2')]);
    expect(task.process(10)).toBe(3);
    expect(log).toEqual(['left@0:ok@1', 'left@1:bad@2', 'left@2:ok2@3']);
    expect(contexts).toEqual([{ topic: 'left', partition: 0, offset: 1, taskId: '0_0', nodeName: 'P' }]);
    expect(task.prepareCommit()).toMatchObject([{ topic: 'left', partition: 0, offset: 3 }]);
  });

  it('skips records with an invalid timestamp from the extractor, and gives the extractor the partition time', () => {
    const log: string[] = [];
    const partitionTimes: number[] = [];
    const t = new Topology()
      .addSource('src', 'input', {
        keySerde: S,
        valueSerde: S,
        timestampExtractor: (r, partitionTimeMs) => {
          partitionTimes.push(partitionTimeMs);
          return r.value === 'bad' ? -1 : Number(r.value);
        },
      })
      .addProcessor('p', () => ({ process: (r: Record<string, string>) => void log.push(`${r.value}@${r.timestampMs}`) }), 'src');
    const { task } = makeTask(t);
    task.addRecords('input', 0, [rec(0, 0, '100'), rec(1, 0, 'bad'), rec(2, 0, '50'), rec(3, 0, '70')]);
    task.process(10);
    expect(log).toEqual(['100@100', '50@50', '70@70']);
    expect(partitionTimes).toEqual([-1, 100, 100, 100]);
    expect(task.streamTimeMs).toBe(100);
    expect(task.prepareCommit()).toMatchObject([{ topic: 'input', partition: 0, offset: 4 }]);
  });

  it('context.commit() requests a commit, which prepareCommit clears', () => {
    const { task } = makeTask(twoSourceTopology([], (r, ctx) => (r.value === 'commit' ? ctx.commit() : undefined)));
    task.addRecords('left', 0, [rec(0, 1, 'x')]);
    task.process(10);
    expect(task.isCommitRequested).toBe(false);
    task.addRecords('left', 0, [rec(1, 1, 'commit')]);
    task.process(10);
    expect(task.isCommitRequested).toBe(true);
    task.prepareCommit();
    expect(task.isCommitRequested).toBe(false);
  });

  it('a closed task processes nothing and closes its processors once', () => {
    let closes = 0;
    const t = new Topology().addSource('src', 'input', { keySerde: S, valueSerde: S }).addProcessor('p', () => ({ process() {}, close: () => void closes++ }), 'src');
    const { task } = makeTask(t);
    task.addRecords('input', 0, [rec(0, 1, 'x')]);
    task.close();
    task.close();
    expect(closes).toBe(1);
    expect(task.process(10)).toBe(0);
  });
});

describe('StreamTask sinks', () => {
  it('write the same bytes for key and value when a record carries one value as both (serialized once)', () => {
    const seen: Record<string, string>[] = [];
    const topology = new Topology()
      .addSource('in', 'in', { keySerde: S, valueSerde: S })
      .addProcessor('P', () => {
        let ctx!: ProcessorContext<string, string>;
        return {
          init: (c: ProcessorContext<string, string>) => (ctx = c),
          process: (r: Record<string, string>) => {
            seen.push(r);
            ctx.forward(r.withValue(r.key));
          },
        };
      }, 'in')
      .addSink('out', 'out', { keySerde: S, valueSerde: S }, 'P');
    const { task, collector } = makeTask(topology);
    task.addRecords('in', 0, [rec(0, 1, 'river', 'river'), rec(1, 2, 'sea', 'delta')]);
    task.process(10);
    expect(seen.map((r) => [r.key, r.value])).toEqual([
      ['river', 'river'],
      ['delta', 'sea'],
    ]);
    const [out] = collector.drain(new Map());
    expect(out!.messages.map((m) => [Buffer.from(m.key!).toString(), Buffer.from(m.value!).toString()])).toEqual([
      ['river', 'river'],
      ['delta', 'delta'],
    ]);
    expect(out!.messages.every((m) => m.key === m.value)).toBe(true);
  });
});
