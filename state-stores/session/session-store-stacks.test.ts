/**
 * Session store stacks on both engines against a model (fc.commands): put/remove/findSessions/fetchSession with
 * retention by session end; restore from the changelog reproduces the store; golden changelog keys; segments drop.
 * Cached stacks (Metered -> Caching -> ChangeLogging -> engine, cache sizes 0 / small / large) agree too, and their
 * flush listener's view equals the model's live sessions after each flush.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Serdes } from '../../src/serdes/serdes.js';
import type { SessionStore } from '../../src/state/session-store.js';
import { sessionWindow } from '../../src/state/windowed.js';
import { RecordingStateStoreContext } from '../recording-state-store-context.js';
import { Stores } from '../stores.js';
import { segmentIdOf } from '../window/segments.js';
import { SqliteSegments } from '../window/sqlite-segments.js';
import { InMemorySegments } from '../window/in-memory-segments.js';
import { SegmentedWindowStore } from '../window/segmented-window-store.js';
import { windowStoreKeyBinary } from '../window/window-key-schema.js';
import { sessionStoreLayers } from '../window/windowed-store-builder.js';
import { MeteredSessionStore } from './metered-session-store.js';
import { sessionStoreKeyBinary } from './session-key-schema.js';

const RETENTION = 200;
const SEGMENT = 60_000; // Kafka's minimum default segment interval (retention / 2 < 60 s)
type Row = [string, number, number, number];

type Stack = 'engine' | 'logging' | 'cached';

function build(engine: 'in-memory' | 'sqlite', stack: Stack): MeteredSessionStore<string, number> {
  const supplier = engine === 'in-memory' ? Stores.inMemorySessionStore('s', RETENTION) : Stores.persistentSessionStore('s', RETENTION);
  if (stack === 'cached') {
    return new MeteredSessionStore(sessionStoreLayers(supplier.get(), { logging: true, caching: true }), Serdes.String(), Serdes.Integer(), 'test');
  }
  const logging = stack === 'logging';
  const builder = Stores.sessionStoreBuilder(supplier, Serdes.String(), Serdes.Integer());
  return (logging ? builder : builder.withLoggingDisabled()).build() as MeteredSessionStore<string, number>;
}

interface Model {
  sessions: Map<string, { key: string; start: number; end: number; agg: number }>;
  observed: number;
}
interface Real {
  store: SessionStore<string, number>;
  context: RecordingStateStoreContext;
  /** For cached stacks: what a consumer of the flush listener believes (session id -> aggregate). */
  downstream: Map<string, number> | null;
  /** The timestamp of the last write of each session, which the listener must report. */
  lastWriteMs: Map<string, number>;
}

function modelFind(m: Model, kf: string | null, kt: string | null, earliestEnd: number, latestStart: number, backward: boolean): Row[] {
  const b = (s: string) => Buffer.from(s);
  if (kf !== null && kt !== null && Buffer.compare(b(kf), b(kt)) > 0) return [];
  const rows = [...m.sessions.values()]
    .filter((s) => s.end > m.observed - RETENTION && s.end >= earliestEnd && s.start <= latestStart)
    .filter((s) => (kf === null || Buffer.compare(b(s.key), b(kf)) >= 0) && (kt === null || Buffer.compare(b(s.key), b(kt)) <= 0))
    .sort((x, y) => segmentIdOf(x.end, SEGMENT) - segmentIdOf(y.end, SEGMENT) || Buffer.compare(b(x.key), b(y.key)) || x.end - y.end || x.start - y.start)
    .map((s): Row => [s.key, s.start, s.end, s.agg]);
  return backward ? rows.reverse() : rows;
}

const rows = (it: Iterable<{ key: { key: string; window: { startMs: number; endMs: number } }; value: number }>): Row[] =>
  [...it].map((e) => [e.key.key, e.key.window.startMs, e.key.window.endMs, e.value]);

const keyArb = fc.constantFrom('', 'a', 'ab', 'b');
const sessionArb = fc.tuple(keyArb, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 5 })).map(([k, s, d]) => ({ key: k, start: s * 10, end: (s + d) * 10 }));

