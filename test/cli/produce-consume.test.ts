/**
 * `tributary produce` and `tributary consume` end to end against a `tributary broker` child: lines piped into produce
 * come back from consume --from-beginning (keys too), and consume --group commits what it printed.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClients } from '../../src/client/kafka/kafka-clients.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli, startBroker, tempDir } from './cli-harness.js';

let broker: Awaited<ReturnType<typeof startBroker>>;
let cleanup: () => void;

beforeAll(async () => {
  let root: string;
  [root, cleanup] = tempDir('cli-produce');
  broker = await startBroker(path.join(root, 'broker'));
});

afterAll(async () => {
  expect(await broker?.process.stop('SIGTERM')).toBe(0);
  cleanup();
});

/** `n` lines `k<i % 7><TAB>value <i> ...`, with some non-ASCII text and an empty value. */
function keyedLines(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `k${i % 7}\t${i === 3 ? '' : `value ${i} – ünïcödé ${'x'.repeat(i % 50)}`}`);
}

describe('tributary produce | consume', () => {
  it('gives back the lines produced from stdin, keys included and in order per key', async () => {
    const b = ['--broker', broker.address];
    expect(await runCli(['topics', 'create', 'keyed', '--partitions', '3', ...b])).toMatchObject({ code: 0 });
    const lines = keyedLines(3000);
    const produced = await runCli(['produce', 'keyed', '--key-separator', '\\t', '--batch-size', '700', ...b], { input: lines.join('\n') + '\n' });
    expect(produced.code).toBe(0);
    expect(produced.stdout).toMatch(/^produced 3,000 records to keyed in \d+\.\d s \([\d,]+ records\/s\)\n$/);
    // Off a terminal, progress is log lines (none needed for a run this short, but never a bar).
    expect(produced.stderr).not.toContain('\r');

    const consumed = await runCli(['consume', 'keyed', '--from-beginning', '--print-key', '--max-messages', String(lines.length), ...b]);
    expect(consumed.code).toBe(0);
    const got = consumed.stdout.split('\n').slice(0, -1);
    expect([...got].sort()).toEqual([...lines].sort());
    // Each key's lines keep the order they were produced in (one key, one partition).
    for (let k = 0; k < 7; k++) expect(got.filter((l) => l.startsWith(`k${k}\t`))).toEqual(lines.filter((l) => l.startsWith(`k${k}\t`)));
  });

  it('sends plain lines as values; a group commits what it printed and resumes after it', async () => {
    const b = ['--broker', broker.address];
    expect(await runCli(['topics', 'create', 'plain', ...b])).toMatchObject({ code: 0 });
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    expect(await runCli(['produce', 'plain', ...b], { input: lines.join('\n') })).toMatchObject({ code: 0 });

    const first = await runCli(['consume', 'plain', '--group', 'readers', '--from-beginning', '--max-messages', '4', ...b]);
    expect(first).toMatchObject({ code: 0, stdout: lines.slice(0, 4).join('\n') + '\n' });
    const clients = kafkaClients({ bootstrapServers: [broker.address], logger: silentLogger() });
    try {
      expect(await clients.admin.listConsumerGroupOffsets('readers')).toEqual([{ topic: 'plain', partition: 0, offset: 4, metadata: '' }]);
    } finally {
      await clients.close();
    }
    const rest = await runCli(['consume', 'plain', '--group', 'readers', '--timeout-ms', '500', ...b]);
    expect(rest).toMatchObject({ code: 0, stdout: lines.slice(4).join('\n') + '\n' });
  });
});
