/**
 * Every key-value store stack, on both engines, against a Map model: random command sequences (fc.commands) of
 * put/delete/get/putIfAbsent/putAll/range/all/prefixScan/flush, then restoring a fresh stack from the recorded
 * changelog must reproduce the store, and a caching stack's listener must mirror the store after each flush.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Serdes } from '../src/serdes/serdes.js';
import type {
  BytesKeyValueStore,
  CacheFlushListener,
  KeyValue,
  KeyValueBytesStoreSupplier,
  KeyValueIterator,
} from '../src/state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../src/state/state-store.js';
import { CachingKeyValueStore } from './caching-key-value-store.js';
import { ChangeLoggingKeyValueStore } from './change-logging-key-value-store.js';
import type { MeteredKeyValueStore } from './metered-key-value-store.js';
import { RecordingStateStoreContext } from './recording-state-store-context.js';
import { Stores } from './stores.js';

type Entries = KeyValueIterator<Uint8Array, Uint8Array>;

/** The operations every stack offers, over bytes (typed stacks use Serdes.ByteArray()). */
interface Ops extends StateStore {
  get(key: Uint8Array): Uint8Array | null;
  put(key: Uint8Array, value: Uint8Array | null): void;
  putIfAbsent(key: Uint8Array, value: Uint8Array | null): Uint8Array | null;
  putAll(entries: readonly KeyValue<Uint8Array, Uint8Array | null>[]): void;
  delete(key: Uint8Array): Uint8Array | null;
  range(from: Uint8Array | null, to: Uint8Array | null): Entries;
  reverseRange(from: Uint8Array | null, to: Uint8Array | null): Entries;
  all(): Entries;
  reverseAll(): Entries;
  prefixScan(prefix: Uint8Array): Entries;
  approximateNumEntries(): number;
  setFlushListener?(listener: (k: Uint8Array, n: Uint8Array | null, o: Uint8Array | null, ts: number) => void, old: boolean): boolean;
}

/** Drives a typed store (Serdes.ByteArray() both ways) through the bytes-shaped Ops. */
class TypedAdapter implements Ops {
  constructor(private readonly typed: MeteredKeyValueStore<Uint8Array, Uint8Array>) {}
  get name(): string { return this.typed.name; }
  get persistent(): boolean { return this.typed.persistent; }
  get isOpen(): boolean { return this.typed.isOpen; }
  init(context: StateStoreContext, _root: StateStore): void { this.typed.init(context, this.typed); }
  flush(): void { this.typed.flush(); }
  close(): void { this.typed.close(); }
  get(key: Uint8Array): Uint8Array | null { return this.typed.get(key); }
  put(key: Uint8Array, value: Uint8Array | null): void { this.typed.put(key, value); }
  putIfAbsent(key: Uint8Array, value: Uint8Array | null): Uint8Array | null { return this.typed.putIfAbsent(key, value); }
  putAll(entries: readonly KeyValue<Uint8Array, Uint8Array | null>[]): void { this.typed.putAll(entries); }
  delete(key: Uint8Array): Uint8Array | null { return this.typed.delete(key); }
  range(from: Uint8Array | null, to: Uint8Array | null): Entries { return this.typed.range(from, to); }
  reverseRange(from: Uint8Array | null, to: Uint8Array | null): Entries { return this.typed.reverseRange(from, to); }
  all(): Entries { return this.typed.all(); }
  reverseAll(): Entries { return this.typed.reverseAll(); }
  prefixScan(prefix: Uint8Array): Entries { return this.typed.prefixScan(prefix, Serdes.ByteArray()); }
  approximateNumEntries(): number { return this.typed.approximateNumEntries(); }
  setFlushListener(listener: CacheFlushListener<Uint8Array, Uint8Array>, old: boolean): boolean {
    return this.typed.setFlushListener(listener, old);
  }
}

type EngineKind = 'in-memory' | 'sqlite';
type StackKind =
  | 'engine'
  | 'logging->engine'
  | 'caching->logging->engine'
  | 'caching->engine'
  | 'metered->engine'
  | 'metered->logging->engine'
  | 'metered->caching->logging->engine';

const STACKS: readonly StackKind[] = [
  'engine',
  'logging->engine',
  'caching->logging->engine',
  'caching->engine',
  'metered->engine',
  'metered->logging->engine',
  'metered->caching->logging->engine',
];
const ENGINES: readonly EngineKind[] = ['in-memory', 'sqlite'];
const STORE = 'store';

function supplier(engine: EngineKind): KeyValueBytesStoreSupplier {
  return engine === 'in-memory' ? Stores.inMemoryKeyValueStore(STORE) : Stores.persistentKeyValueStore(STORE);
}

