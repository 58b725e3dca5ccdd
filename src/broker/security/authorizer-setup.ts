/**
 * Turns a server's authorization options into the {@link Authorizer} its handlers ask: which authorizer runs, where
 * its ACLs come from, and how they are reloaded when `tributary acls` changes them.
 */
import * as fs from 'node:fs';
import type { Logger } from '../../util/logger.js';
import type { Broker } from '../broker.js';
import { aclFilePath, readAclFile, watchAclFile } from './acl-store.js';
import { AclAuthorizer, type Authorizer } from './authorizer.js';

/**
 * The authorization settings of a Kafka-protocol server (KafkaServerOptions extends this).
 *
 * @example
 * ```ts
 * await KafkaServer.listen(broker, { authorizer: 'acl', superUsers: ['User:admin'] });
 * ```
 */
export interface AuthorizationOptions {
  /**
   * Kafka's `authorizer.class.name`: `'acl'` authorizes every request against the ACLs of the data directory
   * (`acls.json`, managed with `tributary acls`); `'none'` allows everything (ACLs, if any, are ignored, with a
   * warning); or an {@link Authorizer} of your own. Default: `'acl'` when the data directory has an ACL file (any
   * `tributary acls add` creates it, and it stays when the last ACL is removed), else `'none'`, so a broker nobody
   * secured keeps working as before.
   */
  readonly authorizer?: 'acl' | 'none' | Authorizer;
  /** Kafka's `super.users`: principals allowed everything (`['User:admin']`). */
  readonly superUsers?: readonly string[];
  /** Kafka's `allow.everyone.if.no.acl.found`: allow resources no ACL names at all; default false (deny). */
  readonly allowEveryoneIfNoAclFound?: boolean;
  /** How often the ACL file is checked for changes, ms; default 1000, 0 never (ACLs as at start). */
  readonly aclReloadIntervalMs?: number;
}

/**
 * The authorizer of a server (undefined: allow everything) and the function that stops its file watch.
 *
 * @example
 * ```ts
 * const { authorizer, close } = openAuthorizer(broker, options, logger);
 * ```
 */
export interface OpenedAuthorizer {
  readonly authorizer: Authorizer | undefined;
  close(): void;
}

/**
 * Builds the authorizer `options` ask for over `broker`'s data directory, and watches its ACL file. An in-memory
 * broker has no file: `'acl'` then starts with no ACLs (only super users, or everyone with
 * allowEveryoneIfNoAclFound). Throws INVALID_CONFIG when the ACL file is corrupt: a broker must not start with
 * security it cannot read.
 *
 * @example
 * ```ts
 * const opened = openAuthorizer(broker, { superUsers: ['User:admin'] }, logger);
 * opened.authorizer?.authorize('User:alice', '127.0.0.1', 'Read', 'Topic', 'orders');
 * opened.close();
 * ```
 */
export function openAuthorizer(broker: Pick<Broker, 'dataDir' | 'storage'>, options: AuthorizationOptions, logger: Logger): OpenedAuthorizer {
  const isFile = broker.storage.kind === 'file';
  const file = aclFilePath(broker.dataDir);
  const hasFile = isFile && fs.existsSync(file);
  const choice = options.authorizer ?? (hasFile ? 'acl' : 'none');
  if (typeof choice === 'object') return { authorizer: choice, close: () => {} };
  if (choice === 'none') {
    if (hasFile && readAclFile(file).length > 0) logger.warn({ file }, "ACLs are defined but the authorizer is 'none': every request is allowed");
    return { authorizer: undefined, close: () => {} };
  }
  const superUsers = options.superUsers ?? [];
  const authorizer = new AclAuthorizer([], { superUsers, allowEveryoneIfNoAclFound: options.allowEveryoneIfNoAclFound ?? false });
  const intervalMs = options.aclReloadIntervalMs ?? 1000;
  // Watch before reading: a change between the two is then read again, never missed.
  const stop =
    isFile && intervalMs > 0
      ? watchAclFile(
          file,
          intervalMs,
          (acls) => {
            authorizer.update(acls);
            logger.info({ acls: acls.length }, 'ACLs reloaded');
          },
          (e: unknown) => logger.error({ err: e, file }, 'the ACL file changed but cannot be read; the ACLs in force stay'),
        )
      : () => {};
  try {
    if (isFile) authorizer.update(readAclFile(file));
  } catch (e: unknown) {
    stop();
    throw e;
  }
  logger.info({ acls: authorizer.acls.length, superUsers, allowEveryoneIfNoAclFound: options.allowEveryoneIfNoAclFound ?? false }, 'ACL authorizer on');
  return { authorizer, close: stop };
}
