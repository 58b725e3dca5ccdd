/** The window caching layer's own rules: one write per window between flushes, timestamps, duplicates refused. */
import { describe, expect, it } from 'vitest';
import { Serdes } from '../../src/serdes/serdes.js';
import { RecordingStateStoreContext } from '../recording-state-store-context.js';
import { Stores } from '../stores.js';
import { CachingWindowStore } from './caching-window-store.js';
import { MeteredWindowStore } from './metered-window-store.js';
import { windowStoreLayers } from './windowed-store-builder.js';

function cached(cacheMaxBytes: number) {
  const context = new RecordingStateStoreContext({ cacheMaxBytes });
  const engine = Stores.inMemoryWindowStore('w', 1_000, 100, false).get();
  const store = new MeteredWindowStore(windowStoreLayers(engine, { logging: true, caching: true, timestamped: false }), Serdes.String(), Serdes.Integer(), 'test');
  const flushed: Array<[string, number, number | null, number | null, number]> = [];
  expect(store.setFlushListener((k, n, o, ts) => flushed.push([k.key, k.window.startMs, n, o, ts]), true)).toBe(true);
  store.init(context, store);
  return { context, store, flushed };
}

describe('CachingWindowStore', () => {
  it('writes and forwards the latest value of each window once per flush, with its write timestamp', () => {
    const { context, store, flushed } = cached(1 << 20);
    for (let i = 1; i <= 5; i++) {
      context.recordTimestampMs = 10 * i;
      store.put('a', i, 0);
    }
    context.recordTimestampMs = 99;
    store.put('b', 7, 100);
    expect(store.fetch('a', 0)).toBe(5);
    expect(context.changelog).toHaveLength(0);
    store.flush();
    expect(flushed).toEqual([
      ['a', 0, 5, null, 50],
      ['b', 100, 7, null, 99],
    ]);
    expect(context.changelog.map((r) => r.timestampMs)).toEqual([50, 99]);
    store.put('a', 6, 0);
    store.put('a', null, 100); // never stored: neither logged nor forwarded
    store.flush();
    expect(flushed.slice(2)).toEqual([['a', 0, 6, 5, 99]]);
    expect(context.changelog).toHaveLength(3);
  });

  it('evicts the least recently used window when over budget', () => {
    const { store, flushed } = cached(250);
    store.put('a', 1, 0);
    store.put('b', 2, 0);
    store.fetch('a', 0); // b is now the eldest
    store.put('c', 3, 0);
    expect(flushed.map((f) => f[0])).toEqual(['b']);
    expect([...store.fetchAll(0, 0)].map((e) => [e.key.key, e.value])).toEqual([['a', 1], ['b', 2], ['c', 3]]);
  });

  it('refuses stores retaining duplicates; the layers skip caching for them', () => {
    const joins = Stores.inMemoryWindowStore('j', 1_000, 100, true);
    expect(() => new CachingWindowStore(joins.get())).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }));
    const layers = windowStoreLayers(joins.get(), { logging: true, caching: true, timestamped: false });
    expect(layers).not.toBeInstanceOf(CachingWindowStore);
    expect(layers.setFlushListener?.(() => {}, false)).toBe(false);
  });
});