function build(engine: EngineKind, stack: StackKind, cacheMaxBytes: number): Ops {
  const bytes = Serdes.ByteArray();
  if (stack.startsWith('metered')) {
    let builder = Stores.keyValueStoreBuilder(supplier(engine), bytes, bytes);
    builder = stack.includes('logging') ? builder.withLoggingEnabled() : builder.withLoggingDisabled();
    builder = stack.includes('caching') ? builder.withCachingEnabled() : builder.withCachingDisabled();
    return new TypedAdapter(builder.build() as MeteredKeyValueStore<Uint8Array, Uint8Array>);
  }
  let store: BytesKeyValueStore = supplier(engine).get();
  if (stack.includes('logging')) store = new ChangeLoggingKeyValueStore(store);
  if (stack.includes('caching')) store = new CachingKeyValueStore(store, { cacheMaxBytes });
  return store;
}

const hex = (bytes: Uint8Array | null | undefined): string | null =>
  bytes === null || bytes === undefined ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

function drain(it: Entries): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const { key, value } of it) out.push([hex(key)!, hex(value)!]);
  return out;
}

interface Model {
  readonly map: Map<string, Uint8Array>;
}

interface Real {
  readonly store: Ops;
  readonly context: RecordingStateStoreContext;
  readonly caching: boolean;
  readonly exactCount: boolean;
  readonly sendOldValues: boolean;
  /** What a downstream consumer of the cache's flush listener believes the table is. */
  readonly downstream: Map<string, string>;
}

/** The model's entries in [from, to], sorted with Buffer.compare (an order independent of the store's code). */
function modelRange(model: Model, from: Uint8Array | null, to: Uint8Array | null, reverse: boolean): Array<[string, string]> {
  const entries = [...model.map.entries()]
    .map(([k, v]) => ({ key: Buffer.from(k, 'hex'), value: v }))
    .filter((e) => (from === null || Buffer.compare(e.key, from) >= 0) && (to === null || Buffer.compare(e.key, to) <= 0))
    .sort((a, b) => Buffer.compare(a.key, b.key));
  if (reverse) entries.reverse();
  return entries.map((e) => [hex(e.key)!, hex(e.value)!]);
}

class PutCommand implements fc.Command<Model, Real> {
  constructor(readonly key: Uint8Array, readonly value: Uint8Array | null, readonly timestampMs: number) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    real.context.recordTimestampMs = this.timestampMs;
    real.store.put(this.key, this.value);
    if (this.value === null) model.map.delete(hex(this.key)!);
    else model.map.set(hex(this.key)!, this.value);
  }
  toString = (): string => `put(${hex(this.key)}, ${hex(this.value)})`;
}

class DeleteCommand implements fc.Command<Model, Real> {
  constructor(readonly key: Uint8Array) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    const old = real.store.delete(this.key);
    expect(hex(old)).toBe(hex(model.map.get(hex(this.key)!)));
    model.map.delete(hex(this.key)!);
  }
  toString = (): string => `delete(${hex(this.key)})`;
}

class GetCommand implements fc.Command<Model, Real> {
  constructor(readonly key: Uint8Array) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    expect(hex(real.store.get(this.key))).toBe(hex(model.map.get(hex(this.key)!)));
  }
  toString = (): string => `get(${hex(this.key)})`;
}

class PutIfAbsentCommand implements fc.Command<Model, Real> {
  constructor(readonly key: Uint8Array, readonly value: Uint8Array) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    const existing = real.store.putIfAbsent(this.key, this.value);
    const k = hex(this.key)!;
    expect(hex(existing)).toBe(hex(model.map.get(k)));
    if (!model.map.has(k)) model.map.set(k, this.value);
  }
  toString = (): string => `putIfAbsent(${hex(this.key)}, ${hex(this.value)})`;
}

class PutAllCommand implements fc.Command<Model, Real> {
  constructor(readonly entries: ReadonlyArray<KeyValue<Uint8Array, Uint8Array | null>>) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    real.store.putAll(this.entries);
    for (const { key, value } of this.entries) {
      if (value === null) model.map.delete(hex(key)!);
      else model.map.set(hex(key)!, value);
    }
  }
  toString = (): string => `putAll(${this.entries.map((e) => `${hex(e.key)}=${hex(e.value)}`).join(',')})`;
}

class RangeCommand implements fc.Command<Model, Real> {
  constructor(readonly from: Uint8Array | null, readonly to: Uint8Array | null, readonly reverse: boolean) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    const it = this.reverse ? real.store.reverseRange(this.from, this.to) : real.store.range(this.from, this.to);
    const expected = modelRange(model, this.from, this.to, this.reverse);
    expect(hex(it.peekNextKey() ?? null)).toBe(expected[0]?.[0] ?? null);
    expect(drain(it)).toEqual(expected);
  }
  toString = (): string => `${this.reverse ? 'reverseRange' : 'range'}(${hex(this.from)}, ${hex(this.to)})`;
}

