/**
 * The ACL model, as Kafka's: a binding grants or refuses one operation on a resource pattern to a principal from a
 * host. Resources are topics, groups, transactional ids and the cluster; a pattern names one resource (Literal),
 * every resource (Literal `*`) or every resource whose name starts with a prefix (Prefixed).
 */
import { isIP } from 'node:net';
import { StreamsError } from '../../errors.js';

/**
 * What a principal may do, Kafka's AclOperation names. `All` stands for every operation.
 *
 * @example
 * ```ts
 * const op: AclOperation = 'Read';
 * ```
 */
export type AclOperation =
  | 'Read'
  | 'Write'
  | 'Create'
  | 'Delete'
  | 'Describe'
  | 'Alter'
  | 'DescribeConfigs'
  | 'AlterConfigs'
  | 'ClusterAction'
  | 'IdempotentWrite'
  | 'All';

/**
 * Allow grants, Deny refuses; a Deny that matches wins over every Allow.
 *
 * @example
 * ```ts
 * const permission: AclPermission = 'Deny';
 * ```
 */
export type AclPermission = 'Allow' | 'Deny';

/**
 * The kinds of resource an ACL protects.
 *
 * @example
 * ```ts
 * const type: AclResourceType = 'TransactionalId';
 * ```
 */
export type AclResourceType = 'Topic' | 'Group' | 'TransactionalId' | 'Cluster';

/**
 * How a binding's resource name matches: exactly (`Literal`; the name `*` matches every resource of its type) or as
 * a prefix (`Prefixed`).
 *
 * @example
 * ```ts
 * const pattern: AclPatternType = 'Prefixed'; // resourceName 'app-' covers 'app-in', 'app-out', ...
 * ```
 */
export type AclPatternType = 'Literal' | 'Prefixed';

/**
 * One ACL: `principal` from `host` is allowed or denied `operation` on the resources `resourceType` /
 * `resourceName` / `patternType` match. `User:*` is every principal, host `*` every host.
 *
 * @example
 * ```ts
 * const binding: AclBinding = { principal: 'User:alice', host: '*', operation: 'Read', permission: 'Allow',
 *   resourceType: 'Topic', resourceName: 'orders', patternType: 'Literal' };
 * ```
 */
export interface AclBinding {
  readonly principal: string;
  readonly host: string;
  readonly operation: AclOperation;
  readonly permission: AclPermission;
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
  readonly patternType: AclPatternType;
}

/**
 * Selects bindings: every field given must be equal (operation, permission, pattern type and the rest compared
 * exactly, no wildcard expansion); absent fields match anything.
 *
 * @example
 * ```ts
 * const everythingOnOrders: AclFilter = { resourceType: 'Topic', resourceName: 'orders' };
 * ```
 */
export type AclFilter = Partial<AclBinding>;

/**
 * The name of the one Cluster resource (Kafka's `kafka-cluster`).
 *
 * @example
 * ```ts
 * authorizer.authorize('User:alice', '*', 'Create', 'Cluster', CLUSTER_RESOURCE_NAME);
 * ```
 */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

/**
 * The resource name matching every resource of a type (in a Literal binding), and the principal / host matching
 * every principal / host.
 *
 * @example
 * ```ts
 * { principal: `User:${WILDCARD}`, host: WILDCARD, resourceName: WILDCARD, ... }
 * ```
 */
export const WILDCARD = '*';

const OPERATIONS: readonly AclOperation[] = [
  'Read',
  'Write',
  'Create',
  'Delete',
  'Describe',
  'Alter',
  'DescribeConfigs',
  'AlterConfigs',
  'ClusterAction',
  'IdempotentWrite',
  'All',
];
const RESOURCE_TYPES: readonly AclResourceType[] = ['Topic', 'Group', 'TransactionalId', 'Cluster'];

