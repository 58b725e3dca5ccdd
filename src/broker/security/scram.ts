/**
 * SCRAM (RFC 5802, RFC 7677) for Kafka's SCRAM-SHA-256 and SCRAM-SHA-512: the key derivation both sides share and the
 * grammar of the four messages. The server side is scram-server.ts, the client side scram-client.ts.
 *
 * ```
 * client-first  = gs2-header client-first-bare      gs2-header = ("n" / "y") "," ["a=" authzid] ","
 * client-first-bare = "n=" saslname ",r=" c-nonce ["," extensions]
 * server-first  = "r=" c-nonce s-nonce ",s=" base64(salt) ",i=" iterations ["," extensions]
 * client-final  = "c=" base64(gs2-header) ",r=" nonce ["," extensions] ",p=" base64(ClientProof)
 * server-final  = "v=" base64(ServerSignature) / "e=" error
 * SaltedPassword = PBKDF2(password, salt, i)   ClientKey = HMAC(SaltedPassword, "Client Key")   StoredKey = H(ClientKey)
 * ServerKey = HMAC(SaltedPassword, "Server Key")   AuthMessage = client-first-bare "," server-first "," client-final-without-proof
 * ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage)   ServerSignature = HMAC(ServerKey, AuthMessage)
 * ```
 * Passwords are used as their UTF-8 bytes, without SASLprep, as Kafka's ScramFormatter does.
 */
import { createHash, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/**
 * The SCRAM mechanisms Kafka defines.
 *
 * @example
 * ```ts
 * const mechanism: ScramMechanism = 'SCRAM-SHA-512';
 * ```
 */
export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/**
 * Every {@link ScramMechanism}, in Kafka's order.
 *
 * @example
 * ```ts
 * for (const m of SCRAM_MECHANISMS) await store.addUser('alice', password, { mechanisms: [m] });
 * ```
 */
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = Object.freeze(['SCRAM-SHA-256', 'SCRAM-SHA-512']);

/**
 * Kafka's default (and minimum) iteration count for SCRAM-SHA-256/512 credentials.
 *
 * @example
 * ```ts
 * await scramCredential('sha512', 'secret', randomBytes(32), DEFAULT_SCRAM_ITERATIONS);
 * ```
 */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

/**
 * A hash SCRAM runs over: sha256 and sha512 for Kafka's mechanisms; sha1 only for RFC 5802's own test vector.
 *
 * @example
 * ```ts
 * const hash: ScramHash = scramHashOf('SCRAM-SHA-256'); // 'sha256'
 * ```
 */
export type ScramHash = 'sha1' | 'sha256' | 'sha512';

/**
 * The hash of a SCRAM mechanism.
 *
 * @example
 * ```ts
 * scramHashOf('SCRAM-SHA-512'); // 'sha512'
 * ```
 */
export function scramHashOf(mechanism: ScramMechanism): ScramHash {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

/**
 * True for the names of {@link SCRAM_MECHANISMS}.
 *
 * @example
 * ```ts
 * if (!isScramMechanism(flag)) throw new UsageError(`unknown mechanism ${flag}`);
 * ```
 */
export function isScramMechanism(name: string): name is ScramMechanism {
  return name === 'SCRAM-SHA-256' || name === 'SCRAM-SHA-512';
}

/**
 * What a server keeps for one user and mechanism: never the password, only what verifies a proof (StoredKey) and
 * signs the server's answer (ServerKey).
 *
 * @example
 * ```ts
 * const credential: ScramCredential = await scramCredential('sha512', 'alice-secret', randomBytes(32), 4096);
 * ```
 */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/**
 * PBKDF2 of the password's UTF-8 bytes (SCRAM's Hi()), off the event loop.
 *
 * @example
 * ```ts
 * const salted = await saltedPassword('sha256', 'pencil', salt, 4096);
 * ```
 */
export function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, hashLength(hash), hash);
}

/**
 * The credential a server stores for `password`.
 *
 * @example
 * ```ts
 * const c = await scramCredential('sha512', 'secret', randomBytes(32), DEFAULT_SCRAM_ITERATIONS);
 * ```
 */
