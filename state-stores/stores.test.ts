import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Serdes } from '../src/serdes/serdes.js';
import { isCachedStateStore } from '../src/state/key-value-store.js';
import { changelogTopicName } from '../src/state/state-store.js';
import type { MeteredKeyValueStore } from './metered-key-value-store.js';
import { RecordingStateStoreContext } from './recording-state-store-context.js';
import { Stores } from './stores.js';
import { timestampOf, timestampedBytes, valueAndTimestampSerde } from './value-and-timestamp-serde.js';

const str = (u: Uint8Array | null): string | null => (u === null ? null : Buffer.from(u).toString('utf8'));

describe('Stores', () => {
  it('names changelog topics as Kafka Streams does', () => {
    expect(changelogTopicName('word-count', 'counts')).toBe('word-count-counts-changelog');
  });

  it('builders default to logging on, caching off, and are immutable', () => {
    const base = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('counts'), Serdes.String(), Serdes.BigInt());
    expect([base.name, base.loggingEnabled, base.cachingEnabled, base.logConfig]).toEqual(['counts', true, false, {}]);
    const changed = base.withCachingEnabled().withLoggingEnabled({ 'segment.bytes': '1024' });
    expect([changed.cachingEnabled, changed.loggingEnabled, changed.logConfig]).toEqual([true, true, { 'segment.bytes': '1024' }]);
    expect([base.cachingEnabled, base.logConfig]).toEqual([false, {}]);
    const off = changed.withLoggingDisabled().withCachingDisabled();
    expect([off.loggingEnabled, off.cachingEnabled, off.logConfig]).toEqual([false, false, {}]);
    // Each build() is a new store.
    expect(base.build()).not.toBe(base.build());
  });

  it('rejects store names that cannot name a topic or a file', () => {
    for (const bad of ['', 'a/b', '..', 'x'.repeat(201), 'sp ace']) {
      expect(() => Stores.inMemoryKeyValueStore(bad)).toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID' }));
      expect(() => Stores.persistentKeyValueStore(bad)).toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID' }));
    }
  });

  it('stacks layers as configured: logging writes the changelog, caching holds writes until flush', () => {
    const supplier = Stores.inMemoryKeyValueStore('s');
    const run = (caching: boolean, logging: boolean) => {
      let builder = Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.String());
      builder = caching ? builder.withCachingEnabled() : builder.withCachingDisabled();
      builder = logging ? builder.withLoggingEnabled() : builder.withLoggingDisabled();
      const store = builder.build();
      const context = new RecordingStateStoreContext({ applicationId: 'app' });
      const forwards: string[] = [];
      const hasCache = isCachedStateStore<string, string>(store) && store.setFlushListener((k, v) => forwards.push(`${k}=${v}`), false);
      store.init(context, store);
      store.put('k', 'v1');
      store.put('k', 'v2');
      const beforeFlush = context.changelog.length;
      store.flush();
      return { hasCache, beforeFlush, afterFlush: context.changelog.length, forwards, registered: [...context.registered.keys()] };
    };
    expect(run(false, false)).toEqual({ hasCache: false, beforeFlush: 0, afterFlush: 0, forwards: [], registered: ['s'] });
    expect(run(false, true)).toEqual({ hasCache: false, beforeFlush: 2, afterFlush: 2, forwards: [], registered: ['s'] });
    expect(run(true, true)).toEqual({ hasCache: true, beforeFlush: 0, afterFlush: 1, forwards: ['k=v2'], registered: ['s'] });
    expect(run(true, false)).toEqual({ hasCache: true, beforeFlush: 0, afterFlush: 0, forwards: ['k=v2'], registered: ['s'] });
  });

  it('registers the outermost store, so the runtime restores through the stack it hands processors', () => {
    const store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('s'), Serdes.String(), Serdes.String()).withCachingEnabled().build();
    const context = new RecordingStateStoreContext();
    store.init(context, store);
    expect(context.registered.get('s')?.store).toBe(store);
    context.restore('s', [{ storeName: 's', key: Buffer.from('a'), value: Buffer.from('x'), timestampMs: 1 }]);
    expect(store.get('a')).toBe('x');
    expect(context.changelog).toEqual([]); // restoring does not log again
  });

  it('typed stores: serde boundary, metrics, null keys and prefix scans', () => {
    const store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('s'), Serdes.String(), Serdes.Json<{ n: number }>())
      .withLoggingDisabled()
      .build() as MeteredKeyValueStore<string, { n: number }>;
    store.init(new RecordingStateStoreContext(), store);
    store.put('user:1', { n: 1 });
    store.putAll([{ key: 'user:2', value: { n: 2 } }, { key: 'order:1', value: { n: 3 } }, { key: 'user:1', value: null }]);
    expect(store.putIfAbsent('user:2', { n: 9 })).toEqual({ n: 2 });
    expect(store.putIfAbsent('user:3', { n: 3 })).toBeNull();
    expect(store.get('user:1')).toBeNull();
    expect([...store.prefixScan('user:', Serdes.String())].map((e) => e.key)).toEqual(['user:2', 'user:3']);
    expect(store.delete('order:1')).toEqual({ n: 3 });
    expect(store.approximateNumEntries()).toBe(2);
    expect(store.metrics).toMatchObject({ puts: 1, putAlls: 1, putIfAbsents: 2, gets: 1, deletes: 1, scans: 1 });
    expect(() => store.put(null as unknown as string, { n: 0 })).toThrow(expect.objectContaining({ code: 'SERDE_FAILED' }));
    const it = store.range('a', 'z');
    expect(it.peekNextKey()).toBe('user:2');
    it.close();
    expect(it.next().done).toBe(true);
    store.close();
    expect(() => store.get('user:2')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('timestamped stores log the plain value with its timestamp and restore the timestamp from the record', () => {
    for (const supplier of [Stores.inMemoryKeyValueStore('t'), Stores.persistentKeyValueStore('t')]) {
      const builder = Stores.timestampedKeyValueStoreBuilder(supplier, Serdes.String(), Serdes.String()).withCachingEnabled();
      const store = builder.build();
      const context = new RecordingStateStoreContext({ applicationId: 'app', recordTimestampMs: 999 });
      store.init(context, store);
      store.put('a', { value: 'x', timestampMs: 5 });
      store.put('b', { value: 'y', timestampMs: -3 });
      store.flush();
      store.delete('b');
      store.flush();
      expect(context.changelog.map((r) => [str(r.key), str(r.value), r.timestampMs])).toEqual([
        ['a', 'x', 5],
        ['b', 'y', -3],
        ['b', null, 999],
      ]);
      const copy = builder.build();
      const other = new RecordingStateStoreContext();
      copy.init(other, copy);
      other.restore('t', context.changelog);
      expect(copy.get('a')).toEqual({ value: 'x', timestampMs: 5 });
      expect([...copy.all()]).toEqual([{ key: 'a', value: { value: 'x', timestampMs: 5 } }]);
      store.close();
      copy.close();
    }
  });
});

