/**
 * Kafka's listener model: `PROTOCOL://host:port` entries, one server socket each, with the security protocol that
 * says whether it speaks TLS and whether it asks for SASL; and the address each one advertises.
 */
import * as net from 'node:net';
import * as os from 'node:os';
import * as tls from 'node:tls';
import { StreamsError } from '../../errors.js';

/**
 * Kafka's security protocols (`security.protocol` / `listeners`).
 *
 * @example
 * ```ts
 * const protocol: SecurityProtocol = 'SASL_SSL';
 * ```
 */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/**
 * Every {@link SecurityProtocol}.
 *
 * @example
 * ```ts
 * SECURITY_PROTOCOLS.includes(value as SecurityProtocol);
 * ```
 */
export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = Object.freeze(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);

/**
 * True for the names of {@link SECURITY_PROTOCOLS}.
 *
 * @example
 * ```ts
 * isSecurityProtocol('SASL_SSL'); // true
 * ```
 */
export function isSecurityProtocol(name: string): name is SecurityProtocol {
  return (SECURITY_PROTOCOLS as readonly string[]).includes(name);
}

/**
 * Whether the protocol runs over TLS (SSL, SASL_SSL).
 *
 * @example
 * ```ts
 * isTlsProtocol('SASL_SSL'); // true
 * ```
 */
export function isTlsProtocol(protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}

/**
 * Whether the protocol authenticates with SASL (SASL_PLAINTEXT, SASL_SSL).
 *
 * @example
 * ```ts
 * isSaslProtocol('SSL'); // false
 * ```
 */
export function isSaslProtocol(protocol: SecurityProtocol): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
}

/**
 * One parsed listener. Its name is its security protocol (Kafka's default listener names), so a broker has at most
 * one listener per protocol.
 *
 * @example
 * ```ts
 * const l: Listener = { protocol: 'SASL_SSL', host: '0.0.0.0', port: 9093 };
 * ```
 */
export interface Listener {
  readonly protocol: SecurityProtocol;
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `PROTOCOL://host:port` (`[::1]:9092` for IPv6; an empty host binds every interface, as Kafka). Port 0 picks
 * a free port. INVALID_CONFIG for anything else.
 *
 * @example
 * ```ts
 * parseListener('SASL_SSL://0.0.0.0:9093'); // { protocol: 'SASL_SSL', host: '0.0.0.0', port: 9093 }
 * ```
 */
export function parseListener(spec: string): Listener {
  const m = /^([A-Z_]+):\/\/(\[[^\]]*\]|[^:/[\]]*):(\d{1,5})$/.exec(spec.trim());
  const protocol = m?.[1];
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || protocol === undefined || !isSecurityProtocol(protocol) || port > 65535) {
    throw new StreamsError('INVALID_CONFIG', `a listener must be PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL://host:port, got '${spec}'`);
  }
  const rawHost = m[2]!;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost === '' ? '0.0.0.0' : rawHost;
  return { protocol, host, port };
}

/**
 * Parses a listener list; INVALID_CONFIG when it is empty or names a protocol twice.
 *
 * @example
 * ```ts
 * parseListeners(['PLAINTEXT://127.0.0.1:9092', 'SASL_SSL://0.0.0.0:9093']);
 * ```
 */
export function parseListeners(specs: readonly string[]): Listener[] {
  if (specs.length === 0) throw new StreamsError('INVALID_CONFIG', 'listeners must name at least one listener');
  const out = specs.map(parseListener);
  const seen = new Set<SecurityProtocol>();
  for (const l of out) {
    if (seen.has(l.protocol)) throw new StreamsError('INVALID_CONFIG', `listeners name ${l.protocol} twice (one listener per security protocol)`);
    seen.add(l.protocol);
  }
  return out;
}

/**
 * Kafka's advertised.listeners: the address clients are told for each listener, by protocol. INVALID_CONFIG for an
 * entry whose protocol has no listener, or a protocol named twice.
 *
 * @example
 * ```ts
 * parseAdvertisedListeners(['SASL_SSL://broker.example.com:9093'], listeners).get('SASL_SSL'); // { host: 'broker.example.com', port: 9093 }
 * ```
 */
