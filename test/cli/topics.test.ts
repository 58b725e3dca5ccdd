/**
 * `tributary topics` end to end: child processes against a `tributary broker` child (--broker), and on a broker
 * directory opened in the command's own process (--data-dir), refused while the broker runs on it.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startBroker, tempDir } from './cli-harness.js';

let broker: Awaited<ReturnType<typeof startBroker>>;
let root: string;
let cleanup: () => void;

beforeAll(async () => {
  [root, cleanup] = tempDir('cli-topics');
  broker = await startBroker(path.join(root, 'broker'));
});

afterAll(async () => {
  expect(await broker?.process.stop('SIGTERM')).toBe(0);
  cleanup();
});

describe('tributary topics', () => {
  it('creates, lists, describes and deletes topics on a broker server', async () => {
    const b = ['--broker', broker.address];
    const [created, audit] = await Promise.all([
      runCli(['topics', 'create', 'orders', '--partitions', '3', '--config', 'cleanup.policy=compact', ...b]),
      runCli(['topics', 'create', 'audit', ...b]),
    ]);
    expect(created).toMatchObject({ code: 0, stdout: 'Created topic orders.\n' });
    expect(audit).toMatchObject({ code: 0, stdout: 'Created topic audit.\n' });

    const [listed, described, again] = await Promise.all([
      runCli(['topics', 'list', ...b]),
      runCli(['topics', 'describe', 'orders', ...b]),
      runCli(['topics', 'create', 'orders', ...b]),
    ]);
    expect(listed).toMatchObject({ code: 0, stdout: 'audit\norders\n' });
    expect(described.code).toBe(0);
    const lines = described.stdout.split('\n');
    expect(lines[0]).toMatch(/^Topic: orders\tTopicId: \S*\tPartitionCount: 3\tConfigs: .*cleanup\.policy=compact/);
    expect(lines.slice(1, 4)).toEqual([0, 1, 2].map((p) => `\tTopic: orders\tPartition: ${p}\tLogStartOffset: 0\tHighWatermark: 0`));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('TOPIC_ALREADY_EXISTS: topic orders already exists');

    expect(await runCli(['topics', 'delete', 'orders', ...b])).toMatchObject({ code: 0, stdout: 'Deleted topic orders.\n' });
    const [afterDelete, missing] = await Promise.all([runCli(['topics', 'list', ...b]), runCli(['topics', 'describe', 'orders', ...b])]);
    expect(afterDelete.stdout).toBe('audit\n');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('opens a broker directory with --data-dir, and refuses one a running broker holds', async () => {
    const dir = path.join(root, 'embedded');
    const [created, locked, usage] = await Promise.all([
      runCli(['topics', 'create', 'lines', '--partitions', '2', '--data-dir', dir]),
      runCli(['topics', 'list', '--data-dir', broker.dataDir]),
      runCli(['topics', 'list']),
    ]);
    expect(created).toMatchObject({ code: 0, stdout: 'Created topic lines.\n' });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/locked by running process \d+: a broker is running on it; reach it with --broker HOST:PORT/);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('give --broker HOST:PORT (or set TRIBUTARY_BROKER) or --data-dir DIR');
    expect(await runCli(['topics', 'list', '--data-dir', dir])).toMatchObject({ code: 0, stdout: 'lines\n' });
  });
});