const commands = [
  fc.tuple(sessionArb, fc.option(fc.integer({ min: -5, max: 5 }), { freq: 5 })).map(
    ([s, agg]): fc.Command<Model, Real> => ({
      check: () => true,
      run: (m, real) => {
        const w = { key: s.key, window: sessionWindow(s.start, s.end) };
        const id = `${s.key}|${s.start}|${s.end}`;
        real.context.recordTimestampMs++;
        if (s.end > Math.max(m.observed, s.end) - RETENTION) real.lastWriteMs.set(id, real.context.recordTimestampMs);
        if (agg === null) real.store.remove(w);
        else real.store.put(w, agg);
        m.observed = Math.max(m.observed, s.end);
        if (s.end <= m.observed - RETENTION) return;
        if (agg === null) m.sessions.delete(id);
        else m.sessions.set(id, { ...s, agg });
      },
      toString: () => `${agg === null ? 'remove' : 'put'}(${JSON.stringify(s)}, ${agg})`,
    }),
  ),
  sessionArb.map(
    (s): fc.Command<Model, Real> => ({
      check: () => true,
      run: (m, { store: r }) => {
        const e = m.sessions.get(`${s.key}|${s.start}|${s.end}`);
        expect(r.fetchSession(s.key, s.start, s.end)).toBe(e !== undefined && s.end > m.observed - RETENTION ? e.agg : null);
      },
      toString: () => `fetchSession(${JSON.stringify(s)})`,
    }),
  ),
  fc.tuple(fc.option(keyArb), fc.option(keyArb), fc.integer({ min: 0, max: 45 }), fc.integer({ min: 0, max: 45 }), fc.boolean(), fc.boolean()).map(
    ([kf, kt, e, l, single, backward]): fc.Command<Model, Real> => ({
      check: () => true,
      run: (m, { store: r }) => {
        if (single && kf !== null) {
          const it = backward ? r.backwardFindSessions(kf, e * 10, l * 10) : r.findSessions(kf, e * 10, l * 10);
          expect(rows(it)).toEqual(modelFind(m, kf, kf, e * 10, l * 10, backward));
          expect(rows(backward ? r.backwardFetch(kf) : r.fetch(kf))).toEqual(modelFind(m, kf, kf, -Infinity, Infinity, backward));
        } else {
          const it = backward ? r.backwardFindSessions(kf, kt, e * 10, l * 10) : r.findSessions(kf, kt, e * 10, l * 10);
          expect(rows(it)).toEqual(modelFind(m, kf, kt, e * 10, l * 10, backward));
        }
      },
      toString: () => `find(${kf}, ${kt}, ${e * 10}, ${l * 10}, single=${single}, backward=${backward})`,
    }),
  ),
  fc.constant<fc.Command<Model, Real>>({
    check: () => true,
    run: (m, r) => {
      r.store.flush();
      if (r.downstream === null) return;
      // Downstream keeps the last value of sessions that expired since (no tombstones for expiry, as in Kafka).
      const liveDownstream = [...r.downstream].filter(([id]) => Number(id.split('|')[2]) > m.observed - RETENTION).sort();
      const expected = [...m.sessions].filter(([, s]) => s.end > m.observed - RETENTION).map(([id, s]): [string, number] => [id, s.agg]).sort();
      expect(liveDownstream).toEqual(expected);
    },
    toString: () => 'flush',
  }),
];

function listen(store: MeteredSessionStore<string, number>, sendOldValues: boolean, lastWriteMs: Map<string, number>): Map<string, number> {
  const downstream = new Map<string, number>();
  const accepted = store.setFlushListener((k, newValue, oldValue, ts) => {
    const id = `${k.key}|${k.window.startMs}|${k.window.endMs}`;
    expect(ts).toBe(lastWriteMs.get(id));
    // The old value is what the wrapped store held, i.e. what downstream was last told.
    if (sendOldValues) expect(oldValue).toBe(downstream.get(id) ?? null);
    else expect(oldValue).toBeNull();
    if (newValue === null) downstream.delete(id);
    else downstream.set(id, newValue);
  }, sendOldValues);
  expect(accepted).toBe(true);
  return downstream;
}

