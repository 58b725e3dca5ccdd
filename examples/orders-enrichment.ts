/**
 * Orders enrichment: a stream-table left join, a stream-globaltable join and a windowed stream-stream join, on the
 * embedded broker with zero set-up:
 *
 *   npm run example:joins -- [--data-dir DIR] [--seed S]
 *
 * 1. Opens the included broker under DIR/log (default: a temporary folder, removed at the end). DIR must not hold an
 *    earlier run. Generates the data (below) and produces it, each record with its event time as its timestamp:
 *    `customers` (3 partitions, keyed by customer id), `products` (1 partition, keyed by sku), `orders` (3 partitions,
 *    keyed by order id) and `payments` (3 partitions, keyed by order id).
 * 2. Runs the topology (`--describe` prints it):
 *
 *      customers = table('customers')                                  // KTable: the latest row per customer id
 *      products  = globalTable('products')                             // GlobalKTable: every partition, on every instance
 *      enriched  = stream('orders')
 *        .mapValues((order, orderId) => ({ ...order, orderId }))       // keep the order id: the key is about to change
 *        .selectKey((_, order) => order.customerId)                    // -> a repartition topic, inserted automatically
 *        .leftJoin(customers, ...)                                     // a missing customer gives null
 *        .join(products, (_, order) => order.sku, ...)                 // an unknown sku drops the order
 *        .selectKey((_, order) => order.orderId)
 *      enriched.to('orders-enriched')
 *      stream('payments')
 *        .join(enriched, ..., JoinWindows.ofTimeDifferenceWithNoGrace(10 min))   // -> enriched is repartitioned again
 *        .to('orders-paid')
 *
 * 3. Waits until the group has committed every offset of every topic it reads (input and repartition topics;
 *    outputs are written before the offsets they follow), then prints one line per enriched order, sorted by order id,
 *    as `order<TAB>customer name|null<TAB>tier|null<TAB>product<TAB>qty<TAB>total`; then one line per paid order as
 *    `order<TAB>customer<TAB>total<TAB>paid<TAB>joined at` (ISO time, UTC); then a summary. A result printed twice
 *    exits with 1.
 *
 * The rules (Kafka Streams' current ones):
 * - Stream-table join: only the stream side triggers; each order is joined with the customer row as the table is when
 *   the order is processed. A left join gives `null` when there is no row; table updates never emit. The table and the
 *   stream must be co-partitioned: the order stream's key changed (`selectKey`), so it is written through
 *   `<applicationId>-<node>-repartition`, partitioned by customer id like `customers`.
 * - Stream-globaltable join: the lookup key is computed from each order (its sku); the global table holds every
 *   partition of `products` and is restored in full before any task processes a record, so it needs no
 *   co-partitioning (1 partition against 3) and no repartition. This example uses the inner join: an order whose sku
 *   is not in the catalogue cannot be priced, so it is dropped (and counted in the summary) rather than carried with
 *   a null product.
 * - Stream-stream join: a payment at t joins every enriched order with the same order id and a timestamp in
 *   [t - 10 min, t + 10 min] (symmetric: a payment may precede its order), whichever side arrives first; the result
 *   has timestamp max(payment, order). No grace: a record whose window closed (t + 10 min < its task's stream time)
 *   when it arrives is dropped.
 *
 * The data (deterministic for a seed, mulberry32): 5 customers (cust-1..cust-5, all timestamped a day before the
 * orders, so they are processed first: a task picks the record with the smallest timestamp across its partitions),
 * 5 products (sku-1..sku-5), 16 orders from 5 customers and 5 products with quantities 1-4. The cases:
 * - order-05 is from cust-6, who has no row: its customer is null;
 * - order-12 asks for sku-404, which is not in the catalogue: dropped by the products join, so its payment is unmatched;
 * - order-14 has no payment;
 * - order-10 is paid 2 minutes before its order's timestamp: within the window, it joins;
 * - order-01 (09:00:00) is paid at 09:11:30, 11.5 minutes later: outside the window, no result;
 * - every other order (09:02 to about 09:07) is paid 20 s to 4 min after it.
 * All orders and payments except order-01 lie within 10 minutes of the latest timestamp (09:11:30), so none of them
 * can ever arrive after its window closed: the results do not depend on how the tasks' work interleaves.
 * `--print-data` prints the records as JSON lines instead of running anything.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  Broker,
  Consumed,
  JoinWindows,
  Joined,
  KafkaStreams,
  Produced,
  Serdes,
  StreamJoined,
  StreamsBuilder,
  inProcessClients,
  silentLogger,
  type Clients,
  type ProducerRecord,
  type Topology,
  type TopicPartition,
} from '../src/index.js';
import { Failure, fail, prng, runMain, sleep } from './lib/cli.js';
import { readToEnd } from './lib/read-to-end.js';

const APPLICATION_ID = 'orders-enrichment';
const CUSTOMERS = 'customers';
const PRODUCTS = 'products';
const ORDERS = 'orders';
const PAYMENTS = 'payments';
const ENRICHED = 'orders-enriched';
const PAID = 'orders-paid';
/** Partitions per topic: `products` deliberately differs, a global table needs no co-partitioning. */
const PARTITIONS: Readonly<Record<string, number>> = { [CUSTOMERS]: 3, [PRODUCTS]: 1, [ORDERS]: 3, [PAYMENTS]: 3, [ENRICHED]: 3, [PAID]: 3 };
const JOIN_WINDOW_MS = 10 * 60_000;
const START_MS = Date.UTC(2024, 4, 1, 9, 0, 0);
const ORDER_COUNT = 16;
const MISSING_CUSTOMER_ORDER = 5;
const UNKNOWN_SKU_ORDER = 12;
const UNPAID_ORDER = 14;
const EARLY_PAYMENT_ORDER = 10;
const LATE_PAYMENT_ORDER = 1;
const WAIT_STEP_MS = 20;

