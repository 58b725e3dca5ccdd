/**
 * What the broker's SASL mechanisms share: the result of one step of an exchange, the mechanism interface the
 * per-connection authenticator drives, and where credentials come from.
 */
import { ApiKey } from '../../protocol/api-keys.js';
import type { ScramCredential, ScramMechanism } from './scram.js';

/**
 * The SASL mechanisms tributary's broker and client speak.
 *
 * @example
 * ```ts
 * const enabled: readonly SaslMechanismName[] = ['SCRAM-SHA-512', 'PLAIN'];
 * ```
 */
export type SaslMechanismName = 'PLAIN' | ScramMechanism;

/**
 * Every {@link SaslMechanismName}.
 *
 * @example
 * ```ts
 * SASL_MECHANISMS.includes(requested as SaslMechanismName);
 * ```
 */
export const SASL_MECHANISMS: readonly SaslMechanismName[] = Object.freeze(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);

/**
 * True for the names of {@link SASL_MECHANISMS}.
 *
 * @example
 * ```ts
 * isSaslMechanismName('GSSAPI'); // false
 * ```
 */
export function isSaslMechanismName(name: string): name is SaslMechanismName {
  return name === 'PLAIN' || name === 'SCRAM-SHA-256' || name === 'SCRAM-SHA-512';
}

/**
 * The outcome of feeding one client token to a server mechanism: a challenge to send back (the exchange goes on),
 * success (with the final bytes, possibly empty, and the authenticated user), or failure. `detail` of a failure is
 * for the broker's log only: what the client is told never says whether the user exists.
 *
 * @example
 * ```ts
 * const step: SaslStep = { kind: 'failure', reason: 'credentials', detail: 'unknown user', username: 'mallory' };
 * ```
 */
export type SaslStep =
  | { readonly kind: 'challenge'; readonly bytes: Buffer }
  | { readonly kind: 'success'; readonly bytes: Buffer; readonly username: string }
  | { readonly kind: 'failure'; readonly reason: 'malformed' | 'credentials'; readonly detail: string; readonly username: string | null };

/**
 * The server side of one SASL exchange (one object per authentication attempt).
 *
 * @example
 * ```ts
 * const step = await mechanism.step(request.authBytes);
 * ```
 */
export interface SaslServerMechanism {
  readonly name: SaslMechanismName;
  step(token: Buffer): SaslStep | Promise<SaslStep>;
}

/**
 * Where a server mechanism finds a user's SCRAM credential (the {@link CredentialStore} implements it).
 *
 * @example
 * ```ts
 * const lookup: CredentialLookup = { credential: (user, m) => (user === 'alice' ? alice : undefined) };
 * ```
 */
export interface CredentialLookup {
  credential(username: string, mechanism: ScramMechanism): ScramCredential | undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A token's UTF-8 text, or null when it is not valid UTF-8.
 *
 * @example
 * ```ts
 * const text = utf8OrNull(request.authBytes);
 * if (text === null) return malformed('not UTF-8');
 * ```
 */
export function utf8OrNull(bytes: Buffer): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * The SASL API versions a SASL listener serves and advertises (they are not in SUPPORTED_VERSIONS, which every
 * listener advertises): SaslHandshake v0-1, SaslAuthenticate v0-2. librdkafka needs v0 in the handshake's range to
 * believe the broker has SASL at all, then uses v1; a v0 handshake itself (raw SASL tokens without Kafka framing
 * after it) is refused with UNSUPPORTED_VERSION, since every client we support sends v1 when offered. tributary's
 * client uses SaslHandshake v1 and SaslAuthenticate up to v2.
 *
 * @example
 * ```ts
 * SASL_VERSIONS.get(ApiKey.SaslAuthenticate); // [0, 2]
 * ```
 */
export const SASL_VERSIONS: ReadonlyMap<number, readonly [number, number]> = new Map<number, readonly [number, number]>([
  [ApiKey.SaslHandshake, [0, 1]],
  [ApiKey.SaslAuthenticate, [0, 2]],
]);
