import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess, ROOT, runCli, tempDir } from '../cli/cli-harness.js';
import { makeTestCertificates, type TestCertificates } from './secure-broker.js';

// The command line end to end: `tributary broker --listeners ... --tls-* --sasl-mechanisms`, `tributary users` on
// the running broker's data directory, and a command reaching the SASL_SSL listener through the TRIBUTARY_* variables.

let certs: TestCertificates;
let dataDir: string;
let cleanup: () => void;
let broker: CliProcess;
const listeners = new Map<string, string>();

beforeAll(async () => {
  certs = makeTestCertificates();
  [dataDir, cleanup] = tempDir('cli-security');
  broker = new CliProcess([
    'broker', '--data-dir', dataDir, '--log-level', 'warn',
    '--listeners', 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    '--tls-cert', certs.brokerCert, '--tls-key', certs.brokerKey,
    '--sasl-mechanisms', 'SCRAM-SHA-512,PLAIN', '--failed-authentication-delay-ms', '10',
  ]);
  for (const protocol of ['PLAINTEXT', 'SASL_SSL']) {
    const line = await broker.waitFor(`tributary broker listener ${protocol}://`, 30_000);
    listeners.set(protocol, line.slice(line.indexOf('://') + 3).trim());
  }
});

afterAll(async () => {
  expect(await broker?.stop('SIGTERM')).toBe(0);
  cleanup?.();
  if (certs !== undefined) fs.rmSync(certs.dir, { recursive: true, force: true });
});

/** `tributary ...args` with extra environment variables. */
function cli(args: readonly string[], env: Readonly<Record<string, string>>, input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv['NODE_OPTIONS'];
    delete childEnv['TRIBUTARY_BROKER'];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'tributary.js'), ...args], { cwd: ROOT, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

function sasl(password: string): Record<string, string> {
  return {
    TRIBUTARY_SECURITY_PROTOCOL: 'SASL_SSL',
    TRIBUTARY_SSL_CA: certs.caCert,
    TRIBUTARY_SASL_MECHANISM: 'SCRAM-SHA-512',
    TRIBUTARY_SASL_USERNAME: 'ops',
    TRIBUTARY_SASL_PASSWORD: password,
  };
}

describe('tributary broker with TLS and SASL listeners', () => {
  it('a user added while the broker runs reaches the SASL_SSL listener; a wrong password is refused', async () => {
    const added = await runCli(['users', 'add', 'ops', '--password-stdin', '--mechanism', 'SCRAM-SHA-512', '--data-dir', dataDir], { input: 'ops-Secret-1\n' });
    expect(added, added.stderr).toMatchObject({ code: 0 });
    expect((await runCli(['users', 'list', '--data-dir', dataDir])).stdout).toMatch(/^ops\s+SCRAM-SHA-512\(iterations=4096\)$/m);

    const created = await cli(['topics', 'create', 'secured', '--partitions', '2', '--broker', listeners.get('SASL_SSL')!], sasl('ops-Secret-1'));
    expect(created, created.stderr).toMatchObject({ code: 0, stdout: 'Created topic secured.\n' });
    const listed = await cli(['topics', 'list', '--broker', listeners.get('PLAINTEXT')!], {});
    expect(listed.stdout).toContain('secured\n');

    const refused = await cli(['topics', 'list', '--broker', listeners.get('SASL_SSL')!], sasl('wrong'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/SASL SCRAM-SHA-512 authentication .* failed/);
    expect(refused.stderr).not.toContain('wrong');

    // The same with flags instead of variables.
    const flags = ['--security-protocol', 'SASL_SSL', '--ssl-ca', certs.caCert, '--sasl-mechanism', 'SCRAM-SHA-512', '--sasl-username', 'ops'];
    const described = await cli(['topics', 'describe', 'secured', '--broker', listeners.get('SASL_SSL')!, ...flags, '--sasl-password', 'ops-Secret-1'], {});
    expect(described, described.stderr).toMatchObject({ code: 0 });
    expect(described.stdout).toContain('secured');
    const refusedByFlag = await cli(['topics', 'list', '--broker', listeners.get('SASL_SSL')!, ...flags, '--sasl-password', 'nope'], {});
    expect(refusedByFlag.code).toBe(1);
  });

  it('refuses a listener without the TLS material it needs', async () => {
    const r = await runCli(['broker', '--data-dir', dataDir, '--listeners', 'SSL://127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs --tls-cert and --tls-key/);
  });
});
