/**
 * The testing kit's laws applied to the DSL's operators and to the examples' topologies: stateless operators,
 * aggregations, tables, windows with late records, suppression and joins. The operators' own semantics are tested
 * beside them (dsl/*.test.ts); here every one must also be deterministic, independent of partitioning, batching,
 * restarts and rebalancing where the law applies, and agree with a small Map model.
 *
 * Where a law does not apply, the reason is given (e.g. records later than grace are dropped per task stream time,
 * so late records make a windowed count depend on partitioning, in Kafka Streams as here).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { BufferConfig, Suppressed } from '../dsl/options/suppressed.js';
import { Consumed } from '../dsl/options/consumed.js';
import { Grouped } from '../dsl/options/grouped.js';
import { Materialized } from '../dsl/options/materialized.js';
import { Produced } from '../dsl/options/produced.js';
import { StreamJoined } from '../dsl/options/stream-joined.js';
import { Joined } from '../dsl/options/joined.js';
import { StreamsBuilder } from '../dsl/streams-builder.js';
import { WindowedSerdes } from '../dsl/windowed-serdes.js';
import { JoinWindows } from '../dsl/windows/join-windows.js';
import { TimeWindows } from '../dsl/windows/time-windows.js';
import { SessionWindows } from '../dsl/windows/session-windows.js';
import { SlidingWindows } from '../dsl/windows/sliding-windows.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { Windowed } from '../src/state/windowed.js';
import type { Topology } from '../src/topology/topology.js';
import { arbPartitioning, arbStream, laws, type FedRecord, type LawOptions, type ModelRecord } from '../testing/index.js';

const S = Serdes.String();
const N = Serdes.Number();
const KEYS = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];

/* ---------------------------------------------------------------- stateless operators */

/** filter, mapValues, flatMap, selectKey, split/branch, merge, peek: every record handled alone. */
function stateless(): Topology {
  const b = new StreamsBuilder();
  const events = b.stream('events', Consumed.with(S, N));
  events
    .filter((_k, v) => v % 5 !== 0)
    .mapValues((v) => v * 10)
    .flatMap((k, v) => [
      { key: k, value: v },
      { key: `${k}!`, value: v + 1 },
    ])
    .selectKey((k) => k.toUpperCase())
    .to('stateless-out', Produced.with(S, N));
  const branches = events.peek(() => undefined).split().branch((_k, v) => v % 2 === 0).defaultBranch();
  const [even, odd] = [...branches.values()];
  even!.merge(odd!.mapValues((v) => -v)).to('merged-out', Produced.with(S, N));
  return b.build();
}

function statelessModel(fed: readonly FedRecord[]): { outputs: { [topic: string]: ModelRecord[] } } {
  const out: ModelRecord[] = [];
  const merged: ModelRecord[] = [];
  for (const r of fed) {
    const k = r.key as string;
    const v = r.value as number;
    if (v % 5 !== 0) out.push({ key: k.toUpperCase(), value: v * 10 }, { key: `${k}!`.toUpperCase(), value: v * 10 + 1 });
    merged.push({ key: k, value: v % 2 === 0 ? v : -v });
  }
  return { outputs: { 'stateless-out': out, 'merged-out': merged } };
}

const events = arbStream({ keys: KEYS, values: fc.integer({ min: 0, max: 30 }), maxLength: 20 });
const statelessOptions: LawOptions = {
  inputs: { events: { keySerde: S, valueSerde: N, records: events } },
  outputs: { 'stateless-out': { keySerde: S, valueSerde: N }, 'merged-out': { keySerde: S, valueSerde: N } },
  // A stream's records have no final table: compare every record, in any order across partitions.
  view: 'multiset',
};

describe('stateless operators', () => {
  it('obey determinism, partition and batch independence and their model (driver)', async () => {
    await laws.determinism(stateless, { ...statelessOptions, view: 'sequence', numRuns: 10 });
    await laws.partitionIndependence(stateless, { ...statelessOptions, numRuns: 10 });
    await laws.batchIndependence(stateless, { ...statelessOptions, numRuns: 10 });
    await laws.matchesModel(stateless, statelessModel, { ...statelessOptions, partitioning: arbPartitioning(), numRuns: 15 });
  });

  it('obey restart and rebalance equivalence (broker, at-least-once with clean closes: no duplicates)', async () => {
    await laws.restartEquivalence(stateless, { ...statelessOptions, numRuns: 3 });
    await laws.rebalanceEquivalence(stateless, { ...statelessOptions, numRuns: 2 });
  });
});

/* ---------------------------------------------------------------- aggregations */

