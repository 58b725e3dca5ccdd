/**
 * bench/helpers/network-secure.ts — what the network benchmark's TLS and SASL_SSL rows need: certificates made
 * with openssl in the benchmark's temporary directory (nothing committed), a SCRAM user added through the CLI before
 * the broker starts, the broker's listener options, and kcat's `-X` settings for each security protocol.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './network-broker.js';

/** PEM files for one benchmark run: a CA and a broker certificate for localhost and 127.0.0.1 signed by it. */
export interface BenchCertificates {
  readonly caCert: string;
  readonly brokerCert: string;
  readonly brokerKey: string;
}

/** The SCRAM user of the SASL_SSL rows. */
export const BENCH_USER = { name: 'bench', password: 'bench-secret', mechanism: 'SCRAM-SHA-512' } as const;

function run(command: string, args: readonly string[], cwd: string, input?: string): void {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000, ...(input === undefined ? {} : { input }) });
  if (r.error !== undefined || r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

/**
 * Generates {@link BenchCertificates} in `dir` (created if missing) with openssl: EC P-256 keys, valid 2 days, the
 * broker's certificate with subjectAltName DNS:localhost and IP:127.0.0.1 (librdkafka 2 verifies the host name).
 * Throws when openssl is missing or fails.
 *
 * @example
 * ```ts
 * const certs = makeBenchCertificates('/tmp/bench/certs');
 * // broker: --tls-cert certs.brokerCert --tls-key certs.brokerKey; kcat: ssl.ca.location=certs.caCert
 * ```
 */
export function makeBenchCertificates(dir: string): BenchCertificates {
  fs.mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('openssl', ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tributary-bench-ca'], dir);
  run('openssl', ['req', ...ec, '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost'], dir);
  fs.writeFileSync(path.join(dir, 'broker.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('openssl', ['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', '2', '-extfile', 'broker.ext'], dir);
  return { caCert: path.join(dir, 'ca.pem'), brokerCert: path.join(dir, 'broker.pem'), brokerKey: path.join(dir, 'broker.key') };
}

/**
 * Adds {@link BENCH_USER} (its SCRAM-SHA-512 credential) to the broker data directory `dataDir` with the CLI
 * (`tributary users add NAME --password-stdin --mechanism SCRAM-SHA-512 --data-dir DIR`), before the broker starts.
 *
 * @example
 * ```ts
 * addBenchUser('/tmp/bench/broker-secure');
 * ```
 */
export function addBenchUser(dataDir: string): void {
  const cli = path.join(REPO_ROOT, 'bin', 'tributary.js');
  run(process.execPath, [cli, 'users', 'add', BENCH_USER.name, '--password-stdin', '--mechanism', BENCH_USER.mechanism, '--data-dir', dataDir], REPO_ROOT, `${BENCH_USER.password}\n`);
}

/**
 * The broker process's listeners for the secure rows: PLAINTEXT first (the benchmark's own client creates and checks
 * the topics there; tributary's client speaks neither TLS nor SASL), then SSL and SASL_SSL, all on ephemeral loopback
 * ports; and the CLI options with the TLS material.
 *
 * @example
 * ```ts
 * const { listeners, extraArgs } = secureBrokerOptions(certs);
 * const broker = await startBrokerProcess({ dataDir, listeners, extraArgs });
 * ```
 */
export function secureBrokerOptions(certs: BenchCertificates): { readonly listeners: readonly string[]; readonly extraArgs: readonly string[] } {
  return {
    listeners: ['PLAINTEXT://127.0.0.1:0', 'SSL://127.0.0.1:0', 'SASL_SSL://127.0.0.1:0'],
    extraArgs: ['--tls-cert', certs.brokerCert, '--tls-key', certs.brokerKey],
  };
}

/**
 * kcat's `-X` settings for TLS (`'SSL'`: the CA to trust) or SASL_SSL (the same, and SCRAM-SHA-512 as
 * {@link BENCH_USER}).
 *
 * @example
 * ```ts
 * await kcatProduce(broker.bootstrapOf('SSL'), 'tls-0', file, kcatSecuritySettings('SSL', certs));
 * ```
 */
export function kcatSecuritySettings(protocol: 'SSL' | 'SASL_SSL', certs: BenchCertificates): string[] {
  const tls = [`ssl.ca.location=${certs.caCert}`];
  if (protocol === 'SSL') return ['security.protocol=ssl', ...tls];
  return ['security.protocol=sasl_ssl', ...tls, `sasl.mechanisms=${BENCH_USER.mechanism}`, `sasl.username=${BENCH_USER.name}`, `sasl.password=${BENCH_USER.password}`];
}

/**
 * Bytes of the segment files (`.log`) under `dir` whose path contains `name` (a topic's partition directories), 0
 * when there are none: the record batches the broker stores for a topic, compressed or not (indexes left out).
 *
 * @example
 * ```ts
 * const stored = storedBytes('/tmp/bench/broker-compressed', 'lz4-0');
 * ```
 */
export function storedBytes(dir: string, name: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.log')) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (path.relative(dir, file).includes(name)) total += fs.statSync(file).size;
  }
  return total;
}
