/**
 * The SQLite {@link Segments}: one database per store and task, one `WITHOUT ROWID` table per segment, so expiring
 * a segment is a `DROP TABLE`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StreamsError } from '../../src/errors.js';
import type { StateStoreContext } from '../../src/state/state-store.js';
import { compareBytes } from '../compare-bytes.js';
import { sqliteStorePath } from '../sqlite-key-value-store.js';
import { segmentIdOf } from './segments.js';
import type { SegmentEntry, Segments } from './segments.js';

type Row = [Buffer, number, number, Buffer];

interface SegmentStatements {
  readonly get: Database.Statement<[Uint8Array, number, number], Buffer>;
  readonly upsert: Database.Statement<[Uint8Array, number, number, Uint8Array]>;
  readonly remove: Database.Statement<[Uint8Array, number, number]>;
  readonly scans: Map<string, Database.Statement<unknown[], Row>>;
}

const TABLE = /^seg_(n?)(\d+)$/;

function tableName(id: number): string {
  return id < 0 ? `seg_n${-id}` : `seg_${id}`;
}

/**
 * {@link Segments} on SQLite at `<stateDir>/<taskId>/<storeName>.sqlite` (`:memory:` without a state directory):
 * table `seg_<id> (k BLOB, t1 INTEGER, t2 INTEGER, v BLOB, PRIMARY KEY (k, t1, t2)) WITHOUT ROWID` per segment
 * (`seg_n<id>` for negative ids), prepared statements per segment, one transaction between flushes, and a `meta`
 * table for the observed stream time. Range scans read one segment at a time into memory.
 *
 * @example
 * ```ts
 * const s = new SqliteSegments(60_000);
 * s.open(context, 'counts');
 * s.put(Buffer.from('k'), 0, 0, Buffer.from([1]));
 * s.flush(); // COMMIT
 * ```
 */
export class SqliteSegments implements Segments {
  #db: Database.Database | null = null;
  #inTransaction = false;
  readonly #segments = new Map<number, SegmentStatements>();
  #begin!: Database.Statement<[]>;
  #commit!: Database.Statement<[]>;
  #rollback!: Database.Statement<[]>;
  #getMeta!: Database.Statement<[], number>;
  #setMeta!: Database.Statement<[number]>;

  constructor(
    readonly segmentIntervalMs: number,
    private readonly path?: string,
  ) {}

  get persistent(): boolean {
    return (this.#db?.name ?? this.path) !== ':memory:';
  }

  /** The database file in use; `undefined` before open. */
  get filename(): string | undefined {
    return this.#db?.name;
  }

  open(context: StateStoreContext, storeName: string): void {
    const file = this.path ?? sqliteStorePath(context.stateDir, context.taskId, storeName) ?? ':memory:';
    try {
      if (file !== ':memory:') mkdirSync(join(file, '..'), { recursive: true });
      const db = new Database(file);
      this.#db = db;
      db.pragma('journal_mode = WAL');
      const synchronous = context.appConfig['sqliteSynchronous'];
      db.pragma(`synchronous = ${synchronous === 'OFF' || synchronous === 'NORMAL' ? synchronous : 'FULL'}`);
      db.exec('CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, v REAL NOT NULL) WITHOUT ROWID');
      this.#begin = db.prepare('BEGIN');
      this.#commit = db.prepare('COMMIT');
      this.#rollback = db.prepare('ROLLBACK');
      this.#getMeta = db.prepare<[], number>("SELECT v FROM meta WHERE name = 'observedStreamTime'").pluck();
      this.#setMeta = db.prepare<[number]>(
        "INSERT INTO meta (name, v) VALUES ('observedStreamTime', ?) ON CONFLICT (name) DO UPDATE SET v = excluded.v",
      );
      for (const name of db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()) {
        const m = TABLE.exec(name);
        if (m !== null) this.#prepare((m[1] === 'n' ? -1 : 1) * Number(m[2]));
      }
    } catch (e: unknown) {
      this.#db?.close();
      this.#db = null;
      throw new StreamsError('STORAGE_FAILED', `cannot open SQLite store "${storeName}" at ${file}: ${String(e)}`, { cause: e });
    }
  }

  get(key: Uint8Array, t1: number, t2: number): Uint8Array | null {
    return this.#segments.get(segmentIdOf(t1, this.segmentIntervalMs))?.get.get(key, t1, t2) ?? null;
  }

  put(key: Uint8Array, t1: number, t2: number, value: Uint8Array): void {
    this.#beginIfNeeded();
    const id = segmentIdOf(t1, this.segmentIntervalMs);
    const segment = this.#segments.get(id) ?? this.#create(id);
    segment.upsert.run(key, t1, t2, value);
  }

  delete(key: Uint8Array, t1: number, t2: number): void {
    const segment = this.#segments.get(segmentIdOf(t1, this.segmentIntervalMs));
    if (segment === undefined) return;
    this.#beginIfNeeded();
    segment.remove.run(key, t1, t2);
  }

