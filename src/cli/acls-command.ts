/**
 * `tributary acls add | remove | list --data-dir DIR`: the broker's ACLs, kept in `<DIR>/acls.json`, in the spirit of
 * Kafka's kafka-acls.sh (same flags where they exist, same output). A running broker re-reads the file within a
 * second, so this works while it runs; the first `add` turns its ACL authorizer on (deny unless allowed).
 */
import { aclFilePath, AclStore } from '../broker/security/acl-store.js';
import {
  CLUSTER_RESOURCE_NAME,
  formatAclEntry,
  formatResourcePattern,
  parseAclOperation,
  validateAclBinding,
  type AclBinding,
  type AclFilter,
  type AclOperation,
  type AclPermission,
  type AclResourceType,
} from '../broker/security/acl.js';
import { parseCommandArgs } from './command-args.js';
import { UsageError } from './usage-error.js';

const OPTIONS = {
  'data-dir': { type: 'string' },
  broker: { type: 'string' },
  allow: { type: 'boolean' },
  deny: { type: 'boolean' },
  principal: { type: 'string', multiple: true },
  host: { type: 'string', multiple: true },
  operation: { type: 'string', multiple: true },
  topic: { type: 'string', multiple: true },
  group: { type: 'string', multiple: true },
  'transactional-id': { type: 'string', multiple: true },
  cluster: { type: 'boolean' },
  prefixed: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

interface Resource {
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
}

/**
 * Runs `tributary acls <action>`; resolves with the exit code (1 when `remove` matched nothing).
 *
 * @example
 * ```ts
 * await runAclsCommand(['add', '--data-dir', './data', '--allow', '--principal', 'User:alice', '--operation', 'Read', '--topic', 'orders']);
 * ```
 */
export async function runAclsCommand(args: readonly string[], out: { write(text: string): unknown } = process.stdout, err: { write(text: string): unknown } = process.stderr): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const [action, ...rest] = positionals;
  if (action !== 'add' && action !== 'remove' && action !== 'list') throw new UsageError(action === undefined ? 'acls needs an action: add, remove or list' : `unknown acls action '${action}' (add, remove, list)`);
  if (rest.length > 0) throw new UsageError(`acls ${action} takes no arguments, got ${rest.join(' ')}`);
  if (values.broker !== undefined) throw new UsageError('acls work on the broker\'s --data-dir (CreateAcls over the network is not supported); a running broker picks the change up');
  const dataDir = values['data-dir'];
  if (dataDir === undefined || dataDir === '') throw new UsageError(`acls ${action} needs --data-dir DIR (the broker's data directory)`);
  if (values.allow === true && values.deny === true) throw new UsageError('give --allow or --deny, not both');
  const store = AclStore.open(aclFilePath(dataDir));
  const resources = parseResources(values);
  switch (action) {
    case 'add': {
      const bindings = bindingsToAdd(values, resources);
      const added = store.add(bindings);
      for (const [pattern, entries] of byResource(bindings)) out.write(`Adding ACLs for resource \`${pattern}\`: \n${entries}\n`);
      if (added.length < bindings.length) out.write(`(${bindings.length - added.length} of them were already there)\n`);
      return 0;
    }
    case 'remove': {
      if (resources.length === 0) throw new UsageError('acls remove needs a resource: --topic, --group, --transactional-id or --cluster');
      const removed = resources.flatMap((r) => filtersFor(values, r).flatMap((f) => store.remove(f)));
      if (removed.length === 0) {
        err.write('tributary: no ACL matched; nothing removed\n');
        return 1;
      }
      for (const [pattern, entries] of byResource(removed)) out.write(`Removed ACLs for resource \`${pattern}\`: \n${entries}\n`);
      return 0;
    }
    case 'list': {
      const filters = resources.length === 0 ? filtersFor(values, null) : resources.flatMap((r) => filtersFor(values, r));
      const seen = new Set<AclBinding>();
      for (const f of filters) for (const b of store.list(f)) seen.add(b);
      for (const [pattern, entries] of byResource([...seen])) out.write(`Current ACLs for resource \`${pattern}\`: \n${entries}\n`);
      return 0;
    }
  }
}

