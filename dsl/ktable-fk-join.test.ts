import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { KTable } from './ktable.js';
import { Consumed } from './options/consumed.js';
import { Materialized } from './options/materialized.js';
import { Produced } from './options/produced.js';
import { TableJoined } from './options/table-joined.js';
import { StreamsBuilder } from './streams-builder.js';

const STRING = Serdes.String();
const extractor = (value: string): string | null => value.split('|')[1] ?? null;
const joiner = (l: string, r: string | null): string => `(${l},${r})`;

interface Setup {
  readonly driver: TopologyTestDriver;
  readonly left: ReturnType<TopologyTestDriver['createInputTopic']>;
  readonly right: ReturnType<TopologyTestDriver['createInputTopic']>;
  /** The output since the last call: last value per key, tombstones kept as `null` (Java's readKeyValuesToMap). */
  readonly output: () => Map<string, string | null>;
  /** The materialized result store's rows (only when materialized). */
  readonly store: () => Map<string, string>;
}

/**
 * The topology of Kafka Streams' `KTableKTableForeignKeyJoinIntegrationTest.getTopology` (without the rejoin):
 * `left.join/leftJoin(right, v -> v.split("|")[1], (l, r) -> "(" + l + "," + r + ")", materialized)`.
 */
function setup(isLeftJoin: boolean, isMaterialized: boolean, partitions: { left: number; right: number } = { left: 1, right: 1 }): Setup {
  const builder = new StreamsBuilder();
  const left = builder.table('left_table', Consumed.with(STRING, STRING));
  const right = builder.table('right_table', Consumed.with(STRING, STRING));
  const materialized = (isMaterialized ? Materialized.as<string, string>('store') : Materialized.with<string, string>(undefined, STRING))
    .withValueSerde(STRING)
    .withCachingDisabled();
  const joined: KTable<string, string> = isLeftJoin ? left.leftJoin(right, extractor, joiner, materialized) : left.join(right, extractor, joiner, materialized);
  joined.toStream().to('output-topic', Produced.with(STRING, STRING));
  const driver = new TopologyTestDriver(builder.build(), { applicationId: 'fk', defaultKeySerde: STRING as Serde<unknown>, defaultValueSerde: STRING as Serde<unknown> });
  const rightTopic = driver.createInputTopic('right_table', STRING, STRING, { partitions: partitions.right });
  const leftTopic = driver.createInputTopic('left_table', STRING, STRING, { partitions: partitions.left });
  const out = driver.createOutputTopic('output-topic', STRING, STRING);
  return {
    driver,
    left: leftTopic as Setup['left'],
    right: rightTopic as Setup['right'],
    output: () => new Map(out.readKeyValuesToList().map((kv) => [kv.key as string, kv.value])),
    store: () => new Map([...driver.getKeyValueStore<string, string>('store').all()].map((kv) => [kv.key, kv.value])),
  };
}

const m = (...entries: [string, string | null][]): Map<string, string | null> => new Map(entries);

