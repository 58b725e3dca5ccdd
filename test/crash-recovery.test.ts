import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBatch, decodeRecords } from '../src/broker/record-batch.js';
import { Broker, inProcessClients, silentLogger, type Header } from '../src/index.js';
import { CRASH_PARTITIONS, CRASH_TOPIC, recordsChecksum } from './helpers/crash-child.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '..', '..');
const CHILD = path.join(ROOT, 'test', 'helpers', 'crash-child.ts');
const ROUNDS = 5;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** One acknowledged send: the records [baseOffset, baseOffset + count) of a partition and their digest. */
interface Ack {
  readonly partition: number;
  readonly baseOffset: number;
  readonly count: number;
  readonly checksum: string;
  readonly who: string;
}

interface ReadRecord {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestampMs: number;
  readonly headers: readonly Header[];
}

/**
 * Runs the child on `dir` and kills it with SIGKILL `killAfterMs` after it is ready; resolves with the acks it
 * printed (complete lines only: the kill may cut the last one).
 */
function runAndKill(dir: string, round: number, seed: number, killAfterMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(round), String(seed)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killTimer: NodeJS.Timeout | null = null;
    let killed = false;
    const startup = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`crash child did not get ready in time; stderr:\n${err}`));
    }, 15_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (killTimer === null && out.startsWith('ready\n')) {
        clearTimeout(startup);
        killTimer = setTimeout(() => {
          killed = child.kill('SIGKILL');
        }, killAfterMs);
      }
    });
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    // 'close' comes after the process is reaped and its pipes drained: every line it wrote is in `out`.
    child.on('close', (code, signal) => {
      clearTimeout(startup);
      if (killTimer !== null) clearTimeout(killTimer);
      if (!killed || signal !== 'SIGKILL') {
        reject(new Error(`crash child ended by itself (code ${code}, signal ${signal}); stderr:\n${err}`));
        return;
      }
      const lines = out.split('\n');
      lines.pop(); // empty, or a line the kill cut short
      const acks: Ack[] = [];
      for (const line of lines.slice(1)) {
        const [tag, partition, baseOffset, count, checksum] = line.split(' ');
        if (tag !== 'ack' || checksum === undefined) {
          reject(new Error(`unexpected child output: ${line}`));
          return;
        }
        acks.push({ partition: Number(partition), baseOffset: Number(baseOffset), count: Number(count), checksum, who: `child round ${round}` });
      }
      resolve(acks);
    });
  });
}

/** Every record of a partition, walking whole batches; each must pass its CRC and grammar check. */
function readPartition(broker: Broker, partition: number): { records: ReadRecord[]; bytes: number } {
  const log = broker.partitionLog(CRASH_TOPIC, partition);
  const records: ReadRecord[] = [];
  let bytes = 0;
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = log.read(offset, 1 << 20);
    if (r.bytes.length === 0) break;
    for (let p = 0; p < r.bytes.length; ) {
      const check = checkBatch(r.bytes, p, r.bytes.length);
      if (check.kind !== 'ok') throw new Error(`partition ${partition}: unreadable batch at offset ${offset}: ${JSON.stringify(check)}`);
      for (const rec of decodeRecords(r.bytes, p, check.header)) records.push(rec);
      p += check.size;
    }
    bytes += r.bytes.length;
    offset = r.nextOffset;
  }
  return { records, bytes };
}

describe('crash recovery: SIGKILL while appending', () => {
  it(`keeps every acknowledged record exactly once over ${ROUNDS} kills, with dense offsets and no partial batch`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-crash-'));
    dirs.push(dir);
    const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000);
    const acks: Ack[] = [];
    let rolled = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const killAfterMs = 50 + ((seed * 7919 + round * 104_729) % 351);
      const context = `seed ${seed}, round ${round}, killed after ${killAfterMs} ms`;
      const childAcks = await runAndKill(dir, round, seed + round, killAfterMs);
      expect(childAcks.length, context).toBeGreaterThan(0);
      acks.push(...childAcks);

      const broker = await Broker.open({ dataDir: dir, logger: silentLogger(), maintenanceIntervalMs: 0, offsetsTopicPartitions: 1 });
      try {
        const ends: number[] = [];
        const seen = new Set<string>();
        for (let p = 0; p < CRASH_PARTITIONS; p++) {
          const log = broker.partitionLog(CRASH_TOPIC, p);
          const { records, bytes } = readPartition(broker, p);
          // Dense from 0, visible up to the end, and not one byte of anything else in the segment files.
          expect(records.map((r) => r.offset), context).toEqual(records.map((_, i) => i));
          expect([log.logStartOffset, log.highWatermark], context).toEqual([0, log.logEndOffset]);
          expect(records.length, context).toBe(log.logEndOffset);
          expect(log.sizeBytes, context).toBe(bytes);
          rolled = Math.max(rolled, log.segments.length);
          // Each record once: the child never retries, so a repeated value would be a duplicate append.
          for (const r of records) {
            const id = `${p}/${r.value!.toString('utf8').split(':').slice(0, 2).join(':')}`;
            expect(seen.has(id), `${context}: ${id} twice`).toBe(false);
            seen.add(id);
          }
          for (const a of acks.filter((x) => x.partition === p)) {
            const got = records.slice(a.baseOffset, a.baseOffset + a.count);
            expect(got.length, `${context}: ${a.who} acked ${p}@${a.baseOffset}+${a.count}`).toBe(a.count);
            expect(recordsChecksum(got), `${context}: ${a.who} acked ${p}@${a.baseOffset}+${a.count}`).toBe(a.checksum);
          }
          ends.push(log.logEndOffset);
        }
        // Appending goes on at the log end, and what the parent appends must survive the next rounds too.
        const producer = inProcessClients(broker).producer();
        for (let p = 0; p < CRASH_PARTITIONS; p++) {
          const message = { key: null, value: Buffer.from(`parent:${round}:${p}`), timestampMs: 1_600_000_000_000 + round, partition: p };
          const [meta] = await producer.send({ topic: CRASH_TOPIC, messages: [message] });
          expect(meta!.baseOffset, context).toBe(ends[p]);
          acks.push({ partition: p, baseOffset: meta!.baseOffset, count: 1, checksum: recordsChecksum([{ ...message, headers: [] }]), who: `parent round ${round}` });
        }
        await producer.close();
      } finally {
        await broker.close();
      }
      // Every other round the child recovers from an unclean state itself, too.
      if (round % 2 === 1) fs.rmSync(path.join(dir, '.clean-shutdown'), { force: true });
    }
    // The runs crossed segment rolls (and the background fsync and metadata writes that follow them).
    expect(rolled).toBeGreaterThan(1);
  });
});
