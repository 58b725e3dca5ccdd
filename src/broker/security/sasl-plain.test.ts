import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parsePlainMessage, plainClientMessage, PlainServer } from './sasl-plain.js';
import type { CredentialLookup } from './sasl-mechanism.js';
import { scramCredential, type ScramCredential } from './scram.js';

const salt = Buffer.from('0123456789abcdef0123456789abcdef');
const alice512 = await scramCredential('sha512', 'wonderland', salt, 4096);
const bob256 = await scramCredential('sha256', 'builder', salt, 4096);
const lookup: CredentialLookup = {
  credential: (user, mechanism): ScramCredential | undefined =>
    user === 'alice' && mechanism === 'SCRAM-SHA-512' ? alice512 : user === 'bob' && mechanism === 'SCRAM-SHA-256' ? bob256 : undefined,
};

describe('PLAIN', () => {
  it('accepts the right password (against SCRAM-SHA-512, else SCRAM-SHA-256) and names the user', async () => {
    expect(await new PlainServer(lookup).step(plainClientMessage('alice', 'wonderland'))).toEqual({ kind: 'success', bytes: Buffer.alloc(0), username: 'alice' });
    expect(await new PlainServer(lookup).step(Buffer.from('alice\0alice\0wonderland'))).toMatchObject({ kind: 'success', username: 'alice' });
    expect(await new PlainServer(lookup).step(plainClientMessage('bob', 'builder'))).toMatchObject({ kind: 'success', username: 'bob' });
  });

  it('a wrong password and an unknown user are both "credentials" failures', async () => {
    expect(await new PlainServer(lookup).step(plainClientMessage('alice', 'wrong'))).toMatchObject({ kind: 'failure', reason: 'credentials', username: 'alice' });
    expect(await new PlainServer(lookup).step(plainClientMessage('nobody', 'wonderland'))).toMatchObject({ kind: 'failure', reason: 'credentials', username: 'nobody' });
    expect(await new PlainServer(lookup).step(Buffer.from('bob\0alice\0wonderland'))).toMatchObject({ kind: 'failure', reason: 'credentials' });
  });

  it('one message per exchange', async () => {
    const server = new PlainServer(lookup);
    await server.step(plainClientMessage('alice', 'wonderland'));
    expect(await server.step(plainClientMessage('alice', 'wonderland'))).toMatchObject({ kind: 'failure', reason: 'malformed' });
  });

  it('parses exactly three NUL-separated UTF-8 fields', () => {
    expect(parsePlainMessage(Buffer.from('\0u\0p'))).toEqual({ authzid: '', username: 'u', password: 'p' });
    for (const bad of ['', 'u', '\0u', '\0u\0', '\0\0p', '\0u\0p\0', 'a\0b\0c\0d', `\0${'u'.repeat(256)}\0p`]) expect(parsePlainMessage(Buffer.from(bad)), JSON.stringify(bad)).toBeNull();
    expect(parsePlainMessage(Buffer.from([0, 0xff, 0xfe, 0, 0x41]))).toBeNull();
  });

  test.prop([fc.uint8Array({ maxLength: 120 })], { numRuns: 200 })('random bytes never succeed and never throw', async (bytes) => {
    const step = await new PlainServer(lookup).step(Buffer.from(bytes));
    expect(step.kind).toBe('failure');
  });
});
