import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStreamsError } from '../../errors.js';
import { CredentialStore } from './credential-store.js';
import { PlainServer } from './sasl-plain.js';
import { ScramClient } from './scram-client.js';
import { ScramServer } from './scram-server.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-credentials-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('CredentialStore', () => {
  it('starts empty without a file, and stores salted, iterated keys but never the password', async () => {
    const store = CredentialStore.forDataDir(dir);
    expect(store.users()).toEqual([]);
    await store.addUser('alice', 'alice-secret');
    expect(store.users()).toEqual([
      { name: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
    ]);
    const text = fs.readFileSync(store.file, 'utf8');
    expect(text).not.toContain('alice-secret');
    expect(text).not.toContain(Buffer.from('alice-secret').toString('base64'));
    expect(store.file).toBe(path.join(dir, 'security', 'credentials.json'));
    expect(fs.statSync(path.dirname(store.file)).mode & 0o777).toBe(0o700);
    const a256 = store.credential('alice', 'SCRAM-SHA-256')!;
    const a512 = store.credential('alice', 'SCRAM-SHA-512')!;
    expect([a256.storedKey.length, a512.storedKey.length]).toEqual([32, 64]);
    expect(a256.salt.equals(a512.salt)).toBe(false);
  });

  it('survives a reopen: a SCRAM exchange and PLAIN succeed against the reread credentials', async () => {
    await CredentialStore.forDataDir(dir).addUser('bob', 'b0b!', { mechanisms: ['SCRAM-SHA-512'], iterations: 5000 });
    const reopened = CredentialStore.forDataDir(dir);
    expect(reopened.credential('bob', 'SCRAM-SHA-512')?.iterations).toBe(5000);
    expect(reopened.credential('bob', 'SCRAM-SHA-256')).toBeUndefined();
    const server = new ScramServer('SCRAM-SHA-512', reopened);
    const client = new ScramClient('SCRAM-SHA-512', 'bob', 'b0b!');
    const first = server.step(client.first());
    expect(first.kind).toBe('challenge');
    const final = server.step(await client.final((first as { bytes: Buffer }).bytes));
    expect(final).toMatchObject({ kind: 'success', username: 'bob' });
    expect(await new PlainServer(reopened).step(Buffer.from('\0bob\0b0b!'))).toMatchObject({ kind: 'success', username: 'bob' });
  });

  it('refresh() picks up another process adding and removing users; removeUser reports absence', async () => {
    const broker = CredentialStore.forDataDir(dir);
    const cli = CredentialStore.forDataDir(dir);
    await cli.addUser('carol', 'pw1', { mechanisms: ['SCRAM-SHA-256'] });
    expect(broker.hasUser('carol')).toBe(false);
    await broker.refresh();
    expect(broker.hasUser('carol')).toBe(true);
    expect(cli.removeUser('carol')).toBe(true);
    expect(cli.removeUser('carol')).toBe(false);
    await broker.refresh();
    expect(broker.hasUser('carol')).toBe(false);
  });

  it('a replaced password only works with the new password', async () => {
    const store = CredentialStore.forDataDir(dir);
    await store.addUser('dave', 'old', { mechanisms: ['SCRAM-SHA-512'] });
    await store.addUser('dave', 'new', { mechanisms: ['SCRAM-SHA-512'] });
    expect(await new PlainServer(store).step(Buffer.from('\0dave\0old'))).toMatchObject({ kind: 'failure', reason: 'credentials' });
    expect(await new PlainServer(store).step(Buffer.from('\0dave\0new'))).toMatchObject({ kind: 'success' });
  });

  it('keeps names like __proto__ as ordinary users', async () => {
    const store = CredentialStore.forDataDir(dir);
    await store.addUser('__proto__', 'pw', { mechanisms: ['SCRAM-SHA-256'] });
    expect(CredentialStore.forDataDir(dir).users().map((u) => u.name)).toEqual(['__proto__']);
  });

  it('refuses bad input: empty or control-character names, empty passwords, too few iterations', async () => {
    const store = CredentialStore.forDataDir(dir);
    for (const [name, pw, iterations] of [['', 'pw', 4096], ['a\nb', 'pw', 4096], ['x'.repeat(256), 'pw', 4096], ['a', '', 4096], ['a', 'pw', 4095], ['a', 'pw', 4096.5]] as const) {
      await expect(store.addUser(name, pw, { iterations })).rejects.toSatisfy((e: unknown) => isStreamsError(e, 'INVALID_CONFIG'));
    }
    await expect(store.addUser('a', 'pw', { mechanisms: [] })).rejects.toThrow(/at least one/);
    expect(fs.existsSync(store.file)).toBe(false);
  });

  it('a corrupt file fails at open; at refresh the users read before stay', async () => {
    const store = CredentialStore.forDataDir(dir);
    await store.addUser('erin', 'pw', { mechanisms: ['SCRAM-SHA-256'] });
    fs.writeFileSync(store.file, '{"version":1,"users":{"erin":{"SCRAM-SHA-256":{"salt":"AA=="}}}}');
    await expect(store.refresh()).rejects.toSatisfy((e: unknown) => isStreamsError(e, 'INVALID_CONFIG'));
    expect(store.hasUser('erin')).toBe(true);
    expect(() => CredentialStore.forDataDir(dir)).toThrow(/invalid/);
    fs.writeFileSync(store.file, 'not json');
    expect(() => CredentialStore.forDataDir(dir)).toThrow(/not JSON/);
    fs.writeFileSync(store.file, '{"version":1,"users":{"erin":{"SCRAM-MD5":{}}}}');
    expect(() => CredentialStore.forDataDir(dir)).toThrow(/unknown mechanism/);
  });
});
