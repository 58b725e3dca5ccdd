/**
 * The broker's SASL users: salted, iterated SCRAM credentials per user and mechanism in one JSON file under the
 * data directory, replaced atomically on every change.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StreamsError, toError } from '../../errors.js';
import { replaceJsonFile } from '../../util/replace-file.js';
import { DEFAULT_SCRAM_ITERATIONS, isScramMechanism, scramCredential, scramHashOf, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from './scram.js';
import type { CredentialLookup } from './sasl-mechanism.js';

/**
 * One user as `tributary users list` shows it: the mechanisms it has a credential for, with their iteration counts.
 *
 * @example
 * ```ts
 * const u: UserInfo = { name: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] };
 * ```
 */
export interface UserInfo {
  readonly name: string;
  readonly credentials: readonly { readonly mechanism: ScramMechanism; readonly iterations: number }[];
}

/**
 * Options of {@link CredentialStore.addUser}.
 *
 * @example
 * ```ts
 * await store.addUser('alice', 'secret', { mechanisms: ['SCRAM-SHA-512'], iterations: 8192 });
 * ```
 */
export interface AddUserOptions {
  /** Default both SCRAM-SHA-256 and SCRAM-SHA-512 (PLAIN checks against the SHA-512 one). */
  readonly mechanisms?: readonly ScramMechanism[];
  /** PBKDF2 iterations; default and minimum 4096, as Kafka. */
  readonly iterations?: number;
}

/** The file's shape: `{ version: 1, users: { name: { 'SCRAM-SHA-512': { salt, storedKey, serverKey, iterations } } } }`, keys base64. */
interface StoredFile {
  readonly version: 1;
  readonly users: Record<string, Partial<Record<ScramMechanism, StoredCredential>>>;
}
interface StoredCredential {
  readonly salt: string;
  readonly storedKey: string;
  readonly serverKey: string;
  readonly iterations: number;
}

const FILE_VERSION = 1;
const MAX_ITERATIONS = 10_000_000;

/**
 * SCRAM credentials by user and mechanism, kept in `<dataDir>/security/credentials.json` (the directory created
 * 0700): the password is never stored, only the salt, the iteration count, StoredKey and ServerKey (RFC 5802), as
 * Kafka keeps them. Changes are written with an atomic replace, so a reader never sees half a file.
 *
 * A running broker picks changes up without a restart: before each authentication it calls {@link refresh}, which
 * re-reads the file when it changed (inode, size or mtime); a file that fails to parse then is logged by the caller
 * and the previous users stay in force. So `tributary users add|remove` works on a stopped or a running broker.
 *
 * @example
 * ```ts
 * const store = CredentialStore.forDataDir('./data');
 * await store.addUser('alice', 'alice-secret');
 * store.credential('alice', 'SCRAM-SHA-512')?.iterations; // 4096
 * ```
 */
export class CredentialStore implements CredentialLookup {
  readonly file: string;
  #users = new Map<string, Map<ScramMechanism, ScramCredential>>();
  /** `ino:size:mtimeMs` of the file last read ('' when it was missing). */
  #version: string | null = null;

  private constructor(file: string) {
    this.file = file;
  }

  /**
   * The store of a broker's data directory, read now (a missing file means no users). Throws INVALID_CONFIG when the
   * file exists but is not a valid credentials file.
   */
  static forDataDir(dataDir: string): CredentialStore {
    return CredentialStore.at(path.join(dataDir, 'security', 'credentials.json'));
  }

  /** A store kept in `file`, read now; see {@link forDataDir}. */
  static at(file: string): CredentialStore {
    const store = new CredentialStore(file);
    store.#loadSync();
    return store;
  }

  /** The credential of a user for a mechanism, or undefined. */
  credential(username: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.#users.get(username)?.get(mechanism);
  }

