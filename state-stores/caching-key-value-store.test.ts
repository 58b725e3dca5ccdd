import { describe, expect, it } from 'vitest';
import { CachingKeyValueStore } from './caching-key-value-store.js';
import { ChangeLoggingKeyValueStore } from './change-logging-key-value-store.js';
import { InMemoryKeyValueStore } from './in-memory-key-value-store.js';
import { RecordingStateStoreContext } from './recording-state-store-context.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const str = (u: Uint8Array | null): string | null => (u === null ? null : Buffer.from(u).toString('utf8'));

interface Forwarded {
  key: string;
  newValue: string | null;
  oldValue: string | null;
  timestampMs: number;
}

function stack(cacheMaxBytes: number, sendOldValues = false) {
  const context = new RecordingStateStoreContext({ cacheMaxBytes });
  const engine = new InMemoryKeyValueStore('s');
  const store = new CachingKeyValueStore(new ChangeLoggingKeyValueStore(engine));
  const forwarded: Forwarded[] = [];
  store.setFlushListener((key, newValue, oldValue, timestampMs) => {
    forwarded.push({ key: str(key)!, newValue: str(newValue), oldValue: str(oldValue), timestampMs });
  }, sendOldValues);
  store.init(context, store);
  const logged = () => context.changelog.map((r) => ({ key: str(r.key), value: str(r.value), timestampMs: r.timestampMs }));
  return { context, engine, store, forwarded, logged };
}

