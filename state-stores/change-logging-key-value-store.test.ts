import { describe, expect, it } from 'vitest';
import { ChangeLoggingKeyValueStore } from './change-logging-key-value-store.js';
import { InMemoryKeyValueStore } from './in-memory-key-value-store.js';
import { RecordingStateStoreContext } from './recording-state-store-context.js';
import { timestampedBytes } from './value-and-timestamp-serde.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const str = (u: Uint8Array | null): string | null => (u === null ? null : Buffer.from(u).toString('utf8'));

function open(timestamped = false) {
  const context = new RecordingStateStoreContext({ recordTimestampMs: 42 });
  const store = new ChangeLoggingKeyValueStore(new InMemoryKeyValueStore('s'), { timestamped });
  store.init(context, store);
  const logged = () => context.changelog.map((r) => [r.storeName, str(r.key), str(r.value), r.timestampMs]);
  return { context, store, logged };
}

describe('ChangeLoggingKeyValueStore', () => {
  it('logs puts, tombstones for deletes (present or not), and putIfAbsent only when it wrote', () => {
    const { context, store, logged } = open();
    store.put(b('a'), b('1'));
    context.recordTimestampMs = 43;
    expect(str(store.putIfAbsent(b('a'), b('2')))).toBe('1');
    expect(store.putIfAbsent(b('b'), b('2'))).toBeNull();
    expect(str(store.delete(b('a')))).toBe('1');
    expect(store.delete(b('zz'))).toBeNull();
    store.putAll([{ key: b('c'), value: b('3') }, { key: b('b'), value: null }]);
    expect(logged()).toEqual([
      ['s', 'a', '1', 42],
      ['s', 'b', '2', 43],
      ['s', 'a', null, 43],
      ['s', 'zz', null, 43],
      ['s', 'c', '3', 43],
      ['s', 'b', null, 43],
    ]);
    expect(store.setFlushListener(() => {}, false)).toBe(false);
  });

  it('timestamped: logs the plain value under the value timestamp, restores timestamp + value', () => {
    const { store, logged, context } = open(true);
    store.put(b('a'), timestampedBytes(b('x'), 7));
    store.put(b('b'), null);
    expect(logged()).toEqual([
      ['s', 'a', 'x', 7],
      ['s', 'b', null, 42],
    ]);
    const copy = open(true);
    copy.context.restore('s', context.changelog);
    expect(Buffer.from(copy.store.get(b('a'))!).toString('hex')).toBe(Buffer.from(timestampedBytes(b('x'), 7)).toString('hex'));
    expect(copy.context.changelog).toEqual([]);
  });

  it('does not log a write the engine refused', () => {
    const { store, context } = open();
    store.close();
    expect(() => store.put(b('a'), b('1'))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(context.changelog).toEqual([]);
  });
});

describe('InMemoryKeyValueStore', () => {
  it('is not persistent, copies restored bytes, ends iterators when closed', () => {
    const context = new RecordingStateStoreContext();
    const engine = new InMemoryKeyValueStore('m');
    expect(engine.persistent).toBe(false);
    expect(() => engine.all()).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }));
    engine.init(context, engine);
    const batch = Buffer.from('kv');
    context.restore('m', [{ storeName: 'm', key: batch.subarray(0, 1), value: batch.subarray(1, 2), timestampMs: 0 }]);
    batch.fill(0); // the fetched batch is reused: the store must not see it change
    expect(str(engine.get(b('k')))).toBe('v');
    for (let n = 0; n < 10; n++) engine.put(Buffer.from([n]), b('x'));
    const it = engine.all();
    expect(it.next().done).toBe(false);
    engine.close();
    expect(it.next().done).toBe(true);
    expect(() => engine.get(b('k'))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});
