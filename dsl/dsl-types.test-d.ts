/**
 * Type tests for the DSL: checked by `tsc --noEmit` (this file is in the tsconfig, not in vitest's runtime include);
 * a wrong inference or a missing compile error fails the typecheck.
 */
import { expectTypeOf } from 'vitest';
import { Serdes } from '../src/serdes/serdes.js';
import type { KGroupedStream } from './kgrouped-stream.js';
import type { KGroupedTable } from './kgrouped-table.js';
import type { KStream } from './kstream.js';
import type { KTable } from './ktable.js';
import { longSerde } from './long-serde.js';
import { Consumed } from './options/consumed.js';
import { Grouped } from './options/grouped.js';
import { Materialized } from './options/materialized.js';
import { Produced } from './options/produced.js';
import { StreamsBuilder } from './streams-builder.js';

declare const builder: StreamsBuilder;

// Types flow through a word count chain.
const words = builder.stream<string, string>('lines').flatMapValues((v) => v.split(' '));
expectTypeOf(words).toEqualTypeOf<KStream<string, string>>();
const grouped = words.groupBy((_k, w) => w);
expectTypeOf(grouped).toEqualTypeOf<KGroupedStream<string, string>>();
const counts = grouped.count();
expectTypeOf(counts).toEqualTypeOf<KTable<string, number>>();
expectTypeOf(counts.toStream()).toEqualTypeOf<KStream<string, number | null>>();
expectTypeOf(grouped.count(Materialized.as('counts'))).toEqualTypeOf<KTable<string, number>>();

// Consumed infers the stream's types; operations change them as they should.
const orders = builder.stream('orders', Consumed.with(Serdes.String(), Serdes.Json<{ id: number; total: number }>()));
expectTypeOf(orders).toEqualTypeOf<KStream<string, { id: number; total: number }>>();
expectTypeOf(orders.mapValues((o) => o.total)).toEqualTypeOf<KStream<string, number>>();
expectTypeOf(orders.mapValues((o, key) => `${key}:${o.id}`)).toEqualTypeOf<KStream<string, string>>();
expectTypeOf(orders.map((k, o) => ({ key: o.id, value: k }))).toEqualTypeOf<KStream<number, string>>();
expectTypeOf(orders.selectKey((_k, o) => o.id)).toEqualTypeOf<KStream<number, { id: number; total: number }>>();
expectTypeOf(orders.flatMap((k, o) => [{ key: k, value: o.total }])).toEqualTypeOf<KStream<string, number>>();
expectTypeOf(orders.groupByKey().aggregate(() => 0, (_k, o, sum) => sum + o.total)).toEqualTypeOf<KTable<string, number>>();
expectTypeOf(orders.groupByKey().reduce((a, b) => (a.total > b.total ? a : b))).toEqualTypeOf<KTable<string, { id: number; total: number }>>();

// A type-guard filter narrows.
const maybe = builder.stream<string, string | null>('maybe');
expectTypeOf(maybe.filter((_k, v): v is string => v !== null)).toEqualTypeOf<KStream<string, string>>();
expectTypeOf(maybe.filter((_k, v) => v !== null)).toEqualTypeOf<KStream<string, string>>();
expectTypeOf(maybe.filter((_k, v) => v !== 'skip')).toEqualTypeOf<KStream<string, string | null>>();

// Aggregations and tables never see null values, so their value types exclude null.
expectTypeOf(maybe.groupByKey()).toEqualTypeOf<KGroupedStream<string, string>>();
expectTypeOf(maybe.toTable()).toEqualTypeOf<KTable<string, string>>();
maybe.to('out', Produced.with(Serdes.String(), Serdes.String()));
counts.toStream().to('counts', Produced.with(Serdes.String(), longSerde()));

// Tables and their groupings.
const users = builder.table('users', Consumed.with(Serdes.String(), Serdes.Json<{ region: string }>()));
expectTypeOf(users.mapValues((u) => u.region)).toEqualTypeOf<KTable<string, string>>();
const byRegion = users.groupBy((id, u) => ({ key: u.region, value: id }));
expectTypeOf(byRegion).toEqualTypeOf<KGroupedTable<string, string>>();
expectTypeOf(byRegion.count()).toEqualTypeOf<KTable<string, number>>();
expectTypeOf(byRegion.aggregate(() => [] as string[], (_r, id, ids) => [...ids, id], (_r, id, ids) => ids.filter((x) => x !== id))).toEqualTypeOf<
  KTable<string, string[]>
>();
expectTypeOf(users.queryableStoreName).toEqualTypeOf<string | null>();

// Mistakes are compile errors.
// @ts-expect-error the value is a string, not a number
words.mapValues((v: number) => v + 1);
// @ts-expect-error count values are numbers, the serde is for strings
grouped.count(Materialized.with(Serdes.String(), Serdes.String()));
// @ts-expect-error the stream's values are strings
words.to('out', Produced.with(Serdes.String(), longSerde()));
// @ts-expect-error groupBy on a table needs a key-value pair
users.groupBy((_id, u) => u.region);
// @ts-expect-error Grouped serdes must match the selected key type
words.groupBy((_k, w) => w.length, Grouped.with(Serdes.String(), Serdes.String()));