// Kafka Streams' KTableKTableForeignKeyJoinIntegrationTest (streams/src/test/java/org/apache/kafka/streams/integration),
// parameterized like it over leftJoin x materialized; timestamps are the driver's (all 0).
describe("Kafka's KTableKTableForeignKeyJoinIntegrationTest", () => {
  for (const isLeftJoin of [false, true]) {
    for (const isMaterialized of [false, true]) {
      const label = `leftJoin=${isLeftJoin}, materialized=${isMaterialized}`;

      it(`doJoinFromLeftThenDeleteLeftEntity (${label})`, () => {
        const s = setup(isLeftJoin, isMaterialized);
        s.right.pipeInput('rhs1', 'rhsValue1');
        s.right.pipeInput('rhs2', 'rhsValue2');
        s.right.pipeInput('rhs3', 'rhsValue3');
        expect(s.output()).toEqual(m());
        s.left.pipeInput('lhs1', 'lhsValue1|rhs1');
        s.left.pipeInput('lhs2', 'lhsValue2|rhs2');
        const expected = m(['lhs1', '(lhsValue1|rhs1,rhsValue1)'], ['lhs2', '(lhsValue2|rhs2,rhsValue2)']);
        expect(s.output()).toEqual(expected);
        if (isMaterialized) expect(s.store()).toEqual(expected);
        s.left.pipeInput('lhs3', 'lhsValue3|rhs1');
        expect(s.output()).toEqual(m(['lhs3', '(lhsValue3|rhs1,rhsValue1)']));
        s.left.pipeInput('lhs1', null);
        expect(s.output()).toEqual(m(['lhs1', null]));
        if (isMaterialized) expect(s.store()).toEqual(m(['lhs2', '(lhsValue2|rhs2,rhsValue2)'], ['lhs3', '(lhsValue3|rhs1,rhsValue1)']));
        s.driver.close();
      });

      it(`doJoinFromRightThenDeleteRightEntity (${label})`, () => {
        const s = setup(isLeftJoin, isMaterialized);
        s.left.pipeInput('lhs1', 'lhsValue1|rhs1');
        s.left.pipeInput('lhs2', 'lhsValue2|rhs2');
        s.left.pipeInput('lhs3', 'lhsValue3|rhs1');
        expect(s.output()).toEqual(
          isLeftJoin ? m(['lhs1', '(lhsValue1|rhs1,null)'], ['lhs2', '(lhsValue2|rhs2,null)'], ['lhs3', '(lhsValue3|rhs1,null)']) : m(),
        );
        s.right.pipeInput('rhs1', 'rhsValue1');
        expect(s.output()).toEqual(m(['lhs1', '(lhsValue1|rhs1,rhsValue1)'], ['lhs3', '(lhsValue3|rhs1,rhsValue1)']));
        s.right.pipeInput('rhs2', 'rhsValue2');
        expect(s.output()).toEqual(m(['lhs2', '(lhsValue2|rhs2,rhsValue2)']));
        s.right.pipeInput('rhs3', 'rhsValue3');
        expect(s.output()).toEqual(m());
        s.right.pipeInput('rhs1', null);
        expect(s.output()).toEqual(m(['lhs1', isLeftJoin ? '(lhsValue1|rhs1,null)' : null], ['lhs3', isLeftJoin ? '(lhsValue3|rhs1,null)' : null]));
        if (isMaterialized) {
          expect(s.store()).toEqual(
            isLeftJoin
              ? m(['lhs1', '(lhsValue1|rhs1,null)'], ['lhs2', '(lhsValue2|rhs2,rhsValue2)'], ['lhs3', '(lhsValue3|rhs1,null)'])
              : m(['lhs2', '(lhsValue2|rhs2,rhsValue2)']),
          );
        }
        s.driver.close();
      });

      it(`shouldEmitTombstoneWhenDeletingNonJoiningRecords (${label})`, () => {
        const s = setup(isLeftJoin, isMaterialized);
        s.left.pipeInput('lhs1', 'lhsValue1|rhs1');
        expect(s.output()).toEqual(isLeftJoin ? m(['lhs1', '(lhsValue1|rhs1,null)']) : m());
        s.left.pipeInput('lhs1', null);
        expect(s.output()).toEqual(m(['lhs1', null]));
        if (isMaterialized) expect(s.store()).toEqual(m());
        s.left.pipeInput('lhs1', null);
        expect(s.output()).toEqual(m());
        s.driver.close();
      });

      it(`shouldNotEmitTombstonesWhenDeletingNonExistingRecords (${label})`, () => {
        const s = setup(isLeftJoin, isMaterialized);
        s.left.pipeInput('lhs1', null);
        expect(s.output()).toEqual(m());
        s.driver.close();
      });

      it(`joinShouldProduceNullsWhenValueHasNonMatchingForeignKey (${label})`, () => {
        const s = setup(isLeftJoin, isMaterialized);
        s.left.pipeInput('lhs1', 'lhsValue1|rhs1');
        expect(s.output()).toEqual(isLeftJoin ? m(['lhs1', '(lhsValue1|rhs1,null)']) : m());
        s.left.pipeInput('lhs1', 'lhsValue1|rhs2');
        expect(s.output()).toEqual(m(['lhs1', isLeftJoin ? '(lhsValue1|rhs2,null)' : null]));
        s.left.pipeInput('lhs1', 'lhsValue1|rhs3');
        expect(s.output()).toEqual(m(['lhs1', isLeftJoin ? '(lhsValue1|rhs3,null)' : null]));
        s.right.pipeInput('rhs1', 'rhsValue1');
        expect(s.output()).toEqual(m());
        s.left.pipeInput('lhs1', 'lhsValue1|rhs1');
        expect(s.output()).toEqual(m(['lhs1', '(lhsValue1|rhs1,rhsValue1)']));
        s.left.pipeInput('lhs1', 'lhsValue1|rhs2');
        expect(s.output()).toEqual(m(['lhs1', isLeftJoin ? '(lhsValue1|rhs2,null)' : null]));
        if (isMaterialized) expect(s.store()).toEqual(isLeftJoin ? m(['lhs1', '(lhsValue1|rhs2,null)']) : m());
        s.driver.close();
      });

      it(`shouldUnsubscribeOldForeignKeyIfLeftSideIsUpdated (${label})`, () => {
        const s = setup(isLeftJoin, isMaterialized);
        s.right.pipeInput('rhs1', 'rhsValue1');
        s.right.pipeInput('rhs2', 'rhsValue2');
        expect(s.output()).toEqual(m());
        s.left.pipeInput('lhs1', 'lhsValue1|rhs1');
        expect(s.output()).toEqual(m(['lhs1', '(lhsValue1|rhs1,rhsValue1)']));
        s.left.pipeInput('lhs1', 'lhsValue1|rhs2');
        expect(s.output()).toEqual(m(['lhs1', '(lhsValue1|rhs2,rhsValue2)']));
        s.right.pipeInput('rhs1', 'rhsValue1Delta');
        expect(s.output()).toEqual(m());
        if (isMaterialized) expect(s.store()).toEqual(m(['lhs1', '(lhsValue1|rhs2,rhsValue2)']));
        s.driver.close();
      });

      it(`a null foreign key joins nothing (${label})`, () => {
        const s = setup(isLeftJoin, isMaterialized);
        s.right.pipeInput('rhs1', 'rhsValue1');
        s.left.pipeInput('lhs1', 'lhsValue1');
        expect(s.output()).toEqual(isLeftJoin ? m(['lhs1', '(lhsValue1,null)']) : m());
        s.left.pipeInput('lhs1', 'lhsValue1|rhs1');
        expect(s.output()).toEqual(m(['lhs1', '(lhsValue1|rhs1,rhsValue1)']));
        // Back to no foreign key: the inner result is retracted, the left result loses its right side.
        s.left.pipeInput('lhs1', 'lhsValue2');
        expect(s.output()).toEqual(m(['lhs1', isLeftJoin ? '(lhsValue2,null)' : null]));
        s.right.pipeInput('rhs1', 'rhsValue1Delta');
        expect(s.output()).toEqual(m());
        s.left.pipeInput('lhs1', null);
        expect(s.output()).toEqual(isLeftJoin ? m(['lhs1', null]) : m());
        s.driver.close();
      });
    }
  }

  it('drops a response to an older left value (stale hash): only the current value is joined', () => {
    const s = setup(false, true);
    s.right.pipeInput('rhs1', 'rhsValue1');
    s.right.pipeInput('rhs2', 'rhsValue2');
    s.left.pipeInput('lhs1', 'a|rhs1');
    s.left.pipeInput('lhs1', 'b|rhs2');
    s.left.pipeInput('lhs1', 'c|rhs1');
    // Every output row is a join of a value lhs1 held, and the last one is of its current value.
    const rows = s.output();
    expect(rows.get('lhs1')).toBe('(c|rhs1,rhsValue1)');
    expect(s.store()).toEqual(m(['lhs1', '(c|rhs1,rhsValue1)']));
    s.driver.close();
  });
});

