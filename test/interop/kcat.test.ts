import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isControlBatch, isTransactionalBatch } from '../../src/broker/record-batch.js';
import { inProcessClients } from '../../src/client/in-process/in-process-clients.js';
import { partitionForKey } from '../../src/client/murmur2.js';
import type { ProducerRecord } from '../../src/record.js';
import { batchHeaders, readTopic, waitUntil } from './interop-broker.js';
import { KcatProcess, runKcatOk } from './kcat.js';
import { useKcatTestBroker } from './kcat-test-broker.js';

// Interop with Debian's kcat 1.7.1 (librdkafka 2.0.2) over TCP: what kcat produces, tributary's consumer reads
// exactly; what tributary produces, kcat consumes exactly; two kcat group members share a topic's partitions.

/** Every kcat test fails when kcat is missing (CI installs kcat: a missing one is an error, not a skip). */
const ib = useKcatTestBroker();
const kcat = ib.kcat;

/** `k0:v0\nk1:v1...` for kcat `-K:`, and the pairs it stands for. */
function keyedLines(prefix: string, count: number): { stdin: string; pairs: [string, string][] } {
  const pairs: [string, string][] = Array.from({ length: count }, (_, i) => [`${prefix}-k${i}`, `${prefix}-v${i}`]);
  return { stdin: pairs.map(([k, v]) => `${k}:${v}\n`).join(''), pairs };
}

/** Checks that `records` are exactly `pairs`, each in murmur2's partition, in input order within a partition, at dense offsets from 0. */
function expectExactlyProduced(records: Awaited<ReturnType<typeof readTopic>>, pairs: readonly [string, string][], partitions: number): void {
  expect(records.length).toBe(pairs.length);
  for (let p = 0; p < partitions; p++) {
    const expected = pairs.filter(([k]) => partitionForKey(Buffer.from(k), partitions) === p);
    const got = records.filter((r) => r.partition === p);
    expect(got.map((r) => [r.key, r.value])).toEqual(expected);
    expect(got.map((r) => r.offset)).toEqual(expected.map((_, i) => i));
  }
}

