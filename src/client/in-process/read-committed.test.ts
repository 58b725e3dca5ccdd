import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../broker/broker.js';
import { MemoryStorage } from '../../broker/storage.js';
import type { TopicPartition } from '../../record.js';
import { ManualClock } from '../../util/clock.js';
import { silentLogger } from '../../util/logger.js';
import type { IsolationLevel } from '../consumer.js';
import type { Producer } from '../producer.js';
import { inProcessClients } from './in-process-clients.js';

const PARTITIONS = 3;
const TX_PRODUCERS = 3;
const PLAIN = TX_PRODUCERS;
const TIMEOUT_MS = 10_000;

type Op = { readonly kind: 'send'; readonly who: number; readonly partition: number; readonly count: number } | { readonly kind: 'commit' | 'abort'; readonly who: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('send' as const), who: fc.integer({ min: 0, max: PLAIN }), partition: fc.integer({ min: 0, max: PARTITIONS - 1 }), count: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('commit' as const, 'abort' as const), who: fc.integer({ min: 0, max: TX_PRODUCERS - 1 }) }) },
);

type TxnStatus = 'open' | 'committed' | 'aborted';

/** The model: per partition, the values in log order with the transaction (or null) that wrote each. */
class Model {
  readonly partitions: { value: string; txn: number | null }[][] = Array.from({ length: PARTITIONS }, () => []);
  readonly status: TxnStatus[] = [];

  uncommitted(): string[][] {
    return this.partitions.map((p) => p.map((e) => e.value));
  }

  /** Up to the first record of a still-open transaction (the LSO), records of plain producers and committed transactions. */
  committed(): string[][] {
    return this.partitions.map((p) => {
      const out: string[] = [];
      for (const e of p) {
        const s = e.txn === null ? 'committed' : this.status[e.txn];
        if (s === 'open') break;
        if (s === 'committed') out.push(e.value);
      }
      return out;
    });
  }

  abortOpen(): void {
    for (let i = 0; i < this.status.length; i++) if (this.status[i] === 'open') this.status[i] = 'aborted';
  }
}

async function readAll(broker: Broker, isolationLevel: IsolationLevel): Promise<string[][]> {
  const tps: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'out', partition }));
  const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest', isolationLevel });
  consumer.assign(tps);
  const ends = await consumer.endOffsets(tps);
  const out: string[][] = tps.map(() => []);
  for (let polls = 0; polls < 1_000; polls++) {
    const r = await consumer.poll({ maxWaitMs: 0, maxRecords: 5 });
    for (const b of r.batches) for (const rec of b.records) out[b.partition]!.push(rec.value!.toString());
    let isDone = r.count === 0;
    for (const e of ends) if ((await consumer.position(e)) < e.offset) isDone = false;
    if (isDone) break;
  }
  await consumer.close();
  return out;
}

describe('read_committed against a model', () => {
  it('over random interleavings of transactional (commit/abort) and plain producers, also after a crash and the timeout', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
        const clock = new ManualClock(1_000_000);
        const storage = new MemoryStorage();
        const options = { storage, clock, logger: silentLogger(), maintenanceIntervalMs: 0, transactionAbortTimedOutIntervalMs: 0 };
        const broker = await Broker.open(options);
        let reopened: Broker | null = null;
        try {
          broker.createTopic('out', PARTITIONS);
          const clients = inProcessClients(broker);
          const producers: Producer[] = [];
          for (let i = 0; i < TX_PRODUCERS; i++) {
            const p = clients.producer({ transactionalId: `tx-${i}`, transactionTimeoutMs: TIMEOUT_MS });
            await p.initTransactions();
            producers.push(p);
          }
          const plain = clients.producer();
          const model = new Model();
          const current: (number | null)[] = Array.from({ length: TX_PRODUCERS }, () => null);
          let seq = 0;
          for (const op of ops) {
            if (op.kind === 'send') {
              const values = Array.from({ length: op.count }, () => `${op.who}.${seq++}`);
              const messages = values.map((v) => ({ key: null, value: Buffer.from(v), partition: op.partition }));
              let txn: number | null = null;
              if (op.who === PLAIN) await plain.send({ topic: 'out', messages });
              else {
                if (current[op.who] === null) {
                  producers[op.who]!.beginTransaction();
                  current[op.who] = model.status.push('open') - 1;
                }
                txn = current[op.who]!;
                await producers[op.who]!.send({ topic: 'out', messages });
              }
              for (const value of values) model.partitions[op.partition]!.push({ value, txn });
            } else {
              const txn = current[op.who];
              if (txn === null || txn === undefined) continue;
              if (op.kind === 'commit') await producers[op.who]!.commitTransaction();
              else await producers[op.who]!.abortTransaction();
              model.status[txn] = op.kind === 'commit' ? 'committed' : 'aborted';
              current[op.who] = null;
            }
          }
          expect(await readAll(broker, 'read_uncommitted')).toEqual(model.uncommitted());
          expect(await readAll(broker, 'read_committed')).toEqual(model.committed());
          for (let p = 0; p < PARTITIONS; p++) {
            const log = broker.partitionLog('out', p);
            expect(log.lastStableOffset).toBeLessThanOrEqual(log.highWatermark);
          }

          // A crash (the first broker is never closed): open transactions stay open, the rest reads the same.
          reopened = await Broker.open(options);
          expect(await readAll(reopened, 'read_committed')).toEqual(model.committed());
          // Then the open ones time out.
          clock.advance(TIMEOUT_MS + 1);
          await reopened.runMaintenance();
          model.abortOpen();
          expect(await readAll(reopened, 'read_committed')).toEqual(model.committed());
          expect(await readAll(reopened, 'read_uncommitted')).toEqual(model.uncommitted());
        } finally {
          await reopened?.close();
          await broker.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