/** groupByKey().count(), groupBy(..).reduce(+), groupByKey().aggregate(max): commutative, so any order agrees. */
function aggregations(): Topology {
  const b = new StreamsBuilder();
  const events = b.stream('events', Consumed.with(S, N));
  events.groupByKey().count(Materialized.as('counts')).toStream().to('count-out', Produced.with(S, N));
  events
    .groupBy((_k, v) => `mod${v % 3}`, Grouped.with(S, N))
    .reduce((a, v) => a + v, Materialized.as<string, number>('sums').withValueSerde(N))
    .toStream()
    .to('sum-out', Produced.with(S, N));
  events
    .groupByKey(Grouped.with(S, N))
    .aggregate(
      () => -1,
      (_k, v, max) => Math.max(v, max),
      Materialized.as<string, number>('maxes').withValueSerde(N),
    )
    .toStream()
    .to('max-out', Produced.with(S, N));
  return b.build();
}

function aggregationModel(fed: readonly FedRecord[]): { outputs: { [t: string]: Map<string, number> }; stores: { [s: string]: Map<string, number> } } {
  const counts = new Map<string, number>();
  const sums = new Map<string, number>();
  const maxes = new Map<string, number>();
  for (const r of fed) {
    const k = r.key as string;
    const v = r.value as number;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    sums.set(`mod${v % 3}`, (sums.get(`mod${v % 3}`) ?? 0) + v);
    maxes.set(k, Math.max(maxes.get(k) ?? -1, v));
  }
  return { outputs: { 'count-out': counts, 'sum-out': sums, 'max-out': maxes }, stores: { counts, sums, maxes } };
}

const aggregationOptions: LawOptions = {
  inputs: { events: { keySerde: S, valueSerde: N, records: events } },
  outputs: { 'count-out': { keySerde: S, valueSerde: N }, 'sum-out': { keySerde: S, valueSerde: N }, 'max-out': { keySerde: S, valueSerde: N } },
  stores: ['counts', 'sums', 'maxes'],
};

describe('aggregations: count, reduce, aggregate, with and without a repartition', () => {
  it('obey every law over the driver', async () => {
    await laws.determinism(aggregations, { ...aggregationOptions, numRuns: 8 });
    await laws.partitionIndependence(aggregations, { ...aggregationOptions, numRuns: 12 });
    await laws.batchIndependence(aggregations, { ...aggregationOptions, partitioning: arbPartitioning({ maxPartitions: 3 }), numRuns: 12 });
    await laws.matchesModel(aggregations, aggregationModel, { ...aggregationOptions, partitioning: arbPartitioning(), numRuns: 12 });
  });

  it('obey restart and rebalance equivalence over the broker', async () => {
    await laws.restartEquivalence(aggregations, { ...aggregationOptions, numRuns: 3 });
    await laws.rebalanceEquivalence(aggregations, { ...aggregationOptions, numRuns: 2 });
    await laws.matchesModel(aggregations, aggregationModel, { ...aggregationOptions, mode: 'broker', partitioning: arbPartitioning(), numRuns: 3 });
  });
});

/* ---------------------------------------------------------------- tables */

const REGIONS = ['north', 'south', 'east', 'x'];

/** A source table with filter, mapValues, toStream, and a re-keying groupBy().count() (adder and subtractor), filtered. */
function tables(): Topology {
  const b = new StreamsBuilder();
  const users = b.table('users', Consumed.with(S, S), Materialized.as('users'));
  users
    .filter((_user, region) => region !== 'x')
    .mapValues((region) => region.toUpperCase())
    .toStream()
    .to('users-out', Produced.with(S, S));
  users
    .groupBy((user, region) => ({ key: region, value: user }), Grouped.with(S, S))
    .count(Materialized.as('region-counts'))
    // A region whose users all left keeps a count of 0 (as in Kafka Streams), but only if its updates were not
    // folded together by the cache first: a row of 0 depends on batching. Rows of 0 are dropped for the laws.
    .filter((_region, n) => n > 0)
    .toStream()
    .to('region-out', Produced.with(S, N));
  return b.build();
}

function tablesModel(fed: readonly FedRecord[]): { outputs: { [t: string]: Map<string, unknown> }; stores: { [s: string]: Map<string, unknown> } } {
  const users = new Map<string, string>();
  const regions = new Map<string, number>();
  for (const r of fed) {
    if (r.key === null) continue;
    const user = r.key as string;
    const old = users.get(user);
    if (old !== undefined) regions.set(old, regions.get(old)! - 1);
    if (r.value === null) users.delete(user);
    else {
      users.set(user, r.value as string);
      regions.set(r.value as string, (regions.get(r.value as string) ?? 0) + 1);
    }
  }
  const visible = new Map([...users].filter(([, region]) => region !== 'x').map(([u, region]) => [u, region.toUpperCase()]));
  const nonZero = new Map([...regions].filter(([, n]) => n > 0));
  return { outputs: { 'users-out': visible, 'region-out': nonZero }, stores: { users } };
}

const userUpdates = arbStream({ keys: ['ann', 'bob', 'cy', 'dee', null], values: REGIONS, tombstones: 0.2, maxLength: 20 });
const tableOptions: LawOptions = {
  inputs: { users: { keySerde: S, valueSerde: S, records: userUpdates } },
  outputs: { 'users-out': { keySerde: S, valueSerde: S }, 'region-out': { keySerde: S, valueSerde: N } },
  // Not 'region-counts': it keeps rows of 0 that depend on caching (see tables()).
  stores: ['users'],
};

