import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../util/logger.js';
import { CLUSTER_RESOURCE_NAME, type AclBinding, type AclOperation, type AclResourceType } from './acl.js';
import { AclAuthorizer, authorizedOperations, hostOf, isAuthorized, isAuthorizedOnAny } from './authorizer.js';

function acl(over: Partial<AclBinding> & Pick<AclBinding, 'operation'>): AclBinding {
  return { principal: 'User:alice', host: '*', permission: 'Allow', resourceType: 'Topic', resourceName: 'orders', patternType: 'Literal', ...over };
}

const HOST = '10.0.0.7';

describe('AclAuthorizer decision table', () => {
  type Row = readonly [string, readonly AclBinding[], string, AclOperation, AclResourceType, string, boolean];
  const rows: readonly Row[] = [
    ['literal allow', [acl({ operation: 'Read' })], 'User:alice', 'Read', 'Topic', 'orders', true],
    ['another principal', [acl({ operation: 'Read' })], 'User:bob', 'Read', 'Topic', 'orders', false],
    ['another topic that no ACL names', [acl({ operation: 'Read' })], 'User:alice', 'Read', 'Topic', 'payments', false],
    ['another operation', [acl({ operation: 'Read' })], 'User:alice', 'Write', 'Topic', 'orders', false],
    ['another resource type of the same name', [acl({ operation: 'Read' })], 'User:alice', 'Read', 'Group', 'orders', false],
    ['All allows every operation', [acl({ operation: 'All' })], 'User:alice', 'Delete', 'Topic', 'orders', true],
    ['wildcard principal', [acl({ operation: 'Read', principal: 'User:*' })], 'User:bob', 'Read', 'Topic', 'orders', true],
    ['wildcard resource', [acl({ operation: 'Read', resourceName: '*' })], 'User:alice', 'Read', 'Topic', 'anything', true],
    ['prefixed match', [acl({ operation: 'Write', resourceName: 'app-', patternType: 'Prefixed' })], 'User:alice', 'Write', 'Topic', 'app-out', true],
    ['prefixed, the prefix itself', [acl({ operation: 'Write', resourceName: 'app-', patternType: 'Prefixed' })], 'User:alice', 'Write', 'Topic', 'app-', true],
    ['prefixed, no match', [acl({ operation: 'Write', resourceName: 'app-', patternType: 'Prefixed' })], 'User:alice', 'Write', 'Topic', 'ap', false],
    ['literal is not a prefix', [acl({ operation: 'Write', resourceName: 'app' })], 'User:alice', 'Write', 'Topic', 'app-out', false],
    ['host matches', [acl({ operation: 'Read', host: HOST })], 'User:alice', 'Read', 'Topic', 'orders', true],
    ['host differs', [acl({ operation: 'Read', host: '10.0.0.8' })], 'User:alice', 'Read', 'Topic', 'orders', false],
    ['deny wins over allow', [acl({ operation: 'Read' }), acl({ operation: 'Read', permission: 'Deny' })], 'User:alice', 'Read', 'Topic', 'orders', false],
    ['prefixed deny wins over literal allow', [acl({ operation: 'Read' }), acl({ operation: 'Read', permission: 'Deny', resourceName: 'ord', patternType: 'Prefixed' })], 'User:alice', 'Read', 'Topic', 'orders', false],
    ['wildcard-principal deny wins', [acl({ operation: 'All' }), acl({ operation: 'Write', permission: 'Deny', principal: 'User:*', resourceName: '*' })], 'User:alice', 'Write', 'Topic', 'orders', false],
    ['deny All wins', [acl({ operation: 'Read' }), acl({ operation: 'All', permission: 'Deny' })], 'User:alice', 'Read', 'Topic', 'orders', false],
    ['deny of another operation does not', [acl({ operation: 'Read' }), acl({ operation: 'Write', permission: 'Deny' })], 'User:alice', 'Read', 'Topic', 'orders', true],
    ['deny of another principal does not', [acl({ operation: 'Read' }), acl({ operation: 'Read', permission: 'Deny', principal: 'User:bob' })], 'User:alice', 'Read', 'Topic', 'orders', true],
    ['Read implies Describe', [acl({ operation: 'Read' })], 'User:alice', 'Describe', 'Topic', 'orders', true],
    ['Write implies Describe', [acl({ operation: 'Write' })], 'User:alice', 'Describe', 'Topic', 'orders', true],
    ['Delete implies Describe', [acl({ operation: 'Delete' })], 'User:alice', 'Describe', 'Topic', 'orders', true],
    ['Alter implies Describe', [acl({ operation: 'Alter' })], 'User:alice', 'Describe', 'Topic', 'orders', true],
    ['Create does not imply Describe', [acl({ operation: 'Create' })], 'User:alice', 'Describe', 'Topic', 'orders', false],
    ['Describe implies nothing', [acl({ operation: 'Describe' })], 'User:alice', 'Read', 'Topic', 'orders', false],
    ['AlterConfigs implies DescribeConfigs', [acl({ operation: 'AlterConfigs' })], 'User:alice', 'DescribeConfigs', 'Topic', 'orders', true],
    ['DescribeConfigs implies nothing', [acl({ operation: 'DescribeConfigs' })], 'User:alice', 'AlterConfigs', 'Topic', 'orders', false],
    ['a Read deny does not deny the Describe it implies', [acl({ operation: 'Read' }), acl({ operation: 'Read', permission: 'Deny' })], 'User:alice', 'Describe', 'Topic', 'orders', true],
    ['a Describe deny denies Describe despite Read', [acl({ operation: 'Read' }), acl({ operation: 'Describe', permission: 'Deny' })], 'User:alice', 'Describe', 'Topic', 'orders', false],
    ['super user, no ACLs', [], 'User:admin', 'Alter', 'Cluster', CLUSTER_RESOURCE_NAME, true],
    ['super user despite a deny', [acl({ operation: 'All', permission: 'Deny', principal: 'User:admin' })], 'User:admin', 'Read', 'Topic', 'orders', true],
    ['no ACLs at all: denied', [], 'User:alice', 'Read', 'Topic', 'orders', false],
    ['cluster create', [acl({ operation: 'Create', resourceType: 'Cluster', resourceName: CLUSTER_RESOURCE_NAME })], 'User:alice', 'Create', 'Cluster', CLUSTER_RESOURCE_NAME, true],
    ['transactional id write', [acl({ operation: 'Write', resourceType: 'TransactionalId', resourceName: 'app-0' })], 'User:alice', 'Write', 'TransactionalId', 'app-0', true],
    ['group read', [acl({ operation: 'Read', resourceType: 'Group', resourceName: 'app' })], 'User:alice', 'Read', 'Group', 'app', true],
  ];
  it.each(rows)('%s', (_name, acls, principal, operation, resourceType, resourceName, expected) => {
    const authorizer = new AclAuthorizer(acls, { superUsers: ['User:admin'] });
    expect(authorizer.authorize(principal, HOST, operation, resourceType, resourceName)).toBe(expected);
  });

  it('allowEveryoneIfNoAclFound allows resources no ACL names, and only those', () => {
    const acls = [acl({ operation: 'Read', principal: 'User:bob' })];
    const open = new AclAuthorizer(acls, { allowEveryoneIfNoAclFound: true });
    expect(open.authorize('User:alice', HOST, 'Write', 'Topic', 'unnamed')).toBe(true);
    // 'orders' has an ACL (for bob): alice is no longer allowed by default.
    expect(open.authorize('User:alice', HOST, 'Read', 'Topic', 'orders')).toBe(false);
    expect(open.authorize('User:bob', HOST, 'Read', 'Topic', 'orders')).toBe(true);
    const closed = new AclAuthorizer(acls);
    expect(closed.authorize('User:alice', HOST, 'Write', 'Topic', 'unnamed')).toBe(false);
  });

  it('update replaces the ACLs in force', () => {
    const authorizer = new AclAuthorizer([acl({ operation: 'Read' })]);
    expect(authorizer.authorize('User:alice', HOST, 'Read', 'Topic', 'orders')).toBe(true);
    authorizer.update([]);
    expect(authorizer.authorize('User:alice', HOST, 'Read', 'Topic', 'orders')).toBe(false);
  });
});

