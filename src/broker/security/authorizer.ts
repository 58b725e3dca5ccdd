/**
 * Who may do what: the {@link Authorizer} seam the request handlers ask, and {@link AclAuthorizer}, Kafka's
 * AclAuthorizer rules over {@link AclBinding}s (kafka.security.authorizer.AclAuthorizer#authorizeAction, and the
 * Authorizer#authorizeByResourceType default of KIP-679), written anew here.
 */
import { isIPv4 } from 'node:net';
import type { Logger } from '../../util/logger.js';
import {
  ACL_OPERATION_CODES,
  CLUSTER_RESOURCE_NAME,
  supportedOperations,
  WILDCARD,
  type AclBinding,
  type AclOperation,
  type AclResourceType,
} from './acl.js';

/**
 * Decides whether a principal connected from a host may perform an operation on a resource. Implementations are
 * synchronous and cheap: handlers ask once per topic, group or transactional id of every request.
 *
 * @example
 * ```ts
 * if (!authorizer.authorize('User:alice', '10.0.0.7', 'Read', 'Topic', 'orders')) errorCode = 29;
 * ```
 */
export interface Authorizer {
  /** True when the operation is allowed on the one resource named (always a literal name). */
  authorize(principal: string, host: string, operation: AclOperation, resourceType: AclResourceType, resourceName: string): boolean;
  /** True when the operation is allowed on at least one resource of the type (KIP-679: idempotent producers need Write on some topic). */
  authorizeByResourceType(principal: string, host: string, operation: AclOperation, resourceType: AclResourceType): boolean;
}

/**
 * Options of {@link AclAuthorizer}, Kafka's `super.users` and `allow.everyone.if.no.acl.found`.
 *
 * @example
 * ```ts
 * new AclAuthorizer(acls, { superUsers: ['User:admin'], allowEveryoneIfNoAclFound: false });
 * ```
 */
export interface AclAuthorizerOptions {
  /** Principals allowed everything, whatever the ACLs say (`User:admin`). */
  readonly superUsers?: readonly string[];
  /** Allow a resource that no ACL matches at all (any principal, any operation); default false: deny. */
  readonly allowEveryoneIfNoAclFound?: boolean;
}

/** The ACLs of one resource type, indexed the way lookups go. */
interface TypeIndex {
  readonly literal: Map<string, AclBinding[]>;
  readonly wildcard: AclBinding[];
  readonly prefixed: AclBinding[];
}

function emptyIndex(): TypeIndex {
  return { literal: new Map(), wildcard: [], prefixed: [] };
}

/** Operations whose Allow implies Describe / DescribeConfigs (Kafka's AclAuthorizer allowOps). */
const IMPLYING: Readonly<Partial<Record<AclOperation, readonly AclOperation[]>>> = {
  Describe: ['Describe', 'Read', 'Write', 'Delete', 'Alter'],
  DescribeConfigs: ['DescribeConfigs', 'AlterConfigs'],
};

/**
 * Kafka's ACL authorizer: an operation on a resource is allowed when the principal is a super user; or when no ACL
 * matches the resource at all and `allowEveryoneIfNoAclFound`; or when no matching Deny ACL names the operation (or
 * All) and a matching Allow ACL names it, All, or an operation that implies it (Read, Write, Delete and Alter imply
 * Describe; AlterConfigs implies DescribeConfigs). An ACL matches a resource when its pattern is the literal name,
 * the literal `*`, or a prefix of the name; it matches a request when its principal is the request's or `User:*` and
 * its host the client's address or `*`. Deny wins over Allow, whatever their patterns.
 *
 * @example
 * ```ts
 * const authorizer = new AclAuthorizer(store.list(), { superUsers: ['User:admin'] });
 * authorizer.authorize('User:alice', '127.0.0.1', 'Describe', 'Topic', 'orders'); // true if alice may Read orders
 * ```
 */
export class AclAuthorizer implements Authorizer {
  readonly #superUsers: ReadonlySet<string>;
  readonly #allowEveryoneIfNoAclFound: boolean;
  #index = new Map<AclResourceType, TypeIndex>();
  #acls: readonly AclBinding[] = [];

  constructor(acls: readonly AclBinding[], options: AclAuthorizerOptions = {}) {
    this.#superUsers = new Set(options.superUsers ?? []);
    this.#allowEveryoneIfNoAclFound = options.allowEveryoneIfNoAclFound ?? false;
    this.update(acls);
  }