describe('tables: source table, filter, mapValues, toStream, groupBy().count() with tombstones', () => {
  it('obey every law over the driver', async () => {
    await laws.determinism(tables, { ...tableOptions, numRuns: 8 });
    await laws.partitionIndependence(tables, { ...tableOptions, numRuns: 12 });
    await laws.batchIndependence(tables, { ...tableOptions, numRuns: 12 });
    await laws.matchesModel(tables, tablesModel, { ...tableOptions, numRuns: 15 });
  });

  it('obey restart and rebalance equivalence over the broker', async () => {
    await laws.restartEquivalence(tables, { ...tableOptions, numRuns: 3 });
    await laws.rebalanceEquivalence(tables, { ...tableOptions, numRuns: 2 });
  });
});

/* ---------------------------------------------------------------- windows, late records, suppression */

const WINDOW_MS = 10_000;
const GRACE_MS = 5_000;
const windowSerde = WindowedSerdes.timeWindowedSerdeFrom(S, WINDOW_MS);

/** Tumbling 10 s windows with 5 s grace; the store keeps windows a day so that none expires during a run. */
function windowedCount(): Topology {
  const b = new StreamsBuilder();
  b.stream('clicks', Consumed.with(S, S))
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_MS, GRACE_MS))
    .count(Materialized.as<string, number>('per-window').withRetention(86_400_000))
    .toStream()
    .to('window-out', Produced.with(windowSerde, N));
  return b.build();
}

/** The same count, emitting only final results when a window closes (suppress), as the page-views example. */
function finalWindowedCount(): Topology {
  const b = new StreamsBuilder();
  b.stream('clicks', Consumed.with(S, S))
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_MS, GRACE_MS))
    .count(Materialized.as<string, number>('per-window').withRetention(86_400_000))
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream()
    .to('final-out', Produced.with(windowSerde, N));
  return b.build();
}

/**
 * The windowed count of one partition: a record is dropped when its window closed (end + grace at or before stream
 * time, stream time including the record itself); a window's final count is emitted once stream time reaches its
 * end + grace.
 */
function windowModel(fed: readonly FedRecord[]): { counts: Map<string, number>; finals: ModelRecord[]; keys: Map<string, Windowed<string>> } {
  let streamTimeMs = -1;
  const counts = new Map<string, number>();
  const keys = new Map<string, Windowed<string>>();
  for (const r of fed) {
    streamTimeMs = Math.max(streamTimeMs, r.timestampMs);
    const startMs = r.timestampMs - (r.timestampMs % WINDOW_MS);
    const endMs = startMs + WINDOW_MS;
    if (endMs + GRACE_MS <= streamTimeMs) continue;
    const id = `${String(r.key)}@${startMs}`;
    keys.set(id, { key: r.key as string, window: { startMs, endMs } });
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const finals: ModelRecord[] = [];
  for (const [id, n] of counts) if (keys.get(id)!.window.endMs + GRACE_MS <= streamTimeMs) finals.push({ key: keys.get(id)!, value: n });
  return { counts, finals, keys };
}

/** Windowed keys as the serde returns them: a time window of kind 'time'. */
function windowedKey(k: Windowed<string>): Windowed<string> {
  return { key: k.key, window: { kind: 'time', startMs: k.window.startMs, endMs: k.window.endMs } as Windowed<string>['window'] };
}

function windowedCountModel(fed: readonly FedRecord[]): { outputs: { 'window-out': Map<Windowed<string>, number> }; stores: { 'per-window': Map<Windowed<string>, number> } } {
  const { counts, keys } = windowModel(fed);
  const table = new Map([...counts].map(([id, n]) => [windowedKey(keys.get(id)!), n]));
  return { outputs: { 'window-out': table }, stores: { 'per-window': table } };
}

function finalCountModel(fed: readonly FedRecord[]): { outputs: { 'final-out': ModelRecord[] } } {
  return { outputs: { 'final-out': windowModel(fed).finals.map((r) => ({ key: windowedKey(r.key as Windowed<string>), value: r.value })) } };
}

const PAGES = ['/', '/docs', '/blog'];
/** Clicks a few seconds apart, some out of order within grace, some later than grace. */
const lateClicks = arbStream({ keys: PAGES, values: ['u1', 'u2'], maxLength: 25, maxStepMs: 4_000, outOfOrderMs: GRACE_MS, lateMs: 30_000 });
const orderlyClicks = arbStream({ keys: PAGES, values: ['u1', 'u2'], maxLength: 25, maxStepMs: 4_000, outOfOrderMs: GRACE_MS });
const windowOptions = (records: typeof lateClicks): LawOptions => ({
  inputs: { clicks: { keySerde: S, valueSerde: S, records } },
  outputs: { 'window-out': { keySerde: windowSerde, valueSerde: N } },
  stores: [{ name: 'per-window', kind: 'window' }],
});
const finalOptions = (records: typeof lateClicks): LawOptions => ({
  inputs: { clicks: { keySerde: S, valueSerde: S, records } },
  outputs: { 'final-out': { keySerde: windowSerde, valueSerde: N } },
  stores: [{ name: 'per-window', kind: 'window' }],
  view: 'multiset',
});

describe('windowed count with late records, and final results with suppress', () => {
  it('the count matches its model with late records, and is deterministic and batch independent', async () => {
    await laws.matchesModel(windowedCount, windowedCountModel, { ...windowOptions(lateClicks), numRuns: 20 });
    await laws.determinism(windowedCount, { ...windowOptions(lateClicks), numRuns: 8 });
    await laws.batchIndependence(windowedCount, { ...windowOptions(lateClicks), numRuns: 12 });
  });

  it('the count is partition independent when no record is later than grace (late ones are dropped per task stream time)', async () => {
    await laws.partitionIndependence(windowedCount, { ...windowOptions(orderlyClicks), numRuns: 12 });
  });

  it('suppress emits each closed window once with its final count, batched or not', async () => {
    await laws.matchesModel(finalWindowedCount, finalCountModel, { ...finalOptions(lateClicks), numRuns: 20 });
    await laws.batchIndependence(finalWindowedCount, { ...finalOptions(lateClicks), numRuns: 12 });
  });

  it('windowed counts and suppression survive restarts (broker)', async () => {
    await laws.restartEquivalence(windowedCount, { ...windowOptions(orderlyClicks), numRuns: 3 });
    await laws.restartEquivalence(finalWindowedCount, { ...finalOptions(orderlyClicks), partitioning: fc.constant({ partitions: 1, salt: null }), numRuns: 3 });
  });
});

/* ---------------------------------------------------------------- sliding and session windows */

/** A sliding-window sum and a session count (5 s gap) over the same clicks; stores kept a day. */
function slidingAndSessions(): Topology {
  const b = new StreamsBuilder();
  const clicks = b.stream('clicks', Consumed.with(S, N)).groupByKey(Grouped.with(S, N));
  clicks
    .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(4_000, GRACE_MS))
    .reduce((a, v) => a + v, Materialized.as<string, number>('sliding-sums').withValueSerde(N).withRetention(86_400_000))
    .toStream()
    .to('sliding-out', Produced.with(windowSerde, N));
  clicks
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(5_000, GRACE_MS))
    .count(Materialized.as<string, number>('sessions').withRetention(86_400_000))
    .toStream()
    .to('session-out', Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(S), N));
  return b.build();
}