class AllCommand implements fc.Command<Model, Real> {
  constructor(readonly reverse: boolean) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    const it = this.reverse ? real.store.reverseAll() : real.store.all();
    expect(drain(it)).toEqual(modelRange(model, null, null, this.reverse));
    if (real.exactCount) expect(real.store.approximateNumEntries()).toBe(model.map.size);
  }
  toString = (): string => (this.reverse ? 'reverseAll' : 'all');
}

class PrefixScanCommand implements fc.Command<Model, Real> {
  constructor(readonly prefix: Uint8Array) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    const p = hex(this.prefix)!;
    const expected = modelRange(model, null, null, false).filter(([k]) => k.startsWith(p));
    expect(drain(real.store.prefixScan(this.prefix))).toEqual(expected);
  }
  toString = (): string => `prefixScan(${hex(this.prefix)})`;
}

class FlushCommand implements fc.Command<Model, Real> {
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    real.store.flush();
    if (real.caching) {
      const expected = new Map([...model.map].map(([k, v]) => [k, hex(v)!]));
      expect(new Map([...real.downstream].sort())).toEqual(new Map([...expected].sort()));
    }
  }
  toString = (): string => 'flush';
}

// A small alphabet with the bytes that separate signed from unsigned order, so keys collide and prefixes overlap.
const byte = fc.constantFrom(0x00, 0x01, 0x61, 0x7f, 0x80, 0xfe, 0xff);
const key = fc.array(byte, { minLength: 0, maxLength: 3 }).map((a) => Buffer.from(a));
const value = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 0, maxLength: 6 }).map((a) => Buffer.from(a));
const bound = fc.option(key, { nil: null, freq: 4 });

const commands = fc.commands(
  [
    fc.tuple(key, fc.option(value, { nil: null, freq: 6 }), fc.integer({ min: 0, max: 1e6 })).map(([k, v, t]) => new PutCommand(k, v, t)),
    key.map((k) => new DeleteCommand(k)),
    key.map((k) => new GetCommand(k)),
    fc.tuple(key, value).map(([k, v]) => new PutIfAbsentCommand(k, v)),
    fc
      .array(fc.record({ key, value: fc.option(value, { nil: null, freq: 5 }) }), { maxLength: 5 })
      .map((entries) => new PutAllCommand(entries)),
    fc.tuple(bound, bound, fc.boolean()).map(([f, t, r]) => new RangeCommand(f, t, r)),
    fc.boolean().map((r) => new AllCommand(r)),
    fc.array(byte, { maxLength: 2 }).map((p) => new PrefixScanCommand(Buffer.from(p))),
    fc.constant(new FlushCommand()),
  ],
  { maxCommands: 60 },
);

function setup(engine: EngineKind, stack: StackKind, cacheMaxBytes: number, sendOldValues: boolean): Real {
  const context = new RecordingStateStoreContext({ cacheMaxBytes });
  const store = build(engine, stack, cacheMaxBytes);
  const caching = stack.includes('caching');
  const downstream = new Map<string, string>();
  const accepted = store.setFlushListener?.((k, newValue, oldValue, _ts) => {
    const kh = hex(k)!;
    // The old value is what the wrapped store held, i.e. what downstream was last told.
    if (sendOldValues) expect(hex(oldValue)).toBe(downstream.get(kh) ?? null);
    else expect(oldValue).toBeNull();
    if (newValue === null) downstream.delete(kh);
    else downstream.set(kh, hex(newValue)!);
  }, sendOldValues);
  expect(accepted ?? false).toBe(caching);
  store.init(context, store);
  return { store, context, caching, exactCount: !caching, sendOldValues, downstream };
}

describe.each(ENGINES)('%s engine', (engine) => {
  it.each(STACKS)('%s agrees with a Map model, and restores from its changelog', (stack) => {
    fc.assert(
      fc.property(commands, fc.constantFrom(0, 300, 2_000, 1 << 20), fc.boolean(), (cmds, cacheMaxBytes, sendOldValues) => {
        const real = setup(engine, stack, cacheMaxBytes, sendOldValues);
        const model: Model = { map: new Map() };
        try {
          fc.modelRun(() => ({ model, real }), cmds);
          real.store.flush();
          expect(drain(real.store.all())).toEqual(modelRange(model, null, null, false));
          if (stack.includes('logging')) {
            // A fresh stack of the same shape, restored from what the first one logged, holds the same entries.
            const copy = setup(engine, stack, cacheMaxBytes, sendOldValues);
            copy.context.restore(STORE, real.context.changelog, 7);
            expect(drain(copy.store.all())).toEqual(modelRange(model, null, null, false));
            copy.store.close();
          } else {
            expect(real.context.changelog).toEqual([]);
          }
        } finally {
          real.store.close();
        }
      }),
      { numRuns: engine === 'sqlite' ? 100 : 200 },
    );
  });
});
