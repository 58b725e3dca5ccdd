/**
 * The persistent key-value engine: one SQLite database per store and task (better-sqlite3), a `WITHOUT ROWID`
 * table keyed by BLOB, so SQLite's memcmp BLOB order is the store's key order.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StreamsError } from '../src/errors.js';
import type { BytesKeyValueStore, KeyValue, KeyValueIterator } from '../src/state/key-value-store.js';
import type { RestoreRecord, StateStore, StateStoreContext } from '../src/state/state-store.js';
import { AbstractKeyValueIterator, emptyIterator } from './abstract-key-value-iterator.js';
import { assertCreated, assertOpen } from './assert-open.js';
import type { EngineState } from './assert-open.js';
import { compareBytes, prefixEnd } from './compare-bytes.js';

type Row = [Buffer, Buffer];
type Bound = '' | '>=' | '>' | '<=' | '<';

// Range scans read pages, so the connection is free for writes between pages (better-sqlite3 forbids statements
// while an iterate() is open); pages grow because many scans stop after a few entries.
const FIRST_PAGE_ROWS = 16;
const MAX_PAGE_ROWS = 1024;

/**
 * Where a persistent store keeps its database: `<stateDir>/<taskId>/<storeName>.sqlite`, or `null` (an in-memory
 * database) when the application has no state directory.
 *
 * @example
 * ```ts
 * sqliteStorePath('/var/lib/app', '0_3', 'counts'); // '/var/lib/app/0_3/counts.sqlite'
 * ```
 */
export function sqliteStorePath(stateDir: string | null, taskId: string, storeName: string): string | null {
  return stateDir === null ? null : join(stateDir, taskId, `${storeName}.sqlite`);
}

/**
 * How hard SQLite works to make a commit durable (its `synchronous` pragma). `FULL` (the default) syncs the WAL at
 * every commit, i.e. at every flush; `NORMAL` survives a process crash but may lose the last commits on power loss;
 * `OFF` leaves syncing to the OS (tests, throw-away state).
 *
 * @example
 * ```ts
 * const mode: SqliteSynchronous = 'NORMAL';
 * ```
 */
export type SqliteSynchronous = 'FULL' | 'NORMAL' | 'OFF';

const SYNCHRONOUS_MODES: ReadonlySet<string> = new Set<SqliteSynchronous>(['FULL', 'NORMAL', 'OFF']);

/** The application config key read when no `synchronous` option is given. */
const SYNCHRONOUS_CONFIG_KEY = 'sqliteSynchronous';

function synchronousFrom(appConfig: Readonly<Record<string, unknown>>): SqliteSynchronous | undefined {
  const value = appConfig[SYNCHRONOUS_CONFIG_KEY];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !SYNCHRONOUS_MODES.has(value)) {
    throw new StreamsError('INVALID_CONFIG', `${SYNCHRONOUS_CONFIG_KEY} must be one of FULL, NORMAL, OFF; got ${JSON.stringify(value)}`);
  }
  return value as SqliteSynchronous;
}

/**
 * Options of {@link SqliteKeyValueStore}.
 *
 * @example
 * ```ts
 * new SqliteKeyValueStore('counts', { path: '/tmp/counts.sqlite', synchronous: 'NORMAL' });
 * ```
 */
export interface SqliteKeyValueStoreOptions {
  /** The database file (or `':memory:'`); by default derived from the context at init (see {@link sqliteStorePath}). */
  readonly path?: string;
  /** Commit durability; by default the app config's `sqliteSynchronous`, else `'FULL'`. */
  readonly synchronous?: SqliteSynchronous;
}

/**
 * A persistent {@link BytesKeyValueStore} on SQLite: table `kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID` in WAL
 * mode, prepared statements, ranges scanned in key-BLOB order (memcmp, i.e. unsigned lexicographic).
 *
 * Writes between two flushes form one transaction, committed by `flush()` (durably with the default `synchronous = FULL`, see {@link SqliteSynchronous}); reads see
 * uncommitted writes at once. `close()` without a flush rolls the open transaction back: the changelog, replayed
 * from the last checkpoint, brings those writes back. Each restore batch is committed when applied. The database
 * file is `<stateDir>/<taskId>/<name>.sqlite` (see {@link sqliteStorePath}); with no state directory the engine
 * uses `:memory:` (then `persistent` is false: nothing survives `close`).
 *
 * @example
 * ```ts
 * const engine = new SqliteKeyValueStore('counts');
 * engine.init(context, engine);        // opens /state/0_1/counts.sqlite when context.stateDir is '/state'
 * engine.put(Buffer.from('a'), Buffer.from([1]));
 * engine.flush();                      // commit
 * engine.close();
 * ```
 */
