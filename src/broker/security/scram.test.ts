import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../../errors.js';
import type { CredentialLookup, SaslStep } from './sasl-mechanism.js';
import {
  clientKeyOf,
  decodeSaslName,
  encodeSaslName,
  hmac,
  parseClientFinal,
  parseClientFirst,
  parseServerFinal,
  parseServerFirst,
  saltedPassword,
  scramCredential,
  storedKeyOf,
  xor,
  type ScramCredential,
  type ScramHash,
} from './scram.js';
import { ScramClient } from './scram-client.js';
import { ScramServer } from './scram-server.js';

/** RFC 5802 section 5 (SHA-1) and RFC 7677 section 3 (SHA-256): user 'user', password 'pencil'. */
const VECTORS = [
  {
    rfc: 'RFC 5802',
    hash: 'sha1' as ScramHash,
    clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
    serverNonce: '3rfcNHYJY1ZVvWVs7j',
    salt: 'QSXCR+Q6sek8bf92',
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    rfc: 'RFC 7677',
    hash: 'sha256' as ScramHash,
    clientNonce: 'rOprNGfwEbeRWgbNEkqO',
    serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
] as const;

function lookupOf(users: Record<string, ScramCredential>): CredentialLookup {
  return { credential: (name) => (Object.hasOwn(users, name) ? users[name] : undefined) };
}

function text(step: SaslStep): string {
  if (step.kind === 'failure') throw new Error(`unexpected failure: ${step.detail}`);
  return step.bytes.toString('utf8');
}

describe.each(VECTORS)('$rfc test vector', (v) => {
  it('the client sends exactly the RFC messages and accepts the server signature', async () => {
    const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', { clientNonce: v.clientNonce, hash: v.hash });
    expect(client.first().toString()).toBe(v.clientFirst);
    expect((await client.final(Buffer.from(v.serverFirst))).toString()).toBe(v.clientFinal);
    expect(() => client.verify(Buffer.from(v.serverFinal))).not.toThrow();
  });

  it('the server answers exactly the RFC messages from the stored credential', async () => {
    const credential = await scramCredential(v.hash, 'pencil', Buffer.from(v.salt, 'base64'), 4096);
    const server = new ScramServer('SCRAM-SHA-256', lookupOf({ user: credential }), { serverNonce: () => v.serverNonce, hash: v.hash });
    expect(text(server.step(Buffer.from(v.clientFirst)))).toBe(v.serverFirst);
    const final = server.step(Buffer.from(v.clientFinal));
    expect(final).toMatchObject({ kind: 'success', username: 'user' });
    expect(text(final)).toBe(v.serverFinal);
  });

  it('the server refuses the RFC exchange with one bit of the proof flipped', async () => {
    const credential = await scramCredential(v.hash, 'pencil', Buffer.from(v.salt, 'base64'), 4096);
    const server = new ScramServer('SCRAM-SHA-256', lookupOf({ user: credential }), { serverNonce: () => v.serverNonce, hash: v.hash });
    server.step(Buffer.from(v.clientFirst));
    const parsed = parseClientFinal(v.clientFinal)!;
    const proof = Buffer.from(parsed.proof);
    proof[0] = proof[0]! ^ 1;
    expect(server.step(Buffer.from(`${parsed.withoutProof},p=${proof.toString('base64')}`))).toMatchObject({ kind: 'failure', reason: 'credentials' });
  });

  it('the client refuses a server signature that does not match', async () => {
    const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', { clientNonce: v.clientNonce, hash: v.hash });
    await client.final(Buffer.from(v.serverFirst));
    expect(parseServerFinal(v.serverFinal)).toHaveProperty('verifier');
    expect(() => client.verify(Buffer.from('v=' + Buffer.alloc(v.hash === 'sha1' ? 20 : 32, 1).toString('base64')))).toThrow(/server signature/);
  });
});

/** Runs one exchange between our client and our server; the server's last step. */
async function exchange(server: ScramServer, client: ScramClient): Promise<SaslStep> {
  const first = server.step(client.first());
  if (first.kind !== 'challenge') return first;
  const final = server.step(await client.final(first.bytes));
  if (final.kind === 'success') client.verify(final.bytes);
  return final;
}

describe('SCRAM-SHA-256/512 between our client and our server', () => {
  const nameArb = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/[\u0000-\u001f]/.test(s));
  test.prop([fc.constantFrom('SCRAM-SHA-256', 'SCRAM-SHA-512' as const), nameArb, fc.string({ minLength: 1, maxLength: 20 })], { numRuns: 12 })(
    'any user name (commas and equals signs included) and password authenticate',
    async (mechanism, user, password) => {
      const credential = await scramCredential(mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512', password, Buffer.from('salt-salt-salt'), 4096);
      const server = new ScramServer(mechanism, lookupOf({ [user]: credential }));
      const step = await exchange(server, new ScramClient(mechanism, user, password));
      expect(step).toMatchObject({ kind: 'success', username: user });
    },
  );

  it("accepts librdkafka 2.0's client-final nonce (its own nonce repeated before the combined one), as Kafka does", async () => {
    const credential = await scramCredential('sha512', 'pw', Buffer.from('0123456789abcdef'), 4096);
    const server = new ScramServer('SCRAM-SHA-512', lookupOf({ alice: credential }));
    const serverFirst = text(server.step(Buffer.from('n,,n=alice,r=cnonce')));
    const { nonce, salt, iterations } = parseServerFirst(serverFirst)!;
    const withoutProof = `c=biws,r=cnonce${nonce}`;
    const clientKey = clientKeyOf('sha512', await saltedPassword('sha512', 'pw', salt, iterations));
    const proof = xor(clientKey, hmac('sha512', storedKeyOf('sha512', clientKey), `n=alice,r=cnonce,${serverFirst},${withoutProof}`));
    expect(server.step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`))).toMatchObject({ kind: 'success', username: 'alice' });
  });

  it('a wrong password and an unknown user fail the same way, at the proof', async () => {
    const credential = await scramCredential('sha512', 'right', Buffer.from('0123456789abcdef'), 4096);
    const lookup = lookupOf({ alice: credential });
    const wrong = await exchange(new ScramServer('SCRAM-SHA-512', lookup), new ScramClient('SCRAM-SHA-512', 'alice', 'wrong'));
    const unknown = await exchange(new ScramServer('SCRAM-SHA-512', lookup), new ScramClient('SCRAM-SHA-512', 'mallory', 'right'));
    expect(wrong).toMatchObject({ kind: 'failure', reason: 'credentials', username: 'alice' });
    expect(unknown).toMatchObject({ kind: 'failure', reason: 'credentials', username: 'mallory' });
  });

  it('an unknown user sees a plausible server-first: the same salt on every attempt, the default iterations', () => {
    const lookup = lookupOf({});
    const first = (): ReturnType<typeof parseServerFirst> =>
      parseServerFirst(text(new ScramServer('SCRAM-SHA-512', lookup).step(Buffer.from('n,,n=ghost,r=abc'))));
    const a = first()!;
    const b = first()!;
    expect(a.iterations).toBe(4096);
    expect(a.salt.equals(b.salt)).toBe(true);
    expect(a.salt.length).toBeGreaterThanOrEqual(16);
    expect(a.nonce).not.toBe(b.nonce);
  });

  it('refuses a replayed nonce, a channel binding that differs, an authzid for someone else, delegation tokens', async () => {
    const credential = await scramCredential('sha256', 'pw', Buffer.from('0123456789abcdef'), 4096);
    const lookup = lookupOf({ alice: credential, bob: credential });
    const s1 = new ScramServer('SCRAM-SHA-256', lookup);
    s1.step(Buffer.from('n,,n=alice,r=abc'));
    expect(s1.step(Buffer.from(`c=biws,r=abcSOMETHINGELSE,p=${Buffer.alloc(32).toString('base64')}`))).toMatchObject({ kind: 'failure', reason: 'malformed' });
    const s2 = new ScramServer('SCRAM-SHA-256', lookup);
    const first = parseServerFirst(text(s2.step(Buffer.from('n,,n=alice,r=abc'))))!;
    expect(s2.step(Buffer.from(`c=eSws,r=${first.nonce},p=${Buffer.alloc(32).toString('base64')}`))).toMatchObject({ kind: 'failure', reason: 'malformed' });
    expect(new ScramServer('SCRAM-SHA-256', lookup).step(Buffer.from('n,a=bob,n=alice,r=abc'))).toMatchObject({ kind: 'failure', reason: 'credentials' });
    expect(new ScramServer('SCRAM-SHA-256', lookup).step(Buffer.from('n,,n=alice,r=abc,tokenauth=true'))).toMatchObject({ kind: 'failure' });
    expect(new ScramServer('SCRAM-SHA-256', lookup).step(Buffer.from('p=tls-unique,,n=alice,r=abc'))).toMatchObject({ kind: 'failure', reason: 'malformed' });
    // After a failure, the exchange is over.
    const s3 = new ScramServer('SCRAM-SHA-256', lookup);
    s3.step(Buffer.from('garbage'));
    expect(s3.step(Buffer.from('n,,n=alice,r=abc'))).toMatchObject({ kind: 'failure' });
  });

  it('the client refuses a server-first that lowers the iterations or does not extend its nonce', async () => {
    const client = new ScramClient('SCRAM-SHA-512', 'alice', 'pw', { clientNonce: 'abc' });
    await expect(client.final(Buffer.from('r=abcdef,s=c2FsdA==,i=1000'))).rejects.toSatisfy((e: unknown) => isStreamsError(e, 'AUTHENTICATION_FAILED'));
    await expect(client.final(Buffer.from('r=xyzdef,s=c2FsdA==,i=4096'))).rejects.toThrow(/nonce/);
    await expect(client.final(Buffer.from('r=abc,s=c2FsdA==,i=4096'))).rejects.toThrow(/nonce/);
    expect(() => new ScramClient('SCRAM-SHA-512', 'a', 'b').verify(Buffer.from('v=AAAA'))).toThrow(/before client-final/);
  });
});

describe('message grammar', () => {
  it('user names escape , and = (RFC 5802 saslname)', () => {
    expect(encodeSaslName('a,b=c')).toBe('a=2Cb=3Dc');
    expect(decodeSaslName('a=2Cb=3Dc')).toBe('a,b=c');
    expect(decodeSaslName('a=b')).toBeNull();
    expect(parseClientFirst('n,,n=a=2Cb,r=x')?.username).toBe('a,b');
  });

  it('parses the parts of a client-first message', () => {
    expect(parseClientFirst('y,a=alice,n=alice,r=nonce,ext=1')).toEqual({
      gs2Header: 'y,a=alice,',
      authzid: 'alice',
      username: 'alice',
      nonce: 'nonce',
      extensions: new Map([['ext', '1']]),
      bare: 'n=alice,r=nonce,ext=1',
    });
    for (const bad of ['', 'n', 'n,', 'n,,', 'n,,n=,r=x', 'n,,r=x,n=a', 'n,,n=a', 'n,,n=a,r=', 'n,,n=a,r=x,m=1', 'x,,n=a,r=x', 'n,b,n=a,r=x']) {
      expect(parseClientFirst(bad), bad).toBeNull();
    }
  });

  test.prop([fc.string({ maxLength: 200 })], { numRuns: 500 })('parsers return null or a value for any input, never throw', (s) => {
    expect(() => [parseClientFirst(s), parseClientFinal(s), parseServerFirst(s), parseServerFinal(s), decodeSaslName(s)]).not.toThrow();
  });

  test.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: 300 })('a server fed random bytes fails cleanly at either step', async (bytes) => {
    const credential = await scramCredentialCached();
    const server = new ScramServer('SCRAM-SHA-512', lookupOf({ alice: credential }));
    const first = server.step(Buffer.from(bytes));
    expect(['failure', 'challenge']).toContain(first.kind);
    const second = server.step(Buffer.from(bytes));
    expect(second.kind).toBe('failure');
  });
});

let cached: ScramCredential | null = null;
async function scramCredentialCached(): Promise<ScramCredential> {
  cached ??= await scramCredential('sha512', 'pw', Buffer.from('0123456789abcdef'), 4096);
  return cached;
}