/** The operations that mean something for each resource type (Kafka's AclEntry.supportedOperations). */
const VALID_OPERATIONS: Readonly<Record<AclResourceType, ReadonlySet<AclOperation>>> = {
  Topic: new Set(['Read', 'Write', 'Create', 'Describe', 'Delete', 'Alter', 'DescribeConfigs', 'AlterConfigs', 'All']),
  Group: new Set(['Read', 'Describe', 'Delete', 'All']),
  Cluster: new Set(['Create', 'ClusterAction', 'DescribeConfigs', 'AlterConfigs', 'IdempotentWrite', 'Alter', 'Describe', 'All']),
  TransactionalId: new Set(['Describe', 'Write', 'All']),
};

/**
 * Kafka's AclOperation codes, the bit positions of an `authorizedOperations` field (Metadata, DescribeGroups).
 *
 * @example
 * ```ts
 * const bits = (1 << ACL_OPERATION_CODES.Read) | (1 << ACL_OPERATION_CODES.Describe);
 * ```
 */
export const ACL_OPERATION_CODES: Readonly<Record<AclOperation, number>> = {
  All: 2,
  Read: 3,
  Write: 4,
  Create: 5,
  Delete: 6,
  Alter: 7,
  Describe: 8,
  ClusterAction: 9,
  DescribeConfigs: 10,
  AlterConfigs: 11,
  IdempotentWrite: 12,
};

/**
 * The operations an ACL may name for a resource type, `All` excluded (what `authorizedOperations` reports on).
 *
 * @example
 * ```ts
 * supportedOperations('Group'); // ['Read', 'Describe', 'Delete']
 * ```
 */
export function supportedOperations(resourceType: AclResourceType): readonly AclOperation[] {
  return [...VALID_OPERATIONS[resourceType]].filter((op) => op !== 'All');
}

/** `describe_configs`, `DESCRIBE-CONFIGS`, `describeconfigs` -> the same key. */
function squash(s: string): string {
  return s.replace(/[-_ ]/g, '').toLowerCase();
}

function parseEnum<T extends string>(value: string, allowed: readonly T[], what: string): T {
  const key = squash(value);
  const found = allowed.find((a) => squash(a) === key);
  if (found === undefined) throw new StreamsError('INVALID_REQUEST', `unknown ${what} '${value}' (one of ${allowed.join(', ')})`);
  return found;
}

/**
 * An operation name as typed (`read`, `READ`, `describe_configs`, `DescribeConfigs`) in its canonical form.
 *
 * @example
 * ```ts
 * parseAclOperation('describe_configs'); // 'DescribeConfigs'
 * ```
 */
export function parseAclOperation(value: string): AclOperation {
  return parseEnum(value, OPERATIONS, 'operation');
}

/**
 * A resource type name as typed (`topic`, `TRANSACTIONAL_ID`, `TransactionalId`) in its canonical form.
 *
 * @example
 * ```ts
 * parseAclResourceType('transactional_id'); // 'TransactionalId'
 * ```
 */
export function parseAclResourceType(value: string): AclResourceType {
  return parseEnum(value, RESOURCE_TYPES, 'resource type');
}

/**
 * Checks a binding read from a file or a command line and returns it in canonical form: the principal is
 * `User:<name>` (or `User:*`), the host `*` or an IP address, the operation valid for the resource type (as Kafka's
 * kafka-acls refuses `Write` on a group), the Cluster resource named `kafka-cluster` and Literal, a Prefixed name
 * neither empty nor `*`. Throws INVALID_REQUEST naming what is wrong.
 *
 * @example
 * ```ts
 * validateAclBinding({ principal: 'User:alice', host: '*', operation: 'read', permission: 'allow',
 *   resourceType: 'topic', resourceName: 'orders', patternType: 'literal' }); // canonical names
 * ```
 */
