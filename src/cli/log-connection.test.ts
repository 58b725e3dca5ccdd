import { describe, expect, it } from 'vitest';
import { logTarget, securityOptions } from './log-connection.js';
import { UsageError } from './usage-error.js';

describe('--broker security options', () => {
  it('maps Kafka security protocols to client TLS/SASL options, flags over environment variables', () => {
    expect(securityOptions({}, {})).toEqual({});
    expect(securityOptions({ 'security-protocol': 'ssl', 'ssl-ca': 'ca.pem' }, {})).toEqual({ ssl: { ca: 'ca.pem' } });
    expect(securityOptions({ 'security-protocol': 'SSL' }, {})).toEqual({ ssl: true });
    expect(securityOptions({ 'security-protocol': 'SASL_PLAINTEXT', 'sasl-mechanism': 'PLAIN', 'sasl-username': 'a' }, { TRIBUTARY_SASL_PASSWORD: 'p' })).toEqual({
      sasl: { mechanism: 'plain', username: 'a', password: 'p' },
    });
    const env = { TRIBUTARY_SECURITY_PROTOCOL: 'SASL_SSL', TRIBUTARY_SASL_USERNAME: 'env-user', TRIBUTARY_SASL_PASSWORD: 'env-pw', TRIBUTARY_SSL_CA: 'env-ca.pem' };
    expect(securityOptions({ 'sasl-username': 'flag-user' }, env)).toEqual({ ssl: { ca: 'env-ca.pem' }, sasl: { mechanism: 'scram-sha-512', username: 'flag-user', password: 'env-pw' } });
    expect(logTarget('h:9093', undefined, env, true)).toEqual({
      kind: 'network',
      bootstrapServers: ['h:9093'],
      security: { ssl: { ca: 'env-ca.pem' }, sasl: { mechanism: 'scram-sha-512', username: 'env-user', password: 'env-pw' } },
    });
    expect(logTarget('h:9092', undefined, {}, true)).toEqual({ kind: 'network', bootstrapServers: ['h:9092'] });
  });

  it('refuses contradictions and gaps', () => {
    for (const flags of [
      { 'security-protocol': 'TLS' },
      { 'ssl-ca': 'ca.pem' },
      { 'sasl-username': 'a' },
      { 'security-protocol': 'SASL_SSL', 'sasl-username': 'a' },
      { 'security-protocol': 'SASL_SSL', 'sasl-username': 'a', 'sasl-password': 'p', 'sasl-mechanism': 'GSSAPI' },
    ]) {
      expect(() => securityOptions(flags, {}), JSON.stringify(flags)).toThrow(UsageError);
    }
  });
});
