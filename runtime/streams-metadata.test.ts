import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../src/client/murmur2.js';
import { Serdes } from '../src/serdes/serdes.js';
import { Stores } from '../state-stores/stores.js';
import { wordCountTopology } from '../test/helpers/word-count-topology.js';
import { hostInfoString, parseHostInfo } from './host-info.js';
import { resolveStreamsConfig } from './streams-config.js';
import { StreamsMetadataState } from './streams-metadata.js';

const S = Serdes.String();
/** Word count (store 'counts' in sub-topology 1, reading 'wc-words-repartition') plus a global store 'regions'. */
const built = wordCountTopology()
  .addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('regions'), S, S).withLoggingDisabled(), 'regions-source', {}, 'regions', 'regions-update', () => ({ process: () => undefined }))
  .build();
const COUNTS = new Map([
  ['lines', 4],
  ['wc-words-repartition', 4],
]);
const partitionOf = (word: string): number => partitionForKey(S.serialize('x', word)!, 4);
const WORDS = Array.from({ length: 40 }, (_, i) => `word-${i}`);

describe('parseHostInfo and the applicationServer config', () => {
  it('accepts host:port with host names, IPv4 and bracketed IPv6; refuses the rest as INVALID_CONFIG', () => {
    expect(parseHostInfo('localhost:8080')).toEqual({ host: 'localhost', port: 8080 });
    expect(parseHostInfo('10.0.0.7:0')).toEqual({ host: '10.0.0.7', port: 0 });
    expect(parseHostInfo('[::1]:65535')).toEqual({ host: '[::1]', port: 65_535 });
    expect(hostInfoString(parseHostInfo('a.b-c:1'))).toBe('a.b-c:1');
    for (const bad of ['localhost', 'localhost:', ':80', 'host:65536', 'host:-1', 'http://host:80', 'a b:1', '::1:80', 'host:80/x']) {
      expect(() => parseHostInfo(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error);
    }
  });

  it('is validated with the rest of the config (default none)', () => {
    expect(resolveStreamsConfig({ applicationId: 'a' }, '/tmp').applicationServer).toBeNull();
    expect(resolveStreamsConfig({ applicationId: 'a', applicationServer: 'node-1:8080' }, '/tmp').applicationServer).toBe('node-1:8080');
    expect(() => resolveStreamsConfig({ applicationId: 'a', applicationServer: 'node-1' }, '/tmp')).toThrow(/applicationServer must be 'host:port'/);
  });
});

describe('StreamsMetadataState', () => {
  it('needs the topology first, and knows only the topology stores', () => {
    const state = new StreamsMetadataState('me:1');
    expect(() => state.keyQueryMetadata('counts', 'a', S, new Set())).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }) as Error);
    state.setTopology(built, COUNTS);
    expect(() => state.keyQueryMetadata('nope', 'a', S, new Set())).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }) as Error);
    expect(() => state.allMetadataForStore('nope', [])).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }) as Error);
  });

  it('places a key by murmur2 of its serialized bytes over the store source topic, and finds the host holding it', () => {
    const state = new StreamsMetadataState('me:1');
    state.setTopology(built, COUNTS);
    const mine = [0, 1].map((partition) => ({ topic: 'wc-words-repartition', partition }));
    const theirs = [2, 3].map((partition) => ({ topic: 'wc-words-repartition', partition }));
    state.onAssignment({ partitionsByHost: new Map([['me:1', mine], ['other:2', [...theirs, { topic: 'lines', partition: 0 }]]]), partitionCounts: COUNTS });
    for (const word of WORDS) {
      const meta = state.keyQueryMetadata('counts', word, S, new Set());
      expect(meta.partition).toBe(partitionOf(word));
      expect(meta.activeHost).toEqual(meta.partition < 2 ? { host: 'me', port: 1 } : { host: 'other', port: 2 });
      expect(meta.standbyHosts).toEqual([]);
    }
    // A partitioner decides by itself.
    expect(state.keyQueryMetadata('counts', 'anything', () => 3, new Set())).toEqual({ activeHost: { host: 'other', port: 2 }, standbyHosts: [], partition: 3 });
    expect(() => state.keyQueryMetadata('counts', 'x', () => 4, new Set())).toThrow(/partition 4, not in 0..3/);
    expect(() => state.keyQueryMetadata('counts', null, S, new Set())).toThrow(/null key/);

    const all = state.allMetadataForStore('counts', []);
    expect(all.map((m) => [m.hostInfo, m.topicPartitions.length, m.stateStoreNames])).toEqual([
      [{ host: 'me', port: 1 }, 2, ['counts', 'regions']],
      [{ host: 'other', port: 2 }, 3, ['counts', 'regions']],
    ]);
  });

  it('without a map falls back on its own tasks; a global store is local everywhere', () => {
    const state = new StreamsMetadataState('me:1');
    state.setTopology(built, COUNTS);
    const local = new Set(['1_0', '1_1']);
    for (const word of WORDS) {
      const p = partitionOf(word);
      expect(state.keyQueryMetadata('counts', word, S, local).activeHost).toEqual(p < 2 ? { host: 'me', port: 1 } : null);
    }
    expect(state.keyQueryMetadata('regions', 'eu', S, new Set())).toEqual({ activeHost: { host: 'me', port: 1 }, standbyHosts: [], partition: -1 });
    const localPartitions = [{ topic: 'wc-words-repartition', partition: 0 }];
    expect(state.allMetadataForStore('counts', localPartitions)).toEqual([{ hostInfo: { host: 'me', port: 1 }, stateStoreNames: ['counts', 'regions'], topicPartitions: localPartitions }]);
    expect(state.allMetadataForStore('regions', []).map((m) => m.hostInfo)).toEqual([{ host: 'me', port: 1 }]);
    // No endpoint configured: nobody can be named.
    const anonymous = new StreamsMetadataState(null);
    anonymous.setTopology(built, COUNTS);
    expect(anonymous.keyQueryMetadata('counts', 'a', S, local).activeHost).toBeNull();
    expect(anonymous.allMetadataForStore('counts', localPartitions)).toEqual([]);
  });
});
