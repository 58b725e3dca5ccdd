import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runConsumeCommand } from './consume-command.js';
import { describeGroupText, runGroupsCommand } from './groups-command.js';
import { runProduceCommand } from './produce-command.js';
import { runTopicsCommand } from './topics-command.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

class Output extends EventEmitter {
  text = '';
  write(t: string): boolean {
    this.text += t;
    return true;
  }
}

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

async function produce(dir: string, input: string[], ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runProduceCommand([...args, '--data-dir', dir], { stdin: chunks(...input), stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t), isTTY: false } });
  return { code, out, err };
}

async function consume(dir: string, ...args: string[]): Promise<string> {
  const out = new Output();
  expect(await runConsumeCommand([...args, '--data-dir', dir], out)).toBe(0);
  return out.text;
}

async function groups(dir: string, ...args: string[]): Promise<string> {
  let out = '';
  expect(await runGroupsCommand([...args, '--data-dir', dir], { write: (t: string) => (out += t) })).toBe(0);
  return out;
}

describe('tributary produce, consume and groups (embedded, --data-dir)', () => {
  it('round-trips stdin lines, keys included, and commits what a group printed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-consume-'));
    dirs.push(dir);
    await runTopicsCommand(['create', 'lines', '--partitions', '2', '--data-dir', dir], { write: () => true });

    // Chunks cut lines in the middle; keys route by murmur2, so a key's lines stay in order.
    const produced = await produce(dir, ['a\tone\nb\ttw', 'o\na\tthree\n', 'c\t\n'], 'lines', '--key-separator', '\\t', '--batch-size', '2');
    expect(produced.code).toBe(0);
    expect(produced.out).toMatch(/^produced 4 records to lines in \d+\.\d s \([\d,]+ records\/s\)\n$/);

    const all = (await consume(dir, 'lines', '--from-beginning', '--print-key', '--max-messages', '4')).split('\n').slice(0, -1);
    expect([...all].sort()).toEqual(['a\tone', 'a\tthree', 'b\ttwo', 'c\t'].sort());
    expect(all.indexOf('a\tone')).toBeLessThan(all.indexOf('a\tthree'));
    // Values only, and the end of the topic unless --from-beginning.
    expect((await consume(dir, 'lines', '--from-beginning', '--max-messages', '4')).split('\n').sort()).toEqual(['', '', 'one', 'three', 'two']);
    expect(await consume(dir, 'lines', '--timeout-ms', '50')).toBe('');

    // A group commits exactly what it printed; the next run of the group goes on from there.
    const first = await consume(dir, 'lines', '--group', 'readers', '--from-beginning', '--max-messages', '1');
    expect(first.split('\n')).toHaveLength(2);
    const rest = await consume(dir, 'lines', '--group', 'readers', '--from-beginning', '--timeout-ms', '100');
    expect([...first.split('\n').slice(0, -1), ...rest.split('\n').slice(0, -1)].sort()).toEqual(['', 'one', 'three', 'two']);

    const listing = await groups(dir, 'list');
    // Each command opens the directory afresh: the group is reloaded from its offsets (no protocol type kept).
    expect(listing).toMatch(/^GROUP {4}STATE {2}PROTOCOL-TYPE\nreaders {2}Empty {2}(consumer|-)\n$/);
    const described = await groups(dir, 'describe', 'readers');
    expect(described).toContain("Consumer group 'readers' has no active members (state Empty).");
    expect(described).toMatch(/readers {2}lines {2}0 +(\d+) +\1 +0 +- +- +-\n/);
    expect(described).toMatch(/TOTAL-LAG 0\n$/);

    // New lines are lag until the group reads them.
    await produce(dir, ['x\n', 'y\n'], 'lines');
    expect(await groups(dir, 'describe', 'readers')).toMatch(/TOTAL-LAG 2\n$/);
    await expect(runGroupsCommand(['describe', 'nobody', '--data-dir', dir], { write: () => true })).rejects.toThrow("consumer group 'nobody' does not exist");
  });

  it('refuses a line without the separator, naming it, and an unknown topic', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-consume-'));
    dirs.push(dir);
    await runTopicsCommand(['create', 'lines', '--data-dir', dir], { write: () => true });
    await expect(produce(dir, ['k\tv\nno key here\n'], 'lines', '--key-separator', '\\t')).rejects.toMatchObject({ code: 'INVALID_RECORD', message: expect.stringContaining('line 2') });
    await expect(produce(dir, ['v\n'], 'missing')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(consume(dir, 'missing', '--timeout-ms', '10')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('describes a group with members and lag as kafka-consumer-groups does', () => {
    const text = describeGroupText(
      { groupId: 'app', state: 'Stable', protocolType: 'consumer', protocol: 'stream', members: [] },
      [
        { topic: 'lines', partition: 0, committed: 3, logEnd: 10, lag: 7, member: { memberId: 'm-1', clientId: 'app-1', clientHost: '' } },
        { topic: 'lines', partition: 1, committed: null, logEnd: 4, lag: null, member: null },
      ],
    );
    expect(text).toBe(
      "Consumer group 'app' has no active members (state Stable).\n\n" +
        'GROUP  TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST  CLIENT-ID\n' +
        'app    lines  0          3               10              7    m-1          -     app-1\n' +
        'app    lines  1          -               4               -    -            -     -\n\n' +
        'TOTAL-LAG 7\n',
    );
  });
});