describe('foreign-key join topology', () => {
  // Kafka Streams' KTableImpl.doJoinOnForeignKey burns one processor index per name, in this order.
  it("names its processors, topics and stores in Kafka Streams' order", () => {
    const builder = new StreamsBuilder();
    const left = builder.table<string, string>('left');
    const right = builder.table<string, string>('right');
    left.join(right, extractor, joiner).toStream().to('out');
    const text = builder.build().describe().toString();
    expect(text).toContain('Processor: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007 (stores: [])');
    expect(text).toContain('Sink: KTABLE-SINK-0000000008 (topic: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic)');
    expect(text).toContain('Source: KTABLE-SOURCE-0000000009 (topics: [KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic])');
    expect(text).toContain('Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011 (stores: [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])');
    expect(text).toContain('Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012 (stores: [right-STATE-STORE-0000000003])');
    expect(text).toContain('Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013 (stores: [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])');
    expect(text).toContain('Sink: KTABLE-SINK-0000000015 (topic: KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic)');
    expect(text).toContain('Source: KTABLE-SOURCE-0000000016 (topics: [KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic])');
    expect(text).toContain('Processor: KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017 (stores: [left-STATE-STORE-0000000000])');
    expect(text).toContain('Processor: KTABLE-FK-JOIN-OUTPUT-0000000018 (stores: [])');
    // The unnamed output store burns index 19, as Kafka Streams' MaterializedInternal does.
    expect(text).toContain('KTABLE-TOSTREAM-0000000020');
  });

  it('derives every name from TableJoined.as', () => {
    const builder = new StreamsBuilder();
    const left = builder.table<string, string>('left');
    const right = builder.table<string, string>('right');
    left.leftJoin(right, extractor, joiner, TableJoined.as<string, string>('oc')).toStream().to('out');
    const text = builder.build().describe().toString();
    for (const name of [
      'Processor: oc-subscription-registration-processor',
      'Sink: oc-subscription-registration-sink (topic: oc-subscription-registration-topic)',
      'Source: oc-subscription-registration-source (topics: [oc-subscription-registration-topic])',
      'Processor: oc-subscription-receive (stores: [oc-subscription-store])',
      'Processor: oc-subscription-join-foreign',
      'Processor: oc-foreign-join-subscription (stores: [oc-subscription-store])',
      'Sink: oc-subscription-response-sink (topic: oc-subscription-response-topic)',
      'Source: oc-subscription-response-source (topics: [oc-subscription-response-topic])',
      'Processor: oc-subscription-response-resolver',
      'Processor: oc-result',
    ]) {
      expect(text).toContain(name);
    }
  });
});