const USAGE = `usage: npm run example:joins -- [--data-dir DIR] [--seed S]
       npm run example:joins -- --describe      (print the topology's describe() and exit)
       npm run example:joins -- --print-data    (print the generated records as JSON lines and exit)
`;

type Customer = { readonly name: string; readonly tier: 'gold' | 'silver' | 'bronze' };
type Product = { readonly title: string; readonly priceCents: number };
type Order = { readonly customerId: string; readonly sku: string; readonly qty: number };
type Payment = { readonly amountCents: number };
/** An order with its customer (null: no row) and product, keyed by order id again on its way out. */
interface EnrichedOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly customerName: string | null;
  readonly tier: string | null;
  readonly productTitle: string;
  readonly qty: number;
  readonly totalCents: number;
}
type PaidOrder = { readonly orderId: string; readonly customerName: string | null; readonly totalCents: number; readonly amountCents: number };

/** One input record, as `--print-data` prints it. */
type DataRecord =
  | { readonly topic: typeof CUSTOMERS; readonly key: string; readonly value: Customer; readonly timestampMs: number }
  | { readonly topic: typeof PRODUCTS; readonly key: string; readonly value: Product; readonly timestampMs: number }
  | { readonly topic: typeof ORDERS; readonly key: string; readonly value: Order; readonly timestampMs: number }
  | { readonly topic: typeof PAYMENTS; readonly key: string; readonly value: Payment; readonly timestampMs: number };

interface Options {
  readonly dataDir: string | undefined;
  readonly seed: number;
  readonly help: boolean;
  readonly describe: boolean;
  readonly printData: boolean;
}

function options(argv: readonly string[]): Options {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        'data-dir': { type: 'string' },
        seed: { type: 'string' },
        describe: { type: 'boolean' },
        'print-data': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    const s = values.seed;
    if (s !== undefined && !/^[0-9]{1,9}$/.test(s)) fail(`--seed must be a whole number, got ${JSON.stringify(s)}`, 2);
    return {
      dataDir: values['data-dir'],
      seed: s === undefined ? 1 : Number(s),
      help: values.help === true,
      describe: values.describe === true,
      printData: values['print-data'] === true,
    };
  } catch (e: unknown) {
    if (e instanceof Failure) throw e;
    return fail(e instanceof Error ? e.message : String(e), 2);
  }
}

