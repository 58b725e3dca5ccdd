/**
 * Window store stacks on both engines against a model (fc.commands): put/fetch/fetchKey/fetchRange (and backward),
 * advancing stream time so retention expires windows; restoring from the recorded changelog reproduces the store;
 * a cached stack (Metered -> Caching -> ChangeLogging -> engine, cache sizes 0 / small / large) agrees too, and its
 * flush listener's view equals the model's live windows after each flush.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Serdes } from '../../src/serdes/serdes.js';
import type { BytesWindowStore } from '../../src/state/window-store.js';
import { RecordingStateStoreContext } from '../recording-state-store-context.js';
import { Stores } from '../stores.js';
import { ChangeLoggingWindowStore } from './change-logging-window-store.js';
import { InMemorySegments } from './in-memory-segments.js';
import { MeteredWindowStore } from './metered-window-store.js';
import { SegmentedWindowStore } from './segmented-window-store.js';
import { segmentIdOf } from './segments.js';
import { SqliteSegments } from './sqlite-segments.js';
import { windowStoreLayers } from './windowed-store-builder.js';

const RETENTION = 200;
const SIZE = 10;
const SEGMENT = 100;
const hex = (b: Uint8Array | null | undefined): string | null => (b == null ? null : Buffer.from(b).toString('hex'));

type Engine = 'in-memory' | 'sqlite';
type Stack = 'engine' | 'logging' | 'metered' | 'cached';
type Listener = (k: { key: Uint8Array; window: { startMs: number; endMs: number } }, n: Uint8Array | null, o: Uint8Array | null, ts: number) => void;

/** Ops in one shape for every stack: [key hex, start, value hex] triples. */
interface Ops {
  readonly store: { init(c: RecordingStateStoreContext, r: unknown): void; flush(): void; close(): void };
  put(k: Uint8Array, v: Uint8Array | null, t: number): void;
  fetch(k: Uint8Array, t: number): string | null;
  fetchKey(k: Uint8Array, from: number, to: number, backward: boolean): Array<[number, string]>;
  fetchRange(kf: Uint8Array | null, kt: Uint8Array | null, from: number, to: number, backward: boolean): Array<[string, number, number, string]>;
  setFlushListener?(listener: Listener, sendOldValues: boolean): boolean;
}

function engineOf(engine: Engine): SegmentedWindowStore {
  const segments = engine === 'in-memory' ? new InMemorySegments(SEGMENT) : new SqliteSegments(SEGMENT);
  return new SegmentedWindowStore('w', { retentionMs: RETENTION, windowSizeMs: SIZE, retainDuplicates: false }, segments);
}

function bytesOps(store: BytesWindowStore): Ops {
  return {
    store: { init: (c) => store.init(c, store), flush: () => store.flush(), close: () => store.close() },
    put: (k, v, t) => store.put(k, v, t),
    fetch: (k, t) => hex(store.fetch(k, t)),
    fetchKey: (k, f, t, b) => [...store.fetchKey(k, f, t, b)].map((e) => [e.key, hex(e.value)!]),
    fetchRange: (kf, kt, f, t, b) =>
      [...store.fetchRange(kf, kt, f, t, b)].map((e) => [hex(e.key.key)!, e.key.window.startMs, e.key.window.endMs, hex(e.value)!]),
  };
}