describe('AclAuthorizer.authorizeByResourceType (KIP-679)', () => {
  type Row = readonly [string, readonly AclBinding[], boolean];
  const rows: readonly Row[] = [
    ['no ACL', [], false],
    ['a literal allow', [acl({ operation: 'Write' })], true],
    ['a prefixed allow', [acl({ operation: 'Write', resourceName: 'app-', patternType: 'Prefixed' })], true],
    ['All allows', [acl({ operation: 'All' })], true],
    ['another operation', [acl({ operation: 'Read' })], false],
    ['another principal', [acl({ operation: 'Write', principal: 'User:bob' })], false],
    ['literal allow denied by the same literal', [acl({ operation: 'Write' }), acl({ operation: 'Write', permission: 'Deny' })], false],
    ['literal allow denied by a prefix', [acl({ operation: 'Write' }), acl({ operation: 'Write', permission: 'Deny', resourceName: 'or', patternType: 'Prefixed' })], false],
    ['prefixed allow denied by a shorter prefix', [acl({ operation: 'Write', resourceName: 'app-', patternType: 'Prefixed' }), acl({ operation: 'Write', permission: 'Deny', resourceName: 'ap', patternType: 'Prefixed' })], false],
    ['prefixed allow not denied by a longer prefix', [acl({ operation: 'Write', resourceName: 'app-', patternType: 'Prefixed' }), acl({ operation: 'Write', permission: 'Deny', resourceName: 'app-x', patternType: 'Prefixed' })], true],
    ['wildcard allow', [acl({ operation: 'Write', resourceName: '*' }), acl({ operation: 'Write', permission: 'Deny' })], true],
    ['wildcard deny refuses', [acl({ operation: 'Write' }), acl({ operation: 'Write', permission: 'Deny', resourceName: '*' })], false],
  ];
  it.each(rows)('%s', (_name, acls, expected) => {
    expect(new AclAuthorizer(acls).authorizeByResourceType('User:alice', HOST, 'Write', 'Topic')).toBe(expected);
  });

  it('super users and allowEveryoneIfNoAclFound', () => {
    expect(new AclAuthorizer([], { superUsers: ['User:alice'] }).authorizeByResourceType('User:alice', HOST, 'Write', 'Topic')).toBe(true);
    expect(new AclAuthorizer([], { allowEveryoneIfNoAclFound: true }).authorizeByResourceType('User:alice', HOST, 'Write', 'Topic')).toBe(true);
  });
});