/** A left or right upsert (`fk`/`value` set) or delete of one key; left values name their foreign key. */
type Op =
  | { readonly side: 'left'; readonly key: string; readonly fk: string | null; readonly tag: number; readonly isDelete: boolean }
  | { readonly side: 'right'; readonly key: string; readonly tag: number; readonly isDelete: boolean };

const leftKeys = fc.constantFrom('l1', 'l2', 'l3', 'l4', 'l5');
const rightKeys = fc.constantFrom('r1', 'r2', 'r3');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ side: fc.constant('left' as const), key: leftKeys, fk: fc.option(rightKeys, { freq: 6 }), tag: fc.nat(3), isDelete: fc.boolean() }),
  fc.record({ side: fc.constant('right' as const), key: rightKeys, tag: fc.nat(3), isDelete: fc.boolean() }),
);

/** The relational join of the current tables: the reference the joined table must converge to. */
function relationalJoin(left: Map<string, string>, right: Map<string, string>, isLeftJoin: boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of left) {
    const fk = extractor(v);
    const r = fk === null ? undefined : right.get(fk);
    if (r !== undefined) out.set(k, joiner(v, r));
    else if (isLeftJoin) out.set(k, joiner(v, null));
  }
  return out;
}

describe('foreign-key join converges to the relational join', () => {
  for (const isLeftJoin of [false, true]) {
    for (const [lp, rp] of [
      [1, 1],
      [3, 3],
      [1, 3],
      [3, 1],
    ] as const) {
      test.prop([fc.array(opArb, { maxLength: 30 })], { numRuns: 25 })(
        `${isLeftJoin ? 'leftJoin' : 'join'}, ${lp} left / ${rp} right partitions`,
        (ops) => {
          const s = setup(isLeftJoin, true, { left: lp, right: rp });
          const left = new Map<string, string>();
          const right = new Map<string, string>();
          const joined = new Map<string, string>();
          let ts = 0;
          for (const op of ops) {
            ts++;
            if (op.side === 'left') {
              const value = op.fk === null ? `v${op.tag}` : `v${op.tag}|${op.fk}`;
              if (op.isDelete) left.delete(op.key);
              else left.set(op.key, value);
              s.left.pipeInput(op.key, op.isDelete ? null : value, ts);
            } else {
              const value = `${op.key}-${op.tag}`;
              if (op.isDelete) right.delete(op.key);
              else right.set(op.key, value);
              s.right.pipeInput(op.key, op.isDelete ? null : value, ts);
            }
            // Apply the output as a table: a tombstone deletes the row.
            for (const [k, v] of s.output()) {
              if (v === null) joined.delete(k);
              else joined.set(k, v);
            }
          }
          const expected = relationalJoin(left, right, isLeftJoin);
          expect(joined).toEqual(expected);
          expect(s.store()).toEqual(expected);
          s.driver.close();
        },
      );
    }
  }
});
