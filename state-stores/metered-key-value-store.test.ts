import { describe, expect, it } from 'vitest';
import { serdeFrom } from '../src/serdes/serde.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import { CachingKeyValueStore } from './caching-key-value-store.js';
import { ChangeLoggingKeyValueStore } from './change-logging-key-value-store.js';
import { InMemoryKeyValueStore } from './in-memory-key-value-store.js';
import { MeteredKeyValueStore } from './metered-key-value-store.js';
import { RecordingStateStoreContext } from './recording-state-store-context.js';

/** Wraps a serde, counting the values it serializes. */
function counting<T>(inner: Serde<T>): { serde: Serde<T>; serialized: T[] } {
  const serialized: T[] = [];
  const serde = serdeFrom<T>(
    (data, topic) => {
      serialized.push(data);
      return inner.serialize(topic, data)!;
    },
    (bytes, topic) => inner.deserialize(topic, bytes)!,
    inner.name,
  );
  return { serde, serialized };
}

function store<K>(keySerde: Serde<K>, cached: boolean): MeteredKeyValueStore<K, bigint> {
  const engine = new ChangeLoggingKeyValueStore(new InMemoryKeyValueStore('counts'));
  const inner = cached ? new CachingKeyValueStore(engine) : engine;
  const s = new MeteredKeyValueStore(inner, keySerde, Serdes.BigInt(), 'in-memory');
  s.init(new RecordingStateStoreContext(), s);
  return s;
}

describe.each([false, true])('MeteredKeyValueStore (caching %s)', (cached) => {
  it('serializes a primitive key once for get-then-put, and again for any other key', () => {
    const { serde, serialized } = counting(Serdes.String());
    const s = store(serde, cached);
    for (const word of ['a', 'b', 'a', 'a']) {
      // A fresh string object each time, as a split or a deserializer produces.
      const key = `${word}!`.slice(0, 1);
      s.put(key, (s.get(key) ?? 0n) + 1n);
    }
    expect(serialized).toEqual(['a', 'b', 'a']);
    expect(s.get('a')).toBe(3n);
    expect(s.get('b')).toBe(1n);
    expect(s.delete('b')).toBe(1n);
    expect(s.get('b')).toBeNull();
  });

  it('keeps 0 and -0 apart for the Number serde, whose bytes differ', () => {
    const s = store(Serdes.Number(), cached);
    s.put(0, 1n);
    expect(s.get(-0)).toBeNull();
    s.put(-0, 2n);
    expect(s.get(0)).toBe(1n);
    expect(s.get(-0)).toBe(2n);
    expect(s.get(0)).toBe(1n);
  });

  it('serializes object keys on every call, so mutating one between calls is seen', () => {
    const { serde, serialized } = counting(Serdes.Json<{ id: number }>());
    const s = store(serde, cached);
    const key = { id: 1 };
    s.put(key, 1n);
    expect(s.get(key)).toBe(1n);
    key.id = 2;
    expect(s.get(key)).toBeNull();
    expect(serialized).toHaveLength(3);
  });

  it('serializes a bigint key once for a run of calls with it', () => {
    const { serde, serialized } = counting(Serdes.BigInt());
    const s = store(serde, cached);
    s.put(5n, (s.get(5n) ?? 0n) + 1n);
    s.put(5n, (s.get(5n) ?? 0n) + 1n);
    expect(s.get(5n)).toBe(2n);
    expect(serialized).toEqual([5n]);
  });
});