describe('properties', () => {
  const principal = fc.constantFrom('User:alice', 'User:bob', 'User:*');
  const operation = fc.constantFrom<AclOperation>('Read', 'Write', 'Describe', 'Delete', 'All');
  const name = fc.constantFrom('a', 'ab', 'abc', 'b', '*');
  const binding = fc.record({
    principal,
    host: fc.constantFrom('*', HOST, '10.0.0.8'),
    operation,
    permission: fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Deny'),
    resourceType: fc.constant<AclResourceType>('Topic'),
    resourceName: name,
    patternType: fc.constantFrom<'Literal' | 'Prefixed'>('Literal', 'Prefixed'),
  });
  const request = fc.record({ principal: fc.constantFrom('User:alice', 'User:bob'), operation: fc.constantFrom<AclOperation>('Read', 'Write', 'Describe', 'Delete'), name: fc.constantFrom('a', 'ab', 'abc', 'b') });

  it('a matching Deny of the operation refuses, whatever else is there (deny wins)', () => {
    fc.assert(
      fc.property(fc.array(binding, { maxLength: 8 }), request, (acls, r) => {
        const deny: AclBinding = { principal: r.principal, host: '*', operation: r.operation, permission: 'Deny', resourceType: 'Topic', resourceName: r.name, patternType: 'Literal' };
        expect(new AclAuthorizer([...acls, deny]).authorize(r.principal, HOST, r.operation, 'Topic', r.name)).toBe(false);
      }),
    );
  });

  it('adding an Allow never turns an allowed request into a denied one; removing a Deny neither', () => {
    fc.assert(
      fc.property(fc.array(binding, { maxLength: 8 }), binding, request, (acls, extra, r) => {
        const before = new AclAuthorizer(acls).authorize(r.principal, HOST, r.operation, 'Topic', r.name);
        if (extra.permission === 'Allow') {
          if (before) expect(new AclAuthorizer([...acls, extra]).authorize(r.principal, HOST, r.operation, 'Topic', r.name)).toBe(true);
        } else if (!before) {
          // The extra Deny is not there: adding it keeps a denied request denied.
          expect(new AclAuthorizer([...acls, extra]).authorize(r.principal, HOST, r.operation, 'Topic', r.name)).toBe(false);
        }
      }),
    );
  });

  it('a super user is allowed everything', () => {
    fc.assert(
      fc.property(fc.array(binding, { maxLength: 8 }), request, (acls, r) => {
        expect(new AclAuthorizer(acls, { superUsers: [r.principal] }).authorize(r.principal, HOST, r.operation, 'Topic', r.name)).toBe(true);
      }),
    );
  });

  it('authorizeByResourceType is true whenever some named topic is authorized by a non-wildcard Allow it comes from', () => {
    fc.assert(
      fc.property(fc.array(binding, { maxLength: 8 }), (acls) => {
        const authorizer = new AclAuthorizer(acls);
        const anyAllowed = ['a', 'ab', 'abc', 'b'].some((n) => authorizer.authorize('User:alice', HOST, 'Write', 'Topic', n));
        // A topic allowed by name implies the type check passes, unless a '*' Deny exists (then nothing is allowed anyway).
        if (anyAllowed) expect(authorizer.authorizeByResourceType('User:alice', HOST, 'Write', 'Topic')).toBe(true);
      }),
    );
  });
});