const numberClicks = (lateMs: number): typeof events =>
  arbStream({ keys: PAGES, values: fc.integer({ min: 1, max: 9 }), maxLength: 20, maxStepMs: 4_000, outOfOrderMs: GRACE_MS, lateMs });
const slidingSessionOptions = (lateMs: number): LawOptions => ({
  inputs: { clicks: { keySerde: S, valueSerde: N, records: numberClicks(lateMs) } },
  // Sliding windows are keyed by [start, end]; the time-windowed serde keeps only the start: read the stores instead.
  outputs: {},
  stores: [
    { name: 'sliding-sums', kind: 'window' },
    { name: 'sessions', kind: 'session' },
  ],
});

describe('sliding and session windows', () => {
  it('are deterministic and batch independent with late records, partition independent without (driver)', async () => {
    await laws.determinism(slidingAndSessions, { ...slidingSessionOptions(30_000), numRuns: 8 });
    await laws.batchIndependence(slidingAndSessions, { ...slidingSessionOptions(30_000), numRuns: 12 });
    await laws.partitionIndependence(slidingAndSessions, { ...slidingSessionOptions(0), numRuns: 12 });
  });

  it('survive restarts and rebalances (broker)', async () => {
    await laws.restartEquivalence(slidingAndSessions, { ...slidingSessionOptions(0), numRuns: 3 });
    await laws.rebalanceEquivalence(slidingAndSessions, { ...slidingSessionOptions(0), numRuns: 2 });
  });
});

/* ---------------------------------------------------------------- joins */

/** orders (customer -> amount) joined and left-joined with the customers table (customer -> name). */
function streamTableJoins(): Topology {
  const b = new StreamsBuilder();
  const customers = b.table('customers', Consumed.with(S, S), Materialized.as('customers'));
  const orders = b.stream('orders', Consumed.with(S, N));
  orders.join(customers, (amount, name) => `${name}:${amount}`, Joined.with(S, N, S)).to('joined-orders', Produced.with(S, S));
  orders.leftJoin(customers, (amount, name) => `${name ?? '?'}:${amount}`, Joined.with(S, N, S)).to('all-orders', Produced.with(S, S));
  return b.build();
}