export function parseAdvertisedListeners(
  specs: readonly string[],
  listeners: readonly Listener[],
): Map<SecurityProtocol, { readonly host: string; readonly port: number }> {
  const out = new Map<SecurityProtocol, { readonly host: string; readonly port: number }>();
  for (const spec of specs) {
    const a = parseListener(spec);
    if (!listeners.some((l) => l.protocol === a.protocol)) throw new StreamsError('INVALID_CONFIG', `advertised listener ${spec} has no ${a.protocol} listener`);
    if (out.has(a.protocol)) throw new StreamsError('INVALID_CONFIG', `advertised listeners name ${a.protocol} twice`);
    out.set(a.protocol, { host: a.host, port: a.port });
  }
  return out;
}

/**
 * A listener once bound: where it listens (the real port when 0 asked for a free one) and what it advertises.
 *
 * @example
 * ```ts
 * const sasl = server.listeners.find((l) => l.protocol === 'SASL_SSL')!;
 * const bootstrap = `${sasl.host}:${sasl.port}`;
 * ```
 */
export interface BoundListener {
  readonly protocol: SecurityProtocol;
  readonly host: string;
  readonly port: number;
  /** What Metadata and FindCoordinator tell clients that connected through this listener. */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
}

/**
 * Binds one listener: a TCP server, or a TLS server with `tlsOptions` for SSL and SASL_SSL. Resolves once listening;
 * rejects (INVALID_CONFIG for a TLS listener without TLS options) or with the bind error.
 *
 * @example
 * ```ts
 * const server = await bindListener({ protocol: 'SSL', host: '127.0.0.1', port: 0 }, tlsServerOptions(tls));
 * ```
 */
export async function bindListener(listener: Listener, tlsOptions: tls.TlsOptions | null): Promise<net.Server> {
  let server: net.Server;
  if (isTlsProtocol(listener.protocol)) {
    if (tlsOptions === null) throw new StreamsError('INVALID_CONFIG', `listener ${listener.protocol} needs TLS options (cert and key)`);
    server = tls.createServer(tlsOptions);
  } else server = net.createServer({ noDelay: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listener.port, listener.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/**
 * Binds every listener, or none: when one fails, those already bound are closed and the error is thrown.
 *
 * @example
 * ```ts
 * const servers = await bindListeners(parseListeners(['PLAINTEXT://127.0.0.1:0', 'SSL://127.0.0.1:0']), tlsOptions);
 * ```
 */
export async function bindListeners(listeners: readonly Listener[], tlsOptions: tls.TlsOptions | null): Promise<net.Server[]> {
  const servers: net.Server[] = [];
  try {
    for (const l of listeners) servers.push(await bindListener(l, tlsOptions));
  } catch (e: unknown) {
    for (const s of servers) s.close();
    throw e;
  }
  return servers;
}

/**
 * The address a bound listener advertises: its advertised listener entry if there is one, else `advertisedHost`
 * (or the bind host; the machine's name for a wildcard bind) and the bound port (or `advertisedPort`).
 *
 * @example
 * ```ts
 * advertisedAddress(listener, 9093, new Map(), { advertisedHost: 'broker.local' }); // { host: 'broker.local', port: 9093 }
 * ```
 */
export function advertisedAddress(
  listener: Listener,
  boundPort: number,
  advertised: ReadonlyMap<SecurityProtocol, { readonly host: string; readonly port: number }>,
  defaults: { readonly advertisedHost?: string | undefined; readonly advertisedPort?: number | undefined },
): { readonly host: string; readonly port: number } {
  const entry = advertised.get(listener.protocol);
  if (entry !== undefined) return entry;
  const isWildcard = listener.host === '0.0.0.0' || listener.host === '::' || listener.host === '';
  return { host: defaults.advertisedHost ?? (isWildcard ? os.hostname() : listener.host), port: defaults.advertisedPort ?? boundPort };
}
