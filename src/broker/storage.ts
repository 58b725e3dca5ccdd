import * as fs from 'node:fs';
import * as path from 'node:path';
import { StreamsError } from '../errors.js';

/**
 * The byte-level storage under the log: append-only files in directories. The whole log (segments, indexes,
 * recovery) is written once against this interface; {@link FileStorage} puts it on disk and {@link MemoryStorage}
 * keeps it in memory with identical behaviour, so tests and the TopologyTestDriver exercise the real log code.
 */
export interface Storage {
  readonly kind: 'file' | 'memory';
  mkdirp(dir: string): void;
  /** Entry names in `dir` (files and directories), or [] if it does not exist. */
  list(dir: string): string[];
  exists(p: string): boolean;
  /** Opens (creating if missing) a file for reading and appending. */
  open(p: string): LogFile;
  /** The whole file, or null when missing. */
  readFile(p: string): Buffer | null;
  /** Replaces a small file atomically (write temp, fsync, rename), so a crash leaves the old or the new bytes. */
  writeFileAtomic(p: string, data: Uint8Array): void;
  remove(p: string): void;
  removeDir(p: string): void;
  rename(from: string, to: string): void;
}

/** An open append-only file. Writes go to the end; `truncate` cuts the tail (recovery, failed appends). */
export interface LogFile {
  readonly path: string;
  readonly size: number;
  /** Appends all bytes; on failure the file is cut back to its previous size and STORAGE_FAILED is thrown. */
  append(data: Uint8Array): void;
  /** Reads up to `length` bytes from `position` (fewer at the end of the file). */
  read(position: number, length: number): Buffer;
  truncate(size: number): void;
  /** fdatasync: resolves when every byte appended before the call is durable. */
  sync(): Promise<void>;
  syncNow(): void;
  close(): void;
}

function storageError(op: string, p: string, cause: unknown): StreamsError {
  return new StreamsError('STORAGE_FAILED', `${op} ${p} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
}

class DiskFile implements LogFile {
  readonly path: string;
  #fd: number;
  #size: number;
  #closed = false;

  constructor(p: string) {
    this.path = p;
    try {
      this.#fd = fs.openSync(p, 'a+');
      this.#size = fs.fstatSync(this.#fd).size;
    } catch (e: unknown) {
      throw storageError('open', p, e);
    }
  }

  get size(): number {
    return this.#size;
  }

  append(data: Uint8Array): void {
    let written = 0;
    try {
      while (written < data.byteLength) {
        written += fs.writeSync(this.#fd, data, written, data.byteLength - written);
      }
      this.#size += written;
    } catch (e: unknown) {
      // A partial write (ENOSPC, EIO) must not leave a torn batch behind to be served.
      try {
        fs.ftruncateSync(this.#fd, this.#size);
      } catch {
        /* recovery truncates the torn tail at the next open */
      }
      throw storageError('append to', this.path, e);
    }
  }

  read(position: number, length: number): Buffer {
    const n = Math.max(0, Math.min(length, this.#size - position));
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    try {
      while (got < n) {
        const r = fs.readSync(this.#fd, buf, got, n - got, position + got);
        if (r === 0) break;
        got += r;
      }
    } catch (e: unknown) {
      throw storageError('read', this.path, e);
    }
    return got === n ? buf : buf.subarray(0, got);
  }

  truncate(size: number): void {
    try {
      fs.ftruncateSync(this.#fd, size);
      this.#size = size;
    } catch (e: unknown) {
      throw storageError('truncate', this.path, e);
    }
  }

  sync(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.#fd, (err) => (err ? reject(storageError('fdatasync', this.path, err)) : resolve()));
    });
  }

  syncNow(): void {
    if (this.#closed) return;
    try {
      fs.fdatasyncSync(this.#fd);
    } catch (e: unknown) {
      throw storageError('fdatasync', this.path, e);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
  }
}

/**
 * Storage on the local file system.
 *
 * @example
 * ```ts
 * const storage = new FileStorage();
 * const f = storage.open('/tmp/data/lines-0/00000000000000000000.log');
 * ```
 */
export class FileStorage implements Storage {
  readonly kind = 'file' as const;

  mkdirp(dir: string): void {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e: unknown) {
      throw storageError('mkdir', dir, e);
    }
  }

  list(dir: string): string[] {
    try {
      return fs.readdirSync(dir);
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storageError('list', dir, e);
    }
  }

  exists(p: string): boolean {
    return fs.existsSync(p);
  }

  open(p: string): LogFile {
    return new DiskFile(p);
  }

  readFile(p: string): Buffer | null {
    try {
      return fs.readFileSync(p);
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw storageError('read', p, e);
    }
  }

  writeFileAtomic(p: string, data: Uint8Array): void {
    const tmp = `${p}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        fs.writeSync(fd, data);
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, p);
      const dfd = fs.openSync(path.dirname(p), 'r');
      try {
        fs.fsyncSync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
    } catch (e: unknown) {
      throw storageError('write', p, e);
    }
  }

  remove(p: string): void {
    try {
      fs.rmSync(p, { force: true });
    } catch (e: unknown) {
      throw storageError('remove', p, e);
    }
  }

  removeDir(p: string): void {
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch (e: unknown) {
      throw storageError('remove', p, e);
    }
  }

  rename(from: string, to: string): void {
    try {
      fs.renameSync(from, to);
    } catch (e: unknown) {
      throw storageError('rename', from, e);
    }
  }
}