function streamTableModel(fed: readonly FedRecord[]): { outputs: { [t: string]: ModelRecord[] } } {
  const names = new Map<string, string>();
  const joined: ModelRecord[] = [];
  const all: ModelRecord[] = [];
  for (const r of fed) {
    if (r.key === null) continue;
    const k = r.key as string;
    if (r.topic === 'customers') {
      if (r.value === null) names.delete(k);
      else names.set(k, r.value as string);
    } else if (r.value !== null) {
      const name = names.get(k);
      if (name !== undefined) joined.push({ key: k, value: `${name}:${String(r.value)}` });
      all.push({ key: k, value: `${name ?? '?'}:${String(r.value)}` });
    }
  }
  return { outputs: { 'joined-orders': joined, 'all-orders': all } };
}

const CUSTOMERS = ['c1', 'c2', 'c3'];
const streamTableOptions = (customers: typeof customerUpdates, orders: typeof customerOrders): LawOptions => ({
  inputs: {
    customers: { keySerde: S, valueSerde: S, records: customers },
    orders: { keySerde: S, valueSerde: N, records: orders },
  },
  outputs: { 'joined-orders': { keySerde: S, valueSerde: S }, 'all-orders': { keySerde: S, valueSerde: S } },
  stores: ['customers'],
  view: 'multiset',
});
const customerUpdates = arbStream({ keys: CUSTOMERS, values: ['ann', 'bob'], tombstones: 0.2, maxLength: 8, maxStepMs: 2_000 });
const customerOrders = arbStream({ keys: CUSTOMERS, values: fc.integer({ min: 1, max: 9 }), maxLength: 12, maxStepMs: 2_000, outOfOrderMs: 1_000 });
const orderedOrders = arbStream({ keys: CUSTOMERS, values: fc.integer({ min: 1, max: 9 }), maxLength: 12, maxStepMs: 2_000 });
/** Every customer update before the first order: what reaches the broker's tasks in any poll is then in feed order. */
const earlyCustomers = arbStream({ keys: CUSTOMERS, values: ['ann', 'bob'], tombstones: 0.2, maxLength: 6, maxStepMs: 100 });
const laterOrders = arbStream({ keys: CUSTOMERS, values: fc.integer({ min: 1, max: 9 }), maxLength: 10, startMs: 10_000 });

/**
 * a (key -> string) joined, left-joined and outer-joined with b as tables. The source tables do not cache: with
 * caching, a key deleted on both sides within one commit leaves its inner-join row in place (each side's deletion
 * finds the other side already gone and forwards nothing, as Kafka Streams' KTableKTableInnerJoin does), which
 * batchIndependence reports (shrunk: left c=1, right c=1, right c=null, left c=null in one batch). Reported.
 */
function tableTableJoins(): Topology {
  const b = new StreamsBuilder();
  const left = b.table('left', Consumed.with(S, S), Materialized.as<string, string>('left').withCachingDisabled());
  const right = b.table('right', Consumed.with(S, S), Materialized.as<string, string>('right').withCachingDisabled());
  left.join(right, (l, r) => `${l}&${r}`).toStream().to('inner-out', Produced.with(S, S));
  left.leftJoin(right, (l, r) => `${l}&${r ?? '-'}`).toStream().to('left-out', Produced.with(S, S));
  left.outerJoin(right, (l, r) => `${l ?? '-'}&${r ?? '-'}`).toStream().to('outer-out', Produced.with(S, S));
  return b.build();
}

function finalTableOf(fed: readonly FedRecord[], topic: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of fed) {
    if (r.topic !== topic || r.key === null) continue;
    if (r.value === null) m.delete(r.key as string);
    else m.set(r.key as string, r.value as string);
  }
  return m;
}

function tableTableModel(fed: readonly FedRecord[]): { outputs: { [t: string]: Map<string, string> } } {
  const l = finalTableOf(fed, 'left');
  const r = finalTableOf(fed, 'right');
  const inner = new Map<string, string>();
  const leftJoin = new Map<string, string>();
  const outer = new Map<string, string>();
  for (const k of new Set([...l.keys(), ...r.keys()])) {
    const lv = l.get(k);
    const rv = r.get(k);
    if (lv !== undefined && rv !== undefined) inner.set(k, `${lv}&${rv}`);
    if (lv !== undefined) leftJoin.set(k, `${lv}&${rv ?? '-'}`);
    outer.set(k, `${lv ?? '-'}&${rv ?? '-'}`);
  }
  return { outputs: { 'inner-out': inner, 'left-out': leftJoin, 'outer-out': outer } };
}

const tableSide = arbStream({ keys: ['a', 'b', 'c', 'd'], values: ['1', '2', '3'], tombstones: 0.25, maxLength: 10 });
const tableTableOptions: LawOptions = {
  inputs: { left: { keySerde: S, valueSerde: S, records: tableSide }, right: { keySerde: S, valueSerde: S, records: tableSide } },
  outputs: { 'inner-out': { keySerde: S, valueSerde: S }, 'left-out': { keySerde: S, valueSerde: S }, 'outer-out': { keySerde: S, valueSerde: S } },
  stores: ['left', 'right'],
};

