import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../broker/broker.js';
import { DirectoryLock } from '../broker/directory-lock.js';
import { KafkaServer } from '../broker/server/kafka-server.js';
import { inProcessClients } from '../client/in-process/in-process-clients.js';
import { silentLogger } from '../util/logger.js';
import { DRY_RUN_EXIT_CODE, isInternalTopicOf, runResetCommand } from './reset-command.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * A broker directory as an application `app` leaves it: input `lines` (2 partitions, the first 2 records of
 * partition 0 deleted), its internal topics, another application's topic, committed offsets; and its state directory.
 */
async function appLeftovers(): Promise<{ root: string; dataDir: string; stateRoot: string }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-reset-'));
  dirs.push(root);
  const dataDir = path.join(root, 'log');
  const stateRoot = path.join(root, 'state');
  fs.mkdirSync(path.join(stateRoot, 'app', '1_0'), { recursive: true });
  fs.writeFileSync(path.join(stateRoot, 'app', '1_0', '.checkpoint'), '0\n');
  const broker = await Broker.open({ dataDir, logger: silentLogger(), maintenanceIntervalMs: 0 });
  const { admin, producer } = inProcessClients(broker);
  await admin.createTopics([
    { topic: 'lines', numPartitions: 2 },
    { topic: 'app-counts-changelog', numPartitions: 2 },
    { topic: 'app-counts-repartition', numPartitions: 2 },
    { topic: 'app2-counts-changelog', numPartitions: 1 },
  ]);
  const p = producer();
  await p.send({ topic: 'lines', messages: [0, 0, 0, 0, 1].map((partition) => ({ key: null, value: Buffer.from('x'), partition })) });
  await p.send({ topic: 'app-counts-repartition', messages: [{ key: null, value: Buffer.from('x'), partition: 1 }] });
  await p.close();
  await admin.deleteRecords([{ topic: 'lines', partition: 0, beforeOffset: 2 }]);
  await admin.alterConsumerGroupOffsets('app', [
    { topic: 'lines', partition: 0, offset: 4 },
    { topic: 'lines', partition: 1, offset: 1 },
    { topic: 'app-counts-repartition', partition: 1, offset: 1 },
  ]);
  await broker.close();
  return { root, dataDir, stateRoot };
}

async function reset(dataDir: string, ...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runResetCommand([...args, '--data-dir', dataDir], { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true, isTTY: false } });
  return { code, out };
}

async function inspect(dataDir: string): Promise<{ topics: string[]; offsets: string[] }> {
  const broker = await Broker.open({ dataDir, logger: silentLogger(), maintenanceIntervalMs: 0 });
  const { admin } = inProcessClients(broker);
  const topics = await admin.listTopics();
  const offsets = (await admin.listConsumerGroupOffsets('app')).map((o) => `${o.topic}-${o.partition}@${o.offset}`);
  await broker.close();
  return { topics, offsets };
}