describe('valueAndTimestampSerde', () => {
  it('writes an 8-byte big-endian timestamp before the value and round-trips any safe timestamp', () => {
    const serde = valueAndTimestampSerde(Serdes.String());
    expect(Buffer.from(serde.serialize('t', { value: 'x', timestampMs: 5 })!).toString('hex')).toBe('000000000000000578');
    expect(Buffer.from(timestampedBytes(new Uint8Array(0), -1)).toString('hex')).toBe('ffffffffffffffff');
    expect(serde.serialize('t', null)).toBeNull();
    expect(serde.deserialize('t', null)).toBeNull();
    fc.assert(
      fc.property(fc.string(), fc.maxSafeInteger(), (value, t) => {
        const bytes = serde.serialize('t', { value, timestampMs: t })!;
        expect(timestampOf(bytes)).toBe(t);
        expect(serde.deserialize('t', bytes)).toEqual({ value, timestampMs: t });
      }),
    );
    expect(() => serde.serialize('t', { value: 'x', timestampMs: 1.5 })).toThrow(expect.objectContaining({ code: 'SERDE_FAILED' }));
    expect(() => serde.deserialize('t', Buffer.from([1, 2]))).toThrow(expect.objectContaining({ code: 'SERDE_FAILED' }));
  });
});