describe('CachingKeyValueStore', () => {
  it('forwards and logs only the last value per key at flush, with the timestamp of that write', () => {
    const { context, engine, store, forwarded, logged } = stack(1 << 20);
    context.recordTimestampMs = 10;
    store.put(b('a'), b('1'));
    context.recordTimestampMs = 20;
    store.put(b('b'), b('1'));
    context.recordTimestampMs = 30;
    store.put(b('a'), b('2'));
    expect(str(store.get(b('a')))).toBe('2');
    expect(engine.get(b('a'))).toBeNull();
    expect(forwarded).toEqual([]);
    expect(logged()).toEqual([]);

    context.recordTimestampMs = 99; // the flush happens later; records keep their own write times
    store.flush();
    // Order of last write: b (t=20) was last written before a's second write (t=30).
    expect(forwarded).toEqual([
      { key: 'b', newValue: '1', oldValue: null, timestampMs: 20 },
      { key: 'a', newValue: '2', oldValue: null, timestampMs: 30 },
    ]);
    expect(logged()).toEqual([
      { key: 'b', value: '1', timestampMs: 20 },
      { key: 'a', value: '2', timestampMs: 30 },
    ]);
    expect(str(engine.get(b('a')))).toBe('2');

    store.flush(); // nothing dirty: nothing new
    expect(forwarded).toHaveLength(2);
  });

  it('sends old values when asked, and drops a delete of a key that never reached the store', () => {
    const { store, forwarded, logged } = stack(1 << 20, true);
    store.put(b('a'), b('1'));
    store.flush();
    store.put(b('a'), b('2'));
    store.put(b('x'), b('tmp'));
    store.delete(b('x'));
    store.flush();
    store.delete(b('a'));
    store.flush();
    expect(forwarded.map((f) => [f.key, f.newValue, f.oldValue])).toEqual([
      ['a', '1', null],
      ['a', '2', '1'],
      ['a', null, '2'],
    ]);
    expect(logged().map((r) => [r.key, r.value])).toEqual([
      ['a', '1'],
      ['a', '2'],
      ['a', null],
    ]);
    expect(store.get(b('a'))).toBeNull();
    expect(store.cachedEntries).toBe(0); // flushed tombstones leave the cache
  });

  it('evicts the least recently used entry when over budget, forwarding it if dirty', () => {
    // Each entry is 1 + 1 + 64 bytes: two fit in 140, a third evicts one.
    const { store, forwarded, engine } = stack(140);
    store.put(b('a'), b('1'));
    store.put(b('b'), b('1'));
    expect(forwarded).toEqual([]);
    store.get(b('a')); // a is now the most recently used
    store.put(b('c'), b('1'));
    expect(forwarded.map((f) => f.key)).toEqual(['b']);
    expect(str(engine.get(b('b')))).toBe('1');
    expect(store.cachedEntries).toBe(2);
    expect(store.cachedBytes).toBeLessThanOrEqual(140);
    // Reads still see everything, from the cache or the store.
    expect([str(store.get(b('a'))), str(store.get(b('b'))), str(store.get(b('c')))]).toEqual(['1', '1', '1']);
  });

  it('with a zero budget writes (and forwards) every put at once', () => {
    const { store, forwarded, engine } = stack(0);
    store.put(b('a'), b('1'));
    store.put(b('a'), b('2'));
    expect(forwarded.map((f) => f.newValue)).toEqual(['1', '2']);
    expect(str(engine.get(b('a')))).toBe('2');
    expect(store.cachedEntries).toBe(0);
  });

  it('ranges merge the cache over the store: cached values win, cached deletes hide keys', () => {
    const { store } = stack(1 << 20);
    for (const k of ['a', 'b', 'c', 'd']) store.put(b(k), b('old'));
    store.flush();
    store.put(b('b'), b('new'));
    store.delete(b('c'));
    store.put(b('e'), b('new'));
    const all = [...store.all()].map((e) => `${str(e.key)}=${str(e.value)}`);
    expect(all).toEqual(['a=old', 'b=new', 'd=old', 'e=new']);
    const reverse = [...store.reverseRange(b('b'), b('e'))].map((e) => str(e.key));
    expect(reverse).toEqual(['e', 'd', 'b']);
    expect([...store.prefixScan(b('c'))]).toEqual([]);
  });

  it('closes without flushing and refuses calls afterwards', () => {
    const { store, forwarded, engine } = stack(1 << 20);
    store.put(b('a'), b('1'));
    store.close();
    expect(forwarded).toEqual([]);
    expect(engine.isOpen).toBe(false);
    expect(store.isOpen).toBe(false);
    expect(() => store.get(b('a'))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('a listener writing back into the store during flush is flushed next time, not lost', () => {
    const context = new RecordingStateStoreContext();
    const store = new CachingKeyValueStore(new InMemoryKeyValueStore('s'));
    const seen: string[] = [];
    store.setFlushListener((key, newValue) => {
      seen.push(`${str(key)}=${str(newValue)}`);
      if (str(key) === 'a') store.put(b('z'), b('from-listener'));
    }, false);
    store.init(context, store);
    store.put(b('a'), b('1'));
    store.flush();
    expect(seen).toEqual(['a=1']);
    store.flush();
    expect(seen).toEqual(['a=1', 'z=from-listener']);
  });

  it('reads the right entries through a lookup array the caller rewrites between calls, in the cache and the engine', () => {
    const { store, engine } = stack(1 << 20);
    store.put(b('aa'), b('1'));
    store.put(b('bb'), b('2'));
    store.flush();
    const scratch = b('aa');
    for (const reader of [store, engine]) {
      scratch.write('aa');
      expect(str(reader.get(scratch))).toBe('1');
      scratch.write('bb');
      expect(str(reader.get(scratch))).toBe('2');
      scratch.write('cc');
      expect(reader.get(scratch)).toBeNull();
    }
  });

  it('keeps its byte count exact through overwrites, tombstones and flushes', () => {
    // Each entry charges its key and value bytes plus 64.
    const { store } = stack(1 << 20);
    for (const k of ['a', 'b', 'c']) store.put(b(k), b('1'));
    expect([store.cachedEntries, store.cachedBytes]).toEqual([3, 3 * 66]);
    store.put(b('a'), b('1234'));
    expect(store.cachedBytes).toBe(2 * 66 + 69);
    store.put(b('a'), null);
    expect(store.cachedBytes).toBe(2 * 66 + 65);
    store.flush(); // the tombstone of a key the engine never had is dropped
    expect([store.cachedEntries, store.cachedBytes]).toEqual([2, 2 * 66]);
    store.put(b('b'), b('22'));
    expect(store.cachedBytes).toBe(66 + 67);
  });
});
