/**
 * SASL PLAIN (RFC 4616): one message `[authzid] NUL authcid NUL passwd`, checked against the user's stored SCRAM
 * credential (the password is never stored): PBKDF2 of the given password with the stored salt and iterations must
 * give the stored key.
 */
import { timingSafeEqual } from 'node:crypto';
import { clientKeyOf, DEFAULT_SCRAM_ITERATIONS, saltedPassword, scramHashOf, storedKeyOf, type ScramCredential, type ScramMechanism } from './scram.js';
import { utf8OrNull, type CredentialLookup, type SaslServerMechanism, type SaslStep } from './sasl-mechanism.js';

/** RFC 4616 caps each field at 255 octets. */
const MAX_FIELD_BYTES = 255;
const EMPTY = Buffer.alloc(0);
/** Checked for a user who does not exist, so that a failure costs the same time whether or not the user exists. */
const DECOY: ScramCredential = { salt: Buffer.alloc(32, 7), iterations: DEFAULT_SCRAM_ITERATIONS, storedKey: Buffer.alloc(64), serverKey: Buffer.alloc(64) };

/**
 * The authcid and password of a PLAIN message, or null when it is malformed (not three NUL-separated UTF-8 fields,
 * an empty user name or password, a field over 255 bytes, or an authzid other than the user name).
 *
 * @example
 * ```ts
 * parsePlainMessage(Buffer.from('\0alice\0secret')); // { username: 'alice', password: 'secret' }
 * ```
 */
export function parsePlainMessage(token: Buffer): { readonly username: string; readonly password: string; readonly authzid: string } | null {
  const first = token.indexOf(0);
  const second = first < 0 ? -1 : token.indexOf(0, first + 1);
  if (second < 0 || token.indexOf(0, second + 1) >= 0) return null;
  const authzid = utf8OrNull(token.subarray(0, first));
  const username = utf8OrNull(token.subarray(first + 1, second));
  const password = utf8OrNull(token.subarray(second + 1));
  if (authzid === null || username === null || password === null) return null;
  if (username === '' || password === '' || first > MAX_FIELD_BYTES || second - first - 1 > MAX_FIELD_BYTES || token.length - second - 1 > MAX_FIELD_BYTES) return null;
  return { username, password, authzid };
}

/**
 * The PLAIN message a client sends.
 *
 * @example
 * ```ts
 * await conn.send(ApiKey.SaslAuthenticate, { authBytes: plainClientMessage('alice', 'secret') });
 * ```
 */
export function plainClientMessage(username: string, password: string): Buffer {
  return Buffer.from(`\0${username}\0${password}`, 'utf8');
}

/**
 * The server side of SASL PLAIN. The password is checked against the user's SCRAM-SHA-512 credential (or its
 * SCRAM-SHA-256 one when that is all the user has), in constant time; a user who does not exist costs the same
 * PBKDF2 work and gets the same answer as a wrong password.
 *
 * @example
 * ```ts
 * const step = await new PlainServer(credentialStore).step(Buffer.from('\0alice\0secret')); // success, username 'alice'
 * ```
 */
export class PlainServer implements SaslServerMechanism {
  readonly name = 'PLAIN' as const;
  readonly #credentials: CredentialLookup;
  #isDone = false;

  constructor(credentials: CredentialLookup) {
    this.#credentials = credentials;
  }

  async step(token: Buffer): Promise<SaslStep> {
    if (this.#isDone) return { kind: 'failure', reason: 'malformed', detail: 'PLAIN exchange already finished', username: null };
    this.#isDone = true;
    const message = parsePlainMessage(token);
    if (message === null) return { kind: 'failure', reason: 'malformed', detail: 'invalid PLAIN message', username: null };
    const { username, password, authzid } = message;
    if (authzid !== '' && authzid !== username) return { kind: 'failure', reason: 'credentials', detail: 'authorization id differs from the user name', username };
    let mechanism: ScramMechanism = 'SCRAM-SHA-512';
    let credential = this.#credentials.credential(username, mechanism);
    if (credential === undefined) {
      mechanism = 'SCRAM-SHA-256';
      credential = this.#credentials.credential(username, mechanism);
    }
    const checked = credential ?? DECOY;
    const hash = scramHashOf(credential === undefined ? 'SCRAM-SHA-512' : mechanism);
    const storedKey = storedKeyOf(hash, clientKeyOf(hash, await saltedPassword(hash, password, checked.salt, checked.iterations)));
    const isMatch = storedKey.length === checked.storedKey.length && timingSafeEqual(storedKey, checked.storedKey);
    if (credential === undefined) return { kind: 'failure', reason: 'credentials', detail: 'unknown user', username };
    if (!isMatch) return { kind: 'failure', reason: 'credentials', detail: 'wrong password', username };
    return { kind: 'success', bytes: EMPTY, username };
  }
}