describe.each(['in-memory', 'sqlite'] as const)('session store stacks on %s', (engine) => {
  it.each(['engine', 'logging', 'cached'] as const)('%s agrees with the model; restore reproduces it', (stack) => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80, size: '+1' }), fc.constantFrom(0, 400, 1 << 20), fc.boolean(), (cmds, cacheMaxBytes, sendOldValues) => {
        const context = new RecordingStateStoreContext({ cacheMaxBytes });
        const store = build(engine, stack);
        const lastWriteMs = new Map<string, number>();
        const downstream = stack === 'cached' ? listen(store, sendOldValues, lastWriteMs) : null;
        if (stack !== 'cached') expect(store.setFlushListener(() => {}, false)).toBe(false);
        store.init(context, store);
        fc.modelRun(() => ({ model: { sessions: new Map(), observed: -Infinity }, real: { store, context, downstream, lastWriteMs } }), cmds);
        if (stack === 'cached') store.flush();
        if (stack !== 'engine') {
          const copy = build(engine, stack);
          const other = new RecordingStateStoreContext();
          copy.init(other, copy);
          other.restore('s', context.changelog);
          expect(rows(copy.fetch(null, null))).toEqual(rows(store.fetch(null, null)));
          copy.close();
        }
        store.close();
      }),
      { numRuns: 40 },
    );
  });
});

describe('changelog keys (golden bytes, Kafka WindowKeySchema / SessionKeySchema)', () => {
  it('window: key + int64 window start + int32 seqnum, big-endian', () => {
    expect(Buffer.from(windowStoreKeyBinary(Buffer.from('ab'), 0x0102030405, 7)).toString('hex')).toBe('6162' + '0000000102030405' + '00000007');
    const context = new RecordingStateStoreContext({ recordTimestampMs: 42 });
    const store = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('w', 120_000, 60_000, false), Serdes.String(), Serdes.String()).build();
    store.init(context, store);
    store.put('k', 'v', 60_000);
    expect(context.changelog.map((r) => [Buffer.from(r.key).toString('hex'), Buffer.from(r.value!).toString(), r.timestampMs])).toEqual([
      ['6b' + '000000000000ea60' + '00000000', 'v', 42],
    ]);
  });

  it('session: key + int64 end + int64 start', () => {
    expect(Buffer.from(sessionStoreKeyBinary(Buffer.from('u'), 1, 2)).toString('hex')).toBe('75' + '0000000000000002' + '0000000000000001');
  });

  it('builders give windowed changelogs compact,delete and retention + 1 day', () => {
    const b = Stores.sessionStoreBuilder(Stores.inMemorySessionStore('s', 1_000), Serdes.String(), Serdes.Integer());
    expect(b.logConfig).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': '86401000' });
    expect(b.withLoggingEnabled({ 'segment.bytes': '1' }).logConfig['cleanup.policy']).toBe('compact,delete');
  });
});

describe('segments are dropped whole as stream time advances', () => {
  it.each(['in-memory', 'sqlite'] as const)('%s', (engine) => {
    const segments = engine === 'in-memory' ? new InMemorySegments(100) : new SqliteSegments(100);
    const store = new SegmentedWindowStore('w', { retentionMs: 200, windowSizeMs: 10, retainDuplicates: false }, segments);
    store.init(new RecordingStateStoreContext(), store);
    for (const t of [0, 50, 120, 250]) store.put(Buffer.from('k'), Buffer.from([t & 0xff]), t);
    expect(segments.segmentIds()).toEqual([0, 1, 2]);
    store.put(Buffer.from('k'), Buffer.from([1]), 330); // min live segment = segmentId(130) = 1
    expect(segments.segmentIds()).toEqual([1, 2, 3]);
    if (segments instanceof SqliteSegments) expect(segments.tableNames()).toEqual(['meta', 'seg_1', 'seg_2', 'seg_3']);
    // 120 is expired (<= 330 - 200) though its segment lives: not returned.
    expect([...store.fetchKey(Buffer.from('k'), 0, 1_000, false)].map((e) => e.key)).toEqual([250, 330]);
    store.close();
  });

  it('retainDuplicates keeps every put and restores them', () => {
    const context = new RecordingStateStoreContext();
    const store = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('j', 1_000, 10, true), Serdes.String(), Serdes.String()).build();
    store.init(context, store);
    store.put('k', 'a', 0);
    store.put('k', 'b', 0);
    store.put('k', null, 0);
    expect([...store.fetch('k', 0, 0)].map((e) => e.value)).toEqual(['a', 'b']);
    expect(store.fetch('k', 0)).toBe('a');
    const copy = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('j', 1_000, 10, true), Serdes.String(), Serdes.String()).build();
    const other = new RecordingStateStoreContext();
    copy.init(other, copy);
    other.restore('j', context.changelog);
    expect([...copy.fetch('k', 0, 0)].map((e) => e.value)).toEqual(['a', 'b']);
  });
});
