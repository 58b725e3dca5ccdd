/** Cache hits and misses as the metered layers expose them (the store's hit-ratio metric). */
import { describe, expect, it } from 'vitest';
import { Serdes } from '../src/serdes/serdes.js';
import type { MeteredKeyValueStore } from './metered-key-value-store.js';
import { RecordingStateStoreContext } from './recording-state-store-context.js';
import { Stores } from './stores.js';

describe('cacheStats', () => {
  it('a cached key-value store counts point reads answered by the cache and those that went below', () => {
    const store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('kv'), Serdes.String(), Serdes.Integer()).withCachingEnabled().build() as MeteredKeyValueStore<string, number>;
    store.init(new RecordingStateStoreContext({ cacheMaxBytes: 1 << 20 }), store);
    expect(store.cacheStats).toEqual({ hits: 0, misses: 0 });
    expect(store.get('a')).toBeNull(); // miss (absent keys are not cached)
    store.put('a', 1);
    expect(store.get('a')).toBe(1); // hit
    store.flush();
    expect(store.get('a')).toBe(1); // still cached after the flush: hit
    store.delete('a'); // its read: hit
    expect(store.get('a')).toBeNull(); // the cached tombstone: hit
    expect(store.putIfAbsent('b', 2)).toBeNull(); // its read: miss
    expect(store.cacheStats).toEqual({ hits: 4, misses: 2 });
  });

  it('is null without a caching layer', () => {
    const store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('kv'), Serdes.String(), Serdes.Integer()).build() as MeteredKeyValueStore<string, number>;
    expect(store.cacheStats).toBeNull();
  });

  it('a cached window store counts its point fetches', () => {
    const store = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('w', 10_000, 100, false), Serdes.String(), Serdes.Integer()).withCachingEnabled().build();
    store.init(new RecordingStateStoreContext({ cacheMaxBytes: 1 << 20 }), store);
    expect(store.fetch('a', 0)).toBeNull(); // miss
    store.put('a', 1, 0);
    expect(store.fetch('a', 0)).toBe(1); // hit
    expect(store.fetch('a', 100)).toBeNull(); // another window: miss
    const stats = (store as unknown as { cacheStats: { hits: number; misses: number } | null }).cacheStats;
    expect(stats).toEqual({ hits: 1, misses: 2 });
  });
});
