/**
 * TLS for the broker's SSL and SASL_SSL listeners (node:tls): the server's certificate material, optional client
 * certificate authentication, and the principal a client certificate stands for, formatted as Kafka formats it.
 */
import * as fs from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions, TlsOptions as NodeTlsOptions, TLSSocket } from 'node:tls';
import { StreamsError, toError } from '../../errors.js';

/**
 * PEM material: a file path, PEM text, or the PEM bytes.
 *
 * @example
 * ```ts
 * const cert: PemInput = '/etc/tributary/broker.pem';
 * ```
 */
export type PemInput = string | Buffer;

/**
 * TLS settings of a broker's SSL / SASL_SSL listeners.
 *
 * @example
 * ```ts
 * const tls: TlsServerOptions = { cert: 'broker.pem', key: 'broker.key', ca: 'clients-ca.pem' };
 * ```
 */
export interface TlsServerOptions {
  /** The broker's certificate (chain), PEM. */
  readonly cert: PemInput;
  /** Its private key, PEM (unencrypted). */
  readonly key: PemInput;
  /** CA certificates client certificates must chain to (Kafka's ssl.truststore). */
  readonly ca?: PemInput;
  /**
   * Kafka's ssl.client.auth=required: every client must present a certificate that chains to `ca`; on an SSL listener
   * its subject becomes the principal. Default true when `ca` is given, else false (no client certificates).
   */
  readonly requestClientCert?: boolean;
  /** How long a client may take to finish the TLS handshake before it is dropped; default 10000. */
  readonly handshakeTimeoutMs?: number;
}

/**
 * Reads PEM material: a Buffer as is, a string holding `-----BEGIN` as PEM text, any other string as a file path.
 * Throws INVALID_CONFIG naming `what` when the file cannot be read or holds no PEM block.
 *
 * @example
 * ```ts
 * const key = readPem('/etc/tributary/broker.key', '--tls-key');
 * ```
 */
export function readPem(input: PemInput, what: string): Buffer {
  let pem: Buffer;
  if (Buffer.isBuffer(input)) pem = input;
  else if (input.includes('-----BEGIN')) pem = Buffer.from(input, 'utf8');
  else {
    try {
      pem = fs.readFileSync(input);
    } catch (e: unknown) {
      throw new StreamsError('INVALID_CONFIG', `${what}: cannot read ${input}: ${toError(e).message}`, { cause: e });
    }
  }
  if (!pem.includes('-----BEGIN')) throw new StreamsError('INVALID_CONFIG', `${what}: no PEM block found`);
  return pem;
}

/**
 * node:tls server options for {@link TlsServerOptions}: TLS 1.2 or newer; with client authentication the client's
 * certificate is requested, verified against `ca`, and a connection without a valid one is refused in the handshake.
 *
 * @example
 * ```ts
 * const server = tls.createServer(tlsServerOptions({ cert: 'broker.pem', key: 'broker.key' }));
 * ```
 */
export function tlsServerOptions(options: TlsServerOptions): NodeTlsOptions {
  const ca = options.ca === undefined ? undefined : readPem(options.ca, 'TLS CA');
  const requestCert = options.requestClientCert ?? ca !== undefined;
  if (requestCert && ca === undefined) throw new StreamsError('INVALID_CONFIG', 'TLS client authentication needs a CA (ca / --tls-ca) to verify client certificates with');
  return {
    cert: readPem(options.cert, 'TLS certificate'),
    key: readPem(options.key, 'TLS key'),
    ...(ca === undefined ? {} : { ca }),
    requestCert,
    rejectUnauthorized: requestCert,
    minVersion: 'TLSv1.2',
    handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
  };
}

/**
 * The principal of a TLS connection as Kafka's default principal builder names it: `User:` and the verified client
 * certificate's subject in RFC 2253 form (`User:CN=alice,OU=eng,O=Acme\, Inc.,C=US`, most specific first), or
 * `User:ANONYMOUS` without a verified client certificate.
 *
 * @example
 * ```ts
 * connection.principal = tlsPrincipal(socket); // 'User:CN=alice,OU=eng'
 * ```
 */
export function tlsPrincipal(socket: TLSSocket): string {
  if (!socket.authorized) return 'User:ANONYMOUS';
  const cert = socket.getPeerX509Certificate();
  return cert === undefined ? 'User:ANONYMOUS' : `User:${rfc2253Subject(cert.subject)}`;
}

