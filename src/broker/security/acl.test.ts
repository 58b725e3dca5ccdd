import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../../errors.js';
import { formatAclEntry, formatResourcePattern, matchesAclFilter, parseAclOperation, supportedOperations, validateAclBinding, type AclBinding } from './acl.js';

const base = { principal: 'User:alice', host: '*', operation: 'Read', permission: 'Allow', resourceType: 'Topic', resourceName: 'orders', patternType: 'Literal' };

function refusal(raw: Record<string, unknown>): string {
  try {
    validateAclBinding(raw as Record<keyof AclBinding, unknown>);
  } catch (e: unknown) {
    expect(isStreamsError(e, 'INVALID_REQUEST')).toBe(true);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe('validateAclBinding', () => {
  it('canonicalises names typed in any case or with separators', () => {
    const b = validateAclBinding({ ...base, operation: 'describe_configs', permission: 'DENY', resourceType: 'TOPIC', resourceName: 'app-', patternType: 'PREFIXED' });
    expect(b).toEqual({ ...base, operation: 'DescribeConfigs', permission: 'Deny', resourceType: 'Topic', resourceName: 'app-', patternType: 'Prefixed' });
    expect(validateAclBinding({ ...base, operation: 'write', resourceType: 'transactional-id' }).resourceType).toBe('TransactionalId');
    expect(parseAclOperation('IDEMPOTENT_WRITE')).toBe('IdempotentWrite');
  });

  it('refuses what Kafka refuses', () => {
    expect(refusal({ ...base, principal: 'alice' })).toMatch(/TYPE:NAME/);
    expect(refusal({ ...base, principal: 'Group:x' })).toMatch(/User principal/);
    expect(refusal({ ...base, host: 'example.com' })).toMatch(/IP address/);
    expect(refusal({ ...base, operation: 'Fly' })).toMatch(/unknown operation/);
    expect(refusal({ ...base, resourceType: 'Group', operation: 'Write' })).toMatch(/does not apply to a Group/);
    expect(refusal({ ...base, resourceType: 'Cluster', resourceName: 'orders' })).toMatch(/kafka-cluster/);
    expect(refusal({ ...base, resourceName: '*', patternType: 'Prefixed' })).toMatch(/Prefixed/);
    expect(refusal({ ...base, resourceName: '' })).toMatch(/empty/);
    expect(refusal({ ...base, principal: 42 })).toMatch(/must be a string/);
  });

  it('accepts IP hosts, wildcards and the cluster', () => {
    expect(validateAclBinding({ ...base, host: '10.1.2.3', principal: 'User:*', resourceName: '*' }).host).toBe('10.1.2.3');
    expect(validateAclBinding({ ...base, host: '::1' }).host).toBe('::1');
    expect(validateAclBinding({ ...base, resourceType: 'cluster', resourceName: 'kafka-cluster', operation: 'IdempotentWrite' }).resourceType).toBe('Cluster');
  });
});

describe('filters and text', () => {
  const b = validateAclBinding(base);
  it('matches on the fields a filter gives', () => {
    expect(matchesAclFilter(b, {})).toBe(true);
    expect(matchesAclFilter(b, { principal: 'User:alice', resourceName: 'orders' })).toBe(true);
    expect(matchesAclFilter(b, { operation: 'Write' })).toBe(false);
  });

  it("prints as Kafka's kafka-acls does", () => {
    expect(formatResourcePattern(b)).toBe('ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)');
    expect(formatAclEntry({ ...b, operation: 'DescribeConfigs' })).toBe('(principal=User:alice, host=*, operation=DESCRIBE_CONFIGS, permissionType=ALLOW)');
    expect(formatResourcePattern({ resourceType: 'TransactionalId', resourceName: 'x', patternType: 'Prefixed' })).toBe('ResourcePattern(resourceType=TRANSACTIONAL_ID, name=x, patternType=PREFIXED)');
  });

  it('lists the operations of each resource type', () => {
    expect(supportedOperations('Group')).toEqual(['Read', 'Describe', 'Delete']);
    expect(supportedOperations('TransactionalId')).toEqual(['Describe', 'Write']);
  });
});