const JOIN_MS = 3_000;
const JOIN_GRACE_MS = 2_000;

/** Views and purchases of a user joined within 3 s of each other (2 s grace). */
function streamStreamJoin(): Topology {
  const b = new StreamsBuilder();
  const views = b.stream('views', Consumed.with(S, S));
  const buys = b.stream('buys', Consumed.with(S, S));
  views
    .join(buys, (v, p) => `${v}>${p}`, JoinWindows.ofTimeDifferenceAndGrace(JOIN_MS, JOIN_GRACE_MS), StreamJoined.with(S, S, S))
    .to('view-buys', Produced.with(S, S));
  return b.build();
}

/** Every pair of a view and a purchase of one user at most 3 s apart (no record here is later than grace). */
function streamStreamModel(fed: readonly FedRecord[]): { outputs: { 'view-buys': ModelRecord[] } } {
  const out: ModelRecord[] = [];
  for (const v of fed) {
    if (v.topic !== 'views' || v.key === null) continue;
    for (const p of fed) {
      if (p.topic === 'buys' && p.key === v.key && Math.abs(p.timestampMs - v.timestampMs) <= JOIN_MS) out.push({ key: v.key, value: `${String(v.value)}>${String(p.value)}` });
    }
  }
  return { outputs: { 'view-buys': out } };
}

const clickSide = (values: readonly string[]): typeof lateClicks =>
  arbStream({ keys: ['u1', 'u2'], values, maxLength: 10, maxStepMs: 2_000, outOfOrderMs: JOIN_GRACE_MS / 2 });
const streamStreamOptions: LawOptions = {
  inputs: { views: { keySerde: S, valueSerde: S, records: clickSide(['home', 'shoe']) }, buys: { keySerde: S, valueSerde: S, records: clickSide(['shoe', 'hat']) } },
  outputs: { 'view-buys': { keySerde: S, valueSerde: S } },
  view: 'multiset',
};

/** Foreign-key join: order lines (orderId -> "productId:qty") with products (productId -> name). */
function foreignKeyJoin(): Topology {
  const b = new StreamsBuilder();
  const lines = b.table('order-lines', Consumed.with(S, S), Materialized.as('order-lines'));
  const products = b.table('products', Consumed.with(S, S), Materialized.as('products'));
  lines
    .join(products, (line) => line.split(':')[0]!, (line, name) => `${line.split(':')[1]!}x${name}`)
    .toStream()
    .to('fk-out', Produced.with(S, S));
  return b.build();
}

function foreignKeyModel(fed: readonly FedRecord[]): { outputs: { 'fk-out': Map<string, string> } } {
  const lines = finalTableOf(fed, 'order-lines');
  const products = finalTableOf(fed, 'products');
  const out = new Map<string, string>();
  for (const [id, line] of lines) {
    const [pid, qty] = line.split(':');
    const name = products.get(pid!);
    if (name !== undefined) out.set(id, `${qty!}x${name}`);
  }
  return { outputs: { 'fk-out': out } };
}

/**
 * With `lineTombstones`, order lines are deleted too. Only record at a time: a line deleted and inserted again with
 * a product that does not exist, both before the deletion's answer comes back, keeps its old result (the answer is
 * dropped as stale, the new line is answered only if its product exists, as in Kafka Streams'
 * SubscriptionSendProcessorSupplier / ResponseJoinProcessorSupplier). batchIndependence shrinks it to: o3=p1:1,
 * p1=Hat, then o3=null and o3=p2:2 in one batch. Reported.
 */
const fkOptions = (lineTombstones: number): LawOptions => ({
  inputs: {
    'order-lines': { keySerde: S, valueSerde: S, records: arbStream({ keys: ['o1', 'o2', 'o3'], values: ['p1:1', 'p2:2', 'p3:1', 'p1:5'], tombstones: lineTombstones, maxLength: 10 }) },
    products: { keySerde: S, valueSerde: S, records: arbStream({ keys: ['p1', 'p2', 'p3'], values: ['Hat', 'Shoe'], tombstones: 0.2, maxLength: 8 }) },
  },
  outputs: { 'fk-out': { keySerde: S, valueSerde: S } },
  // The subscription topics are partitioned by the runtime (Kafka's partitioner).
  partitioning: arbPartitioning({ spread: false }),
});

