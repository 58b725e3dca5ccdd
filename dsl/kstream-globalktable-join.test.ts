import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import type { Processor } from '../src/processor/processor.js';
import type { ProcessorContext } from '../src/processor/processor-context.js';
import type { Record } from '../src/processor/record.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { TimestampedKeyValueStore } from '../src/state/key-value-store.js';
import { Consumed } from './options/consumed.js';
import { Materialized } from './options/materialized.js';
import { Named } from './options/named.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';

const S = Serdes.String();

/** Orders `orderId -> sku`, products `sku -> name`: the joined value is `order:product`. */
function build(variant: 'inner' | 'left', productPartitions = 1, orderPartitions = 1) {
  const builder = new StreamsBuilder();
  const orders = builder.stream('orders', Consumed.with(S, S));
  const products = builder.globalTable('products', Consumed.with(S, S));
  const selector = (_id: string | null, sku: string): string | null => (sku === 'none' ? null : sku);
  const joiner = (sku: string, product: string | null): string => `${sku}:${product}`;
  (variant === 'inner' ? orders.join(products, selector, joiner) : orders.leftJoin(products, selector, joiner)).to('out', Produced.with(S, S));
  const driver = new TopologyTestDriver(builder.build());
  const productsIn = driver.createInputTopic('products', S, S, { partitions: productPartitions });
  const ordersIn = driver.createInputTopic('orders', S, S, { partitions: orderPartitions });
  const out = driver.createOutputTopic('out', S, S);
  return { driver, productsIn, ordersIn, out, storeName: products.queryableStoreName };
}