describe('kcat -L', () => {
  it('lists our topics, their partitions and node 0 as the only broker, leader and controller', async () => {
    ib.broker.createTopic('kcat-list-a', 3);
    ib.broker.createTopic('kcat-list-b', 1);
    const md = JSON.parse(await runKcatOk(kcat('-L', '-J'))) as {
      controllerid?: number;
      brokers: { id: number; name: string }[];
      topics: { topic: string; err?: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
    };
    expect(md.brokers).toEqual([{ id: 0, name: ib.bootstrap }]);
    expect(md.controllerid).toBe(0);
    const byName = new Map(md.topics.map((t) => [t.topic, t]));
    for (const [name, n] of [['kcat-list-a', 3], ['kcat-list-b', 1]] as const) {
      const t = byName.get(name);
      expect(t, `topic ${name} in ${JSON.stringify(md.topics.map((x) => x.topic))}`).toBeDefined();
      expect(t!.err).toBeUndefined();
      const parts = [...t!.partitions].sort((a, b) => a.partition - b.partition);
      expect(parts.map((p) => [p.partition, p.leader, p.replicas.map((r) => r.id), p.isrs.map((r) => r.id)])).toEqual(
        Array.from({ length: n }, (_, i) => [i, 0, [0], [0]]),
      );
    }
  });

  it('lists one topic when asked with -t', async () => {
    ib.broker.createTopic('kcat-list-one', 2);
    const out = await runKcatOk(kcat('-L', '-t', 'kcat-list-one'));
    expect(out).toMatch(/topic "kcat-list-one" with 2 partitions/);
    expect(out).not.toMatch(/kcat-list-a/);
  });
});

describe('kcat -P, read by tributary', () => {
  it('plain: exactly the records sent, with headers, in murmur2 partitions (partitioner=murmur2_random)', async () => {
    ib.broker.createTopic('kcat-plain', 3);
    const { stdin, pairs } = keyedLines('plain', 40);
    await runKcatOk(kcat('-P', '-t', 'kcat-plain', '-K:', '-H', 'source=kcat', '-H', 'run=1', '-X', 'topic.partitioner=murmur2_random'), { stdin });
    const records = await readTopic(ib.broker, 'kcat-plain');
    expectExactlyProduced(records, pairs, 3);
    for (const r of records) expect(r.headers).toEqual([['source', 'kcat'], ['run', '1']]);
    for (let p = 0; p < 3; p++) for (const h of await batchHeaders(ib.broker, 'kcat-plain', p)) expect(h.producerId).toBe(-1);
  });

  it('idempotent: one producer id, epoch 0 and gap-free sequences per partition', async () => {
    ib.broker.createTopic('kcat-idem', 3);
    const { stdin, pairs } = keyedLines('idem', 60);
    await runKcatOk(kcat('-P', '-t', 'kcat-idem', '-K:', '-X', 'enable.idempotence=true', '-X', 'topic.partitioner=murmur2_random'), { stdin });
    expectExactlyProduced(await readTopic(ib.broker, 'kcat-idem'), pairs, 3);
    const producerIds = new Set<number>();
    for (let p = 0; p < 3; p++) {
      let nextSequence = 0;
      for (const h of await batchHeaders(ib.broker, 'kcat-idem', p)) {
        producerIds.add(h.producerId);
        expect(h.producerEpoch).toBe(0);
        expect(h.baseSequence).toBe(nextSequence);
        nextSequence += h.recordCount;
      }
    }
    expect([...producerIds].length).toBe(1);
    expect([...producerIds][0]).toBeGreaterThanOrEqual(0);
  });

  it('transactional: committed on exit, visible to read_committed; a second run bumps the epoch of the same producer id', async () => {
    ib.broker.createTopic('kcat-tx', 2);
    const first = keyedLines('tx1', 20);
    const second = keyedLines('tx2', 10);
    const args = kcat('-P', '-t', 'kcat-tx', '-K:', '-X', 'transactional.id=kcat-t1', '-X', 'topic.partitioner=murmur2_random');
    await runKcatOk(args, { stdin: first.stdin });
    await runKcatOk(args, { stdin: second.stdin });

    const committed = await readTopic(ib.broker, 'kcat-tx', 'read_committed');
    const all = [...first.pairs, ...second.pairs];
    expect(committed.map((r) => [r.key, r.value]).sort()).toEqual([...all].sort());
    for (let p = 0; p < 2; p++) {
      // Within a partition: the first run's records, then the second's (markers take offsets in between).
      const expected = all.filter(([k]) => partitionForKey(Buffer.from(k), 2) === p);
      expect(committed.filter((r) => r.partition === p).map((r) => [r.key, r.value])).toEqual(expected);
    }
    expect((await readTopic(ib.broker, 'kcat-tx', 'read_uncommitted')).map((r) => r.value)).toEqual(committed.map((r) => r.value));

    const epochs: [number, number][] = [];
    for (let p = 0; p < 2; p++) {
      const headers = await batchHeaders(ib.broker, 'kcat-tx', p);
      for (const h of headers) {
        expect(isTransactionalBatch(h.attributes)).toBe(true);
        epochs.push([h.producerId, h.producerEpoch]);
      }
      // Each run ended with a control batch (its COMMIT marker: read_committed returned the records).
      expect(isControlBatch(headers.at(-1)!.attributes)).toBe(true);
      expect(headers.filter((h) => isControlBatch(h.attributes)).length).toBe(2);
    }
    const producerIds = new Set(epochs.map(([id]) => id));
    expect(producerIds.size).toBe(1);
    expect(new Set(epochs.map(([, e]) => e)).size).toBe(2);
  });
});

describe('kcat -C, reading what tributary produced', () => {
  it('prints exact partitions, offsets, timestamps, keys (NULL too), values and headers', async () => {
    ib.broker.createTopic('kcat-consume', 3);
    const producer = inProcessClients(ib.broker).producer();
    const messages: ProducerRecord[] = [];
    for (let i = 0; i < 30; i++) {
      messages.push({
        key: i % 10 === 9 ? null : Buffer.from(`key-${i}`),
        value: Buffer.from(`value ${i}`),
        partition: i % 3,
        timestampMs: 1_700_000_000_000 + i,
        headers: i % 2 === 0 ? [{ key: 'h1', value: Buffer.from(`x${i}`) }, { key: 'h2', value: Buffer.from('y') }] : [],
      });
    }
    await producer.send({ topic: 'kcat-consume', messages });
    await producer.close();

    const out = await runKcatOk(kcat('-C', '-t', 'kcat-consume', '-e', '-o', 'beginning', '-Z', '-f', '%p\\t%o\\t%T\\t%k\\t%s\\t%h\\n'));
    const lines = out.split('\n').filter((l) => l !== '');
    const got = lines.map((l) => l.split('\t')).sort((a, b) => Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1]));
    const expected: string[][] = [];
    for (let p = 0; p < 3; p++) {
      messages
        .filter((m) => m.partition === p)
        .forEach((m, offset) => {
          const headers = (m.headers ?? []).map((h) => `${h.key}=${Buffer.from(h.value!).toString()}`).join(',');
          expected.push([String(p), String(offset), String(m.timestampMs), m.key === null ? 'NULL' : Buffer.from(m.key).toString(), Buffer.from(m.value!).toString(), headers]);
        });
    }
    expect(got).toEqual(expected);
  });

  it('skips aborted transactions (read_committed, librdkafka default) and shows them under read_uncommitted', async () => {
    ib.broker.createTopic('kcat-rc', 1);
    const clients = inProcessClients(ib.broker);
    const plain = clients.producer();
    const tx = clients.producer({ transactionalId: 'kcat-rc-tx' });
    await tx.initTransactions();
    const send = (p: typeof plain, values: string[]) => p.send({ topic: 'kcat-rc', messages: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
    await send(plain, ['p1']);
    tx.beginTransaction();
    await send(tx, ['c1', 'c2']);
    await tx.commitTransaction();
    tx.beginTransaction();
    await send(tx, ['a1', 'a2']);
    await send(plain, ['p2']);
    await tx.abortTransaction();
    tx.beginTransaction();
    await send(tx, ['c3']);
    await tx.commitTransaction();
    await Promise.all([tx.close(), plain.close()]);

    const read = async (level: string) =>
      (await runKcatOk(kcat('-C', '-t', 'kcat-rc', '-e', '-o', 'beginning', '-X', `isolation.level=${level}`, '-f', '%s\\n'))).split('\n').filter((l) => l !== '');
    expect(await read('read_committed')).toEqual(['p1', 'c1', 'c2', 'p2', 'c3']);
    expect(await read('read_uncommitted')).toEqual(['p1', 'c1', 'c2', 'a1', 'a2', 'p2', 'c3']);
  });
});

describe('kcat -C, long poll', () => {
  it('a fetch parked for fetch.wait.max.ms=10000 is answered as soon as a record is appended', async () => {
    ib.broker.createTopic('kcat-long-poll', 1);
    const producer = inProcessClients(ib.broker).producer();
    const send = (value: string) => producer.send({ topic: 'kcat-long-poll', messages: [{ key: null, value: Buffer.from(value) }] });
    await send('warm-up');
    const consumer = KcatProcess.start(kcat('-C', '-t', 'kcat-long-poll', '-o', 'beginning', '-u', '-X', 'fetch.wait.max.ms=10000'));
    try {
      await waitUntil('kcat to print the first record', () => consumer.stdoutLines.length >= 1, 10_000, () => consumer.describe());
      await sleep(500); // its next Fetch is now parked on the broker
      const sentAt = Date.now();
      await send('wake-up');
      await waitUntil('kcat to print the appended record', () => consumer.stdoutLines.length >= 2, 10_000, () => consumer.describe());
      expect(Date.now() - sentAt).toBeLessThan(3_000); // far below the 10 s the Fetch could wait
      expect(consumer.stdoutLines).toEqual(['warm-up', 'wake-up']);
    } finally {
      await consumer.stop();
      await producer.close();
    }
  });
});

describe('kcat -G', () => {
  it('two members share the partitions and together consume every record once', async () => {
    const topic = 'kcat-group';
    const partitions = 4;
    ib.broker.createTopic(topic, partitions);
    const memberArgs = kcat(
      '-G', 'kcat-g', '-u', '-f', '%p\\t%s\\n',
      '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=100',
      topic,
    );
    const members = [KcatProcess.start(memberArgs), KcatProcess.start(memberArgs)];
    const explain = (): string => members.map((m) => m.describe()).join('\n----\n');
    try {
      // kcat prints "% Group g rebalanced (memberid m): assigned: t [0], t [1]" (and "revoked: ...") on stderr.
      const latestAssignment = (m: KcatProcess): number[] | null => {
        const line = m.stderrLines.filter((l) => /rebalanced .*: (assigned|revoked):/.test(l)).at(-1);
        if (line === undefined || !/assigned:/.test(line)) return null;
        return [...line.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
      };
      await waitUntil(
        'both kcat members to hold disjoint, non-empty assignments covering every partition',
        () => {
          if (members.some((m) => m.hasExited)) throw new Error(`a kcat member exited early\n${explain()}`);
          const a = latestAssignment(members[0]!);
          const b = latestAssignment(members[1]!);
          if (a === null || b === null || a.length === 0 || b.length === 0) return false;
          return [...a, ...b].sort().join() === Array.from({ length: partitions }, (_, i) => i).join();
        },
        20_000,
        explain,
      );

      const producer = inProcessClients(ib.broker).producer();
      const values = Array.from({ length: 80 }, (_, i) => `g${i}`);
      await producer.send({ topic, messages: values.map((v, i) => ({ key: null, value: Buffer.from(v), partition: i % partitions })) });
      await producer.close();

      const consumed = (): string[] => members.flatMap((m) => m.stdoutLines);
      await waitUntil(`all ${values.length} records consumed`, () => consumed().length >= values.length, 15_000, explain);
      expect(consumed().map((l) => l.split('\t')[1]).sort()).toEqual([...values].sort());
      for (const m of members) {
        const assigned = latestAssignment(m)!;
        const seen = new Set(m.stdoutLines.map((l) => Number(l.split('\t')[0])));
        expect(seen.size, explain()).toBeGreaterThan(0);
        // A member printed only records of partitions it was assigned.
        for (const p of seen) expect(assigned).toContain(p);
      }
    } finally {
      await Promise.all(members.map((m) => m.stop()));
    }
  });
});
