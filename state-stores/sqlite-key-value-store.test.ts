import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Serdes } from '../src/serdes/serdes.js';
import { RecordingStateStoreContext } from './recording-state-store-context.js';
import { SqliteKeyValueStore, sqliteStorePath } from './sqlite-key-value-store.js';
import { Stores } from './stores.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const str = (u: Uint8Array | null): string | null => (u === null ? null : Buffer.from(u).toString('utf8'));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-sqlite-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function open(name = 'counts', taskId = '0_1'): { store: SqliteKeyValueStore; context: RecordingStateStoreContext } {
  const context = new RecordingStateStoreContext({ stateDir: dir, taskId });
  const store = new SqliteKeyValueStore(name);
  store.init(context, store);
  return { store, context };
}

describe('SqliteKeyValueStore', () => {
  it('keeps flushed data across close and reopen, in <stateDir>/<taskId>/<name>.sqlite', () => {
    const first = open();
    expect(first.store.filename).toBe(join(dir, '0_1', 'counts.sqlite'));
    expect(sqliteStorePath(dir, '0_1', 'counts')).toBe(first.store.filename);
    expect(first.store.persistent).toBe(true);
    first.store.put(b('a'), b('1'));
    first.store.put(b('b'), b('2'));
    first.store.delete(b('b'));
    first.store.put(b('c'), new Uint8Array(0)); // an empty value is a value, not a delete
    first.store.flush();
    first.store.close();
    expect(existsSync(join(dir, '0_1', 'counts.sqlite'))).toBe(true);

    const second = open();
    expect([...second.store.all()].map((e) => [str(e.key), str(e.value)])).toEqual([
      ['a', '1'],
      ['c', ''],
    ]);
    expect(second.store.approximateNumEntries()).toBe(2);
    second.store.close();
  });

  it('rolls back writes not flushed before close (the changelog brings them back)', () => {
    const first = open();
    first.store.put(b('kept'), b('1'));
    first.store.flush();
    first.store.put(b('lost'), b('1'));
    first.store.put(b('kept'), b('2'));
    expect(str(first.store.get(b('lost')))).toBe('1'); // visible before the commit
    first.store.close();

    const second = open();
    expect(str(second.store.get(b('kept')))).toBe('1');
    expect(second.store.get(b('lost'))).toBeNull();
    second.store.close();
  });

  it('commits each restore batch', () => {
    const first = open();
    first.context.restore('counts', [
      { storeName: 'counts', key: b('a'), value: b('1'), timestampMs: 0 },
      { storeName: 'counts', key: b('b'), value: b('1'), timestampMs: 0 },
      { storeName: 'counts', key: b('a'), value: null, timestampMs: 0 },
    ], 2);
    first.store.close();
    const second = open();
    expect([...second.store.all()].map((e) => str(e.key))).toEqual(['b']);
    second.store.close();
  });

  it('uses WAL and a WITHOUT ROWID table keyed by BLOB', () => {
    const { store } = open();
    store.close();
    const db = new Database(join(dir, '0_1', 'counts.sqlite'), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const sql = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'kv'").pluck().get() as string;
      expect(sql).toMatch(/k BLOB PRIMARY KEY/);
      expect(sql).toMatch(/WITHOUT ROWID/);
    } finally {
      db.close();
    }
  });

  it('scans across many pages, both ways, and allows writes while a scan is open', () => {
    const { store } = open();
    const key = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
    for (let n = 0; n < 3000; n++) store.put(key(n), key(n));
    const seen: number[] = [];
    for (const e of store.range(key(10), key(2500))) {
      seen.push(Buffer.from(e.key).readUInt16BE(0));
      // Writing during a scan must not hit "connection is busy".
      if (seen.length % 100 === 0) store.put(key(5000 + seen.length), key(0));
    }
    expect(seen).toEqual(Array.from({ length: 2491 }, (_, i) => i + 10));
    const reversed = [...store.reverseAll()].map((e) => Buffer.from(e.key).readUInt16BE(0));
    expect(reversed.length).toBe(3000 + 24);
    expect(reversed[0]).toBeGreaterThan(reversed[1]!);
    expect(reversed.at(-1)).toBe(0);
    store.close();
  });

  it('takes its synchronous mode from the options or the app config, and rejects unknown modes', () => {
    const byDefault = open('a');
    expect(byDefault.store.synchronous).toBe('FULL');
    byDefault.store.close();
    const fromOptions = new SqliteKeyValueStore('b', { synchronous: 'NORMAL' });
    fromOptions.init(new RecordingStateStoreContext({ stateDir: dir, appConfig: { sqliteSynchronous: 'OFF' } }), fromOptions);
    expect(fromOptions.synchronous).toBe('NORMAL');
    fromOptions.close();
    const fromConfig = new SqliteKeyValueStore('c');
    fromConfig.init(new RecordingStateStoreContext({ stateDir: dir, appConfig: { sqliteSynchronous: 'OFF' } }), fromConfig);
    expect(fromConfig.synchronous).toBe('OFF');
    fromConfig.close();
    const bad = new SqliteKeyValueStore('d');
    expect(() => bad.init(new RecordingStateStoreContext({ stateDir: dir, appConfig: { sqliteSynchronous: 'SOMETIMES' } }), bad)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });

  it('uses :memory: when the application has no state directory', () => {
    const context = new RecordingStateStoreContext({ stateDir: null });
    const store = new SqliteKeyValueStore('m');
    store.init(context, store);
    expect(store.filename).toBe(':memory:');
    expect(store.persistent).toBe(false);
    store.put(b('a'), b('1'));
    expect(str(store.get(b('a')))).toBe('1');
    store.close();
  });

  it('throws ILLEGAL_STATE before init and CLOSED after close; iterators of a closed store end', () => {
    const store = new SqliteKeyValueStore('s');
    expect(() => store.get(b('a'))).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }));
    const context = new RecordingStateStoreContext();
    store.init(context, store);
    expect(() => store.init(context, store)).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }));
    for (let n = 0; n < 40; n++) store.put(Buffer.from([n]), b('v'));
    const it = store.all();
    expect(it.next().done).toBe(false);
    store.close();
    store.close(); // idempotent
    expect(() => store.put(b('a'), b('1'))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect([...it].length).toBeLessThan(40);
  });

  it('wraps a database that cannot be opened as STORAGE_FAILED', () => {
    const store = new SqliteKeyValueStore('s', { path: join(dir, 'no-such-dir-\0', 'x.sqlite') });
    expect(() => store.init(new RecordingStateStoreContext(), store)).toThrow(expect.objectContaining({ code: 'STORAGE_FAILED' }));
  });

  it('orders typed keys by their serialized bytes, like Kafka Streams (negative ints after positive)', () => {
    const store = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore('ints'), Serdes.Integer(), Serdes.String())
      .withLoggingDisabled()
      .build();
    store.init(new RecordingStateStoreContext({ stateDir: dir }), store);
    for (const n of [-2, 5, -1, 0, 300]) store.put(n, String(n));
    expect([...store.all()].map((e) => e.key)).toEqual([0, 5, 300, -2, -1]);
    expect([...store.range(5, -2)].map((e) => e.key)).toEqual([5, 300, -2]);
    store.close();
  });
});