  /** The ACLs in force. */
  get acls(): readonly AclBinding[] {
    return this.#acls;
  }

  /** Replaces the ACLs in force (after the ACL file changed). */
  update(acls: readonly AclBinding[]): void {
    const index = new Map<AclResourceType, TypeIndex>();
    for (const b of acls) {
      let t = index.get(b.resourceType);
      if (t === undefined) index.set(b.resourceType, (t = emptyIndex()));
      if (b.patternType === 'Prefixed') t.prefixed.push(b);
      else if (b.resourceName === WILDCARD) t.wildcard.push(b);
      else {
        const list = t.literal.get(b.resourceName);
        if (list === undefined) t.literal.set(b.resourceName, [b]);
        else list.push(b);
      }
    }
    this.#index = index;
    this.#acls = acls;
  }

  /** True for a configured super user. */
  isSuperUser(principal: string): boolean {
    return this.#superUsers.has(principal);
  }

  authorize(principal: string, host: string, operation: AclOperation, resourceType: AclResourceType, resourceName: string): boolean {
    if (this.#superUsers.has(principal)) return true;
    const t = this.#index.get(resourceType);
    const literal = t?.literal.get(resourceName);
    let isAnyAcl = literal !== undefined || (t !== undefined && t.wildcard.length > 0);
    const prefixed = t === undefined ? EMPTY : t.prefixed;
    let prefixedMatches: AclBinding[] | null = null;
    for (const b of prefixed) {
      if (!resourceName.startsWith(b.resourceName)) continue;
      (prefixedMatches ??= []).push(b);
      isAnyAcl = true;
    }
    if (!isAnyAcl) return this.#allowEveryoneIfNoAclFound;
    const lists = [literal ?? EMPTY, t!.wildcard, prefixedMatches ?? EMPTY];
    // Deny first: a matching Deny of the operation itself (or All) refuses, whatever allows it.
    for (const list of lists) for (const b of list) if (b.permission === 'Deny' && matchesRequest(b, principal, host) && (b.operation === operation || b.operation === 'All')) return false;
    const allowOps = IMPLYING[operation];
    for (const list of lists) {
      for (const b of list) {
        if (b.permission !== 'Allow' || !matchesRequest(b, principal, host)) continue;
        if (b.operation === operation || b.operation === 'All' || (allowOps !== undefined && allowOps.includes(b.operation))) return true;
      }
    }
    return false;
  }

  /**
   * As Kafka's Authorizer#authorizeByResourceType: allowed when a resource that no ACL names would be (super user,
   * or allowEveryoneIfNoAclFound with no ACL of that type matching), when a Literal `*` Allow matches, or when some
   * Allow pattern is not covered by a Deny (a Literal Deny of the same name or a Prefixed Deny of a prefix of it); a
   * Literal `*` Deny refuses at once.
   */
  authorizeByResourceType(principal: string, host: string, operation: AclOperation, resourceType: AclResourceType): boolean {
    // Kafka asks about a made-up literal name first, so super users and allow-if-no-ACL behave as for any resource.
    if (this.authorize(principal, host, operation, resourceType, '\u0000hardcode')) return true;
    const t = this.#index.get(resourceType);
    if (t === undefined) return false;
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const allowLiteral: string[] = [];
    const allowPrefixed: string[] = [];
    let hasWildcardAllow = false;
    const consider = (b: AclBinding): boolean => {
      if (!matchesRequest(b, principal, host) || (b.operation !== operation && b.operation !== 'All')) return false;
      const isWildcard = b.patternType === 'Literal' && b.resourceName === WILDCARD;
      if (b.permission === 'Deny') {
        if (isWildcard) return true;
        (b.patternType === 'Literal' ? denyLiteral : denyPrefixed).add(b.resourceName);
      } else if (isWildcard) hasWildcardAllow = true;
      else (b.patternType === 'Literal' ? allowLiteral : allowPrefixed).push(b.resourceName);
      return false;
    };
    for (const b of t.wildcard) if (consider(b)) return false;
    for (const list of t.literal.values()) for (const b of list) if (consider(b)) return false;
    for (const b of t.prefixed) if (consider(b)) return false;
    if (hasWildcardAllow) return true;
    const isDominated = (name: string): boolean => {
      for (let i = 1; i <= name.length; i++) if (denyPrefixed.has(name.slice(0, i))) return true;
      return false;
    };
    for (const name of allowLiteral) if (!denyLiteral.has(name) && !isDominated(name)) return true;
    for (const name of allowPrefixed) if (!isDominated(name)) return true;
    return false;
  }
}

const EMPTY: readonly AclBinding[] = [];

function matchesRequest(b: AclBinding, principal: string, host: string): boolean {
  return (b.principal === principal || b.principal === 'User:*') && (b.host === WILDCARD || b.host === host);
}

/**
 * What a handler needs to authorize a request: RequestContext has these fields (its `authorizer` is absent when no
 * authorizer is configured: everything is allowed, as before security existed).
 *
 * @example
 * ```ts
 * const ctx: AuthorizationContext = { principal: 'User:alice', peer: '127.0.0.1:50312', logger, authorizer };
 * ```
 */
export interface AuthorizationContext {
  readonly authorizer?: Authorizer | undefined;
  readonly principal: string;
  /** `address:port` of the client. */
  readonly peer: string;
  readonly logger: Logger;
}

/**
 * The client's address from a peer string `address:port` (IPv4-mapped IPv6 addresses as plain IPv4), what an ACL's
 * host is compared with.
 *
 * @example
 * ```ts
 * hostOf('::ffff:127.0.0.1:50312'); // '127.0.0.1'
 * ```
 */
export function hostOf(peer: string): string {
  const colon = peer.lastIndexOf(':');
  const address = colon < 0 ? peer : peer.slice(0, colon);
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return address.slice(7);
  return address;
}

/**
 * Asks the context's authorizer (true when there is none). A denial is logged at info, as Kafka's authorizer log
 * does, unless `logIfDenied` is false (lists that are filtered, such as Metadata for all topics).
 *
 * @example
 * ```ts
 * if (!isAuthorized(ctx, 'Read', 'Group', groupId)) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.GROUP_AUTHORIZATION_FAILED };
 * ```
 */
export function isAuthorized(ctx: AuthorizationContext, operation: AclOperation, resourceType: AclResourceType, resourceName: string, logIfDenied = true): boolean {
  const authorizer = ctx.authorizer;
  if (authorizer === undefined) return true;
  const isAllowed = authorizer.authorize(ctx.principal, hostOf(ctx.peer), operation, resourceType, resourceName);
  if (!isAllowed && logIfDenied) {
    ctx.logger.info({ principal: ctx.principal, peer: ctx.peer, operation, resourceType, resourceName }, 'authorization denied');
  }
  return isAllowed;
}

/**
 * {@link isAuthorized} on the Cluster resource.
 *
 * @example
 * ```ts
 * const mayCreateAny = isClusterAuthorized(ctx, 'Create', false);
 * ```
 */
export function isClusterAuthorized(ctx: AuthorizationContext, operation: AclOperation, logIfDenied = true): boolean {
  return isAuthorized(ctx, operation, 'Cluster', CLUSTER_RESOURCE_NAME, logIfDenied);
}

/**
 * Whether the operation is allowed on some resource of the type (true without an authorizer).
 *
 * @example
 * ```ts
 * const mayBeIdempotent = isClusterAuthorized(ctx, 'IdempotentWrite', false) || isAuthorizedOnAny(ctx, 'Write', 'Topic');
 * ```
 */
export function isAuthorizedOnAny(ctx: AuthorizationContext, operation: AclOperation, resourceType: AclResourceType): boolean {
  const authorizer = ctx.authorizer;
  return authorizer === undefined || authorizer.authorizeByResourceType(ctx.principal, hostOf(ctx.peer), operation, resourceType);
}

/**
 * Kafka's `authorizedOperations` bit field for a resource: bit {@link ACL_OPERATION_CODES}[op] set for each operation
 * of the type that the principal may perform (every one without an authorizer).
 *
 * @example
 * ```ts
 * group.authorizedOperations = authorizedOperations(ctx, 'Group', groupId); // READ | DESCRIBE bits for a consumer
 * ```
 */
export function authorizedOperations(ctx: AuthorizationContext, resourceType: AclResourceType, resourceName: string): number {
  let bits = 0;
  for (const op of supportedOperations(resourceType)) if (isAuthorized(ctx, op, resourceType, resourceName, false)) bits |= 1 << ACL_OPERATION_CODES[op];
  return bits;
}