describe('KStream-GlobalKTable join', () => {
  it("describes as Kafka Streams does: a global store sub-topology and a join reading it without a store connection", () => {
    const builder = new StreamsBuilder();
    const orders = builder.stream('orders', Consumed.with(S, S));
    const products = builder.globalTable('products', Consumed.with(S, S));
    orders.join(products, (_k, v) => v, (o, p) => `${o}${p}`).to('out');
    expect(products.queryableStoreName).toBe('products-STATE-STORE-0000000001');
    expect(builder.build().describe().toString()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [orders])',
        '      --> KSTREAM-JOIN-0000000004',
        '    Processor: KSTREAM-JOIN-0000000004 (stores: [])',
        '      --> KSTREAM-SINK-0000000005',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Sink: KSTREAM-SINK-0000000005 (topic: out)',
        '      <-- KSTREAM-JOIN-0000000004',
        '',
        '  Sub-topology: 1 for global store (will not generate tasks)',
        '    Source: KSTREAM-SOURCE-0000000002 (topics: [products])',
        '      --> KTABLE-SOURCE-0000000003',
        '    Processor: KTABLE-SOURCE-0000000003 (stores: [products-STATE-STORE-0000000001])',
        '      --> none',
        '      <-- KSTREAM-SOURCE-0000000002',
        '',
      ].join('\n'),
    );
  });

  it('inner: only stream records trigger; a missing row, a null lookup key or a null value produce nothing', () => {
    const { driver, productsIn, ordersIn, out, storeName } = build('inner', 3);
    ordersIn.pipeInput('o1', 'sku-1', 1); // no row yet
    productsIn.pipeInput('sku-1', 'lamp', 2); // table updates never emit
    productsIn.pipeInput('sku-2', 'desk', 2);
    ordersIn.pipeInput('o2', 'sku-1', 3);
    ordersIn.pipeInput(null, 'sku-2', 4); // a null stream key is fine: the lookup key comes from the value
    ordersIn.pipeInput('o3', 'none', 5); // the selector returns null
    ordersIn.pipeInput('o4', null, 6);
    productsIn.pipeInput('sku-1', null, 7); // delete
    ordersIn.pipeInput('o5', 'sku-1', 8);
    expect(out.readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['o2', 'sku-1:lamp', 3],
      [null, 'sku-2:desk', 4],
    ]);
    const store = driver.getKeyValueStore<string, string>(storeName);
    expect(store.get('sku-1')).toBeNull();
    expect(store.get('sku-2')).toBe('desk');
    driver.close();
  });

  it('left: every record with a value produces exactly one result, null when there is no row or no lookup key', () => {
    const { driver, productsIn, ordersIn, out } = build('left');
    ordersIn.pipeInput('o1', 'sku-1', 1);
    productsIn.pipeInput('sku-1', 'lamp', 2);
    ordersIn.pipeInput('o2', 'sku-1', 3);
    ordersIn.pipeInput('o3', 'none', 4);
    ordersIn.pipeInput('o4', null, 5);
    expect(out.readKeyValuesToList()).toEqual([
      { key: 'o1', value: 'sku-1:null' },
      { key: 'o2', value: 'sku-1:lamp' },
      { key: 'o3', value: 'none:null' },
    ]);
    driver.close();
  });

  test.prop([
    fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('product' as const), sku: fc.integer({ min: 0, max: 4 }), name: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null }) }),
        fc.record({ kind: fc.constant('order' as const), id: fc.integer({ min: 0, max: 20 }), sku: fc.integer({ min: 0, max: 4 }) }),
      ),
      { maxLength: 40 },
    ),
    fc.constantFrom('inner' as const, 'left' as const),
  ])('equals a model: the row the table holds for the lookup key when the stream record is processed', (events, variant) => {
    const { driver, productsIn, ordersIn, out } = build(variant, 2);
    const table = new Map<string, string>();
    const expected: [string, string][] = [];
    events.forEach((e, i) => {
      if (e.kind === 'product') {
        productsIn.pipeInput(`sku-${e.sku}`, e.name, i);
        if (e.name === null) table.delete(`sku-${e.sku}`);
        else table.set(`sku-${e.sku}`, e.name);
      } else {
        ordersIn.pipeInput(`o${e.id}`, `sku-${e.sku}`, i);
        const row = table.get(`sku-${e.sku}`) ?? null;
        if (row !== null || variant === 'left') expected.push([`o${e.id}`, `sku-${e.sku}:${row}`]);
      }
    });
    expect(out.readKeyValuesToList().map((kv) => [kv.key, kv.value])).toEqual(expected);
    driver.close();
  });

  it('a named Materialized names the store; Named names the join', () => {
    const builder = new StreamsBuilder();
    const rates = builder.globalTable('rates', Consumed.with(S, Serdes.Number()), Materialized.as<string, number>('rates'));
    builder.stream('amounts', Consumed.with(S, Serdes.Number())).join(rates, (k) => k, (a, r) => a * r, Named.as('convert')).to('out', Produced.with(S, Serdes.Number()));
    const topology = builder.build();
    expect(topology.describe().toString()).toContain('Processor: convert (stores: [])');
    const driver = new TopologyTestDriver(topology);
    driver.createInputTopic('rates', S, Serdes.Number()).pipeInput('EUR', 2);
    driver.createInputTopic('amounts', S, Serdes.Number()).pipeInput('EUR', 21);
    expect(driver.createOutputTopic('out', S, Serdes.Number()).readValuesToList()).toEqual([42]);
    expect(driver.getKeyValueStore<string, number>('rates').get('EUR')).toBe(2);
    driver.close();
  });

  it('a processor of the Processor API reads a global store without being connected to it', () => {
    class Lookup implements Processor<string, string, string, string> {
      #context!: ProcessorContext<string, string>;
      #store!: TimestampedKeyValueStore<string, string>;
      init(context: ProcessorContext<string, string>): void {
        this.#context = context;
        this.#store = context.getStateStore('names');
      }
      process(record: Record<string, string>): void {
        this.#context.forward(record.withValue(`${record.value}=${this.#store.get(record.value)?.value ?? '?'}`));
      }
    }
    const builder = new StreamsBuilder();
    builder.globalTable('names', Consumed.with(S, S), Materialized.as<string, string>('names'));
    builder.stream('ids', Consumed.with(S, S)).process(() => new Lookup()).to('out', Produced.with(S, S));
    const driver = new TopologyTestDriver(builder.build());
    driver.createInputTopic('names', S, S).pipeInput('1', 'one');
    driver.createInputTopic('ids', S, S).pipeValueList(['1', '2']);
    expect(driver.createOutputTopic('out', S, S).readValuesToList()).toEqual(['1=one', '2=?']);
    driver.close();
  });

  it('rejects a GlobalKTable of another builder and a topic-less globalTable()', () => {
    const other = new StreamsBuilder().globalTable('p', Consumed.with(S, S));
    const builder = new StreamsBuilder();
    expect(() => builder.stream('s', Consumed.with(S, S)).join(other, (k) => k, (a, b) => a + b)).toThrow(/same StreamsBuilder/);
    expect(() => builder.globalTable('')).toThrow(/topic/);
  });
});