const CUSTOMER_ROWS: readonly (readonly [string, Customer])[] = [
  ['cust-1', { name: 'Ada Lovelace', tier: 'gold' }],
  ['cust-2', { name: 'Grace Hopper', tier: 'silver' }],
  ['cust-3', { name: 'Alan Turing', tier: 'bronze' }],
  ['cust-4', { name: 'Edsger Dijkstra', tier: 'silver' }],
  ['cust-5', { name: 'Barbara Liskov', tier: 'gold' }],
];

const PRODUCT_ROWS: readonly (readonly [string, Product])[] = [
  ['sku-1', { title: 'Espresso beans 1 kg', priceCents: 2450 }],
  ['sku-2', { title: 'Ceramic mug', priceCents: 1200 }],
  ['sku-3', { title: 'Hand grinder', priceCents: 8900 }],
  ['sku-4', { title: 'Paper filters x100', priceCents: 450 }],
  ['sku-5', { title: 'Milk jug', priceCents: 1875 }],
];

const orderId = (i: number): string => `order-${String(i).padStart(2, '0')}`;

/** The records described in the file comment, in the order they are produced (payments by timestamp). */
function generateData(seed: number): DataRecord[] {
  const rnd = prng(seed);
  const out: DataRecord[] = [];
  const dayBeforeMs = START_MS - 24 * 60 * 60_000;
  CUSTOMER_ROWS.forEach(([key, value], i) => out.push({ topic: CUSTOMERS, key, value, timestampMs: dayBeforeMs + i * 1_000 }));
  PRODUCT_ROWS.forEach(([key, value], i) => out.push({ topic: PRODUCTS, key, value, timestampMs: dayBeforeMs + i * 1_000 }));
  const prices = new Map(PRODUCT_ROWS.map(([sku, p]) => [sku, p.priceCents]));
  const payments: DataRecord[] = [];
  for (let i = 1; i <= ORDER_COUNT; i++) {
    let customerId = `cust-${1 + Math.floor(rnd() * CUSTOMER_ROWS.length)}`;
    let sku = `sku-${1 + Math.floor(rnd() * PRODUCT_ROWS.length)}`;
    const qty = 1 + Math.floor(rnd() * 4);
    const jitterMs = Math.floor(rnd() * 15_000);
    const delayMs = 20_000 + Math.floor(rnd() * 220_000);
    if (i === MISSING_CUSTOMER_ORDER) customerId = 'cust-6';
    if (i === UNKNOWN_SKU_ORDER) sku = 'sku-404';
    // order-01 first, alone; then one order every 20 s from 09:02 (plus jitter), up to about 09:07.
    const timestampMs = i === LATE_PAYMENT_ORDER ? START_MS : START_MS + 2 * 60_000 + (i - 2) * 20_000 + jitterMs;
    out.push({ topic: ORDERS, key: orderId(i), value: { customerId, sku, qty }, timestampMs });
    if (i === UNPAID_ORDER) continue;
    const paidMs =
      i === LATE_PAYMENT_ORDER ? timestampMs + 11 * 60_000 + 30_000 : i === EARLY_PAYMENT_ORDER ? timestampMs - 2 * 60_000 : timestampMs + delayMs;
    // An unknown sku has no price: the shop charged a flat 10.00 per item for it.
    payments.push({ topic: PAYMENTS, key: orderId(i), value: { amountCents: qty * (prices.get(sku) ?? 1000) }, timestampMs: paidMs });
  }
  payments.sort((a, b) => a.timestampMs - b.timestampMs);
  return [...out, ...payments];
}

