import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPem, rfc2253Subject, tlsClientOptions, tlsServerOptions } from './tls.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('tls', () => {
  it('formats a certificate subject as Java X500Principal.getName() (RFC 2253), most specific first', () => {
    expect(rfc2253Subject('C=US\nO=Acme\\, Inc.\nOU=eng\nCN=alice')).toBe('CN=alice,OU=eng,O=Acme\\, Inc.,C=US');
    expect(rfc2253Subject('DC=com\nDC=example\nOU=eng + O=Acme\nstreet=Main St\nUID=b1')).toBe('UID=b1,STREET=Main St,OU=eng+O=Acme,DC=example,DC=com');
    // Java writes emailAddress as its OID with the DER IA5String in hex.
    expect(rfc2253Subject('CN=bob\nemailAddress=bob@example.com')).toBe(`1.2.840.113549.1.9.1=#16${(15).toString(16).padStart(2, '0')}${Buffer.from('bob@example.com').toString('hex')},CN=bob`);
    expect(rfc2253Subject('CN=a\\2Cb')).toBe('CN=a\\2Cb');
  });

  it('reads PEM from a path, from text or from bytes; refuses anything else', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-tls-'));
    try {
      const file = path.join(dir, 'c.pem');
      fs.writeFileSync(file, PEM);
      expect(readPem(file, 'cert').toString()).toBe(PEM);
      expect(readPem(PEM, 'cert').toString()).toBe(PEM);
      expect(readPem(Buffer.from(PEM), 'cert').toString()).toBe(PEM);
      expect(() => readPem(path.join(dir, 'missing.pem'), '--tls-cert')).toThrow(/--tls-cert: cannot read/);
      fs.writeFileSync(file, 'garbage');
      expect(() => readPem(file, '--tls-key')).toThrow(/no PEM block/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for client certificates exactly when a CA is given (unless turned off)', () => {
    expect(tlsServerOptions({ cert: PEM, key: PEM })).toMatchObject({ requestCert: false, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
    expect(tlsServerOptions({ cert: PEM, key: PEM, ca: PEM })).toMatchObject({ requestCert: true, rejectUnauthorized: true });
    expect(tlsServerOptions({ cert: PEM, key: PEM, ca: PEM, requestClientCert: false })).toMatchObject({ requestCert: false });
    expect(() => tlsServerOptions({ cert: PEM, key: PEM, requestClientCert: true })).toThrow(/needs a CA/);
  });

  it('client options: SNI for host names, not for IP addresses; verification on by default', () => {
    expect(tlsClientOptions('broker.local', 9093, true)).toMatchObject({ servername: 'broker.local', rejectUnauthorized: true });
    expect(tlsClientOptions('127.0.0.1', 9093, { ca: PEM })).not.toHaveProperty('servername');
    expect(tlsClientOptions('127.0.0.1', 9093, { rejectUnauthorized: false }).rejectUnauthorized).toBe(false);
  });
});
