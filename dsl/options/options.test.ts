import { describe, expect, it } from 'vitest';
import { Serdes } from '../../src/serdes/serdes.js';
import { Stores } from '../../state-stores/stores.js';
import { Branched } from './branched.js';
import { Consumed } from './consumed.js';
import { Grouped } from './grouped.js';
import { Materialized } from './materialized.js';
import { Named } from './named.js';
import { Printed } from './printed.js';
import { Produced } from './produced.js';
import { Repartitioned } from './repartitioned.js';

describe('DSL option objects', () => {
  it('are frozen and every with... returns a new object, leaving the receiver unchanged', () => {
    const base = Materialized.as('counts');
    const changed = base.withCachingDisabled().withLoggingDisabled().withStoreType('sqlite').withValueSerde(Serdes.Number());
    expect(Object.isFrozen(base)).toBe(true);
    expect([base.isCachingEnabled, base.isLoggingEnabled, base.storeType, base.valueSerde]).toEqual([true, true, undefined, undefined]);
    expect([changed.isCachingEnabled, changed.isLoggingEnabled, changed.storeType, changed.valueSerde]).toEqual([false, false, 'sqlite', Serdes.Number()]);
    expect(changed.storeName).toBe('counts');
    expect(Materialized.as('c').withLoggingEnabled({ 'segment.bytes': '1024' }).logConfig).toEqual({ 'segment.bytes': '1024' });

    const consumed = Consumed.with(Serdes.String(), Serdes.String());
    const named = consumed.withName('src').withOffsetResetPolicy('latest');
    expect([consumed.processorName, consumed.offsetResetPolicy]).toEqual([undefined, undefined]);
    expect([named.processorName, named.offsetResetPolicy, named.keySerde]).toEqual(['src', 'latest', Serdes.String()]);

    const produced = Produced.as('sink');
    expect(produced.withKeySerde(Serdes.String()).processorName).toBe('sink');
    expect(produced.keySerde).toBeUndefined();
  });

  it('Grouped.with takes an optional leading name; Materialized.as takes a name or an engine supplier', () => {
    expect(Grouped.with(Serdes.String(), Serdes.Number())).toMatchObject({ name: undefined, keySerde: Serdes.String(), valueSerde: Serdes.Number() });
    expect(Grouped.with('by-user', Serdes.String(), undefined)).toMatchObject({ name: 'by-user', keySerde: Serdes.String(), valueSerde: undefined });
    expect(Grouped.as('g').withKeySerde(Serdes.String()).name).toBe('g');
    const supplier = Stores.persistentKeyValueStore('prices');
    expect(Materialized.as(supplier)).toMatchObject({ storeName: 'prices', storeSupplier: supplier });
  });

  it('validates names, partition counts and store types when created', () => {
    expect(Named.as('a.b_c-1').name).toBe('a.b_c-1');
    expect(() => Named.as('')).toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID' }));
    expect(() => Named.as('x'.repeat(250))).toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID' }));
    expect(() => Grouped.as('a/b')).toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID' }));
    expect(() => Branched.as('a b')).toThrow(expect.objectContaining({ code: 'TOPOLOGY_INVALID' }));
    expect(() => Repartitioned.numberOfPartitions(0)).toThrow(expect.objectContaining({ code: 'INVALID_PARTITIONS' }));
    expect(() => Repartitioned.as('r').withNumberOfPartitions(1.5)).toThrow(expect.objectContaining({ code: 'INVALID_PARTITIONS' }));
    expect(() => Materialized.as('s').withStoreType('rocksdb' as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => Materialized.as({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('Printed formats lines with a label and an optional mapper', () => {
    const printed = Printed.toWriter<string, number>(() => undefined).withLabel('l').withKeyValueMapper((k, v) => `${k}=${v}`);
    expect(printed.label).toBe('l');
    expect(printed.mapper?.('a', 1)).toBe('a=1');
  });
});
