import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic } from '../interop/interop-broker.js';
import { requireKcat, runKcat, runKcatOk } from '../interop/kcat.js';
import { makeTestCertificates, startSecureBroker, type SecureBroker, type TestCertificates } from './secure-broker.js';

// kcat 1.7.1 (librdkafka 2.0.2) against tributary's broker over SSL, SASL_PLAINTEXT (PLAIN) and SASL_SSL
// (SCRAM-SHA-512): produce, consume, metadata through the right listener; a wrong password is refused.

let certs: TestCertificates;
let sb: SecureBroker;
let kcatMissing: Error | null = null;

beforeAll(async () => {
  try {
    requireKcat();
  } catch (e: unknown) {
    kcatMissing = e instanceof Error ? e : new Error(String(e));
  }
  certs = makeTestCertificates();
  sb = await startSecureBroker(certs, ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], { alice: 'alice-secret' });
});

afterAll(async () => {
  await sb?.close();
  if (certs !== undefined) fs.rmSync(certs.dir, { recursive: true, force: true });
});

type Mode = 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

function kcat(mode: Mode, password: string, ...args: string[]): string[] {
  if (kcatMissing !== null) throw kcatMissing;
  const security: Record<Mode, string[]> = {
    SSL: ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caCert}`],
    SASL_PLAINTEXT: ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', `sasl.password=${password}`],
    SASL_SSL: [
      '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', `sasl.password=${password}`,
      '-X', `ssl.ca.location=${certs.caCert}`,
    ],
  };
  return ['-b', sb.bootstrap(mode), '-m', '10', '-X', 'socket.timeout.ms=10000', ...security[mode], ...args];
}

describe.each<Mode>(['SSL', 'SASL_PLAINTEXT', 'SASL_SSL'])('kcat over %s', (mode) => {
  it('lists metadata that advertises the listener it asked through', async () => {
    const md = JSON.parse(await runKcatOk(kcat(mode, 'alice-secret', '-L', '-J'))) as { brokers: { id: number; name: string }[] };
    expect(md.brokers).toEqual([{ id: 0, name: sb.bootstrap(mode) }]);
  });

  it('produces and consumes the same records', async () => {
    const topic = `kcat-${mode.toLowerCase()}`;
    sb.broker.createTopic(topic, 2);
    const lines = Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`);
    await runKcatOk(kcat(mode, 'alice-secret', '-P', '-t', topic, '-K:'), { stdin: lines.join('\n') + '\n' });
    const stored = await readTopic(sb.broker, topic);
    expect(stored.map((r) => `${r.key}:${r.value}`).sort()).toEqual([...lines].sort());
    const consumed = await runKcatOk(kcat(mode, 'alice-secret', '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k:%s\n'));
    expect(consumed.trim().split('\n').sort()).toEqual([...lines].sort());
  });
});

describe('kcat with a wrong password', () => {
  it.each<Mode>(['SASL_PLAINTEXT', 'SASL_SSL'])('is refused over %s and gets no metadata', async (mode) => {
    const r = await runKcat([...kcat(mode, 'not-the-password', '-L', '-J'), '-m', '1'], { timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toMatch(/"topics"/);
    expect(r.stderr).toMatch(/Authentication failed/i);
    expect(r.stderr).not.toMatch(/unknown user|does not exist|not-the-password|alice-secret/i);
  });
});