describe('tributary reset (embedded, --data-dir)', () => {
  it('names only the application’s own internal topics', () => {
    expect(isInternalTopicOf('app', 'app-counts-changelog')).toBe(true);
    expect(isInternalTopicOf('app', 'app-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition')).toBe(true);
    expect(isInternalTopicOf('app', 'app2-counts-changelog')).toBe(false);
    expect(isInternalTopicOf('app', 'app-changelog')).toBe(false);
    expect(isInternalTopicOf('app', 'app-counts')).toBe(false);
  });

  it('prints the plan and changes nothing without --yes; with --yes resets offsets, deletes internal topics, wipes state', async () => {
    const { dataDir, stateRoot } = await appLeftovers();
    const before = await inspect(dataDir);

    const dry = await reset(dataDir, 'app', '--input-topics', 'lines', '--state-dir', stateRoot);
    expect(dry.code).toBe(DRY_RUN_EXIT_CODE);
    expect(dry.out).toContain("Reset of application 'app' (group state Empty, 0 active members)");
    expect(dry.out).toMatch(/lines +0 +4 +2\n/);
    expect(dry.out).toMatch(/lines +1 +1 +0\n/);
    expect(dry.out).toContain('   app-counts-changelog\n   app-counts-repartition\n');
    expect(dry.out).not.toContain('app2-counts-changelog');
    expect(dry.out).toContain(`local state to wipe: ${path.join(stateRoot, 'app')}`);
    expect(dry.out).toContain('Dry run: nothing was changed');
    expect(await inspect(dataDir)).toEqual(before);
    expect(fs.existsSync(path.join(stateRoot, 'app', '1_0', '.checkpoint'))).toBe(true);

    const done = await reset(dataDir, 'app', '--input-topics', 'lines', '--state-dir', stateRoot, '--yes');
    expect(done.code).toBe(0);
    expect(done.out).toContain('step 1/3: committed offsets of 2 input partitions set to earliest');
    expect(done.out).toContain('step 2/3: deleted 2 internal topics');
    expect(done.out).toContain(`step 3/3: wiped local state ${path.join(stateRoot, 'app')}`);
    expect(await inspect(dataDir)).toEqual({
      topics: ['app2-counts-changelog', 'lines'],
      // The repartition topic's offset went to 0 before the topic went: a recreated topic starts there.
      offsets: ['app-counts-repartition-1@0', 'lines-0@2', 'lines-1@0'],
    });
    expect(fs.existsSync(path.join(stateRoot, 'app'))).toBe(false);
    expect(fs.existsSync(stateRoot)).toBe(true);

    // Again: nothing internal left, no state; offsets stay at the earliest.
    const again = await reset(dataDir, 'app', '--input-topics', 'lines', '--state-dir', stateRoot, '--yes');
    expect(again.out).toContain('internal topics to delete: none');
    expect(again.out).toContain('step 3/3: no local state to wipe');
  });

  it('refuses while the group has members or an instance holds the state directory, changing nothing', async () => {
    const { dataDir, stateRoot } = await appLeftovers();
    const before = await inspect(dataDir);
    const lock = DirectoryLock.acquire(path.join(stateRoot, 'app'));
    try {
      await expect(reset(dataDir, 'app', '--input-topics', 'lines', '--state-dir', stateRoot, '--yes')).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    } finally {
      lock.release();
    }
    expect(await inspect(dataDir)).toEqual(before);

    // A running instance is a member of the group: seen through a broker server, as the CLI sees a real one.
    const broker = await Broker.open({ dataDir, logger: silentLogger(), maintenanceIntervalMs: 0, groupInitialRebalanceDelayMs: 0 });
    const server = await KafkaServer.listen(broker, { port: 0, logger: silentLogger() });
    const member = inProcessClients(broker).consumer({ groupId: 'app' });
    try {
      member.subscribe(['lines']);
      while (member.assignment().length === 0) await member.poll({ maxWaitMs: 10 });
      let out = '';
      const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true } };
      const args = ['app', '--input-topics', 'lines', '--state-dir', stateRoot, '--broker', `127.0.0.1:${server.address.port}`];
      expect(await runResetCommand(args, io)).toBe(DRY_RUN_EXIT_CODE);
      expect(out).toContain('(group state Stable, 1 active member)');
      expect(out).toContain("The group has active members: stop every instance of 'app' first.");
      await expect(runResetCommand([...args, '--yes'], io)).rejects.toMatchObject({ code: 'ILLEGAL_STATE', message: expect.stringContaining('1 active member') });
      await expect(runResetCommand(['app', '--input-topics', 'nope', '--broker', `127.0.0.1:${server.address.port}`], io)).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    } finally {
      await member.close();
      await server.close();
      await broker.close();
    }
    expect(await inspect(dataDir)).toEqual(before);
    expect(fs.existsSync(path.join(stateRoot, 'app', '1_0', '.checkpoint'))).toBe(true);
  });
});