describe('joins', () => {
  it('stream-table join and left join: every law over the driver', async () => {
    const options = streamTableOptions(customerUpdates, customerOrders);
    await laws.matchesModel(streamTableJoins, streamTableModel, { ...options, partitioning: arbPartitioning(), numRuns: 20 });
    await laws.determinism(streamTableJoins, { ...options, numRuns: 6 });
    // Partition independence needs each topic in event-time order (see the guide: joins of out-of-order topics).
    await laws.partitionIndependence(streamTableJoins, { ...streamTableOptions(customerUpdates, orderedOrders), numRuns: 10 });
    await laws.batchIndependence(streamTableJoins, { ...options, partitioning: arbPartitioning({ maxPartitions: 3 }), numRuns: 12 });
  });

  it('stream-table join over the broker: the model, restarts and rebalances (table updates before orders)', async () => {
    const options = streamTableOptions(earlyCustomers, laterOrders);
    await laws.matchesModel(streamTableJoins, streamTableModel, { ...options, mode: 'broker', partitioning: arbPartitioning({ spread: false }), numRuns: 3 });
    await laws.restartEquivalence(streamTableJoins, { ...options, numRuns: 3 });
    await laws.rebalanceEquivalence(streamTableJoins, { ...options, numRuns: 2 });
  });

  it('table-table joins (inner, left, outer) end as the join of the final tables', async () => {
    await laws.matchesModel(tableTableJoins, tableTableModel, { ...tableTableOptions, partitioning: arbPartitioning(), numRuns: 20 });
    await laws.partitionIndependence(tableTableJoins, { ...tableTableOptions, numRuns: 10 });
    await laws.batchIndependence(tableTableJoins, { ...tableTableOptions, numRuns: 12 });
    await laws.restartEquivalence(tableTableJoins, { ...tableTableOptions, numRuns: 3 });
    await laws.rebalanceEquivalence(tableTableJoins, { ...tableTableOptions, numRuns: 2 });
  });

  it('foreign-key join ends as the join of the final tables, over any partitioning; batches and restarts without deleted lines', async () => {
    await laws.matchesModel(foreignKeyJoin, foreignKeyModel, { ...fkOptions(0.2), numRuns: 20 });
    await laws.partitionIndependence(foreignKeyJoin, { ...fkOptions(0.2), numRuns: 10 });
    // Without deleted order lines (see fkOptions): the broker answers asynchronously, as batches do.
    await laws.batchIndependence(foreignKeyJoin, { ...fkOptions(0), numRuns: 10 });
    await laws.restartEquivalence(foreignKeyJoin, { ...fkOptions(0), numRuns: 3 });
    await laws.rebalanceEquivalence(foreignKeyJoin, { ...fkOptions(0), numRuns: 2 });
  });

  it('stream-stream join within a window: every pair once, whatever the partitioning or batching (driver)', async () => {
    await laws.matchesModel(streamStreamJoin, streamStreamModel, { ...streamStreamOptions, partitioning: arbPartitioning(), numRuns: 20 });
    await laws.determinism(streamStreamJoin, { ...streamStreamOptions, numRuns: 6 });
    await laws.batchIndependence(streamStreamJoin, { ...streamStreamOptions, numRuns: 12 });
  });
});

/* ---------------------------------------------------------------- the examples' topologies */

// The examples are scripts (they run when imported), so their topologies are rebuilt here as they are written there:
// examples/word-count.ts, examples/page-views-per-minute.ts and examples/orders-enrichment.ts.

/** examples/word-count.ts: default serdes String/String, counts written with the count's own Long serde. */
function exampleWordCount(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('text-lines')
    .flatMapValues((line) => line.split(/\W+/).filter(Boolean).map((word) => word.toLowerCase()))
    .groupBy((_key, word) => word)
    .count(Materialized.as('counts'))
    .toStream()
    .to('word-counts');
  return builder.build();
}

function exampleWordCountModel(fed: readonly FedRecord[]): { outputs: { 'word-counts': Map<string, bigint> }; stores: { counts: Map<string, number> } } {
  const counts = new Map<string, number>();
  for (const r of fed) for (const w of String(r.value).split(/\W+/).filter(Boolean).map((x) => x.toLowerCase())) counts.set(w, (counts.get(w) ?? 0) + 1);
  return { outputs: { 'word-counts': new Map([...counts].map(([w, n]) => [w, BigInt(n)])) }, stores: { counts } };
}

const EXAMPLE_MINUTE_MS = 60_000;
const EXAMPLE_GRACE_MS = 10_000;

/** examples/page-views-per-minute.ts: a per-minute count with 10 s grace, final results only. */
function examplePageViews(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream('page-views', Consumed.with(S, S))
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(EXAMPLE_MINUTE_MS, EXAMPLE_GRACE_MS))
    .count(Materialized.as<string, number>('page-views-per-minute').withRetention(60 * EXAMPLE_MINUTE_MS))
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream()
    .to('page-views-per-minute-final');
  return builder.build();
}

type Json = { readonly [k: string]: unknown };
const J = Serdes.Json<Json>();