/** Attribute names Java's X500Principal writes as keywords in RFC 2253 form; OpenSSL's short names on the left. */
const RFC2253_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['CN', 'CN'],
  ['C', 'C'],
  ['L', 'L'],
  ['ST', 'ST'],
  ['O', 'O'],
  ['OU', 'OU'],
  ['street', 'STREET'],
  ['STREET', 'STREET'],
  ['DC', 'DC'],
  ['UID', 'UID'],
]);

/**
 * A subject as node:crypto's X509Certificate prints it (one attribute per line in certificate order, multi-valued
 * RDNs joined by ` + `, values escaped as RFC 2253 says) in RFC 2253 form as Java's `X500Principal.getName()` writes
 * it: RDNs in reverse order joined by `,`, Java's keywords, emailAddress as its OID with the hex DER value. Other
 * attributes keep OpenSSL's short name.
 *
 * @example
 * ```ts
 * rfc2253Subject('C=US\nO=Acme\\, Inc.\nCN=alice'); // 'CN=alice,O=Acme\\, Inc.,C=US'
 * ```
 */
export function rfc2253Subject(subject: string): string {
  const rdns = subject.split('\n').filter((line) => line !== '');
  return rdns
    .reverse()
    .map((rdn) =>
      rdn
        .split(' + ')
        .map((ava) => {
          const eq = ava.indexOf('=');
          if (eq <= 0) return ava;
          const name = ava.slice(0, eq);
          const value = ava.slice(eq + 1);
          if (name === 'emailAddress') return `1.2.840.113549.1.9.1=#${derIa5String(unescapeRfc2253(value))}`;
          return `${RFC2253_KEYWORDS.get(name) ?? name}=${value}`;
        })
        .join('+'),
    )
    .join(',');
}

/** Undoes RFC 2253 escapes (`\,` and `\XX` hex pairs). */
function unescapeRfc2253(value: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      const hex = value.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(value[i + 1]!, 'utf8'));
        i += 1;
      }
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes);
}

/** Hex of the DER encoding of an IA5String (tag 0x16) holding `value`. */
function derIa5String(value: Buffer): string {
  const n = value.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([0x16, ...length]), value]).toString('hex');
}

/**
 * TLS settings of a client (Kafka's `security.protocol=SSL` / `SASL_SSL` with `ssl.*`).
 *
 * @example
 * ```ts
 * const ssl: KafkaSslOptions = { ca: '/etc/tributary/ca.pem' };
 * ```
 */
export interface KafkaSslOptions {
  /** CA certificates to verify the broker with (PEM path or text); default the system's. */
  readonly ca?: PemInput;
  /** Client certificate for brokers that authenticate clients by certificate (with `key`). */
  readonly cert?: PemInput;
  readonly key?: PemInput;
  /** Verify the broker's certificate and host name (default true; false only for tests). */
  readonly rejectUnauthorized?: boolean;
  /** The name the broker's certificate must carry; default the host connected to (unless it is an IP address). */
  readonly servername?: string;
}

/**
 * node:tls connect options for a broker at `host:port` (`true`: the system's CAs, nothing else): TLS 1.2 or newer,
 * SNI and host name checks against `host` unless it is an IP address (then the certificate must name the IP).
 *
 * @example
 * ```ts
 * const socket = tls.connect(tlsClientOptions('broker.local', 9093, { ca: 'ca.pem' }));
 * ```
 */
export function tlsClientOptions(host: string, port: number, ssl: KafkaSslOptions | true): TlsConnectionOptions {
  const o: KafkaSslOptions = ssl === true ? {} : ssl;
  const servername = o.servername ?? (isIP(host) === 0 ? host : undefined);
  return {
    host,
    port,
    ...(servername === undefined ? {} : { servername }),
    ...(o.ca === undefined ? {} : { ca: readPem(o.ca, 'ssl ca') }),
    ...(o.cert === undefined ? {} : { cert: readPem(o.cert, 'ssl cert') }),
    ...(o.key === undefined ? {} : { key: readPem(o.key, 'ssl key') }),
    rejectUnauthorized: o.rejectUnauthorized ?? true,
    minVersion: 'TLSv1.2',
  };
}
