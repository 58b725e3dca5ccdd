import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { topicPartitionKey } from '../src/record.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import type { FailedRecordContext } from '../runtime/exception-handlers.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { QueryableStoreTypes } from '../runtime/queryable-store-types.js';
import type { StreamsConfig } from '../runtime/streams-config.js';
import { expectedCounts, readTable, waitUntil, wordCountTopology, type WordCountOptions } from './helpers/word-count-topology.js';

const S = Serdes.String();
const J = Serdes.Json<string>();
const APP = 'errors';
const POISON = Buffer.from('{"unterminated'); // not JSON: the Json deserializer throws
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-streams-errors-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let broker: Broker;
let dirs = 0;
const instances: KafkaStreams[] = [];
beforeEach(async () => {
  broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
  broker.createTopic('lines', 2);
});
afterEach(async () => {
  for (const s of instances.splice(0)) await s.close({ timeoutMs: 5_000 });
  await broker.close();
});

function start(config: Partial<StreamsConfig>, topology: WordCountOptions = {}): KafkaStreams {
  const s = new KafkaStreams(wordCountTopology({ lineSerde: J, ...topology }), {
    applicationId: APP,
    broker,
    stateDir: path.join(root, `state-${++dirs}`),
    commitIntervalMs: 50,
    pollMs: 20,
    sessionTimeoutMs: 500,
    heartbeatIntervalMs: 50,
    logger: silentLogger(),
    ...config,
  });
  instances.push(s);
  return s;
}

/** Appends lines (JSON strings; a Buffer is written as is) to one partition of `lines`; returns their offsets. */
async function produce(partition: number, values: readonly (string | Buffer)[]): Promise<number[]> {
  const p = inProcessClients(broker).producer();
  const meta = await p.send({
    topic: 'lines',
    messages: values.map((v, i) => ({ key: S.serialize('lines', `k${i}`), value: typeof v === 'string' ? J.serialize('lines', v) : v, partition })),
  });
  await p.close();
  expect(meta).toHaveLength(1);
  return values.map((_, i) => meta[0]!.baseOffset + i);
}

function committed(partition: number): number | undefined {
  return broker.groups.fetchOffsets(APP, [{ topic: 'lines', partition }]).get(topicPartitionKey('lines', partition))?.offset;
}

async function waitForCounts(s: KafkaStreams, expected: Map<string, bigint>): Promise<void> {
  await waitUntil(() => {
    if (s.state !== 'RUNNING') return false;
    const view = s.store('counts', QueryableStoreTypes.keyValueStore<string, bigint>());
    let n = 0;
    for (const kv of view.all()) {
      if (expected.get(kv.key) !== kv.value) return false;
      n++;
    }
    return n === expected.size;
  }, 'the expected counts');
}

const before = ['alpha beta', 'beta gamma', 'alpha alpha'];
const after = ['gamma delta', 'delta', 'alpha omega'];