class MemoryFile implements LogFile {
  readonly path: string;
  readonly #node: { buf: Buffer; size: number };

  constructor(p: string, node: { buf: Buffer; size: number }) {
    this.path = p;
    this.#node = node;
  }

  get size(): number {
    return this.#node.size;
  }

  append(data: Uint8Array): void {
    const node = this.#node;
    const need = node.size + data.byteLength;
    if (need > node.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, node.buf.length * 2, 4096));
      node.buf.copy(grown, 0, 0, node.size);
      node.buf = grown;
    }
    node.buf.set(data, node.size);
    node.size = need;
  }

  read(position: number, length: number): Buffer {
    const n = Math.max(0, Math.min(length, this.#node.size - position));
    // A copy, as a disk read would be: later appends or truncation never change bytes already handed out.
    return Buffer.from(this.#node.buf.subarray(position, position + n));
  }

  truncate(size: number): void {
    this.#node.size = Math.min(size, this.#node.size);
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  syncNow(): void {}

  close(): void {}
}

/**
 * Storage in memory with the same behaviour as {@link FileStorage}; nothing survives the process.
 *
 * @example
 * ```ts
 * const broker = await Broker.open({ storage: new MemoryStorage() });
 * ```
 */
export class MemoryStorage implements Storage {
  readonly kind = 'memory' as const;
  readonly #files = new Map<string, { buf: Buffer; size: number }>();
  readonly #dirs = new Set<string>();

  mkdirp(dir: string): void {
    let d = path.normalize(dir);
    while (!this.#dirs.has(d)) {
      this.#dirs.add(d);
      const parent = path.dirname(d);
      if (parent === d) break;
      d = parent;
    }
  }

  list(dir: string): string[] {
    const d = path.normalize(dir);
    const out = new Set<string>();
    for (const p of [...this.#files.keys(), ...this.#dirs]) {
      if (path.dirname(p) === d) out.add(path.basename(p));
    }
    return [...out];
  }

  exists(p: string): boolean {
    const n = path.normalize(p);
    return this.#files.has(n) || this.#dirs.has(n);
  }

  open(p: string): LogFile {
    const n = path.normalize(p);
    let node = this.#files.get(n);
    if (node === undefined) {
      node = { buf: Buffer.alloc(0), size: 0 };
      this.#files.set(n, node);
    }
    return new MemoryFile(n, node);
  }

  readFile(p: string): Buffer | null {
    const node = this.#files.get(path.normalize(p));
    return node === undefined ? null : Buffer.from(node.buf.subarray(0, node.size));
  }

  writeFileAtomic(p: string, data: Uint8Array): void {
    this.#files.set(path.normalize(p), { buf: Buffer.from(data), size: data.byteLength });
  }

  remove(p: string): void {
    this.#files.delete(path.normalize(p));
  }

  removeDir(p: string): void {
    const d = path.normalize(p);
    for (const k of [...this.#files.keys()]) if (k === d || k.startsWith(d + path.sep)) this.#files.delete(k);
    for (const k of [...this.#dirs]) if (k === d || k.startsWith(d + path.sep)) this.#dirs.delete(k);
  }

  rename(from: string, to: string): void {
    const f = path.normalize(from);
    const node = this.#files.get(f);
    if (node !== undefined) {
      this.#files.delete(f);
      this.#files.set(path.normalize(to), node);
      return;
    }
    if (!this.#dirs.has(f)) throw new StreamsError('STORAGE_FAILED', `rename ${from} failed: no such file`);
    for (const k of [...this.#files.keys()]) {
      if (k.startsWith(f + path.sep)) {
        const v = this.#files.get(k)!;
        this.#files.delete(k);
        this.#files.set(path.normalize(to) + k.slice(f.length), v);
      }
    }
    for (const k of [...this.#dirs]) {
      if (k === f || k.startsWith(f + path.sep)) {
        this.#dirs.delete(k);
        this.#dirs.add(path.normalize(to) + k.slice(f.length));
      }
    }
  }
}
