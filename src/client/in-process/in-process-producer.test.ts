import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../../broker/broker.js';
import { compressionOf, readBatchHeader } from '../../broker/record-batch.js';
import { isStreamsError } from '../../errors.js';
import { silentLogger } from '../../util/logger.js';
import type { ProducerConfig } from '../producer.js';
import { inProcessClients } from './in-process-clients.js';

let broker: Broker;
beforeEach(async () => {
  broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0 });
});
afterEach(async () => {
  await broker.close();
});

/** The codec of every batch of partition 0 of `topic`, in log order. */
function storedCodecs(topic: string): string[] {
  const log = broker.partitionLog(topic, 0);
  const out: string[] = [];
  for (let o = log.logStartOffset; o < log.logEndOffset; ) {
    const r = log.read(o, 1);
    out.push(compressionOf(readBatchHeader(r.bytes, 0).attributes));
    o = r.nextOffset;
  }
  return out;
}

/** Every value of partition 0 of `topic`, read with the in-process consumer. */
async function values(topic: string): Promise<string[]> {
  const consumer = inProcessClients(broker).consumer({ autoOffsetReset: 'earliest' });
  consumer.assign([{ topic, partition: 0 }]);
  const out: string[] = [];
  for (let r = await consumer.poll({ maxWaitMs: 0 }); r.count > 0; r = await consumer.poll({ maxWaitMs: 0 })) {
    for (const b of r.batches) for (const rec of b.records) out.push(rec.value!.toString());
  }
  await consumer.close();
  return out;
}

describe('InProcessProducer compressionType', () => {
  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('%s: writes every batch (split ones too) with the codec; consumers read the records', async (codec) => {
    broker.createTopic('t', 1);
    const producer = inProcessClients(broker).producer({ compressionType: codec, maxBatchBytes: 4000 });
    const sent = Array.from({ length: 120 }, (_, i) => `record ${i} ${'payload '.repeat(5)}`);
    await producer.send({ topic: 't', messages: sent.slice(0, 100).map((v) => ({ key: null, value: Buffer.from(v), partition: 0 })) });
    await producer.send({ topic: 't', messages: sent.slice(100).map((v) => ({ key: null, value: Buffer.from(v), partition: 0 })) });
    await producer.close();
    const codecs = storedCodecs('t');
    expect(codecs.length).toBeGreaterThan(2);
    expect(new Set(codecs)).toEqual(new Set([codec]));
    expect(await values('t')).toEqual(sent);
  });

  it('transactional sends are compressed too', async () => {
    broker.createTopic('t', 1);
    const producer = inProcessClients(broker).producer({ compressionType: 'lz4', transactionalId: 'tx' });
    await producer.initTransactions();
    producer.beginTransaction();
    await producer.send({ topic: 't', messages: [{ key: null, value: Buffer.from('in a transaction'), partition: 0 }] });
    await producer.commitTransaction();
    await producer.close();
    expect(storedCodecs('t')).toEqual(['lz4', 'none']); // the data batch, then the COMMIT marker (never compressed)
    expect(await values('t')).toEqual(['in a transaction']);
  });

  it('refuses an unknown codec with INVALID_CONFIG', () => {
    let error: unknown;
    try {
      inProcessClients(broker).producer({ compressionType: 'brotli' } as unknown as ProducerConfig);
    } catch (e: unknown) {
      error = e;
    }
    expect(isStreamsError(error, 'INVALID_CONFIG')).toBe(true);
  });
});