/** examples/orders-enrichment.ts: orders re-keyed by customer, left-joined with a table, joined with a global table, then with payments. */
function exampleOrdersEnrichment(): Topology {
  const builder = new StreamsBuilder();
  const customers = builder.table('customers', Consumed.with(S, J));
  const products = builder.globalTable('products', Consumed.with(S, J));
  const enriched = builder
    .stream('orders', Consumed.with(S, J))
    .mapValues((order, id): Json => ({ ...order, orderId: id }))
    .selectKey((_orderId, order) => order['customerId'] as string)
    .leftJoin(customers, (order, customer): { order: Json; customer: Json | null } => ({ order, customer }), Joined.with(S, J, J))
    .join(
      products,
      (_customerId, { order }) => order['sku'] as string,
      ({ order, customer }, product): Json => ({
        orderId: order['orderId'],
        customerName: customer?.['name'] ?? null,
        productTitle: product['title'],
        totalCents: (order['qty'] as number) * (product['priceCents'] as number),
      }),
    )
    .selectKey((_customerId, order) => order['orderId'] as string);
  enriched.to('orders-enriched', Produced.with(S, J));
  builder
    .stream('payments', Consumed.with(S, J))
    .join(enriched, (payment, order): Json => ({ ...order, amountCents: payment['amountCents'] }), JoinWindows.ofTimeDifferenceWithNoGrace(600_000), StreamJoined.with(S, J, J).withName('paid'))
    .to('orders-paid', Produced.with(S, J));
  return builder.build();
}

const ORDER_IDS = ['o1', 'o2', 'o3', 'o4'];
const ordersOptions: LawOptions = {
  inputs: {
    customers: { keySerde: S, valueSerde: J, records: arbStream({ keys: ['c1', 'c2'], values: [{ name: 'Ann' }, { name: 'Bob' }], maxLength: 4, maxStepMs: 100 }) },
    products: { keySerde: S, valueSerde: J, records: arbStream({ keys: ['s1', 's2'], values: [{ title: 'Hat', priceCents: 500 }, { title: 'Shoe', priceCents: 900 }], minLength: 2, maxLength: 4, maxStepMs: 100 }) },
    orders: {
      keySerde: S,
      valueSerde: J,
      records: arbStream({ keys: ORDER_IDS, values: fc.record({ customerId: fc.constantFrom('c1', 'c2', 'c3'), sku: fc.constantFrom('s1', 's2', 's3'), qty: fc.integer({ min: 1, max: 3 }) }), minLength: 3, maxLength: 8, startMs: 1_000 }),
    },
    payments: { keySerde: S, valueSerde: J, records: arbStream({ keys: ORDER_IDS, values: fc.record({ amountCents: fc.constantFrom(500, 900) }), maxLength: 6, startMs: 1_500 }) },
  },
  outputs: { 'orders-enriched': { keySerde: S, valueSerde: J }, 'orders-paid': { keySerde: S, valueSerde: J } },
  // Orders are re-keyed and repartitioned by the runtime (Kafka's partitioner), then joined with the customers
  // topic: that topic must be partitioned the same way.
  partitioning: arbPartitioning({ spread: false }),
  view: 'multiset',
};

describe("the examples' topologies", () => {
  const lines = arbStream({ keys: [null], values: fc.array(fc.constantFrom('Rain,', 'snow', 'İce', 'rain'), { maxLength: 4 }).map((w) => w.join(' ')), maxLength: 12 });
  const wordCountExample: LawOptions = {
    inputs: { 'text-lines': { keySerde: S, valueSerde: S, records: lines } },
    outputs: { 'word-counts': { keySerde: S, valueSerde: Serdes.BigInt() } },
    stores: ['counts'],
    config: { defaultKeySerde: S, defaultValueSerde: S },
  };

  it('word count: its model, partitions, batches, restarts', async () => {
    await laws.matchesModel(exampleWordCount, exampleWordCountModel, { ...wordCountExample, partitioning: arbPartitioning(), numRuns: 15 });
    await laws.batchIndependence(exampleWordCount, { ...wordCountExample, numRuns: 10 });
    await laws.restartEquivalence(exampleWordCount, { ...wordCountExample, numRuns: 2 });
  });

  it('page views per minute: deterministic, batch independent, survives restarts (one partition, late views included)', async () => {
    const windowed = WindowedSerdes.timeWindowedSerdeFrom(S, EXAMPLE_MINUTE_MS);
    const views: LawOptions = {
      inputs: { 'page-views': { keySerde: S, valueSerde: S, records: arbStream({ keys: ['/', '/docs'], values: ['u1'], maxLength: 20, maxStepMs: 20_000, outOfOrderMs: 5_000, lateMs: 60_000 }) } },
      outputs: { 'page-views-per-minute-final': { keySerde: windowed, valueSerde: Serdes.BigInt() } },
      stores: [{ name: 'page-views-per-minute', kind: 'window' }],
      view: 'multiset',
    };
    await laws.determinism(examplePageViews, { ...views, numRuns: 6 });
    await laws.batchIndependence(examplePageViews, { ...views, numRuns: 10 });
    await laws.restartEquivalence(examplePageViews, { ...views, partitioning: fc.constant({ partitions: 1, salt: null }), numRuns: 2 });
  });

  it('orders enrichment: deterministic and independent of partitioning (driver)', async () => {
    await laws.determinism(exampleOrdersEnrichment, { ...ordersOptions, view: 'sequence', numRuns: 6 });
    await laws.partitionIndependence(exampleOrdersEnrichment, { ...ordersOptions, numRuns: 10 });
  });
});