  /** Every user with the mechanisms it has, sorted by name. */
  users(): UserInfo[] {
    return [...this.#users]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, creds]) => ({ name, credentials: [...creds].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })) }));
  }

  /** Whether the user exists. */
  hasUser(username: string): boolean {
    return this.#users.has(username);
  }

  /**
   * Re-reads the file if it changed since it was last read (one stat when it did not). Rejects with INVALID_CONFIG
   * (the users read before stay) when the new content is not a valid credentials file.
   */
  async refresh(): Promise<void> {
    let version: string;
    try {
      const st = await fs.promises.stat(this.file);
      version = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(this.file, e);
      version = '';
    }
    if (version === this.#version) return;
    this.#loadSync();
  }

  /**
   * Adds the user, or replaces its credentials for the given mechanisms (a new salt each time), and writes the file.
   * The user name must be 1..255 characters without control characters.
   */
  async addUser(username: string, password: string, options: AddUserOptions = {}): Promise<void> {
    validateUsername(username);
    if (password === '') throw new StreamsError('INVALID_CONFIG', 'the password must not be empty');
    const iterations = options.iterations ?? DEFAULT_SCRAM_ITERATIONS;
    if (!Number.isInteger(iterations) || iterations < DEFAULT_SCRAM_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new StreamsError('INVALID_CONFIG', `iterations must be a whole number from ${DEFAULT_SCRAM_ITERATIONS} to ${MAX_ITERATIONS}, got ${iterations}`);
    }
    const mechanisms = options.mechanisms ?? SCRAM_MECHANISMS;
    if (mechanisms.length === 0) throw new StreamsError('INVALID_CONFIG', 'give at least one SCRAM mechanism');
    const created = new Map<ScramMechanism, ScramCredential>();
    for (const m of mechanisms) created.set(m, await scramCredential(scramHashOf(m), password, randomBytes(32), iterations));
    this.#loadSync(); // another process may have changed the file meanwhile
    const creds = this.#users.get(username) ?? new Map<ScramMechanism, ScramCredential>();
    for (const [m, c] of created) creds.set(m, c);
    this.#users.set(username, creds);
    this.#save();
  }

  /** Removes the user (every mechanism) and writes the file; false when there was no such user. */
  removeUser(username: string): boolean {
    this.#loadSync();
    if (!this.#users.delete(username)) return false;
    this.#save();
    return true;
  }

  #loadSync(): void {
    let text: string;
    let version: string;
    try {
      const fd = fs.openSync(this.file, 'r');
      try {
        const st = fs.fstatSync(fd);
        version = `${st.ino}:${st.size}:${st.mtimeMs}`;
        text = fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(this.file, e);
      this.#users = new Map();
      this.#version = '';
      return;
    }
    this.#users = parseFile(this.file, text);
    this.#version = version;
  }

  #save(): void {
    const users: StoredFile['users'] = {};
    for (const [name, creds] of this.#users) {
      const entry: Partial<Record<ScramMechanism, StoredCredential>> = {};
      for (const [m, c] of creds) {
        entry[m] = { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations };
      }
      Object.defineProperty(users, name, { value: entry, enumerable: true, writable: true, configurable: true });
    }
    const file: StoredFile = { version: FILE_VERSION, users };
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      replaceJsonFile(this.file, file);
    } catch (e: unknown) {
      throw storageError(this.file, e);
    }
    this.#version = null; // read our own write back on the next refresh: cheap, and keeps one source of truth
  }
}

function parseFile(file: string, text: string): Map<string, Map<ScramMechanism, ScramCredential>> {
  const bad = (why: string): StreamsError => new StreamsError('INVALID_CONFIG', `credentials file ${file} is invalid: ${why}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e: unknown) {
    throw new StreamsError('INVALID_CONFIG', `credentials file ${file} is not JSON`, { cause: e });
  }
  if (!isObject(raw) || raw['version'] !== FILE_VERSION || !isObject(raw['users'])) throw bad(`expected { version: ${FILE_VERSION}, users: {...} }`);
  const users = new Map<string, Map<ScramMechanism, ScramCredential>>();
  for (const [name, entry] of Object.entries(raw['users'])) {
    if (!isObject(entry)) throw bad(`user ${JSON.stringify(name)} is not an object`);
    const creds = new Map<ScramMechanism, ScramCredential>();
    for (const [mechanism, c] of Object.entries(entry)) {
      if (!isScramMechanism(mechanism)) throw bad(`user ${JSON.stringify(name)} has unknown mechanism ${JSON.stringify(mechanism)}`);
      const length = scramHashOf(mechanism) === 'sha256' ? 32 : 64;
      if (
        !isObject(c) ||
        typeof c['salt'] !== 'string' ||
        typeof c['storedKey'] !== 'string' ||
        typeof c['serverKey'] !== 'string' ||
        typeof c['iterations'] !== 'number' ||
        !Number.isInteger(c['iterations']) ||
        c['iterations'] < 1
      ) {
        throw bad(`credential ${mechanism} of user ${JSON.stringify(name)} is incomplete`);
      }
      const credential: ScramCredential = {
        salt: Buffer.from(c['salt'], 'base64'),
        iterations: c['iterations'],
        storedKey: Buffer.from(c['storedKey'], 'base64'),
        serverKey: Buffer.from(c['serverKey'], 'base64'),
      };
      if (credential.salt.length === 0 || credential.storedKey.length !== length || credential.serverKey.length !== length) {
        throw bad(`credential ${mechanism} of user ${JSON.stringify(name)} has keys of the wrong length`);
      }
      creds.set(mechanism, credential);
    }
    if (creds.size > 0) users.set(name, creds);
  }
  return users;
}

function validateUsername(name: string): void {
  // Control characters would make log lines and `users list` ambiguous; Kafka's principals are free text otherwise.
  if (name.length === 0 || name.length > 255 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new StreamsError('INVALID_CONFIG', `a user name must be 1 to 255 characters without control characters, got ${JSON.stringify(name)}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function storageError(file: string, e: unknown): StreamsError {
  return new StreamsError('STORAGE_FAILED', `credentials file ${file}: ${toError(e).message}`, { cause: e });
}
