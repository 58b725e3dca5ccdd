import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../broker/broker.js';
import { silentLogger } from '../util/logger.js';
import { describeText, parseConfigs, runTopicsCommand } from './topics-command.js';
import { UsageError } from './usage-error.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-topics-'));
  dirs.push(d);
  return d;
}

async function topics(dataDir: string, ...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runTopicsCommand([...args, '--data-dir', dataDir], { write: (t: string) => (out += t) });
  return { code, out };
}

describe('tributary topics (embedded, --data-dir)', () => {
  it('creates, lists, describes and deletes topics in the broker directory', async () => {
    const dir = tempDir();
    expect(await topics(dir, 'create', 'lines', '--partitions', '3', '--config', 'cleanup.policy=compact', '--config', 'retention.ms=60000')).toEqual({ code: 0, out: 'Created topic lines.\n' });
    expect(await topics(dir, 'create', 'other')).toEqual({ code: 0, out: 'Created topic other.\n' });
    await expect(topics(dir, 'create', 'lines')).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
    expect(await topics(dir, 'create', 'lines', '--if-not-exists')).toEqual({ code: 0, out: '' });
    expect(await topics(dir, 'list')).toEqual({ code: 0, out: 'lines\nother\n' });
    expect((await topics(dir, 'list', '--include-internal')).out).toContain('__consumer_offsets\n');

    const { out } = await topics(dir, 'describe', 'lines');
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^Topic: lines\tTopicId: \S+\tPartitionCount: 3\tConfigs: .*cleanup\.policy=compact.*retention\.ms=60000/);
    expect(lines.slice(1, 4)).toEqual([0, 1, 2].map((p) => `\tTopic: lines\tPartition: ${p}\tLogStartOffset: 0\tHighWatermark: 0`));

    // The directory is really the broker's: a broker opened on it sees the same topics.
    const broker = await Broker.open({ dataDir: dir, logger: silentLogger(), maintenanceIntervalMs: 0 });
    expect(broker.describeTopic('lines').numPartitions).toBe(3);
    await broker.close();

    expect(await topics(dir, 'delete', 'lines')).toEqual({ code: 0, out: 'Deleted topic lines.\n' });
    await expect(topics(dir, 'delete', 'lines', 'other')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'no such topic: lines' });
    expect(await topics(dir, 'list')).toEqual({ code: 0, out: 'other\n' });
  });

  it('refuses a directory a running broker holds, pointing at --broker', async () => {
    const dir = tempDir();
    const broker = await Broker.open({ dataDir: dir, logger: silentLogger(), maintenanceIntervalMs: 0 });
    try {
      // The same process holds it here; another process holding it is refused the same way (see test/cli).
      await expect(topics(dir, 'list')).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    } finally {
      await broker.close();
    }
  });

  it('checks its arguments before touching the log', async () => {
    const dir = path.join(tempDir(), 'never-created');
    for (const args of [[], ['frobnicate'], ['list', 'x'], ['create'], ['delete'], ['describe', 'x', '--partitions', '2'], ['create', 'x', '--partitions', '0'], ['create', 'x', '--config', 'novalue']]) {
      await expect(topics(dir, ...args)).rejects.toBeInstanceOf(UsageError);
    }
    await expect(runTopicsCommand(['list'])).rejects.toBeInstanceOf(UsageError);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('parses --config entries and prints a description as kafka-topics does', () => {
    expect(parseConfigs(['a=1', 'b = x=y '])).toEqual({ a: '1', b: 'x=y' });
    expect(describeText({ name: 't', topicId: 'id', isInternal: false, partitions: [{ partition: 0, logStartOffset: 2, highWatermark: 5 }], configs: { b: 2, a: 'x' } })).toBe(
      'Topic: t\tTopicId: id\tPartitionCount: 1\tConfigs: a=x,b=2\n\tTopic: t\tPartition: 0\tLogStartOffset: 2\tHighWatermark: 5\n',
    );
  });
});