describe('handler helpers', () => {
  const logger = silentLogger();

  it('without an authorizer everything is allowed and every operation reported', () => {
    const ctx = { principal: 'User:ANONYMOUS', peer: '127.0.0.1:1', logger };
    expect(isAuthorized(ctx, 'Delete', 'Topic', 'x')).toBe(true);
    expect(isAuthorizedOnAny(ctx, 'Write', 'Topic')).toBe(true);
    // READ, DESCRIBE, DELETE of a group: bits 3, 8, 6.
    expect(authorizedOperations(ctx, 'Group', 'g')).toBe((1 << 3) | (1 << 8) | (1 << 6));
  });

  it('hosts come from the peer address; ACL hosts compare with them', () => {
    expect(hostOf('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(hostOf('::ffff:10.0.0.7:5000')).toBe(HOST);
    expect(hostOf('::1:5000')).toBe('::1');
    const authorizer = new AclAuthorizer([acl({ operation: 'Read', host: HOST })]);
    expect(isAuthorized({ authorizer, principal: 'User:alice', peer: `::ffff:${HOST}:4000`, logger }, 'Read', 'Topic', 'orders')).toBe(true);
    expect(isAuthorized({ authorizer, principal: 'User:alice', peer: '10.0.0.9:4000', logger }, 'Read', 'Topic', 'orders')).toBe(false);
  });

  it('authorizedOperations sets the bits of what is allowed', () => {
    const authorizer = new AclAuthorizer([acl({ operation: 'Read', resourceType: 'Group', resourceName: 'g' })]);
    // Read, and the Describe it implies; not Delete.
    expect(authorizedOperations({ authorizer, principal: 'User:alice', peer: '127.0.0.1:1', logger }, 'Group', 'g')).toBe((1 << 3) | (1 << 8));
  });
});