export function validateAclBinding(raw: Readonly<Record<keyof AclBinding, unknown>>): AclBinding {
  const text = (field: keyof AclBinding): string => {
    const v = raw[field];
    if (typeof v !== 'string') throw new StreamsError('INVALID_REQUEST', `ACL field ${field} must be a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const principal = text('principal');
  const colon = principal.indexOf(':');
  if (colon <= 0 || colon === principal.length - 1) {
    throw new StreamsError('INVALID_REQUEST', `principal '${principal}' must be TYPE:NAME, e.g. User:alice or User:*`);
  }
  if (principal.slice(0, colon) !== 'User') throw new StreamsError('INVALID_REQUEST', `principal '${principal}': only the User principal type is supported`);
  const host = text('host');
  if (host !== WILDCARD && isIP(host) === 0) throw new StreamsError('INVALID_REQUEST', `host '${host}' must be * or an IP address`);
  const operation = parseAclOperation(text('operation'));
  const permission = parseEnum(text('permission'), ['Allow', 'Deny'] as const, 'permission');
  const resourceType = parseAclResourceType(text('resourceType'));
  const patternType = parseEnum(text('patternType'), ['Literal', 'Prefixed'] as const, 'pattern type');
  const resourceName = text('resourceName');
  if (resourceName === '') throw new StreamsError('INVALID_REQUEST', 'the resource name must not be empty');
  if (patternType === 'Prefixed' && resourceName === WILDCARD) {
    throw new StreamsError('INVALID_REQUEST', `a Prefixed pattern cannot be '*' (a Literal '*' already matches every ${resourceType})`);
  }
  if (resourceType === 'Cluster' && (resourceName !== CLUSTER_RESOURCE_NAME || patternType !== 'Literal')) {
    throw new StreamsError('INVALID_REQUEST', `the Cluster resource is the Literal '${CLUSTER_RESOURCE_NAME}'`);
  }
  if (!VALID_OPERATIONS[resourceType].has(operation)) {
    throw new StreamsError('INVALID_REQUEST', `operation ${operation} does not apply to a ${resourceType} (${[...VALID_OPERATIONS[resourceType]].join(', ')})`);
  }
  return { principal, host, operation, permission, resourceType, resourceName, patternType };
}

/**
 * True when `binding` has every field `filter` gives.
 *
 * @example
 * ```ts
 * store.list().filter((b) => matchesAclFilter(b, { principal: 'User:alice' }));
 * ```
 */
export function matchesAclFilter(binding: AclBinding, filter: AclFilter): boolean {
  return (
    (filter.principal === undefined || filter.principal === binding.principal) &&
    (filter.host === undefined || filter.host === binding.host) &&
    (filter.operation === undefined || filter.operation === binding.operation) &&
    (filter.permission === undefined || filter.permission === binding.permission) &&
    (filter.resourceType === undefined || filter.resourceType === binding.resourceType) &&
    (filter.resourceName === undefined || filter.resourceName === binding.resourceName) &&
    (filter.patternType === undefined || filter.patternType === binding.patternType)
  );
}

/**
 * True when two bindings are the same ACL.
 *
 * @example
 * ```ts
 * if (!existing.some((e) => isSameAcl(e, added))) existing.push(added);
 * ```
 */
export function isSameAcl(a: AclBinding, b: AclBinding): boolean {
  return matchesAclFilter(a, b);
}

/**
 * Kafka's text for a resource pattern: `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`.
 *
 * @example
 * ```ts
 * formatResourcePattern(binding); // 'ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)'
 * ```
 */
export function formatResourcePattern(b: Pick<AclBinding, 'resourceType' | 'resourceName' | 'patternType'>): string {
  return `ResourcePattern(resourceType=${upperSnake(b.resourceType)}, name=${b.resourceName}, patternType=${upperSnake(b.patternType)})`;
}

/**
 * Kafka's text for an ACL entry: `(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)`.
 *
 * @example
 * ```ts
 * formatAclEntry(binding); // '(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)'
 * ```
 */
export function formatAclEntry(b: AclBinding): string {
  return `(principal=${b.principal}, host=${b.host}, operation=${upperSnake(b.operation)}, permissionType=${upperSnake(b.permission)})`;
}

/** `DescribeConfigs` -> `DESCRIBE_CONFIGS`, as Kafka prints enum constants. */
function upperSnake(s: string): string {
  return s.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}
