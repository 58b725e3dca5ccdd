import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialStore } from '../broker/security/credential-store.js';
import { PlainServer } from '../broker/security/sasl-plain.js';
import { runUsersCommand } from './users-command.js';
import { UsageError } from './usage-error.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function users(args: readonly string[], stdin: readonly string[] = []): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runUsersCommand(args, { stdout: { write: (t: string) => (out += t) }, stdin: (async function* () { yield* stdin; })() });
  return { code, out };
}

describe('tributary users', () => {
  it('adds (password from stdin or the command line), lists and removes users in the data directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-users-'));
    dirs.push(dir);
    expect(await users(['add', 'alice', '--password-stdin', '--data-dir', dir], ['wonder', 'land\nignored\n'])).toEqual({
      code: 0,
      out: 'Added user alice (SCRAM-SHA-256, SCRAM-SHA-512, 4096 iterations).\n',
    });
    expect((await users(['add', 'bob', '--password', 'b', '--mechanism', 'scram-sha-512', '--iterations', '8192', '--data-dir', dir])).code).toBe(0);
    expect((await users(['list', '--data-dir', dir])).out).toBe(
      'USER   MECHANISMS\n' + 'alice  SCRAM-SHA-256(iterations=4096),SCRAM-SHA-512(iterations=4096)\n' + 'bob    SCRAM-SHA-512(iterations=8192)\n',
    );
    const store = CredentialStore.forDataDir(dir);
    expect(await new PlainServer(store).step(Buffer.from('\0alice\0wonderland'))).toMatchObject({ kind: 'success' });
    expect(await users(['remove', 'bob', '--data-dir', dir])).toEqual({ code: 0, out: 'Removed user bob.\n' });
    expect((await users(['remove', 'bob', '--data-dir', dir])).code).toBe(1);
    expect((await users(['list', '--data-dir', dir])).out).not.toContain('bob');
  });

  it('refuses bad command lines', async () => {
    for (const args of [
      ['add', 'alice', '--data-dir', '/tmp/x'],
      ['add', 'alice', '--password', 'p', '--password-stdin', '--data-dir', '/tmp/x'],
      ['add', 'alice', '--password', 'p'],
      ['add', 'alice', '--password', 'p', '--mechanism', 'MD5', '--data-dir', '/tmp/x'],
      ['list', '--password', 'p', '--data-dir', '/tmp/x'],
      ['frobnicate', '--data-dir', '/tmp/x'],
      ['add', '--password', 'p', '--data-dir', '/tmp/x'],
    ]) {
      await expect(users(args), args.join(' ')).rejects.toBeInstanceOf(UsageError);
    }
  });
});