describe('record-level failures go to the exception handlers', () => {
  it("a processor that throws for one record, with processingExceptionHandler 'continue', skips exactly that record", async () => {
    const contexts: FailedRecordContext[] = [];
    const s = start(
      {
        processingExceptionHandler: (e, ctx) => {
          contexts.push(ctx);
          return e.message === 'cannot split this line' ? 'continue' : 'fail';
        },
      },
      {
        onLine: (line) => {
          if (line.includes('explode')) throw new Error('cannot split this line');
        },
      },
    );
    const [, badOffset] = await produce(1, ['one two', 'explode two three', 'two three']);
    await produce(0, before);
    await s.start();
    const expected = expectedCounts(['one two', 'two three', ...before]);
    await waitForCounts(s, expected);
    expect(contexts).toEqual([{ topic: 'lines', partition: 1, offset: badOffset, taskId: '0_1', nodeName: 'Split' }]);
    // The skipped record counts as processed: its offset is committed past.
    await waitUntil(() => committed(1) === 3, 'the offset after the skipped record to be committed');
    await s.close();
    expect(await readTable(inProcessClients(broker), 'counts', S, Serdes.BigInt())).toEqual(expected);
  });

  const poisonCases = [
    { store: 'in-memory', sameStateDir: false },
    { store: 'persistent', sameStateDir: true },
  ] as const;
  for (const c of poisonCases) {
    it(`a poison record with deserializationExceptionHandler 'fail' moves the app to ERROR naming it, and loses nothing committed; a 'continue' instance resumes and ends exact (${c.store} store${c.sameStateDir ? ', restarted on the same state directory' : ''})`, async () => {
      const failingDir = path.join(root, `failing-${c.store}`);
      const failing = start({ deserializationExceptionHandler: 'fail', stateDir: failingDir }, { store: c.store });
      await produce(0, before.slice(0, 2));
      await produce(1, before.slice(2));
      await failing.start();
      await waitForCounts(failing, expectedCounts(before));
      await waitUntil(() => committed(0) === 2 && committed(1) === 1, 'the first lines to be committed');

      // A good line, then the poison: the good one is fully processed, so it is committed as the app stops.
      const [goodOffset, poisonOffset] = await produce(1, ['omega', POISON, ...after]);
      expect(poisonOffset).toBe(goodOffset! + 1);
      await waitUntil(() => failing.state === 'ERROR', 'ERROR');
      const error = failing.error!;
      expect(error.code).toBe('SERDE_FAILED');
      expect(error).toMatchObject({ topic: 'lines', partition: 1, offset: poisonOffset });
      expect(error.message).toContain(`lines-1@${poisonOffset}`);
      // What was committed stays, everything before the poison record is committed, and nothing at or after it.
      expect(committed(0)).toBe(2);
      expect(committed(1)).toBe(poisonOffset);
      expect(() => failing.store('counts', QueryableStoreTypes.keyValueStore())).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }) as Error);

      // A new instance resumes from the commits and skips the poison: either on the same state directory once the
      // failed one is closed, or beside the failed one still in ERROR (which must have left the group).
      if (c.sameStateDir) expect(await failing.close()).toBe(true);
      const skipped: FailedRecordContext[] = [];
      const resumed = start(
        {
          deserializationExceptionHandler: (_e, ctx) => {
            skipped.push(ctx);
            return 'continue';
          },
          ...(c.sameStateDir ? { stateDir: failingDir } : {}),
        },
        { store: c.store },
      );
      await resumed.start();
      const expected = expectedCounts([...before, 'omega', ...after]);
      await waitForCounts(resumed, expected);
      expect(skipped.map((x) => [x.topic, x.partition, x.offset])).toEqual([['lines', 1, poisonOffset]]);
      await resumed.close();
      expect(await readTable(inProcessClients(broker), 'counts', S, Serdes.BigInt())).toEqual(expected);
      expect(await failing.close()).toBe(true);
      expect(failing.state).toBe('NOT_RUNNING');
    });
  }

  it("deserializationExceptionHandler 'continue' skips the poison record and counts the rest", async () => {
    const s = start({ deserializationExceptionHandler: 'continue' });
    await produce(0, [before[0]!, POISON, before[1]!]);
    await produce(1, [POISON, ...after]);
    await s.start();
    const expected = expectedCounts([before[0]!, before[1]!, ...after]);
    await waitForCounts(s, expected);
    await waitUntil(() => committed(0) === 3 && committed(1) === 4, 'commits past the poison records');
    expect(s.state).toBe('RUNNING');
  });

  it('a custom deserialization handler is called with the record context and the raw bytes', async () => {
    const calls: { error: Error; context: FailedRecordContext & { key: Uint8Array | null; value: Uint8Array | null } }[] = [];
    const s = start({
      deserializationExceptionHandler: (error, context) => {
        calls.push({ error, context });
        return calls.length === 1 ? 'continue' : 'fail';
      },
    });
    const [, firstPoison] = await produce(1, ['ok line', POISON, 'another line']);
    await s.start();
    await waitForCounts(s, expectedCounts(['ok line', 'another line']));
    expect(calls).toHaveLength(1);
    const { error, context } = calls[0]!;
    expect(error).toBeInstanceOf(Error);
    expect(context).toMatchObject({ topic: 'lines', partition: 1, offset: firstPoison, taskId: '0_1' });
    expect(S.deserialize('lines', context.key)).toBe('k1');
    expect(Buffer.from(context.value!)).toEqual(POISON);
    // The second call answers 'fail'.
    const [secondPoison] = await produce(0, [POISON]);
    await waitUntil(() => s.state === 'ERROR', 'ERROR after the handler said fail');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.context).toMatchObject({ topic: 'lines', partition: 0, offset: secondPoison, taskId: '0_0' });
    expect(s.error).toMatchObject({ code: 'SERDE_FAILED', topic: 'lines', partition: 0, offset: secondPoison });
  });

  it("an output record the log refuses goes to the production handler: 'continue' skips it, the rest is written", async () => {
    broker.createTopic('counts', 2, { 'max.message.bytes': 200 });
    const long = 'x'.repeat(300);
    const productionErrors: { topic: string; partition: number | undefined }[] = [];
    const s = start({
      productionExceptionHandler: (_e, ctx) => {
        productionErrors.push(ctx);
        return 'continue';
      },
    });
    const lines = ['short words', `short ${long}`, 'words'];
    await produce(0, lines);
    await s.start();
    const expected = expectedCounts(lines);
    await waitForCounts(s, expected);
    await waitUntil(() => committed(0) === 3, 'the lines committed');
    await s.close();
    // The partition is the producer's choice (murmur2 of the key), not known to the runtime: undefined.
    expect(productionErrors).toEqual([{ topic: 'counts', partition: undefined }]);
    expected.delete(long);
    expect(await readTable(inProcessClients(broker), 'counts', S, Serdes.BigInt())).toEqual(expected);
  });

  it("a processor that throws with the default handler ('fail') stops the app in ERROR naming the record", async () => {
    const s = start({}, { onLine: (line) => (line === 'bad' ? (() => { throw new Error('bad line'); })() : undefined) });
    await produce(0, ['fine', 'bad']);
    await s.start();
    await waitUntil(() => s.state === 'ERROR', 'ERROR');
    expect(s.error).toMatchObject({ code: 'PROCESSING_FAILED', topic: 'lines', partition: 0, offset: 1 });
    expect(s.error!.message).toContain('lines-0@1');
    expect(s.error!.message).toContain('bad line');
    expect((s.error!.cause as Error).message).toBe('bad line');
  });
});