function build(engine: Engine, stack: Stack): Ops {
  if (stack === 'engine') return bytesOps(engineOf(engine));
  if (stack === 'logging') return bytesOps(new ChangeLoggingWindowStore(engineOf(engine), false));
  const supplier =
    engine === 'in-memory' ? Stores.inMemoryWindowStore('w', RETENTION, SIZE, false) : Stores.persistentWindowStore('w', RETENTION, SIZE, false);
  const typed =
    stack === 'cached'
      ? new MeteredWindowStore(windowStoreLayers(engineOf(engine), { logging: true, caching: true, timestamped: false }), Serdes.ByteArray(), Serdes.ByteArray(), 'test')
      : (Stores.windowStoreBuilder(supplier, Serdes.ByteArray(), Serdes.ByteArray()).build() as MeteredWindowStore<Uint8Array, Uint8Array>);
  const rows = (it: Iterable<{ key: { key: Uint8Array; window: { startMs: number; endMs: number } }; value: Uint8Array }>) =>
    [...it].map((e): [string, number, number, string] => [hex(e.key.key)!, e.key.window.startMs, e.key.window.endMs, hex(e.value)!]);
  return {
    store: { init: (c) => typed.init(c, typed), flush: () => typed.flush(), close: () => typed.close() },
    put: (k, v, t) => typed.put(k, v, t),
    fetch: (k, t) => hex(typed.fetch(k, t)),
    fetchKey: (k, f, t, b) => [...(b ? typed.backwardFetch(k, f, t) : typed.fetch(k, f, t))].map((e) => [e.key, hex(e.value)!]),
    fetchRange: (kf, kt, f, t, b) => {
      if (kf === null && kt === null && f === -Infinity && t === Infinity) return rows(b ? typed.backwardAll() : typed.all());
      if (kf === null && kt === null) return rows(b ? typed.backwardFetchAll(f, t) : typed.fetchAll(f, t));
      return rows(b ? typed.backwardFetch(kf, kt, f, t) : typed.fetch(kf, kt, f, t));
    },
    setFlushListener: (listener, old) => typed.setFlushListener(listener, old),
  };
}

interface Model {
  entries: Map<string, { key: Uint8Array; start: number; value: Uint8Array }>;
  observed: number;
  // Metered stacks use Kafka's default segment interval; the order depends on it.
  segment: number;
}
interface Real {
  ops: Ops;
  context: RecordingStateStoreContext;
  /** For cached stacks: what a consumer of the flush listener believes (window id -> value hex). */
  downstream: Map<string, string> | null;
  /** The timestamp of the last write of each window, which the listener must report. */
  lastWriteMs: Map<string, number>;
}

function live(m: Model) {
  return [...m.entries.values()].filter((e) => e.start > m.observed - RETENTION);
}

function modelRange(m: Model, kf: Uint8Array | null, kt: Uint8Array | null, from: number, to: number, backward: boolean) {
  if (kf !== null && kt !== null && Buffer.compare(kf, kt) > 0) return [];
  const rows = live(m)
    .filter((e) => e.start >= from && e.start <= to)
    .filter((e) => (kf === null || Buffer.compare(e.key, kf) >= 0) && (kt === null || Buffer.compare(e.key, kt) <= 0))
    .sort(
      (a, b) =>
        segmentIdOf(a.start, m.segment) - segmentIdOf(b.start, m.segment) || Buffer.compare(a.key, b.key) || a.start - b.start,
    )
    .map((e): [string, number, number, string] => [hex(e.key)!, e.start, e.start + SIZE, hex(e.value)!]);
  return backward ? rows.reverse() : rows;
}

// Few keys (with prefixes of each other) and coarse times, so commands hit the same windows and boundaries often.
const keyArb = fc.constantFrom(...['', '00', '61', '6100', 'ff'].map((h) => Uint8Array.from(Buffer.from(h, 'hex'))));
const timeArb = fc.integer({ min: 0, max: 60 }).map((x) => x * 10);
const valueArb = fc.option(fc.uint8Array({ minLength: 1, maxLength: 2 }), { freq: 5 });

