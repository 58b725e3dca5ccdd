/**
 * `tributary run` of an application that fails: the instance goes to ERROR, is closed, and the process exits with 1
 * (for a supervisor to restart it); a module that cannot be used exits 1 before starting anything.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClients } from '../../src/client/kafka/kafka-clients.js';
import { silentLogger } from '../../src/util/logger.js';
import { CliProcess, runCli, startBroker, tempDir } from './cli-harness.js';

let broker: Awaited<ReturnType<typeof startBroker>>;
let root: string;
let cleanup: () => void;

beforeAll(async () => {
  [root, cleanup] = tempDir('cli-run-failure');
  broker = await startBroker(path.join(root, 'broker'));
});

afterAll(async () => {
  expect(await broker?.process.stop('SIGTERM')).toBe(0);
  cleanup();
});

describe('tributary run of a failing application', () => {
  it('exits 1 once the application is in ERROR', async () => {
    const clients = kafkaClients({ bootstrapServers: [broker.address], logger: silentLogger() });
    try {
      await clients.admin.createTopics([{ topic: 'doomed-input', numPartitions: 1 }]);
      const producer = clients.producer();
      await producer.send({ topic: 'doomed-input', messages: [{ key: null, value: Buffer.from('the last straw') }] });
      await producer.close();
    } finally {
      await clients.close();
    }
    const app = new CliProcess(['run', 'test/cli/fixtures/failing-app.ts', '--broker', broker.address, '--state-dir', path.join(root, 'state'), '--log-level', 'error']);
    expect(await app.exited).toBe(1);
    expect(app.lines).toContain('tributary run: cli-failing-app PENDING_ERROR -> ERROR');
    expect(app.lines.at(-1)).toBe('tributary run: cli-failing-app stopped (exit code 1)');
    expect(app.stderr).toContain('the application failed (state ERROR)');
    expect(app.stderr).toContain('cannot process the last straw');
  });

  it('exits 1 for a module that exports no topology, and 2 for bad usage', async () => {
    const [noTopology, usage] = await Promise.all([
      runCli(['run', 'test/cli/cli-harness.ts', '--broker', broker.address]),
      runCli(['run', 'test/cli/fixtures/word-count-app.ts', '--shutdown-timeout-ms', 'soon']),
    ]);
    expect(noTopology.code).toBe(1);
    expect(noTopology.stderr).toContain("exports neither 'topology' nor 'buildTopology()'");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--shutdown-timeout-ms must be a whole number');
  });
});
