import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Broker,
  inProcessClients,
  isStreamsError,
  silentLogger,
  StreamsError,
  type Clients,
  type LogRecord,
  type StreamsErrorCode,
  type TopicConfigs,
} from '../src/index.js';

const T0 = 1_700_000_000_000;

let root: string;
let dataDir: string;
let broker: Broker;
let clients: Clients;

function openBroker(): Promise<Broker> {
  return Broker.open({ dataDir, logger: silentLogger(), maintenanceIntervalMs: 0, offsetsTopicPartitions: 1 });
}

beforeEach(async () => {
  // The data dir sits one level down, so a name escaping it ('../x') would show up in `root`.
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bad-input-'));
  dataDir = path.join(root, 'data');
  broker = await openBroker();
  clients = inProcessClients(broker);
});

afterEach(async () => {
  await broker.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Every path under `root`, to prove a refused call wrote nothing anywhere. */
function tree(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(root, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

/** The StreamsError a call raised (sync throw or rejection); fails the test on anything else. */
async function errorOf(f: () => unknown): Promise<StreamsError> {
  let thrown: unknown = undefined;
  try {
    await f();
  } catch (e: unknown) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error('expected an error, the call succeeded');
  if (!isStreamsError(thrown)) throw new Error(`expected a StreamsError, got ${String(thrown)}`);
  return thrown;
}

async function expectCode(f: () => unknown, code: StreamsErrorCode): Promise<StreamsError> {
  const e = await errorOf(f);
  expect(e.code, e.message).toBe(code);
  return e;
}

const v = (s: string): Buffer => Buffer.from(s);

/** Reads a partition from its start with a fresh assigned consumer until `count` records or an empty poll. */
async function readPartition(topic: string, partition: number, options: { from?: number; maxPartitionFetchBytes?: number } = {}): Promise<LogRecord[]> {
  const consumer = clients.consumer({ autoOffsetReset: 'earliest', ...(options.maxPartitionFetchBytes === undefined ? {} : { maxPartitionFetchBytes: options.maxPartitionFetchBytes }) });
  consumer.assign([{ topic, partition }]);
  if (options.from !== undefined) consumer.seek({ topic, partition }, options.from);
  const out: LogRecord[] = [];
  try {
    for (;;) {
      const polled = await consumer.poll({ maxWaitMs: 0 });
      if (polled.count === 0) return out;
      for (const b of polled.batches) out.push(...b.records);
    }
  } finally {
    await consumer.close();
  }
}

// ------------------------------------------------------------------------------------------------ topic names

describe('invalid topic names', () => {
  const names = ['../x', 'a/b', '/abs', 'a\\b', '', '.', '..', 'x'.repeat(250), 'tópico', '日本', '🙂', 'ok name', 'tab\tname', 'nul\u0000', 'new\nline'];

  it('are INVALID_TOPIC everywhere and create nothing on disk', async () => {
    const before = tree();
    const { admin } = clients;
    const producer = clients.producer();
    const consumer = clients.consumer({ groupId: 'g' });
    for (const name of names) {
      const shown = JSON.stringify(name);
      for (const [what, call] of [
        ['createTopics', () => admin.createTopics([{ topic: name, numPartitions: 1 }])],
        ['send', () => producer.send({ topic: name, messages: [{ key: null, value: v('x') }] })],
        ['assign', () => consumer.assign([{ topic: name, partition: 0 }])],
        ['subscribe', () => consumer.subscribe([name])],
        ['listOffsets', () => admin.listOffsets([{ topic: name, partition: 0, spec: 'latest' }])],
        ['deleteRecords', () => admin.deleteRecords([{ topic: name, partition: 0, beforeOffset: 0 }])],
        ['describeTopics', () => admin.describeTopics([name])],
        ['deleteTopics', () => admin.deleteTopics([name])],
      ] as const) {
        const e = await errorOf(call);
        expect(e.code, `${what} ${shown}`).toBe('INVALID_TOPIC');
      }
    }
    // Not a string at all.
    await expectCode(() => admin.createTopics([{ topic: 42 as unknown as string, numPartitions: 1 }]), 'INVALID_TOPIC');
    await expectCode(() => admin.createTopics([{ topic: undefined as unknown as string, numPartitions: 1 }]), 'INVALID_TOPIC');
    expect(tree()).toEqual(before);
    expect(await admin.listTopics()).toEqual([]);
    await producer.close();
    await consumer.close();
  });

  it('accepts the longest legal name (249 characters) and keeps it across a restart', async () => {
    const name = `${'n'.repeat(240)}.-_AZaz09`;
    expect(name.length).toBe(249);
    await clients.admin.createTopics([{ topic: name, numPartitions: 2 }]);
    await clients.producer().send({ topic: name, messages: [{ key: null, value: v('long'), partition: 1 }] });
    await broker.close();
    broker = await openBroker();
    clients = inProcessClients(broker);
    expect(await clients.admin.listTopics()).toEqual([name]);
    expect((await readPartition(name, 1)).map((r) => r.value!.toString())).toEqual(['long']);
  });
});

// ------------------------------------------------------------------------------------------------ topics

describe('topic specs', () => {
  it('createTopics: the same spec again is a no-op, a conflicting one TOPIC_ALREADY_EXISTS', async () => {
    const { admin } = clients;
    const spec = { topic: 't', numPartitions: 3, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '4096' } };
    await admin.createTopics([spec]);
    const [before] = await admin.describeTopics(['t']);
    await admin.createTopics([spec]);
    await admin.createTopics([{ ...spec, configs: { 'segment.bytes': 4096, 'cleanup.policy': 'compact' } }]);
    expect(await admin.describeTopics(['t'])).toEqual([before]);
    const e = await expectCode(() => admin.createTopics([{ ...spec, numPartitions: 4 }]), 'TOPIC_ALREADY_EXISTS');
    expect(e.topic).toBe('t');
    await expectCode(() => admin.createTopics([{ ...spec, configs: { 'cleanup.policy': 'delete' } }]), 'TOPIC_ALREADY_EXISTS');
    await expectCode(() => admin.createTopics([{ topic: 't', numPartitions: 3 }]), 'TOPIC_ALREADY_EXISTS');
    expect(await admin.describeTopics(['t'])).toEqual([before]);
    // Still a no-op after a restart (the config is compared as parsed, not as given).
    await broker.close();
    broker = await openBroker();
    clients = inProcessClients(broker);
    await clients.admin.createTopics([spec]);
    expect((await clients.admin.describeTopics(['t']))[0]!.topicId).toBe(before!.topicId);
  });

  it('bad configs and partition counts are refused and create nothing', async () => {
    const before = tree();
    const bad: TopicConfigs[] = [
      { 'no.such.key': 1 },
      { 'segment.bytes': -5 },
      { 'segment.bytes': 'lots' },
      { 'segment.bytes': 1.5 },
      { 'segment.bytes': 13 },
      { 'retention.ms': -2 },
      { 'retention.ms': Number.NaN },
      { 'max.message.bytes': Number.MAX_SAFE_INTEGER + 2 },
      { 'cleanup.policy': 'forever' },
      { 'cleanup.policy': '' },
      { 'message.timestamp.type': 'WallClock' },
    ];
    for (const configs of bad) {
      const e = await errorOf(() => clients.admin.createTopics([{ topic: 'c', numPartitions: 1, configs }])).catch((x: unknown) => x as Error);
      expect((e as StreamsError).code, JSON.stringify(configs)).toBe('INVALID_CONFIG');
    }
    for (const n of [0, -1, 1.5, Number.NaN, 1e9]) {
      await expectCode(() => clients.admin.createTopics([{ topic: 'c', numPartitions: n }]), 'INVALID_PARTITIONS');
    }
    expect(tree()).toEqual(before);
    expect(await clients.admin.listTopics()).toEqual([]);
  });

  it('unknown topics are UNKNOWN_TOPIC_OR_PARTITION for produce, assign, listOffsets, deleteRecords, describe and delete', async () => {
    const { admin } = clients;
    const producer = clients.producer();
    const consumer = clients.consumer({ groupId: 'g' });
    const calls: [string, () => unknown][] = [
      ['send', () => producer.send({ topic: 'missing', messages: [{ key: null, value: v('x') }] })],
      ['partitionCount', () => producer.partitionCount('missing')],
      ['assign', () => consumer.assign([{ topic: 'missing', partition: 0 }])],
      ['listOffsets', () => admin.listOffsets([{ topic: 'missing', partition: 0, spec: 'earliest' }])],
      ['deleteRecords', () => admin.deleteRecords([{ topic: 'missing', partition: 0, beforeOffset: 0 }])],
      ['describeTopics', () => admin.describeTopics(['missing'])],
      ['deleteTopics', () => admin.deleteTopics(['missing'])],
      ['fetch', async () => {
        const [r] = await broker.fetch([{ topic: 'missing', partition: 0, offset: 0 }]);
        throw r!.error;
      }],
    ];
    for (const [what, call] of calls) {
      const e = await errorOf(call);
      expect(e.code, what).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      expect(e.topic, what).toBe('missing');
    }
    // A deleted topic is unknown again.
    await admin.createTopics([{ topic: 'gone', numPartitions: 1 }]);
    await admin.deleteTopics(['gone']);
    await expectCode(() => admin.deleteTopics(['gone']), 'UNKNOWN_TOPIC_OR_PARTITION');
    await expectCode(() => producer.send({ topic: 'gone', messages: [{ key: null, value: v('x') }] }), 'UNKNOWN_TOPIC_OR_PARTITION');
    await producer.close();
    await consumer.close();
  });
});

// ------------------------------------------------------------------------------------------------ partitions

describe('partition numbers', () => {
  it('negative, non-integer and out-of-range partitions are UNKNOWN_TOPIC_OR_PARTITION and write nothing', async () => {
    const { admin } = clients;
    await admin.createTopics([{ topic: 't', numPartitions: 2 }]);
    const producer = clients.producer();
    await producer.send({ topic: 't', messages: [{ key: null, value: v('ok'), partition: 0 }] });
    const consumer = clients.consumer();
    for (const p of [-1, 2, 3, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '0' as unknown as number]) {
      const shown = String(p);
      const calls: [string, () => unknown][] = [
        // A send with one bad record among good ones writes none of them.
        ['send', () => producer.send({ topic: 't', messages: [{ key: null, value: v('good'), partition: 0 }, { key: null, value: v('bad'), partition: p }] })],
        ['assign', () => consumer.assign([{ topic: 't', partition: p }])],
        ['listOffsets', () => admin.listOffsets([{ topic: 't', partition: p, spec: 'latest' }])],
        ['deleteRecords', () => admin.deleteRecords([{ topic: 't', partition: p, beforeOffset: 0 }])],
        ['fetch', async () => {
          const [r] = await broker.fetch([{ topic: 't', partition: p, offset: 0 }]);
          throw r!.error;
        }],
      ];
      for (const [what, call] of calls) {
        const e = await errorOf(call);
        expect(e.code, `${what} partition ${shown}`).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      }
    }
    expect(await admin.listOffsets([{ topic: 't', partition: 0, spec: 'latest' }, { topic: 't', partition: 1, spec: 'latest' }])).toEqual([
      { topic: 't', partition: 0, offset: 1 },
      { topic: 't', partition: 1, offset: 0 },
    ]);
    await producer.close();
    await consumer.close();
  });
});

// ------------------------------------------------------------------------------------------------ sizes

describe('records over max.message.bytes', () => {
  it('are RECORD_TOO_LARGE and leave every log unchanged', async () => {
    const { admin } = clients;
    await admin.createTopics([{ topic: 't', numPartitions: 2, configs: { 'max.message.bytes': 1000 } }]);
    const producer = clients.producer();
    await producer.send({ topic: 't', messages: [{ key: v('k'), value: v('small'), partition: 0 }] });
    const before = await admin.describeTopics(['t']);
    const sizes = tree().map((p) => [p, fs.statSync(path.join(root, p)).size]);
    const big = Buffer.alloc(1001, 1);
    for (const messages of [
      [{ key: null, value: big, partition: 0 }],
      [{ key: big, value: null, partition: 1 }],
      [{ key: null, value: v('x'), headers: [{ key: 'h', value: big }], partition: 0 }],
      // Many small records that add up: one batch per partition per send.
      Array.from({ length: 100 }, (_, i) => ({ key: null, value: Buffer.alloc(20, i), partition: 1 })),
      // A good partition beside a bad one: neither is written.
      [{ key: null, value: v('fine'), partition: 1 }, { key: null, value: big, partition: 0 }],
    ]) {
      const e = await expectCode(() => producer.send({ topic: 't', messages }), 'RECORD_TOO_LARGE');
      expect(e.topic).toBe('t');
    }
    expect(await admin.describeTopics(['t'])).toEqual(before);
    expect(tree().map((p) => [p, fs.statSync(path.join(root, p)).size])).toEqual(sizes);
    // The producer is still usable and its sequence numbers still line up.
    const [meta] = await producer.send({ topic: 't', messages: [{ key: null, value: v('after'), partition: 0 }] });
    expect(meta!.baseOffset).toBe(1);
    expect((await readPartition('t', 0)).map((r) => r.value!.toString())).toEqual(['small', 'after']);
    expect(await readPartition('t', 1)).toEqual([]);
    await producer.close();
  });
});

// ------------------------------------------------------------------------------------------------ corruption

describe('a flipped byte in a closed segment', () => {
  it('is CORRUPT_RECORD when consumed, never the altered value; records around it stay readable and nothing is lost', async () => {
    await clients.admin.createTopics([{ topic: 'c', numPartitions: 1, configs: { 'segment.bytes': 300 } }]);
    const producer = clients.producer();
    const values = Array.from({ length: 20 }, (_, i) => `value-${String(i).padStart(2, '0')}-abcdefghijklmnop`);
    for (const value of values) await producer.send({ topic: 'c', messages: [{ key: v('k'), value: v(value), timestampMs: T0 }] });
    await producer.close();
    await broker.close();
    const partDir = path.join(dataDir, 'c-0');
    const segments = fs.readdirSync(partDir).filter((n) => n.endsWith('.log')).sort();
    expect(segments.length).toBeGreaterThan(2);
    const first = path.join(partDir, segments[0]!);
    const bytes = fs.readFileSync(first);
    const at = bytes.indexOf('value-02-');
    expect(at).toBeGreaterThan(0);
    bytes.writeUInt8(bytes.readUInt8(at + 12) ^ 0x20, at + 12); // 'c' -> 'C' inside record 2's value
    fs.writeFileSync(first, bytes);
    broker = await openBroker();
    clients = inProcessClients(broker);

    // One batch per fetch: the records before the bad batch come back, then the error.
    const consumer = clients.consumer({ autoOffsetReset: 'earliest', maxPartitionFetchBytes: 1 });
    consumer.assign([{ topic: 'c', partition: 0 }]);
    const seen: string[] = [];
    let error: unknown = null;
    for (let i = 0; i < 30 && error === null; i++) {
      try {
        const polled = await consumer.poll({ maxWaitMs: 0 });
        for (const b of polled.batches) for (const r of b.records) seen.push(r.value!.toString());
      } catch (e: unknown) {
        error = e;
      }
    }
    expect(seen).toEqual(values.slice(0, 2));
    expect(error).toBeInstanceOf(StreamsError);
    expect(error).toMatchObject({ code: 'CORRUPT_RECORD', topic: 'c', partition: 0 });
    // It stays an error: polling again does not skip it silently.
    await expect(consumer.poll({ maxWaitMs: 0 })).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    // Default fetch sizes: never the altered value, always the error.
    const altered = values[2]!.slice(0, 12) + 'C' + values[2]!.slice(13);
    const eager = clients.consumer({ autoOffsetReset: 'earliest' });
    eager.assign([{ topic: 'c', partition: 0 }]);
    const eagerSeen: string[] = [];
    const eagerError = await (async () => {
      for (let i = 0; i < 30; i++) {
        const polled = await eager.poll({ maxWaitMs: 0 });
        for (const b of polled.batches) for (const r of b.records) eagerSeen.push(r.value!.toString());
      }
      return null;
    })().catch((e: unknown) => e);
    expect(eagerError).toMatchObject({ code: 'CORRUPT_RECORD', topic: 'c', partition: 0 });
    expect(eagerSeen).not.toContain(altered);
    expect(eagerSeen).toEqual(values.slice(0, eagerSeen.length));
    await eager.close();
    // Skipping the bad record, everything after it is intact.
    expect((await readPartition('c', 0, { from: 3 })).map((r) => r.value!.toString())).toEqual(values.slice(3));
    await consumer.close();
    // Nothing written before is lost, after a clean or an unclean restart.
    for (const clean of [true, false]) {
      await broker.close();
      if (!clean) fs.rmSync(path.join(dataDir, '.clean-shutdown'));
      broker = await openBroker();
      clients = inProcessClients(broker);
      expect(await clients.admin.listOffsets([{ topic: 'c', partition: 0, spec: 'latest' }])).toEqual([{ topic: 'c', partition: 0, offset: 20 }]);
      expect((await readPartition('c', 0, { maxPartitionFetchBytes: 1, from: 0 }).catch(() => null))).toBeNull();
      expect((await readPartition('c', 0, { from: 3 })).map((r) => r.value!.toString())).toEqual(values.slice(3));
    }
  });
});

// ------------------------------------------------------------------------------------------------ the lock

describe('the data directory lock', () => {
  it('a second Broker.open on a locked directory is a clear error and leaves the first broker working', async () => {
    const e = await expectCode(() => openBroker(), 'ILLEGAL_STATE');
    expect(e.message).toContain(dataDir);
    await clients.admin.createTopics([{ topic: 't', numPartitions: 1 }]);
    await clients.producer().send({ topic: 't', messages: [{ key: null, value: v('still fine') }] });
    expect(fs.readFileSync(path.join(dataDir, '.lock'), 'utf8')).toBe(String(process.pid));
    await broker.close();
    expect(fs.existsSync(path.join(dataDir, '.lock'))).toBe(false);
    broker = await openBroker();
    clients = inProcessClients(broker);
    expect((await readPartition('t', 0)).map((r) => r.value!.toString())).toEqual(['still fine']);
  });

  it('a lock held by another running process is refused; one left by a dead process is taken over', async () => {
    const other = path.join(root, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, '.lock'), String(process.ppid));
    const e = await expectCode(() => Broker.open({ dataDir: other, logger: silentLogger(), maintenanceIntervalMs: 0 }), 'ILLEGAL_STATE');
    expect(e.message).toContain(String(process.ppid));
    expect(fs.readdirSync(other)).toEqual(['.lock']);
    const { spawnSync } = await import('node:child_process');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    for (const stale of [dead, 'not a pid', '']) {
      fs.writeFileSync(path.join(other, '.lock'), stale);
      const b = await Broker.open({ dataDir: other, logger: silentLogger(), maintenanceIntervalMs: 0, offsetsTopicPartitions: 1 });
      expect(fs.readFileSync(path.join(other, '.lock'), 'utf8')).toBe(String(process.pid));
      await b.close();
    }
  });
});
