/**
 * Endpoints of application instances (Kafka's HostInfo): the `applicationServer: 'host:port'` config, parsed.
 */
import { StreamsError } from '../src/errors.js';

/**
 * An instance's interactive-query endpoint (Kafka's HostInfo), from the `applicationServer: 'host:port'` config.
 *
 * @example
 * ```ts
 * const host: HostInfo = { host: 'localhost', port: 8080 };
 * ```
 */
export interface HostInfo {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9._-]+):(\d{1,5})$/;

/**
 * Parses `host:port` (a host name, IPv4 address or bracketed IPv6 address, and a port 0..65535) into a HostInfo;
 * anything else throws `INVALID_CONFIG` naming `what`.
 *
 * @example
 * ```ts
 * parseHostInfo('localhost:8080'); // { host: 'localhost', port: 8080 }
 * parseHostInfo('[::1]:80');       // { host: '[::1]', port: 80 }
 * ```
 */
export function parseHostInfo(endpoint: string, what = 'applicationServer'): HostInfo {
  const m = typeof endpoint === 'string' ? HOST_PORT.exec(endpoint) : null;
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65_535) {
    throw new StreamsError('INVALID_CONFIG', `${what} must be 'host:port', got ${JSON.stringify(endpoint)}`);
  }
  return { host: m[1]!, port };
}

/**
 * The `host:port` text of a HostInfo (the form used in the config and in the partitions-by-host map).
 *
 * @example
 * ```ts
 * hostInfoString({ host: 'localhost', port: 8080 }); // 'localhost:8080'
 * ```
 */
export function hostInfoString(host: HostInfo): string {
  return `${host.host}:${host.port}`;
}
