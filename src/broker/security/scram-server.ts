/**
 * The broker's side of a SCRAM-SHA-256/512 exchange (RFC 5802 section 5): client-first -> server-first (salt,
 * iterations, combined nonce) -> client-final (proof) -> server-final (verifier).
 */
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_SCRAM_ITERATIONS,
  hmac,
  isValidClientProof,
  parseClientFinal,
  parseClientFirst,
  scramHashOf,
  type ClientFirst,
  type ScramCredential,
  type ScramHash,
  type ScramMechanism,
} from './scram.js';
import { utf8OrNull, type CredentialLookup, type SaslServerMechanism, type SaslStep } from './sasl-mechanism.js';

/**
 * Options of a {@link ScramServer}; both exist for tests (RFC test vectors fix the nonce).
 *
 * @example
 * ```ts
 * const options: ScramServerOptions = { serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' };
 * ```
 */
export interface ScramServerOptions {
  /** The server's part of the nonce; default 24 random bytes in base64. */
  readonly serverNonce?: () => string;
  /** Key deriving the salt shown for a user who does not exist; default a random key per process. */
  readonly unknownUserKey?: Buffer;
  /** The hash, for RFC 5802's SHA-1 vector; default the mechanism's. */
  readonly hash?: ScramHash;
}

/** One key per process: an unknown user sees the same salt on every attempt, like a real one. */
const UNKNOWN_USER_KEY = randomBytes(32);

/**
 * One SCRAM exchange on the server. A user who does not exist gets a server-first message like anybody else's (a salt
 * derived from the name, the default iteration count) and fails only at the proof, so the exchange does not tell
 * whether the user exists; the proof is checked in constant time. Channel binding (`p=`) and delegation tokens
 * (`tokenauth=true`) are refused; an authzid other than the user name is refused.
 *
 * @example
 * ```ts
 * const scram = new ScramServer('SCRAM-SHA-512', credentialStore);
 * const first = await scram.step(clientFirst);  // { kind: 'challenge', bytes: server-first }
 * const final = await scram.step(clientFinal);  // { kind: 'success', bytes: server-final, username: 'alice' }
 * ```
 */
export class ScramServer implements SaslServerMechanism {
  readonly name: ScramMechanism;
  readonly #hash: ScramHash;
  readonly #credentials: CredentialLookup;
  readonly #options: ScramServerOptions;
  #first: ClientFirst | null = null;
  #serverFirst = '';
  #nonce = '';
  /** Null for a user that does not exist (the exchange then fails at the proof). */
  #credential: ScramCredential | null = null;
  #isDone = false;

  constructor(mechanism: ScramMechanism, credentials: CredentialLookup, options: ScramServerOptions = {}) {
    this.name = mechanism;
    this.#hash = options.hash ?? scramHashOf(mechanism);
    this.#credentials = credentials;
    this.#options = options;
  }

  step(token: Buffer): SaslStep {
    if (this.#isDone) return this.#fail('malformed', 'SCRAM exchange already finished');
    return this.#first === null ? this.#onClientFirst(token) : this.#onClientFinal(token);
  }

  #onClientFirst(token: Buffer): SaslStep {
    const text = utf8OrNull(token);
    const first = text === null ? null : parseClientFirst(text);
    if (first === null) return this.#fail('malformed', 'invalid client-first message');
    if (first.authzid !== null && first.authzid !== first.username) {
      return this.#fail('credentials', 'authorization id differs from the user name', first.username);
    }
    if (first.extensions.get('tokenauth') === 'true') return this.#fail('credentials', 'delegation tokens are not supported', first.username);
    this.#first = first;
    const credential = this.#credentials.credential(first.username, this.name);
    this.#credential = credential ?? null;
    const salt = credential?.salt ?? hmac('sha256', this.#options.unknownUserKey ?? UNKNOWN_USER_KEY, `${this.name}\0${first.username}`);
    const iterations = credential?.iterations ?? DEFAULT_SCRAM_ITERATIONS;
    this.#nonce = first.nonce + (this.#options.serverNonce?.() ?? randomBytes(24).toString('base64'));
    this.#serverFirst = `r=${this.#nonce},s=${salt.toString('base64')},i=${iterations}`;
    return { kind: 'challenge', bytes: Buffer.from(this.#serverFirst, 'utf8') };
  }

  #onClientFinal(token: Buffer): SaslStep {
    const first = this.#first!;
    this.#isDone = true;
    const text = utf8OrNull(token);
    const final = text === null ? null : parseClientFinal(text);
    if (final === null) return this.#fail('malformed', 'invalid client-final message', first.username);
    // Kafka's ScramSaslServer checks endsWith, not equality: librdkafka (2.0.x) sends its own nonce twice in front of
    // the combined one. The proof covers the message as sent and the server's random part still ends it.
    if (!final.nonce.endsWith(this.#nonce)) return this.#fail('malformed', 'nonce mismatch', first.username);
    if (!final.channelBinding.equals(Buffer.from(first.gs2Header, 'utf8'))) return this.#fail('malformed', 'channel binding mismatch', first.username);
    const credential = this.#credential;
    if (credential === null) return this.#fail('credentials', 'unknown user', first.username);
    const authMessage = `${first.bare},${this.#serverFirst},${final.withoutProof}`;
    if (!isValidClientProof(this.#hash, credential.storedKey, authMessage, final.proof)) return this.#fail('credentials', 'wrong password', first.username);
    const signature = hmac(this.#hash, credential.serverKey, authMessage);
    return { kind: 'success', bytes: Buffer.from(`v=${signature.toString('base64')}`, 'utf8'), username: first.username };
  }

  #fail(reason: 'malformed' | 'credentials', detail: string, username: string | null = null): SaslStep {
    this.#isDone = true;
    return { kind: 'failure', reason, detail, username };
  }
}