function parseResources(values: Values): Resource[] {
  const resources: Resource[] = [];
  for (const name of values.topic ?? []) resources.push({ resourceType: 'Topic', resourceName: name });
  for (const name of values.group ?? []) resources.push({ resourceType: 'Group', resourceName: name });
  for (const name of values['transactional-id'] ?? []) resources.push({ resourceType: 'TransactionalId', resourceName: name });
  if (values.cluster === true) {
    if (values.prefixed === true) throw new UsageError('--cluster cannot be --prefixed');
    resources.push({ resourceType: 'Cluster', resourceName: CLUSTER_RESOURCE_NAME });
  }
  for (const r of resources) if (r.resourceName === '') throw new UsageError(`a ${r.resourceType} name must not be empty`);
  return resources;
}

function operations(values: Values): AclOperation[] {
  return (values.operation ?? []).map((op) => {
    try {
      return parseAclOperation(op);
    } catch (e: unknown) {
      throw new UsageError(`--operation: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}

function permission(values: Values): AclPermission | undefined {
  return values.allow === true ? 'Allow' : values.deny === true ? 'Deny' : undefined;
}

/** Every combination of the principals, hosts, operations and resources given (kafka-acls does the same). */
function bindingsToAdd(values: Values, resources: readonly Resource[]): AclBinding[] {
  const perm = permission(values);
  if (perm === undefined) throw new UsageError('acls add needs --allow or --deny');
  const principals = values.principal ?? [];
  if (principals.length === 0) throw new UsageError('acls add needs --principal User:NAME (User:* for everyone)');
  const ops = operations(values);
  if (ops.length === 0) throw new UsageError('acls add needs --operation (Read, Write, Create, Delete, Describe, Alter, DescribeConfigs, AlterConfigs, ClusterAction, IdempotentWrite, All)');
  if (resources.length === 0) throw new UsageError('acls add needs a resource: --topic, --group, --transactional-id or --cluster');
  const hosts = values.host ?? ['*'];
  const out: AclBinding[] = [];
  for (const r of resources) {
    const patternType = r.resourceType !== 'Cluster' && values.prefixed === true ? 'Prefixed' : 'Literal';
    for (const principal of principals) for (const host of hosts) for (const operation of ops) out.push({ principal, host, operation, permission: perm, ...r, patternType });
  }
  // Checked here so that a wrong combination (Write on a group, a host that is not an address) is a usage error.
  return out.map((b) => {
    try {
      return validateAclBinding(b);
    } catch (e: unknown) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  });
}

/** The filters `remove` / `list` apply: what was given must match; a resource is matched with its pattern type. */
function filtersFor(values: Values, r: Resource | null): AclFilter[] {
  const base: { -readonly [K in keyof AclFilter]: AclFilter[K] } = {};
  const perm = permission(values);
  if (perm !== undefined) base.permission = perm;
  if (r !== null) {
    base.resourceType = r.resourceType;
    base.resourceName = r.resourceName;
    base.patternType = r.resourceType !== 'Cluster' && values.prefixed === true ? 'Prefixed' : 'Literal';
  }
  let filters: AclFilter[] = [base];
  const expand = <K extends keyof AclFilter>(key: K, list: readonly NonNullable<AclFilter[K]>[] | undefined): void => {
    if (list === undefined || list.length === 0) return;
    filters = filters.flatMap((f) => list.map((v) => ({ ...f, [key]: v })));
  };
  expand('principal', values.principal);
  expand('host', values.host);
  expand('operation', operations(values));
  return filters;
}

/** Bindings grouped by resource pattern, each group's entries as kafka-acls prints them. */
function byResource(bindings: readonly AclBinding[]): Map<string, string> {
  const groups = new Map<string, string>();
  for (const b of bindings) {
    const key = formatResourcePattern(b);
    groups.set(key, `${groups.get(key) ?? ''} \t${formatAclEntry(b)} \n`);
  }
  return groups;
}
