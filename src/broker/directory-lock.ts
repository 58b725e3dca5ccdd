import * as fs from 'node:fs';
import * as path from 'node:path';
import { StreamsError } from '../errors.js';

const held = new Set<string>();

/**
 * An exclusive lock on a broker's data directory (`.lock` holding the owner's pid), so two brokers never write
 * the same files. A lock left by a process that no longer runs (killed) is taken over.
 */
export class DirectoryLock {
  readonly #file: string;
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#file = path.join(dir, '.lock');
  }

  static acquire(dir: string): DirectoryLock {
    const lock = new DirectoryLock(dir);
    if (held.has(dir)) throw new StreamsError('ILLEGAL_STATE', `data directory ${dir} is already open in this process`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(lock.#file, String(process.pid), { flag: 'wx' });
        held.add(dir);
        return lock;
      } catch (e: unknown) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StreamsError('STORAGE_FAILED', `cannot lock data directory ${dir}: ${(e as Error).message}`, { cause: e });
        }
        const owner = Number(fs.readFileSync(lock.#file, 'utf8'));
        if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
          throw new StreamsError('ILLEGAL_STATE', `data directory ${dir} is locked by running process ${owner}`);
        }
        fs.rmSync(lock.#file, { force: true });
      }
    }
    throw new StreamsError('ILLEGAL_STATE', `cannot lock data directory ${dir}`);
  }

  release(): void {
    held.delete(this.#dir);
    fs.rmSync(this.#file, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
