import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { CredentialStore } from '../../src/broker/security/credential-store.js';
import type { SecurityProtocol } from '../../src/broker/security/listeners.js';
import { KafkaServer, type KafkaServerOptions } from '../../src/broker/server/kafka-server.js';
import { interopLogger } from '../interop/interop-broker.js';

/**
 * PEM files made with openssl for one test run (nothing is committed): a CA, a broker certificate for localhost and
 * 127.0.0.1 signed by it, and client certificates signed by it.
 */
export interface TestCertificates {
  readonly dir: string;
  readonly caCert: string;
  readonly brokerCert: string;
  readonly brokerKey: string;
  /** CN=alice,OU=eng,O=Acme\, Inc.,C=US */
  readonly aliceCert: string;
  readonly aliceKey: string;
  /** A self-signed client certificate the CA did not sign. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

function openssl(dir: string, args: readonly string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (r.error !== undefined || r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

/**
 * Generates {@link TestCertificates} in a fresh temporary directory (EC P-256 keys: fast). Throws when openssl is
 * missing (Debian has it; the security tests need it).
 *
 * @example
 * ```ts
 * const certs = makeTestCertificates();
 * await KafkaServer.listen(broker, { listeners: ['SSL://127.0.0.1:0'], tls: { cert: certs.brokerCert, key: certs.brokerKey } });
 * ```
 */
export function makeTestCertificates(): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-certs-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tributary-test-ca']);
  const signed = (name: string, subject: string, ext?: string): void => {
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    const extArgs: string[] = [];
    if (ext !== undefined) {
      fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
      extArgs.push('-extfile', `${name}.ext`);
    }
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...extArgs]);
  };
  signed('broker', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  signed('alice', '/C=US/O=Acme, Inc./OU=eng/CN=alice');
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'stranger.key', '-out', 'stranger.pem', '-days', '2', '-subj', '/CN=stranger']);
  const p = (f: string): string => path.join(dir, f);
  return {
    dir,
    caCert: p('ca.pem'),
    brokerCert: p('broker.pem'),
    brokerKey: p('broker.key'),
    aliceCert: p('alice.pem'),
    aliceKey: p('alice.key'),
    strangerCert: p('stranger.pem'),
    strangerKey: p('stranger.key'),
  };
}

/** A broker in a temporary directory with users and listeners on ephemeral loopback ports. */
export interface SecureBroker {
  readonly broker: Broker;
  readonly server: KafkaServer;
  readonly dataDir: string;
  /** `127.0.0.1:PORT` of the listener with that protocol. */
  bootstrap(protocol: SecurityProtocol): string;
  port(protocol: SecurityProtocol): number;
  close(): Promise<void>;
}

/**
 * Opens a broker with the given users (SCRAM-SHA-256 and -512 credentials, 4096 iterations) and listeners
 * (`PROTOCOL://127.0.0.1:0` each), TLS from `certs`. Group timeouts are short, as in the interop tests.
 *
 * @example
 * ```ts
 * const sb = await startSecureBroker(certs, ['SASL_SSL'], { alice: 'alice-secret' });
 * ```
 */
export async function startSecureBroker(
  certs: TestCertificates,
  protocols: readonly SecurityProtocol[],
  users: Readonly<Record<string, string>>,
  options: Partial<KafkaServerOptions> = {},
): Promise<SecureBroker> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-secure-'));
  const store = CredentialStore.forDataDir(dataDir);
  for (const [name, password] of Object.entries(users)) await store.addUser(name, password);
  const logger = interopLogger();
  const broker = await Broker.open({ dataDir, logger, maintenanceIntervalMs: 0, groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100 });
  let server: KafkaServer;
  try {
    server = await KafkaServer.listen(broker, {
      listeners: protocols.map((p) => `${p}://127.0.0.1:0`),
      tls: { cert: certs.brokerCert, key: certs.brokerKey },
      sasl: { failedAuthenticationDelayMs: 20 },
      logger,
      ...options,
    });
  } catch (e: unknown) {
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const port = (protocol: SecurityProtocol): number => {
    const l = server.listeners.find((x) => x.protocol === protocol);
    if (l === undefined) throw new Error(`no ${protocol} listener`);
    return l.port;
  };
  let isClosed = false;
  return {
    broker,
    server,
    dataDir,
    port,
    bootstrap: (protocol) => `127.0.0.1:${port(protocol)}`,
    close: async () => {
      if (isClosed) return;
      isClosed = true;
      try {
        await server.close();
      } finally {
        await broker.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
