import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../../errors.js';
import { advertisedAddress, bindListeners, parseAdvertisedListeners, parseListener, parseListeners } from './listeners.js';

describe('listeners', () => {
  it('parses PROTOCOL://host:port, IPv6 in brackets, an empty host as every interface', () => {
    expect(parseListener('PLAINTEXT://127.0.0.1:9092')).toEqual({ protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 });
    expect(parseListener('SASL_SSL://[::1]:9093')).toEqual({ protocol: 'SASL_SSL', host: '::1', port: 9093 });
    expect(parseListener('SSL://:0')).toEqual({ protocol: 'SSL', host: '0.0.0.0', port: 0 });
    for (const bad of ['127.0.0.1:9092', 'HTTP://h:1', 'PLAINTEXT://h', 'PLAINTEXT://h:99999', 'plaintext://h:1', 'SSL://a:b:1']) {
      expect(() => parseListener(bad), bad).toThrow(/listener must be/);
    }
  });

  it('one listener per protocol; advertised listeners must match one', () => {
    expect(() => parseListeners([])).toThrow(/at least one/);
    expect(() => parseListeners(['SSL://a:1', 'SSL://b:2'])).toThrow(/twice/);
    const listeners = parseListeners(['PLAINTEXT://127.0.0.1:9092', 'SASL_SSL://0.0.0.0:9093']);
    const advertised = parseAdvertisedListeners(['SASL_SSL://broker.example.com:19093'], listeners);
    expect(advertisedAddress(listeners[1]!, 9093, advertised, {})).toEqual({ host: 'broker.example.com', port: 19093 });
    expect(advertisedAddress(listeners[0]!, 9092, advertised, {})).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(advertisedAddress(listeners[0]!, 9092, advertised, { advertisedHost: 'h', advertisedPort: 1 })).toEqual({ host: 'h', port: 1 });
    expect(() => parseAdvertisedListeners(['SSL://x:1'], listeners)).toThrow(/no SSL listener/);
    expect(() => parseAdvertisedListeners(['SASL_SSL://x:1', 'SASL_SSL://y:2'], listeners)).toThrow(/twice/);
  });

  it('binds all or none: a TLS listener without TLS options fails and the bound ones are closed', async () => {
    const err = await bindListeners(parseListeners(['PLAINTEXT://127.0.0.1:0', 'SSL://127.0.0.1:0']), null).catch((e: unknown) => e);
    expect(isStreamsError(err, 'INVALID_CONFIG')).toBe(true);
    const [server] = await bindListeners(parseListeners(['PLAINTEXT://127.0.0.1:0']), null);
    expect(server!.listening).toBe(true);
    await new Promise((r) => server!.close(r));
  });
});
