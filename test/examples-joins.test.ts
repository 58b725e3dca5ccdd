import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const WINDOW_MS = 10 * 60_000;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-examples-joins-test-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the example as `npm run example:joins -- ...args` does (asynchronously, so independent runs overlap). */
function ordersEnrichment(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/orders-enrichment.ts', ...args], { cwd: root, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface Customer {
  readonly name: string;
  readonly tier: string;
}
interface Product {
  readonly title: string;
  readonly priceCents: number;
}
interface Order {
  readonly customerId: string;
  readonly sku: string;
  readonly qty: number;
}
interface Payment {
  readonly amountCents: number;
}
type DataRecord =
  | { readonly topic: 'customers'; readonly key: string; readonly value: Customer; readonly timestampMs: number }
  | { readonly topic: 'products'; readonly key: string; readonly value: Product; readonly timestampMs: number }
  | { readonly topic: 'orders'; readonly key: string; readonly value: Order; readonly timestampMs: number }
  | { readonly topic: 'payments'; readonly key: string; readonly value: Payment; readonly timestampMs: number };

/** The records the example generates for a seed, in produce order (its `--print-data`). */
async function dataOf(seed: number): Promise<DataRecord[]> {
  const r = await ordersEnrichment(['--print-data', '--seed', String(seed)]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DataRecord);
}

interface Enriched {
  readonly orderId: string;
  readonly customer: Customer | null;
  readonly product: Product;
  readonly qty: number;
  readonly timestampMs: number;
}

interface Reference {
  readonly stdout: string;
  readonly enriched: readonly Enriched[];
  /** Orders without a customer row (left join: null). */
  readonly withoutCustomer: number;
  /** Payments that joined an order with a later timestamp. */
  readonly paidBeforeOrder: number;
  /** Payments of an enriched order that is more than 10 minutes away. */
  readonly outsideWindow: number;
}

const money = (cents: number): string => (cents / 100).toFixed(2);
const byKey = <T extends { readonly orderId: string }>(a: T, b: T): number => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0);

/**
 * The documented join rules, applied independently to the data: every table row precedes the orders, so each order
 * sees the whole customers table (left join: null without a row) and the whole products table (inner join: dropped
 * without a row); a payment joins each enriched order with its key whose timestamp is at most 10 minutes away, with
 * timestamp max(payment, order). No record arrives after its window closed (checked by the test), so processing order
 * does not matter.
 */
function reference(data: readonly DataRecord[]): Reference {
  const customers = new Map<string, Customer>();
  const products = new Map<string, Product>();
  for (const r of data) {
    if (r.topic === 'customers') customers.set(r.key, r.value);
    else if (r.topic === 'products') products.set(r.key, r.value);
  }
  const enriched: Enriched[] = [];
  let orders = 0;
  for (const r of data) {
    if (r.topic !== 'orders') continue;
    orders++;
    const product = products.get(r.value.sku);
    if (product === undefined) continue;
    enriched.push({ orderId: r.key, customer: customers.get(r.value.customerId) ?? null, product, qty: r.value.qty, timestampMs: r.timestampMs });
  }
  enriched.sort(byKey);
  const paid: { orderId: string; e: Enriched; amountCents: number; atMs: number }[] = [];
  let payments = 0;
  let paidBeforeOrder = 0;
  let outsideWindow = 0;
  for (const r of data) {
    if (r.topic !== 'payments') continue;
    payments++;
    for (const e of enriched) {
      if (e.orderId !== r.key) continue;
      if (Math.abs(r.timestampMs - e.timestampMs) > WINDOW_MS) {
        outsideWindow++;
        continue;
      }
      if (r.timestampMs < e.timestampMs) paidBeforeOrder++;
      paid.push({ orderId: r.key, e, amountCents: r.value.amountCents, atMs: Math.max(r.timestampMs, e.timestampMs) });
    }
  }
  paid.sort(byKey);
  const total = (e: Enriched): number => e.qty * e.product.priceCents;
  let stdout = 'order\tcustomer\ttier\tproduct\tqty\ttotal\n';
  for (const e of enriched) stdout += `${e.orderId}\t${e.customer?.name ?? 'null'}\t${e.customer?.tier ?? 'null'}\t${e.product.title}\t${e.qty}\t${money(total(e))}\n`;
  stdout += 'paid order\tcustomer\ttotal\tpaid\tjoined at\n';
  for (const p of paid) stdout += `${p.orderId}\t${p.e.customer?.name ?? 'null'}\t${money(total(p.e))}\t${money(p.amountCents)}\t${new Date(p.atMs).toISOString()}\n`;
  stdout +=
    `${orders} orders in, ${enriched.length} enriched (${orders - enriched.length} dropped: sku not in products), ` +
    `${paid.length} paid, ${payments - paid.length} payments unmatched (of ${payments}: no enriched order within 10 min)\n`;
  return { stdout, enriched, withoutCustomer: enriched.filter((e) => e.customer === null).length, paidBeforeOrder, outsideWindow };
}

