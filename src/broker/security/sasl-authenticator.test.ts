import { describe, expect, it, vi } from 'vitest';
import { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from '../../protocol/messages.js';
import { silentLogger } from '../../util/logger.js';
import type { TimerHandle, Timers } from '../../util/timers.js';
import type { ApiHandler, RequestContext } from '../server/handler.js';
import { saslServerConfig, SaslAuthenticator, type SaslServerConfig } from './sasl-authenticator.js';
import type { CredentialLookup } from './sasl-mechanism.js';
import { plainClientMessage } from './sasl-plain.js';
import { scramCredential } from './scram.js';
import { ScramClient } from './scram-client.js';

/** Timers a test fires by hand. */
class ManualTimers implements Timers {
  readonly pending: { fn: () => void; ms: number }[] = [];
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = { fn, ms };
    this.pending.push(t);
    return t;
  }
  clearTimeout(handle: TimerHandle): void {
    const i = this.pending.indexOf(handle as { fn: () => void; ms: number });
    if (i >= 0) this.pending.splice(i, 1);
  }
  fireAll(): void {
    for (const t of this.pending.splice(0)) t.fn();
  }
}

const alice = await scramCredential('sha512', 'alice-secret', Buffer.from('fixed-salt-for-tests'), 4096);
const credentials: CredentialLookup & { refreshes: number; refresh(): Promise<void> } = {
  refreshes: 0,
  credential: (user, mechanism) => (user === 'alice' && mechanism === 'SCRAM-SHA-512' ? alice : undefined),
  async refresh() {
    this.refreshes++;
  },
};

function setup(overrides: Partial<SaslServerConfig> = {}) {
  const timers = new ManualTimers();
  const events: string[] = [];
  const warnings: unknown[] = [];
  const logger = silentLogger();
  logger.warn = ((obj: unknown) => void warnings.push(obj)) as typeof logger.warn;
  const config: SaslServerConfig = { mechanisms: ['PLAIN', 'SCRAM-SHA-512'], credentials, failedAuthenticationDelayMs: 100, timers, ...overrides };
  const sasl = new SaslAuthenticator(config, {
    peer: '10.0.0.7:5555',
    logger,
    onAuthenticated: (p) => events.push(`authenticated ${p}`),
    onFailed: () => events.push('failed'),
  });
  const ctx = { apiVersion: 1 } as RequestContext;
  const handshake = (mechanism: string) => (sasl.handler(ApiKey.SaslHandshake) as ApiHandler<typeof ApiKey.SaslHandshake>)(ctx, { mechanism }) as SaslHandshakeResponse | Promise<SaslHandshakeResponse>;
  const authenticate = (bytes: Buffer) =>
    (sasl.handler(ApiKey.SaslAuthenticate) as ApiHandler<typeof ApiKey.SaslAuthenticate>)(ctx, { authBytes: bytes }) as Promise<SaslAuthenticateResponse>;
  return { sasl, timers, events, warnings, handshake, authenticate };
}

