import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStreamsError } from '../../errors.js';
import { silentLogger } from '../../util/logger.js';
import type { Storage } from '../storage.js';
import type { AclBinding } from './acl.js';
import { aclFilePath, AclStore, readAclFile, watchAclFile } from './acl-store.js';
import { AclAuthorizer } from './authorizer.js';
import { openAuthorizer } from './authorizer-setup.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-acls-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const readOrders: AclBinding = { principal: 'User:alice', host: '*', operation: 'Read', permission: 'Allow', resourceType: 'Topic', resourceName: 'orders', patternType: 'Literal' };
const writeOrders: AclBinding = { ...readOrders, operation: 'Write' };

describe('AclStore', () => {
  it('adds, lists, removes, and survives a reopen', () => {
    const file = aclFilePath(dir);
    const store = AclStore.open(file);
    expect(store.list()).toEqual([]);
    expect(fs.existsSync(file)).toBe(false);
    expect(store.add([readOrders, writeOrders, readOrders])).toEqual([readOrders, writeOrders]);
    expect(store.add([readOrders])).toEqual([]); // already there
    expect(AclStore.open(file).list()).toEqual([readOrders, writeOrders]);
    expect(store.remove({ operation: 'Write' })).toEqual([writeOrders]);
    expect(AclStore.open(file).list({ principal: 'User:alice' })).toEqual([readOrders]);
    expect(store.remove({ principal: 'User:alice' })).toEqual([readOrders]);
    // The file stays, empty: the authorizer it turned on stays on.
    expect(readAclFile(file)).toEqual([]);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('writes nothing when a binding is invalid', () => {
    const store = AclStore.open(aclFilePath(dir));
    expect(() => store.add([readOrders, { ...readOrders, resourceType: 'Group', operation: 'Write' }])).toThrow(/does not apply/);
    expect(fs.existsSync(aclFilePath(dir))).toBe(false);
  });

  it('refuses a corrupt or foreign file rather than run without its ACLs', () => {
    const file = aclFilePath(dir);
    fs.writeFileSync(file, '{not json');
    expect(() => readAclFile(file)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    fs.writeFileSync(file, JSON.stringify({ version: 2, acls: [] }));
    expect(() => AclStore.open(file)).toThrow(/format version 1/);
    fs.writeFileSync(file, JSON.stringify({ version: 1, acls: [{ ...readOrders, host: 'nowhere' }] }));
    try {
      readAclFile(file);
      expect.unreachable();
    } catch (e: unknown) {
      expect(isStreamsError(e, 'INVALID_CONFIG')).toBe(true);
      expect((e as Error).message).toMatch(/entry 0: host 'nowhere'/);
    }
  });

  it('watchAclFile reports changes made by another writer', async () => {
    const file = aclFilePath(dir);
    const seen: AclBinding[][] = [];
    const errors: unknown[] = [];
    const stop = watchAclFile(file, 20, (acls) => seen.push(acls), (e) => errors.push(e));
    try {
      AclStore.open(file).add([readOrders]);
      await until(() => seen.length > 0);
      expect(seen.at(-1)).toEqual([readOrders]);
      fs.writeFileSync(file, 'garbage that is longer than before');
      await until(() => errors.length > 0);
      expect(isStreamsError(errors[0], 'INVALID_CONFIG')).toBe(true);
    } finally {
      stop();
    }
  });
});

describe('openAuthorizer', () => {
  const broker = (kind: 'file' | 'memory') => ({ dataDir: dir, storage: { kind } as Storage });

  it('is off without an ACL file, on with one, and as configured otherwise', () => {
    const logger = silentLogger();
    expect(openAuthorizer(broker('file'), {}, logger).authorizer).toBeUndefined();
    AclStore.open(aclFilePath(dir)).add([readOrders]);
    const on = openAuthorizer(broker('file'), { aclReloadIntervalMs: 0 }, logger);
    expect(on.authorizer).toBeInstanceOf(AclAuthorizer);
    expect(on.authorizer!.authorize('User:alice', '127.0.0.1', 'Read', 'Topic', 'orders')).toBe(true);
    expect(on.authorizer!.authorize('User:bob', '127.0.0.1', 'Read', 'Topic', 'orders')).toBe(false);
    expect(openAuthorizer(broker('file'), { authorizer: 'none' }, logger).authorizer).toBeUndefined();
    // In memory: no file; 'acl' starts empty, super users still pass.
    const memory = openAuthorizer(broker('memory'), { authorizer: 'acl', superUsers: ['User:admin'] }, logger);
    expect(memory.authorizer!.authorize('User:alice', '127.0.0.1', 'Read', 'Topic', 'orders')).toBe(false);
    expect(memory.authorizer!.authorize('User:admin', '127.0.0.1', 'Read', 'Topic', 'orders')).toBe(true);
  });

  it('reloads the ACLs when the file changes', async () => {
    const store = AclStore.open(aclFilePath(dir));
    store.add([]);
    const opened = openAuthorizer(broker('file'), { aclReloadIntervalMs: 20 }, silentLogger());
    try {
      expect(opened.authorizer!.authorize('User:alice', '127.0.0.1', 'Read', 'Topic', 'orders')).toBe(false);
      store.add([readOrders]);
      await until(() => opened.authorizer!.authorize('User:alice', '127.0.0.1', 'Read', 'Topic', 'orders'));
    } finally {
      opened.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