export async function scramCredential(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<ScramCredential> {
  const salted = await saltedPassword(hash, password, salt, iterations);
  return { salt, iterations, storedKey: storedKeyOf(hash, clientKeyOf(hash, salted)), serverKey: hmac(hash, salted, 'Server Key') };
}

/**
 * SCRAM's ClientKey: HMAC(SaltedPassword, "Client Key").
 *
 * @example
 * ```ts
 * const clientKey = clientKeyOf('sha512', await saltedPassword('sha512', password, salt, 4096));
 * ```
 */
export function clientKeyOf(hash: ScramHash, salted: Buffer): Buffer {
  return hmac(hash, salted, 'Client Key');
}

/**
 * SCRAM's StoredKey: H(ClientKey), what the server keeps to verify proofs.
 *
 * @example
 * ```ts
 * const storedKey = storedKeyOf('sha512', clientKey);
 * ```
 */
export function storedKeyOf(hash: ScramHash, clientKey: Buffer): Buffer {
  return createHash(hash).update(clientKey).digest();
}

/**
 * HMAC of `data` (a string is taken as UTF-8) under `key`.
 *
 * @example
 * ```ts
 * const signature = hmac('sha256', serverKey, authMessage);
 * ```
 */
export function hmac(hash: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest();
}

/**
 * `a XOR b`, byte by byte (`a` and `b` of the same length): ClientProof from ClientKey and ClientSignature, and back.
 *
 * @example
 * ```ts
 * const proof = xor(clientKey, clientSignature);
 * ```
 */
export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Whether `proof` proves knowledge of the password behind `storedKey` for this AuthMessage: recovers ClientKey and
 * compares H(ClientKey) with StoredKey in constant time. A proof of the wrong length is false.
 *
 * @example
 * ```ts
 * if (!isValidClientProof('sha512', credential.storedKey, authMessage, proof)) fail();
 * ```
 */
export function isValidClientProof(hash: ScramHash, storedKey: Buffer, authMessage: string, proof: Buffer): boolean {
  if (proof.length !== storedKey.length) return false;
  const clientKey = xor(proof, hmac(hash, storedKey, authMessage));
  return timingSafeEqual(storedKeyOf(hash, clientKey), storedKey);
}

/**
 * The digest length of a hash in bytes (20, 32, 64): the length of keys, proofs and signatures.
 *
 * @example
 * ```ts
 * hashLength('sha512'); // 64
 * ```
 */
export function hashLength(hash: ScramHash): number {
  return hash === 'sha1' ? 20 : hash === 'sha256' ? 32 : 64;
}

// ---- the message grammar ------------------------------------------------------------------------------------------

/**
 * A parsed client-first message.
 *
 * @example
 * ```ts
 * const first: ClientFirst = parseClientFirst('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL')!;
 * ```
 */
export interface ClientFirst {
  /** `n,,` or `y,,` or with an authzid `n,a=alice,`: echoed (base64) in the client-final's channel binding. */
  readonly gs2Header: string;
  /** The authorization id, or null when absent. */
  readonly authzid: string | null;
  /** The user name, `=2C` and `=3D` decoded. */
  readonly username: string;
  readonly nonce: string;
  /** Extensions after the nonce (Kafka's `tokenauth=true`), name to value. */
  readonly extensions: ReadonlyMap<string, string>;
  /** client-first-message-bare, part of the AuthMessage. */
  readonly bare: string;
}

/**
 * Parses a client-first message; null when it breaks the grammar, asks for channel binding (`p=`), uses the
 * reserved `m=` attribute, or carries an invalid nonce or user name.
 *
 * @example
 * ```ts
 * parseClientFirst('n,,n=user,r=abc')?.username; // 'user'
 * ```
 */
export function parseClientFirst(message: string): ClientFirst | null {
  const firstComma = message.indexOf(',');
  if (firstComma < 0) return null;
  const flag = message.slice(0, firstComma);
  if (flag !== 'n' && flag !== 'y') return null; // 'p=...' asks for channel binding, which Kafka does not offer
  const secondComma = message.indexOf(',', firstComma + 1);
  if (secondComma < 0) return null;
  const authzPart = message.slice(firstComma + 1, secondComma);
  let authzid: string | null = null;
  if (authzPart !== '') {
    if (!authzPart.startsWith('a=')) return null;
    authzid = decodeSaslName(authzPart.slice(2));
    if (authzid === null || authzid === '') return null;
  }
  const gs2Header = message.slice(0, secondComma + 1);
  const bare = message.slice(secondComma + 1);
  const attrs = bare.split(',');
  if (attrs.length < 2 || !attrs[0]!.startsWith('n=') || !attrs[1]!.startsWith('r=')) return null;
  const username = decodeSaslName(attrs[0]!.slice(2));
  const nonce = attrs[1]!.slice(2);
  if (username === null || username === '' || !isValidNonce(nonce)) return null;
  const extensions = parseExtensions(attrs, 2);
  if (extensions === null) return null;
  return { gs2Header, authzid, username, nonce, extensions, bare };
}

/**
 * A parsed client-final message.
 *
 * @example
 * ```ts
 * const final: ClientFinal = parseClientFinal('c=biws,r=abcdef,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')!;
 * ```
 */
export interface ClientFinal {
  /** The decoded `c=` value: the gs2 header (no channel-binding data without channel binding). */
  readonly channelBinding: Buffer;
  readonly nonce: string;
  readonly proof: Buffer;
  /** client-final-message-without-proof, part of the AuthMessage. */
  readonly withoutProof: string;
}

/**
 * Parses a client-final message; null when it breaks the grammar (the proof must come last).
 *
 * @example
 * ```ts
 * parseClientFinal('c=biws,r=abc,p=AAAA')?.nonce; // 'abc'
 * ```
 */
export function parseClientFinal(message: string): ClientFinal | null {
  const proofAt = message.lastIndexOf(',p=');
  if (proofAt < 0) return null;
  const withoutProof = message.slice(0, proofAt);
  const attrs = withoutProof.split(',');
  if (attrs.length < 2 || !attrs[0]!.startsWith('c=') || !attrs[1]!.startsWith('r=')) return null;
  const channelBinding = decodeBase64(attrs[0]!.slice(2));
  const proof = decodeBase64(message.slice(proofAt + 3));
  const nonce = attrs[1]!.slice(2);
  if (channelBinding === null || proof === null || !isValidNonce(nonce) || parseExtensions(attrs, 2) === null) return null;
  return { channelBinding, nonce, proof, withoutProof };
}

/**
 * A parsed server-first message (the client's view).
 *
 * @example
 * ```ts
 * const sf: ServerFirst = parseServerFirst('r=abcXYZ,s=QSXCR+Q6sek8bf92,i=4096')!;
 * ```
 */
export interface ServerFirst {
  readonly nonce: string;
  readonly salt: Buffer;
  readonly iterations: number;
}

/**
 * Parses a server-first message; null when it breaks the grammar or the iteration count is not a positive integer.
 *
 * @example
 * ```ts
 * parseServerFirst('r=abcXYZ,s=QSXCR+Q6sek8bf92,i=4096')?.iterations; // 4096
 * ```
 */
export function parseServerFirst(message: string): ServerFirst | null {
  const attrs = message.split(',');
  if (attrs.length < 3 || !attrs[0]!.startsWith('r=') || !attrs[1]!.startsWith('s=') || !attrs[2]!.startsWith('i=')) return null;
  const nonce = attrs[0]!.slice(2);
  const salt = decodeBase64(attrs[1]!.slice(2));
  const iterations = /^[1-9]\d{0,9}$/.test(attrs[2]!.slice(2)) ? Number(attrs[2]!.slice(2)) : NaN;
  if (!isValidNonce(nonce) || salt === null || salt.length === 0 || !Number.isSafeInteger(iterations)) return null;
  return { nonce, salt, iterations };
}

/**
 * Parses a server-final message: the verifier, or the server's error; null when it is neither.
 *
 * @example
 * ```ts
 * parseServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='); // { verifier: <Buffer ...> }
 * ```
 */
export function parseServerFinal(message: string): { readonly verifier: Buffer } | { readonly error: string } | null {
  if (message.startsWith('e=')) return { error: message.slice(2).split(',')[0]! };
  if (!message.startsWith('v=')) return null;
  const verifier = decodeBase64(message.slice(2).split(',')[0]!);
  return verifier === null ? null : { verifier };
}

/**
 * A user name as SCRAM writes it: `=` as `=3D`, `,` as `=2C`.
 *
 * @example
 * ```ts
 * encodeSaslName('a,b=c'); // 'a=2Cb=3Dc'
 * ```
 */
export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/**
 * The inverse of {@link encodeSaslName}; null when an `=` is not followed by `2C` or `3D`.
 *
 * @example
 * ```ts
 * decodeSaslName('a=2Cb'); // 'a,b'
 * ```
 */
export function decodeSaslName(value: string): string | null {
  if (!value.includes('=')) return value;
  if (/=(?!2C|3D)/.test(value)) return null;
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** A nonce: one or more printable ASCII characters other than ','. */
function isValidNonce(nonce: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(nonce);
}

/** `name=value` attributes from `attrs[from]` on; null for one without `=` or with a one-letter reserved name. */
function parseExtensions(attrs: readonly string[], from: number): Map<string, string> | null {
  const out = new Map<string, string>();
  for (let i = from; i < attrs.length; i++) {
    const a = attrs[i]!;
    const eq = a.indexOf('=');
    if (eq <= 0) return null;
    const name = a.slice(0, eq);
    // Single-letter attributes are SCRAM's own (m= is reserved and must be refused); extensions are longer names.
    if (name.length === 1 || !/^[A-Za-z0-9]+$/.test(name)) return null;
    out.set(name, a.slice(eq + 1));
  }
  return out;
}

/** Strict base64 (padding required, no whitespace); null otherwise. */
function decodeBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return Buffer.from(s, 'base64');
}