describe('SaslAuthenticator', () => {
  it('lets only ApiVersions and the SASL requests through before authentication, everything after', async () => {
    const { sasl, handshake, authenticate, events } = setup();
    for (const key of [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]) expect(sasl.permits(key)).toBe(true);
    for (const key of [ApiKey.Metadata, ApiKey.Produce, ApiKey.Fetch, ApiKey.FindCoordinator, 9999]) expect(sasl.permits(key)).toBe(false);
    expect(await handshake('PLAIN')).toEqual({ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] });
    const r = await authenticate(plainClientMessage('alice', 'alice-secret'));
    expect(r).toMatchObject({ errorCode: 0, errorMessage: null });
    expect(sasl.isAuthenticated).toBe(true);
    expect(sasl.permits(ApiKey.Metadata)).toBe(true);
    expect(events).toEqual(['authenticated User:alice']);
    expect(sasl.handler(ApiKey.Metadata)).toBeUndefined();
  });

  it('SCRAM-SHA-512 takes two SaslAuthenticate round trips and refreshes the credentials before each', async () => {
    const { sasl, handshake, authenticate, events } = setup();
    const before = credentials.refreshes;
    await handshake('SCRAM-SHA-512');
    const client = new ScramClient('SCRAM-SHA-512', 'alice', 'alice-secret');
    const first = await authenticate(client.first());
    expect(first.errorCode).toBe(0);
    expect(sasl.isAuthenticated).toBe(false);
    const final = await authenticate(await client.final(first.authBytes));
    expect(final.errorCode).toBe(0);
    client.verify(final.authBytes);
    expect(events).toEqual(['authenticated User:alice']);
    expect(credentials.refreshes - before).toBe(2);
  });

  it('a failure is logged, answered after the delay with a message that does not tell whether the user exists, and closes', async () => {
    const messages: (string | null)[] = [];
    for (const [user, password] of [['alice', 'wrong'], ['nobody', 'alice-secret']] as const) {
      const { handshake, authenticate, timers, events, warnings, sasl } = setup();
      await handshake('PLAIN');
      let answered: SaslAuthenticateResponse | null = null;
      const pending = authenticate(plainClientMessage(user, password)).then((r) => (answered = r));
      await vi.waitFor(() => expect(events).toEqual(['failed'])); // stops reading once PBKDF2 has said no
      expect(answered).toBeNull(); // but answers only after the delay
      expect(timers.pending.map((t) => t.ms)).toEqual([100]);
      timers.fireAll();
      await pending;
      expect(answered).toMatchObject({ errorCode: KafkaErrorCode.SASL_AUTHENTICATION_FAILED });
      messages.push(answered!.errorMessage);
      expect(warnings).toEqual([{ peer: '10.0.0.7:5555', mechanism: 'PLAIN', user, reason: expect.any(String) }]);
      expect(sasl.permits(ApiKey.ApiVersions)).toBe(false);
    }
    expect(messages[0]).toBe(messages[1]);
    expect(messages[0]).not.toMatch(/alice|nobody|exist|unknown|password/i);
  });

  it('an unknown mechanism gets UNSUPPORTED_SASL_MECHANISM with the enabled list, then a delayed close', async () => {
    const { handshake, timers, events } = setup({ failedAuthenticationDelayMs: 0 });
    expect(await handshake('GSSAPI')).toEqual({ errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] });
    expect(events).toEqual(['failed']);
    expect(timers.pending).toEqual([]);
  });

  it('requests out of order get ILLEGAL_SASL_STATE and close; after success they are answered and the connection stays', async () => {
    const a = setup();
    expect(await a.authenticate(Buffer.from('x'))).toMatchObject({ errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE });
    expect(a.events).toEqual(['failed']);
    const b = setup();
    await b.handshake('PLAIN');
    expect(await b.handshake('PLAIN')).toMatchObject({ errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE });
    expect(b.events).toEqual(['failed']);
    const c = setup();
    await c.handshake('PLAIN');
    await c.authenticate(plainClientMessage('alice', 'alice-secret'));
    expect(await c.handshake('PLAIN')).toMatchObject({ errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE });
    expect(await c.authenticate(Buffer.from('again'))).toMatchObject({ errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE });
    expect(c.events).toEqual(['authenticated User:alice']);
  });

  it('a v0 handshake (raw SASL tokens would follow) is refused with UNSUPPORTED_VERSION and closes', async () => {
    const { sasl, events } = setup({ failedAuthenticationDelayMs: 0 });
    const v0 = (sasl.handler(ApiKey.SaslHandshake) as ApiHandler<typeof ApiKey.SaslHandshake>)({ apiVersion: 0 } as RequestContext, { mechanism: 'PLAIN' });
    expect(await v0).toMatchObject({ errorCode: KafkaErrorCode.UNSUPPORTED_VERSION });
    expect(events).toEqual(['failed']);
  });

  it('saslServerConfig fills defaults and refuses unknown mechanisms', () => {
    const config = saslServerConfig('/nonexistent-tributary-dir', { credentials });
    expect(config.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    expect(config.failedAuthenticationDelayMs).toBe(100);
    expect(() => saslServerConfig('/x', { credentials, mechanisms: ['GSSAPI' as never] })).toThrow(/unknown SASL mechanism/);
    expect(() => saslServerConfig('/x', { credentials, mechanisms: [] })).toThrow(/at least one/);
  });
});