  *fetch(
    keyFrom: Uint8Array | null,
    keyTo: Uint8Array | null,
    t1From: number,
    t1To: number,
    backward: boolean,
  ): Generator<SegmentEntry, undefined> {
    if (t1From > t1To || (keyFrom !== null && keyTo !== null && compareBytes(keyFrom, keyTo) > 0)) return undefined;
    const lo = t1From === -Infinity ? -Infinity : segmentIdOf(t1From, this.segmentIntervalMs);
    const hi = t1To === Infinity ? Infinity : segmentIdOf(t1To, this.segmentIntervalMs);
    const ids = this.segmentIds().filter((id) => id >= lo && id <= hi);
    if (backward) ids.reverse();
    for (const id of ids) {
      // Re-checked per segment: one may have been dropped while the caller held the iterator.
      const segment = this.#segments.get(id);
      if (segment === undefined || this.#db === null) continue;
      const params: unknown[] = [];
      const where: string[] = [];
      if (keyFrom !== null) (where.push('k >= ?'), params.push(keyFrom));
      if (keyTo !== null) (where.push('k <= ?'), params.push(keyTo));
      if (t1From !== -Infinity) (where.push('t1 >= ?'), params.push(t1From));
      if (t1To !== Infinity) (where.push('t1 <= ?'), params.push(t1To));
      const rows = this.#scan(id, segment, where, backward).all(...params);
      for (const [k, t1, t2, v] of rows) yield { key: k, t1, t2, value: v };
    }
    return undefined;
  }

  dropBefore(segmentId: number): void {
    for (const id of this.segmentIds()) {
      if (id >= segmentId) break;
      this.#beginIfNeeded();
      this.#segments.delete(id);
      this.#db!.exec(`DROP TABLE IF EXISTS ${tableName(id)}`);
    }
  }

  segmentIds(): number[] {
    return [...this.#segments.keys()].sort((a, b) => a - b);
  }

  loadMeta(): number | undefined {
    return this.#getMeta.get();
  }

  saveMeta(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#beginIfNeeded();
    this.#setMeta.run(value);
  }

  flush(): void {
    if (!this.#inTransaction) return;
    try {
      this.#commit.run();
    } catch (e: unknown) {
      throw new StreamsError('STORAGE_FAILED', `cannot commit SQLite segments: ${String(e)}`, { cause: e });
    }
    this.#inTransaction = false;
  }

  close(): void {
    const db = this.#db;
    this.#db = null;
    this.#segments.clear();
    if (db === null) return;
    if (this.#inTransaction) this.#rollback.run();
    this.#inTransaction = false;
    db.close();
  }

  /** The table names present in the database (tests check that dropped segments are gone). */
  tableNames(): string[] {
    return this.#db!.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  }

  #create(id: number): SegmentStatements {
    this.#db!.exec(
      `CREATE TABLE IF NOT EXISTS ${tableName(id)} (k BLOB NOT NULL, t1 INTEGER NOT NULL, t2 INTEGER NOT NULL, ` +
        'v BLOB NOT NULL, PRIMARY KEY (k, t1, t2)) WITHOUT ROWID',
    );
    return this.#prepare(id);
  }

  #prepare(id: number): SegmentStatements {
    const db = this.#db!;
    const t = tableName(id);
    const statements: SegmentStatements = {
      get: db.prepare<[Uint8Array, number, number], Buffer>(`SELECT v FROM ${t} WHERE k = ? AND t1 = ? AND t2 = ?`).pluck(),
      upsert: db.prepare(`INSERT INTO ${t} (k, t1, t2, v) VALUES (?, ?, ?, ?) ON CONFLICT (k, t1, t2) DO UPDATE SET v = excluded.v`),
      remove: db.prepare(`DELETE FROM ${t} WHERE k = ? AND t1 = ? AND t2 = ?`),
      scans: new Map(),
    };
    this.#segments.set(id, statements);
    return statements;
  }

  #scan(id: number, segment: SegmentStatements, where: readonly string[], backward: boolean): Database.Statement<unknown[], Row> {
    const signature = `${where.join(' AND ')}|${backward ? 'd' : 'a'}`;
    let statement = segment.scans.get(signature);
    if (statement === undefined) {
      const order = backward ? 'DESC' : 'ASC';
      const sql =
        `SELECT k, t1, t2, v FROM ${tableName(id)}${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ` +
        `ORDER BY k ${order}, t1 ${order}, t2 ${order}`;
      statement = this.#db!.prepare<unknown[], Row>(sql).raw(true);
      segment.scans.set(signature, statement);
    }
    return statement;
  }

  #beginIfNeeded(): void {
    if (this.#inTransaction) return;
    this.#begin.run();
    this.#inTransaction = true;
  }
}