/** The joins: the program this example is about. */
function ordersEnrichment(): Topology {
  const keys = Serdes.String();
  const builder = new StreamsBuilder();
  const customers = builder.table(CUSTOMERS, Consumed.with(keys, Serdes.Json<Customer>()));
  const products = builder.globalTable(PRODUCTS, Consumed.with(keys, Serdes.Json<Product>()));
  const withId = Serdes.Json<Order & { readonly orderId: string }>();
  const enriched = builder
    .stream(ORDERS, Consumed.with(keys, Serdes.Json<Order>()))
    .mapValues((order, id) => ({ ...order, orderId: id }))
    .selectKey((_orderId, order) => order.customerId)
    .leftJoin(customers, (order, customer) => ({ order, customer }), Joined.with(keys, withId, Serdes.Json<Customer>()))
    .join(
      products,
      (_customerId, { order }) => order.sku,
      ({ order, customer }, product): EnrichedOrder => ({
        orderId: order.orderId,
        customerId: order.customerId,
        customerName: customer?.name ?? null,
        tier: customer?.tier ?? null,
        productTitle: product.title,
        qty: order.qty,
        totalCents: order.qty * product.priceCents,
      }),
    )
    .selectKey((_customerId, order) => order.orderId);
  const enrichedSerde = Serdes.Json<EnrichedOrder>();
  enriched.to(ENRICHED, Produced.with(keys, enrichedSerde));

  builder
    .stream(PAYMENTS, Consumed.with(keys, Serdes.Json<Payment>()))
    .join(
      enriched,
      (payment, order): PaidOrder => ({ orderId: order.orderId, customerName: order.customerName, totalCents: order.totalCents, amountCents: payment.amountCents }),
      JoinWindows.ofTimeDifferenceWithNoGrace(JOIN_WINDOW_MS),
      StreamJoined.with(keys, Serdes.Json<Payment>(), enrichedSerde),
    )
    .to(PAID, Produced.with(keys, Serdes.Json<PaidOrder>()));
  return builder.build();
}

/** Creates every topic; a data directory that already holds them would mix this run's results with an earlier one's. */
async function prepareTopics(clients: Clients, dataDir: string): Promise<void> {
  const existing = new Set(await clients.admin.listTopics());
  if (Object.keys(PARTITIONS).some((t) => existing.has(t))) fail(`${dataDir} already holds a run of this example; pass another --data-dir`);
  // The data is from 2024: kept whatever its age (the default retention.ms, 7 days, would delete it).
  await clients.admin.createTopics(Object.entries(PARTITIONS).map(([topic, numPartitions]) => ({ topic, numPartitions, configs: { 'retention.ms': '-1' } })));
}

async function produceData(clients: Clients, data: readonly DataRecord[]): Promise<void> {
  const strings = Serdes.String();
  const json = Serdes.Json<unknown>();
  const byTopic = new Map<string, ProducerRecord[]>();
  for (const r of data) {
    const messages = byTopic.get(r.topic) ?? [];
    messages.push({ key: strings.serialize(r.topic, r.key), value: json.serialize(r.topic, r.value), timestampMs: r.timestampMs });
    byTopic.set(r.topic, messages);
  }
  const producer = clients.producer();
  try {
    for (const [topic, messages] of byTopic) await producer.send({ topic, messages });
  } finally {
    await producer.close();
  }
}

const partitionsOf = (topic: string, n: number): TopicPartition[] => Array.from({ length: n }, (_, partition) => ({ topic, partition }));

/** True when the group's committed offsets reached the end of every partition of `topics` (ends read now). */
async function isCommitted(clients: Clients, topics: readonly string[]): Promise<boolean> {
  const described = await clients.admin.describeTopics([...topics]);
  const tps = described.flatMap((d) => partitionsOf(d.name, d.partitions.length));
  const ends = await clients.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
  const group = clients.consumer({ groupId: APPLICATION_ID });
  try {
    const committed = await group.committed(tps);
    return ends.every((end, i) => (committed[i]?.offset ?? 0) >= end.offset);
  } finally {
    await group.close();
  }
}

/**
 * Waits until every record is processed and its results written: first the group's committed offsets reach the end
 * of the input topics, then of the repartition topics (whose ends are read only after that, so they include
 * everything the committed input produced). The global table is not read by the group: it was restored at start.
 */
async function waitUntilCommitted(clients: Clients, streams: KafkaStreams): Promise<void> {
  const inputs = [CUSTOMERS, ORDERS, PAYMENTS];
  for (;;) {
    if (await isCommitted(clients, inputs)) {
      const repartition = (await clients.admin.listTopics()).filter((t) => t.startsWith(`${APPLICATION_ID}-`) && t.endsWith('-repartition'));
      if (repartition.length === 0) fail('the application created no repartition topic');
      if (await isCommitted(clients, repartition)) return;
    }
    if (streams.state !== 'RUNNING' && streams.state !== 'REBALANCING') {
      fail(`the application stopped (${streams.state}): ${streams.error?.message ?? 'no error recorded'}`);
    }
    await sleep(WAIT_STEP_MS);
  }
}

