import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aclFilePath, readAclFile } from '../broker/security/acl-store.js';
import { runAclsCommand } from './acls-command.js';
import { UsageError } from './usage-error.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-acls-cli-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function acls(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAclsCommand([...args, '--data-dir', dir], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) });
  return { code, out, err };
}

describe('tributary acls', () => {
  it('adds every combination of principals, operations and resources, and lists them as kafka-acls does', async () => {
    const added = await acls('add', '--allow', '--principal', 'User:alice', '--principal', 'User:bob', '--operation', 'read', '--operation', 'Describe', '--topic', 'orders', '--group', 'app');
    expect(added.code).toBe(0);
    expect(added.out).toContain('Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`: \n \t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW) \n');
    expect(readAclFile(aclFilePath(dir))).toHaveLength(8);

    await acls('add', '--deny', '--principal', 'User:*', '--operation', 'Write', '--topic', 'app-', '--prefixed');
    await acls('add', '--allow', '--principal', 'User:alice', '--operation', 'IdempotentWrite', '--cluster');
    await acls('add', '--allow', '--principal', 'User:alice', '--operation', 'Write', '--transactional-id', 'app-0', '--host', '10.0.0.7');

    const all = await acls('list');
    expect(all.out).toContain('Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=app-, patternType=PREFIXED)`: \n \t(principal=User:*, host=*, operation=WRITE, permissionType=DENY) \n');
    expect(all.out).toContain('ResourcePattern(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL)');
    expect(all.out).toContain('(principal=User:alice, host=10.0.0.7, operation=WRITE, permissionType=ALLOW)');
    const bobs = await acls('list', '--principal', 'User:bob');
    expect(bobs.out.match(/principal=User:bob/g)).toHaveLength(4);
    expect(bobs.out).not.toContain('User:alice');
    const orders = await acls('list', '--topic', 'orders');
    expect(orders.out.match(/\t\(/g)).toHaveLength(4);
  });

  it('removes what matches, and fails when nothing does', async () => {
    await acls('add', '--allow', '--principal', 'User:alice', '--operation', 'Read', '--operation', 'Write', '--topic', 'orders');
    const removed = await acls('remove', '--principal', 'User:alice', '--operation', 'Write', '--topic', 'orders');
    expect(removed.code).toBe(0);
    expect(removed.out).toContain('operation=WRITE');
    expect(readAclFile(aclFilePath(dir)).map((b) => b.operation)).toEqual(['Read']);
    // A Prefixed pattern is another resource than the literal one.
    expect((await acls('remove', '--topic', 'orders', '--prefixed')).code).toBe(1);
    expect((await acls('remove', '--topic', 'orders')).code).toBe(0);
    expect(readAclFile(aclFilePath(dir))).toEqual([]);
    // The file stays: the broker's authorizer stays on.
    expect(fs.existsSync(aclFilePath(dir))).toBe(true);
  });

  it('refuses incomplete or contradictory command lines as usage errors', async () => {
    await expect(acls('add', '--principal', 'User:a', '--operation', 'Read', '--topic', 't')).rejects.toThrow(/--allow or --deny/);
    await expect(acls('add', '--allow', '--deny', '--principal', 'User:a', '--operation', 'Read', '--topic', 't')).rejects.toThrow(/not both/);
    await expect(acls('add', '--allow', '--principal', 'User:a', '--operation', 'Read')).rejects.toThrow(/needs a resource/);
    await expect(acls('add', '--allow', '--principal', 'User:a', '--operation', 'Fly', '--topic', 't')).rejects.toThrow(/unknown operation/);
    await expect(acls('add', '--allow', '--principal', 'alice', '--operation', 'Read', '--topic', 't')).rejects.toThrow(UsageError);
    await expect(acls('add', '--allow', '--principal', 'User:a', '--operation', 'Write', '--group', 'g')).rejects.toThrow(/does not apply to a Group/);
    await expect(acls('remove', '--principal', 'User:a')).rejects.toThrow(/needs a resource/);
    await expect(acls('grant')).rejects.toThrow(/unknown acls action/);
    await expect(runAclsCommand(['list'])).rejects.toThrow(/--data-dir/);
    expect(fs.existsSync(aclFilePath(dir))).toBe(false);
  });
});