const commands = [
  fc.tuple(keyArb, valueArb, timeArb).map(
    ([k, v, t]): fc.Command<Model, Real> => ({
      check: () => true,
      run: (m, r) => {
        const id = `${hex(k)}|${t}`;
        r.context.recordTimestampMs = r.context.recordTimestampMs + 1;
        if (t > Math.max(m.observed, t) - RETENTION) r.lastWriteMs.set(id, r.context.recordTimestampMs);
        r.ops.put(k, v, t);
        m.observed = Math.max(m.observed, t);
        if (t <= m.observed - RETENTION) return;
        if (v === null) m.entries.delete(id);
        else m.entries.set(id, { key: k, start: t, value: v });
      },
      toString: () => `put(${hex(k)}, ${hex(v)}, ${t})`,
    }),
  ),
  fc.tuple(keyArb, timeArb).map(
    ([k, t]): fc.Command<Model, Real> => ({
      check: () => true,
      run: (m, r) => {
        const e = m.entries.get(`${hex(k)}|${t}`);
        expect(r.ops.fetch(k, t)).toBe(e !== undefined && t > m.observed - RETENTION ? hex(e.value) : null);
      },
      toString: () => `fetch(${hex(k)}, ${t})`,
    }),
  ),
  fc.tuple(keyArb, timeArb, timeArb, fc.boolean()).map(
    ([k, f, t, b]): fc.Command<Model, Real> => ({
      check: () => true,
      run: (m, r) => {
        const expected = modelRange(m, k, k, f, t, b).map(([, s, , v]): [number, string] => [s, v]);
        expect(r.ops.fetchKey(k, f, t, b)).toEqual(expected);
      },
      toString: () => `fetchKey(${hex(k)}, ${f}, ${t}, ${b})`,
    }),
  ),
  fc
    .tuple(fc.option(keyArb), fc.option(keyArb), fc.option(fc.tuple(timeArb, timeArb)), fc.boolean())
    .map(([kf, kt, times, b]): fc.Command<Model, Real> => {
      const [f, t] = times ?? [-Infinity, Infinity];
      return {
        check: () => true,
        run: (m, r) => expect(r.ops.fetchRange(kf, kt, f, t, b)).toEqual(modelRange(m, kf, kt, f, t, b)),
        toString: () => `fetchRange(${hex(kf)}, ${hex(kt)}, ${f}, ${t}, ${b})`,
      };
    }),
  fc.constant<fc.Command<Model, Real>>({
    check: () => true,
    run: (m, r) => {
      r.ops.store.flush();
      if (r.downstream === null) return;
      // Downstream keeps the last value of windows that expired since (no tombstones for expiry, as in Kafka).
      const liveDownstream = [...r.downstream].filter(([id]) => Number(id.split('|')[1]) > m.observed - RETENTION).sort();
      const expected = live(m).map((e): [string, string] => [`${hex(e.key)}|${e.start}`, hex(e.value)!]).sort();
      expect(liveDownstream).toEqual(expected);
    },
    toString: () => 'flush',
  }),
];

function listen(ops: Ops, sendOldValues: boolean, lastWriteMs: Map<string, number>): Map<string, string> {
  const downstream = new Map<string, string>();
  const accepted = ops.setFlushListener!((k, newValue, oldValue, ts) => {
    const id = `${hex(k.key)}|${k.window.startMs}`;
    expect(k.window.endMs).toBe(k.window.startMs + SIZE);
    expect(ts).toBe(lastWriteMs.get(id));
    // The old value is what the wrapped store held, i.e. what downstream was last told.
    if (sendOldValues) expect(hex(oldValue)).toBe(downstream.get(id) ?? null);
    else expect(oldValue).toBeNull();
    if (newValue === null) downstream.delete(id);
    else downstream.set(id, hex(newValue)!);
  }, sendOldValues);
  expect(accepted).toBe(true);
  return downstream;
}

describe.each(['in-memory', 'sqlite'] as const)('window store stacks on %s', (engine) => {
  it.each(['engine', 'logging', 'metered', 'cached'] as const)('%s agrees with the model; restore reproduces it', (stack) => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80, size: "+1" }), fc.constantFrom(0, 400, 1 << 20), fc.boolean(), (cmds, cacheMaxBytes, sendOldValues) => {
        const context = new RecordingStateStoreContext({ cacheMaxBytes });
        const ops = build(engine, stack);
        const lastWriteMs = new Map<string, number>();
        const downstream = stack === 'cached' ? listen(ops, sendOldValues, lastWriteMs) : null;
        if (stack === 'metered') expect(ops.setFlushListener!(() => {}, false)).toBe(false);
        ops.store.init(context, null);
        const model: Model = { entries: new Map(), observed: -Infinity, segment: stack === 'metered' ? 60_000 : SEGMENT };
        fc.modelRun(() => ({ model, real: { ops, context, downstream, lastWriteMs } }), cmds);
        if (stack === 'cached') ops.store.flush();
        if (stack !== 'engine') {
          const copy = build(engine, stack);
          const other = new RecordingStateStoreContext();
          copy.store.init(other, null);
          other.restore('w', context.changelog);
          const all = (o: Ops) => o.fetchRange(null, null, -Infinity, Infinity, false);
          expect(all(copy)).toEqual(all(ops));
          copy.store.close();
        }
        ops.store.close();
      }),
      { numRuns: stack === 'engine' ? 60 : 40 },
    );
  });
});
