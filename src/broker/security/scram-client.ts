/**
 * The client's side of a SCRAM-SHA-256/512 exchange (RFC 5802 section 5), for tributary's Kafka client.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { StreamsError } from '../../errors.js';
import {
  clientKeyOf,
  encodeSaslName,
  hmac,
  parseServerFinal,
  parseServerFirst,
  saltedPassword,
  scramHashOf,
  storedKeyOf,
  xor,
  DEFAULT_SCRAM_ITERATIONS,
  type ScramHash,
  type ScramMechanism,
} from './scram.js';

/**
 * Options of a {@link ScramClient}; for tests (RFC test vectors fix the nonce and the hash).
 *
 * @example
 * ```ts
 * const options: ScramClientOptions = { clientNonce: 'rOprNGfwEbeRWgbNEkqO' };
 * ```
 */
export interface ScramClientOptions {
  /** Default 24 random bytes in base64. */
  readonly clientNonce?: string;
  /** Default the mechanism's hash. */
  readonly hash?: ScramHash;
  /** Fewer iterations than this in the server-first message are refused (a downgrade); default 4096. */
  readonly minIterations?: number;
}

const GS2_HEADER = 'n,,';

/**
 * One SCRAM exchange on the client: {@link first}, then {@link final} with the server-first message, then
 * {@link verify} with the server-final message. Every failure is a StreamsError AUTHENTICATION_FAILED (not retriable:
 * credentials or a server that cannot prove it knows them do not get better by trying again).
 *
 * @example
 * ```ts
 * const scram = new ScramClient('SCRAM-SHA-512', 'alice', 'alice-secret');
 * const serverFirst = await exchange(scram.first());
 * const serverFinal = await exchange(await scram.final(serverFirst));
 * scram.verify(serverFinal);
 * ```
 */
export class ScramClient {
  readonly mechanism: ScramMechanism;
  readonly #hash: ScramHash;
  readonly #password: string;
  readonly #nonce: string;
  readonly #bare: string;
  readonly #minIterations: number;
  #expectedSignature: Buffer | null = null;

  constructor(mechanism: ScramMechanism, username: string, password: string, options: ScramClientOptions = {}) {
    this.mechanism = mechanism;
    this.#hash = options.hash ?? scramHashOf(mechanism);
    this.#password = password;
    this.#nonce = options.clientNonce ?? randomBytes(24).toString('base64');
    this.#bare = `n=${encodeSaslName(username)},r=${this.#nonce}`;
    this.#minIterations = options.minIterations ?? DEFAULT_SCRAM_ITERATIONS;
  }

  /** The client-first message. */
  first(): Buffer {
    return Buffer.from(GS2_HEADER + this.#bare, 'utf8');
  }

  /** The client-final message (with the proof) for the server's first message. */
  async final(serverFirstBytes: Buffer): Promise<Buffer> {
    const serverFirstText = serverFirstBytes.toString('utf8');
    const serverFirst = parseServerFirst(serverFirstText);
    if (serverFirst === null) throw this.#error('the server-first message is malformed');
    if (!serverFirst.nonce.startsWith(this.#nonce) || serverFirst.nonce.length === this.#nonce.length) {
      throw this.#error('the server-first message does not extend our nonce');
    }
    if (serverFirst.iterations < this.#minIterations) throw this.#error(`the server asks for ${serverFirst.iterations} iterations, fewer than ${this.#minIterations}`);
    const salted = await saltedPassword(this.#hash, this.#password, serverFirst.salt, serverFirst.iterations);
    const withoutProof = `c=${Buffer.from(GS2_HEADER, 'utf8').toString('base64')},r=${serverFirst.nonce}`;
    const authMessage = `${this.#bare},${serverFirstText},${withoutProof}`;
    const clientKey = clientKeyOf(this.#hash, salted);
    const proof = xor(clientKey, hmac(this.#hash, storedKeyOf(this.#hash, clientKey), authMessage));
    this.#expectedSignature = hmac(this.#hash, hmac(this.#hash, salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Checks the server-final message: the server proved it knows our credential. Throws otherwise. */
  verify(serverFinalBytes: Buffer): void {
    const expected = this.#expectedSignature;
    if (expected === null) throw this.#error('server-final message before client-final');
    const parsed = parseServerFinal(serverFinalBytes.toString('utf8'));
    if (parsed === null) throw this.#error('the server-final message is malformed');
    if ('error' in parsed) throw this.#error(`the server refused: ${parsed.error}`);
    if (parsed.verifier.length !== expected.length || !timingSafeEqual(parsed.verifier, expected)) {
      throw this.#error('the server signature does not match (the server does not know the credential)');
    }
  }

  #error(message: string): StreamsError {
    return new StreamsError('AUTHENTICATION_FAILED', `SASL ${this.mechanism} authentication failed: ${message}`);
  }
}
