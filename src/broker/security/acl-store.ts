/**
 * The durable list of ACLs: one JSON file in the broker's data directory (`acls.json`), replaced atomically on each
 * change, read when the broker's server starts and again whenever the file changes (so `tributary acls add` takes
 * effect on a running broker within a second).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StreamsError } from '../../errors.js';
import { replaceJsonFile } from '../../util/replace-file.js';
import { isSameAcl, matchesAclFilter, validateAclBinding, type AclBinding, type AclFilter } from './acl.js';

/** The file's format version; a newer one is refused rather than misread. */
const FORMAT_VERSION = 1;

/**
 * Where a broker keeps its ACLs: `<dataDir>/acls.json`. That the file exists is what turns the ACL authorizer on by
 * default (see KafkaServerOptions.authorizer).
 *
 * @example
 * ```ts
 * const store = AclStore.open(aclFilePath('./data'));
 * ```
 */
export function aclFilePath(dataDir: string): string {
  return path.join(dataDir, 'acls.json');
}

/**
 * Reads the ACL file: [] when it does not exist. Throws INVALID_CONFIG for a file that is not an ACL file (bad JSON,
 * another format version, an invalid binding) and STORAGE_FAILED when it cannot be read.
 *
 * @example
 * ```ts
 * const acls = readAclFile(aclFilePath(dataDir));
 * ```
 */
export function readAclFile(file: string): AclBinding[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StreamsError('STORAGE_FAILED', `cannot read the ACL file ${file}`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e: unknown) {
    throw new StreamsError('INVALID_CONFIG', `the ACL file ${file} is not valid JSON`, { cause: e });
  }
  const doc = parsed as { version?: unknown; acls?: unknown } | null;
  if (doc === null || typeof doc !== 'object' || doc.version !== FORMAT_VERSION || !Array.isArray(doc.acls)) {
    throw new StreamsError('INVALID_CONFIG', `the ACL file ${file} is not an ACL file of format version ${FORMAT_VERSION}`);
  }
  return doc.acls.map((raw: unknown, i: number) => {
    try {
      return validateAclBinding(raw as Record<keyof AclBinding, unknown>);
    } catch (e: unknown) {
      throw new StreamsError('INVALID_CONFIG', `the ACL file ${file}, entry ${i}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  });
}

/**
 * The ACLs of a data directory, changed through this object: every change is written to the file (write to a
 * temporary file, rename) before the call returns.
 *
 * @example
 * ```ts
 * const store = AclStore.open(aclFilePath(dataDir));
 * store.add([{ principal: 'User:alice', host: '*', operation: 'Read', permission: 'Allow', resourceType: 'Topic', resourceName: 'orders', patternType: 'Literal' }]);
 * store.list({ principal: 'User:alice' }).length; // 1
 * ```
 */
export class AclStore {
  readonly file: string;
  #acls: AclBinding[];

  private constructor(file: string, acls: AclBinding[]) {
    this.file = file;
    this.#acls = acls;
  }

  /** Opens the store of `file` (which need not exist yet: the first change creates it). */
  static open(file: string): AclStore {
    return new AclStore(file, readAclFile(file));
  }

  /** The bindings that match `filter` (all without one), in the order they were added. */
  list(filter: AclFilter = {}): AclBinding[] {
    return this.#acls.filter((b) => matchesAclFilter(b, filter));
  }

  /**
   * Adds the bindings not already there (each validated first: nothing is written when one is invalid) and writes
   * the file, also when nothing was new, so that the file exists. Returns the bindings it added.
   */
  add(bindings: readonly AclBinding[]): AclBinding[] {
    const valid = bindings.map((b) => validateAclBinding(b));
    const next = [...this.#acls];
    const added: AclBinding[] = [];
    for (const b of valid) {
      if (next.some((e) => isSameAcl(e, b))) continue;
      next.push(b);
      added.push(b);
    }
    this.#write(next);
    return added;
  }

  /** Removes every binding matching `filter` and returns them; the file stays, even empty (the authorizer stays on). */
  remove(filter: AclFilter): AclBinding[] {
    const removed = this.#acls.filter((b) => matchesAclFilter(b, filter));
    if (removed.length > 0) this.#write(this.#acls.filter((b) => !matchesAclFilter(b, filter)));
    return removed;
  }

  #write(acls: AclBinding[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    try {
      replaceJsonFile(this.file, { version: FORMAT_VERSION, acls });
    } catch (e: unknown) {
      throw new StreamsError('STORAGE_FAILED', `cannot write the ACL file ${this.file}`, { cause: e });
    }
    this.#acls = acls;
  }
}

/**
 * Calls `onChange` with the file's ACLs whenever it changes: its status (inode, size, modification time) is taken
 * now, synchronously, then compared every `intervalMs`, so a change made right after this call is seen too (start
 * watching before reading the file). A file that cannot be read or parsed, or that was removed, is reported through
 * `onError` and the ACLs in force stay. The timer does not keep the process alive; call the returned function to stop.
 *
 * @example
 * ```ts
 * const stop = watchAclFile(file, 1000, (acls) => authorizer.update(acls), (e) => logger.error({ err: e }, 'bad ACL file'));
 * const acls = readAclFile(file);
 * ```
 */
export function watchAclFile(file: string, intervalMs: number, onChange: (acls: AclBinding[]) => void, onError: (e: unknown) => void): () => void {
  let last = statKey(file);
  let isBusy = false;
  const timer = setInterval(() => {
    if (isBusy) return;
    isBusy = true;
    fs.stat(file, (err, st) => {
      isBusy = false;
      const key = err === null ? `${st.ino}:${st.size}:${st.mtimeMs}` : null;
      if (key === last) return;
      last = key;
      if (key === null) {
        // Removed while the broker runs: keep what is in force (a restart without the file turns the authorizer off).
        onError(new StreamsError('STORAGE_FAILED', `the ACL file ${file} was removed`));
        return;
      }
      try {
        onChange(readAclFile(file));
      } catch (e: unknown) {
        onError(e);
      }
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function statKey(file: string): string | null {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}