export class SqliteKeyValueStore implements BytesKeyValueStore {
  #state: EngineState = 'created';
  #db: Database.Database | null = null;
  #inTransaction = false;
  #begin!: Database.Statement<[]>;
  #commit!: Database.Statement<[]>;
  #rollback!: Database.Statement<[]>;
  #get!: Database.Statement<[Uint8Array], Buffer>;
  #upsert!: Database.Statement<[Uint8Array, Uint8Array]>;
  #insertIfAbsent!: Database.Statement<[Uint8Array, Uint8Array]>;
  #remove!: Database.Statement<[Uint8Array]>;
  #removeReturning!: Database.Statement<[Uint8Array], Buffer>;
  #count!: Database.Statement<[], number>;
  readonly #scans = new Map<string, Database.Statement<unknown[], Row>>();

  constructor(
    readonly name: string,
    private readonly options: SqliteKeyValueStoreOptions = {},
  ) {}

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** True unless the database is `:memory:` (no state directory): only then does nothing survive a close. */
  get persistent(): boolean {
    return (this.#db?.name ?? this.options.path) !== ':memory:';
  }

  /** The `synchronous` mode in use (SQLite's own report); `undefined` before init. */
  get synchronous(): SqliteSynchronous | undefined {
    const level = this.#db?.pragma('synchronous', { simple: true });
    return level === undefined ? undefined : (['OFF', 'NORMAL', 'FULL'] as const)[level as number];
  }

  /** The database file in use, or `':memory:'`; `undefined` before init. */
  get filename(): string | undefined {
    return this.#db?.name;
  }

  init(context: StateStoreContext, root: StateStore): void {
    assertCreated(this.#state, this.name);
    const file = this.options.path ?? sqliteStorePath(context.stateDir, context.taskId, this.name) ?? ':memory:';
    const synchronous = this.options.synchronous ?? synchronousFrom(context.appConfig) ?? 'FULL';
    try {
      if (file !== ':memory:') mkdirSync(join(file, '..'), { recursive: true });
      const db = new Database(file);
      this.#db = db;
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
      this.#begin = db.prepare('BEGIN');
      this.#commit = db.prepare('COMMIT');
      this.#rollback = db.prepare('ROLLBACK');
      this.#get = db.prepare<[Uint8Array], Buffer>('SELECT v FROM kv WHERE k = ?').pluck();
      this.#upsert = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v');
      this.#insertIfAbsent = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING');
      this.#remove = db.prepare('DELETE FROM kv WHERE k = ?');
      this.#removeReturning = db.prepare<[Uint8Array], Buffer>('DELETE FROM kv WHERE k = ? RETURNING v').pluck();
      this.#count = db.prepare<[], number>('SELECT count(*) FROM kv').pluck();
    } catch (e: unknown) {
      this.#db?.close();
      this.#db = null;
      throw new StreamsError('STORAGE_FAILED', `cannot open SQLite store "${this.name}" at ${file}: ${String(e)}`, { cause: e });
    }
    this.#state = 'open';
    context.register(root, (batch) => this.#restore(batch));
  }

  get(key: Uint8Array): Uint8Array | null {
    assertOpen(this.#state, this.name);
    return this.#get.get(key) ?? null;
  }

  put(key: Uint8Array, value: Uint8Array | null): void {
    assertOpen(this.#state, this.name);
    this.#write(key, value);
  }

  putIfAbsent(key: Uint8Array, value: Uint8Array | null): Uint8Array | null {
    assertOpen(this.#state, this.name);
    const existing = this.#get.get(key);
    if (existing !== undefined) return existing;
    if (value !== null) {
      this.#beginIfNeeded();
      this.#insertIfAbsent.run(key, value);
    }
    return null;
  }

  putAll(entries: readonly KeyValue<Uint8Array, Uint8Array | null>[]): void {
    assertOpen(this.#state, this.name);
    for (const entry of entries) this.#write(entry.key, entry.value);
  }

  delete(key: Uint8Array): Uint8Array | null {
    assertOpen(this.#state, this.name);
    this.#beginIfNeeded();
    return this.#removeReturning.get(key) ?? null;
  }

  range(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#range(from, to, false);
  }

  reverseRange(from: Uint8Array | null, to: Uint8Array | null): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#range(from, to, true);
  }

  all(): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#range(null, null, false);
  }

  reverseAll(): KeyValueIterator<Uint8Array, Uint8Array> {
    return this.#range(null, null, true);
  }

  prefixScan(prefix: Uint8Array): KeyValueIterator<Uint8Array, Uint8Array> {
    assertOpen(this.#state, this.name);
    const end = prefixEnd(prefix);
    return new PageIterator(this, prefix, '>=', end, end === null ? '' : '<', false);
  }

  /** Exact (`count(*)`), but costs a scan of the table: O(n). */
  approximateNumEntries(): number {
    assertOpen(this.#state, this.name);
    return this.#count.get() ?? 0;
  }

  flush(): void {
    assertOpen(this.#state, this.name);
    this.#commitIfNeeded();
  }

  close(): void {
    if (this.#state === 'closed') return;
    const db = this.#db;
    this.#state = 'closed';
    this.#db = null;
    this.#scans.clear();
    if (db === null) return;
    try {
      if (this.#inTransaction) this.#rollback.run();
      this.#inTransaction = false;
      db.close();
    } catch (e: unknown) {
      throw new StreamsError('STORAGE_FAILED', `cannot close SQLite store "${this.name}": ${String(e)}`, { cause: e });
    }
  }

  /** @internal One page of a scan, for {@link PageIterator}. */
  page(lower: Uint8Array | null, lowerOp: Bound, upper: Uint8Array | null, upperOp: Bound, reverse: boolean, rows: number): Row[] {
    const statement = this.#scanStatement(lowerOp, upperOp, reverse);
    const params: unknown[] = [];
    if (lowerOp !== '') params.push(lower);
    if (upperOp !== '') params.push(upper);
    params.push(rows);
    return statement.all(...params);
  }

  #range(from: Uint8Array | null, to: Uint8Array | null, reverse: boolean): KeyValueIterator<Uint8Array, Uint8Array> {
    assertOpen(this.#state, this.name);
    if (from !== null && to !== null && compareBytes(from, to) > 0) return emptyIterator();
    return new PageIterator(this, from, from === null ? '' : '>=', to, to === null ? '' : '<=', reverse);
  }

  #scanStatement(lowerOp: Bound, upperOp: Bound, reverse: boolean): Database.Statement<unknown[], Row> {
    const signature = `${lowerOp}|${upperOp}|${reverse ? 'd' : 'a'}`;
    let statement = this.#scans.get(signature);
    if (statement === undefined) {
      const where: string[] = [];
      if (lowerOp !== '') where.push(`k ${lowerOp} ?`);
      if (upperOp !== '') where.push(`k ${upperOp} ?`);
      const sql = `SELECT k, v FROM kv${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY k ${reverse ? 'DESC' : 'ASC'} LIMIT ?`;
      statement = this.#db!.prepare<unknown[], Row>(sql).raw(true);
      this.#scans.set(signature, statement);
    }
    return statement;
  }

  #write(key: Uint8Array, value: Uint8Array | null): void {
    this.#beginIfNeeded();
    if (value === null) this.#remove.run(key);
    else this.#upsert.run(key, value);
  }

  #beginIfNeeded(): void {
    if (this.#inTransaction) return;
    this.#begin.run();
    this.#inTransaction = true;
  }

  #commitIfNeeded(): void {
    if (!this.#inTransaction) return;
    try {
      this.#commit.run();
    } catch (e: unknown) {
      throw new StreamsError('STORAGE_FAILED', `cannot commit SQLite store "${this.name}": ${String(e)}`, { cause: e });
    }
    this.#inTransaction = false;
  }

  #restore(batch: readonly RestoreRecord[]): void {
    assertOpen(this.#state, this.name);
    // SQLite copies bound blobs, so views into a fetched batch are safe to pass as they are.
    for (const record of batch) this.#write(record.key, record.value);
    this.#commitIfNeeded();
  }
}

class PageIterator extends AbstractKeyValueIterator<Uint8Array, Uint8Array> {
  #rows: Row[] = [];
  #index = 0;
  #pageRows = FIRST_PAGE_ROWS;
  #lastPage = false;

  constructor(
    private readonly store: SqliteKeyValueStore,
    private lower: Uint8Array | null,
    private lowerOp: Bound,
    private upper: Uint8Array | null,
    private upperOp: Bound,
    private readonly reverse: boolean,
  ) {
    super();
  }

  protected fetchNext(): KeyValue<Uint8Array, Uint8Array> | undefined {
    if (this.#index >= this.#rows.length) {
      if (this.#lastPage || !this.store.isOpen) return undefined;
      this.#rows = this.store.page(this.lower, this.lowerOp, this.upper, this.upperOp, this.reverse, this.#pageRows);
      this.#index = 0;
      this.#lastPage = this.#rows.length < this.#pageRows;
      if (this.#pageRows < MAX_PAGE_ROWS) this.#pageRows *= 2;
      const last = this.#rows[this.#rows.length - 1];
      if (last === undefined) return undefined;
      // The next page starts strictly after this one's last key (before it, going backwards).
      if (this.reverse) {
        this.upper = last[0];
        this.upperOp = '<';
      } else {
        this.lower = last[0];
        this.lowerOp = '>';
      }
    }
    const row = this.#rows[this.#index++]!;
    return { key: row[0], value: row[1] };
  }

  protected override onClose(): void {
    this.#rows = [];
  }
}