interface OutputRecord<V> {
  readonly key: string;
  readonly value: V;
  readonly timestampMs: number;
}

/** Every record of an output topic (not a table: a result emitted twice must show). */
async function readOutput<V>(clients: Clients, topic: string): Promise<OutputRecord<V>[]> {
  const keys = Serdes.String();
  const values = Serdes.Json<V>();
  const out: OutputRecord<V>[] = [];
  await readToEnd(clients, partitionsOf(topic, PARTITIONS[topic]!), (r) => {
    const key = keys.deserialize(topic, r.key);
    const value = values.deserialize(topic, r.value);
    if (key === null || value === null) fail(`${topic} holds a record with a null key or value at offset ${r.offset}`);
    out.push({ key, value, timestampMs: r.timestampMs });
  });
  const seen = new Set<string>();
  for (const r of out) {
    if (seen.has(r.key)) fail(`${topic} holds two results for ${r.key}`);
    seen.add(r.key);
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const iso = (ms: number): string => new Date(ms).toISOString();
const money = (cents: number): string => (cents / 100).toFixed(2);

async function main(argv: readonly string[]): Promise<void> {
  const args = options(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.describe) {
    process.stdout.write(ordersEnrichment().describe().toString());
    return;
  }
  const data = generateData(args.seed);
  if (args.printData) {
    let out = '';
    for (const r of data) out += `${JSON.stringify(r)}\n`;
    process.stdout.write(out);
    return;
  }
  const dataDir = args.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-orders-enrichment-'));
  process.stderr.write(`orders-enrichment: log and state in ${dataDir}${args.dataDir === undefined ? ' (removed at the end)' : ''}\n`);

  const broker = await Broker.open({ dataDir: path.join(dataDir, 'log'), logger: silentLogger() });
  let streams: KafkaStreams | null = null;
  try {
    const clients = inProcessClients(broker);
    await prepareTopics(clients, dataDir);
    // Everything, the tables included, is in the log before the application starts.
    await produceData(clients, data);
    const count = (topic: string): number => data.filter((r) => r.topic === topic).length;
    process.stderr.write(
      `orders-enrichment: produced ${count(CUSTOMERS)} customers, ${count(PRODUCTS)} products, ${count(ORDERS)} orders and ${count(PAYMENTS)} payments\n`,
    );

    streams = new KafkaStreams(ordersEnrichment(), {
      applicationId: APPLICATION_ID,
      broker,
      stateDir: path.join(dataDir, 'state'),
      // Commit often: this run waits for the commit that follows the last record.
      commitIntervalMs: 100,
      logger: silentLogger(),
    });
    await streams.start();
    await waitUntilCommitted(clients, streams);

    const enriched = await readOutput<EnrichedOrder>(clients, ENRICHED);
    const paid = await readOutput<PaidOrder>(clients, PAID);
    let out = 'order\tcustomer\ttier\tproduct\tqty\ttotal\n';
    for (const { key, value: e } of enriched) {
      out += `${key}\t${e.customerName ?? 'null'}\t${e.tier ?? 'null'}\t${e.productTitle}\t${e.qty}\t${money(e.totalCents)}\n`;
    }
    out += 'paid order\tcustomer\ttotal\tpaid\tjoined at\n';
    for (const { key, value: p, timestampMs } of paid) {
      out += `${key}\t${p.customerName ?? 'null'}\t${money(p.totalCents)}\t${money(p.amountCents)}\t${iso(timestampMs)}\n`;
    }
    const orders = count(ORDERS);
    const payments = count(PAYMENTS);
    out +=
      `${orders} orders in, ${enriched.length} enriched (${orders - enriched.length} dropped: sku not in products), ` +
      `${paid.length} paid, ${payments - paid.length} payments unmatched (of ${payments}: no enriched order within 10 min)\n`;
    process.stdout.write(out);
  } finally {
    await streams?.close();
    await broker.close();
    if (args.dataDir === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await runMain('orders-enrichment', main);