/**
 * What makes the reference independent of how the tasks interleave: customers precede every order, and every record
 * that could join (an order and a payment at most 10 min apart) is within 10 min of the latest order or payment, so
 * whatever stream time its join task reached, its window had not closed when it arrived.
 */
function expectOrderIndependent(data: readonly DataRecord[]): void {
  const orders = data.filter((r) => r.topic === 'orders');
  const payments = data.filter((r) => r.topic === 'payments');
  const firstOrderMs = Math.min(...orders.map((r) => r.timestampMs));
  for (const c of data.filter((r) => r.topic === 'customers')) expect(c.timestampMs).toBeLessThan(firstOrderMs);
  const maxMs = Math.max(...orders.map((r) => r.timestampMs), ...payments.map((r) => r.timestampMs));
  for (const p of payments) {
    for (const o of orders) {
      if (o.key !== p.key || Math.abs(o.timestampMs - p.timestampMs) > WINDOW_MS) continue;
      expect(o.timestampMs + WINDOW_MS).toBeGreaterThanOrEqual(maxMs);
      expect(p.timestampMs + WINDOW_MS).toBeGreaterThanOrEqual(maxMs);
    }
  }
}

describe('examples/orders-enrichment.ts', () => {
  it('prints the enriched and paid orders the documented join rules give, for two seeds', async () => {
    const [data1, data7] = await Promise.all([dataOf(1), dataOf(7)]);
    expect(data7).not.toEqual(data1);
    const [run1, run7] = await Promise.all([
      ordersEnrichment(['--data-dir', path.join(dir, 'seed-1')]),
      ordersEnrichment(['--data-dir', path.join(dir, 'seed-7'), '--seed', '7']),
    ]);
    for (const [data, run] of [
      [data1, run1],
      [data7, run7],
    ] as const) {
      expectOrderIndependent(data);
      const ref = reference(data);
      // The data really has the cases the example is about.
      expect(ref.withoutCustomer).toBe(1);
      expect(ref.enriched.length).toBe(data.filter((r) => r.topic === 'orders').length - 1);
      expect(ref.paidBeforeOrder).toBe(1);
      expect(ref.outsideWindow).toBe(1);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe(ref.stdout);
    }
    // The missing customer shows as null and the out-of-window payment leaves its order unpaid.
    expect(run1.stdout).toMatch(/^order-05\tnull\tnull\t/m);
    expect(run1.stdout).toMatch(/^order-01\t/m);
    expect(run1.stdout).not.toMatch(/^order-01\t.*\t20\d\d-/m);
    expect(run1.stdout).not.toMatch(/^order-12\t/m);
    expect(run1.stdout).toMatch(/^16 orders in, 15 enriched \(1 dropped: sku not in products\), 13 paid, 2 payments unmatched \(of 15: /m);
  });

  it('refuses bad arguments with exit code 2, and a data directory that holds an earlier run', async () => {
    // seed-1 holds the first test's run.
    const [bad, again] = await Promise.all([ordersEnrichment(['--seed', 'x']), ordersEnrichment(['--data-dir', path.join(dir, 'seed-1')])]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--seed');
    expect(bad.stdout).toBe('');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already holds a run');
  });

  it('describes its topology: two repartition topics, a stream-table join, a store-less global join, a windowed join', async () => {
    const r = await ordersEnrichment(['--describe']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Topologies:\n/);
    // selectKey before each join: the orders by customer id, the enriched orders by order id again.
    const repartitionTopics = new Set(r.stdout.match(/KSTREAM-KEY-SELECT-\d+-repartition/g));
    expect(repartitionTopics.size).toBe(2);
    expect(r.stdout).toMatch(/Processor: KSTREAM-LEFTJOIN-\d+ \(stores: \[customers-STATE-STORE-\d+\]\)/);
    // The global table's store is not a task's store: the global join lists none.
    expect(r.stdout).toMatch(/Processor: KSTREAM-JOIN-\d+ \(stores: \[\]\)/);
    expect(r.stdout).toMatch(/Sub-topology: \d+ for global store \(will not generate tasks\)\n\s+Source: KSTREAM-SOURCE-\d+ \(topics: \[products\]\)/);
    expect(r.stdout).toMatch(/Processor: KSTREAM-JOINTHIS-\d+ \(stores: \[KSTREAM-JOINOTHER-\d+-store\]\)/);
    expect(r.stdout).toMatch(/Processor: KSTREAM-JOINOTHER-\d+ \(stores: \[KSTREAM-JOINTHIS-\d+-store\]\)/);
  });
});
