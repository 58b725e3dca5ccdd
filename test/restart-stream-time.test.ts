import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import { Serdes } from '../src/serdes/serdes.js';
import { silentLogger } from '../src/util/logger.js';
import { KafkaStreams } from '../runtime/kafka-streams.js';
import { decodePartitionTime, encodePartitionTime } from '../runtime/stream-task.js';
import { longSerde } from '../dsl/long-serde.js';
import { BROKER_OPTIONS, WINDOWED_SERDE, suppressCrashTopology } from './helpers/suppress-crash-child.js';

const S = Serdes.String();
const N = Serdes.Number();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-restart-time-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('stream time across a restart', () => {
  it('partition time round-trips through committed-offset metadata (Kafka Streams format: version byte + int64)', () => {
    expect(decodePartitionTime(encodePartitionTime(1_700_000_000_123))).toBe(1_700_000_000_123);
    expect(Buffer.from(encodePartitionTime(40), 'base64')).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 40]));
    expect(encodePartitionTime(-1)).toBe('');
    expect(decodePartitionTime('')).toBeNull();
    expect(decodePartitionTime('garbage')).toBeNull();
  });

  // Regression: the windowed aggregation and suppress restarted their stream time at -1, so a record late for a
  // window closed before the restart was counted and produced a second, wrong "final" result (a@0=1).
  it('a record late for a window closed before the restart stays late: one final result per window', async () => {
    const broker = await Broker.open({ dataDir: path.join(root, 'log'), logger: silentLogger(), ...BROKER_OPTIONS });
    broker.createTopic('clicks', 1);
    broker.createTopic('final', 1);
    const clients = inProcessClients(broker);
    const produce = async (records: [string, number][]): Promise<void> => {
      const p = clients.producer();
      await p.send({ topic: 'clicks', messages: records.map(([k, t]) => ({ key: S.serialize('clicks', k), value: N.serialize('clicks', 1), timestampMs: t })) });
      await p.close();
    };
    const generation = async (): Promise<void> => {
      const streams = new KafkaStreams(suppressCrashTopology(), {
        applicationId: 'suppress-crash',
        broker,
        stateDir: path.join(root, 'state'),
        commitIntervalMs: 50,
        pollMs: 10,
        sessionTimeoutMs: 1_000,
        heartbeatIntervalMs: 100,
        logger: silentLogger(),
      });
      await streams.start();
      const end = broker.listOffset('clicks', 0, 'latest');
      while ((broker.groups.fetchOffsets('suppress-crash').get('clicks-0')?.offset ?? 0) < end) await new Promise((r) => setTimeout(r, 10));
      await streams.close();
    };
    try {
      await produce([['a', 0], ['a', 1], ['a', 12], ['a', 40]]);
      await generation();
      await produce([['a', 5], ['a', 100]]); // 5 is late: stream time 40 closed [0, 10) at 15
      await generation();
      const c = clients.consumer({ autoOffsetReset: 'earliest' });
      c.assign([{ topic: 'final', partition: 0 }]);
      const out: string[] = [];
      const end = broker.listOffset('final', 0, 'latest');
      while ((await c.position({ topic: 'final', partition: 0 })) < end) {
        for (const b of (await c.poll({ maxWaitMs: 50 })).batches) {
          for (const r of b.records) out.push(`${WINDOWED_SERDE.deserialize('final', r.key)!.key}@${WINDOWED_SERDE.deserialize('final', r.key)!.window.startMs}=${longSerde().deserialize('final', r.value)}`);
        }
      }
      await c.close();
      expect(out).toEqual(['a@0=2', 'a@10=1', 'a@40=1']);
    } finally {
      await broker.close();
    }
  });
});
